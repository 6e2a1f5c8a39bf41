"""The balance of the year (激励少数、培育多数): before deciding, the General Office looks at how the proposed awardees
spread over districts, kinds of unit and measures, which districts have none, and which units were rewarded in the
same category year after year. What the programme wants flagged is its ``BalanceSettings`` (the same unit
``repeat_years`` years running, this one included)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from nominations.models import Cycle
from organisation.models import Unit, UnitKind

from ..charts import Chart, stacked_bar_chart
from ..models import Award, BalanceSettings


def district_of(unit: Unit) -> Unit | None:
    """The district a unit counts for: itself, or the district it lies in (a street or a town); else none."""
    if unit.kind_id == UnitKind.DISTRICT:
        return unit
    if unit.parent_id and unit.parent.kind_id == UnitKind.DISTRICT:
        return unit.parent
    return None


@dataclass
class RepeatRow:
    """A proposed awardee and the years of the window it was rewarded in the same category (by the category's
    code, which stays when the catalogue is reissued)."""

    award: Award
    won: list[bool]            # one per year of ``Balance.years``, the cycle's own last
    flagged: bool

    @property
    def years_won(self) -> int:
        return sum(self.won)


@dataclass
class Balance:
    cycle: Cycle
    repeat_years: int
    years: list[int]
    awards: list[Award]
    by_district: list[tuple[Unit, int, int]] = field(default_factory=list)   # district, selections, entitlements
    outside_districts: int = 0                                                 # awards of units in no district
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_measure: list[tuple[int, str, int]] = field(default_factory=list)     # number, title, awards
    districts_without: list[Unit] = field(default_factory=list)
    repeats: list[RepeatRow] = field(default_factory=list)                   # won at least once before

    @property
    def total(self) -> int:
        return len(self.awards)

    @property
    def flagged(self) -> list[RepeatRow]:
        return [row for row in self.repeats if row.flagged]

    def district_chart(self) -> Chart:
        return stacked_bar_chart(title=_("Proposed awardees by district"),
                                 rows=[(d.name, [selections, entitlements]) for d, selections, entitlements
                                       in self.by_district],
                                 series=[_("Selections"), _("Entitlements")])

    def kind_chart(self) -> Chart:
        return stacked_bar_chart(title=_("Proposed awardees by kind of unit"),
                                 rows=[(name, [count]) for name, count in self.by_kind],
                                 series=[_("Proposed awardees")])


def balance_of(*, cycle: Cycle) -> Balance:
    """The balance of ``cycle``'s proposed awardees (its awards as they stand), and of the published years of the
    programme's window before it. Four queries whatever the number of awards."""
    repeat_years = BalanceSettings.current(cycle.programme_id).repeat_years
    years = list(range(cycle.year - repeat_years + 1, cycle.year + 1))
    awards = list(Award.objects.filter(cycle=cycle).select_related("unit__kind", "unit__parent", "category__measure")
                  .order_by("category__measure__number", "category__order", "slot", "pk"))
    result = Balance(cycle=cycle, repeat_years=repeat_years, years=years, awards=awards)

    selections, entitlements, kinds, measures = Counter(), Counter(), Counter(), {}
    districts = {}
    for award in awards:
        district = district_of(award.unit)
        if district is None:
            result.outside_districts += 1
        else:
            districts[district.pk] = district
            (entitlements if award.is_entitlement else selections)[district.pk] += 1
        kinds[award.unit.kind.name] += 1
        measure = award.category.measure
        number, title, count = measures.get(measure.number, (measure.number, measure.title, 0))
        measures[measure.number] = (number, title, count + 1)
    all_districts = list(Unit.objects.filter(programme_id=cycle.programme_id, kind_id=UnitKind.DISTRICT,
                                             is_active=True).order_by("division_order", "name"))
    for district in all_districts:
        districts.setdefault(district.pk, district)
    result.by_district = sorted(((d, selections[pk], entitlements[pk]) for pk, d in districts.items()
                                 if selections[pk] or entitlements[pk]),
                                key=lambda row: (row[0].division_order, row[0].name))
    result.districts_without = [d for d in all_districts if not (selections[d.pk] or entitlements[d.pk])]
    result.by_kind = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
    result.by_measure = [measures[number] for number in sorted(measures)]

    # The same unit in the same category (by code) in the published years of the window before this one.
    earlier = set(Award.objects.filter(cycle__programme_id=cycle.programme_id, cycle__year__in=years[:-1],
                                       cycle__state=Cycle.State.PUBLISHED,
                                       unit_id__in={a.unit_id for a in awards})
                  .values_list("unit_id", "category__code", "cycle__year").distinct())
    for award in awards:
        won = [(award.unit_id, award.category.code, year) in earlier for year in years[:-1]] + [True]
        if sum(won) > 1:
            result.repeats.append(RepeatRow(award=award, won=won, flagged=all(won)))
    return result


def balance_table(balance: Balance) -> list[list[str]]:
    """The balance as one table for the export: a header, then one row per line of every part of the page.
    Call under the language of the file (Chinese)."""
    rows = [[_("Part"), _("Name"), _("Category"), _("Count"), _("Years rewarded"), _("Flag")]]
    rows += [[_("By district"), d.name, "", str(s + e), "", ""] for d, s, e in balance.by_district]
    if balance.outside_districts:
        rows.append([_("By district"), _("Not in a district"), "", str(balance.outside_districts), "", ""])
    rows += [[_("By kind of unit"), name, "", str(count), "", ""] for name, count in balance.by_kind]
    rows += [[_("By measure"), f"{number} {title}", "", str(count), "", ""] for number, title, count
             in balance.by_measure]
    rows += [[_("Districts with none"), d.name, "", "0", "", ""] for d in balance.districts_without]
    for row in balance.repeats:
        years = "、".join(str(year) for year, won in zip(balance.years, row.won, strict=True) if won)
        rows.append([_("Rewarded in earlier years"), row.award.unit.name,
                     f"{row.award.category.code} {row.award.category.name}", str(row.years_won), years,
                     _("%(years)s years running") % {"years": balance.repeat_years} if row.flagged else ""])
    return rows
