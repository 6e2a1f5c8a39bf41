"""Reads of the review and of the published results. Every function runs a fixed number of queries, whatever
the number of categories, lists and awards: rows are fetched in bulk and assembled in Python."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, F, Max, Prefetch, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from measures import limits
from measures.models import (
    CapException,
    IncentiveCategory,
    Measure,
    Responsibility,
    SupportForm,
    chinese_numeral,
)
from nominations import deadlines, phases, states
from nominations.deadlines import (
    bureau_deadline,
    bureaus_still_open,
    cycle_extensions,
    cycle_last_deadline,
    deadline_passed,
    submitted_late,
)
from nominations.models import Cycle, Extension, ListComment, NominationList, Nominee
from organisation import roles
from organisation.models import AuditEntry, Bureau, Unit, UnitKind
from organisation.programmes import programmes_of

from .models import Award, CycleReopening, MissingListAcknowledgement, Objection
from .programmes import public_programme_q

# The queue's states: the list's own states plus "not started" (no list yet).
NOT_STARTED = "not_started"
# A list in these states is no longer the bureau's to do: it cannot be late any more.
DONE_STATES = tuple(s for s in states.ListState.values if s not in states.states_allowing("edit"))


def reviewer_scope(user) -> bool:
    """Review pages are the General Office's: everyone else gets 404."""
    return roles.is_reviewer(user)


def cycle_list(user=None) -> QuerySet[Cycle]:
    """Cycles, of the person's programmes when ``user`` is given: the default programme's first, newest first."""
    cycles = Cycle.objects.select_related("document", "programme")
    if user is not None:
        cycles = cycles.filter(programme__in=programmes_of(user))
    return cycles.order_by("-programme__is_default", "programme__code", "-year")


def cycle_get(*, year: int, user=None, programme_code: str | None = None) -> Cycle:
    """The cycle of ``year`` in one of the person's programmes: the one with ``programme_code`` when given, else
    the first of theirs (the default programme first). DoesNotExist outside their programmes."""
    cycles = cycle_list(user).filter(year=year)
    if programme_code:
        cycles = cycles.filter(programme__code=programme_code)
    cycle = cycles.first()
    if cycle is None:
        raise Cycle.DoesNotExist
    return cycle


# ---------------------------------------------------------------------------------------------------------------
# The reviewer's queue


@dataclass
class QueueRow:
    category: IncentiveCategory
    measure: Measure
    owners: list[Bureau]
    others: list[Bureau]
    nomination_list: NominationList | None
    state: str
    deadline: datetime.datetime
    late_bureaus: list[Bureau]
    awards: int = 0
    limit: int = limits.CAP_IN_PRINCIPLE

    @property
    def is_late(self) -> bool:
        return bool(self.late_bureaus)


@dataclass
class Queue:
    cycle: Cycle
    rows: list[QueueRow]
    total: int
    state_counts: dict[str, int]
    late_bureaus: list[tuple[Bureau, list[str]]]
    bureaus: list[Bureau]
    measures: list[Measure]
    states: list[tuple[str, str]] = field(default_factory=list)
    selected_bureau: Bureau | None = None
    selected_measure: Measure | None = None
    selected_state: str | None = None

    @property
    def submitted(self) -> int:
        return self.state_counts.get(NominationList.State.SUBMITTED, 0)

    @property
    def decided(self) -> int:
        return self.state_counts.get(NominationList.State.DECIDED, 0)


def queue_states() -> list[tuple[str, str]]:
    return [(NOT_STARTED, _("Not started")), *NominationList.State.choices]


