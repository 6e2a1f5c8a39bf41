"""The desk and the workbench in a real Chromium, at 1280 px and at a phone's 390 px:

* 张伟 (reviewer) finds a list by searching one of its units, previews its evidence in the page and decides every
  nominee with one form (a refusal without its reason is sent back with a summary);
* 王芳 (clerk) saves an incomplete draft, is shown what is missing when she submits, completes it and submits;
* the unread count in the header goes up with a comment and down when it is read;
* axe-core runs on every main page at both widths and fails on any serious or critical violation; a screenshot
  of each page at each width goes to $TEST_ARTIFACTS/screenshots.

Controls are found by stable hooks (names, ids, form actions, data- attributes), never by their translated words.
"""

import hashlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.base import ContentFile

from nominations import services as nomination_services
from nominations.models import Evidence, NominationList
from organisation.models import Notification
from reviews.models import Award, Decision
from tests.browser_fixtures import DESKTOP, PHONE, choose_unit, screenshot

from .browser_helpers import assert_fits, assert_in_chinese, log_in, open_cycle, submitted_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def width_name(viewport) -> str:
    return "phone" if viewport is PHONE else "desktop"


def attach(nominee, user, name: str, body: bytes, content_type: str) -> Evidence:
    evidence = Evidence(nominee=nominee, token=hashlib.sha256(f"{nominee.pk}{name}".encode()).hexdigest()[:32],
                        extension="." + name.rsplit(".", 1)[1], original_name=name, content_type=content_type,
                        size=len(body), sha256=hashlib.sha256(body).hexdigest(), uploaded_by=user)
    evidence.file.save(name, ContentFile(body), save=False)
    evidence.save()
    return evidence


@pytest.mark.parametrize("viewport", WIDTHS)
def test_reviewer_finds_a_list_by_a_unit_previews_its_evidence_and_decides_it_in_one_form(
        browser_context_factory, live_server, reviewer, clerk_forestry, administrator, category, bureau, districts,
        tmp_path, settings, viewport):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(administrator)
    forests = submitted_list(cycle, category("19-2"), bureau("市林业园林局"), districts[3:6], clerk_forestry)
    submitted_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], clerk_forestry)
    first, second, third = forests.nominees.order_by("rank")
    attach(first, clerk_forestry, "林长制考核得分.png", PNG, "image/png")
    report = attach(first, clerk_forestry, "林长制工作报告.pdf", PDF, "application/pdf")
    searched = districts[4]  # nominated in 19-2 only

    page = browser_context_factory(viewport=viewport).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server, reviewer)
    page.wait_for_url(f"{live_server.url}/review/")
    page.locator("form.filters input[name=q]").fill(searched.name)
    with page.expect_navigation():
        page.locator("form.filters input[name=q]").press("Enter")
    rows = page.locator("table.queue tbody tr[data-category]")
    assert rows.count() == 1 and rows.first.get_attribute("data-category") == "19-2"
    assert page.locator("[data-count=matching]").count() == 1
    # A filter applies at once, without a button: choosing a state reloads the queue.
    with page.expect_navigation():
        page.locator("form.filters select[name=state]").select_option("submitted")
    assert "state=submitted" in page.url and rows.count() == 1
    assert_fits(page, viewport)
    screenshot(page, f"desk-reviewer-search-{width_name(viewport)}")
    with page.expect_navigation():
        rows.first.locator(f"a[href='/review/lists/{forests.pk}/']").click()

    # The evidence, previewed in the page: the image drawn, the PDF in a frame; and downloadable.
    previews = page.locator("li[data-evidence] details.evidence-preview")
    assert previews.count() == 2
    previews.nth(0).locator("summary").click()
    image = previews.nth(0).locator("img.preview")
    image.wait_for(state="visible")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    previews.nth(1).locator("summary").click()
    frame = previews.nth(1).locator("iframe.preview")
    frame.wait_for(state="visible")
    shown = page.request.get(f"{live_server.url}{frame.get_attribute('src')}")
    assert shown.status == 200 and shown.headers["content-disposition"].startswith("inline")
    assert shown.body().startswith(b"%PDF")
    # Closed again, as a reviewer does once read: the browser's PDF viewer, focused, would take the next clicks.
    previews.nth(1).locator("summary").click()
    frame.wait_for(state="hidden")
    # Downloaded from the page loaded afresh, as a reviewer who comes back to it: right after the viewer closed,
    # its frame now and then still took the click or the key, and no download began.
    with page.expect_navigation():
        page.goto(page.url)
    link = page.locator(f"li[data-evidence='{report.token}'] a[download]")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "林长制工作报告.pdf"

    # One form for the three nominees; a refusal without its reason is sent back with a summary, nothing decided.
    for nominee, approved in ((first, "yes"), (second, "yes"), (third, "no")):
        page.locator(f"input[name='n{nominee.pk}-approved'][value={approved}]").check()
    with page.expect_navigation():
        page.locator("form.decide-form > button[type=submit]").click()
    summary = page.locator(".error-summary[role=alert]")
    assert summary.count() == 1 and str(third.unit) in summary.inner_text()
    assert not Decision.objects.filter(nominee__nomination_list=forests).exists()
    page.locator(f"textarea[name='n{third.pk}-comment']").fill("考核得分未达标准。")
    with page.expect_navigation():
        page.locator("form.decide-form > button[type=submit]").click()
    assert page.locator("main [data-state]").first.get_attribute("data-state") == "decided"
    assert page.locator("[data-awarded]").get_attribute("data-awarded") == "2"
    assert_in_chinese(page, "考核得分未达标准。")
    assert_fits(page, viewport)
    screenshot(page, f"desk-reviewer-decided-{width_name(viewport)}")
    assert sorted(Award.objects.filter(cycle=cycle).values_list("nominee_id", flat=True)) == sorted([first.pk, second.pk])


