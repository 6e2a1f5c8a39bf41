"""The pages people live in, in a real Chromium at 1280 px and at a phone's 390 px (one journey per width):

* 王芳 (clerk, 市水务局) reads the General Office's decisions and their reasons on her decided list, and is told
  when an upheld objection withdraws one of her awards;
* 张伟 (reviewer) sees the desk's count rise with an exception request and an objection, and is notified of each;
* beginning the review, the public notice (with one reason for every category without a list) and upholding an
  objection ask first: refused without the confirmation, the error comes first and focused, what was typed kept;
* the list editor moves a row with the keyboard without reloading (the focus stays on the row), keeps the draft
  as the clerk types, and warns before leaving with changes not saved;
* 陈明, who objected, finds his objection's state by its receipt number and his telephone; at 390 px the desk
  stays of a reasonable height and a list's history reads entry by entry, not one character a line.

Controls are found by stable hooks (names, ids, form actions, data- attributes), never by their translated words.
"""

import datetime
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from measures.models import PolicyDocument
from nominations import services as nomination_services
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, CapExceptionRequest, Cycle, NominationList, Nominee
from organisation.models import Notification
from reviews import services
from reviews.models import Award, Objection
from tests.browser_fixtures import DESKTOP, PHONE, screenshot
from tests.factories import put_on_notice

from . import factories
from .browser_helpers import assert_fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
NOTICE_YEAR = 2024
NOTICE_DAY = datetime.datetime(2025, 4, 10, 10, tzinfo=BEIJING)
DURING = datetime.datetime(2025, 4, 14, 15, tzinfo=BEIJING)
OBJECTOR = {"name": "陈明", "contact": "13800000000", "grounds": "该区上报的考核数据与实际不符。"}


def decided_on_notice(reviewer, clerk, category, bureau, districts) -> Cycle:
    """The 2024 year on public notice: 市水务局's 19-1 decided (two approved, one not, with its reason)."""
    cycle = Cycle.objects.create(year=NOTICE_YEAR, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=datetime.datetime(NOTICE_YEAR, 6, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(NOTICE_YEAR))
    nl = NominationList.objects.create(cycle=cycle, category=category("19-1"), bureau=bureau("市水务局"),
                                       state="submitted", submitted_at=NOTICE_DAY - datetime.timedelta(days=20),
                                       submitted_by=clerk, created_by=clerk)
    for rank, unit in enumerate(districts[:3], start=1):
        nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements="河湖长制成效明显")
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=rank < 3,
                                comment="" if rank < 3 else "考核排名未进入前三")
    put_on_notice(reviewer, cycle, at=NOTICE_DAY)
    cycle.refresh_from_db()
    return cycle


