"""Request ids through the web process and the Celery worker, and the access log.

Every request gets an id (the proxy's ``X-Request-ID`` when it is a sane one, else a new one), answered in the
``X-Request-ID`` header and written on every log line of the request. A task queued during the request carries
the id in its message headers, so the worker's log lines of that task carry it too.
"""

import logging
import re
import time
import uuid

from celery import signals

from .client import client_address
from .logging_json import client_address_var, request_id_var, request_path_var

access_logger = logging.getLogger("incentives.access")
REQUEST_ID_HEADER = "request_id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# One-time tokens of invitation and password-reset links never reach the logs.
_TOKEN_IN_PATH = re.compile(r"^(/accounts/(?:invitation|reset)/[^/]+/)[^/]+/")


def loggable_path(path: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1…/", path)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id and the client's address (read behind ``NUM_PROXIES`` proxies) for the request's log
    lines, and writes one access-log line per request: method, path, status, duration, client, request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else new_request_id()
        request.request_id = request_id
        address = client_address(request)
        id_token = request_id_var.set(request_id)
        client_token = client_address_var.set(address)
        path_token = request_path_var.set(request.path)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response.headers["X-Request-ID"] = request_id
            path = loggable_path(request.path)
            access_logger.info("%s %s %s", request.method, path, response.status_code, extra={
                "method": request.method, "path": path, "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_agent": request.headers.get("User-Agent", "")[:200]})
            return response
        finally:
            request_id_var.reset(id_token)
            client_address_var.reset(client_token)
            request_path_var.reset(path_token)


@signals.before_task_publish.connect
def _request_id_into_headers(headers=None, **kwargs):
    """A task queued during a request (or during another task) carries its request id."""
    if headers is not None and request_id_var.get() and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id_var.get()


_task_tokens: dict[str, object] = {}


@signals.task_prerun.connect
def _request_id_from_headers(task_id=None, task=None, **kwargs):
    inherited = getattr(task.request, REQUEST_ID_HEADER, None) or (task.request.headers or {}).get(REQUEST_ID_HEADER)
    if task.request.is_eager and request_id_var.get():
        return  # run in-process: the caller's id is already set
    _task_tokens[task_id] = request_id_var.set(inherited or f"task-{task_id}")


@signals.task_postrun.connect
def _request_id_reset(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
