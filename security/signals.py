"""The audit trail of account events, from Django's signals: sign-in, sign-out, failed sign-in, lockout, every
change of an account (active, superuser, staff, e-mail, name: compared with the row before the save), password
changes, roles, permissions, memberships, second-factor devices and recovery codes, and the access door's
refusals. And the check that nobody holds two administrator roles, whichever way their groups change (admin form,
import, shell); the database holds the same rule (migration 0002, security/apps.py)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from incentives.errors import PermissionDeniedError, request_refused
from organisation import roles
from organisation.access import NotYours
from organisation.account_signals import login_locked_out, login_refused_locked, staff_flag_changed
from organisation.audit import AuditAction, audit_record
from organisation.throttle import client_address

from . import context, policy

User = get_user_model()

EXPIRED_FLAG = "_security_session_expired"


def _record(**kwargs):
    with transaction.atomic():
        audit_record(**kwargs)


def _address(request) -> str:
    return client_address(request) if request is not None else context.current_address()


@receiver(user_logged_in, dispatch_uid="security_signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        policy.start_session(request, user)
    data = {"address": _address(request)}
    if user.is_superuser:
        data["superuser"] = True  # the first start's account: each of its sign-ins stands out in the trail
    sign_on = getattr(request, policy.SIGN_ON_ATTRIBUTE, None) if request is not None else None
    if sign_on is not None:  # through the identity provider (security.sign_on): which identity, which factors
        _record(actor=user, action=AuditAction.OIDC_SIGNED_IN, target=user, data={**data, **sign_on})
        return
    _record(actor=user, action="account.signed_in", target=user, data=data)


@receiver(user_logged_out, dispatch_uid="security_signed_out")
def signed_out(sender, request, user, **kwargs):
    if user is None or not user.is_authenticated:
        return
    expired = getattr(request, EXPIRED_FLAG, None)
    _record(actor=user, action="account.session_expired" if expired else "account.signed_out", target=user,
            message=expired or "", data={"address": _address(request)})


def _account_named(username: str):
    return User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None


@receiver(user_login_failed, dispatch_uid="security_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")[:150]
    account = _account_named(username)
    # An unknown account name has no row to point at: the record points at the user model itself.
    target = account if account is not None else ContentType.objects.get_for_model(User)
    _record(actor=None, action="account.sign_in_failed", target=target,
            data={"username": username, "address": _address(request), "known_account": account is not None})


@receiver(login_locked_out, dispatch_uid="security_locked_out")
def locked_out(sender, username, address, **kwargs):
    account = _account_named(username)
    target = account if account is not None else ContentType.objects.get_for_model(User)
    _record(actor=None, action="account.locked_out", target=target,
            data={"username": username[:150], "address": address})


def _within_allowance(key: str, limit: int, window: int) -> tuple[bool, bool]:
    """Whether one more record of a kind that a flood could repeat (``key``) is written: the first ``limit`` in
    ``window`` seconds are; the second value says this is the last one (the record says so). One cache round trip."""
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, window)
        count = 1
    return count <= limit, count == limit


@receiver(login_refused_locked, dispatch_uid="security_sign_in_locked")
def sign_in_while_locked(sender, username, address, **kwargs):
    """A sign-in tried while the account or the address is locked: refused before the password is read, so the
    record is the same whether the password was right or not. At most ``LOGIN_ADDRESS_FAILURE_LIMIT`` such records
    per address and window: an address that goes on trying fills no table."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    allowed, last = _within_allowance(f"security:locked-audit:{address}", settings.LOGIN_ADDRESS_FAILURE_LIMIT, window)
    if not allowed:
        return
    account = _account_named(username)
    target = account if account is not None else ContentType.objects.get_for_model(User)
    data = {"username": username[:150], "address": address, "known_account": account is not None}
    if last:
        data["further_attempts_not_recorded_for_seconds"] = window
    _record(actor=None, action=AuditAction.SIGN_IN_LOCKED, target=target, data=data)


# --- the access door's refusals ---------------------------------------------------------------------------------

REFUSALS_RECORDED_PER_MINUTE = 30


