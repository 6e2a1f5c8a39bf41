"""The bureau clerk's pages: the bureau page, the list editor (plain forms, no JavaScript), the confirmation step,
the read-only and printable views, withdrawal, comments, evidence downloads; tampered forms; query counts."""

import datetime
import re
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.urls import reverse

from nominations import services
from nominations.models import Cycle, Evidence, ListComment, NominationList
from nominations.selectors import list_history
from organisation.models import AuditEntry, UnitKind

from .factories import (
    UnitFactory,
    disguised_file,
    docx_file,
    entry,
    make_category,
    open_cycle,
    pdf_file,
    png_file,
)
from .factories import prepare_list as make_list
from .helpers import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def cycle(administrator):
    """This year's cycle, open, its deadline a month ahead (to the second)."""
    return open_cycle(administrator)


@pytest.fixture
def cat6(category):
    return category("6")


def url(name, cycle, category, *args):
    return reverse(f"nominations:{name}", args=[cycle.year, category.pk, *args])


def editor_post(version, rows=(), *, action="save", nothing=False, reason="", total=3, remove=(), files=None):
    """The editor's POST as the browser sends it: three rows (unit, rank, achievements, figures, files)."""
    data = {"rows-TOTAL_FORMS": str(total), "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "3",
            "rows-MAX_NUM_FORMS": "3", "version": str(version), "action": action}
    rows = list(rows)
    for i in range(total):
        unit, text = (rows[i] + ("",))[:2] if i < len(rows) else ("", "")
        data.update({f"rows-{i}-unit": str(getattr(unit, "pk", unit) or ""), f"rows-{i}-rank": str(i + 1),
                     f"rows-{i}-achievements": text or ("成效显著" if unit else ""), f"rows-{i}-figures": ""})
    for i, upload in (files or {}).items():
        data[f"rows-{i}-files"] = upload
    if nothing:
        data["nothing_to_propose"] = "on"
    data["nothing_reason"] = reason
    if remove:
        data["remove_evidence"] = [str(pk) for pk in remove]
    return data


# --- the bureau page -----------------------------------------------------------------------------------------------

def test_clerk_lands_on_the_bureau_page_with_categories_cycle_deadline_and_states(client, clerk_water, cycle, category):
    make_list(cycle, category("19-1"), clerk_water, [])
    client.force_login(clerk_water)
    response = client.get(reverse("nominations:home"))
    assert response.status_code == 200
    page = response.context["pages"][0]
    assert page["bureau"].short_name == "市水务局"
    assert page["deadline"] == cycle.deadline and not page["deadline_passed"]
    rows = {r.category.code: r for r in page["rows"]}
    assert {"6", "19-1"} <= set(rows)
    assert rows["19-1"].nomination_list.state == "draft" and rows["6"].nomination_list is None
    html = response.content.decode()
    assert url("edit", cycle, category("6")) in html and url("list", cycle, category("19-1")) in html


def test_co_responsible_categories_appear_for_reading_and_comment(client, clerk_ndrc, cycle, category):
    client.force_login(clerk_ndrc)
    response = client.get(reverse("nominations:home"))
    rows = {r.category.code: r for r in response.context["pages"][0]["rows"]}
    assert rows["6"].responsibility.role == "co" and not rows["6"].can_edit
    assert rows["3"].can_edit
    html = response.content.decode()
    assert url("list", cycle, category("6")) in html and url("edit", cycle, category("6")) not in html


def test_bureau_page_runs_a_constant_number_of_queries(client, clerk_water, cycle, category, bureau, districts,
                                                       django_assert_num_queries):
    client.force_login(clerk_water)
    client.get(reverse("nominations:home"))  # warm the content-type and session caches
    # 8, one for the phase of the year, and the header's unread notifications, the years' links and the latest
    # comments; the open years and the programme's reminder settings (the deadline lights).
    with django_assert_num_queries(14):
        client.get(reverse("nominations:home"))
    for _ in range(4):
        extra = make_category(lead=bureau("市水务局"), co=[bureau("市发展改革委")], measure=category("6").measure,
                              code=f"6-x{_}", order=10 + _)
        make_list(cycle, extra, clerk_water, districts[:2])
    make_list(cycle, category("6"), clerk_water, districts[:3])
    with django_assert_num_queries(14):
        response = client.get(reverse("nominations:home"))
    assert len([r for r in response.context["pages"][0]["rows"] if r.nomination_list]) == 5


