"""What the review's pages share: the door of the General Office's pages (everyone else is told the page does
not exist, 404), the cycle of the address, and a service's refusal shown on its form."""

from django.http import Http404
from django.urls import reverse

from incentives.errors import DomainError
from nominations.models import Cycle
from organisation import access

from ..programmes import review_programme_code, with_programme
from ..selectors.lists import cycle_get

# Signed in, and a General Office reviewer; anyone else is told the page does not exist.
reviewer_required = access.door(access.reviewers)


def _cycle_or_404(request, year: int, action: str = "review") -> Cycle:
    """The cycle of ``year`` the person may ``action`` (the door's rule: review, register, reopen), in the
    programme the address names (``?programme=``), else the one the session keeps, else the first of theirs;
    404 outside their programmes. The one way a page of the General Office finds its year."""
    code, explicit = review_programme_code(request)
    try:
        return cycle_get(year=year, user=request.user, programme_code=code, action=action)
    except Cycle.DoesNotExist:
        if code and not explicit:
            try:
                return cycle_get(year=year, user=request.user, action=action)
            except Cycle.DoesNotExist:
                pass
        raise Http404 from None


def _queue_url(cycle: Cycle) -> str:
    return with_programme(reverse("reviews:queue") + f"?year={cycle.year}", cycle.programme)


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)
