import os

from celery import Celery

from . import observability  # noqa: F401  (request ids through task headers)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")

app = Celery("incentives")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker writes a beacon into the broker's Redis (read by /metrics: incentives_celery_workers_live).
app.steps["worker"].add("incentives.liveness:WorkerBeacon")
