"""How a sheet of values becomes points, totals and a ranking: the one home of the rule.

* A **score** indicator gives ``weight × (value − lowest) / (highest − lowest)`` of its stated scale.
* A **quantity** indicator is compared among the units still in: the best value (the highest, or the lowest when
  less is better) gets the whole weight, the worst none, the others in proportion; when all are equal, all get the
  whole weight.
* A **condition** (否决项) weighs nothing: a unit that fails it is out, with the condition named as the reason.
* A unit with a value missing is not ranked yet (the missing indicators are named).
* Points are rounded to two decimals; the total is their sum.

Tie rule (stated on every ranking page): equal totals are separated by the points of the first indicator, then
the second, and so on in the criteria's order; units still equal share the position (并列) and are listed in
administrative-division order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Direction, Indicator, Method, Value

TIE_RULE = gettext_lazy(
    "Equal totals are separated by the points of the first indicator, then of the second, and so on in the "
    "criteria's order; units still equal share the position and are listed in administrative-division order.")
CENT = Decimal("0.01")


@dataclass
class RankedRow:
    unit: object
    values: dict[int, Value] = field(default_factory=dict)  # indicator id → value
    points: dict[int, Decimal] = field(default_factory=dict)  # indicator id → points (weighted indicators)
    total: Decimal | None = None
    out_reason: str = ""  # failed a condition (否决项)
    missing: list[Indicator] = field(default_factory=list)
    position: int | None = None
    tied: bool = False

    @property
    def ranked(self) -> bool:
        return self.position is not None

    def cells(self, indicators):
        """(indicator, value, points) in the criteria's order, for a template."""
        return [(i, self.values.get(i.pk), self.points.get(i.pk)) for i in indicators]


def _points(weight: Decimal, share: Decimal) -> Decimal:
    return (weight * share).quantize(CENT, rounding=ROUND_HALF_UP)


def rank(*, indicators: list[Indicator], units: list, values: list[Value]) -> list[RankedRow]:
    """The ranking of ``units`` (in administrative order) under ``indicators`` from ``values``: ranked rows first
    by position, then the units not ranked yet (values missing), then those out (a failed condition). No query."""
    rows = {unit.pk: RankedRow(unit=unit) for unit in units}
    for value in values:
        row = rows.get(value.unit_id)
        if row is not None:
            row.values[value.indicator_id] = value
    for row in rows.values():
        failed = [i for i in indicators if i.method == Method.CONDITION and i.pk in row.values
                  and row.values[i.pk].passed is False]
        if failed:
            row.out_reason = _("Fails the condition: %(names)s") % {"names": "、".join(i.name for i in failed)}
        row.missing = [i for i in indicators if i.pk not in row.values]
    still_in = [r for r in rows.values() if not r.out_reason]
    for indicator in indicators:
        if indicator.method == Method.SCORE:
            span = indicator.scale_max - indicator.scale_min
            for row in still_in:
                value = row.values.get(indicator.pk)
                if value is not None and value.number is not None:
                    row.points[indicator.pk] = _points(indicator.weight, (value.number - indicator.scale_min) / span)
        elif indicator.method == Method.QUANTITY:
            numbers = [r.values[indicator.pk].number for r in still_in
                       if indicator.pk in r.values and r.values[indicator.pk].number is not None]
            if not numbers:
                continue
            best, worst = (max(numbers), min(numbers)) if indicator.direction == Direction.HIGHER else (min(numbers), max(numbers))
            for row in still_in:
                value = row.values.get(indicator.pk)
                if value is None or value.number is None:
                    continue
                share = Decimal(1) if best == worst else (value.number - worst) / (best - worst)
                row.points[indicator.pk] = _points(indicator.weight, share)
    weighted = [i for i in indicators if i.method != Method.CONDITION]
    complete = [r for r in still_in if not r.missing]
    for row in complete:
        row.total = sum((row.points[i.pk] for i in weighted), Decimal("0.00"))

    def key(row):
        return (row.total, *(row.points[i.pk] for i in weighted))

    complete.sort(key=lambda r: r.unit.division_order)
    complete.sort(key=key, reverse=True)  # stable: equal keys keep the administrative order
    previous, position = None, 0
    for index, row in enumerate(complete, start=1):
        if key(row) != previous:
            position, previous = index, key(row)
        else:
            row.tied = True
            complete[index - 2].tied = True
        row.position = position
    not_ranked = [r for r in still_in if r.missing]
    out = [r for r in rows.values() if r.out_reason]
    return complete + sorted(not_ranked, key=lambda r: r.unit.division_order) + sorted(out, key=lambda r: r.unit.division_order)


def top_units(rows: list[RankedRow], count: int) -> list:
    """The units the list proposes by default: the first ``count`` ranked, in ranking order."""
    return [row.unit for row in rows if row.ranked][:count]


@dataclass
class Placement:
    """A proposed unit at its rank in the list, beside the ranking: where the ranking puts it, which unit the
    ranking puts at that rank, and whether proposing it there departs from the ranking (a reason is then owed)."""

    rank: int
    unit: object
    row: RankedRow | None  # the unit's row of the ranking (None: not an eligible unit)
    expected: RankedRow | None  # the ranking's row at this rank (None: the ranking has fewer units)

    @property
    def position(self) -> int | None:
        return self.row.position if self.row is not None else None

    @property
    def is_out(self) -> bool:
        return self.row is not None and bool(self.row.out_reason)

    @property
    def departs(self) -> bool:
        """A unit departs when the ranking does not put it at its rank: units tied at a position are
        interchangeable there."""
        return (self.row is None or not self.row.ranked or self.expected is None
                or self.row.position != self.expected.position)


def placements(rows: list[RankedRow], units: list) -> list[Placement]:
    """Each proposed unit (in rank order) beside the ranking (no query)."""
    by_unit = {row.unit.pk: row for row in rows}
    ranked = [row for row in rows if row.ranked]
    return [Placement(rank=rank, unit=unit, row=by_unit.get(unit.pk),
                      expected=ranked[rank - 1] if rank <= len(ranked) else None)
            for rank, unit in enumerate(units, start=1)]
