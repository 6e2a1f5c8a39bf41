"""Process health checks: `python deploy/healthcheck.py web|worker|beat` exits 0 when healthy, 1 (with the reason
on standard error) otherwise. Used by docker-compose.yml and by hand (deploy/README.md).

* web: GET /health/live of the local gunicorn (the process answers; /health/ready is for the proxy).
* worker: `celery inspect ping` to this very node (WORKER_NODE_NAME, default celery@<host name>): a dead or
  stuck worker does not answer within HEALTH_CHECK_TIMEOUT seconds.
* beat: the heartbeat file the beat rewrites at every tick (BEAT_HEARTBEAT_FILE) is younger than
  BEAT_HEARTBEAT_MAX_AGE seconds.
"""

import os
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def web() -> str | None:
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health/live",
                                     headers={"Host": host, "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status == 200 and b'"ok"' in response.read():
            return None
        return f"/health/live answered {response.status}"


def worker() -> str | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
    sys.path.insert(0, str(ROOT))
    from incentives.celery import app

    # The worker expands %h in its node name to the host name (docker-compose.yml's renderer@%h); so does the check.
    node = (os.environ.get("WORKER_NODE_NAME") or "celery@%h").replace("%h", os.uname().nodename)
    timeout = float(os.environ.get("HEALTH_CHECK_TIMEOUT") or 5)
    replies = app.control.inspect(timeout=timeout, destination=[node]).ping() or {}
    return None if replies.get(node) == {"ok": "pong"} else f"{node} did not answer a ping within {timeout:g} s"


def beat() -> str | None:
    path = Path(os.environ.get("BEAT_HEARTBEAT_FILE") or ROOT / "var" / "run" / "beat-heartbeat")
    max_age = float(os.environ.get("BEAT_HEARTBEAT_MAX_AGE") or 90)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat file {path}"
    return None if age <= max_age else f"heartbeat {path} is {age:.0f} s old (more than {max_age:g} s)"


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "web"
    try:
        problem = {"web": web, "worker": worker, "beat": beat}[role]()
    except Exception as error:  # noqa: BLE001
        problem = f"{type(error).__name__}: {error}"
    if problem:
        print(f"{role} unhealthy: {problem}", file=sys.stderr)
    sys.exit(1 if problem else 0)
