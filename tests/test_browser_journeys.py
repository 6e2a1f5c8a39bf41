"""The three user journeys, in a real Chromium against the application served by the test run.

1. 王芳 (clerk of 市水务局) prepares this year's list for category 6, is refused a fourth nominee, reorders, saves,
   comes back, submits and sees the list read-only — once with the mouse, once with the keyboard only.
2. 张伟 (reviewer) returns 19-1 with a reason (王芳 then sees it editable with the reason), approves the three
   nominees of 19-2 (3 of 3), is refused an approval beyond the cap of category 6 (whose catalogue cap is 2 here:
   with one list per category and at most 3 nominees a list, a fourth approval cannot arise under a cap of 3),
   records that nominee as not approved, publishes the cycle and downloads the bulletin PDF;
   the public results page shows the awardees without logging in.
3. 刘洋 (administrator) uploads a measures spreadsheet in the admin, reads the preview with one invalid row
   explained, fixes the file, uploads it again and confirms.

Controls are found by stable hooks (names, ids, form actions, data- attributes), never by their translated words.
Screenshots of every journey's last page (desktop and phone) go to $TEST_ARTIFACTS/screenshots.
"""

import datetime
from unittest import mock

import openpyxl
import pytest

from measures.exports import CATALOGUE_LABELS, catalogue_rows
from measures.models import IncentiveCategory, PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList, Nominee
from reviews.models import Award, Bulletin
from tests.browser_fixtures import DESKTOP, PHONE, choose_unit, screenshot
from tests.browser_helpers import (
    assert_fits,
    assert_in_chinese,
    assert_labelled,
    choose,
    decide_all,
    log_in,
    open_cycle,
    submitted_list,
)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = "穗府办〔2022〕30号"


# Every visible, enabled control that the page puts in the tab order; each gets a data-kb number to be recognised.
MARK_FOCUSABLE = """() => {
  const all = Array.from(document.querySelectorAll('a[href], input, select, textarea, button'))
    .filter(el => el.type !== 'hidden' && !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0
                  && getComputedStyle(el).visibility !== 'hidden');
  all.forEach((el, i) => el.setAttribute('data-kb', String(i)));
  return all.length;
}"""


# -- helpers ----------------------------------------------------------------------------------------------------


def focused_matches(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, limit: int = 120):
    """Press Tab until the control is focused: it must be reachable from the keyboard."""
    for _press in range(limit):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab on {page.url}")


def assert_every_control_reachable(page, *, at_least: int, limit: int = 200):
    """Tab through the whole page once: every visible enabled link and control receives the focus."""
    count = page.evaluate(MARK_FOCUSABLE)
    assert count >= at_least, f"only {count} focusable controls on {page.url}"
    seen = set()
    for _press in range(limit):
        page.keyboard.press("Tab")
        mark = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-kb')")
        if mark is not None:
            seen.add(int(mark))
        if len(seen) == count:
            break
    missing = sorted(set(range(count)) - seen)
    outer = page.evaluate("ids => ids.map(i => document.querySelector(`[data-kb='${i}']`).outerHTML.slice(0, 160))", missing)
    assert not missing, f"not reachable with Tab on {page.url}: {outer}"
    # Start the journey from the top of the page again.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def choose_unit_by_keyboard(page, row: int, unit):
    """Focus is on a row's unit chooser: type the unit's name, go down to the first option (the name typed in full
    comes first) and choose it with Enter."""
    assert focused_matches(page, f"#id_rows-{row}-unit_name")
    page.keyboard.type(unit.name)
    page.locator(f"#id_rows-{row}-unit_name-options [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.getElementById('id_rows-{row}-unit').value === '{unit.pk}'")
    assert focused_matches(page, f"#id_rows-{row}-unit_name")


def press_and_wait(page, key: str = "Enter"):
    with page.expect_navigation():
        page.keyboard.press(key)


def evidence_file(tmp_path):
    path = tmp_path / "水务投资完成情况.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return path


def nominee_units(nomination_list) -> list[int]:
    return list(Nominee.objects.filter(nomination_list=nomination_list).order_by("rank").values_list("unit_id", flat=True))


# -- journey 1: the clerk ----------------------------------------------------------------------------------------


