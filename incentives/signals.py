"""Keep bureau groups and category permissions in step with memberships and responsibilities."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import permissions
from .models import Bureau, Membership


@receiver(post_save, sender=Bureau)
def bureau_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        # loaddata: the group is created by the first membership or permission sync instead.
        return
    permissions.ensure_bureau_group(instance)


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def membership_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    permissions.membership_sync(instance.user)


def _responsibility_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from measures.models import IncentiveCategory

    category = IncentiveCategory.objects.filter(pk=instance.category_id).first()
    if category is not None:
        permissions.category_permissions_sync(category)


def connect_responsibility_signals():
    from measures.models import Responsibility

    post_save.connect(_responsibility_changed, sender=Responsibility, dispatch_uid="responsibility_saved")
    post_delete.connect(_responsibility_changed, sender=Responsibility, dispatch_uid="responsibility_deleted")


connect_responsibility_signals()
