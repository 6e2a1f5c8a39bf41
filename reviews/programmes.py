"""Which programme a review or public page is about.

Public pages: ``/results/…`` are the default programme's, ``/results/p/<code>/…`` another programme's.
Review pages: a reviewer of several programmes switches with ``?programme=<code>`` on any review page; the choice
is kept in the session for the pages after it. A code that is not one of the person's programmes answers 404.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

SESSION_KEY = "review_programme"


def results_path(name: str, programme=None, *args) -> str:
    """The path of a public results page (``results:<name>``) of ``programme`` (the default one when None)."""
    if programme is None or programme.is_default:
        return reverse(f"results:{name}", args=args)
    return reverse(f"programme_results:{name}", args=[programme.code, *args])


def public_programme_q(code: str | None, prefix: str = "programme") -> Q:
    """Rows of the programme with this code, or of the default programme: a filter, no query of its own."""
    if code:
        return Q(**{f"{prefix}__code": code})
    return Q(**{f"{prefix}__is_default": True})


def review_programme_code(request) -> tuple[str | None, bool]:
    """The programme code a review page asks for: ``?programme=`` (remembered in the session), else the one the
    session remembers. Returns (code, explicit): an explicit code that is not the person's answers 404; a
    remembered one that no longer fits is dropped."""
    code = request.GET.get("programme")
    if code:
        request.session[SESSION_KEY] = code
        return code, True
    return request.session.get(SESSION_KEY), False


def with_programme(url: str, programme) -> str:
    """``url`` with ``?programme=<code>`` when the programme is not the default one."""
    if programme is None or programme.is_default:
        return url
    return f"{url}{'&' if '?' in url else '?'}programme={programme.code}"
