"""Who calls: a personal token (``Authorization: Bearer gzi_…``), or the person's own signed-in session (the
docs page in a browser, a page's script), which must pass the CSRF check and owe no second factor."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from security import policy

from . import services


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give one token after Bearer."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = services.token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked."))
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """The signed-in session, once its second factor is given (the page gate, security.middleware, sends a
    session that still owes one to give it; an API call owing it is not authenticated)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        if policy.otp_step(request._request) is not None or policy.password_step(request._request) is not None:
            return None
        return result
