"""What the review's pages share: the decorator that lets only the people of a scope in (everyone else is told the
page does not exist, 404), the cycle of the address, and a service's refusal shown on its form."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import reverse

from incentives.errors import DomainError
from nominations.models import Cycle

from ..programmes import review_programme_code, with_programme
from ..selectors.lists import cycle_get, reviewer_scope


def scope_required(scope):
    """Signed in and inside ``scope`` (a selector taking the user); anyone else gets 404."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not scope(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Signed in, and a General Office reviewer; anyone else is told the page does not exist.
reviewer_required = scope_required(reviewer_scope)


def _cycle_or_404(request, year: int) -> Cycle:
    """The cycle of ``year`` in the reviewer's programme (``?programme=``, or the one kept in the session, or the
    first of theirs); 404 outside their programmes."""
    code, explicit = review_programme_code(request)
    try:
        return cycle_get(year=year, user=request.user, programme_code=code)
    except Cycle.DoesNotExist:
        if code and not explicit:
            try:
                return cycle_get(year=year, user=request.user)
            except Cycle.DoesNotExist:
                pass
        raise Http404 from None


def _any_cycle_or_404(request, year: int) -> Cycle:
    """The cycle of ``year`` in the person's programmes (the first of theirs, whatever programme the address or the
    session names); 404 outside them. The register, the funds and the withdrawal of an exception use it."""
    try:
        return cycle_get(year=year, user=request.user)
    except Cycle.DoesNotExist:
        raise Http404 from None


def _queue_url(cycle: Cycle) -> str:
    return with_programme(reverse("reviews:queue") + f"?year={cycle.year}", cycle.programme)


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)
