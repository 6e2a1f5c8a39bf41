"""The processes as an operator runs them: the systemd units of the by-hand install pass `systemd-analyze verify`
(with their ExecStart pointing at this checkout, so the binaries they name are really looked up) and run as a
dedicated user, hardened; gunicorn writes one access line per request (the application's, with its request id),
not two, and no control socket in the home folder; the Celery worker's start-up output is JSON lines only.

The worker test uses database 12 of the machine's Redis as its broker (no other test uses it)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .helpers import ROOT

UNITS = ROOT / "deploy" / "systemd"
SERVICES = ("incentives-web", "incentives-worker", "incentives-renderer", "incentives-beat", "incentives-backup")
LONG_RUNNING = ("incentives-web", "incentives-worker", "incentives-renderer", "incentives-beat")
INSTALLED_AT = "/opt/incentives"
WORKER_BROKER = "redis://127.0.0.1:6379/12"
# Redis database 12 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = pytest.mark.xdist_group("redis-12")


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is missing: install Debian's `systemd` package (bootstrap.sh's TEST_PACKAGES "
                    "lists it; ./test.sh installs it)")
    return tool


def unit(name: str) -> dict[str, dict[str, str]]:
    """The unit's sections and keys; a key given more than once (ReadWritePaths=) has its values joined by spaces,
    as systemd adds them up."""
    sections, current = {}, None
    for line in (UNITS / name).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, value = line.split("=", 1)
        current[key] = f"{current[key]} {value}" if key in current else value
    return sections


def verify(directory, *names):
    return subprocess.run([systemd_analyze(), "verify", "--man=no", *names], cwd=directory, capture_output=True,
                          text=True, timeout=60)


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """Copies of the units with this checkout in place of /opt/incentives: verify then checks that every ExecStart
    names an executable that exists, besides every key and value. Any warning (an unknown key, a value it cannot
    parse, which systemd would ignore) fails the test too."""
    names = sorted(path.name for path in UNITS.iterdir())
    assert names == sorted([f"{service}.service" for service in SERVICES] + ["incentives-backup.timer"])
    for name in names:
        (tmp_path / name).write_text((UNITS / name).read_text().replace(INSTALLED_AT, str(ROOT)))
    result = verify(tmp_path, *names)
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr
    # The check is real: a unit whose program does not exist is refused.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "incentives-web.service").write_text((UNITS / "incentives-web.service").read_text())
    refused = verify(broken, "incentives-web.service")
    assert refused.returncode != 0 and f"{INSTALLED_AT}/.venv/bin/gunicorn" in refused.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_each_unit_runs_as_the_dedicated_user_hardened_with_the_environment_file(service):
    section = unit(f"{service}.service")["Service"]
    assert (section["User"], section["Group"]) == ("incentives", "incentives")
    assert section["EnvironmentFile"] == "/etc/incentives/env"
    assert section["WorkingDirectory"] == INSTALLED_AT
    assert section["NoNewPrivileges"] == "yes" and section["ProtectSystem"] == "strict"
    assert section["ProtectHome"] == "yes" and section["PrivateTmp"] == "yes" and section["CapabilityBoundingSet"] == ""
    assert "/var/lib/incentives" in section["ReadWritePaths"] and section["StateDirectory"] == "incentives"
    assert section["ExecStart"].startswith(INSTALLED_AT + "/")
    if service in LONG_RUNNING:
        assert section["Restart"] == "always" and unit(f"{service}.service")["Install"]["WantedBy"] == "multi-user.target"
    else:
        assert section["Type"] == "oneshot"


def test_the_run_directories_hold_the_control_socket_the_metrics_and_the_heartbeat():
    """Per-instance run directories (systemd creates and removes them); the environment file the README gives
    points there."""
    assert unit("incentives-web.service")["Service"]["RuntimeDirectory"] == "incentives-web"
    assert unit("incentives-beat.service")["Service"]["RuntimeDirectory"] == "incentives-beat"
    readme = (ROOT / "deploy" / "README.md").read_text()
    for line in ("GUNICORN_CONTROL_SOCKET='/run/incentives-web/gunicorn.ctl'",
                 "PROMETHEUS_MULTIPROC_DIR='/run/incentives-web/prometheus'",
                 "BEAT_HEARTBEAT_FILE='/run/incentives-beat/heartbeat'"):
        assert line in readme, line


def test_the_worker_units_take_every_queue_between_them_and_the_backup_runs_nightly():
    from django.conf import settings

    queues = set()
    for service in ("incentives-worker", "incentives-renderer"):
        command = unit(f"{service}.service")["Service"]["ExecStart"]
        assert " --quiet worker " in command and "--hostname=" in command
        queues |= set(re.search(r"--queues=(\S+)", command).group(1).split(","))
    assert queues == {queue.name for queue in settings.CELERY_TASK_QUEUES} == {"celery", "bulletins"}
    timer = unit("incentives-backup.timer")["Timer"]
    assert timer["OnCalendar"].endswith("Asia/Shanghai") and timer["Persistent"] == "true"
    backup = unit("incentives-backup.service")["Service"]["ExecStart"]
    assert backup == f"{INSTALLED_AT}/deploy/backup.sh /var/backups/incentives"
    script = (ROOT / "deploy" / "backup.sh").read_text()
    assert "manage.py backup --output" in script and "manage.py restore --verify-only" in script
    assert subprocess.run(["sh", "-n", str(ROOT / "deploy" / "backup.sh")], timeout=10).returncode == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_environment(tmp_path, **values) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE"}}
    environment.update(APP_ENV="test", LOG_FORMAT="json", HOME=str(tmp_path / "home"),
                       DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **values)
    (tmp_path / "home").mkdir(exist_ok=True)
    return environment


def json_lines(text: str) -> list[dict]:
    """Every line parsed as JSON (a line that is not fails the test, naming it)."""
    lines = []
    for line in text.splitlines():
        if line.strip():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"not a JSON line: {line!r}\n---\n{text}")
    return lines


def test_gunicorn_writes_one_access_line_per_request_and_no_control_socket_in_the_home_folder(tmp_path):
    port = free_port()
    environment = process_environment(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1",
                                      GUNICORN_THREADS="1", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    environment.pop("GUNICORN_CONTROL_SOCKET", None)
    environment.pop("GUNICORN_ACCESS_LOG", None)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "incentives.wsgi:application", "--config",
                                    str(ROOT / "deploy" / "gunicorn.conf.py")], cwd=ROOT, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/health/live",
                                         headers={"Host": "localhost", "X-Request-ID": "ops-test-0001"})
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not answer:\n" + log.read_text())
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    lines = json_lines(log.read_text())
    answered = [line for line in lines if "/health/live" in line.get("message", "")]
    assert [line["logger"] for line in answered] == ["incentives.access"], answered
    assert answered[0]["request_id"] == "ops-test-0001"
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines, in JSON too
    assert not list((tmp_path / "home").rglob("*")), "gunicorn wrote into the home folder"


def test_gunicorns_control_socket_goes_where_it_is_told(tmp_path):
    import runpy

    settings_file = str(ROOT / "deploy" / "gunicorn.conf.py")
    saved = dict(os.environ)
    try:
        os.environ.pop("GUNICORN_CONTROL_SOCKET", None)
        assert runpy.run_path(settings_file)["control_socket_disable"] is True
        os.environ["GUNICORN_CONTROL_SOCKET"] = "/run/incentives-web/gunicorn.ctl"
        configured = runpy.run_path(settings_file)
        assert configured["control_socket_disable"] is False
        assert configured["control_socket"] == "/run/incentives-web/gunicorn.ctl"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_worker_starts_in_json_lines_without_a_banner(tmp_path):
    import redis

    try:
        redis.Redis.from_url(WORKER_BROKER, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        pytest.fail(f"this test needs the Redis server at {WORKER_BROKER}: {error}")
    # The environment file of the by-hand install names the web unit's metrics directory, which a worker's unit
    # cannot see: the worker starts all the same.
    environment = process_environment(tmp_path, CELERY_BROKER_URL=WORKER_BROKER,
                                      PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "absent" / "prometheus"))
    if os.geteuid() == 0:
        # Celery warns in plain text, before any logging is set up, when it runs as root; the image and the units
        # never run it so, but this machine's tests do.
        environment["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser privileges"
    log = tmp_path / "worker.log"
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    assert "celery -A incentives --quiet worker" in entrypoint and "celery -A incentives --quiet beat" in entrypoint
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "incentives", "--quiet", "worker",
                                    "--pool=solo", "--loglevel=INFO", "--hostname=ops-json@%h"],
                                   cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the worker did not start:\n" + log.read_text())
            time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        redis.Redis.from_url(WORKER_BROKER).flushdb()
    # Celery's signal handler writes one plain line at shutdown, straight to the original standard output (not
    # through logging); deploy/README.md says so. Everything else is JSON.
    output = log.read_text().replace("worker: Warm shutdown (MainProcess)\n", "")
    lines = json_lines(output)
    started = next(line for line in lines if line["logger"] == "incentives.worker")
    assert started["queues"] == ["bulletins", "celery"] and started["node"].startswith("ops-json@")
    assert any(line["message"].endswith(" ready.") for line in lines)
