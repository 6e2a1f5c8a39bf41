"""Archiving the audit trail: records older than the retention period go to a file, with its SHA-256 and SM3
digests, and only then leave the database.

On PostgreSQL the table refuses DELETE (the ``audit_no_delete`` trigger, see ``apps.py``); the delete here runs
inside ``pgtrigger.ignore(...)``, which prefixes each of its statements with ``set_config('pgtrigger.ignore',
…, true)``: a variable local to the transaction that the trigger reads. Nothing else sets it."""

import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation.audit import audit_record
from organisation.models import AuditEntry

DELETE_TRIGGER = "organisation.AuditEntry:audit_no_delete"


@dataclass
class ArchiveResult:
    path: Path
    digest_path: Path
    count: int
    sha256: str
    sm3: str


def cutoff_for(before: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(before, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _line(entry: AuditEntry) -> bytes:
    record = {
        "id": entry.pk, "at": entry.at.isoformat(), "actor_id": entry.actor_id,
        "actor": entry.actor.get_username() if entry.actor_id else None, "action": entry.action,
        "target_type": f"{entry.target_type.app_label}.{entry.target_type.model}", "target_id": entry.target_id,
        "target_repr": entry.target_repr, "message": entry.message, "data": entry.data,
    }
    return (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def file_digests(path: Path) -> tuple[str, str]:
    sha256, sm3 = hashlib.sha256(), hashlib.new("sm3")
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha256.update(chunk)
            sm3.update(chunk)
    return sha256.hexdigest(), sm3.hexdigest()


def archive_audit(*, before: datetime.date, output: Path, now: datetime.datetime | None = None) -> ArchiveResult:
    """Write every audit record older than ``before`` (a Beijing date) to ``output`` (JSON Lines), its digests to
    ``output`` + ``.digests``, then delete exactly those records. Refuses a date inside the retention period and
    an output file that exists; on any error nothing is deleted."""
    now = now or timezone.now()
    cutoff = cutoff_for(before)
    youngest_allowed = now - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    if cutoff > youngest_allowed:
        raise ValidationError(
            _("Audit records are kept %(days)d days: records from %(date)s on cannot be archived yet. Give a date on "
              "or before %(latest)s.") % {"days": settings.AUDIT_RETENTION_DAYS, "date": before.isoformat(),
                                         "latest": youngest_allowed.astimezone(cutoff.tzinfo).date().isoformat()},
            code="too_young")
    output = Path(output)
    digest_path = output.with_name(output.name + ".digests")
    for path in (output, digest_path):
        if path.exists():
            raise ValidationError(_("%(path)s exists already: give a new file name.") % {"path": path}, code="exists")
    if not output.parent.is_dir():
        raise ValidationError(_("The folder %(path)s does not exist.") % {"path": output.parent}, code="no_folder")

    try:
        return _write_then_delete(before, cutoff, output, digest_path)
    except BaseException:
        for path in (output, digest_path, output.with_name(output.name + ".partial")):
            path.unlink(missing_ok=True)
        raise


def _write_then_delete(before, cutoff, output: Path, digest_path: Path) -> ArchiveResult:
    with transaction.atomic():
        old = AuditEntry.objects.filter(at__lt=cutoff)
        partial = output.with_name(output.name + ".partial")
        count = 0
        with open(partial, "wb") as handle:
            for entry in old.select_related("actor", "target_type").order_by("id").iterator(chunk_size=5000):
                handle.write(_line(entry))
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, output)
        sha256, sm3 = file_digests(output)
        digest_path.write_text(f"SHA256 {sha256}  {output.name}\nSM3 {sm3}  {output.name}\n"
                               f"records {count}\nbefore {before.isoformat()}\n", encoding="utf-8")
        with pgtrigger.ignore(DELETE_TRIGGER):
            deleted = old._raw_delete(old.db)
        if deleted != count:
            raise RuntimeError(f"{count} audit records written but {deleted} would be deleted: nothing deleted")
        audit_record(actor=None, action="audit.archived", target=ContentType.objects.get_for_model(AuditEntry),
                     message=f"{count} records before {before.isoformat()} archived to {output.name}",
                     data={"before": before.isoformat(), "count": count, "file": output.name, "sha256": sha256,
                           "sm3": sm3})
    return ArchiveResult(path=output, digest_path=digest_path, count=count, sha256=sha256, sm3=sm3)
