"""The evaluation's services: criteria filed, checked, frozen and versioned; values typed and imported; the ranking
with its tie rule and 否决项; declarations of interest and recusal (回避). Personas: 王芳 (wangfang) and 赵敏 (zhaomin),
clerks of 市水务局 which leads measure 6; 李强 (liqiang), 市发展改革委, co-responsible; 陈静 (chenjing), 市林业园林局,
unrelated; 张伟 (zhangwei), a General Office reviewer."""

from decimal import Decimal

import pytest

from evaluation import selectors, services
from evaluation.models import Criteria, Declaration, Indicator, Value
from evaluation.ranking import rank
from incentives.errors import DomainError
from organisation import access, roles
from organisation.models import AuditAction, AuditEntry, Programme, Unit

from .factories import (
    DISTRICT_VALUES,
    MEASURE6_INDICATORS,
    SAFETY_CONDITION,
    declare_nothing,
    district_rows,
    file_criteria,
    indicator_specs,
    make_user,
    values_workbook,
)

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def clerk_water2(bureau):
    return make_user("zhaomin", first_name="赵敏", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局")])


def _cells(criteria, values=DISTRICT_VALUES):
    units = {u.name: u for u in Unit.objects.filter(programme__is_default=True, kind_id="district")}
    indicators = list(criteria.indicators.order_by("order"))
    return {(units[name], indicator): figures[index]
            for name, figures in values.items() for index, indicator in enumerate(indicators) if index < len(figures)}


def _programme_id():
    return Programme.objects.default().pk


# --- criteria ---------------------------------------------------------------------------------------------------


def test_a_clerk_files_measure_6s_criteria_with_three_indicators(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    assert criteria.state == Criteria.State.SUBMITTED and criteria.version == 1
    assert [(i.name, i.weight) for i in criteria.indicators.order_by("order")] == [
        ("投资完成率", Decimal("50")), ("项目建设质量", Decimal("30")), ("群众满意度", Decimal("20"))]
    entry = AuditEntry.objects.get(action=AuditAction.CRITERIA_FILED)
    assert entry.actor == clerk_water and len(entry.data["indicators"]) == 3


@pytest.mark.parametrize(("change", "field", "words"), [
    ({0: {"weight": "40"}}, "weight", "add up to 90"),
    ({1: {"scale_max": ""}}, "indicators-1-scale_max", "scale"),
    ({0: {"direction": ""}}, "indicators-0-direction", "more or less"),
    ({2: {"data_source": " "}}, "indicators-2-data_source", "data come from"),
    ({1: {"name": "投资完成率"}}, "indicators-1-name", "two indicators"),
    ({0: {"weight": "五十"}}, "indicators-0-weight", "not a number"),
])
def test_bad_criteria_are_refused_naming_the_field_and_nothing_is_written(clerk_water, category, change, field, words):
    rows = [dict(row, **change.get(index, {})) for index, row in enumerate(MEASURE6_INDICATORS)]
    with pytest.raises(DomainError) as refused:
        file_criteria(clerk_water, category("6"), YEAR, rows)
    assert refused.value.field == field and words in refused.value.message
    assert not Criteria.objects.exists() and not Indicator.objects.exists()


def test_a_condition_weighs_nothing(clerk_water, category):
    with pytest.raises(DomainError) as refused:
        file_criteria(clerk_water, category("6"), YEAR, [*MEASURE6_INDICATORS, dict(SAFETY_CONDITION, weight="5")])
    assert refused.value.field == "indicators-3-weight"


def test_only_the_bureau_that_prepares_the_list_files_criteria(clerk_ndrc, clerk_forestry, reviewer, category):
    with pytest.raises(access.Refused):
        file_criteria(clerk_ndrc, category("6"), YEAR)  # co-responsible: reads, does not file
    with pytest.raises(access.NotYours):
        file_criteria(clerk_forestry, category("6"), YEAR)
    with pytest.raises(access.Refused):
        file_criteria(reviewer, category("6"), YEAR)
    assert not Criteria.objects.exists()


def test_an_entitlement_has_no_criteria(bureau, category):
    finance = make_user("caiwu", role=roles.BUREAU_STAFF, bureaus=[bureau("市财政局")])
    with pytest.raises(access.Refused, match="entitlement"):
        file_criteria(finance, category("32-2"), YEAR)


def test_the_reviewer_accepts_or_returns_with_reasons(clerk_water, reviewer, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    with pytest.raises(DomainError) as refused:
        services.criteria_return(actor=reviewer, criteria=criteria, reason=" ")
    assert refused.value.field == "reason"
    with pytest.raises(access.Refused):
        services.criteria_accept(actor=clerk_water, criteria=criteria)
    returned = services.criteria_return(actor=reviewer, criteria=criteria, reason="权重依据不足")
    assert returned.state == Criteria.State.RETURNED
    again = file_criteria(clerk_water, category("6"), YEAR)
    assert again.pk == criteria.pk and again.state == Criteria.State.SUBMITTED  # not frozen: replaced in place
    assert services.criteria_accept(actor=reviewer, criteria=again).state == Criteria.State.ACCEPTED
    assert AuditEntry.objects.filter(action__in=[AuditAction.CRITERIA_RETURNED, AuditAction.CRITERIA_ACCEPTED]).count() == 2


def test_the_first_value_freezes_the_criteria_a_change_is_a_new_version_with_its_reason(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria))
    criteria.refresh_from_db()
    assert criteria.is_frozen
    changed = [*MEASURE6_INDICATORS[:2], dict(MEASURE6_INDICATORS[2], scale_max="5")]
    with pytest.raises(DomainError) as refused:
        file_criteria(clerk_water, category("6"), YEAR, changed)
    assert refused.value.field == "change_reason" and "frozen" in refused.value.message
    assert Criteria.objects.count() == 1 and criteria.indicators.get(name="群众满意度").scale_max == 10
    assert Value.objects.count() == 33
    second = services.criteria_file(actor=clerk_water, category=category("6"), year=YEAR,
                                    indicators=indicator_specs(*changed), change_reason="满意度改为五分制")
    assert second.version == 2 and second.change_reason == "满意度改为五分制"
    # The two indicators measured the same way keep their values; the changed one is entered again.
    assert Value.objects.filter(indicator__criteria=second).count() == 22
    assert AuditEntry.objects.filter(action=AuditAction.CRITERIA_CHANGED).count() == 1
    with pytest.raises(DomainError, match="newer version"):
        services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria))


