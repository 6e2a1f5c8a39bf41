"""The embedded default's scheduler: runs the reminder sweep every minute, with no broker and no beat.

``./run.sh`` starts it beside ``runserver``; it stops when that parent process goes away. Production uses
Celery beat instead (``celery -A incentives beat``) with the same task and ``CELERY_BEAT_SCHEDULE``. Running both
is harmless: every message is recorded under a unique key and claimed before it is sent.
"""

import logging
import os
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from nominations.tasks import reminders_sweep


class Command(BaseCommand):
    help = "Run the reminder sweep every --interval seconds (embedded default without Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60, help="seconds between sweeps (default 60)")
        parser.add_argument("--once", action="store_true", help="run one sweep and stop")

    def handle(self, *args, interval=60, once=False, **options):
        parent = os.getppid()
        stopping = []
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # no "Task … succeeded" every minute
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(f"Reminder scheduler: a sweep every {interval} s (pid {os.getpid()})")
        try:
            self._loop(interval, once, parent, stopping)
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _loop(self, interval, once, parent, stopping):
        while not stopping:
            try:
                outcome = reminders_sweep.apply().get()  # in-process, as the worker would run it
                if outcome.get("recorded") or outcome.get("queued"):
                    self.stdout.write(f"Reminder sweep: {outcome}")
            except Exception as error:  # noqa: BLE001 - a failed sweep is logged; the next one tries again
                self.stderr.write(f"Reminder sweep failed: {error}")
            if once:
                break
            close_old_connections()  # a long-lived process: never keep a broken or stale connection
            for _ in range(interval):
                if stopping or os.getppid() != parent:  # the server went away: stop with it
                    return
                time.sleep(1)