@receiver(request_refused, dispatch_uid="security_access_refused")
def access_refused(sender, request, exception, **kwargs):
    """A signed-in person refused an object by the access door (``NotYours``: not theirs to see; ``Refused``: not
    this action now). Anonymous requests are not recorded: the door sends them to sign in first, and what remains
    (a public page's unknown address) is no one's access. At most ``REFUSALS_RECORDED_PER_MINUTE`` a person; each
    in its own transaction (the view's own work has been rolled back)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not isinstance(exception, NotYours | PermissionDeniedError):
        return
    allowed, last = _within_allowance(f"security:refused-audit:{user.pk}", REFUSALS_RECORDED_PER_MINUTE, 60)
    if not allowed:
        return
    data = {"path": request.path[:300], "method": request.method,
            "reason": "not_yours" if isinstance(exception, NotYours) else "refused",
            "object": getattr(exception, "subject", "")}
    if last:
        data["further_refusals_not_recorded_for_seconds"] = 60
    _record(actor=user, action=AuditAction.ACCESS_REFUSED, target=user,
            message=str(getattr(exception, "message", "")), data=data)


# --- every change of an account ---------------------------------------------------------------------------------

ACCOUNT_FIELDS = ("is_active", "is_superuser", "is_staff", "email", "first_name", "last_name")
BEFORE = "_security_account_before"


@receiver(pre_save, sender=User, dispatch_uid="security_account_before")
def account_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not instance.pk or (update_fields is not None and not set(ACCOUNT_FIELDS) & set(update_fields)):
        return  # a sign-in saves last_login only: no query
    setattr(instance, BEFORE, User.objects.filter(pk=instance.pk).values(*ACCOUNT_FIELDS).first())


@receiver(post_save, sender=User, dispatch_uid="security_account_saved")
def account_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    actor = context.current_actor()
    if created:
        _record(actor=actor, action=AuditAction.ACCOUNT_CREATED, target=instance,
                data={field: getattr(instance, field) for field in ACCOUNT_FIELDS})
        return
    before = instance.__dict__.pop(BEFORE, None)
    if not before:
        return
    changes = []
    if before["is_active"] != instance.is_active:
        changes.append((AuditAction.ACCOUNT_ACTIVATED if instance.is_active else AuditAction.ACCOUNT_DEACTIVATED, {}))
    for field, action in (("is_superuser", AuditAction.SUPERUSER_CHANGED), ("is_staff", AuditAction.STAFF_CHANGED),
                          ("email", AuditAction.EMAIL_CHANGED)):
        if before[field] != getattr(instance, field):
            changes.append((action, {"old": before[field], "new": getattr(instance, field)}))
    old_name = (before["first_name"], before["last_name"])
    if old_name != (instance.first_name, instance.last_name):
        changes.append((AuditAction.NAME_CHANGED, {"old": list(old_name),
                                                   "new": [instance.first_name, instance.last_name]}))
    for action, data in changes:
        _record(actor=actor, action=action, target=instance, data=data)


@receiver(staff_flag_changed, dispatch_uid="security_staff_flag_changed")
def staff_flag_followed_roles(sender, granted, revoked, **kwargs):
    """``is_staff`` followed a change of roles (a queryset update: no save signal above)."""
    actor = context.current_actor()
    for pks, new in ((granted, True), (revoked, False)):
        for person in User.objects.filter(pk__in=pks):
            _record(actor=actor, action=AuditAction.STAFF_CHANGED, target=person,
                    message="It follows the administrator roles.", data={"old": not new, "new": new})


# --- roles and permissions ------------------------------------------------------------------------------------

def _role_names(pks) -> set[str]:
    return set(Group.objects.filter(pk__in=pks, name__in=roles.ROLE_LABELS).values_list("name", flat=True))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="security_groups_changed")
def groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_add" and pk_set:
        if not reverse:
            added = _role_names(pk_set)
            if added & set(roles.ADMINISTRATOR_ROLES):
                current = set(instance.groups.filter(name__in=roles.ROLE_LABELS).values_list("name", flat=True))
                roles.check_roles_exclusive(current | added)
        elif instance.name in roles.ADMINISTRATOR_ROLES:
            for user in User.objects.filter(pk__in=pk_set):
                current = set(user.groups.filter(name__in=roles.ROLE_LABELS).values_list("name", flat=True))
                roles.check_roles_exclusive(current | {instance.name})
        return
    if action == "pre_clear" and not reverse:
        instance._security_roles_before = set(
            instance.groups.filter(name__in=roles.ROLE_LABELS).values_list("name", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    granted = action == "post_add"
    if not reverse:
        names = _role_names(pk_set or []) if action != "post_clear" else getattr(instance, "_security_roles_before", set())
        people, role_names = [instance], names
    else:
        if instance.name not in roles.ROLE_LABELS:
            return
        people = list(User.objects.filter(pk__in=pk_set or []))
        role_names = {instance.name}
    if not role_names:
        return
    for person in people:
        _record(actor=context.current_actor(), action="account.role_granted" if granted else "account.role_revoked",
                target=person, data={"roles": sorted(role_names)})


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="security_user_permissions_changed")
def user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"} or reverse:
        return
    _record(actor=context.current_actor(), action="account.permissions_changed", target=instance,
            data={"change": action.removeprefix("post_"), "permissions": sorted(pk_set or [])})


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="security_group_permissions_changed")
def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"} or reverse:
        return
    if not (pk_set or action == "post_clear"):
        return
    actor = context.current_actor()
    if actor is None:
        # The role groups' permissions are rebuilt by every migrate (organisation.permissions.role_groups_sync):
        # that is the code's own definition of the roles, not a person's decision, and a fresh database must stay
        # empty of records (restore refuses a database that is not).
        return
    _record(actor=actor, action="role.permissions_changed", target=instance,
            data={"change": action.removeprefix("post_"), "permissions": sorted(pk_set or [])})


@receiver(post_save, sender="measures.CategoryUserObjectPermission", dispatch_uid="security_object_perm_granted")
def object_permission_granted(sender, instance, created, raw=False, **kwargs):
    """A right on one category given to one person (an exception to their bureau's rights)."""
    if created and not raw:
        _record(actor=context.current_actor(), action="account.object_permission_granted", target=instance.user,
                data={"permission": instance.permission.codename, "category": instance.content_object_id})


@receiver(post_delete, sender="measures.CategoryUserObjectPermission", dispatch_uid="security_object_perm_revoked")
def object_permission_revoked(sender, instance, **kwargs):
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        _record(actor=context.current_actor(), action="account.object_permission_revoked", target=user,
                data={"permission_id": instance.permission_id, "category": instance.content_object_id})


# --- passwords and devices ----------------------------------------------------------------------------------------

def password_changed(user) -> None:
    """Called by ``validators.PasswordHistoryValidator.password_changed`` after every new password."""
    _record(actor=context.current_actor() or user, action="account.password_changed", target=user)


@receiver(post_save, sender=TOTPDevice, dispatch_uid="security_totp_added")
@receiver(post_save, sender=StaticDevice, dispatch_uid="security_static_added")
def device_added(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _record(actor=context.current_actor() or instance.user, action=AuditAction.OTP_DEVICE_ADDED,
                target=instance.user, data={"device": f"{sender._meta.label_lower}/{instance.pk}"})


@receiver(post_save, sender=StaticToken, dispatch_uid="security_recovery_code_added")
def recovery_code_added(sender, instance, created, raw=False, **kwargs):
    """A recovery code added one by one (the admin's page of a person's codes, a shell); the codes the person
    generates are written at once (``services._issue_recovery_codes``) and recorded by the service."""
    if created and not raw:
        user = instance.device.user
        _record(actor=context.current_actor(), action=AuditAction.RECOVERY_CODES_GENERATED, target=user,
                message="Added one by one.", data={"device": f"otp_static.staticdevice/{instance.device_id}",
                                                   "codes": 1})


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="security_totp_deleted")
@receiver(post_delete, sender=StaticDevice, dispatch_uid="security_static_deleted")
def device_deleted(sender, instance, **kwargs):
    user = User.objects.filter(pk=instance.user_id).first()
    if user is None:
        return
    actor = context.current_actor()
    _record(actor=actor, action="otp_device.deleted", target=user,
            data={"device": f"{sender._meta.label_lower}/{instance.pk}"})
    if sender is TOTPDevice and not TOTPDevice.objects.filter(user_id=user.pk).exists():
        # A lost phone: its recovery codes would otherwise go on signing in. They go with the last authenticator
        # (in the admin, a service or a shell alike), in the same transaction as the deletion.
        with transaction.atomic():
            removed = StaticToken.objects.filter(device__user_id=user.pk).count()
            StaticDevice.objects.filter(user_id=user.pk).delete()
            if removed:
                audit_record(actor=actor, action=AuditAction.RECOVERY_CODES_REMOVED, target=user,
                             message="They went with the last authenticator.", data={"codes": removed})
