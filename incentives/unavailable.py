"""A clear page instead of a bare 500 when the database, the cache (Redis) or the broker is down.

Work queued for the broker never raises here (``incentives.jobs`` leaves its rows pending for the sweeps); a
broker error reaching a view anyway (a direct publish) is an outage like the others: 503, not 500.

Two layers: the middleware turns an outage raised by a view into a 503 page; ``server_error`` (the project's
``handler500``) does the same for an outage raised anywhere else (a middleware, the session save), and answers
every other uncaught error with a translated 500 page. Neither page touches the database or the cache.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .crypto import PersonalDataKeyError
from .logging_json import request_id_var

logger = logging.getLogger(__name__)

# A personal-data key missing from PERSONAL_DATA_KEYS (or wrong) is an outage too: the page cannot be shown until
# the operator puts the key back (deploy/README.md, Keys); the log names the key.
OUTAGES = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, ConnectionRefusedError,
           BrokerOperationalError, PersonalDataKeyError)
RETRY_AFTER_SECONDS = 60


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGES)


def outage_name(error: BaseException) -> str:
    if isinstance(error, BrokerOperationalError):
        return "broker"
    if isinstance(error, PersonalDataKeyError):
        return "personal data key"
    return "cache" if isinstance(error, RedisConnectionError | RedisTimeoutError | ConnectionRefusedError) else "database"


def _page(request, *, status: int, title: str, explanation: str) -> HttpResponse:
    body = loader.get_template("errors/unavailable.html").render({
        "title": title, "explanation": explanation, "language_code": translation.get_language(),
        "request_id": getattr(request, "request_id", "") or request_id_var.get(),
    })
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def unavailable_response(request, error: BaseException) -> HttpResponse:
    logger.warning("service unavailable: %s down (%s: %s)", outage_name(error), type(error).__name__, error,
                 extra={"dependency": outage_name(error), "path": request.path})
    if outage_name(error) == "broker":
        explanation = _("A part of the system (its task queue) does not answer at the moment.")
    elif outage_name(error) == "personal data key":
        explanation = _("The key that decrypts personal data is missing: tell the administrators of the system.")
    else:
        explanation = _("A part of the system (its database or its cache) does not answer at the moment.")
    return _page(request, status=503, title=_("The service is temporarily unavailable"), explanation=explanation)


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return unavailable_response(request, exception)
        return None


def server_error(request, *args, **kwargs):
    """handler500: called by Django inside the ``except`` of the uncaught exception, so ``sys.exc_info`` names it."""
    error = sys.exc_info()[1]
    if is_outage(error):
        return unavailable_response(request, error)
    return _page(request, status=500, title=_("Something went wrong"),
                 explanation=_("The system could not complete this request. The error has been reported."))
