"""Expert panels (专家评审): the General Office (张伟, reviewer) convenes a panel of category 10 (工业稳增长) drawn from
the pool of 工业经济 experts; 孙浩 declared a stake in 海珠区 and 郑凯 works in 黄埔区, both candidates, so neither
is drawn; the draw replays from its seed; each expert scores once, sees the others only afterwards; the panel's
score is the mean or the trimmed mean, and a candidate whose totals disagree is flagged. The dossier's selector
returns all of it as plain data with the audit records' ids."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evaluation import panels, selectors, services
from evaluation.models import ExclusionReason, Expert, Panel
from evaluation.services import CandidateScore, StakeEntry
from incentives.errors import DomainError
from organisation import access
from organisation.models import AuditAction, AuditEntry, Programme, Unit

from .factories import expert_pool, industry_ranking

pytestmark = pytest.mark.django_db
YEAR = 2025
# Totals each expert gives 海珠区, 天河区, 黄埔区, 番禺区 (points: 工业增加值增速 / 60, 智能制造示范 / 40).
GIVEN = [("50", "30"), ("48", "30"), ("45", "25"), ("44", "24")]


@pytest.fixture
def panel_world(reviewer):
    category = industry_ranking(YEAR, reviewer=reviewer)
    pool = {e.name: e for e in expert_pool()}
    units = {u.name: u for u in Unit.objects.filter(programme__is_default=True, name__in=["海珠区", "黄埔区"])}
    services.declaration_make(actor=pool["孙浩"].user, programme_id=Programme.objects.default().pk, year=YEAR,
                              stakes=[StakeEntry(unit=units["海珠区"], stake="worked", reason="曾任海珠区工信局副局长")])
    Expert.objects.filter(pk=pool["郑凯"].pk).update(unit=units["黄埔区"])
    return category, pool


def _scores(panel, points_of):
    """Every candidate's entry, ``points_of(unit_name)`` → (points of indicator 1, of indicator 2)."""
    indicators = [i for i in panel.criteria.indicators.order_by("order")]
    return [CandidateScore(unit_id=u.pk, comment=f"{u.name}：工作扎实。",
                           points={i.pk: p for i, p in zip(indicators, points_of(u.name), strict=True)})
            for u in panel.candidates.all()]


def test_the_draw_leaves_out_stakes_and_candidate_units_and_replays(panel_world, reviewer, clerk_water):
    category, pool = panel_world
    with pytest.raises(DomainError, match="6") as refused:
        services.panel_convene(actor=reviewer, category=category, year=YEAR, size=7, fields=["工业经济"])
    assert refused.value.field == "size" and not Panel.objects.exists()
    with pytest.raises(access.NotYours):
        services.panel_convene(actor=clerk_water, category=category, year=YEAR, size=5, fields=["工业经济"])

    panel = services.panel_convene(actor=reviewer, category=category, year=YEAR, size=5, fields=["工业经济"],
                                   seed=20250301)
    drawn = [m.expert_id for m in panel.members.order_by("order")]
    excluded = {e.expert.name: (e.reason, e.unit.name) for e in panel.exclusions.select_related("expert", "unit")}
    assert excluded == {"孙浩": (ExclusionReason.STAKE, "海珠区"), "郑凯": (ExclusionReason.WORKS_IN, "黄埔区")}
    eligible = sorted(e.pk for name, e in pool.items() if name not in {"孙浩", "郑凯", "马琳"})
    assert panel.pool == eligible and len(drawn) == 5 and set(drawn) <= set(eligible)
    assert panels.draw(seed=panel.seed, pool=panel.pool, size=5) == drawn  # replayed
    assert selectors.panel_table(panel).replay_matches
    assert sorted(u.name for u in panel.candidates.all()) == sorted(["海珠区", "天河区", "黄埔区", "番禺区"])
    record = AuditEntry.objects.get(action=AuditAction.PANEL_CONVENED)
    assert record.data["seed"] == 20250301 and record.data["drawn"] == drawn
    assert {e["name"] for e in record.data["excluded"]} == {"孙浩", "郑凯"}
    with pytest.raises(DomainError):  # one panel per category and year
        services.panel_convene(actor=reviewer, category=category, year=YEAR, size=5, fields=["工业经济"])


