"""The reminder sweep at chosen moments: who gets what, and nothing twice.

The 2025 cycle's lists are due on 2026-03-31 23:59:59 Beijing time. 王芳 (市水务局) owns 6, 19-1 and 31;
李强 (市发展改革委) owns 3, 9, 11, 24, 29 and 30-1..3 and is only co-responsible for 6; 陈静 (市林业园林局)
owns 19-2. 赵敏's account is disabled. 张伟 reviews.
"""

import datetime
import re
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from measures.models import IncentiveCategory, PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import (
    BEIJING,
    Cycle,
    Extension,
    NominationList,
    ReminderKind,
    ReminderSettings,
    ReminderTemplate,
)
from nominations.reminders import reminders_sweep
from organisation.models import Notification, OutboxMessage
from organisation.outbox import outbox_deliver as reminder_deliver
from organisation.services import outbox_retry
from reviews.tasks import list_returned_notify

from .factories import make_cycle

WATER = {"6", "19-1", "31"}
NDRC = {"3", "9", "11", "24", "29", "30-1", "30-2", "30-3"}


def beijing(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def cycle(db):
    return make_cycle(2025, opens_at=beijing(2026, 1, 5, 9, 0))


@pytest.fixture
def people(clerk_water, clerk_ndrc, clerk_forestry, reviewer, inactive):
    return {"water": clerk_water, "ndrc": clerk_ndrc, "forestry": clerk_forestry, "reviewer": reviewer, "inactive": inactive}


def sweep_and_send(at):
    result = reminders_sweep(at=at)
    for delivery_id in result.due_ids:
        reminder_deliver(message_id=delivery_id)
    return result


def received(user, **filters):
    """(kind, offset, category code) of every category a message recorded for ``user`` is about: from the outbox
    key for a message about one category, from the text for a bureau's message listing all its categories."""
    codes = dict(IncentiveCategory.objects.values_list("pk", "code"))
    found = set()
    for key, kind, text in OutboxMessage.objects.filter(recipient=user, **filters).values_list("key", "kind", "body_text"):
        match = re.search(r":(?:category(?P<category>\d+|-)|bureau\d+):offset(?P<offset>-?\d+):", key)
        if match["category"] is None:
            for code in re.findall(r"^\d+．.*（(\d+(?:-\d+)?)）", text, flags=re.MULTILINE):
                found.add((kind, int(match["offset"]), code))
            continue
        category = match["category"]
        found.add((kind, int(match["offset"]), None if category == "-" else codes[int(category)]))
    return found


def make_list(cycle, category, bureau, state):
    return NominationList.objects.create(cycle=cycle, category=category, bureau=bureau, state=state)


def test_thirty_days_before_every_owner_clerk_is_reminded_of_each_unsubmitted_category(cycle, people):
    sweep_and_send(beijing(2026, 3, 1, 9, 0))

    assert received(people["water"]) == {("deadline", 30, code) for code in WATER}
    assert received(people["ndrc"]) == {("deadline", 30, code) for code in NDRC}  # not 6: only co-responsible
    assert received(people["forestry"]) == {("deadline", 30, "19-2")}
    assert received(people["inactive"]) == set()
    assert received(people["reviewer"]) == set()  # nothing submitted: no digest
    # One e-mail per clerk of a bureau, listing all the bureau's categories, never one per category.
    assert len(mail.outbox) == 3
    water = next(m for m in mail.outbox if m.to == [people["water"].email])
    assert f"{len(WATER)}个类别" in water.subject and all(f"（{code}）" in water.body for code in WATER)
    assert OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).count() == 0
    # Every message has its in-app notification.
    assert Notification.objects.filter(user=people["water"]).count() == 1


def test_a_second_run_at_the_same_moment_sends_nothing(cycle, people):
    at = beijing(2026, 3, 1, 9, 0)
    sweep_and_send(at)
    sent = len(mail.outbox)
    rows = OutboxMessage.objects.count()

    result = sweep_and_send(at)
    result_later_that_day = sweep_and_send(beijing(2026, 3, 1, 17, 30))

    assert result.recorded == [] and result.already == rows
    assert result_later_that_day.recorded == []
    assert len(mail.outbox) == sent
    assert OutboxMessage.objects.count() == rows
    assert Notification.objects.count() == rows


