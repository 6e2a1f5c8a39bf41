"""/metrics while a dependency is down (200, with incentives_*_up gauges), the probes never reading the session,
and the gauges of what waits: the oldest e-mail not sent, the oldest render not finished, the beat's last tick,
the live workers, the reminders apart from the other mail. Redis database 11 stands for the broker."""

import datetime
import os
import subprocess
import sys
import time

import pytest
import redis
from django.utils import timezone

from incentives import liveness
from incentives.beat import HeartbeatScheduler
from incentives.celery import app as celery_app
from organisation.models import OutboxMessage
from reviews.models import Bulletin

from .factories import make_cycle
from .helpers import ROOT, UNREACHABLE_DATABASE, run_django

BROKER = "redis://127.0.0.1:6379/11"
# Redis database 11 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = pytest.mark.xdist_group("redis-11")
BROKEN_REDIS = "redis://127.0.0.1:1/11"  # nothing listens on port 1


@pytest.fixture
def broker(settings):
    settings.CELERY_BROKER_URL = BROKER
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    client = redis.Redis.from_url(BROKER)
    client.delete(liveness.BEAT_KEY, liveness.WORKERS_KEY)
    yield client
    client.delete(liveness.BEAT_KEY, liveness.WORKERS_KEY)


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    values = {}
    for line in response.content.decode().splitlines():
        if line.startswith("incentives_"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_and_liveness_answer_while_the_database_is_down_even_with_a_session_cookie():
    result = run_django(
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        "client.cookies[settings.SESSION_COOKIE_NAME] = 'a' * 32  # a signed-in browser's cookie\n"
        "live = client.get('/health/live')\n"
        "print(live.status_code, live.cookies.get(settings.SESSION_COOKIE_NAME))\n"
        "metrics = client.get('/metrics')\n"
        "print(metrics.status_code)\n"
        "print(metrics.content.decode())\n",
        DATABASE_URL=UNREACHABLE_DATABASE, CELERY_BROKER_URL=BROKER, METRICS_ALLOWED_ADDRESSES="127.0.0.1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "200 None"  # answered, and the cookie left alone
    assert lines[1] == "200"
    body = "\n".join(lines[2:])
    assert "incentives_database_up 0.0" in body
    assert "incentives_broker_up 1.0" in body
    assert "incentives_cache_up 1.0" in body
    assert "incentives_celery_queue_length" in body
    assert "incentives_outbox_messages" not in body  # read from the database: left out
    assert "django_http_requests_total_by_method_total" in body  # the process's own metrics are kept


@pytest.mark.django_db
def test_metrics_answer_while_the_broker_and_the_cache_are_down(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.CELERY_BROKER_URL = BROKEN_REDIS
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKEN_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    values = scrape(client)
    assert values["incentives_broker_up"] == 0
    assert values["incentives_cache_up"] == 0
    assert values["incentives_database_up"] == 1
    assert "incentives_celery_queue_length" not in values
    assert "incentives_celery_workers_live" not in values
    assert values['incentives_outbox_messages{status="pending"}'] == 0


@pytest.mark.django_db
def test_the_liveness_probe_ignores_a_session_cookie(client, settings, django_assert_num_queries):
    client.cookies[settings.SESSION_COOKIE_NAME] = "b" * 32
    with django_assert_num_queries(0):
        response = client.get("/health/live")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # the cookie left as it was


def make_message(key, kind, status=OutboxMessage.Status.PENDING, *, minutes_ago=0):
    message = OutboxMessage.objects.create(key=key, kind=kind, email="someone@example.gov.cn", subject="s",
                                           body_text="b", status=status)
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))
    return message


@pytest.mark.django_db
def test_the_gauges_of_what_waits(client, broker, settings, tmp_path):
    settings.BEAT_HEARTBEAT_FILE = tmp_path / "no-heartbeat-here"
    values = scrape(client)
    assert values["incentives_broker_up"] == 1 and values["incentives_database_up"] == 1
    assert values["incentives_outbox_oldest_pending_age_seconds"] == 0
    assert values["incentives_bulletin_oldest_render_age_seconds"] == 0
    assert values["incentives_celery_workers_live"] == 0
    assert values["incentives_beat_last_tick_age_seconds"] == float("inf")  # a broker, and no beat ever ticked

    make_message("r1", "deadline", minutes_ago=20)
    make_message("r2", "overdue", OutboxMessage.Status.FAILED)
    make_message("i1", "invitation", minutes_ago=3)
    make_message("n1", "notice", OutboxMessage.Status.SENDING, minutes_ago=1)
    make_message("old", "deadline", OutboxMessage.Status.SENT, minutes_ago=600)
    cycle = make_cycle(2031)
    rendering = Bulletin.objects.create(cycle=cycle, version=1, status=Bulletin.Status.RENDERING)
    Bulletin.objects.filter(pk=rendering.pk).update(requested_at=timezone.now() - datetime.timedelta(minutes=7))
    Bulletin.objects.create(cycle=cycle, version=2, status=Bulletin.Status.DONE)
    liveness.worker_beacon("celery@worker-1")
    liveness.worker_beacon("celery@worker-2", now=time.time() - 20)
    liveness.worker_beacon("celery@gone", now=time.time() - 200)  # died three minutes ago
    liveness.beat_heartbeat_publish(now=time.time() - 30)

    values = scrape(client)
    assert 20 * 60 <= values["incentives_outbox_oldest_pending_age_seconds"] < 21 * 60
    assert 7 * 60 <= values["incentives_bulletin_oldest_render_age_seconds"] < 8 * 60
    assert values['incentives_bulletin_renders{status="rendering"}'] == 1
    # Reminders only (deadline, overdue), and every e-mail apart.
    assert values['incentives_reminder_deliveries{status="pending"}'] == 1
    assert values['incentives_reminder_deliveries{status="failed"}'] == 1
    assert values['incentives_reminder_deliveries{status="sending"}'] == 0
    assert values['incentives_outbox_messages{status="pending"}'] == 2
    assert values['incentives_outbox_messages{status="sending"}'] == 1
    assert values['incentives_outbox_messages{status="failed"}'] == 1
    assert values["incentives_celery_workers_live"] == 2
    assert 29 <= values["incentives_beat_last_tick_age_seconds"] < 40  # written to the second


class RecordingTimer:
    def __init__(self):
        self.calls = []

    def call_repeatedly(self, seconds, function, args, priority=0):
        self.calls.append((seconds, function, args))
        return self

    def cancel(self):
        self.calls.append("cancelled")


def test_every_worker_writes_its_beacon_on_its_own_timer(broker):
    assert "incentives.liveness:WorkerBeacon" in celery_app.steps["worker"]

    class Worker:
        hostname = "celery@beacon-test"
        timer = RecordingTimer()

    step = liveness.WorkerBeacon(Worker)
    step.start(Worker)
    assert broker.zscore(liveness.WORKERS_KEY, "celery@beacon-test") == pytest.approx(time.time(), abs=5)
    assert liveness.live_workers(broker) == 1
    seconds, function, args = Worker.timer.calls[0]
    assert (seconds, function, args) == (liveness.WORKER_BEACON_SECONDS, liveness.worker_beacon, ("celery@beacon-test",))
    assert liveness.live_workers(broker, now=time.time() + liveness.WORKER_BEACON_MAX_AGE + 1) == 0  # it went silent
    step.stop(Worker)
    assert Worker.timer.calls[-1] == "cancelled"
    assert broker.zscore(liveness.WORKERS_KEY, "celery@beacon-test") is None


def test_the_beat_writes_its_tick_into_the_broker_and_its_check_goes_red_within_two_minutes(broker, settings,
                                                                                             tmp_path):
    settings.BEAT_HEARTBEAT_FILE = tmp_path / "run" / "beat-heartbeat"
    scheduler = HeartbeatScheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    assert liveness.beat_last_tick(broker) == pytest.approx(time.time(), abs=5)
    # The default maximum age: 90 s (the beat ticks at least every 60 s).
    env = {k: v for k, v in os.environ.items() if k != "BEAT_HEARTBEAT_MAX_AGE"}
    env["BEAT_HEARTBEAT_FILE"] = str(settings.BEAT_HEARTBEAT_FILE)
    check = [sys.executable, "deploy/healthcheck.py", "beat"]
    assert subprocess.run(check, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0
    old = time.time() - 100
    os.utime(settings.BEAT_HEARTBEAT_FILE, (old, old))  # dead for 100 s: less than two ticks missed
    stale = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert stale.returncode == 1 and "(more than 90 s)" in stale.stderr


def test_a_beat_that_cannot_reach_the_broker_still_ticks(settings, tmp_path):
    settings.CELERY_BROKER_URL = BROKEN_REDIS
    settings.BEAT_HEARTBEAT_FILE = tmp_path / "beat-heartbeat"
    started = time.monotonic()
    liveness.beat_heartbeat_publish()  # logs a warning, raises nothing
    assert time.monotonic() - started < liveness.TIMEOUT_SECONDS * 2 + 1