def review_queue(*, cycle: Cycle, bureau_id: int | None = None, measure_id: int | None = None,
                 state: str | None = None, now: datetime.datetime | None = None) -> Queue:
    """Every category of the cycle's catalogue with its list's state, whether or not a list exists, filtered by
    bureau (any responsibility, or the bureau preparing the list), measure and state. Six queries."""
    now = now or timezone.now()
    categories = list(
        IncentiveCategory.objects.filter(measure__document_id=cycle.document_id)
        .select_related("measure")
        .prefetch_related(Prefetch("responsibilities", queryset=Responsibility.objects.select_related("bureau").order_by("order")))
        .order_by("measure__number", "order")
    )
    lists = {
        nl.category_id: nl
        for nl in NominationList.objects.filter(cycle=cycle).select_related("bureau")
        .annotate(nominee_count=Count("nominees", distinct=True))
    }
    awards = Counter(Award.objects.filter(cycle=cycle).order_by().values_list("category_id", flat=True))
    exceptions = dict(CapException.objects.filter(year=cycle.year, category__measure__document_id=cycle.document_id)
                      .values_list("category_id", "new_limit"))
    extensions = cycle_extensions(cycle)

    all_rows: list[QueueRow] = []
    late: dict[int, tuple[Bureau, list[str]]] = {}
    bureaus: dict[int, Bureau] = {}
    measures: dict[int, Measure] = {}
    for category in categories:
        responsibilities = list(category.responsibilities.all())
        owners = [r.bureau for r in responsibilities if r.role in Responsibility.OWNER_ROLES]
        others = [r.bureau for r in responsibilities if r.role not in Responsibility.OWNER_ROLES]
        for b in owners + others:
            bureaus[b.pk] = b
        measures[category.measure_id] = category.measure
        nl = lists.get(category.pk)
        if nl is not None:
            bureaus[nl.bureau_id] = nl.bureau
        row_state = nl.state if nl else NOT_STARTED
        # The bureau that answers for the list: the one that prepares it, or every owner while nobody has started.
        answering = [nl.bureau] if nl else owners
        late_here = []
        if row_state not in DONE_STATES:
            late_here = [b for b in answering
                         if deadline_passed(deadline=bureau_deadline(cycle=cycle, bureau=b, extensions=extensions), now=now)]
        for b in late_here:
            late.setdefault(b.pk, (b, []))[1].append(category.code)
        all_rows.append(QueueRow(
            category=category, measure=category.measure, owners=owners, others=others, nomination_list=nl,
            state=row_state,
            deadline=min((bureau_deadline(cycle=cycle, bureau=b, extensions=extensions) for b in answering),
                         default=cycle.deadline),
            late_bureaus=late_here, awards=awards.get(category.pk, 0),
            limit=limits.limit_in_force(cap=category.cap, exception_limit=exceptions.get(category.pk)),
        ))

    state_counts = Counter(r.state for r in all_rows)
    bureau = bureaus.get(bureau_id)
    measure = measures.get(measure_id)
    states = queue_states()
    state = state if state in dict(states) else None
    rows = all_rows
    if bureau is not None:
        rows = [r for r in rows if any(b.pk == bureau.pk for b in r.owners + r.others)
                or (r.nomination_list and r.nomination_list.bureau_id == bureau.pk)]
    if measure is not None:
        rows = [r for r in rows if r.measure.pk == measure.pk]
    if state:
        rows = [r for r in rows if r.state == state]
    return Queue(
        cycle=cycle, rows=rows, total=len(all_rows), state_counts=dict(state_counts),
        late_bureaus=sorted(late.values(), key=lambda item: (item[0].order, item[0].short_name)),
        bureaus=sorted(bureaus.values(), key=lambda b: (b.order, b.short_name)),
        measures=sorted(measures.values(), key=lambda m: m.number), states=states,
        selected_bureau=bureau, selected_measure=measure, selected_state=state,
    )


# ---------------------------------------------------------------------------------------------------------------
# One list under review


def nomination_list_for_review(*, user, pk: int) -> NominationList:
    """A list as the reviewer sees it, with nominees, their decisions, awards and evidence. Raises DoesNotExist
    for anyone but a reviewer, so that the view answers 404."""
    if not reviewer_scope(user):
        raise NominationList.DoesNotExist
    return (
        NominationList.objects.filter(cycle__programme__in=programmes_of(user))
        .select_related("cycle__programme", "category__measure", "bureau", "submitted_by")
        .prefetch_related(
            Prefetch("nominees", queryset=Nominee.objects.select_related(
                "unit__parent", "decision__decided_by", "award").prefetch_related("evidence").order_by("rank")),
            Prefetch("comments", queryset=ListComment.objects.select_related("author", "bureau")),
        )
        .get(pk=pk)
    )