def test_journey_clerk_prepares_submits_and_reads_the_list(browser_context_factory, live_server, clerk_water,
                                                           administrator, category, districts, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(administrator)
    water = category("6")
    a, b, c, d = districts[2], districts[0], districts[5], districts[7]
    edit_url = f"{live_server.url}/nominations/{cycle.year}/{water.pk}/edit/"
    list_url = f"{live_server.url}/nominations/{cycle.year}/{water.pk}/"

    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, clerk_water)
    page.wait_for_url(f"{live_server.url}/nominations/")
    assert_in_chinese(page, "市水务局")
    page.locator(f"tr[data-category='6'] a[href='/nominations/{cycle.year}/{water.pk}/edit/']").click()
    page.wait_for_url(edit_url)
    assert_in_chinese(page, water.name)

    # Three nominees with their achievements, one with an evidence file; saved as a draft.
    for row, unit, text in [(0, a, "全年完成水务投资 45 亿元。"), (1, b, "河湖治理成效明显。"), (2, c, "排水管网建设超额完成。")]:
        choose_unit(page, row, unit)
        page.locator(f"#id_rows-{row}-achievements").fill(text)
    page.locator("#id_rows-0-figures").fill("投资完成率 128%")
    page.locator("#id_rows-0-files").set_input_files(str(evidence_file(tmp_path)))
    page.locator(".actions button[name=action][value=save]").click()
    page.wait_for_url(edit_url)
    nomination_list = NominationList.objects.get(cycle=cycle, category=water)
    assert nominee_units(nomination_list) == [a.pk, b.pk, c.pk]

    # A fourth: the editor has three rows and no way to add one. A fourth row added to the page (as a stale or
    # tampered form would send it) is refused with a readable message, and nothing changes.
    assert page.locator("fieldset.nominee-row").count() == 3
    page.evaluate("""() => {
      const last = document.querySelector('#row-2');
      const row = last.cloneNode(true);
      row.id = 'row-3';
      row.querySelectorAll('[name^="rows-2-"]').forEach(el => { el.name = el.name.replace('rows-2-', 'rows-3-');
                                                               el.id = el.id.replace('rows-2-', 'rows-3-'); });
      row.querySelectorAll('label[for^="id_rows-2-"]').forEach(label => { label.htmlFor = label.htmlFor.replace('rows-2-', 'rows-3-'); });
      row.querySelectorAll('.evidence-files').forEach(el => el.remove());
      row.querySelectorAll('[data-chooser-value]').forEach(el => { el.value = ''; });
      last.after(row);
      document.querySelector('#id_rows-TOTAL_FORMS').value = '4';
    }""")
    page.locator("#id_rows-3-unit_name").fill(d.name)  # the clone has no chooser of its own: the name is looked up
    page.locator("#id_rows-3-achievements").fill("第四个单位")
    page.locator(".actions button[name=action][value=save]").click()
    page.wait_for_load_state()
    refusal = page.locator("main [role=alert] ul.nonform")
    assert refusal.count() == 1 and refusal.is_visible() and "3" in refusal.inner_text()
    screenshot(page, "journey1-clerk-fourth-refused-desktop")
    assert nominee_units(nomination_list) == [a.pk, b.pk, c.pk]

    # Reorder: the first row moves down (a save); then an explicit save.
    page.goto(edit_url)
    page.locator("button[name=action][value='down-0']").click()
    # In place, nothing reloads: the row keeps its fields and its evidence and takes rank 2.
    assert page.locator("#id_rows-0-rank").input_value() == "2" and page.locator("#id_rows-1-rank").input_value() == "1"
    assert page.locator("#row-0 .evidence-files a").inner_text() == "水务投资完成情况.pdf"
    page.locator(".actions button[name=action][value=save]").click()
    page.wait_for_url(edit_url)
    assert page.locator("main .messages .success").count() == 1
    assert page.locator("#id_rows-0-unit").input_value() == str(b.pk)
    assert page.locator("#id_rows-0-unit_name").input_value() == b.name
    assert page.locator("#id_rows-1-unit").input_value() == str(a.pk)
    assert page.locator("#row-1 .evidence-files a").inner_text() == "水务投资完成情况.pdf"

    # Come back later: from the bureau page to the list, then to the editor; the draft is as it was left.
    page.locator("nav a[href='/nominations/']").click()
    page.wait_for_url(f"{live_server.url}/nominations/")
    assert page.locator("tr[data-category='6'] [data-state]").get_attribute("data-state") == "draft"
    page.locator(f"tr[data-category='6'] a[href='/nominations/{cycle.year}/{water.pk}/']").click()
    page.wait_for_url(list_url)
    assert [int(u) for u in page.locator("li.nominee").evaluate_all("els => els.map(e => e.dataset.unit)")] == [b.pk, a.pk, c.pk]
    page.locator(f".actions a[href='/nominations/{cycle.year}/{water.pk}/edit/']").click()
    page.wait_for_url(edit_url)
    assert [page.locator(f"#id_rows-{i}-unit").input_value() for i in range(3)] == [str(b.pk), str(a.pk), str(c.pk)]

    # Submit through the confirmation step.
    page.locator(".actions button[name=action][value=submit]").click()
    page.wait_for_url(f"{list_url}submit/")
    assert page.locator("li.nominee").count() == 3
    page.locator("form.confirm button[name=confirm]").click()
    page.wait_for_url(list_url)

    # Read-only: no editor, no edit link; the editor's address sends back to the list.
    assert page.locator("#list-state").get_attribute("data-state") == "submitted"
    assert page.locator("main a[href$='/edit/']").count() == 0
    assert page.locator("main textarea[name^='rows-'], main select[name^='rows-']").count() == 0
    page.goto(edit_url)
    page.wait_for_url(list_url)
    assert page.locator("main .messages .error").count() == 1
    assert_in_chinese(page, b.name)
    screenshot(page, "journey1-clerk-submitted-desktop")

    nomination_list.refresh_from_db()
    assert nomination_list.state == "submitted" and nomination_list.submitted_by == clerk_water
    assert nominee_units(nomination_list) == [b.pk, a.pk, c.pk]
    assert nomination_list.nominees.get(unit=a).evidence.get().original_name == "水务投资完成情况.pdf"

    # The same read-only page at a phone's width: nothing wider than the screen.
    phone = browser_context_factory(viewport=PHONE).new_page()
    log_in(phone, live_server, clerk_water)
    phone.goto(list_url)
    assert phone.locator("#list-state").get_attribute("data-state") == "submitted"
    assert_in_chinese(phone, b.name)
    assert_fits(phone, PHONE)
    screenshot(phone, "journey1-clerk-submitted-phone")


