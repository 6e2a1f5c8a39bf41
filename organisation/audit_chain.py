"""The audit trail's tamper evidence: every record carries a keyed SM3 chain value over the one before it.

    chain(n) = HMAC-SM3(key, chain(n-1) + "\\n" + canonical(record n))

``canonical`` is a JSON array of the record's fields (position, key id, id, time in UTC, actor id, action, the
object's type as ``app_label.model``, its id and name, message, data), keys sorted, no spaces. The first record's
predecessor is the empty string. ``chain_seq`` numbers the records 1, 2, 3… without gaps, so that a removed or
moved record is told apart from a changed one. The key (``AUDIT_CHAIN_KEY``) lives in the environment, never in the
database: whoever can write the table but has not the key cannot make a record that verifies.

Records are chained in one order: on PostgreSQL just before their transaction commits, under a transaction-scoped
advisory lock the COMMIT releases (``organisation.audit.chain_pending``); on SQLite, which has one writer at a time,
as they are written. Positions follow the order of commits, so two records written side by side may hold
positions in the other order than their ids: the chain is read in position order.

This module is plain Python (no model imports): the migration that chains the records of earlier versions, the
benchmark's generator, ``verify_audit`` and the archive use the same functions.
"""

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# pg_advisory_xact_lock's key for "the audit chain" (any constant no other code uses; "AUDITCHN" in ASCII).
CHAIN_LOCK = 0x4155444954434E
GENESIS = ""

# The fields a record's chain value covers, in the order of the canonical array.
FIELDS = ("chain_seq", "chain_key", "id", "at", "actor_id", "action", "target_type", "target_id", "target_repr",
          "message", "data")


def require_sm3() -> None:
    """SM3 (and so HMAC-SM3) comes from OpenSSL through hashlib: refuse clearly where it is missing."""
    try:
        hashlib.new("sm3", b"")
    except ValueError:
        raise ImproperlyConfigured("This Python's hashlib has no SM3 (OpenSSL built without SM3): the audit chain "
                                   "(HMAC-SM3) cannot be computed or verified") from None


def chain_keys() -> dict[str, bytes]:
    """Key id → key: the current key and the previous ones (verification only)."""
    keys = dict(settings.AUDIT_CHAIN_PREVIOUS_KEYS)
    keys[settings.AUDIT_CHAIN_KEY_ID] = settings.AUDIT_CHAIN_KEY
    return {key_id: key.encode("utf-8") for key_id, key in keys.items()}


def utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def json_normalised(data):
    """``data`` as the database gives it back (tuples become lists, keys strings): what the chain covers."""
    return json.loads(json.dumps(data or {}, ensure_ascii=False))


def canonical(record: dict) -> bytes:
    """The bytes a record's chain value covers. ``record`` holds FIELDS; ``at`` a datetime or its UTC text."""
    at = record["at"]
    values = [record[name] for name in FIELDS]
    values[FIELDS.index("at")] = at if isinstance(at, str) else utc_text(at)
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def link(key: bytes, previous: str, record: dict) -> str:
    return hmac.digest(key, previous.encode("ascii") + b"\n" + canonical(record), "sm3").hex()  # OpenSSL's one-shot


def next_link(previous: tuple[int, str] | None) -> tuple[int, str]:
    """(position, previous chain value) for the record that follows ``previous`` = (its position, its chain)."""
    return (previous[0] + 1, previous[1]) if previous else (1, GENESIS)


# The columns of the audit table a record keeps once written: every one but the chain position and value, which
# are filled in once, just before the record's transaction commits (organisation.audit.chain_pending). The
# table's guards (migration 0010, security/apps.py) compare them between OLD and NEW.
KEPT_COLUMNS = ("id", "at", "actor_id", "action", "target_type_id", "target_id", "target_repr", "message", "data",
                "chain_key")


def kept_columns_sql(row: str) -> str:
    """``(OLD.id, OLD.at, …)``: the kept columns of ``row`` (OLD or NEW) as one SQL row value."""
    return "(" + ", ".join(f"{row}.{column}" for column in KEPT_COLUMNS) + ")"


# --- verification ------------------------------------------------------------------------------------------------

@dataclass
class Break:
    """The first record where the chain does not hold."""
    kind: str  # changed, removed, reordered, unchained, unknown_key
    record_id: int
    seq: int | None
    expected_seq: int
    detail: str


@dataclass
class Walk:
    count: int = 0
    first_seq: int | None = None
    last_seq: int = 0
    last_chain: str = GENESIS
    last_id: int | None = None
    broken: Break | None = None


def walk(records: Iterable[dict], *, start: tuple[int, str] | None = None, keys: dict[str, bytes] | None = None,
         where_is=None) -> Walk:
    """Check ``records`` (dicts of FIELDS plus ``chain``, in chain order) link by link. ``start`` = (position, chain
    value) of the record before the first (None: the first is position 1 after the empty string). Stops at the
    first break. ``where_is(seq)`` answers the id of the record holding a position, to tell a moved record from a
    removed one."""
    keys = keys if keys is not None else chain_keys()
    result = Walk(last_seq=start[0] if start else 0, last_chain=start[1] if start else GENESIS)
    expected_seq = result.last_seq + 1
    for record in records:
        seq = record["chain_seq"]
        if not record.get("chain") or seq is None:
            result.broken = Break("unchained", record["id"], seq, expected_seq, "has no chain value")
            break
        if seq != expected_seq:
            if seq > expected_seq:
                elsewhere = where_is(expected_seq) if where_is else None
                if elsewhere is None:
                    result.broken = Break("removed", record["id"], seq, expected_seq,
                                          f"chain positions {expected_seq}–{seq - 1} are missing before it")
                else:
                    result.broken = Break("reordered", record["id"], seq, expected_seq,
                                          f"holds position {seq} where {expected_seq} was expected (position "
                                          f"{expected_seq} is record {elsewhere})")
            else:
                result.broken = Break("reordered", record["id"], seq, expected_seq,
                                      f"holds position {seq} where {expected_seq} was expected")
            break
        key = keys.get(record["chain_key"])
        if key is None:
            result.broken = Break("unknown_key", record["id"], seq, expected_seq,
                                  f"was chained with key id {record['chain_key']!r}, which is not configured "
                                  f"(AUDIT_CHAIN_KEY_ID, AUDIT_CHAIN_PREVIOUS_KEYS)")
            break
        if not hmac.compare_digest(link(key, result.last_chain, record), record["chain"]):
            result.broken = Break("changed", record["id"], seq, expected_seq,
                                  "does not match its chain value: it was changed (or the chain value before it)")
            break
        result.count += 1
        result.first_seq = result.first_seq or seq
        result.last_seq, result.last_chain, result.last_id = seq, record["chain"], record["id"]
        expected_seq = seq + 1
    return result


def chained(records: Iterable[dict], *, start: tuple[int, str] | None, key_id: str, key: bytes) -> Iterator[dict]:
    """``records`` (FIELDS but the chain's own, in id order) with ``chain_seq``, ``chain_key`` and ``chain`` filled
    in, following ``start``: for the migration of earlier versions' records and the benchmark's generator."""
    seq, previous = next_link(start)
    for record in records:
        record["chain_seq"], record["chain_key"] = seq, key_id
        record["chain"] = previous = link(key, previous, record)
        seq += 1
        yield record
