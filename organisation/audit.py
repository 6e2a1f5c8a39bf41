"""The audit trail: who did what, when, to which object.

Every audited action is a member of ``AuditAction``, with a label in the person's language; nothing records a
free string, and pages show ``entry.get_action_display()`` (the label), never the code. The codes are nouns and
past participles (``nomination_list.returned``), the labels say what happened (退回补正).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from .models import AuditAction, AuditEntry

__all__ = ["AuditAction", "audit_record", "audit_trail_for"]


def audit_record(*, actor, action: AuditAction, target, message: str = "", data: dict | None = None):
    """Record a state change. Must run inside the transaction that makes the change."""
    connection = transaction.get_connection()
    assert connection.in_atomic_block, "audit_record must be called inside the transaction it records"
    if action not in AuditAction.values:
        raise ValueError(f"{action!r} is not an AuditAction")
    return AuditEntry.objects.create(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        action=AuditAction(action),
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
