"""Objectors' personal data: who reads it in full (recorded), and its removal after the retention period.

An objection is filed under a real name with a way to reach the objector (公示). Once the year is published the
name and contact serve only the file of the decision for a while: ``PERSONAL_DATA_RETENTION_DAYS`` (365 by default)
after the publication, ``personal_data_purge`` blanks them (name, contact, e-mail, and the address and text of the
settlement letter in the outbox), keeping the objection itself: its receipt, unit, grounds, evidence, outcome and
reasons. The beat runs it every night (``reviews.tasks.personal_data_purge``); ``manage.py purge_personal_data``
runs it by hand, with ``--dry-run`` to count only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nominations.models import Cycle
from organisation import access
from organisation.audit import AuditAction, audit_record
from organisation.models import OutboxMessage

from ..models import Objection


def objection_personal_data_read(*, actor, objection: Objection) -> Objection:
    """A reviewer of the objection's programme opens its page, where the objector's name and contact are shown in
    full: recorded (who, when, which objection), as every read of personal data in full is."""
    access.require(actor, "personal_data", objection)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.OBJECTION_PERSONAL_DATA_VIEWED, target=objection,
                     data={"receipt": objection.receipt, "cycle": objection.cycle.year})
    return objection


@dataclass
class PurgeReport:
    before: datetime.datetime  # years published before this moment are past their retention period
    dry_run: bool
    cycles: dict[int, int] = field(default_factory=dict)  # cycle id → objections whose personal data goes
    letters: int = 0  # settlement letters whose address and text go

    @property
    def objections(self) -> int:
        return sum(self.cycles.values())


def _letter_keys(objection_ids) -> list[str]:
    return [f"objection:{pk}:settled" for pk in objection_ids]


def personal_data_purge(*, now: datetime.datetime | None = None, dry_run: bool = False,
                        retention_days: int | None = None) -> PurgeReport:
    """Remove the personal data of the objections of every year published more than the retention period ago;
    one audit record per year with the counts. ``dry_run`` counts and changes nothing. Running it again finds
    nothing more to do."""
    now = now or timezone.now()
    days = settings.PERSONAL_DATA_RETENTION_DAYS if retention_days is None else retention_days
    before = now - datetime.timedelta(days=days)
    report = PurgeReport(before=before, dry_run=dry_run)
    cycles = list(Cycle.objects.filter(state=Cycle.State.PUBLISHED, published_at__lte=before,
                                       objections__personal_data_removed_at__isnull=True).distinct().order_by("pk"))
    for cycle in cycles:
        with transaction.atomic():
            ids = list(Objection.objects.select_for_update().filter(cycle=cycle, personal_data_removed_at__isnull=True)
                       .values_list("pk", flat=True))
            if not ids:
                continue
            letters = OutboxMessage.objects.filter(key__in=_letter_keys(ids)).exclude(
                status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING])
            report.cycles[cycle.pk] = len(ids)
            if dry_run:
                report.letters += letters.count()
                continue
            Objection.objects.filter(pk__in=ids).update(name="", contact="", email="", personal_data_removed_at=now)
            letter_count = letters.update(email="", body_text="", body_html="")
            report.letters += letter_count
            audit_record(actor=None, action=AuditAction.PERSONAL_DATA_PURGED, target=cycle,
                         message=f"{len(ids)} objection(s), {letter_count} letter(s)",
                         data={"cycle": cycle.year, "objections": len(ids), "letters": letter_count,
                               "receipts": list(Objection.objects.filter(pk__in=ids).order_by("pk")
                                                .values_list("receipt", flat=True)),
                               "published_at": cycle.published_at.isoformat(), "retention_days": days})
    return report
