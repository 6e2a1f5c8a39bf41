"""What waits for the reviewer on the desk (待您处理): every kind of work a reviewer of the cycle's programme must act
on, counted, with the first few of each listed and linked. A fixed number of queries (one per kind: the first few
rows carry the count of all, ``COUNT(*) OVER ()``)."""

from dataclasses import dataclass, field

from django.db.models import Count, Window
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from measures.models import ImplementationRules
from nominations.models import CapExceptionRequest, Cycle, NominationList

from ..models import HigherAward, Objection
from ..programmes import with_programme

# How many of each kind the desk lists (the count says how many there are in all; the link shows them all).
DESK_SHOWN = 5


def _first(rows) -> tuple[list, int]:
    """The first ``DESK_SHOWN`` of ``rows`` and how many there are in all, in one query."""
    first = list(rows.annotate(waiting_total=Window(Count("pk")))[:DESK_SHOWN])
    return first, (first[0].waiting_total if first else 0)


@dataclass
class Waiting:
    """One kind of work waiting: its name, how many, the first few (label, address) and where to see them all."""

    kind: str
    label: str
    count: int
    items: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""


def _lists(cycle: Cycle, queue_url: str) -> Waiting:
    rows = (NominationList.objects.filter(cycle=cycle, state=NominationList.State.SUBMITTED)
            .select_related("category", "bureau").order_by("submitted_at", "pk"))
    first, count = _first(rows)
    return Waiting("lists", _("Lists submitted, waiting for a decision"), count,
                   [(f"{nl.category.code} {nl.category.name} · {nl.bureau.short_name}",
                     reverse("reviews:list", args=[nl.pk])) for nl in first],
                   f"{queue_url}&state=submitted")


def _exception_requests(cycle: Cycle) -> Waiting:
    rows = (CapExceptionRequest.objects.filter(nomination_list__cycle=cycle, state=CapExceptionRequest.State.PENDING)
            .select_related("nomination_list__category", "nomination_list__bureau").order_by("requested_at", "pk"))
    first, count = _first(rows)
    return Waiting("exceptions", _("Requests for more awardees than the cap"), count,
                   [(f"{r.nomination_list.category.code} {r.nomination_list.category.name} · "
                     f"{r.nomination_list.bureau.short_name} · {r.requested_limit}",
                     reverse("reviews:list", args=[r.nomination_list_id]) + "#exception-request")
                    for r in first])


def _objections(cycle: Cycle) -> Waiting:
    rows = (Objection.objects.filter(cycle=cycle, status=Objection.Status.OPEN)
            .select_related("category", "unit").order_by("filed_at", "pk"))
    first, count = _first(rows)
    return Waiting("objections", _("Objections not settled"), count,
                   [(f"{o.receipt} · {o.category.code} · {o.unit.display_name}",
                     with_programme(reverse("reviews:objection", args=[o.pk]), cycle.programme))
                    for o in first],
                   with_programme(reverse("reviews:objections", args=[cycle.year]), cycle.programme))


def _register(cycle: Cycle) -> Waiting:
    rows = (HigherAward.objects.filter(cycle=cycle, state=HigherAward.State.RECORDED)
            .select_related("unit").order_by("recorded_at", "pk"))
    url = with_programme(reverse("reviews:register", args=[cycle.year]), cycle.programme)
    first, count = _first(rows)
    return Waiting("register", _("Register entries waiting for confirmation"), count,
                   [(f"{e.document_number} · {e.unit.display_name}", url) for e in first], url)


def _rules(cycle: Cycle) -> Waiting:
    rows = (ImplementationRules.objects.filter(measure__document__programme_id=cycle.programme_id,
                                               state=ImplementationRules.State.SUBMITTED)
            .select_related("measure", "bureau").order_by("submitted_at", "pk"))
    url = reverse("reviews:rules")
    first, count = _first(rows)
    return Waiting("rules", _("Implementation rules filed, waiting for review"), count,
                   [(f"{r.measure.numeral}、{r.measure.title} · {r.bureau.short_name}", url) for r in first], url)


def desk_waiting(*, cycle: Cycle, user, screening_flags=None) -> list[Waiting]:
    """Everything waiting for ``user`` (a reviewer of ``cycle``'s programme, as the queue's door found) in the
    cycle and its programme. ``screening_flags`` is the screening's count for the person
    (``screening_flags_waiting``): the flags are settled on each list's review page, and the pre-flight page of
    the year lists them all."""
    queue_url = with_programme(reverse("reviews:queue") + f"?year={cycle.year}", cycle.programme)
    waiting = [_lists(cycle, queue_url), _exception_requests(cycle), _objections(cycle), _register(cycle),
               _rules(cycle)]
    if screening_flags is not None:
        url = with_programme(reverse("reviews:notice", args=[cycle.year]), cycle.programme)
        waiting.append(Waiting("screening", _("Screening flags (负面清单)"), screening_flags, [], url))
    return waiting