def test_journey_clerk_by_keyboard_only(browser_context_factory, live_server, clerk_water, administrator, category,
                                        districts, tmp_path, settings):
    """The same list, without the mouse: Tab, arrows, typing, Space and Enter; every control labelled."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(administrator)
    water = category("6")
    a, b, c = districts[2], districts[0], districts[5]
    edit_url = f"{live_server.url}/nominations/{cycle.year}/{water.pk}/edit/"
    list_url = f"{live_server.url}/nominations/{cycle.year}/{water.pk}/"
    page = browser_context_factory(viewport=DESKTOP).new_page()

    page.goto(f"{live_server.url}/accounts/login/")
    assert_labelled(page)
    tab_to(page, "#id_username")
    page.keyboard.type(clerk_water.username)
    page.keyboard.press("Tab")
    assert focused_matches(page, "#id_password")
    page.keyboard.type(PASSWORD)
    press_and_wait(page)
    page.wait_for_url(f"{live_server.url}/nominations/")
    assert_labelled(page)

    tab_to(page, f"tr[data-category='6'] a[href='/nominations/{cycle.year}/{water.pk}/edit/']")
    press_and_wait(page)
    page.wait_for_url(edit_url)
    assert_labelled(page)
    assert_every_control_reachable(page, at_least=25)  # 3 rows of 6 controls, the nobody-to-propose box, actions, links

    for row, unit, text in [(0, a, "全年完成水务投资 45 亿元。"), (1, b, "河湖治理成效明显。"), (2, c, "排水管网建设超额完成。")]:
        tab_to(page, f"#id_rows-{row}-unit_name")
        choose_unit_by_keyboard(page, row, unit)
        tab_to(page, f"#id_rows-{row}-achievements")
        page.keyboard.type(text)
        if row == 0:
            tab_to(page, "#id_rows-0-files")
            # The file input is reached by keyboard; the operating system's file dialog it opens is not part of
            # the page, so the file is handed to the focused input directly (headless Chromium fires the chooser
            # event for a key press only intermittently).
            assert focused_matches(page, "#id_rows-0-files")
            page.locator("#id_rows-0-files").set_input_files(str(evidence_file(tmp_path)))
    tab_to(page, ".actions button[name=action][value=save]")
    press_and_wait(page)
    page.wait_for_url(edit_url)
    nomination_list = NominationList.objects.get(cycle=cycle, category=water)
    assert nominee_units(nomination_list) == [a.pk, b.pk, c.pk]
    assert page.locator("#row-0 .evidence-files a").inner_text() == "水务投资完成情况.pdf"
    assert_labelled(page)  # now with the evidence list and its removal boxes

    # Reorder with the row's "move down" button (in place, the focus stays on the moved row), save, then submit
    # through the confirmation.
    tab_to(page, "button[name=action][value='down-0']")
    page.keyboard.press("Enter")
    assert page.locator("#id_rows-0-rank").input_value() == "2"
    tab_to(page, ".actions button[name=action][value=save]")
    press_and_wait(page)
    page.wait_for_url(edit_url)
    assert nominee_units(nomination_list) == [b.pk, a.pk, c.pk]

    # Come back through the bureau page and the list; submit from there.
    tab_to(page, "nav a[href='/nominations/']")
    press_and_wait(page)
    page.wait_for_url(f"{live_server.url}/nominations/")
    tab_to(page, f"tr[data-category='6'] a[href='/nominations/{cycle.year}/{water.pk}/']")
    press_and_wait(page)
    page.wait_for_url(list_url)
    assert_labelled(page)
    tab_to(page, f".actions a[href='/nominations/{cycle.year}/{water.pk}/submit/']")
    press_and_wait(page)
    page.wait_for_url(f"{list_url}submit/")
    assert_labelled(page)
    tab_to(page, "form.confirm button[name=confirm]")
    press_and_wait(page)
    page.wait_for_url(list_url)

    assert page.locator("#list-state").get_attribute("data-state") == "submitted"
    assert page.locator("main a[href$='/edit/']").count() == 0
    assert_labelled(page)
    assert_in_chinese(page, b.name)
    screenshot(page, "journey1-clerk-keyboard-submitted-desktop")
    nomination_list.refresh_from_db()
    assert nomination_list.state == "submitted"
    assert nominee_units(nomination_list) == [b.pk, a.pk, c.pk]
    assert nomination_list.nominees.get(unit=a).evidence.count() == 1


# -- journey 2: the reviewer -------------------------------------------------------------------------------------


def test_journey_reviewer_returns_decides_publishes_and_the_public_reads(
        browser_context_factory, live_server, reviewer, clerk_water, clerk_forestry, administrator, category, bureau,
        districts, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(administrator)
    rivers = submitted_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], clerk_water)
    forests = submitted_list(cycle, category("19-2"), bureau("市林业园林局"), districts[3:6], clerk_forestry)
    # A list holds at most 3 nominees and a category one list per cycle, so the cap of 3 can only be met by an
    # approval beyond it where the catalogue gives a category fewer awardees: here category 6 allows 2.
    IncentiveCategory.objects.filter(pk=category("6").pk).update(cap=2)
    investment = submitted_list(cycle, category("6"), bureau("市水务局"), districts[6:9], clerk_water)
    reason = "请补充河湖长制年度考核得分表。"

    page = browser_context_factory(viewport=DESKTOP).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # returning and publishing ask for confirmation
    log_in(page, live_server, reviewer)
    page.wait_for_url(f"{live_server.url}/review/")
    assert_in_chinese(page, "河长制湖长制")

    # Return 19-1 with a reason.
    page.locator(f"tr[data-category='19-1'] a[href='/review/lists/{rivers.pk}/']").click()
    page.locator("#id_reason").fill(reason)
    page.locator(f"form[action='/review/lists/{rivers.pk}/return/'] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/review/lists/{rivers.pk}/")
    assert page.locator("main [data-state]").first.get_attribute("data-state") == "returned"

    # The clerk sees it returned, with the reason, and can edit it again.
    clerk = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(clerk, live_server, clerk_water)
    clerk.locator(f"tr[data-category='19-1'] a[href='/nominations/{cycle.year}/{rivers.category_id}/']").click()
    assert clerk.locator("#list-state").get_attribute("data-state") == "returned"
    assert reason in clerk.locator(".returned-reasons").inner_text()
    clerk.locator(f".actions a[href='/nominations/{cycle.year}/{rivers.category_id}/edit/']").click()
    clerk.wait_for_url(f"{live_server.url}/nominations/{cycle.year}/{rivers.category_id}/edit/")
    assert clerk.locator("#id_rows-0-unit_name").is_enabled()
    assert clerk.locator("#id_rows-0-unit").input_value() == str(districts[0].pk)
    screenshot(clerk, "journey2-clerk-sees-returned-list-desktop")

    # Approve the three nominees of 19-2: the category is full.
    page.goto(f"{live_server.url}/review/")
    page.locator(f"tr[data-category='19-2'] a[href='/review/lists/{forests.pk}/']").click()
    for nominee in forests.nominees.order_by("rank"):
        choose(page, nominee, approved=True)
    decide_all(page)
    assert page.locator("[data-awarded]").get_attribute("data-awarded") == "3"
    assert page.locator("[data-awarded]").get_attribute("data-limit") == "3"

    # Category 6: the approval beyond its cap is refused with a message naming the category; that nominee is
    # then recorded as not approved.
    page.goto(f"{live_server.url}/review/")
    page.locator(f"tr[data-category='6'] a[href='/review/lists/{investment.pk}/']").click()
    first, second, third = investment.nominees.order_by("rank")
    for nominee in (first, second, third):
        choose(page, nominee, approved=True)
    decide_all(page)
    refusal = page.locator("main .error-summary[role=alert]")
    assert refusal.count() == 1 and "6" in refusal.inner_text() and "原则上不超3个" in refusal.inner_text()
    assert page.locator("[data-awarded]").get_attribute("data-awarded") == "0"  # the whole form is undone
    screenshot(page, "journey2-reviewer-cap-refusal-desktop")
    choose(page, third, approved=False, comment="超出本类别名额。")
    decide_all(page)
    assert page.locator("[data-awarded]").get_attribute("data-awarded") == "2"
    assert Award.objects.filter(cycle=cycle).count() == 5

    # The deadline passes (the cycle's dates are moved back to the year's default, so that the public notice falls
    # in a year the official calendar knows): the year goes on public notice from the pre-flight page, where every
    # category without a submitted list is acknowledged with a reason.
    Cycle.objects.filter(pk=cycle.pk).update(opens_at=datetime.datetime(cycle.year, 6, 1, tzinfo=BEIJING),
                                             deadline=default_deadline_for(cycle.year))
    after_deadline = datetime.datetime(cycle.year + 1, 4, 10, 10, tzinfo=BEIJING)
    with mock.patch("nominations.deadlines.current_time", return_value=after_deadline):
        page.goto(f"{live_server.url}/review/")
        page.locator(f"a[href='/review/{cycle.year}/notice/']").click()
        assert page.locator("[data-missing='19-1']").count() == 1   # returned and never resubmitted
        for box in page.locator("textarea[name^='ack-']").all():
            box.fill("本年度该类别无报送名单。")
        page.locator("input[name=confirm]").check()  # what the notice does, confirmed
        with page.expect_navigation(url=f"{live_server.url}/results/{cycle.year}/notice/"):
            page.locator("main form button[type=submit]").click()
    cycle.refresh_from_db()
    assert cycle.state == "notice"

    # Publish after the notice: the bulletin is rendered in-process (Celery eager) and downloaded as a PDF.
    after_notice = datetime.datetime.combine(cycle.notice_ends_on + datetime.timedelta(days=1), datetime.time(9),
                                             tzinfo=BEIJING)
    with mock.patch("nominations.deadlines.current_time", return_value=after_notice):
        page.goto(f"{live_server.url}/review/")
        page.locator("#id_confirm").check()
        with page.expect_navigation(url=f"{live_server.url}/results/{cycle.year}/", timeout=90_000):
            page.locator(f"form[action='/review/{cycle.year}/publish/'] button[type=submit]").click()
    bulletin = Bulletin.objects.get(cycle=cycle)
    assert bulletin.status == "done", bulletin.status
    with page.expect_download(timeout=30_000) as download:
        page.locator(f".bulletin-download a[href='/bulletins/v/{bulletin.pk}/download/']").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert download.value.suggested_filename.endswith(".pdf")

    # The public results, without logging in, at desktop and phone widths.
    for name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
        public = browser_context_factory(viewport=viewport).new_page()
        public.goto(f"{live_server.url}/results/")
        public.locator(f"main a[href='/results/{cycle.year}/']").first.click()
        public.wait_for_url(f"{live_server.url}/results/{cycle.year}/")
        assert public.locator("header a[href='/accounts/login/']").count() == 1  # nobody is logged in
        assert public.locator("ol.awardees[data-category='19-2'] li").count() == 3
        assert public.locator("ol.awardees[data-category='6'] li").count() == 2
        assert public.locator("ol.awardees[data-category='19-1']").count() == 0
        shown = [int(u) for u in public.locator("ol.awardees[data-category='19-2'] li").evaluate_all("els => els.map(e => e.dataset.unit)")]
        assert sorted(shown) == sorted(d.pk for d in districts[3:6])
        assert_in_chinese(public, districts[3].name)
        if viewport is PHONE:
            assert_fits(public, PHONE)
        screenshot(public, f"journey2-public-results-{name}")


# -- journey 3: the administrator --------------------------------------------------------------------------------


def catalogue_xlsx(path, *, document, renamed: str, cap_19_2: str):
    """The catalogue export's rows for 19-1 (renamed) and 19-2 (with the given cap), as an .xlsx file."""
    rows = list(catalogue_rows(document))
    header, body = rows[0], rows[1:]
    code, name, cap = (header.index(CATALOGUE_LABELS[c]) for c in ("category_code", "category_name", "cap"))
    wanted = {r[code]: list(r) for r in body if r[code] in ("19-1", "19-2")}
    wanted["19-1"][name] = renamed
    wanted["19-2"][cap] = cap_19_2
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [header, wanted["19-1"], wanted["19-2"]]:
        sheet.append([str(value) for value in row])
    workbook.save(path)
    return path


