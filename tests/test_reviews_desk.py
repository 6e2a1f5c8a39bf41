"""The reviewer's desk: the cycle's figures, the queue searched, sorted, filtered and paged by the database, its
export, the bulk actions (marking lists read, reminding late bureaus), one form deciding a whole list, and the
evidence previewed and downloaded from the review page."""

import datetime
import hashlib
import io

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from measures.models import IncentiveCategory
from nominations.models import CapExceptionRequest, Evidence, NominationList
from organisation.models import AuditEntry, Notification, OutboxMessage
from reviews.models import Award, Decision, ListReading

from .factories import PAGES_LIST, make_bigger_catalogue, make_cycle, make_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    """The year under way: its deadline (next 31 March) is ahead."""
    return make_cycle(year=timezone.now().year)


@pytest.fixture
def lists(cycle, category, bureau, districts):
    """19-1 submitted by 市水务局 (越秀区, 海珠区), 3 submitted by 市发展改革委 (荔湾区), 19-2 a draft of 市林业园林局."""
    water = make_list(cycle, category("19-1"), bureau("市水务局"), [districts[0], districts[2]], **PAGES_LIST)
    ndrc = make_list(cycle, category("3"), bureau("市发展改革委"), [districts[1]], **PAGES_LIST)
    now = timezone.now()
    NominationList.objects.filter(pk=water.pk).update(submitted_at=now - datetime.timedelta(days=1))
    NominationList.objects.filter(pk=ndrc.pk).update(submitted_at=now - datetime.timedelta(days=4))
    water.refresh_from_db()
    forestry = make_list(cycle, category("19-2"), bureau("市林业园林局"), districts[3:4], state="draft", **PAGES_LIST)
    return {"water": water, "ndrc": ndrc, "forestry": forestry}


def codes(response):
    return [row.category.code for row in response.context["queue"].rows]


# -- the queue ----------------------------------------------------------------------------------------------


def test_searching_a_unit_finds_the_lists_that_nominate_it(client, reviewer, lists, districts):
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"), {"q": districts[2].name})
    assert codes(response) == ["19-1"] and response.context["queue"].count == 1
    assert response.context["queue"].total == 39  # the figures stay the cycle's


def test_searching_a_bureau_or_a_measure(client, reviewer, lists):
    client.force_login(reviewer)
    assert set(codes(client.get(reverse("reviews:queue"), {"q": "林业园林"}))) == {"19-2"}
    assert codes(client.get(reverse("reviews:queue"), {"q": "19"})) == ["19-1", "19-2"]   # the measure's number
    assert codes(client.get(reverse("reviews:queue"), {"q": "十九"})) == ["19-1", "19-2"]  # its numeral
    assert codes(client.get(reverse("reviews:queue"), {"q": "没有这样的单位"})) == []


def test_sorting_by_submission_time(client, reviewer, lists):
    client.force_login(reviewer)
    first = codes(client.get(reverse("reviews:queue"), {"sort": "submitted"}))
    assert first[:2] == ["3", "19-1"]        # the list waiting longest first, categories never submitted last
    last = codes(client.get(reverse("reviews:queue"), {"sort": "-submitted"}))
    assert last[:2] == ["19-1", "3"]
    assert codes(client.get(reverse("reviews:queue"), {"sort": "no-such-order"}))[:3] == ["1", "2", "3"]


def test_the_desk_shows_the_figures_countdown_and_submission_time(client, reviewer, lists):
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"))
    html = response.content.decode()
    queue = response.context["queue"]
    assert (queue.state_counts["submitted"], queue.state_counts["draft"], queue.state_counts["not_started"]) == (2, 1, 36)
    assert 'data-count="submitted">2<' in html and 'data-count="not_started">36<' in html
    assert response.context["countdown"]["passed"] is False and 'data-countdown="running"' in html
    submitted = timezone.localtime(lists["water"].submitted_at).strftime("%Y-%m-%d %H:%M")
    assert submitted in html
    assert 'src="/static/js/site.js"' in html and "onchange=" not in html and "<script>" not in html