# --- what belongs to another bureau answers 404 -----------------------------------------------------------------------

def test_another_bureaus_list_answers_404(client, clerk_forestry, clerk_water, cycle, cat6, districts):
    nl = make_list(cycle, cat6, clerk_water, districts[:1], files_per_nominee=1)
    evidence = Evidence.objects.get(nominee__nomination_list=nl)
    before = snapshot(nl)
    client.force_login(clerk_forestry)
    for name in ("list", "edit", "submit", "print"):
        assert client.get(url(name, cycle, cat6)).status_code == 404, name
    for name in ("edit", "submit", "withdraw", "comment"):
        assert client.post(url(name, cycle, cat6), editor_post(nl.version, [(districts[1],)]) | {"text": "x"}).status_code == 404
    assert client.get(reverse("nominations:evidence", args=[evidence.token])).status_code == 404
    assert snapshot(nl) == before and not ListComment.objects.exists()


def test_co_responsible_bureau_reads_but_cannot_edit(client, clerk_ndrc, clerk_water, cycle, cat6, districts):
    nl = make_list(cycle, cat6, clerk_water, districts[:1])
    before = snapshot(nl)
    client.force_login(clerk_ndrc)
    response = client.get(url("list", cycle, cat6))
    assert response.status_code == 200 and districts[0].name in response.content.decode()
    assert url("edit", cycle, cat6) not in response.content.decode()
    assert client.get(url("edit", cycle, cat6)).status_code == 404
    assert client.post(url("edit", cycle, cat6), editor_post(nl.version, [(districts[2],)])).status_code == 404
    assert client.post(url("submit", cycle, cat6), {"version": nl.version}).status_code == 404
    assert snapshot(nl) == before


def test_pages_need_login_and_unknown_objects_are_404(client, clerk_water, cycle, cat6):
    assert client.get(url("edit", cycle, cat6)).status_code == 302
    client.force_login(clerk_water)
    assert client.get(reverse("nominations:list", args=[1999, cat6.pk])).status_code == 404
    assert client.get(reverse("nominations:list", args=[cycle.year, 999999])).status_code == 404
    assert client.get(reverse("nominations:evidence", args=["0" * 32])).status_code == 404


# --- the editor ------------------------------------------------------------------------------------------------------

def test_clerk_prepares_saves_comes_back_and_submits_with_confirmation(client, clerk_water, cycle, cat6, districts):
    client.force_login(clerk_water)
    response = client.get(url("edit", cycle, cat6))
    assert response.status_code == 200 and not NominationList.objects.exists()  # opening the editor writes nothing
    # The units are not written into the page: the chooser asks for them as the clerk types.
    assert "<option" not in response.content.decode().split('class="list-editor"')[1]
    chooser = client.get(reverse("nominations:units", args=[cycle.year, cat6.pk])).json()["results"]
    assert {r["id"] for r in chooser} == {d.pk for d in districts} and len(chooser) == len(districts)
    response = client.post(url("edit", cycle, cat6), editor_post(
        0, [(districts[3], "完成水务投资 45 亿元"), (districts[1],)], files={0: pdf_file(), 1: [png_file(), docx_file()]}))
    assert response.status_code == 302
    nl = NominationList.objects.get(category=cat6)
    assert list(nl.nominees.order_by("rank").values_list("unit_id", flat=True)) == [districts[3].pk, districts[1].pk]
    assert Evidence.objects.filter(nominee__nomination_list=nl).count() == 3
    page = client.get(url("edit", cycle, cat6))  # come back: the draft is there
    assert page.context["formset"].forms[0].initial["unit"] == districts[3].pk
    assert "完成水务投资 45 亿元" in page.content.decode()
    confirm = client.get(url("submit", cycle, cat6))
    assert confirm.status_code == 200 and districts[3].name in confirm.content.decode()
    nl.refresh_from_db()
    assert nl.state == "draft"  # the confirmation page alone submits nothing
    response = client.post(url("submit", cycle, cat6), {"version": nl.version})
    assert response.status_code == 302
    nl.refresh_from_db()
    assert nl.state == "submitted" and nl.submitted_by == clerk_water
    detail = client.get(url("list", cycle, cat6))
    html = detail.content.decode()
    assert url("withdraw", cycle, cat6) in html and url("edit", cycle, cat6) not in html
    assert [e.action for e in detail.context["history"]] == [
        "nomination_list.submitted", "nomination_list.saved", "nomination_list.created"]
    assert client.get(url("edit", cycle, cat6)).status_code == 302  # read-only now: back to the list