def waiting(page, kind: str) -> int:
    return int(page.locator(f"[data-waiting='{kind}']").get_attribute("data-count"))


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_decisions_the_desk_confirmations_and_the_editor(browser_context_factory, live_server, reviewer, clerk_water,
                                                         administrator, category, bureau, districts, viewport):
    width = "phone" if viewport is PHONE else "desktop"
    clock = {"now": timezone.now()}
    with mock.patch("nominations.deadlines.current_time", side_effect=lambda: clock["now"]):
        noticed = decided_on_notice(reviewer, clerk_water, category, bureau, districts)
        water_19_1 = NominationList.objects.get(cycle=noticed, category=category("19-1"))
        # Last year's lists, due in two days (the public notice that follows stays within a known calendar year).
        cycle = factories.open_cycle(administrator, timezone.localdate().year - 1, days_left=2)
        water = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle,
                                                                  category=category("6"))
        nomination_services.nomination_list_save(actor=clerk_water, nomination_list=water, version=water.version,
                                                 entries=[nomination_services.NomineeEntry(
                                                     unit=unit, achievements=f"{unit.name}水务投资完成。", figures="",
                                                     files=[]) for unit in districts[:2]])
        clerk = browser_context_factory(viewport=viewport).new_page()
        log_in(clerk, live_server, clerk_water)
        office = browser_context_factory(viewport=viewport).new_page()
        log_in(office, live_server, reviewer)

        # The clerk reads each decision and the reason of the refusal, on the list and in its printable view.
        for address in (f"/nominations/{NOTICE_YEAR}/{water_19_1.category_id}/",
                        f"/nominations/{NOTICE_YEAR}/{water_19_1.category_id}/print/"):
            clerk.goto(f"{live_server.url}{address}")
            assert clerk.locator("[data-decision=approved]").count() == 2
            assert clerk.locator("[data-decision=refused] [data-decision-reason]").inner_text().endswith("考核排名未进入前三")
        if viewport is PHONE:
            assert_fits(clerk, PHONE)
        screenshot(clerk, f"pages-work-decisions-{width}")

        # The desk's count rises with an exception request; the reviewer is notified.
        office.goto(f"{live_server.url}/review/?year={cycle.year}")
        before = int(office.locator("[data-count=waiting-total]").inner_text())
        assert waiting(office, "exceptions") == 0
        nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water, requested_limit=4,
                                                  reason="四个区成效同样突出")
        office.reload()
        assert waiting(office, "exceptions") == 1
        assert int(office.locator("[data-count=waiting-total]").inner_text()) == before + 1
        assert Notification.objects.filter(user=reviewer, kind="waiting", title__contains="突破名额").count() == 1
        assert office.locator("[data-unread-count]").count() == 1
        if viewport is PHONE:
            assert_fits(office, PHONE)
        screenshot(office, f"pages-work-desk-{width}")

        # The editor: a row moved down with the keyboard, in place; the focus stays on it; the draft is kept.
        clerk.goto(f"{live_server.url}/nominations/{cycle.year}/{water.category_id}/edit/")
        clerk.evaluate("window.notReloaded = true;"
                       "document.querySelector('form[data-editor]').setAttribute('data-autosave-delay', '50')")
        version = clerk.locator("input[name=version]").input_value()
        first_unit = clerk.locator("[data-row] input[name$='-unit_name']").first.input_value()
        clerk.locator("[data-row]").first.locator("[data-move=down]").focus()
        clerk.keyboard.press("Enter")
        assert clerk.evaluate("window.notReloaded") is True
        assert clerk.locator("[data-row]").nth(1).locator("input[name$='-unit_name']").input_value() == first_unit
        assert clerk.evaluate("document.activeElement.closest('[data-row]')"
                              ".querySelector('input[name$=\"-unit_name\"]').value") == first_unit
        expect(clerk.locator("input[name=version]")).not_to_have_value(version)
        water.refresh_from_db()
        assert water.state == "draft"
        assert [n.unit_id for n in water.nominees.order_by("rank")] == [districts[1].pk, districts[0].pk]
        if viewport is PHONE:
            assert_fits(clerk, PHONE)
        screenshot(clerk, f"pages-work-editor-{width}")
        # Changes not saved yet: leaving asks first.
        clerk.evaluate("document.querySelector('form[data-editor]').setAttribute('data-autosave-delay', '600000')")
        clerk.locator("[data-row] textarea[name$='-achievements']").first.fill("补充：节水型城市建设。")
        dialogs = []
        clerk.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
        clerk.close(run_before_unload=True)
        clerk.wait_for_event("close")
        assert dialogs == ["beforeunload"]

        # 开始审核 asks first: the browser's question, then, without the confirmation, the step again, its error
        # first and focused; nothing changed.
        clock["now"] = cycle.deadline + datetime.timedelta(days=1)
        services.cap_exception_refuse(actor=reviewer, request=CapExceptionRequest.objects.get(nomination_list=water),
                                      reason="原则上不超3个")
        office.goto(f"{live_server.url}/review/?year={cycle.year}")
        questions = []
        office.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        with office.expect_navigation():
            office.locator(f"form[action='/review/{cycle.year}/begin-review/'] button[type=submit]").click()
        assert len(questions) == 1
        assert focused_id(office) == "error-summary"
        cycle.refresh_from_db()
        assert cycle.state == "open"

        # 进入公示: one reason for every category without a list; refused without the confirmation, the reason
        # stays typed; confirmed, the notice starts.
        office.goto(f"{live_server.url}/review/{cycle.year}/notice/")
        office.locator("#ack-all").fill("本年度无符合条件的单位")
        with office.expect_navigation():
            office.locator("main form button[type=submit]").click()
        assert focused_id(office) == "error-summary"
        assert office.locator("#ack-all").input_value() == "本年度无符合条件的单位"
        assert len(questions) == 2
        office.locator("#id_confirm").check()
        with office.expect_navigation():
            office.locator("main form button[type=submit]").click()
        cycle.refresh_from_db()
        assert cycle.state == "notice", office.locator("main").inner_text()[:600]

        # An objection to the 2024 notice: the desk's count rises and the reviewer is notified; upholding it asks
        # first, keeps the reasons typed, then withdraws the award and tells the bureau.
        award = Award.objects.get(cycle=noticed, unit=districts[0])
        clock["now"] = DURING
        office.goto(f"{live_server.url}/review/?year={NOTICE_YEAR}")
        assert waiting(office, "objections") == 0
        objection = services.objection_file(cycle=noticed, award_id=award.pk, **OBJECTOR, now=DURING)
        office.reload()
        assert waiting(office, "objections") == 1
        assert Notification.objects.filter(user=reviewer, kind="waiting", title__contains="异议").count() == 1
        office.goto(f"{live_server.url}/review/objections/{objection.pk}/")
        office.locator("input[name='outcome'][value='upheld']").check()
        office.locator("#id_reasons").fill("经核查，该区考核数据有误。")
        with office.expect_navigation():
            office.locator("main form button[type=submit]").click()
        assert focused_id(office) == "error-summary"
        assert office.locator("#id_reasons").input_value() == "经核查，该区考核数据有误。"
        assert Award.objects.filter(pk=award.pk).exists()
        office.locator("#id_confirm_withdrawal").check()
        with office.expect_navigation():
            office.locator("main form button[type=submit]").click()
        assert Objection.objects.get(pk=objection.pk).status == "upheld"
        assert Notification.objects.filter(user=clerk_water, kind="award_withdrawn").count() == 1
        clerk = browser_context_factory(viewport=viewport).new_page()
        log_in(clerk, live_server, clerk_water)
        clerk.goto(f"{live_server.url}/nominations/{NOTICE_YEAR}/{water_19_1.category_id}/")
        assert clerk.locator("[data-decision=refused]").count() == 2
        assert "经核查，该区考核数据有误。" in clerk.locator("li[data-rank='1'] [data-decision-reason]").inner_text()


