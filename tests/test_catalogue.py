"""The notice's catalogue as loaded from fixtures/, checked against the notice's own text."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from measures.models import IncentiveCategory, Measure, PolicyDocument, Responsibility, chinese_numeral
from organisation.models import Bureau, Unit, UnitKind

pytestmark = pytest.mark.django_db

NOTICE = (Path(__file__).resolve().parent.parent / "fixtures" / "guangzhou-2022-notice.txt").read_text(encoding="utf-8")


def notice_clauses() -> dict[int, str]:
    """Each measure's responsibility clause, read straight from the notice's text."""
    clauses = {}
    for number in range(1, 33):
        line = re.search(rf"^\s*{chinese_numeral(number)}、(.*)$", NOTICE, re.M).group(1)
        clauses[number] = re.search(r"\(([^()]*负责)\)。?\s*$", line).group(1)
    return clauses


def expected_roles(clause: str) -> list[list[tuple[str, str]]]:
    """Bureaus and roles per category as the clause states them (an independent reading of the grammar)."""
    full = lambda name: name if name.startswith("市") else "市" + name  # noqa: E731
    body = clause.removesuffix("负责")
    if body.endswith("按职责分别"):
        return [[(full(name), "separate")] for name in body.removesuffix("按职责分别").split("、")]
    if "会市" in body:
        lead, rest = body.split("会市", 1)
        return [[(full(lead), "lead")] + [(full(name), "co") for name in rest.split("、")]]
    names = body.split("、")
    if len(names) == 1:
        return [[(full(names[0]), "lead")]]
    return [[(full(name), "joint") for name in names]]


def test_document_and_its_predecessor():
    document = PolicyDocument.objects.get(number="穗府办〔2022〕30号")
    assert document.in_force
    assert document.issuer == "广州市人民政府办公厅"
    assert str(document.issued_on) == "2022-12-03"
    assert document.supersedes.number == "穗府办〔2020〕4号"
    assert not document.supersedes.in_force


def test_thirty_two_measures_with_full_text_and_numerals():
    measures = list(Measure.objects.filter(document__number="穗府办〔2022〕30号").order_by("number"))
    assert [m.number for m in measures] == list(range(1, 33))
    for measure in measures:
        assert measure.numeral == chinese_numeral(measure.number)
        # the full clause, exactly as printed in the notice, on its own line after its numeral
        assert f"{measure.numeral}、{measure.text}" in NOTICE
        assert measure.subject_kinds.exists()
        assert measure.support_forms


@pytest.mark.parametrize("number", range(1, 33))
def test_responsibility_clause_matches_catalogue(number):
    clause = notice_clauses()[number]
    measure = Measure.objects.get(document__in_force=True, number=number)
    assert measure.responsibility_clause == clause
    loaded = [
        [(r.bureau.short_name, r.role) for r in category.responsibilities.order_by("order")]
        for category in measure.categories.order_by("order")
    ]
    expected = expected_roles(clause)
    if len(expected) == 1:
        # every category of the measure carries the clause's bureaus in their roles
        assert loaded == expected * len(loaded)
    else:
        # 按职责分别负责: one category per bureau, each separately responsible for its own
        assert loaded == expected


def test_categories_where_measures_are_split():
    codes = {m: list(IncentiveCategory.objects.filter(measure__number=m, measure__document__in_force=True)
                     .order_by("order").values_list("code", "name")) for m in (16, 19, 25, 26, 30, 32)}
    assert codes[19] == [("19-1", "河长制湖长制"), ("19-2", "林长制")]
    assert [c for c, _ in codes[16]] == ["16-1", "16-2"]
    assert [c for c, _ in codes[25]] == ["25-1", "25-2"]
    assert [c for c, _ in codes[26]] == ["26-1", "26-2"]
    assert [c for c, _ in codes[30]] == ["30-1", "30-2", "30-3"]
    assert [c for c, _ in codes[32]] == ["32-1", "32-2"]
    river, forest = (IncentiveCategory.objects.get(code=c) for c in ("19-1", "19-2"))
    assert [r.bureau.short_name for r in river.responsibilities.all()] == ["市水务局"]
    assert [r.bureau.short_name for r in forest.responsibilities.all()] == ["市林业园林局"]
    hospital = IncentiveCategory.objects.get(code="16-2")
    assert list(hospital.subject_kinds.values_list("code", flat=True)) == [UnitKind.HOSPITAL]
    assert IncentiveCategory.objects.filter(measure__document__in_force=True).count() == 39
    assert set(IncentiveCategory.objects.values_list("cap", flat=True)) == {3}


def test_every_bureau_the_notice_names_with_full_name():
    named = set()
    for clause in notice_clauses().values():
        for category in expected_roles(clause):
            named.update(name for name, _ in category)
    assert len(named) == 22
    assert "市绩效办" in named
    bureaus = {b.short_name: b for b in Bureau.objects.filter(short_name__in=named)}
    assert set(bureaus) == named
    assert bureaus["市水务局"].full_name == "广州市水务局"
    assert bureaus["市发展改革委"].full_name == "广州市发展和改革委员会"


def test_eleven_districts_in_official_order():
    with open(Path(__file__).resolve().parent.parent / "fixtures" / "reference" / "guangzhou_districts.csv", encoding="utf-8") as f:
        official = [row["name"] for row in csv.DictReader(f)]
    loaded = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT, is_active=True).order_by("division_order").values_list("name", flat=True))
    assert loaded == official == ["越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]
    luogang = Unit.objects.get(name="萝岗区")
    assert not luogang.is_active and luogang.merged_into.name == "黄埔区"


def test_export_measures_lists_every_category_with_bureaus_and_roles():
    out = io.StringIO()
    call_command("export_measures", stdout=out)
    # The file's headers are Chinese; read here by the columns' names in the code.
    from measures.exports import CATALOGUE_LABELS

    by_label = {label: column for column, label in CATALOGUE_LABELS.items()}
    rows = [{by_label[k]: v for k, v in row.items()} for row in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))]
    assert len(rows) == 39
    by_code = {row["category_code"]: row for row in rows}
    assert by_code["6"]["lead"] == "市水务局" and by_code["6"]["co_responsible"] == "市发展改革委"
    assert by_code["15"]["co_responsible"] == "市发展改革委、市财政局"
    assert by_code["19-2"]["separately_responsible"] == "市林业园林局"
    assert by_code["32-1"]["joint"] == "市政府办公厅、市绩效办、市财政局"
    assert by_code["16-2"]["subject_kinds"] == "医院"
    assert all(row["cap"] == "3" for row in rows)
    for number, clause in notice_clauses().items():
        for row in (r for r in rows if r["measure_number"] == str(number)):
            assert row["responsibility_clause"] == clause


def test_export_measures_xlsx(tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "catalogue.xlsx"
    call_command("export_measures", "--format", "xlsx", "--output", str(target))
    sheet = load_workbook(target, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "中文序号", "措施名称", "类别编号") and len(rows) == 40
    assert "commendation" not in str(rows) and "通报表扬" in str(rows)   # labels, never codes


def test_export_measures_xlsx_needs_an_output():
    with pytest.raises(CommandError, match="--output"):
        call_command("export_measures", "--format", "xlsx")


# Bad input: the database refuses, nothing is saved.

def test_duplicate_measure_number_is_refused():
    document = PolicyDocument.objects.get(in_force=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.create(document=document, number=6, numeral="六", title="重复", text="重复")
    assert Measure.objects.filter(document=document, number=6).count() == 1


def test_two_leads_for_one_category_are_refused():
    category = IncentiveCategory.objects.get(code="6")
    with pytest.raises(IntegrityError), transaction.atomic():
        Responsibility.objects.create(category=category, bureau=Bureau.objects.get(short_name="市财政局"), role="lead", order=9)
    assert category.responsibilities.count() == 2


def test_fixture_with_unknown_bureau_loads_nothing(tmp_path):
    bad = [
        {"model": "measures.measure", "pk": 900, "fields": {"document": 2, "number": 90, "numeral": "九十", "title": "坏",
                                                            "text": "坏", "responsibility_clause": "", "subject_kinds": [],
                                                            "support_forms": [], "support_text": ""}},
        {"model": "measures.incentivecategory", "pk": 900, "fields": {"measure": 900, "code": "90", "name": "坏", "description": "",
                                                                      "subject_kinds": ["district"], "cap": 3, "order": 1}},
        {"model": "measures.responsibility", "pk": 900, "fields": {"category": 900, "bureau": 9999, "role": "lead", "order": 1}},
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(Exception, match="9999|foreign key|FOREIGN KEY|bureau"):
        call_command("loaddata", str(path), verbosity=0)
    assert not Measure.objects.filter(pk=900).exists()


def test_admin_refuses_duplicate_measure_number(client, administrator):
    client.force_login(administrator)
    document = PolicyDocument.objects.get(in_force=True)
    response = client.post("/admin/measures/measure/add/", {
        "document": document.pk, "number": 6, "numeral": "六", "title": "重复", "text": "重复",
        "support_forms": "[]", "categories-TOTAL_FORMS": 0, "categories-INITIAL_FORMS": 0,
    })
    assert response.status_code == 200
    assert "measures_measure_unique_number" not in response.content.decode()
    assert Measure.objects.filter(document=document, number=6).count() == 1
    assert response.context["adminform"].form.errors


def test_chinese_numerals():
    assert [chinese_numeral(n) for n in (1, 10, 11, 19, 20, 32, 99)] == ["一", "十", "十一", "十九", "二十", "三十二", "九十九"]
    with pytest.raises(ValueError):
        chinese_numeral(0)


# Transactional on purpose: these two check conftest's reload of the catalogue after a flush.
@pytest.mark.django_db(transaction=True)
def test_catalogue_is_there_in_transactional_tests():
    # Transactional tests flush the database when they end; the catalogue must be back for each of them.
    assert Measure.objects.filter(document__in_force=True).count() == 32
    Measure.objects.filter(number=32).update(title="changed in a transactional test")


@pytest.mark.django_db(transaction=True)
def test_catalogue_is_there_again_after_a_flush():
    assert Measure.objects.filter(document__in_force=True).count() == 32
    assert not Measure.objects.filter(title="changed in a transactional test").exists()
