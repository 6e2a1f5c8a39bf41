"""The leader's sign-off (签发) on a phone, in a real Chromium against the application served by the test run.

Guangzhou's programme requires the sign-off. 王芳 (clerk of 市水务局) submits her list at 390 px: it goes to her
bureau's leader, not to the General Office, and nothing on her pages submits it any further. 赵军 (the bureau's
leader) finds it among the lists to sign off, reads it on the phone and signs it off; only then is it submitted, and
her list page says who signed it off.
"""

import pytest

from nominations.models import NominationList
from organisation.models import Membership, Programme
from tests import factories
from tests.browser_fixtures import PHONE, screenshot
from tests.browser_helpers import assert_fits, assert_in_chinese, assert_labelled, log_in, open_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_leader_signs_off_on_a_phone_and_nothing_else_submits_the_list(
        browser_context_factory, live_server, clerk_water, administrator, category, bureau, districts):
    Programme.objects.filter(is_default=True).update(sign_off_required=True)
    leader = factories.make_user("zhaojun", first_name="赵军", role="bureau_staff", bureaus=[bureau("市水务局")])
    Membership.objects.filter(user=leader).update(is_leader=True)
    cycle = open_cycle(administrator)
    investment = category("6")
    nl = factories.prepare_list(cycle, investment, clerk_water, districts[:2])
    list_url = f"{live_server.url}/nominations/{cycle.year}/{investment.pk}/"

    # The clerk submits at phone width: the list goes to her leader.
    clerk = browser_context_factory(viewport=PHONE).new_page()
    log_in(clerk, live_server, clerk_water)
    clerk.goto(f"{list_url}submit/")
    assert_fits(clerk, PHONE)
    with clerk.expect_navigation():
        clerk.locator("button[name=confirm]").click()
    assert clerk.locator("#list-state").get_attribute("data-state") == "for_sign_off"
    assert NominationList.objects.get(pk=nl.pk).state == "for_sign_off"
    # Without the sign-off the list cannot be submitted: no page of hers offers it, and posting the confirmation
    # again (as a stale tab would) changes nothing.
    assert clerk.locator(f"a[href$='/{investment.pk}/submit/']").count() == 0
    clerk.goto(f"{list_url}submit/")
    assert clerk.locator("button[name=confirm]").count() == 0
    token = clerk.context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == "csrftoken")
    answer = clerk.request.post(f"{list_url}submit/", form={"csrfmiddlewaretoken": csrf, "version": str(nl.version + 1),
                                                            "confirm": "1"}, headers={"Referer": f"{list_url}submit/"})
    assert answer.status == 400
    assert NominationList.objects.get(pk=nl.pk).state == "for_sign_off"

    # The leader, on the phone: the lists to sign off, the list itself, the sign-off.
    phone = browser_context_factory(viewport=PHONE).new_page()
    log_in(phone, live_server, leader)
    phone.goto(f"{live_server.url}/nominations/sign-off/")
    assert_in_chinese(phone, "签发")
    with phone.expect_navigation():
        phone.locator(f".sign-off-lists [data-list='{nl.pk}'] a").click()
    assert_in_chinese(phone, districts[0].name)
    assert_labelled(phone)
    assert_fits(phone, PHONE)
    screenshot(phone, "sign-off-leader-phone")
    with phone.expect_navigation():
        phone.locator("#sign-off").click()
    assert phone.locator("#nothing-to-sign").count() == 1
    signed = NominationList.objects.get(pk=nl.pk)
    assert (signed.state, signed.signed_off_by_id, signed.submitted_by_id) == ("submitted", leader.pk, clerk_water.pk)

    clerk.goto(list_url)
    assert clerk.locator("#list-state").get_attribute("data-state") == "submitted"
    assert "赵军" in clerk.locator("#signed-off").inner_text()