def test_save_and_submit_goes_through_the_confirmation(client, clerk_water, cycle, cat6, districts):
    client.force_login(clerk_water)
    response = client.post(url("edit", cycle, cat6), editor_post(0, [(districts[0],)], action="submit"))
    assert response.status_code == 302 and response["Location"] == url("submit", cycle, cat6)
    assert NominationList.objects.get(category=cat6).state == "draft"


def test_move_buttons_reorder_without_javascript(client, clerk_water, cycle, cat6, districts):
    nl = make_list(cycle, cat6, clerk_water, districts[:3])
    client.force_login(clerk_water)
    response = client.post(url("edit", cycle, cat6), editor_post(nl.version, [(d,) for d in districts[:3]], action="up-2"))
    assert response.status_code == 302
    assert list(nl.nominees.order_by("rank").values_list("unit_id", flat=True)) == [districts[0].pk, districts[2].pk,
                                                                                   districts[1].pk]
    nl.refresh_from_db()
    data = editor_post(nl.version, [(districts[0],), (districts[2],), (districts[1],)], action="down-0")
    assert client.post(url("edit", cycle, cat6), data).status_code == 302
    assert list(nl.nominees.order_by("rank").values_list("unit_id", flat=True)) == [districts[2].pk, districts[0].pk,
                                                                                   districts[1].pk]


def test_the_unit_chooser_answers_matches_of_the_category_only(client, clerk_water, clerk_ndrc, cycle, cat6, districts):
    other_kind = UnitFactory(name="天河测试学校", kind=UnitKind.objects.exclude(
        code__in=cat6.subject_kinds.values("code")).first())
    many = [UnitFactory(name=f"天河测试单位{n}") for n in range(25)]
    choices = reverse("nominations:units", args=[cycle.year, cat6.pk])
    client.force_login(clerk_water)
    found = client.get(choices, {"q": "天河"}).json()["results"]
    assert len(found) == 20  # at most a score of matches, the one whose name starts with the text first
    assert found[0]["label"] == "天河区" and other_kind.pk not in {r["id"] for r in found}
    assert {r["id"] for r in found[1:]} <= {u.pk for u in many}
    assert client.get(choices, {"q": "没有这个单位"}).json() == {"results": []}
    # The bureau that prepares the list only: a co-responsible bureau does not find the chooser.
    client.force_login(clerk_ndrc)
    assert client.get(choices, {"q": "天河"}).status_code == 404


