"""Login throttling: repeated failures for one account or from one address lock further attempts for a while.

Counters live in the cache (Redis in production, so every worker shares them) and expire with the window.
The address limit is separate and higher by default: a bureau's staff often share one office address, and a
few mistyped passwords there must not lock the whole bureau out.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from incentives.client import client_address

__all__ = ["client_address"]  # the sign-in throttle counts per client address


def _user_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:user:{digest}"


def _address_key(address: str) -> str:
    return f"login-fail:addr:{address}"


def _limits(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_user_key(username), settings.LOGIN_FAILURE_LIMIT),
        (_address_key(address), settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


def login_locked(username: str, address: str) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _limits(username, address))


def login_failed(username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _limits(username, address):
        cache.add(key, 0, window)  # starts the window at the first failure; incr keeps its expiry
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


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
        (f"reset:mail:{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]}",
         getattr(settings, "PASSWORD_RESET_MAIL_LIMIT", 3)),
        (f"reset:addr:{address}", getattr(settings, "PASSWORD_RESET_ADDRESS_LIMIT", 20)),
    ]
    if any((cache.get(key) or 0) >= limit for key, limit in limits):
        return False
    for key, _limit in limits:
        cache.add(key, 0, RESET_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, RESET_WINDOW_SECONDS)
    return True


# Objections to a public notice (anyone, no login): a few per client address within the hour.
OBJECTION_WINDOW_SECONDS = 60 * 60


def objection_allowed(address: str) -> bool:
    """Count one objection attempt from ``address``; False once ``OBJECTION_ADDRESS_LIMIT`` (10 by default) were
    made within the hour."""
    key = f"objection:addr:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    limit = getattr(settings, "OBJECTION_ADDRESS_LIMIT", 10)
    if (cache.get(key) or 0) >= limit:
        return False
    cache.add(key, 0, OBJECTION_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, OBJECTION_WINDOW_SECONDS)
    return True
