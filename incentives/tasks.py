"""Celery tasks of the reminders. Thin: each takes ids (or nothing), calls a service in incentives.notifications.

All are idempotent: the sweep records each message under a unique key, and a delivery is sent only by the
caller that claims it, so running a task twice (two beat processes, a redelivered message after a worker died
with ``acks_late``) sends nothing twice.
"""

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import notifications

logger = logging.getLogger(__name__)

RETRYING = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5,
            "acks_late": True}


@shared_task(**RETRYING)
def reminders_sweep() -> dict:
    """The beat's periodic job: record what is due now, then queue one delivery task per waiting message."""
    result = notifications.reminders_sweep()
    for delivery_id in result.due_ids:
        reminder_deliver_task.delay(delivery_id)
    return {"recorded": len(result.recorded), "already": result.already, "queued": len(result.due_ids)}


@shared_task(bind=True, **RETRYING)
def reminder_deliver_task(self, delivery_id: int) -> str:
    """Send one recorded message. A failed send is rescheduled with a backoff; the task retries at that time."""
    outcome = notifications.reminder_deliver(delivery_id=delivery_id)
    if outcome == notifications.Outcome.RETRY and not self.request.is_eager:
        from .models import ReminderDelivery

        due = ReminderDelivery.objects.filter(pk=delivery_id).values_list("next_attempt_at", flat=True).first()
        countdown = max((due - timezone.now()).total_seconds(), 1) if due else 60
        raise self.retry(countdown=countdown, max_retries=None)
    return outcome
