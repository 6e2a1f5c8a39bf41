"""The request being answered, for audit records written by signal handlers (role changes made in the admin,
for instance), which are not handed the request. Set by ``middleware.AccountGateMiddleware``."""

import contextvars

from organisation.throttle import client_address

_request = contextvars.ContextVar("security_request", default=None)


def set_request(request):
    return _request.set(request)


def reset(token) -> None:
    _request.reset(token)


def current_actor():
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if (user is not None and user.is_authenticated) else None


def current_address() -> str:
    request = _request.get()
    return client_address(request) if request is not None else ""