def test_the_message_is_in_chinese_with_text_and_html_and_links_to_the_list_page(cycle, people, settings, category):
    settings.SITE_URL = "https://incentives.example.gov.cn"
    sweep_and_send(beijing(2026, 3, 24, 9, 0))  # 7 days before

    message = next(m for m in mail.outbox if m.to == [people["forestry"].email])
    assert "十九、林长制" in message.subject and "7" in message.subject and "（19-2）" in message.body
    assert "陈静" in message.body and "2026年3月31日 23:59" in message.body
    link = "https://incentives.example.gov.cn" + reverse("nominations:list", args=[2025, category("19-2").pk])
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html and "<html" in html
    assert message.extra_headers["Message-ID"].startswith("<outbox-")


def test_reminders_follow_the_offsets_and_a_missed_day_is_caught_up_once(cycle, people):
    forestry = people["forestry"]
    sweep_and_send(beijing(2026, 3, 20, 9, 0))  # 11 days left: inside the 14-day reminder's window
    assert received(forestry) == {("deadline", 14, "19-2")}
    sweep_and_send(beijing(2026, 3, 21, 9, 0))  # 10 days left: nothing new
    assert received(forestry) == {("deadline", 14, "19-2")}
    for day in (24, 28, 30, 31):
        sweep_and_send(beijing(2026, 3, day, 10, 0))
    assert {offset for _, offset, _ in received(forestry)} == {14, 7, 3, 1, 0}


def test_after_the_deadline_one_overdue_notice(cycle, people):
    sweep_and_send(beijing(2026, 4, 1, 9, 0))
    sweep_and_send(beijing(2026, 4, 2, 9, 0))
    sweep_and_send(beijing(2026, 4, 9, 9, 0))

    assert received(people["forestry"]) == {("overdue", -1, "19-2")}
    assert "逾期" in next(m.subject for m in mail.outbox if m.to == [people["forestry"].email])


def test_a_submitted_list_stops_the_reminders_a_returned_or_draft_one_does_not(cycle, people, category, bureau):
    water = bureau("市水务局")
    make_list(cycle, category("6"), water, NominationList.State.SUBMITTED)
    make_list(cycle, category("19-1"), water, NominationList.State.RETURNED)
    make_list(cycle, category("31"), water, NominationList.State.DRAFT)

    sweep_and_send(beijing(2026, 3, 30, 9, 0))

    assert received(people["water"]) == {("deadline", 1, "19-1"), ("deadline", 1, "31")}


def test_a_list_is_reminded_to_its_own_bureau_and_a_joint_category_to_every_owner(cycle, people, category, bureau, clerk_ndrc):
    from tests.factories import make_user

    sasac_clerk = make_user("sasac", first_name="国资委经办人", bureaus=[bureau("市国资委")])
    sweep_and_send(beijing(2026, 3, 30, 9, 0))
    assert {code for _, _, code in received(sasac_clerk)} == {"30-1", "30-2", "30-3"}

    # Once 市发展改革委 has started the joint list, its bureau is the one reminded.
    make_list(cycle, category("30-1"), bureau("市发展改革委"), NominationList.State.DRAFT)
    sweep_and_send(beijing(2026, 3, 31, 9, 0))
    assert ("deadline", 0, "30-1") not in received(sasac_clerk)
    assert ("deadline", 0, "30-1") in received(clerk_ndrc)


def test_an_extension_moves_the_bureau_s_reminders(cycle, people, bureau, reviewer):
    Extension.objects.create(cycle=cycle, bureau=bureau("市林业园林局"), new_deadline=beijing(2026, 4, 14, 18, 0),
                             reason="林长制考核结果延后公布", granted_by=reviewer)
    sweep_and_send(beijing(2026, 4, 1, 9, 0))  # others are overdue; 林业园林局 has 13 days left

    assert received(people["forestry"]) == {("deadline", 14, "19-2")}
    assert all(kind == "overdue" for kind, _, _ in received(people["water"]))


def test_nothing_goes_out_before_the_configured_hour(cycle, people):
    assert sweep_and_send(beijing(2026, 3, 1, 7, 59)).recorded == []
    ReminderSettings.objects.create(pk=1, send_from_hour=6)
    assert sweep_and_send(beijing(2026, 3, 1, 7, 59)).recorded != []


def test_offsets_and_wording_change_without_code(cycle, people):
    ReminderSettings.objects.create(pk=1, offsets="10, 2")
    ReminderTemplate.objects.create(kind=ReminderKind.DEADLINE, subject="请于{{ deadline }}前报送{{ category.code }}",
                                    body="{{ recipient }}：还有{{ days_left }}天。{% for item in categories %}\n"
                                         "1．{{ item.category.name }}（{{ item.category.code }}）{% endfor %}\n{{ url }}")

    sweep_and_send(beijing(2026, 3, 14, 9, 0))  # 17 days left: no offset reached
    assert received(people["forestry"]) == set()
    sweep_and_send(beijing(2026, 3, 21, 9, 0))  # 10 days left

    assert received(people["forestry"]) == {("deadline", 10, "19-2")}
    message = next(m for m in mail.outbox if m.to == [people["forestry"].email])
    assert message.subject == "请于2026年3月31日 23:59前报送19-2"
    assert message.body.startswith("陈静：还有10天。\n1．林长制（19-2）\nhttp")


