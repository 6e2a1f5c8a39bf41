"""Reads of the evaluation: a category's criteria for a year, its eligible units, the sheet with its ranking, and
the declarations of interest. Each read is a fixed number of queries, whatever the number of units."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from measures.models import IncentiveCategory
from organisation import access
from organisation.models import Unit

from . import ranking
from .models import Criteria, Declaration, Indicator, IndicatorEvidence, Stake, Value


def category_programme_id(category: IncentiveCategory) -> int:
    return category.measure.document.programme_id


def criteria_current(*, category: IncentiveCategory, year: int) -> Criteria | None:
    """The newest version of the category's criteria for the year, with its indicators (two queries)."""
    found = (Criteria.objects.filter(category=category, year=year).order_by("-version")
             .select_related("filed_by", "decided_by")
             .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("order"))).first())
    if found is not None:
        found.category = category  # the caller's, with its measure and document already read
    return found


def criteria_waiting(user) -> list[Criteria]:
    """The criteria waiting for the review of the General Office, of the programmes the person reviews (one
    query)."""
    return list(access.restrict(Criteria.objects.filter(state=Criteria.State.SUBMITTED), user, "review")
                .select_related("category__measure", "bureau").order_by("filed_at", "pk"))


def criteria_versions(*, category: IncentiveCategory, year: int) -> QuerySet[Criteria]:
    return Criteria.objects.filter(category=category, year=year).select_related("filed_by").order_by("-version")


def criteria_queryset() -> QuerySet[Criteria]:
    return Criteria.objects.select_related("category__measure__document", "bureau")


def eligible_units(*, category: IncentiveCategory, programme_id: int) -> QuerySet[Unit]:
    """Every active unit of the programme of the kinds the category rewards (its main kind or another kind it
    also is), in administrative order: all of them are scored, not only those proposed."""
    kinds = category.subject_kinds.values("code")
    also = Unit.other_kinds.through.objects.filter(unitkind_id__in=kinds).values("unit_id")
    return (Unit.objects.filter(Q(kind__in=kinds) | Q(pk__in=also), is_active=True, programme_id=programme_id)
            .order_by("division_order", "name"))


def declarations_of_year(*, programme_id: int, year: int) -> list[Declaration]:
    return list(Declaration.objects.filter(programme_id=programme_id, year=year)
                .select_related("person", "unit").order_by("declared_at", "id"))


def stakes_of(*, person_id, programme_id: int, year: int) -> set[int]:
    """The units the person declared a stake in, for the year: they neither score nor decide them."""
    return set(Declaration.objects.filter(person_id=person_id, programme_id=programme_id, year=year,
                                          unit__isnull=False).values_list("unit_id", flat=True))


def has_declared(*, person_id, programme_id: int, year: int) -> bool:
    return Declaration.objects.filter(person_id=person_id, programme_id=programme_id, year=year).exists()


@dataclass
class Sheet:
    """The scoring sheet of one category and year: the criteria, every eligible unit's values, evidence and
    points, the ranking, and who recused from which unit."""

    category: IncentiveCategory
    year: int
    criteria: Criteria | None
    indicators: list[Indicator] = field(default_factory=list)
    rows: list[ranking.RankedRow] = field(default_factory=list)
    evidence: dict[tuple[int, int], list[IndicatorEvidence]] = field(default_factory=dict)
    recusals: dict[int, list[Declaration]] = field(default_factory=dict)  # unit id → stakes declared in it
    declarations: list[Declaration] = field(default_factory=list)

    @property
    def tie_rule(self):
        return ranking.TIE_RULE

    def ranked(self) -> list[ranking.RankedRow]:
        return [row for row in self.rows if row.ranked]

    def position_of(self) -> dict[int, int]:
        return {row.unit.pk: row.position for row in self.rows if row.ranked}

    def evidence_for(self, indicator_id: int, unit_id: int) -> list[IndicatorEvidence]:
        return self.evidence.get((indicator_id, unit_id), [])

    def table(self) -> list[dict]:
        """The ranking as a page shows it: each row's cells (indicator, value, points, evidence), its total or why
        it has none, and who recused from the unit (no query)."""
        return [{"row": row, "unit": row.unit,
                 "cells": [{"indicator": i, "value": row.values.get(i.pk), "points": row.points.get(i.pk),
                            "evidence": self.evidence_for(i.pk, row.unit.pk)} for i in self.indicators],
                 "missing": "、".join(i.name for i in row.missing), "recusals": self.recusals.get(row.unit.pk, [])}
                for row in self.rows]


def sheet(*, category: IncentiveCategory, year: int, programme_id: int, criteria: Criteria | None = None) -> Sheet:
    """The sheet, in five queries whatever the number of units: criteria with indicators (two), units, values,
    evidence, declarations (one each; values, evidence and declarations only when there are criteria)."""
    criteria = criteria if criteria is not None else criteria_current(category=category, year=year)
    result = Sheet(category=category, year=year, criteria=criteria)
    if criteria is None:
        return result
    indicators = list(criteria.indicators.all())
    units = list(eligible_units(category=category, programme_id=programme_id))
    values = list(Value.objects.filter(indicator__criteria=criteria).select_related("entered_by"))
    result.indicators = indicators
    result.rows = ranking.rank(indicators=indicators, units=units, values=values)
    for item in IndicatorEvidence.objects.filter(indicator__criteria=criteria).order_by("uploaded_at", "id"):
        result.evidence.setdefault((item.indicator_id, item.unit_id), []).append(item)
    result.declarations = declarations_of_year(programme_id=programme_id, year=year)
    for declaration in result.declarations:
        if declaration.stake != Stake.NONE:
            result.recusals.setdefault(declaration.unit_id, []).append(declaration)
    return result


def evidence_for_download(user, *, token: str) -> IndicatorEvidence:
    return access.get(IndicatorEvidence.objects.select_related("indicator__criteria"), user, token=token)


def ranking_for_list(*, category: IncentiveCategory, year: int, programme_id: int) -> Sheet | None:
    """The sheet a list follows, or None when the category has no criteria for the year (a list without a
    ranking, as entitlements and categories without filed criteria are)."""
    if category.is_entitlement:
        return None
    found = sheet(category=category, year=year, programme_id=programme_id)
    return found if found.criteria is not None else None


def public_criteria(*, category_ids, year: int) -> dict[int, Criteria]:
    """The newest criteria of each category for the year, with their indicators (two queries): what the public
    notice shows beside each proposed unit."""
    found = {}
    for criteria in (Criteria.objects.filter(category_id__in=list(category_ids), year=year)
                     .order_by("category_id", "-version")
                     .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("order")))):
        found.setdefault(criteria.category_id, criteria)
    return found


def public_evaluation(*, programme_id: int, year: int, category_ids) -> dict[int, dict]:
    """For the public notice: each category's criteria and, when the programme publishes them
    (``EvaluationSettings.publish_figures``), its full ranking. Criteria only: two queries; with the figures, a
    sheet per category with criteria."""
    from .models import EvaluationSettings

    criteria = public_criteria(category_ids=category_ids, year=year)
    publish = bool(criteria) and EvaluationSettings.current(programme_id).publish_figures
    shown = {}
    for category_id, found in criteria.items():
        entry = {"criteria": found, "sheet": None}
        if publish:
            category = IncentiveCategory.objects.select_related("measure__document").get(pk=category_id)
            entry["sheet"] = sheet(category=category, year=year, programme_id=programme_id, criteria=found)
        shown[category_id] = entry
    return shown
