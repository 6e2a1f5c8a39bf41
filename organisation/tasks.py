"""Celery tasks of the outbox. Thin: each takes ids (or nothing) and calls ``organisation.outbox``.

Both are idempotent: a message is sent only by the caller that claims it, so running a task twice (two beat
processes, a redelivered message after a worker died with ``acks_late``) sends nothing twice.
"""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import outbox

RETRYING = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5,
            "acks_late": True}


@shared_task(bind=True, **RETRYING)
def outbox_deliver_task(self, message_id: int) -> str:
    """Send one recorded message. A failed send is rescheduled with a backoff; the task retries at that time."""
    outcome = outbox.outbox_deliver(message_id=message_id)
    if outcome == outbox.Outcome.RETRY and not self.request.is_eager:
        due = outbox.outbox_next_attempt(message_id=message_id)
        countdown = max((due - timezone.now()).total_seconds(), 1) if due else 60
        raise self.retry(countdown=countdown, max_retries=None)
    return outcome


def outbox_queue(message_ids) -> None:
    """Hand recorded messages to the workers (in-process when there is no broker)."""
    for message_id in message_ids:
        outbox_deliver_task.delay(message_id)


@shared_task(**RETRYING)
def outbox_sweep() -> dict:
    """Give back claims of dead senders, then queue every message that waits to be sent."""
    released = outbox.outbox_release_stale()
    due = outbox.outbox_due_ids()
    outbox_queue(due)
    return {"released": released, "queued": len(due)}
