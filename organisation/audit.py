"""The audit trail: who did what, when, to which object.

Every audited action is a member of ``AuditAction``, with a label in the person's language; nothing records a
free string, and pages show ``entry.get_action_display()`` (the label), never the code. The codes are nouns and
past participles (``nomination_list.returned``), the labels say what happened (退回补正).
"""

import datetime
import json
from zoneinfo import ZoneInfo

import pgtrigger
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incentives import databases, params

from . import audit_chain
from .models import AuditAction, AuditEntry, typed_username

__all__ = ["AuditAction", "actions_matching", "audit_entries_filtered", "audit_entries_searched", "audit_record", "audit_trail_for"]


def audit_record(*, actor, action: AuditAction, target, message: str = "", data: dict | None = None):
    """Record a state change. Must run inside the transaction that makes the change.

    The record is chained to the one before it (organisation/audit_chain.py). On PostgreSQL it is written
    unchained and chained just before its transaction commits (``chain_pending``, called by the project's backend,
    incentives/postgresql/base.py): the chain's lock is then held only for that step and the COMMIT, never while
    the transaction still waits for a row another transaction holds. Chaining as the record is written, with the
    lock held to the commit, deadlocked under load (a decision inserting its award after its record, while another
    holding that row waited for the lock). SQLite has one writer at a time: the record is chained as it is
    written."""
    connection = transaction.get_connection()
    assert connection.in_atomic_block, "audit_record must be called inside the transaction it records"
    if action not in AuditAction.values:
        raise ValueError(f"{action!r} is not an AuditAction")
    entry = AuditEntry(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        action=AuditAction(action),
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=target.pk,
        target_repr=str(target)[:255],
        message=message,
        data=audit_chain.json_normalised(data),
        chain_key=settings.AUDIT_CHAIN_KEY_ID,
        at=timezone.now(),
    )
    if databases.audit_chained_at_commit(connection):
        if not hasattr(connection, "before_commit"):
            raise ImproperlyConfigured("The audit trail needs the project's PostgreSQL backend "
                                       "(ENGINE incentives.postgresql, as incentives/settings.py sets it)")
        entry.save(force_insert=True)
        connection.before_commit(chain_pending)
        return entry
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        last = _chain_end(cursor)
        entry.pk = databases.audit_next_id(cursor, table)
    entry.chain_seq, previous = audit_chain.next_link(last)
    entry.chain = audit_chain.link(audit_chain.chain_keys()[entry.chain_key], previous, chain_fields(entry))
    entry.save(force_insert=True)
    return entry


def _chain_end(cursor) -> tuple[int, str] | None:
    """(position, chain value) of the chain's last record (the unique index on positions, read backwards)."""
    cursor.execute(f"SELECT chain_seq, chain FROM {AuditEntry._meta.db_table} WHERE chain_seq IS NOT NULL "
                   f"ORDER BY chain_seq DESC LIMIT 1")
    row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def chain_pending(connection=None) -> int:
    """Chain every record this transaction can see that has no chain value yet, in id order, after the chain's
    last record; returns how many. PostgreSQL only; runs just before a commit (registered by ``audit_record``
    with the project's backend, incentives/postgresql/base.py).

    It first has the transaction's deferred foreign keys checked (a check may wait for whoever holds the row it
    names, and must not wait while holding the chain's lock), then takes the chain's transaction-scoped advisory
    lock, which the COMMIT right after releases. The records it sees are this transaction's and any a crashed
    process committed without chaining (at most a few; ``verify_audit`` reports them until the next commit
    chains them). The rows are found through the partial index on unchained records (migration 0010); filling
    a record's chain fields once is the only change the table's guard lets the application make."""
    connection = connection or transaction.get_connection()
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        databases.audit_chain_serialise(cursor, lock_key=audit_chain.CHAIN_LOCK)
        columns = ["id", "at", "actor_id", "action", "target_type_id", "target_id", "target_repr", "message",
                   "data", "chain_key"]
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE chain_seq IS NULL ORDER BY id")
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        if not rows:
            return 0
        last = _chain_end(cursor)
        keys = audit_chain.chain_keys()
        updates = []
        for row in rows:
            seq, previous = audit_chain.next_link(last)
            row["chain_seq"] = seq
            row["target_type"] = content_type_label(row.pop("target_type_id"))
            data = row["data"]  # jsonb comes back as text (Django leaves the decoding to the field)
            row["data"] = audit_chain.json_normalised(json.loads(data) if isinstance(data, str) else data)
            value = audit_chain.link(keys[row["chain_key"]], previous, row)
            updates.append((seq, value, row["id"]))
            last = (seq, value)
        # The owner's own trigger (security/apps.py) refuses every UPDATE unless told to let this one through; for
        # every other role the table's row guard (migration 0010) allows exactly this change, once.
        with pgtrigger.ignore("organisation.AuditEntry:audit_no_update"):
            cursor.execute(f"UPDATE {table} AS entry SET chain_seq = v.seq, chain = v.chain "
                           f"FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[]) AS v(seq, chain, id) "
                           f"WHERE entry.id = v.id", [list(column) for column in zip(*updates, strict=True)])
    return len(updates)