def category_for_review(*, user, pk: int) -> IncentiveCategory:
    """A category of one of the reviewer's programmes, with its measure, document and programme."""
    if not reviewer_scope(user):
        raise IncentiveCategory.DoesNotExist
    return (IncentiveCategory.objects.filter(measure__document__programme__in=programmes_of(user))
            .select_related("measure__document__programme").get(pk=pk))


def audit_trail_for_many(targets) -> QuerySet[AuditEntry]:
    """The audit records of several objects at once, newest first (two queries at most)."""
    condition = Q(pk__in=[])
    for target in targets:
        if target is None:
            continue
        content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        condition |= Q(target_type=content_type, target_id=target.pk)
    return AuditEntry.objects.filter(condition).select_related("actor").order_by("-at", "-id")


def cap_exception_for(*, cycle: Cycle, category) -> CapException | None:
    return CapException.objects.filter(year=cycle.year, category=category).select_related("decided_by").first()


def cycle_audit_trail(cycle: Cycle) -> list[AuditEntry]:
    return list(audit_trail_for_many([cycle]))


def cycle_reopenings(cycle: Cycle) -> QuerySet[CycleReopening]:
    return cycle.reopenings.select_related("reopened_by")


# ---------------------------------------------------------------------------------------------------------------
# Public results (主动公开): only published cycles


def published_cycles(programme_code: str | None = None) -> QuerySet[Cycle]:
    """The published cycles of one programme (the default one unless ``programme_code`` names another)."""
    return (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED)
            .select_related("document", "programme").annotate(award_count=Count("awards")).order_by("-year"))


def results_version(programme_code: str | None = None) -> str:
    """Changes whenever the published results of the programme can have changed: a publication (new
    ``published_at``) or a reopening (one published cycle fewer). One query."""
    row = (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED)
           .aggregate(n=Count("id"), last=Max("published_at")))
    last = row["last"].timestamp() if row["last"] else 0
    return f"{row['n']}-{last:.6f}"


def published_cycle_get(*, year: int, programme_code: str | None = None) -> Cycle:
    return (Cycle.objects.select_related("document", "programme")
            .get(public_programme_q(programme_code), year=year, state=Cycle.State.PUBLISHED))


def _awards_published() -> QuerySet[Award]:
    return Award.objects.filter(cycle__state=Cycle.State.PUBLISHED)


def _district_of(unit: Unit) -> Unit | None:
    if unit.kind_id == UnitKind.DISTRICT:
        return unit
    if unit.parent_id and unit.parent.kind_id == UnitKind.DISTRICT:
        return unit.parent
    return None


def _division_key(unit: Unit):
    # Streets and towns sort right under their district; demo data numbers them district order + n.
    return (unit.division_order, unit.name)


@dataclass
class MeasureShown:
    """A measure as a results page shows it: as it read at publication for a published year."""

    number: int
    title: str
    support_forms: list[str]
    support_text: str

    @property
    def numeral(self) -> str:
        return chinese_numeral(self.number)

    def get_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.support_forms]


@dataclass
class CategoryShown:
    code: str
    name: str


@dataclass
class MeasureResult:
    measure: MeasureShown
    categories: list[tuple[CategoryShown, list[Award]]]

    @property
    def award_count(self) -> int:
        return sum(len(awards) for _category, awards in self.categories)


def _award_division_key(award: Award):
    order = award.published_division_order if award.is_frozen else award.unit.division_order
    return (order if order is not None else 1000, award.shown_unit_name)


def group_awards(awards) -> list[MeasureResult]:
    """Awards grouped by measure and category, units in administrative order, each as it read when its year was
    published (the frozen values), or as the catalogue reads now before that."""
    by_category: dict[int, list[Award]] = defaultdict(list)
    firsts: dict[int, Award] = {}
    for award in awards:
        by_category[award.category_id].append(award)
        firsts.setdefault(award.category_id, award)
    by_measure: dict[int, MeasureResult] = {}
    for category_id, first in sorted(firsts.items(),
                                     key=lambda item: (item[1].shown_measure_number, item[1].category.order)):
        group = by_measure.get(first.category.measure_id)
        if group is None:
            group = by_measure[first.category.measure_id] = MeasureResult(measure=MeasureShown(
                number=first.shown_measure_number, title=first.shown_measure_title,
                support_forms=first.shown_support_forms, support_text=first.shown_support_text), categories=[])
        group.categories.append((CategoryShown(code=first.category.code, name=first.shown_category_name),
                                 sorted(by_category[category_id], key=_award_division_key)))
    return sorted(by_measure.values(), key=lambda g: g.measure.number)


