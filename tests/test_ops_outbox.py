"""Nothing lost when a piece is down: work a state change causes is a row written with the change; queueing its
task never fails the request (a broker that does not answer leaves the rows pending for the sweeps); a delivered
message is recorded sent before anything else can go wrong, so a sweep never sends it again."""

import datetime
import logging

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from incentives.jobs import jobs_hand_over
from incentives.unavailable import is_outage, outage_name
from nominations.models import NominationList
from organisation import outbox
from organisation.invitations import account_invite
from organisation.models import OutboxMessage
from organisation.tasks import outbox_deliver_task, outbox_sweep
from reviews.models import Bulletin
from reviews.tasks import bulletins_resume

from .factories import PHASES_AFTER as AFTER
from .factories import decide_all, make_phases_cycle, make_phases_water_list, make_user, put_on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_phases_cycle()


@pytest.fixture
def water_list(cycle, category, bureau, districts, clerk_water):
    return make_phases_water_list(cycle, category, bureau, districts, clerk_water)


def letter(key="test:1", email="someone@example.gov.cn", kind="test"):
    return outbox.Letter(key=key, kind=kind, recipient=None, email=email, subject="主题", body_text="正文")


def test_a_refused_publish_leaves_the_rows_pending_and_names_them_in_the_log(broker_down, caplog):
    with caplog.at_level(logging.WARNING, logger="incentives.jobs"):
        queued = jobs_hand_over(outbox_deliver_task, [11, 12, 13], what="outbox messages")
    assert queued == 0
    record = next(r for r in caplog.records if r.name == "incentives.jobs")
    assert record.pending_ids == [11, 12, 13] and "left pending for the periodic sweep" in record.getMessage()