@pytest.mark.parametrize("viewport", WIDTHS)
def test_clerk_saves_an_incomplete_draft_sees_what_is_missing_completes_and_submits(
        browser_context_factory, live_server, clerk_water, administrator, category, districts, viewport):
    cycle = open_cycle(administrator)
    water = category("6")
    edit_url = f"{live_server.url}/nominations/{cycle.year}/{water.pk}/edit/"
    a, b = districts[1], districts[2]

    page = browser_context_factory(viewport=viewport).new_page()
    log_in(page, live_server, clerk_water)
    page.goto(edit_url)
    # A unit chosen twice is refused as soon as it is chosen: the row says so and the form is not sent.
    choose_unit(page, 0, a)
    choose_unit(page, 1, a)
    assert page.locator("#row-1 [data-unique-error]").is_visible()
    assert page.locator("#id_rows-1-unit_name").get_attribute("aria-invalid") == "true"
    page.locator(".actions button[name=action][value=save]").click()
    assert page.url == edit_url and not NominationList.objects.filter(cycle=cycle, category=water).exists()
    # Two units, the second without its achievements yet: the draft is saved all the same.
    page.locator("#id_rows-0-achievements").fill("全年完成水务投资 45 亿元。")
    choose_unit(page, 1, b)
    with page.expect_navigation():
        page.locator(".actions button[name=action][value=save]").click()
    assert page.locator("main .messages .success").count() == 1
    nomination_list = NominationList.objects.get(cycle=cycle, category=water)
    assert list(nomination_list.nominees.order_by("rank").values_list("unit_id", "achievements")) == [
        (a.pk, "全年完成水务投资 45 亿元。"), (b.pk, "")]

    # Submitting: the summary at the top names what is missing; nothing is sent.
    with page.expect_navigation():
        page.locator(".actions button[name=action][value=submit]").click()
    summary = page.locator("#missing-summary")
    assert summary.is_visible() and b.name in summary.inner_text()
    assert page.locator("form.confirm").count() == 0
    assert_fits(page, viewport)
    screenshot(page, f"desk-clerk-missing-{width_name(viewport)}")

    # Completed and submitted.
    with page.expect_navigation():
        summary.locator(f"a[href='/nominations/{cycle.year}/{water.pk}/edit/']").click()
    page.locator("#id_rows-1-achievements").fill("河湖治理成效明显。")
    with page.expect_navigation():
        page.locator(".actions button[name=action][value=submit]").click()
    assert page.locator("#missing-summary").count() == 0
    with page.expect_navigation():
        page.locator("form.confirm button[name=confirm]").click()
    assert page.locator("#list-state").get_attribute("data-state") == "submitted"
    screenshot(page, f"desk-clerk-submitted-{width_name(viewport)}")
    nomination_list.refresh_from_db()
    assert nomination_list.state == "submitted"


