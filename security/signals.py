"""The audit trail of account events, from Django's signals: sign-in, sign-out, failed sign-in, lockout,
password changes, roles, permissions, memberships and second-factor devices. And the check that nobody holds
two administrator roles, whichever way their groups change (admin form, import, shell)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisation import roles
from organisation.account_signals import login_locked_out
from organisation.audit import audit_record
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
    _record(actor=user, action="account.signed_in", target=user, data={"address": _address(request)})


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


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="security_totp_deleted")
@receiver(post_delete, sender=StaticDevice, dispatch_uid="security_static_deleted")
def device_deleted(sender, instance, **kwargs):
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        _record(actor=context.current_actor(), action="otp_device.deleted", target=user,
                data={"device": f"{sender._meta.label_lower}/{instance.pk}"})
