"""Invitations: an account created by an administrator or an import has no password; its owner receives a
one-time link to choose one.

Django's password reset cannot do this: its form sends nothing to an account without a usable password. The link
is mailed through the outbox (``organisation.outbox``), like every other message. It is signed by
``InvitationTokenGenerator`` (its own salt, valid ``INVITATION_TIMEOUT`` seconds) over the account's
password field, so it stops working once a password is set: it works once.
"""

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incentives.errors import DomainError, PermissionDeniedError

from . import roles
from .audit import AuditAction, audit_record, audit_trail_for
from .outbox import Letter, outbox_record
from .tasks import outbox_queue

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "incentives.invitations.InvitationTokenGenerator"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
                   for secret in [self.secret, *self.secret_fallbacks]):
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.INVITATION_TIMEOUT


invitation_token_generator = InvitationTokenGenerator()


def invitation_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    return settings.SITE_URL + reverse("invitation_accept", kwargs={"uidb64": uid, "token": token})


# --- Services ------------------------------------------------------------------------------------------------

def account_invite(*, actor, user) -> None:
    """Invite ``user`` to set their password: the e-mail is recorded in the outbox in the same transaction as the
    audit record and sent once the transaction commits (later, by the sweep, if the broker is down).

    ``actor`` is the administrator who created the account (the admin's add form, an import), or None for the
    system. Refused for an inactive account, one without an e-mail address, or one that already has a password
    (its owner uses "forgot password")."""
    if actor is not None and not (roles.is_administrator(actor) or roles.is_security_administrator(actor)):
        raise PermissionDeniedError(_("Only administrators can invite people."))
    if not user.is_active:
        raise DomainError(_("%(name)s's account is disabled: enable it before inviting.") % {"name": user.username})
    if not user.email:
        raise DomainError(_("%(name)s has no e-mail address: the invitation cannot be sent.") % {"name": user.username},
                          field="email")
    if user.has_usable_password():
        raise DomainError(_("%(name)s already has a password: they can reset it with “Forgotten your password?”.")
                          % {"name": user.username})
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.INVITED, target=user, data={"email": user.email})
        recorded, _already = outbox_record([invitation_letter(user)])
        pending = [m.pk for m in recorded if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))


def invitation_letter(user) -> Letter:
    """The invitation's e-mail. One per invitation: the key counts the account's invitations in the audit trail.

    It goes to the address only (no in-app notification: the person cannot sign in yet); its text, which
    carries the one-time link, is erased from the outbox once it is sent (``outbox.ERASED_AFTER_SENDING``)."""
    occurrence = audit_trail_for(user).filter(action=AuditAction.INVITED).count()
    with translation.override(settings.LANGUAGE_CODE):
        context = {"user": user, "link": invitation_link(user), "site_url": settings.SITE_URL,
                   "days": max(1, settings.INVITATION_TIMEOUT // 86400)}
        subject = "".join(render_to_string("registration/invitation_subject.txt", context).splitlines())
        body = render_to_string("registration/invitation_email.txt", context)
    return Letter(key=f"invitation:user{user.pk}:{occurrence}", kind="invitation", recipient=None, email=user.email,
                  subject=subject, body_text=body)


def invitation_accept(*, user, password: str) -> None:
    """The invited person chose their password (already checked by the password validators of the form)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=user, action=AuditAction.INVITATION_ACCEPTED, target=user)


# --- View ----------------------------------------------------------------------------------------------------

class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation's link: choose a password. Django's reset-confirm view, with the invitation's tokens."""

    token_generator = invitation_token_generator
    reset_url_token = "set-password"
    title = gettext_lazy("Choose your password")
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        invitation_accept(user=form.user, password=form.cleaned_data["new_password1"])
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())
