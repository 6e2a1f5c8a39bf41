"""Throttles: sign-in failures (repeated failures for one account or from one address lock further attempts for a
while), password-reset mails, and public objections. Each counts through the same two functions, ``hit`` and
``reached``.

Counters live in the cache (Redis in production, so every worker shares them) and expire with the window.
The address limit is separate and higher by default: a bureau's staff often share one office address, and a
few mistyped passwords there must not lock the whole bureau out.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from incentives.client import client_address

__all__ = ["client_address"]  # the sign-in throttle counts per client address


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def reached(limits: list[tuple[str, int]]) -> bool:
    """Whether any counter of ``limits`` (cache key, limit) has reached its limit."""
    return any((cache.get(key) or 0) >= limit for key, limit in limits)


def hit(keys, window: int) -> None:
    """Count one event on each key. A counter's window starts at its first event (``add``); ``incr`` keeps the
    expiry, so the window does not slide."""
    for key in keys:
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def _user_key(username: str) -> str:
    return f"login-fail:user:{_digest(username.strip().lower())}"


def _address_key(address: str) -> str:
    return f"login-fail:addr:{address}"


def _limits(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_user_key(username), settings.LOGIN_FAILURE_LIMIT),
        (_address_key(address), settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


def login_locked(username: str, address: str) -> bool:
    return reached(_limits(username, address))


def login_failed(username: str, address: str) -> None:
    hit([key for key, _limit in _limits(username, address)], settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_succeeded(username: str, address: str) -> None:
    # Only the account's counter: failures of other people from the same address still count.
    cache.delete(_user_key(username))


def account_unlocked(username: str) -> None:
    """The owner proved they hold the account another way (a completed password reset): its lock is lifted.
    The address's counter stays: it counts everybody's failures from there."""
    cache.delete(_user_key(username))


# Password-reset mails: a few per address asked for, and per client, within the hour. Past that the page answers
# exactly as usual (nothing tells whether an account exists) but no mail goes out, so the form cannot be used to
# flood someone's mailbox.
RESET_WINDOW_SECONDS = 60 * 60


def password_reset_allowed(email: str, address: str) -> bool:
    limits = [
        (f"reset:mail:{_digest(email.strip().lower())}", getattr(settings, "PASSWORD_RESET_MAIL_LIMIT", 3)),
        (f"reset:addr:{address}", getattr(settings, "PASSWORD_RESET_ADDRESS_LIMIT", 20)),
    ]
    if reached(limits):
        return False
    hit([key for key, _limit in limits], RESET_WINDOW_SECONDS)
    return True


# Objections to a public notice (anyone, no login): a few per client address within the hour.
OBJECTION_WINDOW_SECONDS = 60 * 60


def objection_allowed(address: str) -> bool:
    """Count one objection attempt from ``address``; False once ``OBJECTION_ADDRESS_LIMIT`` (10 by default) were
    made within the hour."""
    key = f"objection:addr:{_digest(address)}"
    if reached([(key, getattr(settings, "OBJECTION_ADDRESS_LIMIT", 10))]):
        return False
    hit([key], OBJECTION_WINDOW_SECONDS)
    return True


def objection_lookup_allowed(address: str) -> bool:
    """Count one look-up of an objection by receipt from ``address``; False once ``OBJECTION_ADDRESS_LIMIT`` were
    made within the hour (as the objection form: a receipt and a contact cannot be guessed by trying many)."""
    key = f"objection-lookup:addr:{_digest(address)}"
    if reached([(key, getattr(settings, "OBJECTION_ADDRESS_LIMIT", 10))]):
        return False
    hit([key], OBJECTION_WINDOW_SECONDS)
    return True
