"""Request ids, JSON access logs with the client's address behind the proxy, the beat's heartbeat, metrics that are
not public, error reporting's configuration, and send_reminders saying that it sends real mail."""

import io
import json
import logging
import os
import subprocess
import sys
import time

import pytest
import redis
from django.core.management import CommandError, call_command

from incentives import observability
from incentives.beat import HeartbeatScheduler, beat_heartbeat_write
from incentives.celery import app as celery_app
from incentives.logging_json import JsonFormatter, RequestIdFilter, request_id_var
from organisation.models import OutboxMessage as ReminderDelivery

from .helpers import PRODUCTION, ROOT, run_manage

# Redis database 9 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = pytest.mark.xdist_group("redis-9")


@pytest.fixture
def access_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("incentives.access")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_every_response_has_a_request_id_and_a_sane_incoming_one_is_kept(client):
    response = client.get("/health/live")
    assert len(response["X-Request-ID"]) == 32
    assert client.get("/health/live", HTTP_X_REQUEST_ID="proxy-id-12345678")["X-Request-ID"] == "proxy-id-12345678"
    forged = client.get("/health/live", HTTP_X_REQUEST_ID="<script>alert(1)</script>")["X-Request-ID"]
    assert "<" not in forged and len(forged) == 32


def test_the_access_log_is_json_with_the_clients_address_behind_the_proxy(client, settings, access_log):
    settings.NUM_PROXIES = 1
    response = client.get("/health/live", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7", REMOTE_ADDR="127.0.0.1")
    line = access_log()[-1]
    assert line["client"] == "203.0.113.7"  # the address the proxy saw, not the proxy's, not the forged one
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/health/live", 200)
    assert line["time"].endswith("+08:00") and line["level"] == "INFO" and line["logger"] == "incentives.access"
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_one_time_tokens_never_reach_the_access_log(client, access_log):
    client.get("/accounts/invitation/Mg/dix09t-f0aa7177f5f7498d5536f4adf3caced6/")
    assert access_log()[-1]["path"] == "/accounts/invitation/Mg/…/"
    assert "f0aa7177" not in access_log()[-1]["message"]


def test_a_task_queued_during_a_request_carries_its_request_id():
    headers = {}
    token = request_id_var.set("req-abcdefgh")
    try:
        observability._request_id_into_headers(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "req-abcdefgh"}
    empty = {}
    observability._request_id_into_headers(headers=empty)
    assert empty == {}


@pytest.mark.django_db
def test_metrics_are_refused_to_strangers_and_given_with_the_token(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = []
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_total_by_method_total" in body
    assert "django_http_requests_latency_seconds_by_view_method" in body
    assert 'incentives_bulletin_renders{status="pending"} 0.0' in body
    assert 'incentives_reminder_deliveries{status="pending"} 0.0' in body


@pytest.mark.django_db
def test_metrics_count_the_queue(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/9"
    # A queue of its own: a worker on the same Redis would take (and choke on) these stand-in messages.
    settings.CELERY_TASK_DEFAULT_QUEUE = "ops-test-metrics"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("ops-test-metrics")
    broker.rpush("ops-test-metrics", "a", "b")
    try:
        body = client.get("/metrics").content.decode()
    finally:
        broker.delete("ops-test-metrics")
    assert "incentives_celery_queue_length 2.0" in body
    assert 'incentives_celery_queue_messages{queue="ops-test-metrics"} 2.0' in body
    assert 'incentives_celery_queue_messages{queue="bulletins"} 0.0' in body


def test_the_beat_writes_its_heartbeat_at_every_tick_and_its_check_reads_the_age(tmp_path, settings):
    settings.BEAT_HEARTBEAT_FILE = tmp_path / "run" / "beat-heartbeat"
    scheduler = HeartbeatScheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    assert settings.BEAT_HEARTBEAT_FILE.is_file()
    env = {**os.environ, "BEAT_HEARTBEAT_FILE": str(settings.BEAT_HEARTBEAT_FILE), "BEAT_HEARTBEAT_MAX_AGE": "120"}
    check = [sys.executable, "deploy/healthcheck.py", "beat"]
    assert subprocess.run(check, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0
    old = time.time() - 600
    os.utime(settings.BEAT_HEARTBEAT_FILE, (old, old))  # the beat died (or hangs) ten minutes ago
    stale = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert stale.returncode == 1 and "is 600 s old (more than 120 s)" in stale.stderr
    missing = subprocess.run(check, cwd=ROOT, env={**env, "BEAT_HEARTBEAT_FILE": str(tmp_path / "none")},
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "no heartbeat file" in missing.stderr
    beat_heartbeat_write()
    assert subprocess.run(check, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0


def test_sentry_is_asked_for_only_when_installed():
    result = run_manage("check", SENTRY_DSN="https://key@sentry.example.gov.cn/1", **PRODUCTION)
    try:
        import sentry_sdk  # noqa: F401
    except ImportError:
        assert result.returncode != 0
        assert "SENTRY_DSN is set but sentry-sdk is not installed" in result.stderr
    else:
        assert result.returncode == 0, result.stderr


def test_errors_are_mailed_to_admins_when_given(tmp_path):
    result = run_manage("shell", "-c", "from django.conf import settings; "
                        "print(settings.ADMINS, settings.LOGGING['loggers']['django.request']['handlers'], "
                        "settings.LOGGING['root']['handlers'])",
                        ADMINS="ops@example.gov.cn,duty@example.gov.cn")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "[('', 'ops@example.gov.cn'), ('', 'duty@example.gov.cn')] ['console', 'mail_admins'] ['console', 'mail_admins']")


@pytest.mark.django_db
def test_send_reminders_says_it_sends_real_mail_and_wants_yes_with_an_smtp_server(settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.example.gov.cn"
    with pytest.raises(CommandError, match="add --yes to send real e-mail"):
        call_command("send_reminders", "--at", "2026-03-30T09:00:00+08:00")
    assert "SENDS REAL E-MAIL" in capsys.readouterr().out
    assert not ReminderDelivery.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_reminders", "--at", "2026-03-30T09:00:00+08:00")
    assert "SENDS REAL E-MAIL" in capsys.readouterr().out
    call_command("send_reminders", "--at", "2026-03-30T09:00:00+08:00", "--dry-run")
    assert "SENDS REAL E-MAIL" not in capsys.readouterr().out
