"""Archiving the audit trail: records older than the retention period go to a file, with its SHA-256 and SM3
digests, and only then leave the database; and verifying the trail's chain (organisation/audit_chain.py), in the
database and in archive files.

The archive takes a prefix of the chain: the records before the first one, in chain order, that is younger than the
cutoff (in practice all the older ones: a record's time is taken as it is written and its position when its
transaction commits, moments later). Before anything is deleted the
records written are verified link by link; a broken chain is refused (its evidence is not deleted). The digests
file records the chain value before the first archived record and that of the last one (``chain_previous``,
``chain_last``), and so does the ``audit.archived`` record: the first record kept chains on from the last one
archived, and ``verify_audit`` starts from there (or from an archive file, ``--from-archive``).

On PostgreSQL the table refuses DELETE (the ``audit_no_delete`` trigger, see ``apps.py``); the delete here runs
inside ``pgtrigger.ignore(...)``, which prefixes each of its statements with ``set_config('pgtrigger.ignore',
…, true)``: a variable local to the transaction that the trigger reads. Nothing else sets it, and only the tables'
owner may delete at all (``manage.py archive_audit`` connects as the owner: DATABASE_OWNER_URL)."""

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
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation import audit_chain
from organisation.audit import audit_record, content_type_label
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


def _record(entry: AuditEntry) -> dict:
    """The archive's line for ``entry``: the fields its chain value covers, and the actor's user name."""
    return {
        "id": entry.pk, "at": audit_chain.utc_text(entry.at), "actor_id": entry.actor_id,
        "actor": entry.actor.get_username() if entry.actor_id else None, "action": entry.action,
        "target_type": content_type_label(entry.target_type_id), "target_id": entry.target_id,
        "target_repr": entry.target_repr, "message": entry.message, "data": entry.data,
        "chain_seq": entry.chain_seq, "chain_key": entry.chain_key, "chain": entry.chain,
    }


def _line(record: dict) -> bytes:
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
        old = AuditEntry.objects.filter(at__lt=cutoff, chain_seq__isnull=False)
        first_young = (AuditEntry.objects.filter(at__gte=cutoff, chain_seq__isnull=False).order_by("chain_seq")
                       .values_list("chain_seq", flat=True).first())
        if first_young is not None:
            old = old.filter(chain_seq__lt=first_young)  # a prefix of the chain
        start = archived_start()
        partial = output.with_name(output.name + ".partial")

        def written():
            with open(partial, "wb") as handle:
                for entry in old.select_related("actor").order_by("chain_seq").iterator(chunk_size=5000):
                    record = _record(entry)
                    handle.write(_line(record))
                    yield record
                handle.flush()
                os.fsync(handle.fileno())

        checked = audit_chain.walk(written(), start=start, where_is=_record_at)
        if checked.broken:
            raise ValidationError(_("The audit chain is broken at record %(id)s (%(detail)s): nothing archived. "
                                    "Run manage.py verify_audit.") % {"id": checked.broken.record_id,
                                                                      "detail": checked.broken.detail},
                                  code="broken_chain")
        count = checked.count
        os.replace(partial, output)
        sha256, sm3 = file_digests(output)
        previous = start or (0, audit_chain.GENESIS)
        digest_path.write_text(f"SHA256 {sha256}  {output.name}\nSM3 {sm3}  {output.name}\n"
                               f"records {count}\nbefore {before.isoformat()}\n"
                               f"chain_previous {previous[0]} {previous[1] or '-'}\n"
                               f"chain_last {checked.last_seq} {checked.last_chain or '-'}\n", encoding="utf-8")
        with pgtrigger.ignore(DELETE_TRIGGER):
            deleted = old._raw_delete(old.db)
        if deleted != count:
            raise RuntimeError(f"{count} audit records written but {deleted} would be deleted: nothing deleted")
        audit_record(actor=None, action="audit.archived", target=ContentType.objects.get_for_model(AuditEntry),
                     message=f"{count} records before {before.isoformat()} archived to {output.name}",
                     data={"before": before.isoformat(), "count": count, "file": output.name, "sha256": sha256,
                           "sm3": sm3, "last_id": checked.last_id, "last_seq": checked.last_seq,
                           "last_chain": checked.last_chain})
    return ArchiveResult(path=output, digest_path=digest_path, count=count, sha256=sha256, sm3=sm3)


