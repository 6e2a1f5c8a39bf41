"""Journey: the public notice (公示) as an anonymous visitor reads it and objects, and the reviewer who settles the
objection. Playwright drives Chromium against the live server; the clock of the deadline rule is set to a day of the
notice, so the period is running whatever today's date is."""

import datetime
from unittest import mock

import pytest

from measures.models import PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList, Nominee
from organisation.models import AuditEntry, OutboxMessage
from reviews import services
from reviews.models import Award, Objection
from tests.browser_fixtures import DESKTOP, PHONE, screenshot
from tests.browser_helpers import assert_fits, assert_in_chinese, assert_labelled, log_in
from tests.factories import put_on_notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2024
NOTICE_DAY = datetime.datetime(2025, 4, 10, 10, tzinfo=BEIJING)
DURING = datetime.datetime(2025, 4, 14, 15, tzinfo=BEIJING)


def on_notice(reviewer, category, bureau, districts):
    cycle = Cycle.objects.create(year=YEAR, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=datetime.datetime(YEAR, 6, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(YEAR))
    nl = NominationList.objects.create(cycle=cycle, category=category("19-1"), bureau=bureau("市水务局"),
                                       state="submitted", submitted_at=NOTICE_DAY - datetime.timedelta(days=20))
    for rank, unit in enumerate(districts[:3], start=1):
        nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements="河湖长制成效明显")
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=rank < 3, comment="复核意见")
    put_on_notice(reviewer, cycle, at=NOTICE_DAY)
    cycle.refresh_from_db()
    return cycle


def test_journey_the_public_objects_during_the_notice_and_the_reviewer_settles_it(
        browser_context_factory, live_server, reviewer, category, bureau, districts, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = on_notice(reviewer, category, bureau, districts)
    objected = Award.objects.select_related("unit").get(cycle=cycle, unit=districts[0])
    evidence = tmp_path / "核查材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% the objector's evidence\n%%EOF\n")
    fake = tmp_path / "伪装.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")

    with mock.patch("nominations.deadlines.current_time", return_value=DURING):
        # Anyone, without logging in: the results page leads to the notice, which shows the period and the awardees.
        for name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
            visitor = browser_context_factory(viewport=viewport).new_page()
            visitor.goto(f"{live_server.url}/results/")
            visitor.locator(f".notice-link a[href='/results/{YEAR}/notice/']").click()
            visitor.wait_for_url(f"{live_server.url}/results/{YEAR}/notice/")
            assert visitor.locator("header a[href='/accounts/login/']").count() == 1
            assert visitor.locator("[data-period]").get_attribute("data-period") == "2025-04-10/2025-04-16"
            assert "2025-04-16" in visitor.locator(".notice-period").inner_text()
            assert visitor.locator("ol.awardees[data-category='19-1'] li").count() == 2
            assert visitor.locator(".phase-notice").count() == 1
            assert_in_chinese(visitor, "公示")
            if viewport is PHONE:
                assert_fits(visitor, PHONE)
            screenshot(visitor, f"journey4-public-notice-{name}")
        visitor = browser_context_factory(viewport=DESKTOP).new_page()
        visitor.goto(f"{live_server.url}/results/{YEAR}/notice/")
        visitor.locator(f"a[href='/results/{YEAR}/notice/object/']").click()
        assert_labelled(visitor)
        options = visitor.locator("#id_award option").all_inner_texts()
        assert len(options) == 3 and any(objected.unit.display_name in o for o in options)   # the proposed only

        # No name, then a file that is not what it says: each refused with a message, nothing written.
        visitor.locator("#id_contact").fill("13800000000")
        visitor.locator("#id_award").select_option(str(objected.pk))
        visitor.locator("#id_grounds").fill("该区上报的河湖长制考核数据与实际不符。")
        visitor.locator("main form button[type=submit]").click()
        assert "真实姓名" in visitor.locator("main .errorlist").first.inner_text()
        visitor.locator("#id_name").fill("陈明")
        visitor.locator("#id_evidence").set_input_files(str(fake))
        visitor.locator("main form button[type=submit]").click()
        assert "不是" in visitor.locator("main .errorlist").first.inner_text()
        assert not Objection.objects.exists()

        # A real objection with its evidence: the receipt number.
        visitor.locator("#id_email").fill("chenming@example.com")
        visitor.locator("#id_evidence").set_input_files(str(evidence))
        with visitor.expect_navigation(url=f"{live_server.url}/results/{YEAR}/notice/receipt/"):
            visitor.locator("main form button[type=submit]").click()
        objection = Objection.objects.get()
        assert visitor.locator(".receipt").inner_text() == objection.receipt
        assert objection.evidence_name == "核查材料.pdf" and objection.name == "陈明"
        screenshot(visitor, "journey4-objection-receipt-desktop")

        # The reviewer reads it among the objections and upholds it: the award is withdrawn, the objector told.
        page = browser_context_factory(viewport=DESKTOP).new_page()
        log_in(page, live_server, reviewer)
        page.goto(f"{live_server.url}/review/?year={YEAR}")
        page.locator(f"a[href='/review/{YEAR}/objections/']").click()
        row = page.locator(f"tr[data-receipt='{objection.receipt}']")
        assert row.get_attribute("data-status") == "open"
        row.locator("a").click()
        assert "河湖长制考核数据" in page.locator(".grounds").inner_text()
        assert page.locator(f"a[href='/review/objections/{objection.pk}/evidence/']").count() == 1
        page.locator("input[name='outcome'][value='upheld']").check()
        page.locator("#id_reasons").fill("经核查，该区考核数据有误，撤销其拟激励资格。")
        page.locator("#id_confirm_withdrawal").check()  # upholding withdraws the award: the page asks first
        with page.expect_navigation(url=f"{live_server.url}/review/{YEAR}/objections/"):
            page.locator("main form button[type=submit]").click()
        assert page.locator(f"tr[data-receipt='{objection.receipt}']").get_attribute("data-status") == "upheld"
        screenshot(page, "journey4-reviewer-settled-objection-desktop")

    assert not Award.objects.filter(pk=objected.pk).exists()
    assert AuditEntry.objects.filter(action="award.withdrawn", actor=reviewer).count() == 1
    mail = OutboxMessage.objects.get(kind="objection")
    assert mail.email == "chenming@example.com" and objection.receipt in mail.subject
    # The notice page now shows one awardee fewer.
    with mock.patch("nominations.deadlines.current_time", return_value=DURING):
        visitor.goto(f"{live_server.url}/results/{YEAR}/notice/")
        assert visitor.locator("ol.awardees[data-category='19-1'] li").count() == 1
