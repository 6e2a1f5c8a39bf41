"""The roles, kept as groups. Bureau membership is separate (see ``Membership``).

Administration is split in three (三员分立, GB/T 22239-2019 level 3), and nobody holds two of these roles
(``check_roles_exclusive`` below: ``organisation.services.user_roles_set`` and a check on every change of a
person's groups, ``security.signals``, both ask it):

* the **system administrator** keeps the catalogue, cycles, bureaus, units and reminders. It is the role that was
  called "administrator" before the split: the group keeps its name ``administrator``, so everyone who held it is
  a system administrator now, and ``ADMINISTRATOR`` stays an alias of ``SYSTEM_ADMINISTRATOR``;
* the **security administrator** keeps accounts, roles, memberships, object permissions and second factors;
* the **audit administrator** reads, searches and exports the audit trail, and nothing else.

One role is held per bureau, not as a group: the bureau's **leader** (``Membership.is_leader``, set by the
security administrator with the membership). Where the programme requires it (``Programme.sign_off_required``),
the leader signs off (签发) the bureau's lists before they reach the General Office, or sends them back
(``nominations.states``: the rows taken by ``LEADER``). ``leads_bureau`` answers it.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

BUREAU_STAFF = "bureau_staff"
REVIEWER = "reviewer"
SYSTEM_ADMINISTRATOR = "administrator"
ADMINISTRATOR = SYSTEM_ADMINISTRATOR
SECURITY_ADMINISTRATOR = "security_administrator"
AUDIT_ADMINISTRATOR = "audit_administrator"
# An expert of a programme's pool (evaluation.Expert): sees only the panels they were drawn for.
EXPERT = "expert"
# A role per bureau (``Membership.is_leader``), not a group: named for the audit records of its changes.
BUREAU_LEADER = "bureau_leader"
ADMINISTRATOR_ROLES = (SYSTEM_ADMINISTRATOR, SECURITY_ADMINISTRATOR, AUDIT_ADMINISTRATOR)

ROLE_LABELS = {
    BUREAU_STAFF: _("Bureau staff"),
    REVIEWER: _("General Office reviewer"),
    SYSTEM_ADMINISTRATOR: _("System administrator"),
    SECURITY_ADMINISTRATOR: _("Security administrator"),
    AUDIT_ADMINISTRATOR: _("Audit administrator"),
    EXPERT: _("Expert (panels)"),
}


def _group_names(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLE_LABELS).values_list("name", flat=True))
        user._role_names = cached
    return cached


# A superuser holds no role by being one: it exists for the first start only, to create the three administrators
# (``is_security_administrator``); it never reaches programme data (``security.middleware`` keeps it to the
# accounts in the admin and signs it out once the three exist), and its sign-ins and changes are recorded.


def is_administrator(user) -> bool:
    """The system administrator (catalogue, cycles, programmes). A superuser is not one."""
    return user.is_active and SYSTEM_ADMINISTRATOR in _group_names(user)


def is_security_administrator(user) -> bool:
    """Accounts, roles, memberships and second factors: the security administrator, or a superuser (who exists
    only to create the first three administrators, see ``security.middleware``)."""
    return user.is_active and (user.is_superuser or SECURITY_ADMINISTRATOR in _group_names(user))


def is_audit_administrator(user) -> bool:
    """The audit trail's reader. A superuser is not one: the audit administrator watches the others."""
    return user.is_active and AUDIT_ADMINISTRATOR in _group_names(user)


def administrator_roles_of(user) -> set[str]:
    return _group_names(user) & set(ADMINISTRATOR_ROLES)


def check_roles_exclusive(role_names) -> None:
    """Nobody holds two of the three administrator roles (三员分立)."""
    held = [name for name in ADMINISTRATOR_ROLES if name in set(role_names)]
    if len(held) > 1:
        raise ValidationError(
            gettext("One person cannot be %(roles)s at once: the system, security and audit administrators are three "
                    "different people.") % {"roles": gettext(" and ").join(str(ROLE_LABELS[name]) for name in held)},
            code="roles_not_exclusive",
        )


def check_no_role_for_superuser(user, role_names) -> None:
    """A superuser holds no role: it passes every permission check of the admin, so a role would open it
    everything (the audit trail and programme data included). The first start's superuser creates other accounts
    for the administrators."""
    if user.is_superuser and set(role_names) & set(ROLE_LABELS):
        raise ValidationError(
            gettext("A superuser holds no role: create a separate account for the person and give the role to it."),
            code="superuser_without_roles",
        )


def is_reviewer(user) -> bool:
    """General Office reviewers see everything and decide; administrators are not reviewers by default."""
    return user.is_active and REVIEWER in _group_names(user)


def is_expert(user) -> bool:
    """An expert of a pool: scores the candidates of the panels they are drawn for, and sees nothing else."""
    return user.is_active and EXPERT in _group_names(user)
def leads_bureau(user, bureau_id) -> bool:
    """Whether ``user`` is the leader of the bureau (signs off its lists). One query."""
    from .models import Membership

    return bool(user.is_authenticated and user.is_active
                and Membership.objects.filter(user_id=user.pk, bureau_id=bureau_id, is_leader=True).exists())


def is_bureau_staff(user) -> bool:
    return user.is_active and BUREAU_STAFF in _group_names(user)


def can_enter_admin(user) -> bool:
    """The Django admin is for administrators only: active, ``is_staff``, and superuser or one of the three
    administrator roles (each sees the models its role's permissions open). ``is_staff`` alone (a clerk ticked by
    mistake) opens nothing; see ``staff_flag_sync`` for how the flag follows the role."""
    return bool(user.is_authenticated and user.is_active and user.is_staff
                and (user.is_superuser or administrator_roles_of(user)))


def staff_flag_sync(user_ids) -> None:
    """``is_staff`` follows the administrator roles: set for superusers and administrators, cleared otherwise.

    Called when group memberships change (see ``organisation.signals``), so assigning or withdrawing the
    administrator role in the admin opens or closes the admin at once, with no box to remember to tick.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, Q

    from .account_signals import staff_flag_changed

    User = get_user_model()
    in_role = Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name__in=ADMINISTRATOR_ROLES))
    users = User.objects.filter(pk__in=list(user_ids))
    granted = list(users.filter(Q(is_superuser=True) | in_role, is_staff=False).values_list("pk", flat=True))
    revoked = list(users.filter(~in_role, is_superuser=False, is_staff=True).values_list("pk", flat=True))
    if granted:
        User.objects.filter(pk__in=granted, is_staff=False).update(is_staff=True)
    if revoked:
        User.objects.filter(pk__in=revoked, is_staff=True).update(is_staff=False)
    if granted or revoked:
        staff_flag_changed.send(sender=User, granted=granted, revoked=revoked)
