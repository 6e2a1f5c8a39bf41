"""Celery beat's scheduler with a heartbeat: every tick rewrites ``BEAT_HEARTBEAT_FILE`` (at least once a minute,
``CELERY_BEAT_MAX_LOOP_INTERVAL``), so ``deploy/healthcheck.py beat`` sees a dead or stuck beat by the file's age,
and writes the time into the broker's Redis (``incentives.liveness``), where ``/metrics`` reads it."""

import logging
import os
import time
from pathlib import Path

from celery.beat import PersistentScheduler
from django.conf import settings

from .liveness import beat_heartbeat_publish

logger = logging.getLogger(__name__)


def beat_heartbeat_write(path: Path | None = None) -> None:
    path = Path(path or settings.BEAT_HEARTBEAT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(f"{time.time():.0f}\n")
    os.replace(temporary, path)


def beat_heartbeat_age(path: Path | None = None) -> float | None:
    """Seconds since the last heartbeat, or None when there was none."""
    path = Path(path or settings.BEAT_HEARTBEAT_FILE)
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None


class HeartbeatScheduler(PersistentScheduler):
    def tick(self, *args, **kwargs):
        try:
            beat_heartbeat_write()
        except OSError:
            logger.exception("beat could not write its heartbeat file %s", settings.BEAT_HEARTBEAT_FILE)
        beat_heartbeat_publish()
        return super().tick(*args, **kwargs)