# --- values --------------------------------------------------------------------------------------------------


def test_values_need_a_declaration_first(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    with pytest.raises(access.Refused, match="Declare"):
        services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria))
    assert not Value.objects.exists()


@pytest.mark.parametrize(("bad", "words"), [("一百二", "not a number"), ("120.5", "outside the scale 0–100"),
                                            ("-1", "outside the scale")])
def test_a_bad_value_refuses_the_whole_sheet_naming_unit_and_indicator(clerk_water, category, bad, words):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    values = {**DISTRICT_VALUES, "白云区": ("90", bad, "6")}
    with pytest.raises(DomainError) as refused:
        services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria, values))
    quality = criteria.indicators.get(name="项目建设质量")
    baiyun = Unit.objects.get(name="白云区", programme__is_default=True)
    assert words in refused.value.message and "白云区 · 项目建设质量" in refused.value.message
    assert refused.value.field == services.value_field(quality, baiyun)
    assert not Value.objects.exists()
    criteria.refresh_from_db()
    assert not criteria.is_frozen


def test_a_typed_change_is_recorded_with_what_it_was(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria))
    written = services.values_enter(actor=clerk_water, criteria=criteria,
                                    cells=_cells(criteria, {"白云区": ("93", "", "")}))
    assert written == 1
    entry = AuditEntry.objects.filter(action=AuditAction.VALUES_ENTERED).latest("id")
    assert list(entry.data["before"].values()) == ["90.0000"]


# --- ranking ---------------------------------------------------------------------------------------------------


def test_ranking_points_totals_tie_rule_and_the_condition_that_excludes(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR, [*MEASURE6_INDICATORS, SAFETY_CONDITION])
    declare_nothing(clerk_water, YEAR)
    values = {name: (*figures, "是") for name, figures in DISTRICT_VALUES.items()}
    values["黄埔区"] = (*DISTRICT_VALUES["黄埔区"], "否")         # fails the 否决项: out
    values["越秀区"] = ("105", "82", "8", "是")                    # the same as 番禺区: a full tie
    values["增城区"] = ("98", "74", "", "是")                      # 群众满意度 missing: not ranked yet
    services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria, values))
    sheet = selectors.sheet(category=category("6"), year=YEAR, programme_id=_programme_id())
    rows = {row.unit.name: row for row in sheet.rows}
    # 投资完成率 among the units still in: best 120 (海珠区) → 50 points, worst 85 (从化区) → 0.
    assert rows["海珠区"].total == Decimal("50") + Decimal("27") + Decimal("18")
    assert rows["从化区"].points[criteria.indicators.get(name="投资完成率").pk] == 0
    assert rows["海珠区"].position == 1 and rows["天河区"].position == 2
    assert rows["黄埔区"].position is None and "无重大安全事故" in rows["黄埔区"].out_reason
    assert rows["增城区"].position is None and [i.name for i in rows["增城区"].missing] == ["群众满意度"]
    assert rows["越秀区"].position == rows["番禺区"].position and rows["越秀区"].tied
    order = [row.unit.name for row in sheet.rows]
    assert order.index("越秀区") < order.index("番禺区")  # tied: administrative order
    assert order[-2:] == ["增城区", "黄埔区"]  # not ranked yet, then out