# --- verifying the chain ---------------------------------------------------------------------------------------

def _record_at(seq: int):
    return AuditEntry.objects.filter(chain_seq=seq).values_list("id", flat=True).first()


def archived_start() -> tuple[int, str] | None:
    """(position, chain value) of the last archived record, from the newest ``audit.archived`` record; None when
    nothing was ever archived (the chain starts at position 1)."""
    data = (AuditEntry.objects.filter(action="audit.archived", data__has_key="last_seq").order_by("-id")
            .values_list("data", flat=True).first())
    return (data["last_seq"], data["last_chain"]) if data and data["last_seq"] else None


def database_records():
    """Every record as the chain covers it, in chain order (then the unchained ones, by id), streamed (a
    server-side cursor on PostgreSQL)."""
    labels = {}
    fields = ["id", "at", "actor_id", "action", "target_type_id", "target_id", "target_repr", "message", "data",
              "chain_seq", "chain_key", "chain"]
    order = [F("chain_seq").asc(nulls_last=True), "id"]
    for row in AuditEntry.objects.order_by(*order).values_list(*fields).iterator(chunk_size=10000):
        record = dict(zip(fields, row, strict=True))
        type_id = record.pop("target_type_id")
        if type_id not in labels:
            labels[type_id] = content_type_label(type_id)
        record["target_type"] = labels[type_id]
        yield record


def verify_database(start: tuple[int, str] | None = None) -> audit_chain.Walk:
    audit_chain.require_sm3()
    return audit_chain.walk(database_records(), start=start, where_is=_record_at)


@dataclass
class ArchiveFile:
    path: Path
    previous: tuple[int, str]
    last: tuple[int, str]
    walk: audit_chain.Walk


def _chain_line(text: str, name: str, path: Path) -> tuple[int, str]:
    for line in text.splitlines():
        if line.startswith(name + " "):
            seq, value = line.split()[1:3]
            return int(seq), "" if value == "-" else value
    raise ValidationError(_("%(path)s has no %(name)s line: it was written before the audit chain, or it is "
                            "not an archive's digests file.") % {"path": path, "name": name}, code="no_chain")


def verify_archive_file(path: Path) -> ArchiveFile:
    """An archive file on its own: its digests as its ``.digests`` file says, then its chain from the value
    before its first record to the value of its last one. Raises ValidationError naming the fault."""
    audit_chain.require_sm3()
    path = Path(path)
    digest_path = path.with_name(path.name + ".digests")
    if not path.is_file() or not digest_path.is_file():
        raise ValidationError(_("%(path)s or its .digests file does not exist.") % {"path": path}, code="missing")
    text = digest_path.read_text(encoding="utf-8")
    sha256, sm3 = file_digests(path)
    if f"SHA256 {sha256}  " not in text or f"SM3 {sm3}  " not in text:
        raise ValidationError(_("%(path)s does not match the digests in its .digests file: it was changed.")
                              % {"path": path}, code="digest")
    previous, last = _chain_line(text, "chain_previous", digest_path), _chain_line(text, "chain_last", digest_path)

    def records():
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    yield json.loads(line)
                except ValueError:
                    raise ValidationError(_("%(path)s line %(line)d is not a JSON record.")
                                          % {"path": path, "line": number}, code="line") from None

    checked = audit_chain.walk(records(), start=previous if previous[0] else None)
    if checked.broken:
        raise ValidationError(_("%(path)s: record %(id)s %(detail)s.") % {
            "path": path, "id": checked.broken.record_id, "detail": checked.broken.detail}, code="broken_chain")
    if (checked.last_seq, checked.last_chain) != last:
        raise ValidationError(_("%(path)s ends at chain position %(seq)s, but its .digests file says %(last)s: "
                                "records were removed from its end.") % {"path": path, "seq": checked.last_seq,
                                                                        "last": last[0]}, code="truncated")
    return ArchiveFile(path=path, previous=previous, last=last, walk=checked)
