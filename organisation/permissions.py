"""Bureau groups, role groups and people's memberships in them.

Each bureau has a group; membership in the bureau is membership in its group (``membership_sync``). The group
holds the object permissions on the categories the bureau is responsible for: those are the catalogue's
(``measures.permissions``). Signals keep both in step, so a change of membership changes rights at once.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import Membership

# The category permissions a bureau's group holds (granted per category by measures.permissions).
VIEW = "view_incentivecategory"
COMMENT = "comment_incentivecategory"
NOMINATE = "nominate_incentivecategory"

# Django stores the names of a model's four permissions in English ("Can add nomination list"), once, when the
# table is made: they are shown from their action and the model's translated name instead, never rewritten.
DEFAULT_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission's name in the person's language: a model's four permissions from their action and the model's
    name; a permission of the code's own (``Meta.permissions``, named by a message id) by its translation."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in DEFAULT_ACTIONS and model_name == model._meta.model_name:
        return DEFAULT_ACTIONS[action] % {"model": model._meta.verbose_name}
    return gettext(permission.name)


def bureau_group_name(bureau) -> str:
    return f"bureau:{bureau.pk}"


def ensure_bureau_group(bureau) -> Group:
    if bureau.group_id:
        return bureau.group
    group, _ = Group.objects.get_or_create(name=bureau_group_name(bureau))
    type(bureau).objects.filter(pk=bureau.pk).update(group=group)
    bureau.group = group
    return group


def membership_sync(user) -> None:
    """Put the user in exactly the groups of the bureaus they belong to."""
    bureau_groups = set(Group.objects.filter(bureau__isnull=False).values_list("pk", flat=True))
    current = set(user.groups.filter(pk__in=bureau_groups).values_list("pk", flat=True))
    wanted = set()
    for membership in Membership.objects.filter(user=user).select_related("bureau", "bureau__group"):
        wanted.add(ensure_bureau_group(membership.bureau).pk)
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
    forget_cached_permissions(user)


def forget_cached_permissions(user) -> None:
    """Drop the permission and role caches Django, guardian and ``roles`` keep on a user object.

    Every request loads its user afresh, so another person's next request already sees a change; this only
    matters for the user object in hand (an administrator editing themselves, a test, a shell session).
    """
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_guardian_perms_cache", "_role_names",
                 "_category_rights"):
        if hasattr(user, attr):
            delattr(user, attr)


# Model permissions of the three administrator roles (三员分立). The system administrator gets everything of the
# catalogue, cycles, reviews and organisation data, except people and what belongs to bureaus (the two object
# permissions, granted per category by measures.permissions, never globally) and the audit trail; the security
# administrator gets people, roles, memberships, object permissions and second-factor devices (and may view
# bureaus and categories, to choose them); the audit administrator may only view the audit trail. Nobody may write
# to the audit trail.
ADMINISTRATOR_APPS = ("organisation", "measures", "evaluation", "nominations", "reviews")
NOT_FOR_ADMINISTRATORS = {NOMINATE, COMMENT, "add_auditentry", "change_auditentry", "delete_auditentry",
                          "view_auditentry", "add_membership", "change_membership", "delete_membership",
                          "view_membership"}
SECURITY_APPS = ("auth", "guardian", "otp_totp", "otp_static")
SECURITY_EXTRA = {("organisation", "add_membership"), ("organisation", "change_membership"),
                  ("organisation", "delete_membership"), ("organisation", "view_membership"),
                  ("organisation", "view_bureau"), ("measures", "view_incentivecategory"),
                  ("security", "add_identitylink"), ("security", "delete_identitylink"),
                  ("security", "view_identitylink"), ("security", "add_claimrule"),
                  ("security", "delete_claimrule"), ("security", "view_claimrule")}
AUDIT_PERMISSIONS = {("organisation", "view_auditentry")}


def _permissions_named(pairs) -> list[Permission]:
    condition = Q(pk__in=[])
    for app_label, codename in pairs:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(condition))


def role_groups_sync() -> None:
    """Create the role groups and give the three administrator groups their model permissions."""
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ROLE_LABELS}
    system = Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS).exclude(
        codename__in=NOT_FOR_ADMINISTRATORS
    )
    groups[roles.SYSTEM_ADMINISTRATOR].permissions.set(system)
    security = list(Permission.objects.filter(content_type__app_label__in=SECURITY_APPS))
    groups[roles.SECURITY_ADMINISTRATOR].permissions.set(security + _permissions_named(SECURITY_EXTRA))
    groups[roles.AUDIT_ADMINISTRATOR].permissions.set(_permissions_named(AUDIT_PERMISSIONS))