def test_equal_totals_are_separated_by_the_first_indicator(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR, [
        dict(name="甲", method="score", weight="50", scale_min="0", scale_max="10", data_source="s"),
        dict(name="乙", method="score", weight="50", scale_min="0", scale_max="10", data_source="s")])
    units = list(Unit.objects.filter(programme__is_default=True, kind_id="district").order_by("division_order")[:2])
    first, second = criteria.indicators.order_by("order")
    values = [Value(indicator=first, unit=units[0], number=4), Value(indicator=second, unit=units[0], number=6),
              Value(indicator=first, unit=units[1], number=6), Value(indicator=second, unit=units[1], number=4)]
    rows = rank(indicators=[first, second], units=units, values=values)
    assert [r.unit for r in rows] == [units[1], units[0]] and [r.position for r in rows] == [1, 2]
    assert rows[0].total == rows[1].total == Decimal("50.00")


# --- the import: the catalogue's reader, rows refused with their row and column ------------------------------------


def test_an_import_with_one_bad_row_is_refused_with_its_row_and_column_then_fixed(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    data = values_workbook(district_rows(白云区=("九十", "75", "6")))
    plan = services.values_import_plan(actor=clerk_water, criteria=criteria, data=data, filename="values.xlsx")
    assert not plan.is_valid
    assert [(e.row, e.column) for e in plan.errors] == [(6, "投资完成率")]
    with pytest.raises(DomainError):
        services.values_import(actor=clerk_water, plan=plan)
    assert not Value.objects.exists()
    fixed = services.values_import_plan(actor=clerk_water, criteria=criteria,
                                        data=values_workbook(district_rows()), filename="values.xlsx")
    assert fixed.is_valid and services.values_import(actor=clerk_water, plan=fixed) == 33
    assert AuditEntry.objects.filter(action=AuditAction.VALUES_IMPORTED, message="values.xlsx").count() == 1


def test_an_import_names_an_unknown_unit_and_a_missing_column(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    plan = services.values_import_plan(actor=clerk_water, criteria=criteria,
                                       data=values_workbook([("萝岗区", "90", "75", "6")]))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "单位")]
    plan = services.values_import_plan(actor=clerk_water, criteria=criteria,
                                       data=values_workbook([("越秀区", "90")], header=("单位", "投资完成率")))
    assert plan.errors and plan.errors[0].row == 0 and "项目建设质量" in plan.errors[0].message


# --- declarations and recusal (回避) ----------------------------------------------------------------------------


def test_a_declared_stake_keeps_the_person_from_scoring_the_unit_another_clerk_does(clerk_water, clerk_water2,
                                                                                    category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    haizhu = Unit.objects.get(name="海珠区", programme__is_default=True)
    services.declaration_make(actor=clerk_water, programme_id=_programme_id(), year=YEAR,
                              stakes=[services.StakeEntry(unit=haizhu, stake="worked", reason="2021年前在海珠区水务局工作")])
    declare_nothing(clerk_water2, YEAR)
    with pytest.raises(services.Recused, match="海珠区"):
        services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria))
    assert not Value.objects.exists()
    others = {n: v for n, v in DISTRICT_VALUES.items() if n != "海珠区"}
    assert services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria, others)) == 30
    plan = services.values_import_plan(actor=clerk_water, criteria=criteria, data=values_workbook(district_rows()))
    assert [(e.row, e.column) for e in plan.errors] == [(3, "单位")]
    assert services.values_enter(actor=clerk_water2, criteria=criteria,
                                 cells=_cells(criteria, {"海珠区": DISTRICT_VALUES["海珠区"]})) == 3
    # and 王芳 cannot change it afterwards either
    with pytest.raises(services.Recused):
        services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria, {"海珠区": ("1", "1", "1")}))
    sheet = selectors.sheet(category=category("6"), year=YEAR, programme_id=_programme_id())
    assert [d.person for d in sheet.recusals[haizhu.pk]] == [clerk_water]
    assert Value.objects.get(unit=haizhu, indicator__name="投资完成率").entered_by == clerk_water2