def test_reviewers_get_one_digest_a_day_of_the_lists_waiting(cycle, people, category, bureau):
    make_list(cycle, category("6"), bureau("市水务局"), NominationList.State.SUBMITTED)
    make_list(cycle, category("3"), bureau("市发展改革委"), NominationList.State.SUBMITTED)

    sweep_and_send(beijing(2026, 3, 20, 9, 0))
    sweep_and_send(beijing(2026, 3, 20, 15, 0))
    sweep_and_send(beijing(2026, 3, 21, 9, 0))

    digests = OutboxMessage.objects.filter(recipient=people["reviewer"], kind=ReminderKind.DIGEST)
    offsets = [int(re.search(r":offset(-?\d+):", key)[1]) for key in digests.values_list("key", flat=True)]
    assert sorted(offsets) == [10, 11]
    message = next(m for m in mail.outbox if m.to == [people["reviewer"].email])
    assert "2份" in message.subject and "市水务局" in message.body and reverse("reviews:queue") in message.body


def test_a_returned_list_notifies_its_bureau_at_once_and_only_once(cycle, people, category, bureau):
    nomination_list = make_list(cycle, category("6"), bureau("市水务局"), NominationList.State.RETURNED)
    nomination_list.return_reason = "第2名缺少佐证材料"
    nomination_list.version = 4
    nomination_list.save()

    list_returned_notify.delay(nomination_list.pk)
    list_returned_notify.delay(nomination_list.pk)  # a retried task

    assert received(people["water"]) == {("returned", 4, "6")}
    assert received(people["inactive"]) == set() and received(people["ndrc"]) == set()
    assert len(mail.outbox) == 1 and "第2名缺少佐证材料" in mail.outbox[0].body

    # Returned again after a new submission: a new message.
    nomination_list.version = 6
    nomination_list.save()
    list_returned_notify.delay(nomination_list.pk)
    assert received(people["water"]) == {("returned", 4, "6"), ("returned", 6, "6")}


