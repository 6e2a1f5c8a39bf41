"""State changes of account security: roles (三员分立), passwords set by someone else, second factors.

Each function takes keyword arguments only, runs in one transaction, checks who may do it, validates, and writes
its audit record in that transaction."""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from incentives import params
from organisation import roles
from organisation.audit import AuditAction, audit_record
from organisation.services import membership_add

from .models import AccountSecurity, ClaimRule, IdentityLink

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


# --- roles -------------------------------------------------------------------------------------------------------

# --- passwords ----------------------------------------------------------------------------------------------------

@transaction.atomic
def password_set_by_other(*, actor, user) -> None:
    """An administrator set ``user``'s password: the person must change it at their next sign-in."""
    if not roles.is_security_administrator(actor):
        raise PermissionDenied(_("Only the security administrator sets other people's passwords."))
    if actor.pk == user.pk:
        return
    AccountSecurity.objects.update_or_create(user=user, defaults={"must_change_password": True})
    audit_record(actor=actor, action="account.password_set", target=user,
                 message="The person must change it at the next sign-in.")


@transaction.atomic
def password_changed_by_self(*, user) -> None:
    """The person chose a new password themselves (the history and its date are kept by the validator)."""
    AccountSecurity.objects.filter(user=user).update(must_change_password=False)


# --- second factor ------------------------------------------------------------------------------------------------

def totp_matches(key_hex: str, token: str) -> int | None:
    """Checks a code against a key not saved yet (enrolment), with django-otp's default tolerance of one step.
    Returns the time step the code belongs to (saved as the device's last one, so the code cannot be replayed)."""
    token = (token or "").strip().replace(" ", "")
    if params.int_from(token) is None or len(token) != 6:  # ASCII digits only: "²²²²²²" is no code
        return None
    try:
        totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    except ValueError:
        return None
    return totp.t() if totp.verify(int(token), tolerance=1) else None


@transaction.atomic
def enrol_totp(*, user, key_hex: str, token: str) -> tuple[TOTPDevice, list[str]]:
    """Save the authenticator whose key the person saw as a QR code, once they typed a code it shows.

    Replaces any earlier authenticator and issues new recovery codes. Returns the device and the codes (shown
    once)."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in first."))
    step = totp_matches(key_hex, token)
    if step is None:
        raise ValidationError(_("This code is not the one your authenticator shows now. Check the time on your "
                                "phone and type the current six digits."), code="invalid_token")
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key_hex, confirmed=True,
                                       last_t=step)
    codes = _issue_recovery_codes(user)
    audit_record(actor=user, action="account.otp_enrolled", target=user, data={"device": device.persistent_id})
    return device, codes


def _issue_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def regenerate_recovery_codes(*, user) -> list[str]:
    """New recovery codes; the old ones stop working. Only for a person who enrolled an authenticator."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(_("Set up an authenticator first."), code="no_device")
    codes = _issue_recovery_codes(user)
    audit_record(actor=user, action="account.recovery_codes_generated", target=user)
    return codes


@transaction.atomic
def verify_second_factor(*, user, token: str):
    """The device of ``user`` that accepts ``token`` (authenticator first, then a recovery code), or None.

    Every try is recorded; django-otp slows down repeated failures per device (its throttling)."""
    token = (token or "").strip().replace(" ", "")
    verified = None
    for device in list(TOTPDevice.objects.filter(user=user, confirmed=True)) + list(
            StaticDevice.objects.filter(user=user, confirmed=True)):
        allowed, _details = device.verify_is_allowed()
        if allowed and token and device.verify_token(token):
            verified = device
            break
    if verified is None:
        audit_record(actor=user, action="account.otp_failed", target=user)
    elif isinstance(verified, StaticDevice):
        audit_record(actor=user, action=AuditAction.RECOVERY_CODE_USED, target=user,
                     data={"device": verified.persistent_id, "recovery_code": True,
                           "codes_left": verified.token_set.count()})
    else:
        audit_record(actor=user, action="account.otp_verified", target=user,
                     data={"device": verified.persistent_id, "recovery_code": False})
    return verified


# --- identities of the identity provider (unified sign-on) ---------------------------------------------------------

def _require_security_administrator(actor) -> None:
    if not (actor is not None and actor.is_authenticated and roles.is_security_administrator(actor)):
        raise PermissionDenied(_("Only the security administrator links identities to accounts."))


