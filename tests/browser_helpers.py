"""The browser tests' helpers (not a test module): signing in, what every page must be (in Chinese, labelled,
fitting its viewport), and the reviewer's side of a list (a submitted list, choosing and sending decisions)."""

from django.utils import timezone

from nominations.models import NominationList, Nominee
from tests import factories
from tests.factories import PASSWORD

# Every visible form control has a name a screen reader can read: a non-empty <label>, aria-label or
# aria-labelledby, or (buttons) its own text. Returns the ones that do not.
UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden' && el.getClientRects().length > 0)
  .filter(el => {
    const text = s => (s || '').trim().length > 0;
    if (el.labels && Array.from(el.labels).some(label => text(label.textContent))) return false;
    if (text(el.getAttribute('aria-label'))) return false;
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (ids.some(id => document.getElementById(id) && text(document.getElementById(id).textContent))) return false;
    if (el.tagName === 'BUTTON' && text(el.textContent)) return false;
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type) && text(el.value)) return false;
    return true;
  })
  .map(el => el.outerHTML.slice(0, 160))"""


def open_cycle(administrator):
    """Last year's cycle, opened through the service yesterday, its deadline 20 days ahead."""
    return factories.open_cycle(administrator, timezone.localdate().year - 1, days_left=20)


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def assert_in_chinese(page, data_text: str):
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert data_text in page.locator("main, #content").first.inner_text()


def assert_labelled(page):
    unlabelled = page.evaluate(UNLABELLED_CONTROLS)
    assert unlabelled == [], f"controls without an accessible name on {page.url}: {unlabelled}"


def assert_accessible(page, name: str):
    """axe finds no serious or critical violation on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [f"{name}: {v['id']} {v['help']} — " + "; ".join(node["html"][:120] for node in v["nodes"][:3])
               for v in violations if v.get("impact") in ("serious", "critical")]
    assert not serious, "\n".join(serious)


def assert_fits(page, viewport):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, f"{page.url} is {width}px wide at a {viewport['width']}px viewport"


def submitted_list(cycle, category, bureau, units, clerk):
    """A list as its bureau submitted it (the clerk's side is journey 1)."""
    nl = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau, state="submitted",
                                       submitted_at=timezone.now(), submitted_by=clerk, created_by=clerk)
    for rank, unit in enumerate(units, 1):
        Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements=f"{unit.name}成效明显。")
    return nl


def choose(page, nominee, approved: bool, comment: str = ""):
    article = page.locator(f"article[data-nominee='{nominee.pk}']")
    article.locator(f"input[name='n{nominee.pk}-approved'][value={'yes' if approved else 'no'}]").check()
    if comment:
        article.locator(f"textarea[name='n{nominee.pk}-comment']").fill(comment)


def decide_all(page):
    """The one form of the list: every nominee's decision goes with one press."""
    with page.expect_navigation():
        page.locator("form.decide-form > button[type=submit]").click()
