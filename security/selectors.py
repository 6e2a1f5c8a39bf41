"""Reads of the audit trail, for the audit administrator."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from organisation import roles
from organisation.models import AuditEntry


def audit_entries_for(user, *, actor: str = "", action: str = "", target: str = "", since=None,
                      until=None) -> QuerySet[AuditEntry]:
    """The audit trail, newest first, filtered; empty for anyone but an audit administrator."""
    if not roles.is_audit_administrator(user):
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.select_related("actor", "target_type").order_by("-at", "-id")
    if actor:
        entries = entries.filter(Q(actor__username__icontains=actor) | Q(actor__first_name__icontains=actor)
                                 | Q(data__username=actor))
    if action:
        entries = entries.filter(action__icontains=action)
    if target:
        entries = entries.filter(target_repr__icontains=target)
    local = ZoneInfo(settings.TIME_ZONE)  # dates are Beijing dates
    if since:
        entries = entries.filter(at__gte=datetime.datetime.combine(since, datetime.time.min, tzinfo=local))
    if until:
        entries = entries.filter(at__lt=datetime.datetime.combine(until + datetime.timedelta(days=1),
                                                                  datetime.time.min, tzinfo=local))
    return entries
