"""The Celery app of the test process pointed at a broker that does not answer (a closed port), and back; real
workers on the test's PostgreSQL database and Redis db 4, started, killed and restarted by a test (``workers``)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import redis
from celery import Celery
from django.db import connection

from .helpers import ROOT

CLOSED_BROKER = "redis://127.0.0.1:1/4"


def celery_point_at(url: str, *, eager: bool) -> None:
    from incentives.celery import app

    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None                   # the connection pool and the producer pool were built for the old URL
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    from incentives.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    celery_point_at(CLOSED_BROKER, eager=False)
    yield CLOSED_BROKER
    celery_point_at(saved[0], eager=saved[1])


REDIS_URL = "redis://127.0.0.1:6379/4"
TIMEOUT = 60
STALE_CLAIM_MINUTES = "0.1"      # 6 s: a delivery task is stopped after 4 s
STALE_RENDER_MINUTES = "0.2"     # 12 s, above the render's (and the other tasks') time limit of 10 s
BEAT_EVERY = 2.0


def wait_for(condition, what: str, timeout: float = TIMEOUT, every: float = 0.05, tick=None):
    deadline = time.monotonic() + timeout
    next_tick = 0.0
    while time.monotonic() < deadline:
        if tick is not None and time.monotonic() >= next_tick:
            tick()
            next_tick = time.monotonic() + BEAT_EVERY
        if condition():
            return
        time.sleep(every)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Workers:
    """Start, kill and restart real workers sharing the test's PostgreSQL database and Redis db 4."""

    def __init__(self, tmp_path):
        db = connection.settings_dict
        self.tmp_path = tmp_path
        self.mailbox = tmp_path / "mailbox.jsonl"
        self.mailbox.touch()
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("DATABASE_URL", "CELERY_", "EMAIL_", "CACHE_URL"))}
        self.env.update({
            "APP_ENV": "test",
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                            f"{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": REDIS_URL, "MEDIA_ROOT": str(tmp_path / "media"),
            "EMAIL_BACKEND": "tests.mailbox_backend.EmailBackend", "TEST_MAILBOX": str(self.mailbox),
            "TEST_MAIL_DELAY": "1", "OUTBOX_STALE_CLAIM_MINUTES": STALE_CLAIM_MINUTES,
            "BULLETIN_STALE_RENDER_MINUTES": STALE_RENDER_MINUTES, "CELERY_TASK_TIME_LIMIT": "10",
            "BULLETIN_RENDER_TIME_LIMIT": "10",
            "CELERY_BROKER_VISIBILITY_TIMEOUT": "12", "SITE_URL": "https://incentives.example.gov.cn",
        })
        self.processes = []
        self.app = Celery("probe", broker=REDIS_URL)

    def start(self):
        log_path = self.tmp_path / f"worker-{len(self.processes)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "incentives", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"outbox-test-{os.getpid()}-{len(self.processes)}@%h"],
            cwd=ROOT, env=self.env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        wait_for(lambda: " ready." in log_path.read_text() or process.poll() is not None, "a worker to start",
                 every=0.2)
        assert process.poll() is None, "the worker stopped:\n" + log_path.read_text()
        return process

    def kill(self, process):
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def beat(self):
        """What the beat sends every minute."""
        self.app.send_task("organisation.tasks.outbox_sweep")
        self.app.send_task("reviews.tasks.bulletins_resume")

    def delivered(self) -> Counter:
        return Counter(json.loads(line)["message_id"] for line in self.mailbox.read_text().splitlines() if line)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


# A real commit (transactional_db): the workers are other processes reading the test database.
@pytest.fixture
def workers(tmp_path, settings, transactional_db):
    assert connection.vendor == "postgresql", "the workers must share the test database: run with PostgreSQL"
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is not answering at {REDIS_URL} ({error}): start it and run again.")
    client.flushdb()  # db 4 belongs to these tests: drop what a killed run left
    settings.MEDIA_ROOT = tmp_path / "media"
    running = Workers(tmp_path)
    yield running
    running.stop()
