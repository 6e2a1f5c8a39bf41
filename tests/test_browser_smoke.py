"""The browser reaches the served application: the login page and the catalogue, in Chinese, at two widths."""

import pytest

from tests.browser_fixtures import PHONE, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_catalogue_in_a_real_browser(page, live_server, clerk_water):
    log_in(page, live_server, clerk_water.username)
    page.goto(f"{live_server.url}/measures/")
    assert page.locator("tbody tr").count() == 32
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "市水务局" in page.locator("main").inner_text()
    screenshot(page, "catalogue-desktop")


def test_catalogue_at_phone_width(browser_context_factory, live_server, clerk_water):
    page = browser_context_factory(viewport=PHONE).new_page()
    log_in(page, live_server, clerk_water.username)
    page.goto(f"{live_server.url}/measures/")
    # nothing wider than the screen: the table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "catalogue-phone")
