import logging
import os

from celery import Celery, __version__, signals

from . import observability  # noqa: F401  (request ids through task headers)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")

app = Celery("incentives")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker writes a beacon into the broker's Redis (read by /metrics: incentives_celery_workers_live).
app.steps["worker"].add("incentives.liveness:WorkerBeacon")

logger = logging.getLogger("incentives.worker")


# deploy/entrypoint.sh starts the worker and the beat with --quiet: no plain-text banner on standard output. What
# the banner told (the node, its queues, its concurrency) is one log line instead, in the format of every other
# line (JSON in production).
@signals.celeryd_after_setup.connect
def worker_started(sender, instance, **kwargs):
    queues = sorted(instance.app.amqp.queues.consume_from or instance.app.amqp.queues)
    logger.info("worker %s starting: celery %s, queues %s, concurrency %s", sender, __version__, ",".join(queues),
                instance.concurrency, extra={"node": str(sender), "queues": queues,
                                             "concurrency": instance.concurrency})


@signals.beat_init.connect
def beat_started(sender, **kwargs):
    logging.getLogger("incentives.beat").info("beat starting: celery %s, %d periodic tasks", __version__,
                                              len(sender.app.conf.beat_schedule or {}))