def cycle_results(*, cycle: Cycle) -> list[MeasureResult]:
    """The awardees of a published cycle grouped by measure and category, units in administrative order, as they
    read at publication. One query."""
    return group_awards(
        Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.PUBLISHED)
        .select_related("unit__parent", "unit__kind", "category__measure")
    )


# ---------------------------------------------------------------------------------------------------------------
# The public notice (公示) and its objections


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

    @property
    def to_acknowledge(self) -> list[MissingRow]:
        return [row for row in self.missing if row.acknowledgement is None]

    @property
    def blocked(self) -> bool:
        return not self.deadlines_passed or bool(self.undecided) or self.cycle.state not in (
            Cycle.State.OPEN, Cycle.State.REVIEW)


def notice_preflight(*, cycle: Cycle, now: datetime.datetime | None = None) -> NoticePreflight:
    """What stands in the way of the public notice: deadlines still running, submitted lists undecided, and the
    categories without a submitted list (no list at all, or one never submitted), which the reviewer
    acknowledges by name. Five queries."""
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
        elif nl is None or nl.state in states.states_allowing("edit"):
            missing.append(MissingRow(category=category, state=nl.state if nl else NOT_STARTED,
                                      acknowledgement=acknowledged.get(category.pk)))
    return NoticePreflight(
        cycle=cycle, phase=phases.phase_of(cycle, now=now, last_deadline=last), last_deadline=last,
        deadlines_passed=deadline_passed(deadline=last, now=now),
        open_bureaus=bureaus_still_open(cycle=cycle, now=now), undecided=undecided, missing=missing,
        awards=Award.objects.filter(cycle=cycle).count())


def objections_of(*, cycle: Cycle) -> list[Objection]:
    return list(Objection.objects.filter(cycle=cycle).select_related("unit", "category__measure", "settled_by")
                .order_by("status", "filed_at", "id"))


def objection_for_review(*, user, pk: int) -> Objection:
    if not reviewer_scope(user):
        raise Objection.DoesNotExist
    return Objection.objects.filter(cycle__programme__in=programmes_of(user)).select_related("cycle__programme", "unit", "category__measure", "award", "settled_by").get(pk=pk)


def unit_history(*, unit: Unit) -> list[Award]:
    """Every award a unit received in published cycles, newest first. One query."""
    return list(
        _awards_published().filter(unit=unit).select_related("cycle__programme", "category__measure")
        .order_by("-cycle__year", "category__measure__number", "category__order")
    )


def unit_public_get(*, pk: int) -> Unit:
    return Unit.objects.select_related("parent", "kind", "programme").get(pk=pk)


def repeat_winners(*, cycle: Cycle | None = None) -> set[int]:
    """Units that won in more than one published cycle (any category), among the awardees of ``cycle`` when given.
    One query; restricted to one cycle's awardees it stays small however many years there are."""
    awards = _awards_published()
    if cycle is not None:
        awards = awards.filter(unit_id__in=Award.objects.filter(cycle=cycle).values("unit_id"))
    rows = awards.order_by().values("unit_id").annotate(years=Count("cycle", distinct=True)).filter(years__gt=1)
    return {row["unit_id"] for row in rows}


# ---------------------------------------------------------------------------------------------------------------
# Statistics of published cycles


@dataclass
class Statistics:
    years: list[int]
    districts: list[tuple[Unit, list[int], int]]     # district, awards per year (aligned with years), total
    measures: list[tuple[Measure, list[int], int]]   # measure, awards per year, total
    punctuality: list[tuple[Bureau, int, int, int]]       # bureau, on time, late, never submitted


