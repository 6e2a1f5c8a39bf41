"""The tokens' state changes (created, revoked by their owner) and the record of each call made with one.

Each function takes keyword arguments, checks who acts, writes in one transaction with its audit record."""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from organisation import access
from organisation.audit import AuditAction, audit_record

from .models import ApiToken, Scope, token_digest

TOKEN_PREFIX = "gzi_"  # says what the secret is when it turns up in a log or a repository


def token_create(*, actor, name: str, scopes, days: int) -> tuple[ApiToken, str]:
    """A new token of ``actor``'s own, valid ``days`` days (at most ``API_TOKEN_MAX_DAYS``) with ``scopes``.
    Returns the token and its secret, which is shown once and never stored."""
    if not (actor is not None and actor.is_authenticated and actor.is_active):
        raise access.NotYours
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_("Name the token (what it is for), in at most 100 characters."), field="name")
    scopes = sorted(set(scopes or ()))
    if not scopes or not set(scopes) <= set(Scope.values):
        raise DomainError(_("Choose at least one scope."), field="scopes")
    if not isinstance(days, int) or not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(_("A token lives from 1 to %(max)s days.") % {"max": settings.API_TOKEN_MAX_DAYS},
                          field="days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(user=actor, name=name, prefix=secret[:12], digest=token_digest(secret),
                                        scopes=scopes, created_at=now, expires_at=now + datetime.timedelta(days=days))
        audit_record(actor=actor, action=AuditAction.API_TOKEN_CREATED, target=token, message=name,
                     data={"prefix": token.prefix, "scopes": scopes, "expires_at": token.expires_at.isoformat()})
    return token, secret


def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """The owner revokes their token: every call with it is refused from now on."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        access.require(actor, "revoke", locked)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.API_TOKEN_REVOKED, target=locked, message=locked.name,
                     data={"prefix": locked.prefix})
    return locked


def token_for_secret(secret: str) -> ApiToken | None:
    """The live token whose secret this is (with its owner), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
    if token is None or not token.is_live or not token.user.is_active:
        return None
    return token


def api_call_record(*, actor, token: ApiToken, method: str, path: str, status: int) -> None:
    """Every call made with a token is recorded: who, with which token, what, and how it was answered."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        audit_record(actor=actor, action=AuditAction.API_CALLED, target=token, message=f"{method} {path}"[:300],
                     data={"prefix": token.prefix, "method": method, "path": path[:300], "status": status})