# A phone's desk, the year's 39 categories with two lists waiting: it was 9,300 px tall with the demo's data.
PHONE_DESK_MAX_PX = 3000


def test_the_desk_is_short_on_a_phone_and_keeps_every_waiting_item_within_reach(
        browser_context_factory, live_server, reviewer, clerk_forestry, administrator, category, bureau, districts):
    """At 390 px the desk shows what waits for the reviewer first, every item a link, and the queue's first rows
    only: the button after them, reached and pressed with the keyboard, shows every row and takes the focus to the
    first it showed. The page stays under PHONE_DESK_MAX_PX, fits the width and passes axe."""
    cycle = open_cycle(administrator)
    waiting = [submitted_list(cycle, category("19-2"), bureau("市林业园林局"), districts[3:6], clerk_forestry),
               submitted_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], clerk_forestry)]
    page = browser_context_factory(viewport=PHONE).new_page()
    log_in(page, live_server, reviewer)
    page.wait_for_url(f"{live_server.url}/review/")
    height = page.evaluate("document.documentElement.scrollHeight")
    parts = page.evaluate("Array.from(document.querySelectorAll('body > *, main > *')).map("
                          "e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().height))")
    assert height < PHONE_DESK_MAX_PX, f"the desk is {height}px tall on a phone: {parts}"
    assert_fits(page, PHONE)
    # Everything waiting is above the queue, each item a visible link to its list.
    for nomination_list in waiting:
        link = page.locator(f"section.waiting a[href='/review/lists/{nomination_list.pk}/']")
        assert link.is_visible(), nomination_list
    queue_top = page.locator("table.queue").evaluate("table => table.getBoundingClientRect().top")
    waiting_bottom = page.locator("section.waiting").evaluate("section => section.getBoundingClientRect().bottom")
    assert waiting_bottom < queue_top
    rows = page.locator("table.queue tbody tr[data-category]")
    shown = rows.evaluate_all("rows => rows.filter(row => row.offsetHeight > 0).length")
    assert rows.count() == 39 and shown == 3
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()
    screenshot(page, "desk-reviewer-phone-short")

    button = page.locator("[data-show-all=queue-table]")
    assert button.get_attribute("aria-expanded") == "false"
    button.focus()
    page.keyboard.press("Enter")
    assert rows.evaluate_all("rows => rows.every(row => row.offsetHeight > 0)")
    assert page.evaluate("document.activeElement.closest('tr') === document.querySelectorAll("
                         "'table.queue tbody tr[data-category]')[3]")
    assert button.is_hidden() and button.get_attribute("aria-expanded") == "true"
    assert_fits(page, PHONE)


