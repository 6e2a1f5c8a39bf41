"""Reads of the organisation scoped to a person. Views never filter these models by hand for a user."""

from django.db.models import QuerySet

from .models import Bureau, Unit
from .programmes import programmes_of


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def bureaus_of(user) -> QuerySet[Bureau]:
    """The bureaus the person belongs to (several are possible), in display order; none when signed out."""
    if not _signed_in(user):
        return Bureau.objects.none()
    return Bureau.objects.filter(memberships__user=user).order_by("order", "short_name").distinct()


def units_visible_to(user, *, include_inactive: bool = False) -> QuerySet[Unit]:
    """Nominee units a person may see and pick: the register is shared by every signed-in person (a bureau
    proposes districts, hospitals … it does not own) of the person's programmes, but is not public. Merged units
    stay for history only."""
    if not _signed_in(user):
        return Unit.objects.none()
    qs = Unit.objects.filter(programme__in=programmes_of(user)).select_related("kind", "parent")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("division_order", "name")
