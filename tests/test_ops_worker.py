"""The worker's health check pings that very node and fails once it is dead (SIGKILL); the worker writes its
beacon for the metrics; a task carries the request id of whoever queued it into the worker's log lines. A real worker on the machine's Redis (db 9)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from celery import Celery

from incentives import liveness

from .helpers import ROOT

# Redis database 9 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = pytest.mark.xdist_group("redis-9")

REDIS_URL = "redis://127.0.0.1:6379/9"
TIMEOUT = 90


def wait_for(condition, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def environment(tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DATABASE_URL", "CELERY_", "EMAIL_", "CACHE_URL"))}
    env.update(APP_ENV="test", DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}", CELERY_BROKER_URL=REDIS_URL,
               MEDIA_ROOT=str(tmp_path / "media"), LOG_FORMAT="json", **extra)
    return env


@pytest.fixture
def worker(tmp_path, migrated_sqlite):
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is not answering at {REDIS_URL} ({error}): start it and run again.")
    client.flushdb()
    node = f"ops-test-{os.getpid()}@{os.uname().nodename}"
    env = environment(tmp_path, WORKER_NODE_NAME=node)
    migrated_sqlite(tmp_path / "worker.sqlite3")
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "incentives", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", node],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: " ready." in log_path.read_text() or process.poll() is not None, "the worker to start")
        assert process.poll() is None, "the worker stopped:\n" + log_path.read_text()
        yield {"process": process, "log": log_path, "env": env, "node": node}
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        log.close()


def healthcheck(role: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "deploy/healthcheck.py", role], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def json_lines(path) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_the_worker_check_answers_for_that_node_and_fails_once_it_is_killed(worker):
    assert healthcheck("worker", worker["env"]).returncode == 0
    # The worker wrote its beacon for /metrics (incentives_celery_workers_live) at start.
    beacon = redis.Redis.from_url(REDIS_URL).zscore(liveness.WORKERS_KEY, worker["node"])
    assert beacon == pytest.approx(time.time(), abs=TIMEOUT)
    other = healthcheck("worker", {**worker["env"], "WORKER_NODE_NAME": "nobody@nowhere", "HEALTH_CHECK_TIMEOUT": "2"})
    assert other.returncode == 1 and "nobody@nowhere did not answer a ping" in other.stderr

    worker["process"].send_signal(signal.SIGKILL)
    worker["process"].wait(10)
    dead = healthcheck("worker", {**worker["env"], "HEALTH_CHECK_TIMEOUT": "2"})
    assert dead.returncode == 1
    assert f"{worker['node']} did not answer a ping within 2 s" in dead.stderr


def test_a_task_logs_with_the_request_id_of_whoever_queued_it(worker):
    probe = Celery("probe", broker=REDIS_URL, set_as_current=False)  # the following tests keep the eager app
    probe.send_task("reviews.tasks.bulletins_resume", headers={"request_id": "req-ops-0123456789"})
    wait_for(lambda: any(line.get("request_id") == "req-ops-0123456789" and "succeeded" in line["message"]
                         for line in json_lines(worker["log"])), "the task's log line with the request id")
    line = next(line for line in json_lines(worker["log"]) if line.get("request_id") == "req-ops-0123456789")
    assert line["time"].endswith("+08:00")  # one time zone: Beijing time, with its offset
