"""An exception to the cap used from end to end, in a real Chromium against the application served by the test run.

王芳 (clerk of 市水务局) has three nominees on category 6 and asks for a fourth slot (申请突破名额); 张伟 (reviewer)
grants it; 王芳's editor then offers four rows, she adds a fourth nominee and submits; 张伟 approves all four.
The same without an exception (a list of four on 19-1, as a stale list would hold): the fourth approval is refused
with the cap's message and only three are awarded.

Controls are found by stable hooks (names, ids, form actions, data- attributes), never by their translated words.
"""

import pytest

from measures.models import CapException
from nominations import services as nomination_services
from nominations.models import CapExceptionRequest, NominationList, Nominee
from organisation.models import OutboxMessage
from reviews.models import Award
from tests.browser_fixtures import DESKTOP, choose_unit, screenshot
from tests.browser_helpers import choose, decide_all, log_in, open_cycle, submitted_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_fourth_slot_asked_granted_filled_and_approved(browser_context_factory, live_server, clerk_water, reviewer,
                                                         administrator, category, bureau, districts):
    cycle = open_cycle(administrator)
    investment = category("6")
    nl = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=investment)
    nomination_services.nomination_list_save(
        actor=clerk_water, nomination_list=nl, version=nl.version,
        entries=[nomination_services.NomineeEntry(unit=d, achievements=f"{d.name}水务投资完成率高") for d in districts[:3]])
    list_url = f"{live_server.url}/nominations/{cycle.year}/{investment.pk}/"
    edit_url = f"{list_url}edit/"

    # The clerk asks for a fourth slot from the list's page.
    clerk = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(clerk, live_server, clerk_water)
    clerk.goto(list_url)
    clerk.locator("#exception-form input[name=requested_limit]").fill("4")
    clerk.locator("#exception-form textarea[name=reason]").fill("四个区水务投资均超额完成，考核均为优秀。")
    with clerk.expect_navigation():
        clerk.locator("#exception-form button[type=submit]").click()
    assert clerk.locator("[data-request-state='pending']").count() == 1
    request = CapExceptionRequest.objects.get(nomination_list=nl)

    # The reviewer grants it on the list's review page.
    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/review/lists/{nl.pk}/")
    assert page.locator("#exception-request").get_attribute("data-requested") == "4"
    page.locator("#grant-limit").fill("4")
    page.locator("#grant-reason").fill("经市政府领导同意，本年度第六条激励名额调整为4个。")
    with page.expect_navigation():
        page.locator("#grant-form button[type=submit]").click()
    assert CapException.objects.get(category=investment, year=cycle.year).new_limit == 4
    request.refresh_from_db()
    assert request.state == "granted"
    assert OutboxMessage.objects.filter(kind="exception", recipient=clerk_water).exists()  # the bureau is told

    # The clerk's editor now has four rows; she fills the fourth and submits.
    clerk.goto(edit_url)
    assert clerk.locator("fieldset.nominee-row").count() == 4
    choose_unit(clerk, 3, districts[3])
    clerk.locator("#id_rows-3-achievements").fill("新建污水管网超额完成。")
    with clerk.expect_navigation():
        clerk.locator(".actions button[name=action][value=submit]").click()
    with clerk.expect_navigation():
        clerk.locator("button[name=confirm]").click()
    nl = NominationList.objects.get(pk=nl.pk)
    assert nl.state == "submitted" and nl.nominees.count() == 4
    screenshot(clerk, "exception-clerk-submitted-four-desktop")

    # The reviewer approves all four.
    page.goto(f"{live_server.url}/review/lists/{nl.pk}/")
    for nominee in Nominee.objects.filter(nomination_list=nl).order_by("rank"):
        choose(page, nominee, approved=True)
    decide_all(page)  # the page's one form decides every nominee
    awards = Award.objects.filter(cycle=cycle, category=investment).order_by("slot")
    assert [a.slot for a in awards] == [1, 2, 3, 4]
    assert page.locator("[data-awarded]").get_attribute("data-awarded") == "4"
    assert page.locator("[data-limit]").get_attribute("data-limit") == "4"
    screenshot(page, "exception-reviewer-approved-four-desktop")


def test_without_an_exception_the_fourth_approval_is_refused_with_the_caps_message(
        browser_context_factory, live_server, reviewer, clerk_water, administrator, category, bureau, districts):
    cycle = open_cycle(administrator)
    rivers = submitted_list(cycle, category("19-1"), bureau("市水务局"), districts[:4], clerk_water)
    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/review/lists/{rivers.pk}/")
    nominees = list(Nominee.objects.filter(nomination_list=rivers).order_by("rank"))
    for nominee in nominees:
        choose(page, nominee, approved=True)
    decide_all(page)
    message = page.locator("#error-summary").inner_text()  # the form's error summary
    assert "19-1" in message and "原则上不超3个" in message
    # The one form is all or nothing: the refused fourth approval leaves every decision as it was.
    assert Award.objects.filter(cycle=cycle, category=rivers.category).count() == 0
    assert not Award.objects.filter(nominee=nominees[3]).exists()
    screenshot(page, "exception-refused-without-exception-desktop")