def chain_fields(entry: AuditEntry) -> dict:
    """The fields of ``entry`` its chain value covers (audit_chain.FIELDS)."""
    return {"chain_seq": entry.chain_seq, "chain_key": entry.chain_key, "id": entry.pk, "at": entry.at,
            "actor_id": entry.actor_id, "action": str(entry.action), "target_type": content_type_label(entry.target_type_id),
            "target_id": entry.target_id, "target_repr": entry.target_repr, "message": entry.message,
            "data": entry.data}


def content_type_label(content_type_id: int) -> str:
    """``app_label.model`` of a content type (cached): the chain names a type so, not by its id, which a restore
    into a new database may change."""
    content_type = ContentType.objects.get_for_id(content_type_id)
    return f"{content_type.app_label}.{content_type.model}"


def audit_trail_for(target):
    """The audit records of one object, newest first, with their actors (one query)."""
    return (
        AuditEntry.objects.filter(target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
                                  target_id=target.pk)
        .select_related("actor")
        .order_by("-at", "-id")
    )


# --- searching the trail ---------------------------------------------------------------------------------------
# The trail grows without end (a million records at the benchmark's large size, ten million at 1000×): every
# search below is answered from an index, and nothing counts the whole table (``CappedPaginator``). The indexes
# are in the migrations: ``at``, (actor, -at), (action, -at), (target_type, target_id, -at), the account name of
# failed sign-ins, and on PostgreSQL a trigram index on the object's name (0004_audit_indexes).

ACTORS_AT_MOST = 200  # people whose name matches a search term; more than that is not a search for someone


def actions_matching(term: str) -> list[str]:
    """The action codes whose code or label (in the current language) contains ``term``: an index lookup on the
    codes instead of a LIKE over every record."""
    term = term.strip().casefold()
    return [code for code, label in AuditAction.choices if term in code.casefold() or term in str(label).casefold()]


def _with_typed_username(entries):
    # The same expression as the index on failed sign-ins' account names (0004_audit_indexes), so it serves it.
    return entries.alias(typed_username=typed_username())


def _actor_condition(actor: str) -> Q:
    people = list(get_user_model().objects.filter(Q(username__icontains=actor) | Q(first_name__icontains=actor))
                  .order_by("pk").values_list("pk", flat=True)[:ACTORS_AT_MOST])
    return Q(actor_id__in=people) | Q(actor__isnull=True, typed_username=actor)


def audit_entries_searched(entries, term: str):
    """The admin's search box: a number is an object's id; anything else a person (as ``actor`` below) or a
    part of an object's name."""
    term = term.strip()
    if not term:
        return entries
    object_id = params.int_from(term)  # an id past the column's range finds nothing
    if object_id is not None:
        return audit_entries_filtered(entries, target_id=object_id)
    return _with_typed_username(entries).filter(_actor_condition(term) | Q(target_repr__icontains=term))


def audit_entries_filtered(entries, *, actor: str = "", action: str = "", target_type=None, target_id=None,
                           target: str = "", since=None, until=None):
    """``entries`` (AuditEntry records) narrowed by person, action, object and Beijing date, each by an index.

    ``actor`` matches the user name or the given name of the person who acted, or the account name a failed
    sign-in typed (those records have no actor); ``action`` a code or a label; ``target_type`` (a ContentType)
    and ``target_id`` the object; ``target`` a part of the object's name; ``since`` and ``until`` are dates,
    both included."""
    if actor:
        entries = _with_typed_username(entries).filter(_actor_condition(actor))
    if action:
        entries = entries.filter(action__in=actions_matching(action))
    if target_type is not None:
        entries = entries.filter(target_type=target_type)
    if target_id is not None:
        if target_type is None:
            # The index on objects leads with their type: name every type, and each is one descent of it.
            entries = entries.filter(target_type_id__in=list(
                ContentType.objects.order_by("pk").values_list("pk", flat=True)))
        entries = entries.filter(target_id=target_id)
    if target:
        entries = entries.filter(target_repr__icontains=target)
    local = ZoneInfo(settings.TIME_ZONE)  # dates are Beijing dates
    if since:
        entries = entries.filter(at__gte=datetime.datetime.combine(since, datetime.time.min, tzinfo=local))
    if until:
        entries = entries.filter(at__lt=datetime.datetime.combine(until + datetime.timedelta(days=1),
                                                                  datetime.time.min, tzinfo=local))
    return entries
