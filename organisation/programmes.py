"""Which programmes a person belongs to, and which programme a request is about.

* A clerk belongs to the programmes of their bureaus (a bureau belongs to one programme).
* A reviewer belongs to the programmes that list them among their reviewers (``Programme.reviewers``); a reviewer
  listed in none reviews the default programme, as every reviewer did before there was more than one.
* Administrators (the three administrator roles and superusers) keep the whole deployment: every programme.

Every scoped selector filters by ``programme_ids_of(user)``; an object of another programme answers 404.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, Q, QuerySet

from . import roles
from .models import Programme, default_programme_id


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_deployment_wide(user) -> bool:
    """Administrators and superusers reach every programme."""
    return _signed_in(user) and (user.is_superuser or roles.is_administrator(user)
                                 or roles.is_security_administrator(user) or roles.is_audit_administrator(user))


def reviewer_programme_ids(user, *, default_id: int | None = None) -> set[int]:
    """The programmes a reviewer reviews: those that list them, or the default programme when none does.
    Reads ``user.reviewed_programmes`` (prefetch it when calling this for many people)."""
    ids = {programme.pk for programme in user.reviewed_programmes.all()}
    return ids or {default_id if default_id is not None else default_programme_id()}


def programmes_of(user) -> QuerySet[Programme]:
    """The person's programmes as a lazy queryset. Roles are read in the same SQL (no query of its own): used as
    ``programme__in=programmes_of(user)`` it is a subquery, so scoping a read by programme adds no query."""
    if not _signed_in(user):
        return Programme.objects.none()
    if user.is_superuser:
        return Programme.objects.all()
    groups = get_user_model().groups.through.objects.filter(user_id=user.pk)
    listed = Programme.reviewers.through.objects.filter(user_id=user.pk)
    administrator = Q(Exists(groups.filter(group__name__in=roles.ADMINISTRATOR_ROLES)))
    clerk = Q(pk__in=Programme.objects.filter(bureaus__memberships__user_id=user.pk).values("pk"))
    # A reviewer listed in no programme reviews the default one.
    reviewer = Q(Exists(groups.filter(group__name=roles.REVIEWER))) & (
        Q(pk__in=listed.values("programme_id")) | (Q(is_default=True) & ~Q(Exists(listed))))
    return Programme.objects.filter(administrator | clerk | reviewer)


def programme_ids_of(user) -> set[int]:
    """Every programme the person belongs to, whatever their role (an empty set when signed out)."""
    if not _signed_in(user):
        return set()
    if is_deployment_wide(user):
        return set(Programme.objects.values_list("pk", flat=True))
    ids = set(Programme.objects.filter(bureaus__memberships__user=user).values_list("pk", flat=True))
    if roles.is_reviewer(user):
        ids |= reviewer_programme_ids(user)
    return ids


def programmes_reviewed_by(user) -> QuerySet[Programme]:
    """The programmes whose review pages the person may open (administrators: none; they are not reviewers)."""
    if not (_signed_in(user) and roles.is_reviewer(user)):
        return Programme.objects.none()
    return Programme.objects.filter(pk__in=reviewer_programme_ids(user))


def reviewed_programme(user, code: str | None) -> Programme:
    """The programme a reviewer's page is about: ``code`` (``?programme=``) when given, else the first of theirs
    (the default programme first). Raises ``Programme.DoesNotExist`` for a programme that is not theirs."""
    programmes = programmes_reviewed_by(user)
    if code:
        return programmes.get(code=code)
    programme = programmes.order_by("-is_default", "code").first()
    if programme is None:
        raise Programme.DoesNotExist
    return programme


def public_programme(code: str | None) -> Programme:
    """The programme of a public page: ``code`` when given, else the default programme."""
    if code:
        return Programme.objects.get(code=code)
    return Programme.objects.default()


def reaches(user, **lookup) -> bool:
    """Whether the programme found by ``lookup`` (e.g. ``cycles=cycle.pk``, ``cycles__lists=list_id``) is one of
    the person's. One query; services check it beside the role, so that a view's 404 is not the only guard."""
    return programmes_of(user).filter(**lookup).exists()