def identity_link(*, actor, user, subject: str, issuer: str = "") -> IdentityLink:
    """Link the identity ``subject`` of the identity provider (``issuer``: the configured one by default) to
    ``user``'s account. The security administrator's act: the person then signs in through the provider, with the
    roles and bureaus their account already has (the link gives none)."""
    _require_security_administrator(actor)
    issuer = (issuer or settings.OIDC_OP_ISSUER).strip()
    subject = (subject or "").strip()
    if not issuer:
        raise ValidationError(_("No identity provider is configured (OIDC_OP_ISSUER): name the issuer."),
                              code="issuer")
    if not subject or len(subject) > 255:
        raise ValidationError(_("Give the identity's subject (sub), at most 255 characters."), code="subject")
    if not user.is_active:
        raise ValidationError(_("%(user)s is deactivated: an identity cannot be linked to it.") % {"user": user},
                              code="inactive")
    try:
        with transaction.atomic():
            link = IdentityLink.objects.create(user=user, issuer=issuer, subject=subject, linked_by=actor)
            audit_record(actor=actor, action=AuditAction.IDENTITY_LINKED, target=user,
                         data={"issuer": issuer, "subject": subject, "link": link.pk})
    except IntegrityError:
        raise ValidationError(_("This identity is already linked to an account."), code="linked") from None
    return link


@transaction.atomic
def identity_unlink(*, actor, link: IdentityLink) -> None:
    """Remove the link: the identity signs in nowhere any more (a session already open ends with its timeouts)."""
    _require_security_administrator(actor)
    link = IdentityLink.objects.select_for_update().select_related("user").get(pk=link.pk)
    audit_record(actor=actor, action=AuditAction.IDENTITY_UNLINKED, target=link.user,
                 data={"issuer": link.issuer, "subject": link.subject, "link": link.pk})
    link.delete()


def claim_rule_set(*, actor, claim: str, value: str, bureau, issuer: str = "") -> ClaimRule:
    """The security administrator's rule: an unlinked identity whose ``claim`` is ``value`` becomes the bureau
    staff of ``bureau`` at its first sign-in (``identity_provision``)."""
    _require_security_administrator(actor)
    issuer = (issuer or settings.OIDC_OP_ISSUER).strip()
    claim, value = (claim or "").strip(), (value or "").strip()
    if not issuer or not claim or not value or len(claim) > 64 or len(value) > 255:
        raise ValidationError(_("Give the issuer, the claim's name (at most 64 characters) and its value (at most "
                                "255)."), code="rule")
    try:
        with transaction.atomic():
            rule = ClaimRule.objects.create(issuer=issuer, claim=claim, value=value, bureau=bureau, created_by=actor)
            audit_record(actor=actor, action=AuditAction.CLAIM_RULE_SET, target=bureau,
                         data={"rule": rule.pk, "issuer": issuer, "claim": claim, "value": value})
    except IntegrityError:
        raise ValidationError(_("A rule for this claim's value exists already."), code="exists") from None
    return rule


@transaction.atomic
def claim_rule_remove(*, actor, rule: ClaimRule) -> None:
    """Accounts the rule made stay as they are; new identities are no longer given one."""
    _require_security_administrator(actor)
    audit_record(actor=actor, action=AuditAction.CLAIM_RULE_REMOVED, target=rule.bureau,
                 data={"rule": rule.pk, "issuer": rule.issuer, "claim": rule.claim, "value": rule.value})
    rule.delete()


def _claim_values(claims: dict, name: str) -> set[str]:
    value = claims.get(name)
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values if isinstance(v, str | int) and not isinstance(v, bool)}


def identity_provision(*, issuer: str, subject: str, claims: dict):
    """An identity nobody linked, signing in: when the security administrators' rules map its claims to exactly
    one bureau, it gets an account (no password, no role but bureau staff, that bureau's membership) and its link,
    in the name of the rule's author. Returns the account, or None (no rule, or rules naming several bureaus)."""
    rules = [rule for rule in ClaimRule.objects.select_related("bureau", "created_by").filter(issuer=issuer)
             if rule.value in _claim_values(claims, rule.claim)]
    bureaus = {rule.bureau_id for rule in rules}
    if len(bureaus) != 1:
        return None
    rule = rules[0]
    if not roles.is_security_administrator(rule.created_by):
        return None  # its author is no longer the security administrator: the rule is not theirs to apply now
    User = get_user_model()
    digest = hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:16]
    with transaction.atomic():
        user = User(username=f"sso-{digest}", first_name=str(claims.get("name") or "")[:150])
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=roles.BUREAU_STAFF))
        membership_add(actor=rule.created_by, user=user, bureau=rule.bureau)
        link = IdentityLink.objects.create(user=user, issuer=issuer, subject=subject, linked_by=rule.created_by)
        audit_record(actor=rule.created_by, action=AuditAction.IDENTITY_LINKED, target=user,
                     data={"issuer": issuer, "subject": subject, "link": link.pk, "rule": rule.pk,
                           "bureau": rule.bureau_id})
    return user