def test_the_queue_s_bureau_filter_is_chosen_with_the_keyboard(browser_context_factory, live_server, reviewer,
                                                              clerk_forestry, administrator, category, bureau,
                                                              districts):
    """The queue lists no bureau: its chooser (the list editor's, static/js/site.js) offers those matching what is
    typed; Enter chooses one and the queue reloads filtered by its id, the box showing its name."""
    cycle = open_cycle(administrator)
    submitted_list(cycle, category("19-2"), bureau("市林业园林局"), districts[3:4], clerk_forestry)
    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, reviewer)
    page.wait_for_url(f"{live_server.url}/review/")
    field = page.locator("#queue-bureau")
    options = page.locator("#queue-bureau-options [role=option]")
    assert field.get_attribute("role") == "combobox" and page.locator("select[name=bureau]").count() == 0
    field.press_sequentially("林业", delay=20)
    options.first.wait_for()
    assert options.first.inner_text().startswith("市林业园林局")
    field.press("ArrowDown")
    with page.expect_navigation():
        field.press("Enter")  # chooses, and the filter applies at once
    forestry = bureau("市林业园林局")
    assert f"bureau={forestry.pk}" in page.url and page.locator("#queue-bureau").input_value() == "市林业园林局"
    codes = page.locator("table.queue tbody tr[data-category]").evaluate_all("rows => rows.map(r => r.dataset.category)")
    assert "19-2" in codes and "6" not in codes


def test_the_unit_chooser_is_driven_by_the_keyboard(browser_context_factory, live_server, clerk_water, administrator,
                                                   category, districts):
    cycle = open_cycle(administrator)
    water = category("6")
    edit_url = f"{live_server.url}/nominations/{cycle.year}/{water.pk}/edit/"
    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, clerk_water)
    page.goto(edit_url)
    field = page.locator("#id_rows-0-unit_name")
    options = page.locator("#id_rows-0-unit_name-options [role=option]")
    assert field.get_attribute("role") == "combobox" and field.get_attribute("aria-expanded") == "false"
    field.press_sequentially("区", delay=20)  # every district: the list opens with a score at most
    options.first.wait_for()
    assert field.get_attribute("aria-expanded") == "true" and 1 < options.count() <= 20
    field.press("ArrowDown")
    field.press("ArrowDown")
    field.press("ArrowUp")
    field.press("ArrowDown")  # the second option, as the screen reader hears it (aria-activedescendant)
    second = options.nth(1)
    assert field.get_attribute("aria-activedescendant") == second.get_attribute("id")
    assert second.get_attribute("aria-selected") == "true"
    field.press("Escape")  # closes the list, keeps the text
    assert page.locator("#id_rows-0-unit_name-options").is_hidden() and field.input_value() == "区"
    field.press("ArrowDown")  # opens it again
    options.first.wait_for()
    field.press("ArrowDown")
    field.press("ArrowDown")
    chosen = options.nth(1).inner_text()
    field.press("Enter")  # chooses, and does not send the form
    assert page.url == edit_url and field.input_value() == chosen.split(" ")[0]
    assert field.get_attribute("aria-expanded") == "false"
    unit = next(d for d in districts if d.name == field.input_value())
    assert page.locator("#id_rows-0-unit").input_value() == str(unit.pk)
    # Typing again forgets the choice: the text typed is what the server looks up.
    field.press("End")
    field.press_sequentially("x", delay=20)
    assert page.locator("#id_rows-0-unit").input_value() == ""
    field.fill("")
    choose_unit(page, 0, unit)
    page.locator("#id_rows-0-achievements").fill("全年完成水务投资 45 亿元。")
    with page.expect_navigation():
        page.locator(".actions button[name=action][value=save]").click()
    nomination_list = NominationList.objects.get(cycle=cycle, category=water)
    assert list(nomination_list.nominees.values_list("unit_id", flat=True)) == [unit.pk]


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_unread_count_goes_up_and_down(browser_context_factory, live_server, clerk_water, clerk_ndrc,
                                           administrator, category, districts, viewport):
    cycle = open_cycle(administrator)
    nl = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    page = browser_context_factory(viewport=viewport).new_page()
    log_in(page, live_server, clerk_water)
    count = page.locator("header [data-unread-count]")
    assert count.count() == 0
    nomination_services.list_comment_add(actor=clerk_ndrc, nomination_list=nl, text="建议补充投资完成率。")
    nomination_services.list_comment_add(actor=clerk_ndrc, nomination_list=nl, text="请核对排名。")
    page.reload()
    assert count.get_attribute("data-unread-count") == "2"
    screenshot(page, f"desk-unread-two-{width_name(viewport)}")
    with page.expect_navigation():
        page.locator("header a[href='/notifications/']").click()
    first = Notification.objects.filter(user=clerk_water).order_by("-created_at", "-id").first()
    with page.expect_navigation():
        page.locator(f"form:has(input[name=notification][value='{first.pk}']) button[type=submit]").click()
    assert count.get_attribute("data-unread-count") == "1"
    with page.expect_navigation():
        page.locator("main form:not(:has(input[name=notification])) button[type=submit]").click()
    assert page.locator("header [data-unread-count]").count() == 0


