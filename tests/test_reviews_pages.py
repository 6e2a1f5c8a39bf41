"""The reviewer's pages: the queue of every category of the cycle, a list under review, exceptions, publication,
reopening. 张伟 (``reviewer``) works here; 王芳 (``clerk_water``) and every other non-reviewer gets 404."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, Extension
from organisation.models import AuditEntry
from reviews.models import Award, CapException

from .factories import PAGES_LIST, make_bigger_catalogue, make_cycle, make_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_cycle()


@pytest.fixture
def water_list(cycle, category, bureau, districts):
    return make_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], **PAGES_LIST)


# -- who may see the review pages ---------------------------------------------------------------------------


def test_reviewer_lands_on_the_queue(client, reviewer, cycle):
    client.force_login(reviewer)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("reviews:queue")


def test_queue_needs_login(client, cycle):
    response = client.get(reverse("reviews:queue"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_bureau_staff_and_administrators_get_404_on_every_review_page(client, clerk_water, administrator, water_list, cycle):
    nominee = water_list.nominees.first()
    pages = [
        ("get", reverse("reviews:queue")),
        ("get", reverse("reviews:list", args=[water_list.pk])),
        ("post", reverse("reviews:list_return", args=[water_list.pk])),
        ("post", reverse("reviews:list_acknowledge", args=[water_list.pk])),
        ("post", reverse("reviews:nominee_decide", args=[water_list.pk, nominee.pk])),
        ("get", reverse("reviews:cap_exception", args=[cycle.year, water_list.category_id])),
        ("post", reverse("reviews:publish", args=[cycle.year])),
    ]
    for person in (clerk_water, administrator):
        client.force_login(person)
        for method, url in pages:
            assert getattr(client, method)(url, {"approved": "yes", "n%s-approved" % nominee.pk: "yes"}).status_code == 404, (person, url)
    assert not Award.objects.exists()


def test_reopen_page_is_for_administrators_only(client, reviewer, clerk_water, cycle):
    for person in (reviewer, clerk_water):
        client.force_login(person)
        assert client.get(reverse("reviews:reopen", args=[cycle.year])).status_code == 404


# -- the queue ----------------------------------------------------------------------------------------------


def test_queue_shows_every_category_with_its_state(client, reviewer, cycle, category, bureau, districts):
    make_list(cycle, category("19-1"), bureau("市水务局"), districts[:2], **PAGES_LIST)
    make_list(cycle, category("19-2"), bureau("市林业园林局"), districts[2:3], state="draft", **PAGES_LIST)
    decided = make_list(cycle, category("3"), bureau("市发展改革委"), districts[3:4], state="decided", **PAGES_LIST)
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"))
    queue = response.context["queue"]
    states = {row.category.code: row.state for row in queue.rows}
    assert response.status_code == 200
    assert len(queue.rows) == queue.total == 39
    assert (states["19-1"], states["19-2"], states["3"], states["6"]) == ("submitted", "draft", "decided", "not_started")
    assert (queue.submitted, queue.decided) == (1, 1)
    html = response.content.decode()
    assert 'data-count="submitted">1<' in html and 'data-count="decided">1<' in html
    assert reverse("reviews:list", args=[decided.pk]) in html


def test_queue_filters_by_bureau_measure_and_state(client, reviewer, cycle, category, bureau, districts):
    make_list(cycle, category("19-1"), bureau("市水务局"), districts[:1], **PAGES_LIST)
    client.force_login(reviewer)
    water = bureau("市水务局")
    rows = client.get(reverse("reviews:queue"), {"bureau": water.pk}).context["queue"].rows
    assert {r.category.code for r in rows} == {"6", "19-1", "31"}
    measure_19 = category("19-1").measure
    rows = client.get(reverse("reviews:queue"), {"measure": measure_19.pk}).context["queue"].rows
    assert [r.category.code for r in rows] == ["19-1", "19-2"]
    rows = client.get(reverse("reviews:queue"), {"state": "submitted"}).context["queue"].rows
    assert [r.category.code for r in rows] == ["19-1"]
    rows = client.get(reverse("reviews:queue"), {"state": "not_started", "measure": measure_19.pk}).context["queue"].rows
    assert [r.category.code for r in rows] == ["19-2"]


def test_queue_names_the_late_bureaus_and_honours_extensions(client, reviewer, category, bureau, districts):
    past = timezone.now() - datetime.timedelta(days=2)
    cycle = make_cycle(year=2024, deadline=past)
    cycle.opens_at = past - datetime.timedelta(days=90)
    cycle.save()
    make_list(cycle, category("19-1"), bureau("市水务局"), districts[:1], **PAGES_LIST)           # submitted: on time
    make_list(cycle, category("19-2"), bureau("市林业园林局"), districts[:1], state="draft", **PAGES_LIST)  # draft: late
    Extension.objects.create(cycle=cycle, bureau=bureau("市卫生健康委"), new_deadline=timezone.now() + datetime.timedelta(days=5),
                             reason="疫情防控任务重", granted_by=reviewer)
    client.force_login(reviewer)
    queue = client.get(reverse("reviews:queue"), {"year": 2024}).context["queue"]
    late = {b.short_name: codes for b, codes in queue.late_bureaus}
    assert late["市林业园林局"] == ["19-2"]
    assert "19-1" in late["市水务局"] or "6" in late["市水务局"]   # its other categories are not started
    assert "19-1" not in late["市水务局"]
    assert "市卫生健康委" not in late


@pytest.mark.parametrize("size", [2, 14])
def test_queue_runs_a_constant_number_of_queries(client, reviewer, districts, bureau, django_assert_max_num_queries, size):
    cycle = make_bigger_catalogue(size, reviewer, districts, bureau)
    client.force_login(reviewer)
    # session, user, roles, cycles; the figures by state (with the unread), the bureaus and measures of the
    # filters, extensions, the page's count, rows (with awards and limits), responsibilities and lists (with the
    # reader's marks); the late bureaus (two queries for the pairs still to do, one for the bureaus, after the
    # deadline only); the content type of the audit trail (cached after the first use), the trail; the unread
    # notifications of the header.
    # With the door's one read of the programmes the reviewer reviews, and what waits for the reviewer (two
    # queries for each of its five kinds, three for the screening flags) and the programme's reminder settings
    # (the deadline lights).
    with django_assert_max_num_queries(33):
        response = client.get(reverse("reviews:queue"), {"year": cycle.year})
    assert response.status_code == 200 and len(response.context["queue"].rows) == size


# -- one list under review ------------------------------------------------------------------------------------


def test_list_page_shows_nominees_and_decides_through_the_service(client, reviewer, water_list, districts):
    client.force_login(reviewer)
    page = client.get(reverse("reviews:list", args=[water_list.pk]))
    assert page.status_code == 200 and districts[0].name in page.content.decode()
    first = water_list.nominees.get(rank=1)
    response = client.post(reverse("reviews:nominee_decide", args=[water_list.pk, first.pk]),
                           {f"n{first.pk}-approved": "yes", f"n{first.pk}-comment": "同意"})
    assert response.status_code == 302
    award = Award.objects.get(nominee=first)
    assert award.unit == districts[0]
    html = client.get(reverse("reviews:list", args=[water_list.pk])).content.decode()
    assert 'data-action="nominee.approved"' in html and 'data-approved="yes"' in html


def test_a_refused_approval_is_shown_as_a_message_not_an_error(client, reviewer, water_list, category):
    type(category("19-1")).objects.filter(code="19-1").update(cap=1)
    a, b = water_list.nominees.order_by("rank")[:2]
    client.force_login(reviewer)
    client.post(reverse("reviews:nominee_decide", args=[water_list.pk, a.pk]), {f"n{a.pk}-approved": "yes"})
    response = client.post(reverse("reviews:nominee_decide", args=[water_list.pk, b.pk]), {f"n{b.pk}-approved": "yes"}, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("19-1" in m and "原则上不超3个" in m for m in messages)
    assert Award.objects.filter(category__code="19-1").count() == 1


def test_reviewer_returns_a_list_with_reasons(client, reviewer, water_list):
    client.force_login(reviewer)
    response = client.post(reverse("reviews:list_return", args=[water_list.pk]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(reverse("reviews:list_return", args=[water_list.pk]), {"reason": "请补充2023年度考核数据"})
    assert response.status_code == 302
    water_list.refresh_from_db()
    assert water_list.state == "returned" and water_list.return_reason == "请补充2023年度考核数据"


def test_reviewer_never_edits_the_bureaus_list(client, reviewer, water_list):
    """The review page offers decisions and a return, never the list's own fields."""
    client.force_login(reviewer)
    html = client.get(reverse("reviews:list", args=[water_list.pk])).content.decode()
    assert 'name="achievements"' not in html and 'name="rank"' not in html and 'name="unit"' not in html
    before = list(water_list.nominees.values_list("unit_id", "rank", "achievements"))
    client.post(reverse("reviews:list_return", args=[water_list.pk]), {"reason": "x", "achievements": "改写"})
    assert list(water_list.nominees.values_list("unit_id", "rank", "achievements")) == before


