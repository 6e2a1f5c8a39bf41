"""Each rule has one home, and every page, service, reminder and statistic asks it.

王芳 (``clerk_water``) prepares 市水务局's lists; 张伟 (``reviewer``) grants her bureau 5 more days; 刘洋
(``administrator``) then moves the whole cycle's deadline 30 days later. From then on her deadline is the cycle's
new one (an extension never makes a deadline earlier), and the editor, the queue, the statistics and the
reminders agree on it to the second."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from nominations import deadlines, reminders, selectors, services
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, NominationList, ReminderKind
from organisation.audit import AuditAction
from organisation.models import AuditEntry
from reviews import selectors as review_selectors
from reviews import services as review_services
from reviews.selectors import public as public_selectors

from .factories import make_cycle

pytestmark = pytest.mark.django_db

DEADLINE = default_deadline_for(2025)  # 2026-03-31 23:59:59 Beijing time
NEW_DEADLINE = DEADLINE + datetime.timedelta(days=30)
LAST_INSTANT = NEW_DEADLINE + datetime.timedelta(microseconds=999_999)
ONE_SECOND_LATE = NEW_DEADLINE + datetime.timedelta(seconds=1)


@pytest.fixture
def cycle(db):
    return make_cycle(2025, opens_at=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=BEIJING), deadline=DEADLINE)


@pytest.fixture
def moved(cycle, reviewer, administrator, bureau):
    services.extension_grant(actor=reviewer, cycle=cycle, bureau=bureau("市水务局"),
                             new_deadline=DEADLINE + datetime.timedelta(days=5), reason="汛期")
    return services.cycle_dates_change(actor=administrator, cycle=cycle, deadline=NEW_DEADLINE, opens_at=cycle.opens_at)


def late_in_queue(cycle, at) -> set[str]:
    queue = review_selectors.review_queue(cycle=cycle, now=at)
    return {bureau.short_name for bureau, _codes in queue.late_bureaus}


def water_reminders(cycle, at, clerk) -> set[str]:
    return {planned.kind for planned in reminders.reminders_plan(at=at) if planned.recipient == clerk}


def test_the_bureau_s_deadline_is_the_later_of_the_cycle_s_and_its_extension(moved, bureau):
    assert deadlines.bureau_deadline(cycle=moved, bureau=bureau("市水务局")) == NEW_DEADLINE
    assert deadlines.bureau_deadline(cycle=moved, bureau=bureau("市林业园林局")) == NEW_DEADLINE


@pytest.mark.parametrize("at, late", [(DEADLINE + datetime.timedelta(days=6), False), (LAST_INSTANT, False),
                                      (ONE_SECOND_LATE, True)])
def test_editor_queue_statistics_and_reminders_agree_on_who_is_late(moved, clerk_water, category, bureau, monkeypatch,
                                                                    at, late):
    water = bureau("市水务局")
    monkeypatch.setattr(deadlines, "current_time", lambda: at)

    # The clerk's editor and the service behind it.
    access = selectors.list_access(clerk_water, year=2025, category_id=category("6").pk)
    assert access.deadline == NEW_DEADLINE and access.editable_now is not late
    nomination_list = services.nomination_list_get_or_create(actor=clerk_water, cycle=moved, category=category("6"))
    if late:
        with pytest.raises(services.DomainError, match="截止时间|deadline"):
            services.nomination_list_save(actor=clerk_water, nomination_list=nomination_list, version=1, entries=[],
                                          nothing_to_propose=True, nothing_reason="无", now=at)
    else:
        services.nomination_list_save(actor=clerk_water, nomination_list=nomination_list, version=1, entries=[],
                                      nothing_to_propose=True, nothing_reason="无", now=at)

    # The reviewer's queue.
    assert ("市水务局" in late_in_queue(moved, at)) is late

    # The statistics' punctuality: a list submitted at that instant.
    NominationList.objects.filter(pk=nomination_list.pk).update(state="submitted", submitted_at=at)
    tally = {row[0].short_name: row[1:] for row in public_selectors._punctuality([moved])}
    on_time, late_count, _never = tally[water.short_name]
    assert (late_count >= 1) is late and (on_time >= 1) is not late

    # The reminders (the planner sends nothing before 08:00, so the late case is read at 09:00 that morning).
    NominationList.objects.filter(pk=nomination_list.pk).update(state="draft", submitted_at=None)
    moment = at.astimezone(BEIJING).replace(hour=9, minute=0, second=0, microsecond=0) if late else at
    kinds = water_reminders(moved, moment, clerk_water)
    assert kinds == ({ReminderKind.OVERDUE} if late else {ReminderKind.DEADLINE})


def visible_text(html: str) -> str:
    """The page as a person reads it: no tags, so no attribute values."""
    return re.sub(r"<[^>]+>", " ", html)


CODE = re.compile(r"\b(nomination_list|nominee|cycle|extension|cap_exception|bulletin)\.[a-z_]+\b")


def walk_every_transition(clerk, reviewer, administrator, cycle, category, bureau, districts):
    services.extension_grant(actor=reviewer, cycle=cycle, bureau=bureau("市水务局"),
                             new_deadline=DEADLINE + datetime.timedelta(days=3), reason="汛期")
    at = DEADLINE - datetime.timedelta(days=10)
    nl = services.nomination_list_get_or_create(actor=clerk, cycle=cycle, category=category)
    entry = services.NomineeEntry(unit=districts[0], achievements="河湖管理成效明显")
    nl = services.nomination_list_save(actor=clerk, nomination_list=nl, version=nl.version, entries=[entry], now=at)
    nl = services.nomination_list_submit(actor=clerk, nomination_list=nl, version=nl.version, now=at)
    nl = services.nomination_list_withdraw(actor=clerk, nomination_list=nl, now=at)
    nl = services.nomination_list_submit(actor=clerk, nomination_list=nl, version=nl.version, now=at)
    services.list_comment_add(actor=clerk, nomination_list=nl, text="请审核")
    nl = review_services.nomination_list_return(actor=reviewer, nomination_list=nl, reason="请补充佐证材料")
    nl.refresh_from_db()
    nl = services.nomination_list_submit(actor=clerk, nomination_list=nl, version=nl.version, now=at)
    review_services.nominee_decide(actor=reviewer, nominee=nl.nominees.get(), approved=True, comment="同意")
    nl.refresh_from_db()
    return nl


@pytest.mark.parametrize("language, labels", [
    ("zh-hans", ["创建", "修改", "已提交", "撤回", "退回补正", "重新提交", "提出意见", "延期"]),
    ("en", ["Created", "Edited", "Submitted", "Withdrawn", "Returned for correction", "Resubmitted", "Commented",
            "Deadline extended"]),
])
def test_no_page_shows_an_audit_code(client, clerk_water, reviewer, administrator, cycle, category, bureau, districts,
                                     settings, language, labels):
    nl = walk_every_transition(clerk_water, reviewer, administrator, cycle, category("6"), bureau, districts)
    assert nl.state == "decided"
    recorded = set(AuditEntry.objects.filter(action__startswith="nomination_list.").values_list("action", flat=True))
    recorded |= set(AuditEntry.objects.filter(action__in=[AuditAction.NOMINEE_APPROVED, AuditAction.EXTENSION_GRANTED])
                    .values_list("action", flat=True))
    assert {AuditAction.LIST_CREATED, AuditAction.LIST_SAVED, AuditAction.LIST_SUBMITTED, AuditAction.LIST_WITHDRAWN,
            AuditAction.LIST_RETURNED, AuditAction.LIST_RESUBMITTED, AuditAction.LIST_DECIDED,
            AuditAction.LIST_COMMENTED, AuditAction.NOMINEE_APPROVED, AuditAction.EXTENSION_GRANTED} <= recorded

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(clerk_water)
    bureau_page = visible_text(client.get(reverse("nominations:list", args=[2025, category("6").pk])).content.decode())
    client.force_login(reviewer)
    review_page = visible_text(client.get(reverse("reviews:list", args=[nl.pk])).content.decode())
    for page in (bureau_page, review_page):
        assert not CODE.search(page), CODE.search(page)
    with translation.override(language):
        for action in recorded:
            assert str(AuditAction(action).label) in review_page or action.startswith("extension")
    for label in labels:
        assert label in bureau_page


def test_every_audit_action_has_a_label_in_chinese_and_english():
    for action in AuditAction:
        with translation.override("en"):
            english = str(action.label)
        with translation.override("zh-hans"):
            chinese = str(action.label)
        assert english and not CODE.fullmatch(english)
        assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese), action
