"""Container health checks: `python deploy/healthcheck.py web|worker|beat` exits 0 when healthy."""

import os
import sys
import time
import urllib.request


def web() -> bool:
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health/",
                                     headers={"Host": host, "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status == 200 and b'"ok"' in response.read()


def worker() -> bool:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
    sys.path.insert(0, "/app")
    from incentives.celery import app

    replies = app.control.inspect(timeout=5, destination=[f"celery@{os.uname().nodename}"]).ping() or {}
    return bool(replies)


def beat() -> bool:
    # beat rewrites its schedule file at least every few minutes while it runs.
    path = "/app/var/run/celerybeat-schedule"
    candidates = [p for p in (path, path + ".db", path + ".dat") if os.path.exists(p)]
    return bool(candidates) and time.time() - max(os.path.getmtime(p) for p in candidates) < 15 * 60


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "web"
    try:
        healthy = {"web": web, "worker": worker, "beat": beat}[role]()
    except Exception as error:  # noqa: BLE001
        print(f"{role} unhealthy: {error}", file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)
