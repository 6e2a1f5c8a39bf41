"""Keep bureau groups and category permissions in step with memberships and responsibilities, and the
``is_staff`` flag in step with the administrator role.

These run on every ``save()``/``delete()``, so admin forms and inlines, services and shells all trigger them.
Queryset ``update()`` and ``bulk_create()`` bypass signals: after those (or a raw ``loaddata``), run
``manage.py sync_permissions``. A responsibility's change is the catalogue's (``measures.signals``)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver

from . import permissions, roles
from .models import Bureau, Membership

User = get_user_model()


@receiver(post_save, sender=Bureau)
def bureau_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        # loaddata: the group is created by the first membership or permission sync instead.
        return
    permissions.ensure_bureau_group(instance)


@receiver(post_delete, sender=Bureau)
def bureau_deleted(sender, instance, **kwargs):
    # A deleted bureau's group would otherwise keep its members (and any permission left on it).
    if instance.group_id:
        Group.objects.filter(pk=instance.group_id).delete()


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def membership_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    permissions.membership_sync(instance.user)


@receiver(post_migrate, dispatch_uid="incentives_role_groups")
def role_groups_after_migrate(sender, **kwargs):
    # post_migrate is sent once per app, in INSTALLED_APPS order, after auth has created that app's
    # permissions: waiting for the last app means every permission exists.
    if sender is list(apps.get_app_configs())[-1]:
        permissions.role_groups_sync()


@receiver(pre_save, sender=User, dispatch_uid="incentives_staff_flag_on_save")
def staff_flag_on_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """``is_staff`` is derived from the role (see ``roles.staff_flag_sync``), also when a form ticks it."""
    if raw or (update_fields is not None and not {"is_staff", "is_superuser"} & set(update_fields)):
        return
    in_role = bool(instance.pk) and instance.groups.filter(name__in=roles.ADMINISTRATOR_ROLES).exists()
    instance.is_staff = instance.is_superuser or in_role


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="incentives_staff_flag_on_groups")
def staff_flag_on_groups(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear", "pre_clear"}:
        return
    if not reverse:
        if action != "pre_clear":
            roles.staff_flag_sync([instance.pk])
            permissions.forget_cached_permissions(instance)
        return
    # group.user_set.add/remove/clear: only the administrator groups matter.
    if instance.name not in roles.ADMINISTRATOR_ROLES:
        return
    if action == "pre_clear":
        instance._clearing_user_ids = list(instance.user_set.values_list("pk", flat=True))
    elif action == "post_clear":
        roles.staff_flag_sync(getattr(instance, "_clearing_user_ids", []))
    else:
        roles.staff_flag_sync(pk_set or [])
