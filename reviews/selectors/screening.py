"""Screening (负面清单): the register of disqualifying events, and the flags they raise on a year's proposed awardees
(an award whose unit has an event in the evaluated year), with their settlements."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from nominations.models import Cycle
from organisation import access
from organisation.models import Programme, Unit

from ..models import Award, ScreeningEvent, ScreeningSettlement

# The phases whose flags wait for a settlement (the public notice is refused until there are none).
FLAGGED_STATES = (Cycle.State.OPEN, Cycle.State.REVIEW)


@dataclass
class Flag:
    """A proposed awardee of a category with a screening event in the evaluated year, and its settlement."""

    cycle: Cycle
    award: Award | None        # None once the award was withdrawn on this flag
    event: ScreeningEvent
    category_id: int
    unit_id: int
    settlement: ScreeningSettlement | None = None

    @property
    def settled(self) -> bool:
        return self.settlement is not None

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.category_id, self.unit_id, self.event.pk)


def screening_programmes(user) -> QuerySet[Programme]:
    """The programmes whose register of screening events the person keeps (their reviewers)."""
    return access.restrict(Programme.objects.all(), user, "review")


def screening_programme(user, code: str | None = None) -> Programme:
    """The programme the register page shows: ``code`` when given, else the person's first (the default first);
    ``NotYours`` when it is not one they review."""
    programmes = screening_programmes(user).order_by("-is_default", "code")
    programme = programmes.filter(code=code).first() if code else programmes.first()
    if programme is None:
        raise access.NotYours
    return programme


def screening_events(*, user, programme: Programme) -> list[ScreeningEvent]:
    """The programme's register, newest event first (one query)."""
    return list(access.restrict(ScreeningEvent.objects.filter(programme=programme), user)
                .select_related("unit__kind", "recorded_by").order_by("-occurred_on", "-id"))


def screening_units(*, programme: Programme) -> QuerySet[Unit]:
    """The units an event may name: the programme's, in administrative order."""
    return Unit.objects.filter(programme=programme).order_by("division_order", "name")


def _year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def events_in_year(*, unit_ids, year: int) -> QuerySet[ScreeningEvent]:
    """The events of ``unit_ids`` that fall (in part) in the performance year ``year``."""
    first, last = _year_bounds(year)
    return (ScreeningEvent.objects.filter(unit_id__in=unit_ids, occurred_on__lte=last)
            .filter(Q(ended_on__gte=first) | Q(ended_on__isnull=True, occurred_on__gte=first)))


def _events_by_unit(cycle: Cycle, unit_ids) -> dict[int, list[ScreeningEvent]]:
    """The programme's events of ``unit_ids`` in the cycle's year, by unit (one query; none without units)."""
    by_unit: dict[int, list[ScreeningEvent]] = {}
    if not unit_ids:
        return by_unit
    for event in (events_in_year(unit_ids=unit_ids, year=cycle.year).filter(programme_id=cycle.programme_id)
                  .select_related("unit").order_by("occurred_on", "id")):
        by_unit.setdefault(event.unit_id, []).append(event)
    return by_unit


def _flags(cycle: Cycle, awards, by_unit, settled: dict) -> list[Flag]:
    flags = []
    for award in awards:
        for event in by_unit.get(award.unit_id, []):
            key = (award.category_id, award.unit_id, event.pk)
            flags.append(Flag(cycle=cycle, award=award, event=event, category_id=award.category_id,
                              unit_id=award.unit_id, settlement=settled.pop(key, None)))
    return flags


def screening_flags(*, cycle: Cycle, category_id: int | None = None) -> list[Flag]:
    """Every flag of the cycle (of one category when given): each award whose unit has an event in the year, with
    its settlement; and the settlements whose award was withdrawn on them. Three queries."""
    awards = Award.objects.filter(cycle=cycle).select_related("unit", "category", "nominee")
    settlements = ScreeningSettlement.objects.filter(cycle=cycle).select_related("event__unit", "settled_by")
    if category_id is not None:
        awards, settlements = awards.filter(category_id=category_id), settlements.filter(category_id=category_id)
    awards = list(awards)
    by_unit = _events_by_unit(cycle, {a.unit_id for a in awards})
    settled = {(s.category_id, s.unit_id, s.event_id): s for s in settlements}
    flags = _flags(cycle, awards, by_unit, settled)
    # Settled flags without their award (withdrawn on the flag, or on an objection afterwards).
    flags += [Flag(cycle=cycle, award=None, event=s.event, category_id=s.category_id, unit_id=s.unit_id,
                   settlement=s) for s in settled.values()]
    return flags


def screening_flags_unsettled(*, cycle: Cycle) -> list[Flag]:
    return [flag for flag in screening_flags(cycle=cycle) if not flag.settled]


def screening_flags_by_award(*, cycle: Cycle, awards: list[Award]) -> dict[int, list[Flag]]:
    """The flags of ``awards`` (a list's, already read), by award id, for the review page: one query for the
    events, one more for the settlements only when there are events."""
    by_unit = _events_by_unit(cycle, {a.unit_id for a in awards})
    if not by_unit:
        return {}
    settled = {(s.category_id, s.unit_id, s.event_id): s for s in ScreeningSettlement.objects.filter(
        cycle=cycle, unit_id__in=list(by_unit)).select_related("settled_by")}
    found: dict[int, list[Flag]] = {}
    for flag in _flags(cycle, awards, by_unit, settled):
        found.setdefault(flag.award.pk, []).append(flag)
    return found


def screening_flags_waiting(user) -> int:
    """How many flags wait for the person's settlement: unsettled flags of the cycles they review that are still
    before the public notice. Asked of the door (the awards the person reviews): one query when the register holds
    no event, else one for the awards of its units, one per year of them for their events and one for the
    settlements."""
    # Only the awards of units with an event at all: a province's open year has a hundred thousand awards and its
    # register a few hundred units (read first: without any, no award is read).
    event_units = set(ScreeningEvent.objects.values_list("unit_id", flat=True).distinct())
    if not event_units:
        return 0
    awards = access.restrict(Award.objects.filter(cycle__state__in=FLAGGED_STATES, unit_id__in=event_units), user)
    pairs = list(awards.values_list("cycle_id", "cycle__year", "cycle__programme_id", "category_id", "unit_id"))
    if not pairs:
        return 0
    years = {year for _c, year, _p, _cat, _u in pairs}
    events = {}
    for year in years:
        for event in (events_in_year(unit_ids={u for _c, y, _p, _cat, u in pairs if y == year}, year=year)
                      .values("pk", "unit_id", "programme_id")):
            events.setdefault((year, event["unit_id"], event["programme_id"]), []).append(event["pk"])
    settled = set(ScreeningSettlement.objects.filter(cycle_id__in={c for c, *_rest in pairs})
                  .values_list("cycle_id", "category_id", "unit_id", "event_id"))
    return sum(1 for cycle_id, year, programme_id, category_id, unit_id in pairs
               for event_id in events.get((year, unit_id, programme_id), [])
               if (cycle_id, category_id, unit_id, event_id) not in settled)


def screening_event_get(*, user, pk) -> ScreeningEvent:
    return access.get(ScreeningEvent.objects.select_related("unit", "programme"), user, pk=pk)


def award_for_screening(*, user, pk) -> Award:
    """An award of a programme the person reviews, with its cycle, unit and category; ``NotYours`` otherwise."""
    return access.get(Award.objects.select_related("cycle__programme", "unit", "category", "nominee"), user, pk=pk)
