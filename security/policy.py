"""What a signed-in session must still do before it reaches the application, and when it ends.

Everything a request needs is computed once, at sign-in (``start_session``), and kept in the session, so the
middleware adds no query to a page: the moment of the sign-in and of the last request (idle and absolute
timeouts), whether the second factor is still to be given or enrolled, and when the password falls due."""

import time

from django.conf import settings
from django.utils import timezone
from django_otp import user_has_device

from organisation import roles

SIGNED_IN_AT = "security.signed_in_at"
LAST_SEEN = "security.last_seen"
OTP_STEP = "security.otp_step"  # "verify" (a device is enrolled) or "enrol" (the role requires one)
PASSWORD_DUE = "security.password_due"  # epoch seconds
MUST_CHANGE = "security.must_change"
VERIFY, ENROL = "verify", "enrol"
# The identity provider asserted a second factor at this session's sign-in (security.sign_on): no local step.
PROVIDER_SECOND_FACTOR = "security.provider_second_factor"
# Set on the request by security.sign_on's backend when the person signed in through the identity provider.
SIGN_ON_ATTRIBUTE = "_security_sign_on"


def otp_required_for(user) -> bool:
    """Reviewers and the three administrators (and superusers) need a second factor; clerks when
    ``OTP_REQUIRED_FOR_CLERKS`` is on. Nobody while ``OTP_REQUIRED`` is off (the embedded demo)."""
    if not settings.OTP_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or roles.is_reviewer(user) or roles.administrator_roles_of(user):
        return True
    return settings.OTP_REQUIRED_FOR_CLERKS


def password_changed_at(user):
    from .models import AccountSecurity

    state = AccountSecurity.objects.filter(user_id=user.pk).first()
    return (state.password_changed_at if state else user.date_joined), bool(state and state.must_change_password)


def start_session(request, user) -> None:
    """Called at every sign-in (``user_logged_in``)."""
    session = request.session
    now = time.time()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    sign_on = getattr(request, SIGN_ON_ATTRIBUTE, None) or {}
    session.pop(PROVIDER_SECOND_FACTOR, None)
    if sign_on.get("second_factor"):
        session[PROVIDER_SECOND_FACTOR] = True
        session.pop(OTP_STEP, None)
    elif user_has_device(user, confirmed=True):
        session[OTP_STEP] = VERIFY
    elif otp_required_for(user):
        session[OTP_STEP] = ENROL
    else:
        session.pop(OTP_STEP, None)
    changed_at, must_change = password_changed_at(user)
    session[PASSWORD_DUE] = changed_at.timestamp() + settings.PASSWORD_MAX_AGE_DAYS * 24 * 60 * 60
    session[MUST_CHANGE] = must_change


def password_refreshed(request) -> None:
    """The person changed their own password in this session: nothing is due any more."""
    request.session[MUST_CHANGE] = False
    request.session[PASSWORD_DUE] = timezone.now().timestamp() + settings.PASSWORD_MAX_AGE_DAYS * 24 * 60 * 60


def second_factor_given(request) -> None:
    request.session.pop(OTP_STEP, None)


def otp_step(request) -> str | None:
    """What the session still owes: ``VERIFY``, ``ENROL`` or None."""
    user = request.user
    if user.is_verified() or request.session.get(PROVIDER_SECOND_FACTOR):
        return None
    step = request.session.get(OTP_STEP)
    if step == VERIFY:
        return VERIFY
    if step == ENROL or otp_required_for(user):  # also a role given after the sign-in
        return ENROL
    return None


def password_step(request) -> str | None:
    session = request.session
    if session.get(MUST_CHANGE):
        return "must_change"
    due = session.get(PASSWORD_DUE)
    if due is not None and time.time() >= due:
        return "expired"
    return None