def test_experts_score_once_see_the_others_after_and_the_trimmed_mean_flags_disagreement(panel_world, reviewer):
    category, pool = panel_world
    panel = services.panel_convene(actor=reviewer, category=category, year=YEAR, size=5, fields=["工业经济"], seed=7)
    members = list(panel.members.select_related("expert__user").order_by("order"))
    first = members[0].expert.user
    outsider = pool["马琳"].user  # in the pool, not on the panel
    assert not access.restrict(Panel.objects.all(), outsider).exists()
    with pytest.raises(access.NotYours):
        services.panel_scores_submit(actor=outsider, panel=panel, entries=[])
    assert "scores" not in access.actions_for(first, panel) and "score" in access.actions_for(first, panel)

    with pytest.raises(DomainError) as refused:  # 60 is the most 工业增加值增速 gives
        services.panel_scores_submit(actor=first, panel=panel, entries=_scores(panel, lambda name: ("61", "30")))
    assert refused.value.field.startswith("p-")
    no_comment = _scores(panel, lambda name: ("50", "30"))
    no_comment[0].comment = " "
    with pytest.raises(DomainError, match="comment"):
        services.panel_scores_submit(actor=first, panel=panel, entries=no_comment)

    office = Client()
    office.force_login(reviewer)
    counted = []

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            assert office.get(f"/evaluation/panels/{panel.pk}/").status_code == 200
        counted.append(len(queries))

    # 黄埔区: four experts give 70, the fifth 40 (a spread of 30, beyond 15): flagged.
    for index, member in enumerate(members):
        user = member.expert.user
        services.panel_scores_submit(actor=user, panel=panel, entries=_scores(
            panel, lambda name, i=index: ("20", "20") if name == "黄埔区" and i == 4
            else ("45", "25") if name == "黄埔区" else GIVEN[i % 4]))
        if index in (0, 4):
            page_queries()
    assert counted[0] == counted[1], "the panel's page reads the same queries with one expert's scores or five"
    assert "scores" in access.actions_for(first, panel) and "score" not in access.actions_for(first, panel)
    with pytest.raises(access.Refused):
        services.panel_scores_submit(actor=first, panel=panel, entries=_scores(panel, lambda name: ("50", "30")))

    table = selectors.panel_table(panel)
    line = {line.unit.name: line for line in table.lines}
    assert line["黄埔区"].flagged and line["黄埔区"].spread == Decimal("30.00")
    assert [name for name, found in line.items() if found.flagged] == ["黄埔区"]
    # Totals 80, 78, 70, 68, 80 → without 80 and 68: (78 + 70 + 80) / 3 = 76.00 (the mean: 75.20)
    assert line["海珠区"].score == Decimal("76.00") and line["海珠区"].trimmed
    assert line["海珠区"].bureau_position == 1

    services.panel_settings_set(actor=reviewer, panel=panel, aggregation="mean", spread_limit="40")
    panel.refresh_from_db()
    table = selectors.panel_table(panel)
    line = {line.unit.name: line for line in table.lines}
    assert line["海珠区"].score == Decimal("75.20") and not line["海珠区"].trimmed and not table.flagged
    with pytest.raises(access.NotYours):
        services.panel_settings_set(actor=pool["马琳"].user, panel=panel, aggregation="mean", spread_limit="10")

    cycle = type("Cycle", (), {"year": YEAR, "programme_id": Programme.objects.default().pk})()
    records = selectors.panel_records(cycle=cycle, category=category)
    assert records["draw"]["seed"] == 7 and records["draw"]["replay_matches"]
    assert {e["name"] for e in records["draw"]["excluded"]} == {"孙浩", "郑凯"}
    assert len(records["experts"]) == 5 and all(len(e["scores"]) == 4 for e in records["experts"])
    assert records["experts"][0]["scores"][0]["comment"].endswith("工作扎实。")
    assert set(records["audit_records"]) == set(AuditEntry.objects.filter(action__startswith="panel.")
                                                .values_list("pk", flat=True))
    assert len(records["audit_records"]) == 7  # convened, five submissions, the setting

    # The dossier's panel section (一事一档): the panel, who was left out, the members and every score.
    from reviews.dossier import DossierContext, panel_section

    section = panel_section(DossierContext(cycle=cycle, category=category, nomination_list=None, nominees=[]))
    kinds = [entry.kind for entry in section.entries]
    assert kinds.count("evaluation.panel") == 1 and kinds.count("evaluation.panelexclusion") == 2
    assert kinds.count("evaluation.panelmember") == 5 and kinds.count("evaluation.panelscore") == 20
    assert section.entries[0].data["results"] == records["results"]
