"""Liveness, readiness (one test per missing dependency), and a clear 503 page when the cache or the database is
down, never a 500."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

from .factories import PASSWORD
from .helpers import ROOT

# Redis database 9 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = pytest.mark.xdist_group("redis-9")

BROKEN_REDIS = "redis://127.0.0.1:1/9"  # nothing listens on port 1
REAL_REDIS = "redis://127.0.0.1:6379/9"


@pytest.fixture(autouse=True)
def _migrations_checked_again():
    """Each test checks the migrations afresh (a process keeps a passed check for a few minutes)."""
    from incentives.health import MigrationsApplied

    MigrationsApplied.forget()
    yield
    MigrationsApplied.forget()


def ready(client, **headers):
    response = client.get("/health/ready", **headers)
    return response.status_code, json.loads(response.content)


def test_liveness_asks_no_dependency(client):
    # No database access is allowed in this test (pytest-django refuses it): liveness asks nothing.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


@pytest.mark.django_db
def test_ready_when_every_dependency_answers(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BROKER_URL = REAL_REDIS
    status, body = ready(client)
    assert status == 200, body
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "cache", "media", "broker"}
    assert list((tmp_path / "media").rglob("*.txt")) == []  # the probe file is removed


@pytest.mark.django_db
def test_health_is_the_readiness_check(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKEN_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert json.loads(response.content)["failing"] == ["cache"]


@pytest.mark.django_db
def test_not_ready_without_the_cache(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKEN_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    status, body = ready(client)
    assert status == 503
    assert body["failing"] == ["cache"]
    assert "cache unreachable" in body["checks"]["cache"]["error"]


@pytest.mark.django_db
def test_not_ready_without_the_broker(client, settings):
    settings.CELERY_BROKER_URL = BROKEN_REDIS
    status, body = ready(client)
    assert status == 503
    assert body["failing"] == ["broker"]
    assert "broker unreachable" in body["checks"]["broker"]["error"]


@pytest.mark.django_db
def test_not_ready_when_the_media_storage_is_not_writable(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.MEDIA_ROOT = blocker / "media"  # cannot be created, even by root
    status, body = ready(client)
    assert status == 503
    assert body["failing"] == ["media"]


@pytest.mark.django_db
def test_not_ready_while_a_migration_is_not_applied(client):
    MigrationRecorder(connection).migration_qs.filter(app="reviews").order_by("-id")[:1].get().delete()
    status, body = ready(client)
    assert status == 503
    assert body["failing"] == ["migrations"]
    assert "1 migration(s) not applied: reviews." in body["checks"]["migrations"]["error"]


@pytest.mark.django_db
def test_not_ready_when_the_models_changed_without_a_migration(client, monkeypatch):
    from incentives import health

    class ModelsAhead(health.MigrationAutodetector):
        def changes(self, graph, **kwargs):
            return {"reviews": ["0099_claimed_by"]}

    monkeypatch.setattr(health, "MigrationAutodetector", ModelsAhead)
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["migrations"]["error"] == "models changed without a migration: reviews"


def _django(script: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="incentives.settings", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + script], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:1/incentives_unreachable?connect_timeout=2"


def test_not_ready_and_a_503_page_when_the_database_is_unreachable():
    result = _django(
        "import json\n"
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        "ready = client.get('/health/ready')\n"
        "print(ready.status_code, json.loads(ready.content)['failing'])\n"
        "page = client.post('/accounts/login/', {'username': 'someone', 'password': 'whatever-2025'})\n"
        "print(page.status_code, page['Retry-After'])\n"
        "print(page.content.decode())\n",
        DATABASE_URL=UNREACHABLE_DATABASE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "503 ['database', 'migrations']"
    assert lines[1] == "503 60"
    page = "\n".join(lines[2:])
    assert "服务暂时不可用" in page
    assert "Server Error" not in page


@pytest.mark.django_db
def test_signing_in_while_the_cache_is_down_answers_a_clear_503_page(client, settings, clerk_water):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKEN_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    response = client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "服务暂时不可用" in page
    assert response["X-Request-ID"] in page  # the reference the person can quote


def test_an_outage_raised_outside_a_view_is_a_503_too(rf):
    from django.db import OperationalError

    from incentives.unavailable import server_error

    request = rf.get("/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert "出错了" in response.content.decode() or "Something went wrong" in response.content.decode()


# --- who is told what, and what each call costs ----------------------------------------------------------------

@pytest.mark.django_db
def test_a_stranger_gets_only_the_status(client, settings):
    settings.CELERY_BROKER_URL = BROKEN_REDIS
    status, body = ready(client, REMOTE_ADDR="203.0.113.9")
    assert status == 503
    assert body == {"status": "fail"}


@pytest.mark.django_db
def test_the_token_or_a_listed_address_gets_the_details(client, settings):
    settings.CELERY_BROKER_URL = BROKEN_REDIS
    settings.HEALTH_TOKEN = "s3cret-health-token"
    status, body = ready(client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-health-token")
    assert status == 503 and body["failing"] == ["broker"] and "version" in body
    _status, body = ready(client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong")
    assert body == {"status": "fail"}
    settings.HEALTH_ALLOWED_ADDRESSES = ["203.0.113.9"]
    _status, body = ready(client, REMOTE_ADDR="203.0.113.9")
    assert body["failing"] == ["broker"]
    _status, body = ready(client, REMOTE_ADDR="::1")
    assert body == {"status": "fail"}


@pytest.mark.django_db
def test_the_migration_check_runs_once_then_after_its_recheck_period(client, settings, monkeypatch):
    from incentives import health

    runs = []

    class Counting(health.MigrationAutodetector):
        def changes(self, graph, **kwargs):
            runs.append(1)
            return {}

    monkeypatch.setattr(health, "MigrationAutodetector", Counting)
    for _ in range(3):
        assert ready(client, REMOTE_ADDR="203.0.113.9")[0] == 200
    assert len(runs) == 1
    settings.HEALTH_MIGRATIONS_RECHECK_SECONDS = 0
    ready(client)
    assert len(runs) == 2