def test_a_typed_unit_name_is_looked_up_and_a_bad_one_names_its_row(client, clerk_water, cycle, cat6, districts):
    twins = [UnitFactory(name="新城街道", parent=districts[0]), UnitFactory(name="新城街道", parent=districts[1])]
    client.force_login(clerk_water)
    data = editor_post(0, [("", "甲"), ("", "乙"), ("", "丙")])
    data.update({"rows-0-unit_name": "天河区", "rows-1-unit_name": "新城街道", "rows-2-unit_name": "火星区"})
    response = client.post(url("edit", cycle, cat6), data)
    assert response.status_code == 400 and not NominationList.objects.exists()
    errors = re.sub(r"<[^>]+>", "", response.content.decode().split('id="editor-error"')[1].split("</div>")[0])
    row2, row3 = errors.split("第2行：")[1].split("第3行：")
    assert "新城街道" in row2 and "越秀区新城街道" in row2  # several units: the way to name one of them
    assert "火星区" in row3  # no unit: the text typed, in its row's error
    # Typed as the list shows them (the parent's name first), every row names one unit: the draft is saved.
    data.update({"rows-1-unit_name": "海珠区新城街道", "rows-2-unit_name": " 白云区 "})
    assert client.post(url("edit", cycle, cat6), data).status_code == 302
    nl = NominationList.objects.get(category=cat6)
    white_cloud = next(d for d in districts if d.name == "白云区")
    assert list(nl.nominees.order_by("rank").values_list("unit_id", flat=True)) == [
        next(d for d in districts if d.name == "天河区").pk, twins[1].pk, white_cloud.pk]
    # The editor shows each row's unit by its name, the chooser's id beside it; a name cleared empties the row.
    page = client.get(url("edit", cycle, cat6)).content.decode()
    assert 'value="海珠区新城街道"' in page and f'name="rows-1-unit" value="{twins[1].pk}"' in page
    data = editor_post(nl.version, [(twins[1], "乙")])
    data["rows-0-unit_name"] = ""
    data["rows-0-unit"] = str(twins[1].pk)
    assert client.post(url("edit", cycle, cat6), data).status_code == 302
    assert not nl.nominees.exists()


def test_a_unit_id_the_category_does_not_reward_is_the_rows_error(client, clerk_water, cycle, cat6, districts):
    school = UnitFactory(name="测试学校", kind=UnitKind.objects.exclude(
        code__in=cat6.subject_kinds.values("code")).first())
    client.force_login(clerk_water)
    response = client.post(url("edit", cycle, cat6), editor_post(0, [(school, "甲")]))
    assert response.status_code == 400 and not NominationList.objects.exists()
    assert response.context["formset"].forms[0].errors["unit_name"]


def test_nobody_to_propose_is_a_choice_in_the_editor(client, clerk_water, cycle, cat6):
    client.force_login(clerk_water)
    assert client.post(url("edit", cycle, cat6), editor_post(0, nothing=True, reason="")).status_code == 400
    assert client.post(url("edit", cycle, cat6), editor_post(0, nothing=True, reason="无符合条件的区")).status_code == 302
    nl = NominationList.objects.get(category=cat6)
    assert client.post(url("submit", cycle, cat6), {"version": nl.version}).status_code == 302
    nl.refresh_from_db()
    assert nl.state == "submitted" and nl.nothing_to_propose


def test_every_editor_control_has_a_label(client, clerk_water, cycle, cat6, districts):
    make_list(cycle, cat6, clerk_water, districts[:1], files_per_nominee=1)
    client.force_login(clerk_water)
    html = client.get(url("edit", cycle, cat6)).content.decode()

    class Controls(HTMLParser):
        ids, labels, unlabelled = set(), set(), []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "label" and attrs.get("for"):
                self.labels.add(attrs["for"])
            if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden",):
                if not attrs.get("id"):
                    self.unlabelled.append(attrs)
                self.ids.add(attrs.get("id"))

    parser = Controls()
    parser.feed(html)
    controls = {i for i in parser.ids if i and i != "language-select"}
    # unit, achievements, figures, files per row (the rank is the row's position, moved by its buttons);
    # nothing-to-propose and its reason
    assert len(controls) >= 3 * 4 + 2
    assert controls <= parser.labels and not parser.unlabelled
    assert 'name="viewport"' in html and 'enctype="multipart/form-data"' in html


# --- tampered and bad input: a clear error, the list as it was -------------------------------------------------------

@pytest.fixture
def water_list(cycle, cat6, clerk_water, districts):
    return make_list(cycle, cat6, clerk_water, districts[:2], files_per_nominee=1)


def test_a_fourth_row_is_refused(client, clerk_water, cycle, cat6, districts, water_list):
    before = snapshot(water_list)
    client.force_login(clerk_water)
    data = editor_post(water_list.version, [(d,) for d in districts[:4]], total=4)
    response = client.post(url("edit", cycle, cat6), data)
    assert response.status_code == 400 and response.context["formset"].non_form_errors()
    assert snapshot(water_list) == before