# The desk at 390 px with this test's data (the catalogue's 39 categories, one year on notice) measured 9,338 px:
# 6,179 px of queue, 39 cards of 150 to 192 px (four or five lines each), and 3,160 px around it (the phase, the
# seven panels of work waiting, the filters, the trail). The 12,400 px came from columns one character wide:
# each labelled cell is then about 20 px wide and a row as tall as its longest cell has characters. The bounds leave
# room for a few more lines, not for the columns to come back.
DESK_AROUND_QUEUE_MAX_PX = 4000
DESK_ROW_MAX_PX = 240
NARROWEST_CELL_PX = 80
HISTORY_ENTRY_MIN_PX = 120


@pytest.mark.parametrize("viewport", WIDTHS)
def test_an_objector_finds_their_objection_and_the_review_pages_read_on_a_phone(
        browser_context_factory, live_server, reviewer, clerk_water, category, bureau, districts, viewport):
    clock = {"now": timezone.now()}
    with mock.patch("nominations.deadlines.current_time", side_effect=lambda: clock["now"]):
        noticed = decided_on_notice(reviewer, clerk_water, category, bureau, districts)
        clock["now"] = DURING
        award = Award.objects.filter(cycle=noticed).order_by("pk").first()
        objection = services.objection_file(cycle=noticed, award_id=award.pk, **OBJECTOR, now=DURING)

        # The objector types the receipt number and the telephone he gave, and reads the state.
        public = browser_context_factory(viewport=viewport).new_page()
        public.goto(f"{live_server.url}/results/objections/status/")
        public.locator("#id_receipt").fill(objection.receipt)
        public.locator("#id_contact").fill(OBJECTOR["contact"])
        with public.expect_navigation():
            public.locator("form.objection-lookup button[type=submit]").click()
        state = public.locator(".objection-state")
        assert state.get_attribute("data-status") == "open"
        assert objection.receipt in state.inner_text() and "未办理" in state.inner_text()
        if viewport is not PHONE:
            return
        assert_fits(public, PHONE)

        # At 390 px the desk's queue reads as cards (no column one character wide), and so does a list's history.
        office = browser_context_factory(viewport=viewport).new_page()
        log_in(office, live_server, reviewer)
        office.goto(f"{live_server.url}/review/?year={NOTICE_YEAR}")
        office.locator("[data-show-all=queue-table]").click()  # the first rows only until asked for all
        height = office.evaluate("document.documentElement.scrollHeight")
        queue = office.locator("table.queue").evaluate("table => table.getBoundingClientRect().height")
        rows = office.locator("table.queue tbody tr").evaluate_all(
            "rows => rows.map(row => row.getBoundingClientRect().height)")
        cells = office.locator("table.queue tbody td[data-label]:not(.empty)").evaluate_all(  # an empty figure is left out
            "cells => cells.map(cell => cell.getBoundingClientRect().width)")
        assert len(rows) == 39 and max(rows) <= DESK_ROW_MAX_PX, f"desk rows {max(rows)}px tall"
        assert min(cells) >= NARROWEST_CELL_PX, f"a desk cell {min(cells)}px wide"
        assert height - queue < DESK_AROUND_QUEUE_MAX_PX, f"the desk is {height}px tall, {queue}px of them the queue"
        assert_fits(office, PHONE)
        water_19_1 = NominationList.objects.get(cycle=noticed, category=category("19-1"))
        office.goto(f"{live_server.url}/review/lists/{water_19_1.pk}/")
        widths = office.locator(".audit-trail tbody td").evaluate_all(
            "cells => cells.map(cell => cell.getBoundingClientRect().width)")
        assert widths and min(widths) >= HISTORY_ENTRY_MIN_PX, f"history entries one character wide: {widths}"
