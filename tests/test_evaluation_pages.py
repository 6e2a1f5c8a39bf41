"""The evaluation's pages: the criteria form, the scoring sheet (typed values, the import with its preview), the
declaration of interests, and the recusal through the page. 王芳 (wangfang) and 赵敏 (zhaomin) are clerks of 市水务局,
which leads measure 6; 张伟 (zhangwei) reviews."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from evaluation import services
from evaluation.models import Criteria, Declaration, Value
from organisation import roles
from organisation.models import Programme, Unit

from .factories import (
    DISTRICT_VALUES,
    MEASURE6_INDICATORS,
    declare_nothing,
    district_rows,
    file_criteria,
    make_user,
    values_workbook,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
YEAR = 2025


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clerk_water2(bureau):
    return make_user("zhaomin", first_name="赵敏", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局")])


def _criteria_post(rows, change_reason=""):
    data = {"indicators-TOTAL_FORMS": str(len(rows)), "indicators-INITIAL_FORMS": "0", "change_reason": change_reason}
    for index, row in enumerate(rows):
        for key, value in row.items():
            if key == "evidence_required":
                if value:
                    data[f"indicators-{index}-{key}"] = "on"
            else:
                data[f"indicators-{index}-{key}"] = value
    return data


def _sheet_post(criteria, values):
    units = {u.name: u for u in Unit.objects.filter(programme__is_default=True, kind_id="district")}
    data = {}
    for name, figures in values.items():
        for indicator, figure in zip(criteria.indicators.order_by("order"), figures, strict=False):
            data[services.value_field(indicator, units[name])] = figure
    return data


def test_a_clerk_files_the_criteria_through_the_form(clerk_water, category):
    client = _client(clerk_water)
    url = reverse("evaluation:criteria", args=[YEAR, category("6").pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _criteria_post(MEASURE6_INDICATORS + [{"name": ""}]))
    assert response.status_code == 302
    criteria = Criteria.objects.get()
    assert criteria.indicators.count() == 3 and criteria.indicators.get(name="项目建设质量").evidence_required
    sheet = client.get(reverse("evaluation:sheet", args=[YEAR, category("6").pk])).content.decode()
    assert "投资完成率" in sheet and "市水务局年度投资统计" in sheet


def test_weights_not_adding_up_are_refused_on_the_form_naming_the_field(clerk_water, category):
    rows = [dict(row) for row in MEASURE6_INDICATORS]
    rows[2]["weight"] = "25"
    response = _client(clerk_water).post(reverse("evaluation:criteria", args=[YEAR, category("6").pk]),
                                         _criteria_post(rows))
    assert response.status_code == 400
    assert 'data-field="weight"' in response.content.decode() and "105" in response.content.decode()
    assert not Criteria.objects.exists()


def test_a_change_after_the_first_value_needs_its_reason_on_the_form(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    services.values_enter(actor=clerk_water, criteria=criteria,
                          cells={(Unit.objects.get(name="越秀区"), criteria.indicators.get(name="群众满意度")): "8"})
    rows = [dict(row) for row in MEASURE6_INDICATORS]
    rows[0]["weight"], rows[1]["weight"] = "40", "40"
    url = reverse("evaluation:criteria", args=[YEAR, category("6").pk])
    response = _client(clerk_water).post(url, _criteria_post(rows))
    assert response.status_code == 400 and 'data-field="change_reason"' in response.content.decode()
    assert Criteria.objects.count() == 1
    assert _client(clerk_water).post(url, _criteria_post(rows, "质量权重上调")).status_code == 302
    assert Criteria.objects.count() == 2


def test_typed_values_need_a_declaration_then_a_bad_value_is_refused_naming_its_cell(clerk_water, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    client = _client(clerk_water)
    url = reverse("evaluation:sheet", args=[YEAR, category("6").pk])
    response = client.post(url, _sheet_post(criteria, DISTRICT_VALUES), HTTP_REFERER="http://testserver" + url)
    assert response.status_code == 302 and not Value.objects.exists()
    assert 'id="declare-first"' in client.get(url).content.decode()
    decl = client.post(reverse("evaluation:declaration", args=[YEAR]), {"nothing": "on", "next": url})
    assert decl.status_code == 302 and decl["Location"] == url
    bad = {**DISTRICT_VALUES, "荔湾区": ("95", "70", "十")}
    response = client.post(url, _sheet_post(criteria, bad))
    page = response.content.decode()
    assert response.status_code == 400 and "荔湾区 · 群众满意度" in page and 'aria-invalid="true"' in page
    assert not Value.objects.exists()
    assert client.post(url, _sheet_post(criteria, DISTRICT_VALUES)).status_code == 302
    assert Value.objects.count() == 33
    page = client.get(url).content.decode()
    assert re.search(r'data-unit="海珠区" data-position="1"', page) and 'id="tie-rule"' in page


def test_the_import_previews_refuses_a_bad_row_then_imports_the_fixed_file(clerk_water, category):
    file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    client = _client(clerk_water)
    url = reverse("evaluation:import", args=[YEAR, category("6").pk])
    bad = SimpleUploadedFile("values.xlsx", values_workbook(district_rows(番禺区=("105", "120", "8"))))
    response = client.post(url, {"file": bad})
    page = response.content.decode()
    assert response.status_code == 400 and 'data-row="8" data-column="项目建设质量"' in page
    assert 'name="token"' not in page and not Value.objects.exists()
    good = SimpleUploadedFile("values.xlsx", values_workbook(district_rows()))
    response = client.post(url, {"file": good})
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    assert not Value.objects.exists()  # the preview writes nothing
    assert client.post(url, {"token": token, "confirm": "1"}).status_code == 302
    assert Value.objects.count() == 33


def test_a_recused_clerk_cannot_enter_or_change_haizhu_through_the_page(clerk_water, clerk_water2, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    client = _client(clerk_water)
    url = reverse("evaluation:sheet", args=[YEAR, category("6").pk])
    client.post(reverse("evaluation:declaration", args=[YEAR]),
                {"unit": "海珠区", "stake": "worked", "reason": "2021年前在海珠区水务局工作"})
    assert Declaration.objects.get().unit.name == "海珠区"
    page = client.get(url).content.decode()
    haizhu = Unit.objects.get(name="海珠区", programme__is_default=True)
    field = services.value_field(criteria.indicators.get(name="投资完成率"), haizhu)
    assert re.search(rf'name="{field}" value="" [^>]*disabled', page)
    response = client.post(url, _sheet_post(criteria, {"海珠区": ("120", "90", "9")}),
                           HTTP_REFERER="http://testserver" + url)
    assert response.status_code == 302 and not Value.objects.filter(unit=haizhu).exists()
    assert "海珠区" in str(list(response.wsgi_request._messages)[0])
    declare_nothing(clerk_water2, YEAR)
    assert _client(clerk_water2).post(url, _sheet_post(criteria, {"海珠区": ("120", "90", "9")})).status_code == 302
    page = client.get(url).content.decode()
    assert "王芳" in page and Value.objects.filter(unit=haizhu).count() == 3
    # the sheet names who recused from 海珠区 (in the ranking, for every reader)
    ranking = page[page.index('id="ranking"'):page.index('id="tie-rule"')]
    assert re.search(r'data-unit="海珠区".*?王芳', ranking, re.S)


def test_the_reviewer_reads_the_sheet_and_decides_the_criteria(clerk_water, reviewer, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    client = _client(reviewer)
    page = client.get(reverse("evaluation:sheet", args=[YEAR, category("6").pk])).content.decode()
    assert 'id="criteria-decision"' in page and 'id="sheet-form"' not in page
    response = client.post(reverse("evaluation:criteria_decide", args=[criteria.pk]), {"decision": "return", "reason": ""},
                           HTTP_REFERER="http://testserver/")
    assert response.status_code == 302
    criteria.refresh_from_db()
    assert criteria.state == Criteria.State.SUBMITTED
    client.post(reverse("evaluation:criteria_decide", args=[criteria.pk]), {"decision": "accept", "reason": ""})
    criteria.refresh_from_db()
    assert criteria.state == Criteria.State.ACCEPTED


def test_a_clerk_of_another_bureau_does_not_find_the_sheet(clerk_forestry, clerk_water, category):
    file_criteria(clerk_water, category("6"), YEAR)
    client = _client(clerk_forestry)
    assert client.get(reverse("evaluation:sheet", args=[YEAR, category("6").pk])).status_code == 404
    assert client.get(reverse("evaluation:criteria", args=[YEAR, category("6").pk])).status_code == 404


# --- query counts: the sheet at 11 and at 300 eligible units ------------------------------------------------------


def _many_districts(count):
    programme = Programme.objects.default()
    Unit.objects.bulk_create([Unit(programme=programme, kind_id="district", name=f"测试区{n:03d}",
                                   division_order=5000 + n) for n in range(count)])


@pytest.mark.parametrize("extra", [0, 289])
def test_the_sheet_costs_the_same_queries_with_11_and_300_units(clerk_water, category,
                                                                django_assert_num_queries, extra):
    _many_districts(extra)
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    declare_nothing(clerk_water, YEAR)
    services.values_enter(actor=clerk_water, criteria=criteria, cells={
        (unit, indicator): "5" for unit in Unit.objects.filter(programme__is_default=True, kind_id="district",
                                                               is_active=True)
        for indicator in criteria.indicators.all()})
    client = _client(clerk_water)
    url = reverse("evaluation:sheet", args=[YEAR, category("6").pk])
    client.get(url)
    with django_assert_num_queries(13):
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count('data-position=') == 11 + extra


def test_the_reviewers_rules_page_lists_the_criteria_waiting_for_review(clerk_water, reviewer, category):
    criteria = file_criteria(clerk_water, category("6"), YEAR)
    page = _client(reviewer).get(reverse("reviews:rules")).content.decode()
    assert f'data-criteria="{criteria.pk}"' in page
    services.criteria_accept(actor=reviewer, criteria=criteria)
    page = _client(reviewer).get(reverse("reviews:rules")).content.decode()
    assert f'data-criteria="{criteria.pk}"' not in page
