"""Unified sign-on (统一身份认证): OpenID Connect against the province's identity provider, with mozilla-django-oidc.

* The person is found by the identity's issuer and subject (``iss`` and ``sub`` of the verified ID token), through an
  ``IdentityLink`` the security administrator made (``services.identity_link``). A name or an e-mail address the
  provider sends is never used to match. An identity without a link gets an account only when the security
  administrator's claim rules map it to one bureau (``services.identity_provision``: that bureau's staff, nothing
  more); otherwise it is refused and recorded.
* When the provider asserts a second factor (``amr`` naming one, RFC 8176, or an ``acr`` listed in
  ``OIDC_SECOND_FACTOR_ACR``), the local TOTP step is not asked again (``policy.start_session``); otherwise the
  session owes it as after a password.
* ``LOCAL_PASSWORDS=0`` turns local passwords off for everyone but the break-glass accounts
  (``BREAK_GLASS_USERNAMES``).

Every sign-in through the provider, every refusal, and every link and unlink is in the audit trail
(``security.signals`` and ``services``)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from organisation.audit import AuditAction, audit_record
from organisation.throttle import client_address

from . import policy, services
from .models import IdentityLink

# Set on the request by the backend for the ``user_logged_in`` handler (``security.signals``, ``policy``): how the
# person signed in, and whether the provider asserted a second factor.
SIGN_ON_ATTRIBUTE = policy.SIGN_ON_ATTRIBUTE

User = get_user_model()


class LocalPasswordBackend(ModelBackend):
    """Django's password backend; with ``LOCAL_PASSWORDS`` off, only the break-glass accounts may use it."""

    def user_can_authenticate(self, user):
        if not settings.LOCAL_PASSWORDS and user.get_username() not in settings.BREAK_GLASS_USERNAMES:
            return False
        return super().user_can_authenticate(user)


def second_factor_asserted(claims: dict) -> bool:
    """Whether the ID token says the provider checked a second factor."""
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    asserted = {str(method).lower() for method in amr} & {m.lower() for m in settings.OIDC_SECOND_FACTOR_AMR}
    acr = str(claims.get("acr") or "")
    return bool(asserted) or (bool(acr) and acr in settings.OIDC_SECOND_FACTOR_ACR)


def _refused(request, *, issuer: str, subject: str, reason: str) -> None:
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.OIDC_SIGN_IN_REFUSED, target=ContentType.objects.get_for_model(User),
                     data={"issuer": issuer, "subject": subject, "reason": reason,
                           "address": client_address(request) if request is not None else ""})


class IdentityProviderBackend(OIDCAuthenticationBackend):
    """The code flow of mozilla-django-oidc, ending in an ``IdentityLink`` rather than in an e-mail address."""

    def __init__(self, *args, **kwargs):
        # Django asks every backend at every password sign-in: with no provider configured, this one answers
        # nothing (the library's own set-up would refuse the empty settings).
        if settings.OIDC_ENABLED:
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = User

    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ENABLED or request is None or "code" not in request.GET:
            return None
        return super().authenticate(request, **kwargs)

    def get_or_create_user(self, access_token, id_token, payload):
        # The ID token is verified (signature by the provider's keys, nonce); its issuer and audience too, here.
        issuer, subject = str(payload.get("iss") or ""), str(payload.get("sub") or "")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if issuer != settings.OIDC_OP_ISSUER or settings.OIDC_RP_CLIENT_ID not in audiences or not subject:
            _refused(self.request, issuer=issuer, subject=subject, reason="issuer or audience")
            return None
        link = IdentityLink.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        if link is None:
            # The security administrator's rules may map its claims to a bureau: an account of that bureau's staff.
            user = services.identity_provision(issuer=issuer, subject=subject, claims=payload)
            if user is None:
                _refused(self.request, issuer=issuer, subject=subject, reason="not linked")
                return None
            link = IdentityLink.objects.select_related("user").get(issuer=issuer, subject=subject)
        elif not link.user.is_active:
            _refused(self.request, issuer=issuer, subject=subject, reason="account deactivated")
            return None
        IdentityLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
        setattr(self.request, SIGN_ON_ATTRIBUTE, {
            "issuer": issuer, "subject": subject, "second_factor": second_factor_asserted(payload),
            "amr": payload.get("amr") or [], "acr": payload.get("acr") or ""})
        return link.user

    def get_userinfo(self, access_token, id_token, payload):
        return payload  # the verified ID token is what the decision rests on; nothing else is asked

    def get_user(self, user_id):
        try:
            return User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None


def _enabled():
    if not settings.OIDC_ENABLED:
        raise Http404


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the identity provider (no page when no provider is configured)."""

    def dispatch(self, request, *args, **kwargs):
        _enabled()
        return super().dispatch(request, *args, **kwargs)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; a refusal returns to the sign-in page and says so."""

    def dispatch(self, request, *args, **kwargs):
        _enabled()
        return super().dispatch(request, *args, **kwargs)

    def login_failure(self):
        messages.error(self.request, _("The identity provider's sign-in was not accepted: your identity is not linked "
                                       "to an account here. Ask your security administrator to link it."))
        return HttpResponseRedirect(reverse(settings.LOGIN_URL))