def statistics(programme_code: str | None = None) -> Statistics:
    """Awards per district and year, per measure, and each bureau's punctuality, over published cycles.

    Counted by the database (GROUP BY), so the work in Python grows with the number of districts, measures and
    years shown, not with the number of awards. A fixed number of queries (seven)."""
    cycles = list(Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED).order_by("year"))
    years = [c.year for c in cycles]
    published = _awards_published().filter(cycle__in=cycles).order_by()
    # A street's or town's award counts for its district.
    district_of_unit = Case(
        When(unit__kind_id=UnitKind.DISTRICT, then=F("unit_id")),
        When(unit__parent__kind_id=UnitKind.DISTRICT, then=F("unit__parent_id")),
        default=None,
    )
    # One GROUP BY gives both tallies: rows per (measure, year, district) are few, whatever the number of awards.
    district_counts: dict[int, Counter] = defaultdict(Counter)
    measure_counts: dict[int, Counter] = defaultdict(Counter)
    for row in (published.annotate(district_id=district_of_unit)
                .values("category__measure_id", "cycle__year", "district_id").annotate(n=Count("id"))):
        measure_counts[row["category__measure_id"]][row["cycle__year"]] += row["n"]
        if row["district_id"] is not None:
            district_counts[row["district_id"]][row["cycle__year"]] += row["n"]
    district_units = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT).filter(
        (Q(is_active=True) & public_programme_q(programme_code)) | Q(pk__in=district_counts))
        .order_by("division_order", "name"))
    districts = [(d, [district_counts[d.pk][y] for y in years], sum(district_counts[d.pk].values())) for d in district_units]
    # Measures of different notices are kept apart; within one notice by number.
    measures = sorted(Measure.objects.filter(pk__in=measure_counts), key=lambda m: (m.number, m.document_id))
    measure_rows = [(m, [measure_counts[m.pk][y] for y in years], sum(measure_counts[m.pk].values())) for m in measures]
    return Statistics(years=years, districts=districts, measures=measure_rows, punctuality=_punctuality(cycles))


def _punctuality(cycles: list[Cycle]) -> list[tuple[Bureau, int, int, int]]:
    """Per owning bureau over the published cycles: lists submitted by the (extended) deadline, after it, never.

    A list's ``submitted_at`` is its latest submission; a list returned and submitted again after the deadline
    counts as late."""
    if not cycles:
        return []
    cycle_ids = [c.pk for c in cycles]
    extensions: dict[int, dict[int, datetime.datetime]] = defaultdict(dict)
    for cycle_id, bureau_id, new_deadline in (Extension.objects.filter(cycle_id__in=cycle_ids)
                                              .values_list("cycle_id", "bureau_id", "new_deadline")):
        extensions[cycle_id][bureau_id] = new_deadline
    # Only the three columns the tally needs: thousands of lists over the years, never loaded as model objects.
    lists = {(cycle_id, category_id): (bureau_id, submitted_at) for cycle_id, category_id, bureau_id, submitted_at in
             NominationList.objects.filter(cycle_id__in=cycle_ids).values_list("cycle_id", "category_id", "bureau_id", "submitted_at")}
    owners: dict[int, list[tuple[int, Bureau]]] = defaultdict(list)
    for r in (Responsibility.objects.filter(category__measure__document_id__in={c.document_id for c in cycles},
                                            role__in=Responsibility.OWNER_ROLES)
              .select_related("bureau", "category__measure")):
        owners[r.category.measure.document_id].append((r.category_id, r.bureau))
    tally: dict[int, list] = {}
    for cycle in cycles:
        for category_id, bureau in owners[cycle.document_id]:
            list_bureau_id, submitted_at = lists.get((cycle.pk, category_id), (None, None))
            if list_bureau_id is not None and list_bureau_id != bureau.pk:
                continue  # a joint category: the bureau that prepared the list answers for it
            deadline = bureau_deadline(cycle=cycle, bureau=bureau, extensions=extensions[cycle.pk])
            entry = tally.setdefault(bureau.pk, [bureau, 0, 0, 0])
            if submitted_at is None:
                entry[3] += 1
            elif submitted_late(submitted_at=submitted_at, deadline=deadline):
                entry[2] += 1
            else:
                entry[1] += 1
    return sorted((tuple(v) for v in tally.values()), key=lambda t: (t[0].order, t[0].short_name))
