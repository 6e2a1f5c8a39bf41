"""Celery tasks of the review. Thin: each takes ids and calls a service."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from incentives.jobs import jobs_hand_over
from organisation.tasks import RETRYING, outbox_queue

from .bulletins import bulletin_render as render
from .bulletins import bulletins_to_resume
from .letters import list_returned_notify as returned_notify
from .public_pages import public_pages_warm as warm

logger = logging.getLogger(__name__)


# A render takes seconds: it is stopped after BULLETIN_RENDER_TIME_LIMIT (90 s), well before its claim turns stale
# (BULLETIN_STALE_RENDER_MINUTES, 2), so a killed render is taken up within about three minutes. It runs on the
# renders' own queue (settings.CELERY_TASK_ROUTES), never behind a batch of e-mails.
@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=120, max_retries=5, acks_late=True,
             time_limit=settings.BULLETIN_RENDER_TIME_LIMIT,
             soft_time_limit=max(settings.BULLETIN_RENDER_TIME_LIMIT - 10, settings.BULLETIN_RENDER_TIME_LIMIT * 3 // 4))
def bulletin_render(bulletin_id: int) -> str | None:
    """Render one bulletin version to PDF (reviews.bulletins.bulletin_render). Running it twice does nothing more.

    A version another worker is rendering is left to it. If that worker died (the version left "rendering"),
    the beat's ``bulletins_resume`` queues the version again once the claim is stale. The task never waits with
    a countdown: a message held past the broker's visibility timeout would be delivered a second time."""
    bulletin = render(bulletin_id=bulletin_id)
    return bulletin.status if bulletin is not None else None


def bulletins_queue(bulletin_ids) -> int:
    """Hand versions to the workers for rendering. Never raises when the broker is unreachable: the versions stay
    pending and ``bulletins_resume`` queues them once it answers again. Returns how many were queued."""
    return jobs_hand_over(bulletin_render, bulletin_ids, what="bulletin versions")


@shared_task(acks_late=True)
def bulletins_resume() -> list[int]:
    """The beat's periodic look for renders left behind (see reviews.bulletins.bulletins_to_resume)."""
    resumed = bulletins_to_resume()
    for bulletin_id in resumed:
        logger.warning("bulletin %s left behind: queued again", bulletin_id)
    bulletins_queue(resumed)
    return resumed


@shared_task(acks_late=True)
def public_pages_warm(cycle_id: int) -> int:
    """Render the statistics and the year's results into the cache after the cycle was published or reopened
    (reviews.public_pages.public_pages_warm). Returns how many bodies were kept. A failure is logged, never raised:
    it leaves the work to the first visitor, and must not fail the publication that queued it (run eagerly
    without a broker)."""
    try:
        return len(warm(cycle_id=cycle_id))
    except Exception:
        logger.exception("the public pages of cycle %s were not warmed: the first visit renders them", cycle_id)
        return 0


def public_pages_queue(cycle_id: int) -> int:
    """Hand the warming of a cycle's public pages to the workers. Never raises when the broker is unreachable:
    then the first visit renders them. Returns how many were queued (0 or 1)."""
    return jobs_hand_over(public_pages_warm, [cycle_id], what="cycles whose public pages were not warmed")


# Registered under the name it had when the nominations app wrote this letter, so that a message already queued
# under that name is still run.
@shared_task(name="nominations.tasks.list_returned_notify", **RETRYING)
def list_returned_notify(list_id: int) -> list[int]:
    """Record (if not yet recorded) and send the message telling the bureau its list was returned."""
    messages = returned_notify(list_id=list_id)
    outbox_queue([m.pk for m in messages if m.status == m.Status.PENDING])
    return [m.pk for m in messages]


@shared_task(acks_late=True)
def personal_data_purge() -> dict:
    """The beat's nightly removal of objectors' personal data past its retention period
    (reviews.services.retention.personal_data_purge). Running it twice removes nothing more."""
    from .services.retention import personal_data_purge as purge

    report = purge()
    return {"objections": report.objections, "letters": report.letters, "cycles": sorted(report.cycles)}