def test_marking_lists_read_in_bulk(client, reviewer, lists, cycle):
    client.force_login(reviewer)
    queue = client.get(reverse("reviews:queue")).context["queue"]
    assert queue.unread_count == 2
    assert codes(client.get(reverse("reviews:queue"), {"unread": "1"})) == ["3", "19-1"]
    response = client.post(reverse("reviews:queue_bulk"), {"year": cycle.year, "action": "read",
                                                           "list": [lists["water"].pk], "query": "sort=state"})
    assert response.status_code == 302 and response["Location"].endswith("?sort=state")
    assert ListReading.objects.filter(reader=reviewer, nomination_list=lists["water"]).exists()
    assert AuditEntry.objects.filter(action="nomination_list.marked_read", target_id=lists["water"].pk).count() == 1
    response = client.get(reverse("reviews:queue"), {"unread": "1"})
    assert codes(response) == ["3"] and response.context["queue"].unread_count == 1
    # Submitted again after the reading: unread again.
    NominationList.objects.filter(pk=lists["water"].pk).update(submitted_at=timezone.now() + datetime.timedelta(seconds=5))
    assert client.get(reverse("reviews:queue")).context["queue"].unread_count == 2


def test_bulk_actions_refuse_what_they_cannot_do(client, reviewer, lists, cycle, category, bureau, districts):
    client.force_login(reviewer)
    response = client.post(reverse("reviews:queue_bulk"), {"year": cycle.year, "action": "read"}, follow=True)
    assert "请至少勾选一份名单" in response.content.decode()
    other = make_list(make_cycle(year=2019), category("19-1"), bureau("市水务局"), districts[:1], **PAGES_LIST)
    response = client.post(reverse("reviews:queue_bulk"), {"year": cycle.year, "action": "read",
                                                           "list": [lists["water"].pk, other.pk]}, follow=True)
    assert response.status_code == 200 and not ListReading.objects.exists()


def test_the_export_is_what_the_queue_shows_with_chinese_headers_and_labels(client, reviewer, lists, cycle):
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue_export"), {"year": cycle.year, "q": "19", "sort": "state"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="review-queue-{cycle.year}.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("类别编号", "类别", "激励措施")
    assert [(r[0], r[5]) for r in rows[1:]] == [("19-2", "草稿"), ("19-1", "已提交")]
    assert "draft" not in str(rows) and "submitted" not in str(rows)
    assert AuditEntry.objects.filter(action="cycle.queue_exported", data__rows=2).exists()


