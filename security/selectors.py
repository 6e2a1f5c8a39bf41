"""Reads of the audit trail, for the audit administrator."""

from django.db.models import QuerySet

from organisation import roles
from organisation.audit import audit_entries_filtered
from organisation.models import AuditEntry


def audit_entries_for(user, *, actor: str = "", action: str = "", target_type=None, target_id=None, target: str = "",
                      since=None, until=None) -> QuerySet[AuditEntry]:
    """The audit trail, newest first, filtered (each filter served by an index, see
    ``organisation.audit.audit_entries_filtered``); empty for anyone but an audit administrator."""
    if not roles.is_audit_administrator(user):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.select_related("actor", "target_type").order_by("-at", "-id")
    return audit_entries_filtered(entries, actor=actor, action=action, target_type=target_type, target_id=target_id,
                                  target=target, since=since, until=until)
