"""Reads of the evaluation: a category's criteria for a year, its eligible units, the sheet with its ranking, and
the declarations of interest. Each read is a fixed number of queries, whatever the number of units."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from measures.models import IncentiveCategory
from organisation import access
from organisation.audit import audit_trail_for
from organisation.models import Unit

from . import panels, ranking
from .models import (
    Aggregation,
    Criteria,
    Declaration,
    Indicator,
    IndicatorEvidence,
    Method,
    Panel,
    PanelExclusion,
    PanelMember,
    PanelScore,
    Stake,
    Value,
)


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


# --- expert panels -------------------------------------------------------------------------------------------------


def panels_for(user) -> list[Panel]:
    """The panels the person reads: an expert's own, the General Office's of its programmes (one query)."""
    return list(access.restrict(Panel.objects.all(), user).select_related("category__measure")
                .order_by("-year", "category__order", "pk"))


def panel_queryset() -> QuerySet[Panel]:
    return Panel.objects.select_related("category__measure__document", "criteria", "convened_by")


def panel_of(*, category: IncentiveCategory, year: int) -> Panel | None:
    return Panel.objects.filter(category=category, year=year).first()


def pool_fields(*, programme_id: int) -> list[str]:
    """The fields of the programme's pool (its active experts'), for the convening form."""
    from .models import Expert

    return sorted(set(Expert.objects.filter(programme_id=programme_id, is_active=True)
                      .values_list("field", flat=True)))


@dataclass
class PanelLine:
    """One candidate in the panel's table: the experts' totals (members in the order of the draw; None: not
    submitted), the panel's score, the spread and its flag, beside the bureau's ranking."""

    unit: object
    totals: list  # per member, Decimal or None
    scores: list  # per member, PanelScore or None
    score: object = None
    trimmed: bool = False
    spread: object = None
    flagged: bool = False
    bureau_position: int | None = None
    bureau_total: object = None
    position: int | None = None


@dataclass
class PanelTable:
    panel: Panel
    members: list[PanelMember]
    indicators: list[Indicator]
    exclusions: list[PanelExclusion]
    lines: list[PanelLine]
    replayed: list[int]

    @property
    def submitted(self) -> int:
        return sum(1 for m in self.members if m.submitted_at is not None)

    @property
    def complete(self) -> bool:
        return self.submitted == len(self.members)

    @property
    def replay_matches(self) -> bool:
        return self.replayed == [m.expert_id for m in self.members]

    @property
    def trimmed(self) -> bool:
        return self.panel.aggregation == Aggregation.TRIMMED

    @property
    def flagged(self) -> list[PanelLine]:
        return [line for line in self.lines if line.flagged]


def panel_table(panel: Panel) -> PanelTable:
    """The panel's table in five queries whatever its size: members, exclusions, candidates, scores, indicators;
    plus the bureau's ranking of the category (``sheet``) to stand beside it. The caller has asked the door
    whether the person reads the scores (``scores``): an expert before submitting gets only their own form."""
    members = list(panel.members.select_related("expert").order_by("order"))
    exclusions = list(panel.exclusions.select_related("expert", "unit").order_by("expert__name", "pk"))
    candidates = list(panel.candidates.order_by("division_order", "name"))
    scores = {}
    for score in PanelScore.objects.filter(member__panel=panel).select_related("member__expert"):
        scores[(score.member_id, score.unit_id)] = score
    indicators = [i for i in panel.criteria.indicators.all() if i.method != Method.CONDITION]
    bureau = sheet(category=panel.category, year=panel.year, programme_id=panel.programme_id, criteria=panel.criteria)
    rows = {row.unit.pk: row for row in bureau.rows}
    lines = []
    for unit in candidates:
        found = [scores.get((m.pk, unit.pk)) for m in members]
        totals = [s.total for s in found if s is not None]
        score, dropped = panels.aggregate(totals, trimmed=panel.aggregation == Aggregation.TRIMMED)
        row = rows.get(unit.pk)
        lines.append(PanelLine(unit=unit, totals=[s.total if s else None for s in found], scores=found, score=score,
                               trimmed=dropped, spread=panels.spread(totals),
                               flagged=panels.disagrees(totals, limit=panel.spread_limit),
                               bureau_position=row.position if row else None, bureau_total=row.total if row else None))
    ordered = sorted((line for line in lines if line.score is not None), key=lambda line: -line.score)
    previous, position = None, 0
    for index, line in enumerate(ordered, start=1):
        if line.score != previous:
            position, previous = index, line.score
        line.position = position
    lines.sort(key=lambda line: (line.bureau_position or 10_000, line.unit.division_order))
    return PanelTable(panel=panel, members=members, indicators=indicators, exclusions=exclusions, lines=lines,
                      replayed=panels.draw(seed=panel.seed, pool=panel.pool, size=panel.size))


def my_panel_scores(panel: Panel, user) -> list[PanelScore]:
    return list(PanelScore.objects.filter(member__panel=panel, member__expert__user_id=user.pk)
                .select_related("unit").order_by("unit__division_order"))


def panel_records(*, cycle, category: IncentiveCategory) -> dict | None:
    """The panel of ``category`` for ``cycle``'s year (the dossier's part, 一事一档), as plain data: the draw
    (seed, fields, the ordered pool, the drawn experts, the candidates, who was left out and why, whether a replay
    gives the same experts), each expert's scores and comments, the aggregation, each candidate's panel score,
    spread and flag beside the bureau's ranking, and the ids of the audit records of the panel. None: no panel."""
    panel = panel_queryset().filter(category=category, year=cycle.year, programme_id=cycle.programme_id).first()
    if panel is None:
        return None
    table = panel_table(panel)
    names = {i.pk: i.name for i in table.indicators}
    return {
        "panel": panel.pk, "category": category.code, "year": panel.year, "criteria": panel.criteria_id,
        "criteria_version": panel.criteria.version,
        "convened_by": panel.convened_by.get_full_name() or panel.convened_by.get_username(),
        "convened_at": panel.convened_at.isoformat(),
        "draw": {"seed": panel.seed, "size": panel.size, "fields": list(panel.expert_fields), "pool": list(panel.pool),
                 "drawn": [{"expert": m.expert_id, "name": m.expert.name, "field": m.expert.field,
                            "organisation": m.expert.organisation} for m in table.members],
                 "candidates": [{"unit": line.unit.pk, "name": line.unit.name} for line in
                                sorted(table.lines, key=lambda line: line.unit.division_order)],
                 "excluded": [{"expert": e.expert_id, "name": e.expert.name, "reason": e.reason,
                               "reason_label": str(e.get_reason_display()), "unit": e.unit_id,
                               "unit_name": e.unit.name, "detail": e.detail} for e in table.exclusions],
                 "replay_matches": table.replay_matches},
        "aggregation": panel.aggregation, "spread_limit": str(panel.spread_limit),
        "experts": [{"expert": m.expert_id, "name": m.expert.name,
                     "submitted_at": m.submitted_at.isoformat() if m.submitted_at else None,
                     "scores": [{"unit": line.unit.pk, "name": line.unit.name, "total": str(s.total),
                                 "points": {names.get(int(k), k): v for k, v in s.points.items()},
                                 "comment": s.comment}
                                for line in table.lines for s in [line.scores[index]] if s is not None]}
                    for index, m in enumerate(table.members)],
        "results": [{"unit": line.unit.pk, "name": line.unit.name,
                     "score": None if line.score is None else str(line.score), "trimmed": line.trimmed,
                     "spread": None if line.spread is None else str(line.spread), "flagged": line.flagged,
                     "position": line.position, "bureau_position": line.bureau_position,
                     "bureau_total": None if line.bureau_total is None else str(line.bureau_total)}
                    for line in table.lines],
        "audit_records": sorted(entry.pk for entry in audit_trail_for(panel)),
    }