def test_a_return_with_the_broker_down_succeeds_and_the_sweep_sends_the_notice_once(
        client, water_list, reviewer, clerk_water, broker_down, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:list_return", args=[water_list.pk]), {"reason": "附件不全，请补充。"})
    assert response.status_code == 302
    assert NominationList.objects.get(pk=water_list.pk).state == NominationList.State.RETURNED
    notice = OutboxMessage.objects.get(recipient=clerk_water, kind="returned")
    assert notice.status == OutboxMessage.Status.PENDING and mail.outbox == []

    from .outbox_fixtures import celery_point_at

    celery_point_at("", eager=True)  # the broker is back (in-process here)
    assert outbox_sweep() == {"released": 0, "due": 1, "queued": 1}
    assert outbox_sweep() == {"released": 0, "due": 0, "queued": 0}
    assert [m.to for m in mail.outbox] == [[clerk_water.email]]
    assert OutboxMessage.objects.get(pk=notice.pk).status == OutboxMessage.Status.SENT


def test_a_publication_with_the_broker_down_succeeds_and_the_resume_renders_its_bulletin(
        client, cycle, water_list, reviewer, broker_down, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:publish", args=[cycle.year]), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("results:cycle", args=[cycle.year])
    cycle.refresh_from_db()
    assert cycle.state == "published"
    bulletin = Bulletin.objects.get(cycle=cycle)
    assert bulletin.status == Bulletin.Status.PENDING
    letters = OutboxMessage.objects.filter(kind="final")
    assert letters.exists() and not letters.exclude(status=OutboxMessage.Status.PENDING).exists()

    from .outbox_fixtures import celery_point_at

    celery_point_at("", eager=True)
    assert bulletins_resume() == []  # requested a moment ago: its task may still be on its way
    Bulletin.objects.filter(pk=bulletin.pk).update(requested_at=timezone.now() - datetime.timedelta(minutes=2))
    assert bulletins_resume() == [bulletin.pk]
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.DONE
    outbox_sweep()  # the publication's letters, and the notice's, which were left pending too
    assert len(mail.outbox) == OutboxMessage.objects.count() >= letters.count() + 1
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()


def test_an_invitation_goes_through_the_outbox_and_its_link_is_erased_once_sent(
        administrator, broker_down, django_capture_on_commit_callbacks):
    newcomer = make_user("newcomer", email="newcomer@example.gov.cn")
    newcomer.set_unusable_password()
    newcomer.save()
    with django_capture_on_commit_callbacks(execute=True):
        account_invite(actor=administrator, user=newcomer)
    message = OutboxMessage.objects.get(kind="invitation")
    assert message.status == OutboxMessage.Status.PENDING and "/accounts/invitation/" in message.body_text
    assert message.recipient is None and message.email == "newcomer@example.gov.cn"

    from .outbox_fixtures import celery_point_at

    celery_point_at("", eager=True)
    outbox_sweep()
    assert "/accounts/invitation/" in mail.outbox[0].body
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and "/accounts/invitation/" not in message.body_text


def test_a_message_is_recorded_sent_before_the_connection_closes(monkeypatch):
    [message], _ = outbox.outbox_record([letter()])
    seen = []
    monkeypatch.setattr(EmailBackend, "close", lambda self: seen.append(OutboxMessage.objects.get(pk=message.pk).status))
    assert outbox.outbox_deliver(message_id=message.pk) == outbox.Outcome.SENT
    assert seen == [OutboxMessage.Status.SENT]


def test_a_claim_given_back_while_its_sender_still_sends_is_not_sent_again(monkeypatch, settings):
    settings.OUTBOX_STALE_CLAIM_MINUTES = 5
    [message], _ = outbox.outbox_record([letter()])
    original = EmailBackend.send_messages

    def slow_server(self, messages):
        # The sweep, six minutes on, takes this claim for a dead sender's and gives it back.
        assert outbox.outbox_release_stale(now=timezone.now() + datetime.timedelta(minutes=6)) == 1
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_server)
    assert outbox.outbox_deliver(message_id=message.pk) == outbox.Outcome.SENT
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT
    assert outbox.outbox_due_ids() == [] and len(mail.outbox) == 1


def test_a_stale_claim_is_given_back_after_the_configured_minutes(settings):
    settings.OUTBOX_STALE_CLAIM_MINUTES = 2
    [message], _ = outbox.outbox_record([letter()])
    claimed = timezone.now() - datetime.timedelta(seconds=90)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", claimed_at=claimed, attempts=1)
    assert outbox.outbox_release_stale() == 0
    assert outbox.outbox_release_stale(now=claimed + datetime.timedelta(minutes=2, seconds=1)) == 1
    assert outbox_sweep() == {"released": 0, "due": 1, "queued": 1}
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT and len(mail.outbox) == 1


def test_a_failed_send_waits_pending_for_the_sweep_at_its_next_attempt(monkeypatch):
    [message], _ = outbox.outbox_record([letter()])

    def refuse(self, messages):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    assert outbox_deliver_task.apply(args=[message.pk]).get() == outbox.Outcome.RETRY
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING and message.next_attempt_at > timezone.now()
    monkeypatch.undo()
    assert outbox_sweep()["due"] == 0
    assert outbox.outbox_due_ids(now=message.next_attempt_at) == [message.pk]


def test_the_beat_runs_the_outbox_sweep_every_minute_and_redis_redelivers_after_ten_minutes():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["outbox-sweep"]["task"] == "organisation.tasks.outbox_sweep"
    assert str(schedule["outbox-sweep"]["schedule"]) == "<crontab: * * * * * (m/h/dM/MY/d)>"
    assert str(schedule["bulletins-resume"]["schedule"]) == "<crontab: * * * * * (m/h/dM/MY/d)>"
    options = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] == 600 > django_settings.CELERY_TASK_TIME_LIMIT
    assert django_settings.OUTBOX_SEND_TIME_LIMIT < django_settings.OUTBOX_STALE_CLAIM_MINUTES * 60
    assert outbox_deliver_task.time_limit == django_settings.OUTBOX_SEND_TIME_LIMIT
    assert django_settings.EMAIL_TIMEOUT == 30


def test_a_broker_error_reaching_a_view_answers_the_503_page(client, reviewer, monkeypatch):
    error = BrokerOperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    assert is_outage(error) and outage_name(error) == "broker"
    from reviews.views import queue as views

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(views.selectors, "cycle_years", refuse)
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"))
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "任务队列" in response.content.decode()


def test_limits_that_would_hand_a_live_task_out_twice_are_refused_at_start_up():
    from .helpers import run_manage

    result = run_manage("check", CELERY_TASK_TIME_LIMIT="300", CELERY_BROKER_VISIBILITY_TIMEOUT="300")
    assert result.returncode != 0
    assert "CELERY_BROKER_VISIBILITY_TIMEOUT=300 must be longer than CELERY_TASK_TIME_LIMIT=300" in result.stderr
    result = run_manage("check", BULLETIN_RENDER_TIME_LIMIT="300", BULLETIN_STALE_RENDER_MINUTES="5")
    assert result.returncode != 0 and "BULLETIN_STALE_RENDER_MINUTES=5.0 must be longer" in result.stderr
    result = run_manage("check", OUTBOX_STALE_CLAIM_MINUTES="0")
    assert result.returncode != 0 and "OUTBOX_STALE_CLAIM_MINUTES='0' must be greater than 0" in result.stderr
    result = run_manage("check", OUTBOX_SWEEP_SCHEDULE="every minute")
    assert result.returncode != 0 and "OUTBOX_SWEEP_SCHEDULE='every minute' is not a crontab" in result.stderr
