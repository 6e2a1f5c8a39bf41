"""Prometheus metrics at ``/metrics``, not public.

Requests and latencies come from django-prometheus's middlewares (``django_http_*``); this module adds, read at
each scrape: whether the database, the cache and the broker answer (``incentives_*_up``), the Celery queue's
length, the live workers and the age of the beat's last tick (``incentives.liveness``), the e-mails and reminders
waiting, sending or failed and the age of the oldest one not sent, the bulletin renders by status and the age of
the oldest one not finished. A dependency that is down leaves out the metrics read from it; the scrape answers
200 all the same (deploy/README.md lists every metric and deploy/prometheus/alerts.yml the alerts). Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, see deploy/README.md) so a scrape sums every worker.

Answered only with ``Authorization: Bearer <METRICS_TOKEN>`` or to an address in ``METRICS_ALLOWED_ADDRESSES``;
anyone else gets 404, as for a page that does not exist.
"""

import hmac
import logging
import math
import os
import time

import prometheus_client
import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check.exceptions import HealthCheckException
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily

from incentives import liveness
from incentives.beat import beat_heartbeat_age
from incentives.client import client_address
from incentives.health import CacheRoundTrip
from nominations.models import REMINDER_KINDS
from organisation.models import OutboxMessage

from .models import Bulletin

logger = logging.getLogger(__name__)


class ApplicationCollector:
    """Gauges read from the database, the cache and the broker at scrape time. A dependency that does not answer
    gives its ``incentives_*_up`` gauge 0 and leaves out the metrics read from it: the scrape still answers 200."""

    def collect(self):
        yield from self.broker_metrics()
        cache_up = GaugeMetricFamily("incentives_cache_up", "The cache stores and returns a value (1) or not (0)")
        cache_up.add_metric([], cache_answers())
        yield cache_up
        database_up = GaugeMetricFamily("incentives_database_up", "The database answers (1) or not (0)")
        try:
            families = list(database_metrics())
        except DatabaseError as error:
            logger.warning("metrics: the database does not answer (%s)", type(error).__name__)
            database_up.add_metric([], 0)
            yield database_up
            return
        database_up.add_metric([], 1)
        yield database_up
        yield from families

    def broker_metrics(self):
        client = liveness.broker_redis()
        if client is None:  # no broker (tasks run in-process): nothing to watch
            return
        up = GaugeMetricFamily("incentives_broker_up", "The broker (Redis) answers (1) or not (0)")
        try:
            names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), settings.BULLETIN_QUEUE]
            lengths = {name: int(client.llen(name)) for name in names}
            workers = liveness.live_workers(client)
            last_tick = liveness.beat_last_tick(client)
        except redis.RedisError as error:
            logger.warning("metrics: the broker does not answer (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("incentives_celery_queue_length", "Messages waiting in the Celery queues",
                                value=sum(lengths.values()))
        by_queue = GaugeMetricFamily("incentives_celery_queue_messages", "Messages waiting in each Celery queue",
                                     labels=["queue"])
        for name, length in lengths.items():
            by_queue.add_metric([name], length)
        yield by_queue
        yield GaugeMetricFamily("incentives_celery_workers_live",
                                "Celery workers whose beacon is younger than "
                                f"{liveness.WORKER_BEACON_MAX_AGE} s", value=workers)
        age = beat_age(last_tick)
        yield GaugeMetricFamily("incentives_beat_last_tick_age_seconds",
                                "Seconds since the beat's last tick (+Inf: it never ticked)", value=age)


def cache_answers() -> int:
    try:
        CacheRoundTrip().run()
    except HealthCheckException:
        return 0
    return 1


def beat_age(last_tick: float | None) -> float:
    """Seconds since the beat's last tick: from the broker, else from the heartbeat file (a beat on this host),
    else +Inf."""
    ages = []
    if last_tick is not None:
        ages.append(max(time.time() - last_tick, 0.0))
    file_age = beat_heartbeat_age()
    if file_age is not None:
        ages.append(max(file_age, 0.0))
    return min(ages) if ages else math.inf


def _age(moment, now) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


def _by_status(name: str, documentation: str, queryset, statuses) -> GaugeMetricFamily:
    """A gauge of ``queryset``'s rows in each of ``statuses`` (0 for a status without rows): one GROUP BY."""
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    counts = dict(queryset.filter(status__in=statuses).order_by().values_list("status")
                  .annotate(n=Count("id")).values_list("status", "n"))
    for status in statuses:
        family.add_metric([status], counts.get(status, 0))
    return family


def database_metrics():
    """The metric families read from the database (raises ``DatabaseError`` when it does not answer)."""
    now = timezone.now()
    waiting = [OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING, OutboxMessage.Status.FAILED]
    yield _by_status("incentives_outbox_messages", "Outgoing e-mails (every kind) by status",
                     OutboxMessage.objects.all(), waiting)
    yield _by_status("incentives_reminder_deliveries", "Reminder e-mails by status",
                     OutboxMessage.objects.filter(kind__in=REMINDER_KINDS), waiting)
    oldest = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]).aggregate(at=Min("created_at"))["at"]
    yield GaugeMetricFamily("incentives_outbox_oldest_pending_age_seconds",
                            "Age of the oldest e-mail not yet sent (waiting or sending); 0 when none",
                            value=_age(oldest, now))
    yield _by_status("incentives_bulletin_renders", "Bulletin versions by status", Bulletin.objects.all(),
                     [Bulletin.Status.PENDING, Bulletin.Status.RENDERING, Bulletin.Status.FAILED])
    oldest = Bulletin.objects.filter(
        status__in=[Bulletin.Status.PENDING, Bulletin.Status.RENDERING]).aggregate(at=Min("requested_at"))["at"]
    yield GaugeMetricFamily("incentives_bulletin_oldest_render_age_seconds",
                            "Age of the oldest bulletin render requested and not finished; 0 when none",
                            value=_age(oldest, now))


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    return client_address(request) in settings.METRICS_ALLOWED_ADDRESSES


def process_registry() -> prometheus_client.CollectorRegistry:
    """This process's metrics, or every gunicorn worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def application_registry() -> prometheus_client.CollectorRegistry:
    registry = prometheus_client.CollectorRegistry()
    registry.register(ApplicationCollector())
    return registry


@never_cache
@require_GET
def metrics(request):
    if not allowed(request):
        raise Http404
    body = prometheus_client.generate_latest(process_registry()) + prometheus_client.generate_latest(application_registry())
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)


urlpatterns = [path("", metrics, name="metrics")]
