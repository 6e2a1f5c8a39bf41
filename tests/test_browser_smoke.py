"""The browser reaches the served application: the login page and the catalogue, in Chinese, at two widths."""

import pytest

from tests.browser_fixtures import PHONE, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_catalogue_in_a_real_browser(page, live_server, clerk_water):
    log_in(page, live_server, clerk_water.username)
    page.goto(f"{live_server.url}/measures/")
    assert page.locator("tbody tr").count() == 32
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "catalogue-desktop")


def test_catalogue_at_phone_width(browser_context_factory, live_server, clerk_water):
    page = browser_context_factory(viewport=PHONE).new_page()
    log_in(page, live_server, clerk_water.username)
    page.goto(f"{live_server.url}/measures/")
    # nothing wider than the screen: the table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "catalogue-phone")
