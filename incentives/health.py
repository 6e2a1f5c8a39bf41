"""Liveness and readiness.

* ``/health/live``: the process answers (no dependency is asked): what a container's health check restarts on.
* ``/health/ready`` (and ``/health/``, its alias): the database answers, the cache stores and returns a value, the
  broker accepts a connection (when one is configured), the media storage is writable and every migration is
  applied. 200 when all pass, 503 otherwise: what a load balancer routes on. Only a request carrying
  ``Authorization: Bearer <HEALTH_TOKEN>`` or coming from an address in ``HEALTH_ALLOWED_ADDRESSES`` is told which
  check failed, why, and the application's version (``incentives.version``); anyone else gets the bare status.
  The migration check (the autodetector compares every model with the migrations: tens to hundreds of
  milliseconds) is run once and then again only after ``HEALTH_MIGRATIONS_RECHECK_SECONDS``; a failure is not kept,
  so an instance comes back as soon as its migrations are applied.

The checks are django-health-check's ``Database`` and ``Storage`` and three of our own on its ``HealthCheck`` base.
Its view is not used: it is asynchronous and runs synchronous checks in other threads (other database
connections than the request's), and it answers 500 where a load balancer expects 503.
"""

import dataclasses
import hmac
import logging
import threading
import time
import uuid

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from kombu import Connection

from .client import client_address
from .version import __version__

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class CacheRoundTrip(HealthCheck):
    """The cache stores a value and gives it back (a synchronous probe, unlike the library's)."""

    alias: str = "default"

    def run(self):
        cache = caches[self.alias]
        key = f"health:{uuid.uuid4().hex}"
        try:
            cache.set(key, "ok", 10)
            value = cache.get(key)
            cache.delete(key)
        except Exception as error:  # noqa: BLE001 - any backend error means the cache is unusable
            raise ServiceUnavailable(f"cache unreachable ({type(error).__name__})") from error
        if value != "ok":
            raise ServiceUnavailable("cache did not return the value it was given")


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection."""

    url: str = dataclasses.field(default="", repr=False)

    def run(self):
        timeout = settings.HEALTH_CHECK_TIMEOUT
        try:
            with Connection(self.url, connect_timeout=timeout,
                            transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout,
                                               "max_retries": 0}) as connection:
                # One retry, at once: kombu waits 2 s before a retry by default, which a probe of a broker that is
                # down (a refused connection) would spend asleep.
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
                connection.default_channel  # noqa: B018 - opens a channel: the broker really answers
        except Exception as error:  # noqa: BLE001
            raise ServiceUnavailable(f"broker unreachable ({type(error).__name__})") from error


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration of the code is applied to the database, and the code's models have no change that no
    migration describes (a release shipped without its migration: its pages would fail on a missing column)."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        checked_at = _migrations_passed.get(self.alias)
        if checked_at is not None and time.monotonic() - checked_at < settings.HEALTH_MIGRATIONS_RECHECK_SECONDS:
            return
        self._check()
        with _migrations_lock:
            _migrations_passed[self.alias] = time.monotonic()

    @staticmethod
    def forget() -> None:
        """Check again at the next call (a migration was applied or rolled back in this process)."""
        with _migrations_lock:
            _migrations_passed.clear()

    def _check(self):
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as error:  # noqa: BLE001
            raise ServiceUnavailable(f"migrations unknown ({type(error).__name__})") from error
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied: {names}")
        with translation.override(None):  # as makemigrations does: verbose names compare untranslated
            changes = MigrationAutodetector(executor.loader.project_state(), ProjectState.from_apps(apps)).changes(
                graph=executor.loader.graph)
        if changes:
            raise ServiceUnavailable(f"models changed without a migration: {', '.join(sorted(changes))}")


# When this process last found every migration applied, per database alias.
_migrations_passed: dict[str, float] = {}
_migrations_lock = threading.Lock()


def readiness_checks() -> dict[str, HealthCheck]:
    checks = {"database": Database(), "migrations": MigrationsApplied(), "cache": CacheRoundTrip(),
              "media": Storage()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = Broker(url=settings.CELERY_BROKER_URL)
    return checks


def run_checks(checks: dict[str, HealthCheck]) -> dict[str, dict]:
    results = {}
    for name, check in checks.items():
        started = time.monotonic()
        try:
            check.run()
            outcome = {"status": "ok"}
        except HealthCheckException as error:
            outcome = {"status": "fail", "error": str(error.message)}
        except Exception as error:  # noqa: BLE001 - a check that breaks is a failing check, never a 500
            logger.exception("health check %s broke", name)
            outcome = {"status": "fail", "error": type(error).__name__}
        outcome["ms"] = round((time.monotonic() - started) * 1000, 1)
        results[name] = outcome
    return results


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


def details_allowed(request) -> bool:
    """Whether the request may read which dependency failed and the version: it carries the health token, or comes
    from a listed address (the host itself by default)."""
    token = settings.HEALTH_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    return client_address(request) in settings.HEALTH_ALLOWED_ADDRESSES


@never_cache
@require_GET
def ready(request):
    results = run_checks(readiness_checks())
    failing = [name for name, outcome in results.items() if outcome["status"] != "ok"]
    if failing:
        logger.warning("not ready: %s", ", ".join(failing), extra={"failing": failing, "checks": results})
    status = 503 if failing else 200
    if not details_allowed(request):
        return JsonResponse({"status": "fail" if failing else "ok"}, status=status)
    return JsonResponse({"status": "fail" if failing else "ok", "version": __version__, "failing": failing,
                         "checks": results}, status=status)