def test_two_senders_of_one_message_send_it_once(cycle, people):
    result = reminders_sweep(at=beijing(2026, 3, 1, 9, 0))
    delivery_id = result.due_ids[0]

    outcomes = [reminder_deliver(message_id=delivery_id), reminder_deliver(message_id=delivery_id)]

    assert outcomes == ["sent", "not-claimed"]
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_with_backoff_then_shown_as_failed(cycle, people, monkeypatch, administrator):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    ReminderSettings.objects.create(pk=1, max_attempts=2)
    result = reminders_sweep(at=beijing(2026, 3, 30, 9, 0))
    delivery = OutboxMessage.objects.get(recipient=people["forestry"])

    assert reminder_deliver(message_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and "SMTP server down" in delivery.last_error
    assert reminder_deliver(message_id=delivery.pk) == "not-claimed"  # backing off: not due yet

    OutboxMessage.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    assert reminder_deliver(message_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 2

    # An administrator sends it again once the server is back.
    monkeypatch.undo()
    assert outbox_retry(actor=administrator, messages=[delivery]) == [delivery.pk]
    assert reminder_deliver(message_id=delivery.pk) == "sent"
    assert len(mail.outbox) == 1 and len(result.due_ids) > 1


def test_a_claim_left_by_a_dead_worker_is_sent_by_the_next_sweep(cycle, people):
    from django.utils import timezone

    reminders_sweep(at=beijing(2026, 3, 30, 9, 0))
    delivery = OutboxMessage.objects.get(recipient=people["forestry"])
    OutboxMessage.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_at=timezone.now() - datetime.timedelta(minutes=30))

    sweep_and_send(beijing(2026, 3, 30, 10, 0))

    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert [m.to for m in mail.outbox].count([people["forestry"].email]) == 1


def test_a_person_without_an_address_still_sees_the_notification(cycle, people):
    forestry = people["forestry"]
    forestry.email = ""
    forestry.save()

    sweep_and_send(beijing(2026, 3, 30, 9, 0))

    assert OutboxMessage.objects.get(recipient=forestry).status == "skipped"
    assert Notification.objects.filter(user=forestry, kind="deadline").count() == 1
    assert all(m.to != [""] for m in mail.outbox)


def test_the_command_sweeps_for_the_given_moment_and_prints_what_it_sent(cycle, people, capsys):
    call_command("send_reminders", "--at", "2026-03-30T09:00:00+08:00")
    output = capsys.readouterr().out

    assert "Sweep for 2026-03-30 09:00:00" in output
    assert "chenjing" in output and "林长制" in output
    assert "3 new message(s) recorded" in output  # one per clerk of each bureau
    call_command("send_reminders", "--at", "2026-03-30T09:00:00+08:00")
    assert "0 new message(s) recorded" in capsys.readouterr().out


def test_the_beat_schedule_runs_the_sweep_in_beijing_time(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-sweep"]
    assert entry["task"] == "nominations.tasks.reminders_sweep"
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    from nominations.tasks import reminders_sweep
    from organisation.tasks import outbox_deliver_task as reminder_deliver_task
    from reviews.tasks import bulletin_render, list_returned_notify

    assert reminders_sweep.name == entry["task"]
    assert {task.name for task in (reminder_deliver_task, list_returned_notify, bulletin_render)} == {
        "organisation.tasks.outbox_deliver_task", "nominations.tasks.list_returned_notify", "reviews.tasks.bulletin_render"}
    assert all(task.acks_late for task in (reminders_sweep, reminder_deliver_task, list_returned_notify, bulletin_render))


def test_the_planning_runs_a_fixed_number_of_queries(cycle, people, django_assert_max_num_queries, bureau):
    from nominations.reminders import reminders_plan
    from tests.factories import make_user

    with django_assert_max_num_queries(9):
        small = reminders_plan(at=beijing(2026, 3, 30, 9, 0))
    for index in range(10):
        make_user(f"extra{index}", bureaus=[bureau("市发展改革委"), bureau("市水务局")])
    with django_assert_max_num_queries(9):
        large = reminders_plan(at=beijing(2026, 3, 30, 9, 0))
    # One message per clerk and bureau: each new clerk of both bureaus gets two, whatever their categories.
    assert len(large) == len(small) + 10 * 2


@pytest.fixture
def committed_catalogue(transactional_db):
    """A transactional test empties the tables when it ends: load the catalogue again if an earlier one did."""
    if not PolicyDocument.objects.filter(in_force=True).exists():
        call_command("loaddata", "organisation", "catalogue_2022", verbosity=0)
        call_command("sync_permissions", verbosity=0)


# A real commit: two threads sweep through their own connections, which see only committed rows.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_send_each_reminder_once(committed_catalogue, people):
    """Two schedulers (two threads, two database connections) sweep the same moment at the same time."""
    Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                         opens_at=beijing(2026, 1, 5, 9, 0), deadline=default_deadline_for(2025))
    at = beijing(2026, 3, 30, 9, 0)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            sweep_and_send(at)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    expected = 3  # one message per clerk of each bureau, whichever sweep recorded it
    assert OutboxMessage.objects.count() == expected
    assert OutboxMessage.objects.filter(status="sent").count() == expected
    assert len(mail.outbox) == expected
    assert len({tuple(m.to) + (m.subject,) for m in mail.outbox}) == expected


def test_the_embedded_scheduler_runs_the_same_sweep_without_a_broker(people, capsys):
    """./run.sh starts `manage.py run_scheduler` beside the server: reminders go out with no Redis at all."""
    from django.utils import timezone

    now = timezone.now()
    ReminderSettings.objects.create(pk=1, send_from_hour=0)
    Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                         opens_at=now - datetime.timedelta(days=20), deadline=now + datetime.timedelta(days=3))

    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")

    assert received(people["forestry"]) == {("deadline", 3, "19-2")}
    assert [m.to for m in mail.outbox].count([people["forestry"].email]) == 1
    assert "'recorded': 3" in capsys.readouterr().out


def test_the_return_service_queues_the_notice_to_the_bureau(cycle, people, category, bureau,
                                                            django_capture_on_commit_callbacks):
    from reviews.services import nomination_list_return

    nomination_list = make_list(cycle, category("19-2"), bureau("市林业园林局"), NominationList.State.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        nomination_list_return(actor=people["reviewer"], nomination_list=nomination_list, reason="请补充林长制考核得分")

    assert received(people["forestry"]) == {("returned", 1, "19-2")}  # the first return
    assert len(mail.outbox) == 1 and "请补充林长制考核得分" in mail.outbox[0].body
    assert Notification.objects.get(user=people["forestry"]).kind == "returned"
