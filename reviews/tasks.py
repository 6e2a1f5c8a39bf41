"""Celery tasks of the review. Thin: each takes ids and calls a service."""

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from .bulletins import bulletin_claim_expires, bulletins_to_resume
from .bulletins import bulletin_render as render

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=600, max_retries=5,
             acks_late=True)
def bulletin_render(self, bulletin_id: int) -> str | None:
    """Render one bulletin version to PDF (reviews.bulletins.bulletin_render). Running it twice does nothing more.

    A version another worker is rendering is looked at again when that claim turns stale: if that worker died
    (its render left "rendering"), this task takes the render up then."""
    bulletin = render(bulletin_id=bulletin_id)
    if bulletin is not None:
        return bulletin.status
    expires = bulletin_claim_expires(bulletin_id=bulletin_id)
    if expires is not None and not self.request.is_eager:
        countdown = max((expires - timezone.now()).total_seconds(), 0) + 5
        raise self.retry(countdown=countdown, max_retries=None)
    return None


@shared_task(acks_late=True)
def bulletins_resume() -> list[int]:
    """The beat's periodic look for renders left behind (see reviews.bulletins.bulletins_to_resume)."""
    resumed = bulletins_to_resume()
    for bulletin_id in resumed:
        logger.warning("bulletin %s left behind: queued again", bulletin_id)
        bulletin_render.delay(bulletin_id)
    return resumed
