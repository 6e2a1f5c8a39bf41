"""End to end with a real Celery worker on the machine's Redis: a reminder delivered, a bulletin rendered.

The worker is a separate process (``celery -A incentives worker --pool=solo``) with Redis db 5 as its broker and
the test's PostgreSQL database as its database (the test runs with committed transactions so the worker sees its
rows). Redis must be running: ./test.sh starts it; this test fails, never skips, when it is not there.
"""

import datetime
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from measures.models import PolicyDocument
from nominations.models import Cycle, ReminderSettings
from organisation.models import OutboxMessage
from reviews.models import Bulletin

# Redis database 5 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = [pytest.mark.xdist_group("redis-5"), pytest.mark.real_workers]

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/5"
TIMEOUT = 90


@pytest.fixture
def committed_catalogue(transactional_db):
    if not PolicyDocument.objects.filter(in_force=True).exists():
        call_command("loaddata", "organisation", "catalogue_2022", verbosity=0)
        call_command("sync_permissions", verbosity=0)


@pytest.fixture
def redis_broker():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is not answering at {REDIS_URL} ({error}). Start it (./test.sh does) and run again.")
    client.flushdb()  # db 5 belongs to this test: drop tasks a killed run may have left
    return REDIS_URL


@pytest.fixture
def worker(redis_broker, tmp_path, settings):
    assert connection.vendor == "postgresql", "the worker must share the test database: run with PostgreSQL"
    db = connection.settings_dict
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "CELERY_", "EMAIL_"))}
    env.update({
        "APP_ENV": "test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": redis_broker,
        "MEDIA_ROOT": str(media),
        "SITE_URL": "https://incentives.example.gov.cn",
    })
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "incentives", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"jobs-test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "ready." in log_path.read_text() or process.poll() is not None, "the worker to start")
        assert process.poll() is None, "the worker stopped:\n" + log_path.read_text()
        yield {"log": log_path, "media": media}
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def wait_for(condition, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def probe():
    """A client of the broker only (the test process itself runs tasks eagerly, without a broker)."""
    # set_as_current=False: the tests that follow must keep queueing through the project's own (eager) app.
    return Celery("probe", broker=REDIS_URL, set_as_current=False)


# A real commit: the Celery worker is another process reading the test database.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_reminder_and_renders_a_bulletin(committed_catalogue, worker, clerk_forestry, reviewer,
                                                                    category):
    from tests.factories import AWARDED, award_all

    now = timezone.now()
    ReminderSettings.objects.create(pk=1, send_from_hour=0)
    cycle = Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=now - datetime.timedelta(days=30), deadline=now + datetime.timedelta(days=3))
    app = probe()

    # The beat's task, sent through Redis: the worker records the reminders and queues their delivery.
    app.send_task("nominations.tasks.reminders_sweep")
    wait_for(lambda: OutboxMessage.objects.filter(recipient=clerk_forestry, status="sent").exists(),
             "the reminder to be sent")
    delivery = OutboxMessage.objects.get(recipient=clerk_forestry)
    # The outbox knows nothing of reminders: what the message is about is in its key and its text.
    assert delivery.kind == "deadline" and ":offset3:" in delivery.key and "（19-2）" in delivery.body_text
    assert delivery.attempts == 1 and delivery.sent_at is not None
    wait_for(lambda: f"To: {clerk_forestry.email}" in worker["log"].read_text(), "the message in the worker's output")
    assert "https://incentives.example.gov.cn" in delivery.body_text

    # The same task again: nothing is sent twice.
    sent_before = OutboxMessage.objects.filter(status="sent").count()
    result_marker = worker["log"].read_text().count("reminders_sweep")
    app.send_task("nominations.tasks.reminders_sweep")
    wait_for(lambda: worker["log"].read_text().count("reminders_sweep") > result_marker + 1, "the second sweep to finish")
    assert OutboxMessage.objects.filter(status="sent").count() == sent_before
    assert worker["log"].read_text().count(f"To: {clerk_forestry.email}") == 1

    # The bulletin, rendered by the worker and stored where the web process finds it.
    cycle.state = Cycle.State.REVIEW
    cycle.save()
    award_all(cycle, category, None)
    bulletin = Bulletin.objects.create(cycle=cycle, version=1, requested_by=reviewer)
    app.send_task("reviews.tasks.bulletin_render", args=[bulletin.pk])
    wait_for(lambda: Bulletin.objects.get(pk=bulletin.pk).status in ("done", "failed"), "the bulletin to render")
    bulletin.refresh_from_db()
    assert bulletin.status == "done", bulletin.error
    path = worker["media"] / bulletin.file.name
    content = path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == bulletin.sha256
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert all(f"广州市{name}" in text for names in AWARDED.values() for name in names)
