"""Celery tasks of the nomination cycle. Thin: each takes ids, loads objects and calls a service."""

from celery import shared_task
from django.db import DatabaseError


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=600, max_retries=5, acks_late=True)
def list_returned_notify(list_id: int) -> list[int]:
    """Tell the bureau at once that the General Office returned its list for correction.

    Records one message per clerk (once per return: the key holds the list's version) and sends them."""
    from incentives.notifications import list_returned_notify as record
    from incentives.tasks import reminder_deliver_task

    deliveries = record(list_id=list_id)
    for delivery in deliveries:
        if delivery.status == delivery.Status.PENDING:
            reminder_deliver_task.delay(delivery.pk)
    return [delivery.pk for delivery in deliveries]
