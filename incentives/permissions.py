"""Object permissions on categories, derived from bureaus' responsibilities and people's memberships.

Each bureau has a group. Membership in the bureau is membership in its group, and the group holds guardian
object permissions on the categories the bureau is responsible for:

* every responsible bureau: ``view_incentivecategory`` and ``comment_incentivecategory``;
* lead, separately or jointly responsible bureaus also: ``nominate_incentivecategory`` (edit the list).

Signals keep the two in step, so a change of membership or responsibility changes rights at once.

The rows of bureau groups belong to this module: one edited by hand (guardian's "Object permissions" page of a
category in the admin) is put back at the next sync. An exception for one person is a *user* object permission,
which the sync leaves alone and the selectors honour.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

VIEW = "view_incentivecategory"
COMMENT = "comment_incentivecategory"
NOMINATE = "nominate_incentivecategory"


def bureau_group_name(bureau) -> str:
    return f"bureau:{bureau.pk}"


def ensure_bureau_group(bureau) -> Group:
    if bureau.group_id:
        return bureau.group
    group, _ = Group.objects.get_or_create(name=bureau_group_name(bureau))
    type(bureau).objects.filter(pk=bureau.pk).update(group=group)
    bureau.group = group
    return group


def _category_permissions() -> dict[str, Permission]:
    from measures.models import IncentiveCategory

    content_type = ContentType.objects.get_for_model(IncentiveCategory)
    return {p.codename: p for p in Permission.objects.filter(content_type=content_type, codename__in=[VIEW, COMMENT, NOMINATE])}


def category_permissions_sync(category) -> None:
    """Rewrite the group permissions of one category from its responsibilities."""
    from measures.models import CategoryGroupObjectPermission, Responsibility

    perms = _category_permissions()
    wanted: set[tuple[int, int]] = set()
    for responsibility in Responsibility.objects.filter(category=category).select_related("bureau", "bureau__group"):
        group = ensure_bureau_group(responsibility.bureau)
        codenames = [VIEW, COMMENT] + ([NOMINATE] if responsibility.can_edit else [])
        wanted.update((group.pk, perms[c].pk) for c in codenames)
    existing = {
        (row.group_id, row.permission_id): row.pk
        for row in CategoryGroupObjectPermission.objects.filter(content_object=category, group__bureau__isnull=False)
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        CategoryGroupObjectPermission.objects.filter(pk__in=stale).delete()
    CategoryGroupObjectPermission.objects.bulk_create(
        [
            CategoryGroupObjectPermission(content_object=category, group_id=group_id, permission_id=permission_id)
            for group_id, permission_id in wanted - existing.keys()
        ]
    )


def membership_sync(user) -> None:
    """Put the user in exactly the groups of the bureaus they belong to."""
    from .models import Membership

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
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_guardian_perms_cache", "_role_names"):
        if hasattr(user, attr):
            delattr(user, attr)


# Model permissions of the three administrator roles (三员分立). The system administrator gets everything of the
# catalogue, cycles, reviews and organisation data, except people and what belongs to bureaus (the two object
# permissions, granted per category above, never globally) and the audit trail; the security administrator gets
# people, roles, memberships, object permissions and second-factor devices (and may view bureaus and categories,
# to choose them); the audit administrator may only view the audit trail. Nobody may write to the audit trail.
ADMINISTRATOR_APPS = ("incentives", "measures", "nominations", "reviews")
NOT_FOR_ADMINISTRATORS = {NOMINATE, COMMENT, "add_auditentry", "change_auditentry", "delete_auditentry",
                          "view_auditentry", "add_membership", "change_membership", "delete_membership",
                          "view_membership"}
SECURITY_APPS = ("auth", "guardian", "otp_totp", "otp_static")
SECURITY_EXTRA = {("incentives", "add_membership"), ("incentives", "change_membership"),
                  ("incentives", "delete_membership"), ("incentives", "view_membership"),
                  ("incentives", "view_bureau"), ("measures", "view_incentivecategory")}
AUDIT_PERMISSIONS = {("incentives", "view_auditentry")}


def _permissions_named(pairs) -> list[Permission]:
    from django.db.models import Q

    condition = Q(pk__in=[])
    for app_label, codename in pairs:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(condition))


def role_groups_sync() -> None:
    """Create the role groups and give the three administrator groups their model permissions."""
    from . import roles

    groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ROLE_LABELS}
    system = Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS).exclude(
        codename__in=NOT_FOR_ADMINISTRATORS
    )
    groups[roles.SYSTEM_ADMINISTRATOR].permissions.set(system)
    security = list(Permission.objects.filter(content_type__app_label__in=SECURITY_APPS))
    groups[roles.SECURITY_ADMINISTRATOR].permissions.set(security + _permissions_named(SECURITY_EXTRA))
    groups[roles.AUDIT_ADMINISTRATOR].permissions.set(_permissions_named(AUDIT_PERMISSIONS))