def test_exception_page_records_an_exception(client, reviewer, water_list, cycle):
    client.force_login(reviewer)
    url = reverse("reviews:cap_exception", args=[cycle.year, water_list.category_id])
    assert client.post(url, {"new_limit": 4, "reason": ""}).status_code == 400
    response = client.post(url, {"new_limit": 4, "reason": "市政府常务会议同意"})
    assert response.status_code == 302 and response["Location"] == reverse("reviews:list", args=[water_list.pk])
    exception = CapException.objects.get()
    assert (exception.new_limit, exception.decided_by) == (4, reviewer)
    html = client.get(reverse("reviews:list", args=[water_list.pk])).content.decode()
    assert "市政府常务会议同意" in html and 'data-action="cap_exception.recorded"' in html and 'data-limit="4"' in html


def test_publish_and_reopen_through_the_pages(client, reviewer, administrator, cycle):
    from unittest import mock

    from .factories import after_notice, put_on_notice

    client.force_login(reviewer)
    put_on_notice(reviewer, cycle)
    after = after_notice(cycle)
    with mock.patch("nominations.deadlines.current_time", return_value=after):
        response = client.post(reverse("reviews:publish", args=[cycle.year]), {})
        cycle.refresh_from_db()
        assert cycle.state == "notice"  # the confirmation was not ticked
        response = client.post(reverse("reviews:publish", args=[cycle.year]), {"confirm": "on"})
    assert response["Location"] == reverse("results:cycle", args=[cycle.year])
    cycle.refresh_from_db()
    assert cycle.state == "published"
    assert client.get(reverse("results:cycle", args=[cycle.year])).status_code == 200
    queue_html = client.get(reverse("reviews:queue")).content.decode()
    assert 'data-action="cycle.published"' in queue_html
    client.force_login(administrator)
    response = client.post(reverse("reviews:reopen", args=[cycle.year]), {"reason": "更正错误"})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.state == "review"
    assert AuditEntry.objects.filter(action="cycle.reopened", message="更正错误").exists()
    client.logout()
    assert client.get(reverse("results:cycle", args=[cycle.year])).status_code == 404   # off the public pages


