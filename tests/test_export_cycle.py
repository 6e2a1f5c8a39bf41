"""Exports of the catalogue, nomination lists and awards of any cycle, as .xlsx and .csv, formulas neutralised."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from measures.exports import safe_cell
from measures.models import PolicyDocument
from nominations.exports import NOMINATION_HEADER, nomination_rows
from nominations.models import BEIJING, Cycle, NominationList, Nominee
from reviews.exports import AWARD_HEADER, award_rows
from reviews.models import Award, Decision

pytestmark = pytest.mark.django_db


def make_cycle(year):
    return Cycle.objects.create(year=year, document=PolicyDocument.objects.get(in_force=True),
                                opens_at=datetime.datetime(year + 1, 1, 1, tzinfo=BEIJING),
                                deadline=datetime.datetime(year + 1, 3, 31, 23, 59, 59, tzinfo=BEIJING))


def fill(cycle, categories, districts, reviewer, *, per_list=2):
    for category in categories:
        owner = category.responsibilities.filter(role__in=["lead", "separate", "joint"]).order_by("order").first().bureau
        nomination_list = NominationList.objects.create(cycle=cycle, category=category, bureau=owner, state="decided")
        for rank in range(1, per_list + 1):
            nominee = Nominee.objects.create(nomination_list=nomination_list, unit=districts[rank], rank=rank,
                                             achievements="=SUM(A1:A9)" if rank == 1 else "河湖管理成效明显")
            Decision.objects.create(nominee=nominee, approved=rank == 1, decided_by=reviewer)
            if rank == 1:
                Award.objects.create(cycle=cycle, category=category, unit=nominee.unit, nominee=nominee, slot=1)


def test_nomination_and_award_rows(category, districts, reviewer):
    cycle = make_cycle(2024)
    fill(cycle, [category("6"), category("19-1")], districts, reviewer)
    rows = list(nomination_rows(cycle))
    assert rows[0] == NOMINATION_HEADER and len(rows) == 5
    first = dict(zip(NOMINATION_HEADER, rows[1], strict=True))
    assert first["category_code"] == "6" and first["bureau"] == "市水务局" and first["rank"] == "1"
    assert first["decision"] == "approved" and first["unit"] == districts[1].name
    awards = list(award_rows(cycle))
    assert awards[0] == AWARD_HEADER
    assert [row[2] for row in awards[1:]] == ["6", "19-1"]


def test_export_queries_do_not_grow_with_the_lists(category, districts, reviewer, django_assert_max_num_queries):
    small, large = make_cycle(2021), make_cycle(2022)
    fill(small, [category("6")], districts, reviewer, per_list=1)
    fill(large, [category(c) for c in ("3", "6", "19-1", "19-2", "16-1", "16-2")], districts, reviewer, per_list=3)
    for cycle in (small, large):
        with django_assert_max_num_queries(3):
            list(nomination_rows(cycle))
        with django_assert_max_num_queries(1):
            list(award_rows(cycle))


def test_commands_write_csv_and_xlsx_with_formulas_neutralised(tmp_path, category, districts, reviewer):
    cycle = make_cycle(2023)
    fill(cycle, [category("6")], districts, reviewer)
    out = io.StringIO()
    call_command("export_nominations", "--cycle", "2023", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["achievements"] == "'=SUM(A1:A9)"
    target = tmp_path / "awards.xlsx"
    call_command("export_awards", "--cycle", "2023", "--format", "xlsx", "--output", str(target))
    sheet = list(load_workbook(target, read_only=True).active.iter_rows(values_only=True))
    assert list(sheet[0]) == AWARD_HEADER and len(sheet) == 2
    target = tmp_path / "lists.xlsx"
    call_command("export_nominations", "--cycle", "2023", "--format", "xlsx", "--output", str(target))
    cells = [c for row in load_workbook(target).active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(1)", "\t=1"])
def test_safe_cell(value):
    assert safe_cell(value) == "'" + value


def test_admin_exports_page_and_downloads(client, administrator, category, districts, reviewer):
    cycle = make_cycle(2020)
    fill(cycle, [category("6")], districts, reviewer)
    client.force_login(administrator)
    page = client.get(reverse("admin:measures_measure_exports"))
    assert page.status_code == 200 and reverse("admin:reviews_award_exports").encode() in page.content
    page = client.get(reverse("admin:reviews_award_exports"))
    assert page.status_code == 200 and str(cycle.year).encode() in page.content
    for what, pk in (("nominations", cycle.pk), ("awards", cycle.pk), ("catalogue", cycle.document_id)):
        for file_format in ("csv", "xlsx"):
            response = client.get(reverse("admin:measures_measure_export" if what == "catalogue" else "admin:reviews_award_export", args=[what, pk, file_format]))
            assert response.status_code == 200
            assert f".{file_format}" in response["Content-Disposition"]
    csv_text = client.get(reverse("admin:reviews_award_export", args=["nominations", cycle.pk, "csv"])).content.decode("utf-8-sig")
    assert "'=SUM(A1:A9)" in csv_text


def test_exports_are_for_administrators(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("admin:measures_measure_exports"))
    assert response.status_code in (302, 403)