@pytest.mark.parametrize("rows", ["duplicate", "wrong_kind", "unknown", "merged"])
def test_bad_units_are_refused(client, clerk_water, cycle, cat6, districts, water_list, rows):
    from organisation.models import Unit

    hospital = UnitFactory(kind=UnitKind.objects.get(code=UnitKind.HOSPITAL))
    bad = {"duplicate": [(districts[0],), (districts[0],)], "wrong_kind": [(districts[0],), (hospital,)],
           "unknown": [(999999,)], "merged": [(Unit.objects.get(kind=UnitKind.DISTRICT, is_active=False),)]}[rows]
    before = snapshot(water_list)
    client.force_login(clerk_water)
    response = client.post(url("edit", cycle, cat6), editor_post(water_list.version, bad))
    assert response.status_code == 400
    assert snapshot(water_list) == before


def test_a_tampered_evidence_id_is_refused(client, clerk_water, clerk_forestry, cycle, category, districts, water_list):
    other = make_list(cycle, category("19-2"), clerk_forestry, districts[:1], files_per_nominee=1)
    foreign = Evidence.objects.get(nominee__nomination_list=other)
    before = snapshot(water_list)
    client.force_login(clerk_water)
    response = client.post(url("edit", cycle, category("6")),
                           editor_post(water_list.version, [(d,) for d in districts[:2]], remove=[foreign.pk]))
    assert response.status_code == 400
    assert snapshot(water_list) == before and Evidence.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("kind", ["oversized", "disguised"])
def test_bad_files_are_refused_and_nothing_is_stored(client, clerk_water, cycle, cat6, districts, water_list, settings,
                                                     media_root, kind):
    settings.EVIDENCE_MAX_BYTES = 2048
    upload = pdf_file(size=2049) if kind == "oversized" else disguised_file()
    files_before = sorted(p.name for p in media_root.rglob("*") if p.is_file())
    before = snapshot(water_list)
    client.force_login(clerk_water)
    response = client.post(url("edit", cycle, cat6),
                           editor_post(water_list.version, [(d,) for d in districts[:2]], files={1: upload}))
    if kind == "oversized":  # stopped while it arrives, before the view (incentives/request_limits.py)
        assert response.status_code == 413 and "2.0" in response.content.decode()
    else:
        assert response.status_code == 400 and response.context["error"]
    assert snapshot(water_list) == before
    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == files_before


def test_a_submission_one_second_late_is_refused(client, clerk_water, cycle, cat6, water_list):
    client.force_login(clerk_water)
    before = snapshot(water_list)
    with mock.patch("nominations.deadlines.current_time", return_value=cycle.deadline + datetime.timedelta(seconds=1)):
        response = client.post(url("submit", cycle, cat6), {"version": water_list.version})
        assert response.status_code == 400 and response.context["error"]
        assert client.get(url("edit", cycle, cat6)).status_code == 302
    assert snapshot(water_list) == before
    with mock.patch("nominations.deadlines.current_time", return_value=cycle.deadline):
        assert client.post(url("submit", cycle, cat6), {"version": water_list.version}).status_code == 302
    water_list.refresh_from_db()
    assert water_list.state == "submitted"


def test_the_second_of_two_concurrent_saves_is_told_to_reload(client, clerk_water, cycle, cat6, districts, water_list):
    client.force_login(clerk_water)
    opened = client.get(url("edit", cycle, cat6)).context["meta_form"].initial["version"]
    assert client.post(url("edit", cycle, cat6), editor_post(opened, [(districts[5], "第一位")])).status_code == 302
    before = snapshot(water_list)
    response = client.post(url("edit", cycle, cat6), editor_post(opened, [(districts[6], "第二位")]))
    assert response.status_code == 409 and "请刷新页面" in str(response.context["error"])
    assert snapshot(water_list) == before
    assert water_list.nominees.get().unit == districts[5]


# --- after submitting ------------------------------------------------------------------------------------------------

