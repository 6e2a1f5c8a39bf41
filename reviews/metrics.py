"""Prometheus metrics at ``/metrics``, not public.

Requests and latencies come from django-prometheus's middlewares (``django_http_*``); this module adds what the
application waits for, counted at each scrape: the Celery queue's length, the reminder deliveries waiting or
being sent, and the bulletin renders waiting or rendering. Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, see deploy/README.md) so a scrape sums every worker.

Answered only with ``Authorization: Bearer <METRICS_TOKEN>`` or to an address in ``METRICS_ALLOWED_ADDRESSES``;
anyone else gets 404, as for a page that does not exist.
"""

import hmac
import logging
import os

import prometheus_client
import redis
from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily

from incentives.client import client_address
from organisation.models import OutboxMessage as ReminderDelivery

from .models import Bulletin

logger = logging.getLogger(__name__)


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting in each Celery queue, the default one (e-mails, sweeps) and the renders' (Redis broker only;
    None when there is none or it does not answer)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), settings.BULLETIN_QUEUE]
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return {name: int(client.llen(name)) for name in names}
    except redis.RedisError:
        logger.warning("metrics: the broker does not answer")
        return None


class ApplicationCollector:
    """Gauges read from the database and the broker at scrape time."""

    def collect(self):
        queue = GaugeMetricFamily("incentives_celery_queue_length", "Messages waiting in the Celery queues")
        by_queue = GaugeMetricFamily("incentives_celery_queue_messages", "Messages waiting in each Celery queue",
                                     labels=["queue"])
        lengths = queue_lengths()
        if lengths is not None:
            queue.add_metric([], sum(lengths.values()))
            for name, length in lengths.items():
                by_queue.add_metric([name], length)
        yield queue
        yield by_queue
        deliveries = GaugeMetricFamily("incentives_reminder_deliveries", "Reminder deliveries by status",
                                       labels=["status"])
        counts = dict(ReminderDelivery.objects.filter(
            status__in=[ReminderDelivery.Status.PENDING, ReminderDelivery.Status.SENDING, ReminderDelivery.Status.FAILED])
            .values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        for status in (ReminderDelivery.Status.PENDING, ReminderDelivery.Status.SENDING, ReminderDelivery.Status.FAILED):
            deliveries.add_metric([status], counts.get(status, 0))
        yield deliveries
        renders = GaugeMetricFamily("incentives_bulletin_renders", "Bulletin versions by status", labels=["status"])
        counts = dict(Bulletin.objects.filter(
            status__in=[Bulletin.Status.PENDING, Bulletin.Status.RENDERING, Bulletin.Status.FAILED])
            .values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        for status in (Bulletin.Status.PENDING, Bulletin.Status.RENDERING, Bulletin.Status.FAILED):
            renders.add_metric([status], counts.get(status, 0))
        yield renders


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