def upload(page, path, document):
    page.locator("input[name=file]").set_input_files(str(path))
    page.locator("select[name=document]").select_option(str(document.pk))
    with page.expect_navigation():
        page.locator("#content-main form input[type=submit]").click()


def test_journey_administrator_imports_measures_with_a_preview(browser_context_factory, live_server, administrator,
                                                               category, tmp_path):
    document = PolicyDocument.objects.get(number=SEED)
    renamed = "河长制湖长制（含小微水体）"
    broken = catalogue_xlsx(tmp_path / "措施-有误.xlsx", document=document, renamed=renamed, cap_19_2="三个")
    fixed = catalogue_xlsx(tmp_path / "措施.xlsx", document=document, renamed=renamed, cap_19_2="3")

    page = browser_context_factory(viewport=DESKTOP).new_page()
    log_in(page, live_server, administrator)
    page.goto(f"{live_server.url}/admin/measures/measure/")
    page.locator("a[href='/admin/measures/measure/import/']").click()
    page.wait_for_url(f"{live_server.url}/admin/measures/measure/import/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # The preview explains the invalid row (row 3 of the sheet: 19-2's cap) and offers no confirmation.
    upload(page, broken, document)
    preview = page.locator(".import-preview")
    assert preview.get_attribute("data-valid") == "no"
    assert page.locator("tr[data-status=invalid]").count() == 1
    error = page.locator("ul.import-errors li[data-row='3'][data-column='cap']")
    assert error.count() == 1 and "三个" in error.inner_text()
    assert page.locator("input[name=confirm]").count() == 0
    screenshot(page, "journey3-admin-preview-invalid-desktop")
    assert category("19-1").name == "河长制湖长制"

    # Fixed file: one change, nothing invalid; confirmed.
    page.goto(f"{live_server.url}/admin/measures/measure/import/")
    upload(page, fixed, document)
    assert page.locator(".import-preview").get_attribute("data-valid") == "yes"
    assert page.locator(".import-counts [data-status=changed] strong").inner_text() == "1"
    assert page.locator(".import-counts [data-status=invalid] strong").inner_text() == "0"
    assert renamed in page.locator("tr[data-status=changed]").inner_text()
    with page.expect_navigation():
        page.locator("input[name=confirm]").click()
    assert "/admin/measures/measure/" in page.url
    success = page.locator(".messagelist .success")
    assert success.count() == 1 and SEED in success.inner_text()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "journey3-admin-imported-desktop")
    assert category("19-1").name == renamed
    assert category("19-2").cap == 3
