"""Celery tasks of the review. Thin: each takes ids and calls a service."""

from celery import shared_task
from django.db import DatabaseError

from . import bulletins


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=600, max_retries=5, acks_late=True)
def bulletin_render(bulletin_id: int) -> str | None:
    """Render one bulletin version to PDF (reviews.bulletins.bulletin_render). Running it twice does nothing more."""
    bulletin = bulletins.bulletin_render(bulletin_id=bulletin_id)
    return bulletin.status if bulletin is not None else None
