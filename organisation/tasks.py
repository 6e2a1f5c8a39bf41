"""Celery tasks of the outbox. Thin: each takes ids (or nothing) and calls ``organisation.outbox``.

Both are idempotent: a message is sent only by the caller that claims it, so running a task twice (two beat
processes, a redelivered message after a worker died with ``acks_late``) sends nothing twice.

No task waits in the broker for long: a failed send is not retried with a countdown (a message held by a worker
past the broker's visibility timeout would be delivered a second time) but left pending with its next attempt's
time, which the sweep (every minute, ``OUTBOX_SWEEP_SCHEDULE``) queues when it is due.
"""

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from incentives.jobs import jobs_hand_over

from . import outbox

# retry_backoff_max stays below the broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS).
RETRYING = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 120, "max_retries": 5,
            "acks_late": True}


@shared_task(**RETRYING, time_limit=settings.OUTBOX_SEND_TIME_LIMIT,
             soft_time_limit=max(settings.OUTBOX_SEND_TIME_LIMIT * 3 // 4, 1))
def outbox_deliver_task(message_id: int) -> str:
    """Send one recorded message. A failed send waits, pending, for the sweep to queue it at its next attempt.

    Its time limit is below the outbox's stale-claim limit, so a claim is never given back while its sender
    is still alive."""
    return outbox.outbox_deliver(message_id=message_id)


def outbox_queue(message_ids) -> int:
    """Hand recorded messages to the workers (in-process when there is no broker). Never raises when the broker
    is unreachable: the messages stay pending and the sweep queues them later. Returns how many were queued."""
    return jobs_hand_over(outbox_deliver_task, message_ids, what="outbox messages")


@shared_task(**RETRYING)
def outbox_sweep() -> dict:
    """Give back claims of dead senders, then queue every message that waits to be sent."""
    released = outbox.outbox_release_stale()
    due = outbox.outbox_due_ids()
    queued = outbox_queue(due)
    return {"released": released, "due": len(due), "queued": queued}
