"""Celery tasks of the nomination cycle. Thin: each takes ids, loads objects and calls a service."""

from celery import shared_task


@shared_task
def list_returned_notify(list_id: int) -> None:
    """Tell the bureau at once that the General Office returned its list for correction."""
    # Implemented with the reminders (incentives.notifications); until then nothing is sent.
    return None
