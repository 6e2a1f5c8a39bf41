"""Files follow their rows: an indicator's evidence file leaves storage once the deletion of its row is committed
(criteria replaced before their first value take their indicators, and so their evidence, with them)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import IndicatorEvidence


@receiver(post_delete, sender=IndicatorEvidence, dispatch_uid="evaluation.evidence_file_removed")
def evidence_file_removed(sender, instance: IndicatorEvidence, using, **kwargs):
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage
    transaction.on_commit(lambda: storage.delete(name), using=using)