# -- accessibility and screenshots of every main page ------------------------------------------------------------


def main_pages(live_server, world) -> list[tuple[str, str, str]]:
    """(name, who, address) of every main page."""
    cycle, water, forests, unit = world["cycle"], world["water"], world["forests"], world["unit"]
    return [
        ("login", "", "/accounts/login/"),
        ("clerk-home", "clerk", "/nominations/"),
        ("list-editor", "clerk", f"/nominations/{cycle.year}/{water.category_id}/edit/"),
        ("list-detail", "clerk", f"/nominations/{cycle.year}/{water.category_id}/"),
        ("list-submit", "clerk", f"/nominations/{cycle.year}/{water.category_id}/submit/"),
        ("notifications", "clerk", "/notifications/"),
        ("catalogue", "clerk", "/measures/"),
        ("bureaus", "clerk", "/measures/bureaus/"),
        ("review-queue", "reviewer", "/review/"),
        ("review-list", "reviewer", f"/review/lists/{forests.pk}/"),
        ("public-results", "", "/results/"),
        ("unit-history", "", f"/results/units/{unit.pk}/"),
        ("statistics", "", "/results/statistics/"),
        ("not-found", "", "/no-such-page/"),
    ]


@pytest.mark.parametrize("viewport", WIDTHS)
def test_every_main_page_has_no_serious_accessibility_violation(browser_context_factory, live_server, clerk_water,
                                                                clerk_forestry, reviewer, administrator, category,
                                                                bureau, districts, tmp_path, settings, viewport):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(administrator)
    water = nomination_services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    nomination_services.nomination_list_save(actor=clerk_water, nomination_list=water, version=water.version, entries=[
        nomination_services.NomineeEntry(unit=districts[0], achievements="全年完成水务投资 45 亿元。", figures="", files=[])])
    forests = submitted_list(cycle, category("19-2"), bureau("市林业园林局"), districts[3:6], clerk_forestry)
    attach(forests.nominees.first(), clerk_forestry, "林长制考核得分.png", PNG, "image/png")
    world = {"cycle": cycle, "water": water, "forests": forests, "unit": districts[0]}
    pages = {"": browser_context_factory(viewport=viewport).new_page()}
    for who, user in (("clerk", clerk_water), ("reviewer", reviewer)):
        pages[who] = browser_context_factory(viewport=viewport).new_page()
        log_in(pages[who], live_server, user)
    axe = Axe()
    failures = []
    for name, who, address in main_pages(live_server, world):
        page = pages[who]
        page.goto(f"{live_server.url}{address}")
        results = axe.run(page)
        serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        failures += [f"{name} ({width_name(viewport)}): {v['id']} {v['help']} — "
                     + "; ".join(node["html"][:120] for node in v["nodes"][:3]) for v in serious]
        screenshot(page, f"page-{name}-{width_name(viewport)}")
    assert not failures, "\n".join(failures)
