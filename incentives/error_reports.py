"""Error reports to ADMINS by mail, off the request path and throttled.

Django's ``AdminEmailHandler`` sends its mail in the thread that logged the error: every 5xx of an outage adds an
SMTP conversation to the 503 it answers, and a mail server that hangs holds the request for ``EMAIL_TIMEOUT``
seconds. ``ThrottledAdminEmailHandler`` instead

* writes the report (subject and text, as Django's would) in the logging thread, then hands it to an in-process
  queue that one background thread (a ``logging.handlers.QueueListener``) empties by sending the mail: the
  request never waits for SMTP; a full queue (a mail server gone for long) drops the report and counts it;
* sends at most one report per ``ERROR_REPORT_INTERVAL`` seconds (60) for one kind of error: the key is the
  exception's type and the place it was raised (file and line), or, for a record without an exception (a 503
  page logged by ``django.request``), the logger, the message's template, the place it was logged and the status.
  The reports left out are counted, and the next report of that kind says "N more like this";
* never reports a record logged for a probe: ``/health/…`` and ``/metrics`` (``PROBE_PATHS``); a probe that
  answers 503 is the monitoring's business, not a mail's.

Why an in-process queue and not the e-mail outbox (``organisation.outbox``): the outbox is a database table, and
the errors that come in floods are the database's own outages; a report written there is lost (or fails again)
exactly when it matters. The queue needs nothing but the process and the mail server.

The throttle lives in each process: with several gunicorn workers, each sends at most one report per interval and
kind. At exit the process waits up to ``DRAIN_SECONDS`` for the reports still queued.
"""

import atexit
import logging
import logging.handlers
import os
import queue
import threading
import time
import traceback

from django.conf import settings
from django.core import mail
from django.utils.log import AdminEmailHandler

from .logging_json import request_path_var

PROBE_PATHS = ("/health", "/metrics")
QUEUE_SIZE = 100
DRAIN_SECONDS = 3


def is_probe_path(path: str) -> bool:
    return any(path == probe or path.startswith(probe + "/") for probe in PROBE_PATHS)


def record_path(record: logging.LogRecord) -> str:
    request = getattr(record, "request", None)
    path = getattr(request, "path", None)
    if isinstance(path, str):
        return path
    return getattr(record, "path", "") or request_path_var.get()


def error_key(record: logging.LogRecord) -> tuple:
    """What makes two records the same error: the exception's type and where it was raised, else where and what
    was logged (with the response's status for ``django.request``)."""
    if record.exc_info and record.exc_info[0] is not None:
        kind, error, trace = record.exc_info
        frames = traceback.extract_tb(trace) if trace is not None else []
        where = (frames[-1].filename, frames[-1].lineno) if frames else (record.pathname, record.lineno)
        return (f"{kind.__module__}.{kind.__qualname__}", *where)
    return (record.name, str(record.msg), record.pathname, record.lineno, getattr(record, "status_code", None))


class Throttle:
    """At most one report per ``interval`` seconds per key; counts the ones it holds back."""

    def __init__(self, interval: float, clock=time.monotonic):
        self.interval = interval
        self.clock = clock
        self.lock = threading.Lock()
        self.last_sent: dict[tuple, float] = {}
        self.suppressed: dict[tuple, int] = {}

    def admit(self, key: tuple) -> int | None:
        """None when the report is held back; else the number held back since the last one of its key."""
        now = self.clock()
        with self.lock:
            last = self.last_sent.get(key)
            if last is not None and now - last < self.interval:
                self.suppressed[key] = self.suppressed.get(key, 0) + 1
                return None
            self.last_sent[key] = now
            if len(self.last_sent) > 1000:  # forget the oldest keys: a bounded memory for a long-lived process
                for old in sorted(self.last_sent, key=self.last_sent.get)[:500]:
                    self.last_sent.pop(old, None)
                    self.suppressed.pop(old, None)
            return self.suppressed.pop(key, 0)


class _ReportWriter(AdminEmailHandler):
    """Django's report (subject and text), kept instead of sent."""

    def __init__(self):
        super().__init__()
        self.captured: dict[str, str] = {}

    def send_mail(self, subject, message, *args, **kwargs):
        self.captured.update(subject=subject, body=message)


class _MailSender(logging.Handler):
    """Runs in the listener's thread: sends the report prepared by ``ThrottledAdminEmailHandler``."""

    def emit(self, record):
        try:
            mail.mail_admins(record.report_subject, record.report_body, fail_silently=False)
        except Exception:  # noqa: BLE001 - a report that cannot be sent is written to the console, never raised
            logging.getLogger("incentives.error_reports").warning(
                "an error report could not be mailed: %s", record.report_subject, exc_info=True)


class ThrottledAdminEmailHandler(logging.handlers.QueueHandler):
    """``AdminEmailHandler``'s report, sent by a background thread, throttled, never for a probe."""

    def __init__(self, interval: float | None = None, clock=time.monotonic):
        super().__init__(queue.Queue(maxsize=QUEUE_SIZE))
        self.level = logging.ERROR
        self.throttle = Throttle(settings.ERROR_REPORT_INTERVAL if interval is None else interval, clock)
        self.dropped = 0
        self._listener: logging.handlers.QueueListener | None = None
        self._listener_pid: int | None = None
        self._start_lock = threading.Lock()

    # --- the logging thread ------------------------------------------------------------------------------------

    def emit(self, record):
        try:
            if not settings.ADMINS or is_probe_path(record_path(record)):
                return
            held_back = self.throttle.admit(error_key(record))
            if held_back is None:
                return
            record.report_held_back = held_back
            self._ensure_listener()
            self.enqueue(self.prepare(record))
        except Exception:  # noqa: BLE001
            self.handleError(record)

    def prepare(self, record):
        subject, body = self.report(record)
        prepared = logging.makeLogRecord({"name": record.name, "levelno": record.levelno,
                                          "levelname": record.levelname, "msg": subject})
        prepared.report_subject, prepared.report_body = subject, body
        return prepared

    def report(self, record) -> tuple[str, str]:
        """Subject and text as Django's ``AdminEmailHandler`` writes them, plus the count held back."""
        writer = _ReportWriter()
        writer.emit(record)
        subject, body = writer.captured.get("subject", record.getMessage()), writer.captured.get("body", "")
        held_back = getattr(record, "report_held_back", 0)
        if held_back:
            subject = f"{subject} ({held_back} more like this)"
            body = (f"{held_back} more like this in the last {self.throttle.interval:g} s were not mailed "
                    f"(at most one report per {self.throttle.interval:g} s for one error).\n\n{body}")
        return subject, body

    def enqueue(self, record):
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    # --- the sending thread ------------------------------------------------------------------------------------

    def _ensure_listener(self):
        if self._listener is not None and self._listener_pid == os.getpid():
            return
        with self._start_lock:
            if self._listener is not None and self._listener_pid == os.getpid():
                return
            # A forked process (a gunicorn worker) inherits the object, not the thread: a new one for it.
            self.queue = queue.Queue(maxsize=QUEUE_SIZE)
            listener = logging.handlers.QueueListener(self.queue, _MailSender())
            listener.start()
            self._listener, self._listener_pid = listener, os.getpid()
            atexit.register(self.drain)

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Waits up to ``timeout`` seconds for the queued reports to be sent; True when none is left."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.queue.unfinished_tasks
