"""Keep a category's object permissions in step with its responsibilities (see ``measures.permissions``).

Runs on every ``save()``/``delete()`` of a responsibility, so admin forms and inlines, services and shells all
trigger it. After a raw ``loaddata`` or a bulk write, run ``manage.py sync_permissions``."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import IncentiveCategory, Responsibility
from .permissions import category_permissions_sync


@receiver(post_save, sender=Responsibility, dispatch_uid="responsibility_saved")
@receiver(post_delete, sender=Responsibility, dispatch_uid="responsibility_deleted")
def responsibility_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    category = IncentiveCategory.objects.filter(pk=instance.category_id).first()
    if category is not None:
        category_permissions_sync(category)
