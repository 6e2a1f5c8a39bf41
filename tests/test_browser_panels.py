"""An expert panel from end to end in a real Chromium: 张伟 (General Office reviewer) convenes a panel of five for
category 10 (工业稳增长) from the 工业经济 experts of the pool; 孙浩 (who declares it on his page) and 周敏 declared
stakes in candidates, so the draw leaves them out and its record names them. Each expert scores the four ranked
districts with a comment; the first drawn sees nobody's scores before submitting his own, even when the four
others are in. 番禺区's totals disagree (60 four times, 20 once): flagged for discussion. The reviewer reads the
trimmed mean (去掉一个最高分和一个最低分) beside the bureau's ranking.

Controls are found by stable hooks (names, ids, data- attributes), never by their translated words."""

import pytest
from django.conf import settings
from django.test import Client

from evaluation.models import Panel
from evaluation.services import StakeEntry, declaration_make
from organisation.models import Programme, Unit
from tests.browser_fixtures import DESKTOP, screenshot
from tests.browser_helpers import assert_accessible, assert_in_chinese, assert_labelled, log_in, open_cycle
from tests.factories import expert_pool, industry_ranking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Points (工业增加值增速 / 60, 智能制造示范 / 40) of the five experts, in the order of the draw.
POINTS = {
    "海珠区": [("50", "30"), ("48", "30"), ("45", "25"), ("44", "24"), ("50", "30")],  # 80 78 70 68 80 → 76.00
    "天河区": [("45", "25")] * 5,  # 70 → 70.00
    "黄埔区": [("40", "25")] * 5,  # 65 → 65.00
    "番禺区": [("40", "20")] * 4 + [("10", "10")],  # 60 ×4, 20: a spread of 40 → flagged; trimmed 60.00
}


def _signed_in(browser_context_factory, live_server, user):
    """A page already signed in as ``user`` (a session made by the test client): the sign-in form is walked by
    the office and the first expert; the four others skip it."""
    client = Client()
    client.force_login(user)
    context = browser_context_factory(viewport=DESKTOP)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    return context.new_page()


def _score(page, index):
    for row in page.locator("#panel-form tbody tr").all():
        unit = row.get_attribute("data-unit")
        inputs = row.locator("input[type=text]")
        for position, value in enumerate(POINTS[unit][index]):
            inputs.nth(position).fill(value)
        row.locator("textarea").fill(f"{unit}工业稳增长成效明显（第{index + 1}位专家）。")
    with page.expect_navigation():
        page.locator("#panel-form button[type=submit]").click()


def test_a_panel_of_five_drawn_without_stakes_scores_and_stands_beside_the_ranking(
        browser_context_factory, live_server, reviewer, administrator):
    cycle = open_cycle(administrator)
    category = industry_ranking(cycle.year, reviewer=reviewer)
    pool = {expert.name: expert for expert in expert_pool()}
    programme = Programme.objects.default()
    units = {u.name: u for u in Unit.objects.filter(programme=programme, name__in=POINTS)}
    declaration_make(actor=pool["周敏"].user, programme_id=programme.pk, year=cycle.year,
                     stakes=[StakeEntry(unit=units["天河区"], stake="relative", reason="配偶在天河区工信局工作")])

    # 孙浩 declares his stake in 海珠区 on his own page (an expert sees nothing but his panels and this page).
    sun = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(sun, live_server, pool["孙浩"].user)
    assert sun.url.endswith("/evaluation/panels/")
    sun.goto(f"{live_server.url}/evaluation/{cycle.year}/declaration/")
    sun.locator("#id_unit").fill("海珠区")
    sun.locator("#id_stake").select_option("worked")
    sun.locator("#id_reason").fill("曾任海珠区工信局副局长")
    with sun.expect_navigation():
        sun.locator("#declaration-form button[type=submit]").click()
    assert sun.locator("#declaration-form").count() == 1 and sun.locator("[data-stake=worked]").count() == 1

    # The General Office convenes five from 工业经济, from the category's evaluation page.
    office = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(office, live_server, reviewer)
    office.goto(f"{live_server.url}/evaluation/{cycle.year}/{category.pk}/")
    with office.expect_navigation():
        office.locator("#panel-link").click()
    assert_labelled(office)
    office.locator("#id_size").fill("5")
    office.locator("input[name=fields][value='工业经济']").check()
    with office.expect_navigation():
        office.locator("#convene-form button[type=submit]").click()
    panel = Panel.objects.get(category=category, year=cycle.year)
    assert office.url.endswith(f"/evaluation/panels/{panel.pk}/")
    excluded = office.locator("#excluded li[data-reason=stake]")
    assert sorted(excluded.nth(i).get_attribute("data-expert") for i in range(excluded.count())) == ["周敏", "孙浩"]
    assert office.locator("#drawn li").count() == 5 and office.locator("#replay[data-matches=yes]").count() == 1
    screenshot(office, "panel-draw-desktop")

    members = [m.expert for m in panel.members.select_related("expert__user").order_by("order")]
    first = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(first, live_server, members[0].user)
    with first.expect_navigation():
        first.locator(f"#panels tr[data-panel='{panel.pk}'] a").click()
    pages = [first] + [_signed_in(browser_context_factory, live_server, expert.user) for expert in members[1:]]
    for page in pages[1:]:
        page.goto(f"{live_server.url}/evaluation/panels/{panel.pk}/")
    for page in pages:
        assert page.locator("#panel-form").count() == 1 and page.locator("#panel-table").count() == 0
    # The four others submit first; the first drawn still sees none of their scores or comments.
    for index in range(1, 5):
        _score(pages[index], index)
        assert pages[index].locator("#panel-table").count() == 1
    first.reload()
    assert first.locator("#others-hidden").count() == 1 and first.locator("#panel-table").count() == 0
    assert "第2位专家" not in first.content() and "78" not in first.locator("main").inner_text()
    assert_labelled(first)
    assert_in_chinese(first, "海珠区")
    screenshot(first, "panel-expert-scoring-desktop")
    assert_accessible(first, "the expert's scoring form")
    _score(first, 0)
    assert first.locator("#panel-table thead th").count() == 1 + 5 + 4  # candidate, five experts, four results
    assert first.locator("#draw-record").count() == 0  # the draw and the bureau's ranking are the office's

    # The office: the trimmed mean beside the bureau's ranking, 番禺区 flagged for discussion.
    office.reload()
    rows = office.locator("#panel-table tbody tr")
    assert [rows.nth(i).get_attribute("data-unit") for i in range(4)] == ["海珠区", "天河区", "黄埔区", "番禺区"]
    haizhu = office.locator("#panel-table tr[data-unit='海珠区']")
    assert haizhu.locator("[data-bureau-position]").inner_text() == "1"
    assert haizhu.locator("[data-score]").get_attribute("data-score") == "76.00"
    assert office.locator("#aggregation[data-aggregation=trimmed]").count() == 1
    assert [rows.nth(i).get_attribute("data-flagged") for i in range(4)] == ["no", "no", "no", "yes"]
    assert office.locator("#panel-table tr[data-unit='番禺区'] [data-score]").get_attribute("data-score") == "60.00"
    assert_in_chinese(office, "去掉")
    screenshot(office, "panel-table-desktop")
    assert_accessible(office, "the panel's table")
