"""Public results (主动公开), only of published cycles: the cycles, the awards grouped by measure and category as they read
at publication, a unit's history, repeat winners, the statistics and the bureaus' punctuality."""

import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, FilteredRelation, Max, OuterRef, Q, QuerySet, Subquery, Sum, When

from measures.models import Measure, Responsibility, SupportForm, chinese_numeral
from nominations import deadlines
from nominations.models import Cycle
from organisation.models import Bureau, Unit, UnitKind

from ..models import Award, Bulletin, Objection, StatisticsTally
from ..programmes import public_programme_q


def published_cycles(programme_code: str | None = None) -> QuerySet[Cycle]:
    """The published cycles of one programme (the default one unless ``programme_code`` names another), each with
    its number of awards and the id of its newest rendered bulletin (``bulletin_id``, None before the first)."""
    newest_done = (Bulletin.objects.filter(cycle=OuterRef("pk"), status=Bulletin.Status.DONE)
                   .order_by("-version").values("pk")[:1])
    return (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED)
            .select_related("document", "programme")
            .annotate(award_count=Count("awards"), bulletin_id=Subquery(newest_done)).order_by("-year"))


def _contact_key(contact: str) -> str:
    """A contact as compared: without spaces, dashes and brackets, lower case (“020-8300 0000” is “02083000000”)."""
    return "".join(ch for ch in (contact or "").lower() if ch not in " \t-()（）－")


def objection_by_receipt(*, receipt: str, contact: str, programme_code: str | None = None) -> Objection | None:
    """An objection of the programme whose receipt number and contact (the telephone or address its objector gave)
    both match; None otherwise, the same whichever part was wrong. An objection whose personal data was removed
    has no contact left to match."""
    receipt = (receipt or "").strip().upper()
    given = _contact_key(contact)
    if not receipt or not given:
        return None
    objection = (Objection.objects.select_related("cycle", "category__measure", "unit")
                 .filter(public_programme_q(programme_code, prefix="cycle__programme"), receipt=receipt).first())
    if objection is None or objection.personal_data_removed_at is not None:
        return None
    return objection if hmac.compare_digest(_contact_key(objection.contact), given) else None


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
    """A category as a results page shows it, with its support in the notice's words (as at publication)."""

    code: str
    name: str
    support_forms: list[str] = field(default_factory=list)
    support_text: str = ""

    def get_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.support_forms]


@dataclass
class MeasureResult:
    measure: MeasureShown
    categories: list[tuple[CategoryShown, list[Award]]]

    @property
    def award_count(self) -> int:
        return sum(len(awards) for _category, awards in self.categories)


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
        group.categories.append((CategoryShown(code=first.category.code, name=first.shown_category_name,
                                               support_forms=first.shown_support_forms,
                                               support_text=first.shown_support_text),
                                 sorted(by_category[category_id], key=Award.awardee_order)))
    return sorted(by_measure.values(), key=lambda g: g.measure.number)


def cycle_results(*, cycle: Cycle) -> list[MeasureResult]:
    """The awardees of a published cycle grouped by measure and category, units in administrative order, as they
    read at publication. One query."""
    return group_awards(
        Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.PUBLISHED)
        .select_related("unit__parent", "unit__kind", "category__measure", "higher_award")
    )


# A unit's public history in pages of this many years, the newest first (a district awarded in many categories a
# year fills a page with a dozen rows or more).
UNIT_HISTORY_YEARS = 3


class HistoryPageNotFound(LookupError):
    """A page of a unit's history that does not exist (before the first or after the last)."""


@dataclass
class UnitHistory:
    awards: list[Award]  # the awards of the page's years, newest year first
    years: list[int]  # every year the unit was awarded in, newest first (the page's summary counts all of them)
    award_count: int  # every award, on every page
    page: int
    page_count: int

    @property
    def newer_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def older_page(self) -> int | None:
        return self.page + 1 if self.page < self.page_count else None


