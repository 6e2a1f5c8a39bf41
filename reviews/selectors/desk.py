"""What waits for the reviewer on the desk (待您处理): every kind of work a reviewer of the cycle's programme must act
on, counted, with the first few of each listed and linked. One query counts every kind; the first few rows are then
read for each kind that has any (at review time most kinds have none: two queries, six at most)."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.models import ImplementationRules
from nominations.models import CapExceptionRequest, Cycle, NominationList

from ..models import HigherAward, Objection
from ..programmes import with_programme

# How many of each kind the desk lists (the count says how many there are in all; the link shows them all).
DESK_SHOWN = 5


def _count(rows: QuerySet, constant: str) -> Coalesce:
    """How many ``rows`` there are, as a scalar subquery (grouped by ``constant``, a column the filter fixes)."""
    counted = rows.order_by().values(constant).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass
class Waiting:
    """One kind of work waiting: its name, how many, the first few (label, address) and where to see them all."""

    kind: str
    label: str
    count: int
    items: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""


def _lists_rows(cycle: Cycle) -> QuerySet:
    return (NominationList.objects.filter(cycle=cycle, state=NominationList.State.SUBMITTED)
            .select_related("category", "bureau").order_by("submitted_at", "pk"))


def _lists(cycle: Cycle, first: list, count: int, queue_url: str) -> Waiting:
    return Waiting("lists", _("Lists submitted, waiting for a decision"), count,
                   [(f"{nl.category.code} {nl.category.name} · {nl.bureau.short_name}",
                     reverse("reviews:list", args=[nl.pk])) for nl in first],
                   f"{queue_url}&state=submitted")


def _exception_requests_rows(cycle: Cycle) -> QuerySet:
    return (CapExceptionRequest.objects.filter(nomination_list__cycle=cycle, state=CapExceptionRequest.State.PENDING)
            .select_related("nomination_list__category", "nomination_list__bureau").order_by("requested_at", "pk"))


def _exception_requests(cycle: Cycle, first: list, count: int) -> Waiting:
    return Waiting("exceptions", _("Requests for more awardees than the cap"), count,
                   [(f"{r.nomination_list.category.code} {r.nomination_list.category.name} · "
                     f"{r.nomination_list.bureau.short_name} · {r.requested_limit}",
                     reverse("reviews:list", args=[r.nomination_list_id]) + "#exception-request")
                    for r in first])


def _objections_rows(cycle: Cycle) -> QuerySet:
    return (Objection.objects.filter(cycle=cycle, status=Objection.Status.OPEN)
            .select_related("category", "unit").order_by("filed_at", "pk"))


def _objections(cycle: Cycle, first: list, count: int) -> Waiting:
    return Waiting("objections", _("Objections not settled"), count,
                   [(f"{o.receipt} · {o.category.code} · {o.unit.display_name}",
                     with_programme(reverse("reviews:objection", args=[o.pk]), cycle.programme))
                    for o in first],
                   with_programme(reverse("reviews:objections", args=[cycle.year]), cycle.programme))


def _register_rows(cycle: Cycle) -> QuerySet:
    return (HigherAward.objects.filter(cycle=cycle, state=HigherAward.State.RECORDED)
            .select_related("unit").order_by("recorded_at", "pk"))


def _register(cycle: Cycle, first: list, count: int) -> Waiting:
    url = with_programme(reverse("reviews:register", args=[cycle.year]), cycle.programme)
    return Waiting("register", _("Register entries waiting for confirmation"), count,
                   [(f"{e.document_number} · {e.unit.display_name}", url) for e in first], url)


def _rules_rows(cycle: Cycle) -> QuerySet:
    return (ImplementationRules.objects.filter(measure__document__programme_id=cycle.programme_id,
                                               state=ImplementationRules.State.SUBMITTED)
            .select_related("measure", "bureau").order_by("submitted_at", "pk"))


def _rules(cycle: Cycle, first: list, count: int) -> Waiting:
    url = reverse("reviews:rules")
    return Waiting("rules", _("Implementation rules filed, waiting for review"), count,
                   [(f"{r.measure.numeral}、{r.measure.title} · {r.bureau.short_name}", url) for r in first], url)


def desk_waiting(*, cycle: Cycle, user, screening_flags=None) -> list[Waiting]:
    """Everything waiting for ``user`` (a reviewer of ``cycle``'s programme, as the queue's door found) in the
    cycle and its programme. ``screening_flags`` is the screening's count for the person
    (``screening_flags_waiting``): the flags are settled on each list's review page, and the pre-flight page of
    the year lists them all."""
    queue_url = with_programme(reverse("reviews:queue") + f"?year={cycle.year}", cycle.programme)
    # Each kind: its rows (a query), the column its filter fixes (to count them by), how its Waiting is made.
    kinds = (
        (_lists_rows(cycle), "cycle", lambda first, count: _lists(cycle, first, count, queue_url)),
        (_exception_requests_rows(cycle), "state", lambda first, count: _exception_requests(cycle, first, count)),
        (_objections_rows(cycle), "cycle", lambda first, count: _objections(cycle, first, count)),
        (_register_rows(cycle), "cycle", lambda first, count: _register(cycle, first, count)),
        (_rules_rows(cycle), "state", lambda first, count: _rules(cycle, first, count)),
    )
    counts = Cycle.objects.filter(pk=cycle.pk).values_list(
        *(_count(rows, constant) for rows, constant, _make in kinds)).get()
    waiting = [make(list(rows[:DESK_SHOWN]) if count else [], count)
               for (rows, _constant, make), count in zip(kinds, counts, strict=True)]
    if screening_flags is not None:
        url = with_programme(reverse("reviews:notice", args=[cycle.year]), cycle.programme)
        waiting.append(Waiting("screening", _("Screening flags (负面清单)"), screening_flags, [], url))
    return waiting