def test_exporting_the_ticked_lists(client, reviewer, lists, cycle):
    client.force_login(reviewer)
    response = client.post(reverse("reviews:queue_bulk"), {"year": cycle.year, "action": "export",
                                                           "list": [lists["ndrc"].pk]})
    assert response.status_code == 302
    rows = list(load_workbook(io.BytesIO(client.get(response["Location"]).content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["3"]


def test_reminding_the_late_bureaus_sends_one_message_per_clerk_listing_all_categories(
        client, reviewer, category, bureau, districts, clerk_water, clerk_forestry, django_capture_on_commit_callbacks):
    past = timezone.now() - datetime.timedelta(days=2)
    cycle = make_cycle(year=2024, deadline=past)
    cycle.opens_at = past - datetime.timedelta(days=90)
    cycle.save()
    make_list(cycle, category("19-2"), bureau("市林业园林局"), districts[:1], state="draft", **PAGES_LIST)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:remind_late", args=[2024]), follow=True)
    assert response.status_code == 200
    water = OutboxMessage.objects.get(recipient=clerk_water)
    # 市水务局 owes 6, 19-1 and 31 (none started): one message listing the three.
    assert all(f"（{code}）" in water.body_text for code in ("6", "19-1", "31")) and "已逾期" in water.subject
    assert OutboxMessage.objects.filter(recipient=clerk_forestry).count() == 1
    assert {m.to[0] for m in mail.outbox} >= {clerk_water.email, clerk_forestry.email}
    assert Notification.objects.filter(user=clerk_water).count() == 1
    entry = AuditEntry.objects.get(action="cycle.late_bureaus_reminded")
    assert entry.actor == reviewer and entry.data["bureaus"]["市林业园林局"] == ["19-2"]
    # A second sending is a new message, recorded once more.
    client.post(reverse("reviews:remind_late", args=[2024]))
    assert OutboxMessage.objects.filter(recipient=clerk_water).count() == 2


def test_nobody_is_reminded_before_the_deadline(client, reviewer, cycle, clerk_water):
    client.force_login(reviewer)
    response = client.post(reverse("reviews:remind_late", args=[cycle.year]), follow=True)
    assert "没有逾期" in response.content.decode()
    assert not OutboxMessage.objects.exists() and not AuditEntry.objects.filter(action="cycle.late_bureaus_reminded").exists()


@pytest.mark.parametrize("size", [5, 20])
def test_the_queue_builds_only_the_page_and_runs_the_same_queries_at_two_sizes(
        client, reviewer, districts, bureau, django_assert_num_queries, size, monkeypatch):
    from reviews.views import queue as views


    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 4)
    cycle = make_bigger_catalogue(size, reviewer, districts, bureau)
    client.force_login(reviewer)
    client.get(reverse("reviews:queue"), {"year": cycle.year})  # the content type of the trail, cached
    # Both cycles' deadlines have passed: the late bureaus' three queries run at both sizes.
    # With the door's one read of the programmes the reviewer reviews; the bureaus and measures are never listed
    # (their choosers fetch them as the reviewer types), and a bureau chosen costs one query to name it; the
    # page's awards and limits are one query for its rows; the years offered are read apart from the cycle shown;
    # what waits for the reviewer is one query counting its five kinds and one reading the first few submitted lists
    # (the other kinds have none here), and the programme's reminder settings (the lights') one; the screening flags
    # waiting (负面清单) one: the year's awards of units with an event (none here; two more when there are).
    with django_assert_num_queries(23):
        response = client.get(reverse("reviews:queue"), {"year": cycle.year, "q": "市水务局", "sort": "submitted"})
    assert response.status_code == 200
    assert len(response.context["queue"].rows) == 4 and response.context["queue"].count == size
    # What waits: every submitted list counted (one in three of the catalogue's), the first five listed.
    lists_waiting = next(w for w in response.context["waiting"] if w.kind == "lists")
    submitted = NominationList.objects.filter(cycle=cycle, state="submitted").count()
    assert lists_waiting.count == submitted and len(lists_waiting.items) == min(submitted, 5)
    # Unfiltered, or by state alone, the rows are counted by the states' figures: the same counts and pages.
    catalogue = IncentiveCategory.objects.filter(measure__document=cycle.document).count()
    for query, expected in (({}, catalogue), ({"state": "submitted"}, submitted),
                            ({"state": "draft"}, NominationList.objects.filter(cycle=cycle, state="draft").count())):
        queue = client.get(reverse("reviews:queue"), {"year": cycle.year, **query}).context["queue"]
        assert queue.count == expected and queue.page.paginator.num_pages == max(1, -(-expected // 4))
    water = bureau("市水务局")
    with django_assert_num_queries(24):
        response = client.get(reverse("reviews:queue"), {"year": cycle.year, "bureau": water.pk})
    assert response.context["queue"].count == size and response.context["queue"].bureau.text == "市水务局"


def test_the_desk_counts_every_kind_in_one_query_and_reads_the_first_rows_of_those_waiting(
        reviewer, clerk_water, category, bureau, districts, media_root, django_assert_num_queries):
    from reviews.models import HigherAward, Objection
    from reviews.selectors import DESK_SHOWN, desk_waiting

    from .factories import make_rules_filing

    cycle = make_cycle(year=timezone.now().year)
    codes = ["1", "2", "3", "4", "5", "6", "7"]
    submitted = [make_list(cycle, category(code), bureau("市水务局"), [districts[0]], clerk=clerk_water,
                           submitted_at=cycle.deadline - datetime.timedelta(days=10 - index))
                 for index, code in enumerate(codes)]
    make_list(cycle, category("8"), bureau("市水务局"), [districts[1]], state="draft")
    empty = desk_waiting(cycle=cycle, user=reviewer)
    assert {w.kind: w.count for w in empty} == {"lists": 7, "exceptions": 0, "objections": 0, "register": 0,
                                                "rules": 0}
    assert [w.items for w in empty if w.kind != "lists"] == [[], [], [], []]
    for nl in submitted[:2]:
        CapExceptionRequest.objects.create(nomination_list=nl, requested_limit=4, reason="成效突出",
                                           requested_by=clerk_water)
    HigherAward.objects.create(cycle=cycle, document_number="国办发〔2022〕21号", higher_measure="稳增长",
                               unit=districts[2], awarded_on=datetime.date(2022, 5, 1), recorded_by=reviewer)
    make_rules_filing(category("6").measure, bureau("市水务局"), clerk_water, "河湖长制实施办法")
    award = Award.objects.create(cycle=cycle, category=category("1"), unit=districts[0],
                                 nominee=submitted[0].nominees.get(), slot=1)
    Objection.objects.create(cycle=cycle, receipt="2026-DESK0001", category=award.category, unit=award.unit,
                             award=award, name="陈明", contact="13812345678", grounds="该区数据与实际不符")
    # One query counts the five kinds; then one reads the first rows of each kind that has any.
    with django_assert_num_queries(6):
        waiting = {w.kind: w for w in desk_waiting(cycle=cycle, user=reviewer)}
    assert {kind: w.count for kind, w in waiting.items()} == {"lists": 7, "exceptions": 2, "objections": 1,
                                                              "register": 1, "rules": 1}
    # The lists waiting longest first, five of seven shown; every other kind shown whole.
    assert [url for _label, url in waiting["lists"].items] == [
        reverse("reviews:list", args=[nl.pk]) for nl in submitted[:DESK_SHOWN]]
    assert [len(w.items) for kind, w in waiting.items() if kind != "lists"] == [2, 1, 1, 1]
    assert waiting["exceptions"].items[0][1] == reverse("reviews:list", args=[submitted[0].pk]) + "#exception-request"
    assert "2026-DESK0001" in waiting["objections"].items[0][0]
    # Settled work leaves the desk: the requests granted, the objection settled.
    CapExceptionRequest.objects.update(state=CapExceptionRequest.State.GRANTED, decision_reason="成效突出，同意。")
    Objection.objects.update(status=Objection.Status.UPHELD, settlement="经核实，数据不实。")
    with django_assert_num_queries(4):
        waiting = {w.kind: w for w in desk_waiting(cycle=cycle, user=reviewer)}
    assert (waiting["exceptions"].count, waiting["exceptions"].items) == (0, [])
    assert (waiting["objections"].count, waiting["objections"].items) == (0, [])


# -- one list, decided in one form ----------------------------------------------------------------------------


def test_one_form_decides_every_nominee_and_the_list(client, reviewer, lists):
    nl = lists["water"]
    a, b = nl.nominees.order_by("rank")
    client.force_login(reviewer)
    response = client.post(reverse("reviews:list_decide", args=[nl.pk]), {
        f"n{a.pk}-approved": "yes", f"n{a.pk}-comment": "",
        f"n{b.pk}-approved": "no", f"n{b.pk}-comment": "材料不足",
    })
    assert response.status_code == 302
    nl.refresh_from_db()
    assert nl.state == "decided"
    assert Award.objects.get(nominee__nomination_list=nl).nominee == a
    assert Decision.objects.get(nominee=b).comment == "材料不足"
    assert AuditEntry.objects.filter(action="nominee.rejected", message="材料不足").exists()


def test_a_refusal_without_a_reason_decides_nothing_and_says_which(client, reviewer, lists):
    nl = lists["water"]
    a, b = nl.nominees.order_by("rank")
    client.force_login(reviewer)
    response = client.post(reverse("reviews:list_decide", args=[nl.pk]), {
        f"n{a.pk}-approved": "yes", f"n{b.pk}-approved": "no", f"n{b.pk}-comment": "  ",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html and f"请说明{b.unit}不予激励的理由" in html
    assert not Decision.objects.exists() and not Award.objects.exists()
    # A nominee left without a choice is named too.
    response = client.post(reverse("reviews:list_decide", args=[nl.pk]), {f"n{a.pk}-approved": "yes"})
    assert response.status_code == 400 and str(b.unit) in response.content.decode()
    assert not Decision.objects.exists()


def test_the_cap_refusing_one_approval_leaves_the_whole_form_undone(client, reviewer, lists, category):
    type(category("19-1")).objects.filter(code="19-1").update(cap=1)
    nl = lists["water"]
    a, b = nl.nominees.order_by("rank")
    client.force_login(reviewer)
    response = client.post(reverse("reviews:list_decide", args=[nl.pk]), {
        f"n{a.pk}-approved": "yes", f"n{b.pk}-approved": "yes"})
    assert response.status_code == 400 and "原则上不超3个" in response.content.decode()
    assert not Decision.objects.exists() and not Award.objects.exists()


def test_return_and_closing_ask_for_confirmation(client, reviewer, lists):
    client.force_login(reviewer)
    html = client.get(reverse("reviews:list", args=[lists["water"].pk])).content.decode()
    return_form = f'action="{reverse("reviews:list_return", args=[lists["water"].pk])}" data-confirm="'
    assert return_form in html
    assert 'name="n%d-approved"' % lists["water"].nominees.first().pk in html


# -- evidence on the review page ------------------------------------------------------------------------------


def _evidence(nominee, user, name, body, content_type):
    evidence = Evidence(nominee=nominee, token=hashlib.sha256(name.encode()).hexdigest()[:32],
                        extension="." + name.rsplit(".", 1)[1], original_name=name, content_type=content_type,
                        size=len(body), sha256=hashlib.sha256(body).hexdigest(), uploaded_by=user)
    evidence.file.save(name, ContentFile(body), save=False)
    evidence.save()
    return evidence


def test_the_reviewer_previews_and_downloads_the_evidence(client, reviewer, clerk_water, lists, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    nominee = lists["water"].nominees.first()
    pdf = _evidence(nominee, clerk_water, "考核报告.pdf", b"%PDF-1.4\n% evidence\n", "application/pdf")
    sheet = _evidence(nominee, clerk_water, "数据.xlsx", b"PK\x03\x04 data", "application/vnd.ms-excel")
    client.force_login(reviewer)
    html = client.get(reverse("reviews:list", args=[lists["water"].pk])).content.decode()
    preview = reverse("reviews:evidence", args=[lists["water"].pk, pdf.token])
    assert f'<iframe class="preview" src="{preview}"' in html and f'href="{preview}?download=1"' in html
    shown = client.get(preview)
    assert shown.status_code == 200 and shown["Content-Disposition"].startswith("inline")
    assert shown["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in shown["Content-Security-Policy"]
    assert b"".join(shown.streaming_content).startswith(b"%PDF")
    assert client.get(preview, {"download": "1"})["Content-Disposition"].startswith("attachment")
    # Other files are never shown in the page, only downloaded, in a sandbox.
    other = client.get(reverse("reviews:evidence", args=[lists["water"].pk, sheet.token]))
    assert other["Content-Disposition"].startswith("attachment") and "sandbox" in other["Content-Security-Policy"]
    # The file of another list is not found under this one, and clerks do not reach the review's files.
    assert client.get(reverse("reviews:evidence", args=[lists["ndrc"].pk, pdf.token])).status_code == 404
    client.force_login(clerk_water)
    assert client.get(preview).status_code == 404