def test_a_declaration_added_later_takes_effect_at_once(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria))
    tianhe = Unit.objects.get(name="天河区", programme__is_default=True)
    services.declaration_make(actor=clerk_water, programme_id=_programme_id(), year=YEAR,
                              stakes=[services.StakeEntry(unit=tianhe, stake="relative", reason="配偶在天河区工作")])
    with pytest.raises(services.Recused):
        services.values_enter(actor=clerk_water, criteria=criteria, cells=_cells(criteria, {"天河区": ("1", "1", "1")}))
    assert Declaration.objects.filter(person=clerk_water).count() == 2
    assert AuditEntry.objects.filter(action=AuditAction.INTEREST_DECLARED).count() == 2


def test_a_declaration_is_either_stakes_with_reasons_or_nothing(clerk_water):
    haizhu = Unit.objects.get(name="海珠区", programme__is_default=True)
    make = services.declaration_make
    with pytest.raises(DomainError) as refused:
        make(actor=clerk_water, programme_id=_programme_id(), year=YEAR, nothing=True,
             stakes=[services.StakeEntry(unit=haizhu, stake="other", reason="x")])
    assert refused.value.field == "nothing"
    with pytest.raises(DomainError) as refused:
        make(actor=clerk_water, programme_id=_programme_id(), year=YEAR,
             stakes=[services.StakeEntry(unit=haizhu, stake="other", reason=" ")])
    assert refused.value.field == "reason"
    make(actor=clerk_water, programme_id=_programme_id(), year=YEAR,
         stakes=[services.StakeEntry(unit=haizhu, stake="other", reason="曾参与其项目评审")])
    with pytest.raises(DomainError) as refused:
        make(actor=clerk_water, programme_id=_programme_id(), year=YEAR,
             stakes=[services.StakeEntry(unit=haizhu, stake="worked", reason="再次")])
    assert refused.value.field == "unit" and Declaration.objects.count() == 1


# --- evidence per indicator ------------------------------------------------------------------------------------


def test_evidence_per_indicator_is_checked_recorded_and_refused_for_a_declared_unit(clerk_water, clerk_forestry,
                                                                                   category, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.models import IndicatorEvidence

    from .factories import pdf_file

    criteria = file_criteria(clerk_water, category("6"), YEAR)
    quality = criteria.indicators.get(name="项目建设质量")
    haizhu, tianhe = (Unit.objects.get(name=n, programme__is_default=True) for n in ("海珠区", "天河区"))
    services.declaration_make(actor=clerk_water, programme_id=_programme_id(), year=YEAR,
                              stakes=[services.StakeEntry(unit=haizhu, stake="other", reason="曾参与其项目评审")])
    evidence = services.evidence_attach(actor=clerk_water, criteria=criteria, indicator=quality, unit=tianhe,
                                        upload=pdf_file("质量抽查.pdf"))
    assert evidence.original_name == "质量抽查.pdf" and evidence.sha256
    assert AuditEntry.objects.filter(action=AuditAction.INDICATOR_EVIDENCE_ADDED).count() == 1
    with pytest.raises(services.Recused):
        services.evidence_attach(actor=clerk_water, criteria=criteria, indicator=quality, unit=haizhu,
                                 upload=pdf_file("海珠.pdf"))
    with pytest.raises(DomainError):
        services.evidence_attach(actor=clerk_water, criteria=criteria, indicator=quality, unit=tianhe,
                                 upload=SimpleUploadedFile("report.pdf", b"<html>not a pdf</html>"))
    with pytest.raises(access.NotYours):
        services.evidence_attach(actor=clerk_forestry, criteria=criteria, indicator=quality, unit=tianhe,
                                 upload=pdf_file("x.pdf"))
    assert IndicatorEvidence.objects.count() == 1
    sheet = selectors.sheet(category=category("6"), year=YEAR, programme_id=_programme_id())
    assert sheet.evidence_for(quality.pk, tianhe.pk) == [evidence]
    assert selectors.evidence_for_download(clerk_water, token=evidence.token) == evidence
    with pytest.raises(access.NotYours):
        selectors.evidence_for_download(clerk_forestry, token=evidence.token)
