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
