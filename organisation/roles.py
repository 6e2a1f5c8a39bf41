"""The three roles, kept as groups. Bureau membership is separate (see ``Membership``)."""

from django.utils.translation import gettext_lazy as _

BUREAU_STAFF = "bureau_staff"
REVIEWER = "reviewer"
ADMINISTRATOR = "administrator"

ROLE_LABELS = {
    BUREAU_STAFF: _("Bureau staff"),
    REVIEWER: _("General Office reviewer"),
    ADMINISTRATOR: _("Administrator"),
}


def _group_names(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLE_LABELS).values_list("name", flat=True))
        user._role_names = cached
    return cached


def is_administrator(user) -> bool:
    return user.is_active and (user.is_superuser or ADMINISTRATOR in _group_names(user))


def is_reviewer(user) -> bool:
    """General Office reviewers see everything and decide; administrators are not reviewers by default."""
    return user.is_active and REVIEWER in _group_names(user)


def is_bureau_staff(user) -> bool:
    return user.is_active and BUREAU_STAFF in _group_names(user)


def can_enter_admin(user) -> bool:
    """The Django admin is for administrators only: active, ``is_staff``, and superuser or in the administrator
    group. ``is_staff`` alone (a clerk ticked by mistake) opens nothing; see ``staff_flag_sync`` for how the
    flag follows the role."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and is_administrator(user))


def staff_flag_sync(user_ids) -> None:
    """``is_staff`` follows the administrator role: set for superusers and administrators, cleared otherwise.

    Called when group memberships change (see ``organisation.signals``), so assigning or withdrawing the
    administrator role in the admin opens or closes the admin at once, with no box to remember to tick.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, Q

    User = get_user_model()
    in_role = Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=ADMINISTRATOR))
    users = User.objects.filter(pk__in=list(user_ids))
    users.filter(Q(is_superuser=True) | in_role, is_staff=False).update(is_staff=True)
    users.filter(~in_role, is_superuser=False, is_staff=True).update(is_staff=False)
