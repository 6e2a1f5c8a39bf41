"""Session timeouts and the steps a signed-in session owes before it reaches the application."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from organisation import roles
from organisation.audit import AuditAction, audit_record

from . import context, policy
from .signals import EXPIRED_FLAG

# How often the time of the last request is written to the session: a write every request would cost a
# database UPDATE per page; the idle timeout is then exact to within this many seconds.
LAST_SEEN_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    """Ends a session idle for ``SESSION_IDLE_TIMEOUT_SECONDS``, and any session ``SESSION_COOKIE_AGE`` seconds
    after its sign-in (Django's own expiry moves forward whenever the session is saved)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response = self._check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = time.time()
        signed_in = session.get(policy.SIGNED_IN_AT)
        last_seen = session.get(policy.LAST_SEEN)
        if signed_in is None or last_seen is None:  # a session older than these controls
            session[policy.SIGNED_IN_AT] = signed_in or now
            session[policy.LAST_SEEN] = now
            return None
        reason = None
        if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            reason = "idle"
        elif now - signed_in > settings.SESSION_COOKIE_AGE:
            reason = "absolute"
        if reason is None:
            if now - last_seen >= min(LAST_SEEN_RESOLUTION_SECONDS, settings.SESSION_IDLE_TIMEOUT_SECONDS / 10):
                session[policy.LAST_SEEN] = now
            return None
        setattr(request, EXPIRED_FLAG, reason)
        logout(request)
        messages.info(request, _("Your session has ended after a time without activity. Please sign in again.")
                      if reason == "idle" else _("Your session has ended. Please sign in again."))
        return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")


# Pages a session may open while it still owes a step.
ALWAYS_OPEN = {"logout", "set_language", "health", "admin:logout"}
OPEN_FOR = {
    policy.VERIFY: ALWAYS_OPEN | {"security:otp_verify"},
    policy.ENROL: ALWAYS_OPEN | {"security:otp_setup"},
    "password": ALWAYS_OPEN | {"password_change", "password_change_done"},
}
# The superuser exists only to create the first administrators: in the admin, accounts and nothing else.
BOOTSTRAP_OPEN = ALWAYS_OPEN | {"admin:index", "admin:auth_user_changelist", "admin:auth_user_add",
                                "admin:auth_user_change", "admin:auth_user_password_change", "admin:jsi18n",
                                "admin:autocomplete", "password_change", "password_change_done",
                                "security:otp_setup", "security:otp_verify", "home"}


class AccountGateMiddleware:
    """Sends a signed-in session that still owes its second factor (verify or enrol) or a new password to the page
    where it gives it; keeps the bare superuser to the accounts; makes the request known to audit handlers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.set_request(request)
        try:
            return self.get_response(request)
        finally:
            context.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        step = policy.otp_step(request)
        if step is not None:
            if name in OPEN_FOR[step]:
                return None
            target = "security:otp_verify" if step == policy.VERIFY else "security:otp_setup"
            return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        step = policy.password_step(request)
        if step is not None and name not in OPEN_FOR["password"]:
            messages.warning(request, _("Your password was set by an administrator: choose your own before you go on.")
                             if step == "must_change"
                             else _("Your password is older than %(days)d days: choose a new one before you go on.")
                             % {"days": settings.PASSWORD_MAX_AGE_DAYS})
            return HttpResponseRedirect(reverse("password_change"))
        if user.is_superuser:
            if not roles.administrator_roles_of(user):
                if all_administrators_exist():
                    logout(request)
                    messages.error(request, _("The superuser served to create the system, security and audit "
                                              "administrators; they exist now. Sign in with your own account."))
                    return HttpResponseRedirect(reverse(settings.LOGIN_URL))
                if name not in BOOTSTRAP_OPEN:
                    return HttpResponseForbidden(render_to_string("security/bootstrap_only.html", request=request))
            if request.method not in SAFE_METHODS and name not in ALWAYS_OPEN:
                superuser_used(request, name)
        return None


SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def superuser_used(request, view_name: str) -> None:
    """Every change a superuser sends is recorded before it is made (what it changes is recorded too, by the
    service or the signal that makes it): the account is for the first start only."""
    user = request.user
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.SUPERUSER_USED, target=user,
                     data={"path": request.path[:300], "view": view_name, "method": request.method})


def all_administrators_exist() -> bool:
    """Each of the three administrator roles has an active holder."""
    held = set(Group.objects.filter(name__in=roles.ADMINISTRATOR_ROLES, user__is_active=True)
               .values_list("name", flat=True).distinct())
    return held >= set(roles.ADMINISTRATOR_ROLES)
