"""Playwright driving Debian's Chromium against the application served by the test run (pytest-django's live_server).

No browser is downloaded: the tests use /usr/bin/chromium (installed by ./test.sh). If it is missing, the tests fail
with a message saying so; they never skip. Screenshots go to $TEST_ARTIFACTS/screenshots (test-artifacts/ by default):
one of every journey's last page, and one of the page where a test fails.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def chromium():
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need it (apt-get install chromium; "
                    f"./test.sh installs it where it can).", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
            )
        except Exception as error:  # noqa: BLE001 - turned into a failure that says what is wrong
            pytest.fail(f"Chromium at {CHROMIUM} is installed but could not be started by Playwright: {error}",
                        pytrace=False)
        yield browser
        browser.close()


def screenshot(page, name: str) -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def browser_context_factory(chromium, request):
    contexts = []

    def make(viewport=DESKTOP, locale="zh-CN"):
        context = chromium.new_context(viewport=viewport, locale=locale, accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            for page_index, page in enumerate(context.pages):
                try:
                    screenshot(page, f"FAILED-{request.node.name}-{index}-{page_index}")
                except Exception:  # noqa: BLE001 - a screenshot must not hide the failure itself
                    pass
        context.close()


@pytest.fixture
def page(browser_context_factory):
    return browser_context_factory().new_page()


def choose_unit(page, row: int, unit) -> None:
    """Choose ``unit`` in row ``row`` of the list editor with the keyboard, as a clerk does: type its name into the
    unit chooser, wait for the matching options, go down to the first (the name typed in full comes first) and
    press Enter; the chooser keeps the unit's id beside the name."""
    field = page.locator(f"#id_rows-{row}-unit_name")
    field.fill(unit.name)
    options = page.locator(f"#id_rows-{row}-unit_name-options [role=option]")
    options.first.wait_for()
    field.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    field.press("Enter")
    page.wait_for_function(f"document.getElementById('id_rows-{row}-unit').value === '{unit.pk}'")