def unit_history(*, unit: Unit, page: int = 1, years_per_page: int = UNIT_HISTORY_YEARS) -> UnitHistory:
    """The awards a unit received in published cycles, a page of ``years_per_page`` years at a time, newest
    first; HistoryPageNotFound for a page that does not exist (page 1 always does). Two queries: the years with
    their counts (as many rows as there are years, grouped by the database), then the awards of the page's years."""
    per_year = list(_awards_published().filter(unit=unit).order_by().values_list("cycle__year")
                    .annotate(n=Count("id")).order_by("-cycle__year"))
    years = [year for year, _n in per_year]
    page_count = max(1, -(-len(years) // years_per_page))
    if not 1 <= page <= page_count:
        raise HistoryPageNotFound(page)
    shown = years[(page - 1) * years_per_page:page * years_per_page]
    awards = list(
        _awards_published().filter(unit=unit, cycle__year__in=shown).select_related("cycle", "category__measure")
        # The long texts are not shown here (the names and forms of support are, frozen or current).
        .defer("published_category_description", "published_support_text", "category__description",
               "category__support_text", "category__measure__text", "category__measure__support_text")
        .order_by("-cycle__year", "category__measure__number", "category__order")
    ) if shown else []
    return UnitHistory(awards=awards, years=years, award_count=sum(n for _year, n in per_year), page=page,
                       page_count=page_count)


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


STATISTICS_YEARS_PER_PAGE = 10  # the year columns of the statistics' tables and charts, newest first by page


@dataclass
class Statistics:
    years: list[int]                                  # the years shown (one page of them), oldest first
    districts: list[tuple[Unit, list[int], int]]     # district, awards per year shown (aligned with years), total
    measures: list[tuple[Measure, list[int], int]]   # measure, awards per year shown, total of every year
    punctuality: list[tuple[Bureau, int, int, int]]       # bureau, on time, late, never submitted (every year)
    all_years: list[int] = field(default_factory=list)  # every published year, oldest first
    page: int = 1                                     # 1: the newest years
    pages: int = 1

    @property
    def newer_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def older_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def _award_counts(cycles: list[Cycle], *, published_only: bool = True) -> tuple[dict, dict]:
    """Awards per district and year, and per measure and year, of ``cycles``: one GROUP BY, its rows per
    (measure, year, district) few whatever the number of awards. A street's or town's award counts for its
    district."""
    awards = (_awards_published() if published_only else Award.objects.all()).filter(cycle__in=cycles).order_by()
    district_of_unit = Case(
        When(unit__kind_id=UnitKind.DISTRICT, then=F("unit_id")),
        When(unit__parent__kind_id=UnitKind.DISTRICT, then=F("unit__parent_id")),
        default=None,
    )
    district_counts: dict[int, Counter] = defaultdict(Counter)
    measure_counts: dict[int, Counter] = defaultdict(Counter)
    for row in (awards.annotate(district_id=district_of_unit)
                .values("category__measure_id", "cycle__year", "district_id").annotate(n=Count("id"))):
        measure_counts[row["category__measure_id"]][row["cycle__year"]] += row["n"]
        if row["district_id"] is not None:
            district_counts[row["district_id"]][row["cycle__year"]] += row["n"]
    return district_counts, measure_counts


def statistics_tally_rows(cycle: Cycle) -> list[StatisticsTally]:
    """The stored tallies of one year as its publication writes them (unsaved): the year's marker, its awards
    per district and per measure, its bureaus' punctuality. Three queries."""
    district_counts, measure_counts = _award_counts([cycle], published_only=False)
    kind = StatisticsTally.Kind
    rows = [StatisticsTally(cycle=cycle, kind=kind.YEAR, subject_id=0)]
    rows += [StatisticsTally(cycle=cycle, kind=kind.DISTRICT, subject_id=pk, first=counts[cycle.year])
             for pk, counts in district_counts.items()]
    rows += [StatisticsTally(cycle=cycle, kind=kind.MEASURE, subject_id=pk, first=counts[cycle.year])
             for pk, counts in measure_counts.items()]
    rows += [StatisticsTally(cycle=cycle, kind=kind.PUNCTUALITY, subject_id=pk, first=on_time, second=late,
                             third=never)
             for pk, (on_time, late, never) in _punctuality_tally([cycle]).items()]
    return rows


def statistics(programme_code: str | None = None, *, page: int = 1,
               years_per_page: int = STATISTICS_YEARS_PER_PAGE, with_punctuality: bool = True) -> Statistics:
    """Awards per district and per measure for one page of published years (the newest first) with their totals
    over every published year, and each bureau's punctuality over every published year.

    Read from the tallies each publication stored (``StatisticsTally``), whatever the number of years: the year
    markers and the shown years' rows as plain rows, the totals and the punctuality summed by the database (a
    province stores 400,000 tallies). A published year without its tallies (published before they existed, or
    written by hand) is counted by the database as before (GROUP BY): a few more queries, the same figures.
    ``with_punctuality=False`` (the public page, which does not show it) leaves the punctuality out."""
    cycles = list(Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED).order_by("year"))
    pages = max(1, -(-len(cycles) // years_per_page))
    page = min(max(page, 1), pages)
    shown = cycles[max(len(cycles) - page * years_per_page, 0):len(cycles) - (page - 1) * years_per_page]
    years = [c.year for c in shown]
    year_of = {c.pk: c.year for c in cycles}
    shown_ids = {c.pk for c in shown}
    district_counts: dict[int, Counter] = defaultdict(Counter)   # per shown year
    measure_counts: dict[int, Counter] = defaultdict(Counter)
    district_totals: Counter = Counter()                          # over every year
    measure_totals: Counter = Counter()
    punctuality: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    kind = StatisticsTally.Kind
    stored = StatisticsTally.objects.filter(cycle_id__in=year_of).order_by()
    per_year = list(stored.filter(Q(kind=kind.YEAR) | Q(kind__in=[kind.DISTRICT, kind.MEASURE], cycle_id__in=shown_ids))
                    .values_list("kind", "subject_id", "cycle_id", "first")) if cycles else []
    tallied = {cycle_id for tally_kind, _subject, cycle_id, _first in per_year if tally_kind == kind.YEAR}
    for tally_kind, subject_id, cycle_id, first in per_year:
        if cycle_id in tallied and tally_kind != kind.YEAR:
            target = district_counts if tally_kind == kind.DISTRICT else measure_counts
            target[subject_id][year_of[cycle_id]] += first
    if tallied:
        for tally_kind, subject_id, total in (stored.filter(cycle_id__in=tallied, kind__in=[kind.DISTRICT, kind.MEASURE])
                                              .values("kind", "subject_id").annotate(total=Sum("first"))
                                              .values_list("kind", "subject_id", "total")):
            (district_totals if tally_kind == kind.DISTRICT else measure_totals)[subject_id] += total
        for subject_id, on_time, late, never in (stored.filter(cycle_id__in=tallied if with_punctuality else [],
                                                              kind=kind.PUNCTUALITY)
                                                 .values("subject_id")
                                                 .annotate(on_time=Sum("first"), late=Sum("second"), never=Sum("third"))
                                                 .values_list("subject_id", "on_time", "late", "never")):
            punctuality[subject_id] = [on_time, late, never]
    untallied = [c for c in cycles if c.pk not in tallied]
    if untallied:
        more_districts, more_measures = _award_counts(untallied)
        for counts, totals, more in ((district_counts, district_totals, more_districts),
                                     (measure_counts, measure_totals, more_measures)):
            for pk, by_year in more.items():
                counts[pk].update({year: n for year, n in by_year.items() if year in years})
                totals[pk] += sum(by_year.values())
        for pk, counts in (_punctuality_tally(untallied) if with_punctuality else {}).items():
            punctuality[pk] = [a + b for a, b in zip(punctuality[pk], counts, strict=True)]
    district_units = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT).filter(
        (Q(is_active=True) & public_programme_q(programme_code)) | Q(pk__in=list(district_totals)))
        .order_by("division_order", "name"))
    districts = [(d, [district_counts[d.pk][y] for y in years], district_totals[d.pk]) for d in district_units]
    # Measures of different notices are kept apart; within one notice by number.
    measures = sorted(Measure.objects.filter(pk__in=list(measure_totals)), key=lambda m: (m.number, m.document_id))
    measure_rows = [(m, [measure_counts[m.pk][y] for y in years], measure_totals[m.pk]) for m in measures]
    return Statistics(years=years, districts=districts, measures=measure_rows,
                      punctuality=_punctuality_rows(punctuality), all_years=[c.year for c in cycles], page=page,
                      pages=pages)


def _punctuality_rows(tally: dict) -> list[tuple[Bureau, int, int, int]]:
    """The bureaus of a punctuality tally (bureau id → on time, late, never), in the bureaus' order: one query."""
    if not tally:
        return []
    bureaus = Bureau.objects.in_bulk(tally)
    return sorted(((bureaus[pk], *counts) for pk, counts in tally.items()), key=lambda t: (t[0].order, t[0].short_name))


def _punctuality_tally(cycles: list[Cycle]) -> dict[int, tuple[int, int, int]]:
    """Per owning bureau over the published cycles: lists submitted by the (extended) deadline, after it, never.

    A list's ``submitted_at`` is its latest submission; a list returned and submitted again after the deadline
    counts as late. Counted by the database in one query grouped by bureau (every owner of every category of
    every published cycle's notice, its list if any, its deadline and the lateness rule from
    ``nominations.deadlines``), then the bureaus shown are loaded: two queries, whatever the number of lists."""
    if not cycles:
        return {}
    cycle_ids = [c.pk for c in cycles]
    cycle = "category__measure__document__cycles"  # each owner of a category, once per cycle of its notice
    submitted = Q(the_list__submitted_at__isnull=False)
    late = Q(deadlines.submitted_late_expression(
        submitted_at="the_list__submitted_at",
        deadline=deadlines.deadline_with_extension_expression(F(f"{cycle}__deadline"), F("extension__new_deadline"))))
    rows = (Responsibility.objects.filter(role__in=Responsibility.OWNER_ROLES)
            .alias(cycle_pk=F(f"{cycle}__id")).filter(cycle_pk__in=cycle_ids)
            # Joined, not one subquery per row: the cycle's list of the category, the bureau's extension in it.
            .alias(the_list=FilteredRelation("category__lists", condition=Q(category__lists__cycle_id=F("cycle_pk"))),
                   extension=FilteredRelation("bureau__extensions",
                                              condition=Q(bureau__extensions__cycle_id=F("cycle_pk"))))
            # A joint category: the bureau that prepared the list answers for it, its co-owners do not.
            .filter(Q(the_list__bureau_id__isnull=True) | Q(the_list__bureau_id=F("bureau_id")))
            .order_by().values("bureau_id")
            .annotate(on_time=Count("pk", filter=submitted & ~late), late=Count("pk", filter=submitted & late),
                      never=Count("pk", filter=~submitted)))
    return {row["bureau_id"]: (row["on_time"], row["late"], row["never"]) for row in rows}


def _punctuality(cycles: list[Cycle]) -> list[tuple[Bureau, int, int, int]]:
    """Per owning bureau over ``cycles``: lists on time, late, never submitted, counted now (``_punctuality_tally``)."""
    return _punctuality_rows(_punctuality_tally(cycles))