def test_withdraw_then_edit_again(client, clerk_water, cycle, cat6, water_list, districts):
    client.force_login(clerk_water)
    client.post(url("submit", cycle, cat6), {"version": water_list.version})
    water_list.refresh_from_db()
    response = client.post(url("withdraw", cycle, cat6), {"version": water_list.version})
    assert response.status_code == 302
    water_list.refresh_from_db()
    assert water_list.state == "draft"
    assert client.get(url("edit", cycle, cat6)).status_code == 200
    assert list_history(water_list).first().action == "nomination_list.withdrawn"


def test_a_returned_list_shows_the_reasons_and_is_resubmitted(client, clerk_water, cycle, cat6, water_list, districts):
    client.force_login(clerk_water)
    client.post(url("submit", cycle, cat6), {"version": water_list.version})
    NominationList.objects.filter(pk=water_list.pk).update(state="returned", return_reason="请补充第二名的投资完成率。")
    water_list.refresh_from_db()
    page = client.get(url("edit", cycle, cat6))
    assert page.status_code == 200 and "请补充第二名的投资完成率。" in page.content.decode()
    data = editor_post(water_list.version, [(districts[0],), (districts[1], "投资完成率 118%")])
    assert client.post(url("edit", cycle, cat6), data).status_code == 302
    water_list.refresh_from_db()
    assert client.post(url("submit", cycle, cat6), {"version": water_list.version}).status_code == 302
    water_list.refresh_from_db()
    assert water_list.state == "submitted"
    assert water_list.nominees.get(rank=2).achievements == "投资完成率 118%"


def test_printable_view(client, clerk_water, cycle, cat6, water_list, districts):
    client.force_login(clerk_water)
    response = client.get(url("print", cycle, cat6))
    html = response.content.decode()
    assert response.status_code == 200 and districts[0].name in html and districts[1].name in html
    assert "site-header" not in html and "print.css" in html


def test_co_responsible_bureau_comments_and_it_shows_in_the_history(client, clerk_ndrc, cycle, cat6, water_list):
    client.force_login(clerk_ndrc)
    before = snapshot(water_list)
    assert client.post(url("comment", cycle, cat6), {"text": "建议第二名改为白云区。"}).status_code == 302
    assert snapshot(water_list) == before
    page = client.get(url("list", cycle, cat6))
    assert "建议第二名改为白云区。" in page.content.decode()
    assert page.context["history"][0].action == "nomination_list.commented"
    assert page.context["history"][0].actor == clerk_ndrc


# --- evidence downloads ----------------------------------------------------------------------------------------------

def test_evidence_is_served_to_those_who_see_the_list_only(client, clerk_water, clerk_ndrc, clerk_forestry, reviewer,
                                                          cycle, cat6, districts):
    nl = make_list(cycle, cat6, clerk_water, districts[:1])
    services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version,
                                  entries=[entry(districts[0], files=[pdf_file('投资"报告"\r\n<1>.pdf')])])
    evidence = Evidence.objects.get(nominee__nomination_list=nl)
    link = reverse("nominations:evidence", args=[evidence.token])
    assert client.get(link).status_code == 302  # anonymous: to the login page
    for person in (clerk_water, clerk_ndrc, reviewer):
        client.force_login(person)
        response = client.get(link)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]
    client.force_login(clerk_forestry)
    assert client.get(link).status_code == 404


# --- query counts: constant whatever the list's length ----------------------------------------------------------------

@pytest.mark.parametrize("page", ["edit", "list", "print"])
def test_list_pages_run_a_constant_number_of_queries(client, clerk_water, clerk_ndrc, cycle, cat6, districts, page,
                                                     django_assert_num_queries):
    client.force_login(clerk_water)
    nl = make_list(cycle, cat6, clerk_water, districts[:1])
    client.get(url(page, cycle, cat6))  # warm the content-type and session caches
    bound = {"edit": 16, "list": 17, "print": 14}[page]  # phase, unread count (the editor reads no units: its chooser asks for them, and the year's criteria); the list page its exception requests
    with django_assert_num_queries(bound):
        small = client.get(url(page, cycle, cat6))
    nl.refresh_from_db()
    nl = services.nomination_list_save(
        actor=clerk_water, nomination_list=nl, version=nl.version,
        entries=[entry(d, files=[pdf_file(f"{d.pk}-a.pdf"), png_file(f"{d.pk}-b.png")]) for d in districts[:3]])
    for n in range(3):
        services.list_comment_add(actor=clerk_ndrc, nomination_list=nl, text=f"意见 {n}")
    with django_assert_num_queries(bound):
        large = client.get(url(page, cycle, cat6))
    assert small.status_code == large.status_code == 200
    assert len(re.findall(r'data-rank="', large.content.decode())) == (0 if page == "edit" else 3)
    assert AuditEntry.objects.filter(target_id=nl.pk, action="nomination_list.commented").count() == 3


