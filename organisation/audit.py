"""The audit trail: who did what, when, to which object.

Every audited action is a member of ``AuditAction``, with a label in the person's language; nothing records a
free string, and pages show ``entry.get_action_display()`` (the label), never the code. The codes are nouns and
past participles (``nomination_list.returned``), the labels say what happened (退回补正).
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incentives import databases, params

from . import audit_chain
from .models import AuditAction, AuditEntry, typed_username

__all__ = ["AuditAction", "actions_matching", "audit_entries_filtered", "audit_entries_searched", "audit_record", "audit_trail_for"]


def audit_record(*, actor, action: AuditAction, target, message: str = "", data: dict | None = None):
    """Record a state change. Must run inside the transaction that makes the change.

    The record is chained to the one before it (organisation/audit_chain.py): on PostgreSQL a transaction-scoped
    advisory lock makes concurrent transactions extend the chain one after the other (held until this transaction
    ends; SQLite has one writer at a time), then the record takes the next id and position and its chain value."""
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
    )
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        # Appends one after the other (an advisory lock on PostgreSQL, whose foreign keys are checked first: a
        # check must never wait while this transaction holds the chain's lock; a deadlock of two saves, found by
        # the load run). What another database gets: ``incentives.databases``.
        databases.audit_chain_serialise(cursor, lock_key=audit_chain.CHAIN_LOCK)
        # The end of the chain (the unique index on positions, read backwards; a record written without
        # audit_record, which has none, is passed over and verify_audit reports it).
        last = (AuditEntry.objects.filter(chain_seq__isnull=False).order_by("-chain_seq")
                .values_list("chain_seq", "chain").first())
        entry.pk = databases.audit_next_id(cursor, table)
    entry.chain_seq, previous = audit_chain.next_link(last)
    entry.at = timezone.now()
    entry.chain = audit_chain.link(audit_chain.chain_keys()[entry.chain_key], previous, chain_fields(entry))
    entry.save(force_insert=True)
    return entry


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
