"""Handing work to the Celery workers without ever failing the request that caused it.

Every piece of work a state change causes (an e-mail, a bulletin render) is first a row written in the change's
own transaction (the outbox, the bulletin version); queueing its task is only a hint that lets a worker start at
once. When the broker does not answer, ``jobs_hand_over`` logs the rows' ids and returns: the rows stay pending
and the periodic sweeps (``organisation.tasks.outbox_sweep``, ``reviews.tasks.bulletins_resume``) hand them over
once the broker is back. The person who acted sees their action succeed.

The first refused publish stops the hand-over of the rest: with the broker down, trying each of fifty messages
would keep the request waiting fifty connection timeouts for nothing.
"""

import logging
import socket

from kombu.exceptions import KombuError
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What a publish raises when the broker is unreachable, refuses the connection or times out.
BROKER_ERRORS = (KombuOperationalError, KombuError, RedisConnectionError, RedisTimeoutError, socket.timeout, OSError)


def jobs_hand_over(task, ids, *, what: str) -> int:
    """Queue ``task(id)`` for each id; returns how many were queued. Never raises a broker error.

    ``what`` names the rows in the log line (e.g. "outbox messages"), which lists the ids left for the sweep."""
    ids = list(ids)
    for index, row_id in enumerate(ids):
        try:
            task.apply_async(args=[row_id], retry=False)
        except BROKER_ERRORS as error:
            left = ids[index:]
            logger.warning("broker unreachable (%s: %s): %s %s left pending for the periodic sweep",
                           type(error).__name__, error, what, left,
                           extra={"pending_ids": left, "task": task.name, "dependency": "broker"})
            return index
    return len(ids)
