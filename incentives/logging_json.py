"""Log records as JSON lines (or plain text), in Beijing time, carrying the request id.

Importable without Django (gunicorn's own logging uses it through ``deploy/gunicorn.conf.py``). The request id
lives in a context variable: the web middleware sets it for a request (``incentives.observability``), a Celery
task inherits it from the message headers of whoever queued it.
"""

import contextvars
import datetime
import logging
import zoneinfo

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_address_var: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="")
# The path of the request being answered: error reports leave out the probes' (incentives.error_reports).
request_path_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_path", default="")

# Every timestamp of the application's logs: Beijing time with its offset, e.g. 2027-03-24T09:00:00.123+08:00.
LOG_TIME_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


def log_time(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, tz=LOG_TIME_ZONE)
    return moment.isoformat(timespec="milliseconds")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` and ``client`` (the client's address behind the proxy) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        if not getattr(record, "client", ""):
            record.client = client_address_var.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, client, and any ``extra`` fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*_RESERVED, "request", "server_time"])
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record["time"] = log_time(record)
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record.setdefault("request_id", getattr(record, "request_id", "") or request_id_var.get())
        log_record.setdefault("client", getattr(record, "client", "") or client_address_var.get())


class TextFormatter(logging.Formatter):
    """Plain lines for development: time (Beijing), level, logger, request id, message."""

    def __init__(self, *args, **kwargs):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's API
        return log_time(record)

    def format(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return super().format(record)


_RESERVED = [
    "args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName", "levelno", "lineno", "module",
    "msecs", "msg", "name", "pathname", "process", "processName", "relativeCreated", "stack_info", "thread",
    "threadName", "taskName", "levelname",
]
