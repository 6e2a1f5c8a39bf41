"""Signs of life the web process can read cheaply at a scrape (``/metrics``), kept in the broker's Redis.

* The beat: every tick (at least once a minute) writes its time under ``BEAT_KEY`` (besides its heartbeat file,
  which only a process on the same host can read).
* The workers: each worker's main process writes its name and the time into the sorted set ``WORKERS_KEY`` every
  ``WORKER_BEACON_SECONDS`` (a bootstep on the worker's timer, registered in ``incentives.celery``); a worker
  counts as live while its last beacon is younger than ``WORKER_BEACON_MAX_AGE``. A dead or stuck worker stops
  writing. Reading it is one ZCOUNT: bounded by the client's timeouts, unlike ``celery inspect ping``, which waits
  for every worker's reply.

Every call gives up after ``TIMEOUT_SECONDS`` when Redis does not answer; none raises.
"""

import logging
import time

import redis
from celery import bootsteps
from django.conf import settings

logger = logging.getLogger(__name__)

BEAT_KEY = "incentives:liveness:beat"
WORKERS_KEY = "incentives:liveness:workers"
WORKER_BEACON_SECONDS = 30
WORKER_BEACON_MAX_AGE = 90
TIMEOUT_SECONDS = 2

_clients: dict[str, redis.Redis] = {}


def broker_redis() -> redis.Redis | None:
    """A client of the broker's Redis, or None when the broker is not Redis (or there is none)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS,
                                                      socket_timeout=TIMEOUT_SECONDS)
    return client


def beat_heartbeat_publish(now: float | None = None) -> None:
    client = broker_redis()
    if client is None:
        return
    try:
        client.set(BEAT_KEY, f"{time.time() if now is None else now:.0f}")
    except redis.RedisError as error:
        logger.warning("the beat could not write its heartbeat into the broker (%s)", type(error).__name__)


def beat_last_tick(client: redis.Redis) -> float | None:
    """The time of the beat's last tick, or None when it never ticked. Raises ``redis.RedisError``."""
    value = client.get(BEAT_KEY)
    return float(value) if value else None


def worker_beacon(hostname: str, now: float | None = None) -> None:
    client = broker_redis()
    if client is None:
        return
    now = time.time() if now is None else now
    try:
        with client.pipeline() as pipe:
            pipe.zadd(WORKERS_KEY, {hostname: now})
            pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - 10 * WORKER_BEACON_MAX_AGE)  # long-gone workers
            pipe.execute()
    except redis.RedisError as error:
        logger.warning("worker %s could not write its beacon into the broker (%s)", hostname, type(error).__name__)


def worker_forget(hostname: str) -> None:
    client = broker_redis()
    if client is None:
        return
    try:
        client.zrem(WORKERS_KEY, hostname)
    except redis.RedisError:
        pass


def live_workers(client: redis.Redis, now: float | None = None) -> int:
    """Workers whose last beacon is younger than ``WORKER_BEACON_MAX_AGE``. Raises ``redis.RedisError``."""
    now = time.time() if now is None else now
    return int(client.zcount(WORKERS_KEY, now - WORKER_BEACON_MAX_AGE, "+inf"))


class WorkerBeacon(bootsteps.StartStopStep):
    """Writes the worker's beacon at start, then every ``WORKER_BEACON_SECONDS`` on the worker's own timer (so a
    worker whose main loop is stuck stops writing); removes it at a clean stop."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        worker_beacon(worker.hostname)
        self.timer_entry = worker.timer.call_repeatedly(WORKER_BEACON_SECONDS, worker_beacon, (worker.hostname,),
                                                        priority=10)

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        worker_forget(worker.hostname)