# --- the clerk's workbench ----------------------------------------------------------------------------------------

def test_the_workbench_shows_what_is_due_what_came_back_and_what_was_commented(client, clerk_water, clerk_ndrc, cycle,
                                                                               category, districts):
    returned = make_list(cycle, category("19-1"), clerk_water, districts[:1])
    NominationList.objects.filter(pk=returned.pk).update(state="returned", return_reason="请补充考核数据")
    services.list_comment_add(actor=clerk_ndrc, nomination_list=make_list(cycle, category("6"), clerk_water, districts[:1]),
                              text="建议补充投资完成率")
    client.force_login(clerk_water)
    html = client.get(reverse("nominations:home")).content.decode()
    assert 'data-todo="returned"' in html and "请补充考核数据" in html
    assert 'data-todo="due"' in html and "（31）" in html         # 31 is not started: due
    assert "建议补充投资完成率" in html and 'data-countdown="running"' in html
    assert "十九、河长制湖长制" in html and "6 6" not in html   # a category named once


def test_every_year_s_lists_are_reachable_from_the_workbench(client, clerk_water, cycle, category, districts):
    old = Cycle.objects.create(year=cycle.year - 3, document=cycle.document, opens_at=cycle.opens_at.replace(year=cycle.year - 3),
                               deadline=cycle.deadline.replace(year=cycle.year - 2))
    make_list(old, category("19-1"), clerk_water, districts[:1])
    Cycle.objects.filter(pk=old.pk).update(state=Cycle.State.PUBLISHED)
    client.force_login(clerk_water)
    html = client.get(reverse("nominations:home")).content.decode()
    assert f'href="?year={old.year}"' in html
    response = client.get(reverse("nominations:home"), {"year": old.year})
    assert response.context["cycle"] == old
    assert reverse("nominations:list", args=[old.year, category("19-1").pk]) in response.content.decode()
    assert client.get(reverse("nominations:home"), {"year": "1800"}).context["cycle"] == cycle


def test_the_workbench_pages_the_years_links_newest_first(client, clerk_water, cycle, django_assert_max_num_queries):
    for back in range(1, 25):  # 25 years in all: three pages of ten
        Cycle.objects.create(year=cycle.year - back, document=cycle.document, state=Cycle.State.PUBLISHED,
                             opens_at=cycle.opens_at.replace(year=cycle.year - back),
                             deadline=cycle.deadline.replace(year=cycle.year - back + 1))
    client.force_login(clerk_water)
    home = reverse("nominations:home")
    first = client.get(home)
    assert [y for y, _state in first.context["years"]] == list(range(cycle.year, cycle.year - 10, -1))
    html = first.content.decode()
    assert f'href="?year={cycle.year - 9}"' in html and f"?year={cycle.year - 10}" not in html
    assert 'href="?years=2&amp;year=' in html and 'rel="prev"' not in html
    last = client.get(home, {"years": "3"})
    assert [y for y, _state in last.context["years"]] == list(range(cycle.year - 20, cycle.year - 25, -1))
    assert 'rel="prev"' in last.content.decode() and 'rel="next"' not in last.content.decode()
    # A year of another page keeps its page in the links; the year shown is the one asked for.
    second = client.get(home, {"years": "2", "year": str(cycle.year - 12)})
    assert second.context["cycle"].year == cycle.year - 12 and second.context["years_page"].number == 2
    # The same queries whichever page (the years of one page are read, never all of them).
    with django_assert_max_num_queries(40) as counted:
        client.get(home, {"years": "2"})
    pages = len(counted.captured_queries)
    with django_assert_max_num_queries(pages):
        client.get(home, {"years": "3"})
    # Bad page numbers: not found, never an error.
    for bad in ("0", "4", "-1", "abc", "1.5", "99999999999999999999", ""):
        assert client.get(home, {"years": bad}).status_code == 404, bad
    assert client.get(home, {"year": "99999999999999999999"}).status_code == 200