def test_queue_is_shown_in_pages_that_keep_the_filters(client, reviewer, monkeypatch):
    from reviews.views import queue as views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 10)
    document = PolicyDocument.objects.get(in_force=True)
    Cycle.objects.create(year=2031, document=document, opens_at=datetime.datetime(2031, 1, 1, tzinfo=BEIJING),
                         deadline=default_deadline_for(2031))
    client.force_login(reviewer)
    first = client.get(reverse("reviews:queue"), {"year": 2031})
    second = client.get(reverse("reviews:queue"), {"year": 2031, "page": 2})
    codes = lambda response: [row.category.code for row in response.context["queue"].rows]  # noqa: E731
    assert len(codes(first)) == 10 and len(codes(second)) == 10
    assert not set(codes(first)) & set(codes(second))
    assert "year=2031&amp;page=2" in first.content.decode()
    # only the page's rows are built, and every category of the document is still counted, whatever the page
    assert first.context["queue"].count == first.context["queue"].total == 39


# -- long audit trails ----------------------------------------------------------------------------------------


def record_many(target, actor, count):
    from django.db import transaction

    from organisation.audit import audit_record
    from organisation.models import AuditAction

    with transaction.atomic():
        for n in range(count):
            audit_record(actor=actor, action=AuditAction.LIST_SAVED, target=target, message=f"条目{n:02d}")


def test_the_list_page_shows_the_newest_20_trail_entries_and_all_of_them_on_request(client, reviewer, water_list):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record_many(water_list, reviewer, 25)
    client.force_login(reviewer)
    page = reverse("reviews:list", args=[water_list.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    html = response.content.decode()
    trail = response.context["trail"]
    assert len(trail) == 20 and trail.more
    assert trail[0].message == "条目24" and trail[-1].message == "条目05"
    assert "条目24" in html and "条目04" not in html and "条目00" not in html
    assert f'href="{page}?trail=all#trail-heading"' in html
    # The database limits the rows read: 21 (one more than shown, to know that there are older ones).
    assert any("organisation_auditentry" in q["sql"] and "LIMIT 21" in q["sql"] for q in queries.captured_queries)

    everything = client.get(page, {"trail": "all"})
    assert len(everything.context["trail"]) == 25 and not everything.context["trail"].more
    assert "条目00" in everything.content.decode() and "trail=all#trail-heading" not in everything.content.decode()
    # Any other value is the newest 20; a short trail has no link.
    assert len(client.get(page, {"trail": "x" * 300}).context["trail"]) == 20


def test_a_short_trail_has_no_link_to_the_whole_trail(client, reviewer, water_list):
    record_many(water_list, reviewer, 3)
    client.force_login(reviewer)
    response = client.get(reverse("reviews:list", args=[water_list.pk]))
    assert len(response.context["trail"]) == 3 and not response.context["trail"].more
    assert "trail=all#trail-heading" not in response.content.decode()


def test_the_queue_s_cycle_trail_is_limited_too(client, reviewer, cycle):
    record_many(cycle, reviewer, 22)
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"), {"year": cycle.year})
    assert len(response.context["trail"]) == 20 and response.context["trail"].more
    html = response.content.decode()
    assert f"?year={cycle.year}&amp;trail=all#trail-heading" in html  # the queue's filters are kept
    assert len(client.get(reverse("reviews:queue"), {"year": cycle.year, "trail": "all"}).context["trail"]) == 22
