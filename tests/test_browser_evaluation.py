"""The evaluation behind a list, from end to end in a real Chromium against the application served by the test run.

王芳 (clerk of 市水务局) files the criteria of measure 6 (水务建设投资) with three indicators, declares that she has
nothing to declare, imports the values of all 11 districts from an .xlsx with one bad row (refused with its row and
column, nothing written), fixes it, reads the ranking, proposes the top three the editor offers, departs from the
ranking once with a reason and submits; 张伟 (reviewer) reads the criteria, the full ranking, the departure and its
reason on the list's review page.

Controls are found by stable hooks (names, ids, data- attributes), never by their translated words.
"""

import pytest

from evaluation.models import Criteria, Value
from nominations.models import NominationList
from tests.browser_fixtures import DESKTOP, choose_unit, screenshot
from tests.browser_helpers import assert_accessible, assert_in_chinese, assert_labelled, log_in, open_cycle
from tests.factories import MEASURE6_INDICATORS, district_rows, values_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]

# By the values of tests.factories.DISTRICT_VALUES: 海珠区, 黄埔区, 天河区, then 番禺区.
TOP3 = ["海珠区", "黄埔区", "天河区"]


def _fill_indicator(page, index, row):
    prefix = f"#id_indicators-{index}-"
    page.locator(prefix + "name").fill(row["name"])
    page.locator(prefix + "method").select_option(row["method"])
    page.locator(prefix + "weight").fill(row["weight"])
    for key in ("scale_min", "scale_max", "unit_of_measure", "data_source"):
        if row.get(key):
            page.locator(prefix + key).fill(row[key])
    if row.get("direction"):
        page.locator(prefix + "direction").select_option(row["direction"])
    if row.get("evidence_required"):
        page.locator(prefix + "evidence_required").check()


def test_criteria_import_ranking_departure_and_the_reviewers_table(browser_context_factory, live_server, tmp_path,
                                                                  clerk_water, reviewer, administrator, category,
                                                                  districts):
    cycle = open_cycle(administrator)
    investment = category("6")
    list_url = f"{live_server.url}/nominations/{cycle.year}/{investment.pk}/"
    clerk = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(clerk, live_server, clerk_water)

    # From the list's page to the criteria: three indicators, weights 50 + 30 + 20.
    clerk.goto(list_url)
    with clerk.expect_navigation():
        clerk.locator("#evaluation-link").click()
    with clerk.expect_navigation():
        clerk.locator(f"a[href$='/evaluation/{cycle.year}/{investment.pk}/criteria/']").click()
    assert_labelled(clerk)
    for index, row in enumerate(MEASURE6_INDICATORS):
        _fill_indicator(clerk, index, row)
    with clerk.expect_navigation():
        clerk.locator("#criteria-form button[type=submit]").click()
    criteria = Criteria.objects.get(category=investment, year=cycle.year)
    assert criteria.indicators.count() == 3
    assert clerk.locator("#criteria [data-criteria-state='submitted']").count() == 1
    assert_in_chinese(clerk, "投资完成率")

    # 回避: she declares that she has nothing to declare, and comes back to the sheet.
    with clerk.expect_navigation():
        clerk.locator(f"a[href*='/evaluation/{cycle.year}/declaration/']").click()
    clerk.locator("#id_nothing").check()
    with clerk.expect_navigation():
        clerk.locator("#declaration-form button[type=submit]").click()
    assert clerk.url.endswith(f"/evaluation/{cycle.year}/{investment.pk}/")

    # The import: one bad row (白云区's 投资完成率 is not a number) refuses the file with its row and column.
    bad = tmp_path / "values-bad.xlsx"
    bad.write_bytes(values_workbook(district_rows(白云区=("九十", "75", "6"))))
    with clerk.expect_navigation():
        clerk.locator(f"a[href$='/evaluation/{cycle.year}/{investment.pk}/import/']").click()
    clerk.locator("#upload-form input[type=file]").set_input_files(str(bad))
    with clerk.expect_navigation():
        clerk.locator("#upload-form button[type=submit]").click()
    error = clerk.locator("#import-errors li[data-row='6'][data-column='投资完成率']")
    assert error.count() == 1 and "九十" in error.inner_text()
    assert clerk.locator("input[name=token]").count() == 0 and not Value.objects.exists()
    screenshot(clerk, "evaluation-import-refused-desktop")

    # Fixed, previewed, confirmed.
    good = tmp_path / "values.xlsx"
    good.write_bytes(values_workbook(district_rows()))
    clerk.locator("#upload-form input[type=file]").set_input_files(str(good))
    with clerk.expect_navigation():
        clerk.locator("#upload-form button[type=submit]").click()
    with clerk.expect_navigation():
        clerk.locator("#preview button[name=confirm]").click()
    assert Value.objects.filter(indicator__criteria=criteria).count() == 33

    # The ranking of every district, with its tie rule.
    rows = clerk.locator("#ranking tbody tr")
    assert rows.count() == 11
    assert [rows.nth(i).get_attribute("data-unit") for i in range(3)] == TOP3
    assert clerk.locator("#tie-rule").count() == 1
    screenshot(clerk, "evaluation-ranking-desktop")
    assert_accessible(clerk, "the scoring sheet's ranking")

    # The editor proposes the top three; she puts 番禺区 (4th) in place of 天河区 (3rd), with the reason.
    clerk.goto(f"{list_url}edit/")
    assert [clerk.locator(f"#id_rows-{i}-unit_name").input_value() for i in range(3)] == TOP3
    panyu = next(d for d in districts if d.name == "番禺区")
    choose_unit(clerk, 2, panyu)
    for index in range(3):
        clerk.locator(f"#id_rows-{index}-achievements").fill("水务建设投资完成情况好。")
    with clerk.expect_navigation():
        clerk.locator(".actions button[name=action][value=save]").click()
    assert clerk.locator("#editor-error").count() == 1  # a departure without its reason is refused
    clerk.locator("#id_rows-2-departure_reason").fill("天河区本年度重点工程延期，番禺区超额完成污水治理任务。")
    with clerk.expect_navigation():
        clerk.locator(".actions button[name=action][value=submit]").click()
    with clerk.expect_navigation():
        clerk.locator("button[name=confirm]").click()
    nl = NominationList.objects.get(cycle=cycle, category=investment)
    assert nl.state == "submitted"
    assert [n.unit.name for n in nl.nominees.order_by("rank")] == ["海珠区", "黄埔区", "番禺区"]

    # The reviewer reads the criteria, the full table, the departure and its reason.
    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/review/lists/{nl.pk}/")
    assert page.locator("#evaluation #criteria tbody tr").count() == 3
    assert page.locator("#evaluation #ranking tbody tr").count() == 11
    departure = page.locator("#evaluation [data-departure='番禺区']")
    assert "天河区本年度重点工程延期" in departure.inner_text()
    assert_in_chinese(page, "番禺区")
    screenshot(page, "evaluation-reviewer-desktop")
    assert_accessible(page, "the reviewer's table")
