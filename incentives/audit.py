from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from .models import AuditEntry


def audit_record(*, actor, action: str, target, message: str = "", data: dict | None = None) -> AuditEntry:
    """Record a state change. Must run inside the transaction that makes the change."""
    connection = transaction.get_connection()
    assert connection.in_atomic_block, "audit_record must be called inside the transaction it records"
    return AuditEntry.objects.create(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=target.pk,
        target_repr=str(target)[:255],
        message=message,
        data=data or {},
    )


def audit_trail_for(target):
    """The audit records of one object, newest first, with their actors (one query)."""
    return (
        AuditEntry.objects.filter(target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
                                  target_id=target.pk)
        .select_related("actor")
        .order_by("-at", "-id")
    )
