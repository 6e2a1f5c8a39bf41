"""The public notice (公示): what stands in the way of starting it, the cycles and proposed awardees on notice, and the
objections filed against them."""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet

from measures.models import IncentiveCategory
from nominations import deadlines, phases, states
from nominations.deadlines import bureaus_still_open, cycle_last_deadline, deadline_passed
from nominations.models import CapExceptionRequest, Cycle, NominationList
from organisation import access
from organisation.models import Bureau

from ..models import Award, MissingListAcknowledgement, Objection
from ..programmes import public_programme_q
from .public import MeasureResult, group_awards
from .queue import NOT_STARTED
from .screening import Flag, screening_flags_unsettled


def notice_cycles(programme_code: str | None = None) -> QuerySet[Cycle]:
    return (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.NOTICE)
            .select_related("programme").order_by("-year"))


def notice_cycle_get(*, year: int, programme_code: str | None = None) -> Cycle:
    """A cycle of the programme whose proposed awardees are on public notice (anyone may read it)."""
    return (Cycle.objects.select_related("document", "programme")
            .get(public_programme_q(programme_code), year=year, state=Cycle.State.NOTICE))


def notice_awards(*, cycle: Cycle) -> list[Award]:
    """The proposed awardees on notice, in the order of the page (one query)."""
    awards = (Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.NOTICE)
              .select_related("unit__parent", "unit__kind", "category__measure"))
    return [award for group in group_awards(awards) for _category, group_awards_ in group.categories
            for award in group_awards_]


def notice_results(*, cycle: Cycle) -> list[MeasureResult]:
    return group_awards(Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.NOTICE)
                        .select_related("unit__parent", "unit__kind", "category__measure"))


@dataclass
class MissingRow:
    category: IncentiveCategory
    state: str   # NOT_STARTED, or the state of a list never (re)submitted
    acknowledgement: MissingListAcknowledgement | None = None

    @property
    def not_started(self) -> bool:
        """No list at all (rather than one never submitted)."""
        return self.state == NOT_STARTED


@dataclass
class NoticePreflight:
    cycle: Cycle
    phase: str
    last_deadline: datetime.datetime
    deadlines_passed: bool
    open_bureaus: list[Bureau]
    undecided: list[NominationList]
    missing: list[MissingRow]
    awards: int
    pending_requests: list = field(default_factory=list)  # bureaus' requests for an exception still undecided
    unsettled_flags: list[Flag] = field(default_factory=list)  # screening flags (负面清单) still to settle

    @property
    def to_acknowledge(self) -> list[MissingRow]:
        return [row for row in self.missing if row.acknowledgement is None]

    @property
    def blocked(self) -> bool:
        return (not self.deadlines_passed or bool(self.undecided) or bool(self.pending_requests)
                or bool(self.unsettled_flags) or self.cycle.state not in (Cycle.State.OPEN, Cycle.State.REVIEW))


def notice_preflight(*, cycle: Cycle, now: datetime.datetime | None = None) -> NoticePreflight:
    """What stands in the way of the public notice: deadlines still running, submitted lists undecided, and the
    categories without a submitted list (no list at all, or one never submitted), which the reviewer
    acknowledges by name; and the screening flags not yet settled. Eight queries."""
    now = now or deadlines.current_time()  # the module's clock, which tests set
    last = cycle_last_deadline(cycle)
    categories = list(IncentiveCategory.objects.filter(measure__document_id=cycle.document_id)
                      .select_related("measure").order_by("measure__number", "order"))
    lists = {nl.category_id: nl for nl in NominationList.objects.filter(cycle=cycle).select_related("category", "bureau")}
    acknowledged = {a.category_id: a for a in MissingListAcknowledgement.objects.filter(cycle=cycle)
                    .select_related("acknowledged_by")}
    undecided, missing = [], []
    for category in categories:
        nl = lists.get(category.pk)
        if nl is not None and nl.state == NominationList.State.SUBMITTED:
            undecided.append(nl)
        elif nl is None or nl.state in states.states_with_bureau():
            missing.append(MissingRow(category=category, state=nl.state if nl else NOT_STARTED,
                                      acknowledgement=acknowledged.get(category.pk)))
    return NoticePreflight(
        cycle=cycle, phase=phases.phase_of(cycle, now=now, last_deadline=last), last_deadline=last,
        deadlines_passed=deadline_passed(deadline=last, now=now),
        open_bureaus=bureaus_still_open(cycle=cycle, now=now), undecided=undecided, missing=missing,
        awards=Award.objects.filter(cycle=cycle).count(),
        pending_requests=list(CapExceptionRequest.objects.filter(nomination_list__cycle=cycle,
                                                                 state=CapExceptionRequest.State.PENDING)
                              .select_related("nomination_list__category", "nomination_list__bureau")),
        unsettled_flags=screening_flags_unsettled(cycle=cycle))


def objections_of(*, cycle: Cycle) -> list[Objection]:
    return list(Objection.objects.filter(cycle=cycle).select_related("unit", "category__measure", "settled_by")
                .order_by("status", "filed_at", "id"))


def objection_for_review(*, user, pk: int) -> Objection:
    return access.restrict(Objection.objects.all(), user).select_related("cycle__programme", "unit", "category__measure", "award", "settled_by").get(pk=pk)