def test_the_editor_saves_an_incomplete_draft_and_the_submit_page_lists_what_is_missing(client, clerk_water, cycle,
                                                                                        cat6, districts):
    client.force_login(clerk_water)
    nl = make_list(cycle, cat6, clerk_water, [])
    data = editor_post(nl.version, [(districts[0], " "), (districts[1],)], action="submit")
    response = client.post(url("edit", cycle, cat6), data)
    assert response.status_code == 302 and response["Location"] == url("submit", cycle, cat6)
    page = client.get(url("submit", cycle, cat6))
    html = page.content.decode()
    assert 'id="missing-summary"' in html and f"请填写{districts[0]}的事迹与成效。" in html
    assert 'name="confirm"' not in html   # nothing to confirm until it is complete
    nl.refresh_from_db()
    assert nl.state == "draft" and nl.nominees.count() == 2


def test_the_editor_has_one_ranking_control_and_the_measure_s_text(client, clerk_water, cycle, cat6, districts):
    client.force_login(clerk_water)
    make_list(cycle, cat6, clerk_water, districts[:1])
    html = client.get(url("edit", cycle, cat6)).content.decode()
    assert '<select name="rows-0-rank"' not in html and 'type="hidden" name="rows-0-rank"' in html
    assert 'value="up-1"' in html and cat6.measure.text[:20] in html
    assert 'data-unique="unit"' in html and "data-unique-message=" in html


def test_the_files_chosen_are_kept_across_a_refused_save(client, clerk_water, cycle, cat6, districts):
    client.force_login(clerk_water)
    nl = make_list(cycle, cat6, clerk_water, [])
    # Units proposed and "nobody to propose" ticked: refused; the file chosen is kept aside, not lost.
    data = editor_post(nl.version, [(districts[0],)], nothing=True, reason="无", files={0: pdf_file("考核表.pdf")})
    refused = client.post(url("edit", cycle, cat6), data)
    assert refused.status_code == 400
    html = refused.content.decode()
    token = re.search(r'name="rows-0-kept" value="([0-9a-f]+)"', html).group(1)
    assert "考核表.pdf" in html and not Evidence.objects.exists()
    # The next save names it again (the page's hidden field) without choosing it: it is attached.
    again = editor_post(nl.version, [(districts[0],)])
    again["rows-0-kept"] = token
    assert client.post(url("edit", cycle, cat6), again).status_code == 302
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["考核表.pdf"]
    # A token of another person's (or a made-up one) attaches nothing.
    third = editor_post(nl.version + 1, [(districts[0],)])
    third["rows-0-kept"] = token
    client.post(url("edit", cycle, cat6), third)
    assert Evidence.objects.count() == 1


# --- a long history ---------------------------------------------------------------------------------------------------

def test_the_list_page_shows_the_newest_20_history_entries_and_all_on_request(client, clerk_water, cycle, cat6,
                                                                                districts):
    from django.db import transaction

    from organisation.audit import audit_record
    from organisation.models import AuditAction

    nl = make_list(cycle, cat6, clerk_water, districts[:1])
    with transaction.atomic():
        for n in range(30):
            audit_record(actor=clerk_water, action=AuditAction.LIST_COMMENTED, target=nl, message=f"意见{n:02d}")
    client.force_login(clerk_water)
    page = client.get(url("list", cycle, cat6))
    html = page.content.decode()
    assert len(page.context["history"]) == 20 and page.context["history"].more
    assert "意见29" in html and "意见09" not in html
    assert "?trail=all#history-title" in html
    everything = client.get(url("list", cycle, cat6), {"trail": "all"})
    assert len(everything.context["history"]) == len(list_history(nl)) > 30
    assert "意见00" in everything.content.decode() and "trail=all#history-title" not in everything.content.decode()
