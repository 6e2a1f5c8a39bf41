"""A clerk prepares and submits a list in a real browser at phone width, without any JavaScript of ours."""

import datetime

import pytest
from django.utils import timezone

from nominations import services
from nominations.models import NominationList
from tests.browser_fixtures import PHONE, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_prepares_and_submits_a_list_at_phone_width(browser_context_factory, live_server, clerk_water, administrator,
                                                          category, districts, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now().replace(microsecond=0)
    cycle = services.cycle_open(actor=administrator, year=2092, opens_at=now - datetime.timedelta(days=1),
                                deadline=now + datetime.timedelta(days=20))
    evidence = tmp_path / "投资报告.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    context = browser_context_factory(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(clerk_water.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/nominations/")
    page.locator(f"tr[data-category='6'] a[href$='/{category('6').pk}/edit/']").click()

    page.locator("#id_rows-0-unit_name").fill(districts[2].name)  # typed in full: looked up on save
    page.locator("#id_rows-0-achievements").fill("全年完成水务投资 45 亿元。")
    page.locator("#id_rows-0-figures").fill("投资完成率 128%")
    page.locator("#id_rows-0-files").set_input_files(str(evidence))
    page.locator("#id_rows-1-unit_name").fill(districts[0].name)
    page.locator("#id_rows-1-achievements").fill("河湖治理成效明显。")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "nominations-editor-phone")
    page.locator(".actions button[value=submit]").click()  # save, then the confirmation step
    page.wait_for_url(f"**/{cycle.year}/{category('6').pk}/submit/")
    assert page.locator("li.nominee").count() == 2
    screenshot(page, "nominations-confirm-phone")
    page.locator("form.confirm button[name=confirm]").click()
    page.wait_for_url(f"**/{cycle.year}/{category('6').pk}/")
    assert page.locator("#list-state").get_attribute("data-state") == "submitted"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "nominations-submitted-phone")

    nl = NominationList.objects.get(cycle=cycle, category=category("6"))
    assert nl.state == "submitted"
    assert list(nl.nominees.order_by("rank").values_list("unit_id", flat=True)) == [districts[2].pk, districts[0].pk]
    assert nl.nominees.get(rank=1).evidence.get().original_name == "投资报告.pdf"
