"""Files follow their rows: an evidence file leaves storage once the deletion of its row is committed.

However the row goes (a file removed from the list, its nominee taken off, the list deleted in the admin, a
cascade from further up), Django sends ``post_delete`` for each evidence row, so the file goes with it. The file
is deleted only on commit: a rolled-back deletion keeps both the row and its file.
"""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Evidence


@receiver(post_delete, sender=Evidence, dispatch_uid="nominations.evidence_file_removed")
def evidence_file_removed(sender, instance: Evidence, using, **kwargs):
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage
    transaction.on_commit(lambda: storage.delete(name), using=using)
