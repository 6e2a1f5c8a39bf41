"""Celery tasks of the nomination cycle. Thin: each takes ids (or nothing) and calls a service.

Idempotent: the sweep records each message under a unique outbox key, and a message is sent only by the caller
that claims it, so running a task twice sends nothing twice.
"""

from celery import shared_task

from organisation.tasks import RETRYING, outbox_queue

from . import reminders


@shared_task(**RETRYING)
def reminders_sweep() -> dict:
    """The beat's periodic job: record what is due now, then queue one delivery task per waiting message."""
    result = reminders.reminders_sweep()
    outbox_queue(result.due_ids)
    return {"recorded": len(result.recorded), "already": result.already, "queued": len(result.due_ids)}

