"""What the application asks of its database beyond portable SQL: every PostgreSQL-only feature it relies on, in
one place, each with what a database without it gets (信创 procurement asks for 达梦 or KingbaseES; see
deploy/README.md, "Other databases").

The code asks ``has(feature)`` or calls the helpers below; nothing else names a database vendor
(tests/test_database_features.py holds the rule, migrations excepted: they are released and never edited).

Tested on PostgreSQL (every feature) and SQLite (the embedded default: the fallbacks marked "SQLite"). Any other
database is unsupported until a test says otherwise: where a fallback does not exist, the helper refuses with
``DatabaseNotSupported`` naming the feature, rather than doing something unsafe silently.
"""

from __future__ import annotations

import contextlib
import dataclasses

from django.db import connection as default_connection


class DatabaseNotSupported(NotImplementedError):
    """The database lacks a feature the application needs and has no fallback for it."""


@dataclasses.dataclass(frozen=True)
class Feature:
    used_for: str
    where: str
    without: str  # what a database without it gets


FEATURES: dict[str, Feature] = {
    "no_key_update": Feature(
        "row locks FOR NO KEY UPDATE OF the locked row only, so that inserting a row that refers to a locked one "
        "(a nominee, an award) does not wait for the lock",
        "nominations/locks.py (row_lock_options)",
        "SQLite: no row locks; every write transaction takes the database's write lock at BEGIN (IMMEDIATE), which "
        "serialises them. Another database: FOR UPDATE OF the row (where Django supports OF), which also blocks "
        "the inserts that refer to it: publication against decisions may deadlock and be retried."),
    "partial_unique_index": Feature(
        "unique constraints with a condition (one default programme, one pending request per list, one lead "
        "bureau per category, one award per unit and category, …: UniqueConstraint(condition=…))",
        "models of organisation, measures, evaluation, nominations, reviews",
        "SQLite has them. A database without them (Django's supports_partial_indexes): Django does not create the "
        "index; the rule is checked by the form and the service only, so two concurrent writes can both pass."),
    "expression_index": Feature(
        "an index on an expression (the account name typed at a failed sign-in, inside the audit record's JSON)",
        "organisation/models.py AuditEntry.Meta.indexes",
        "SQLite has them. Without (supports_expression_indexes): not created; that audit search scans the table."),
    "trigram_index": Feature(
        "a GIN trigram index (pg_trgm) on UPPER(target_repr): the audit trail searched by part of an object's name",
        "organisation/migrations/0004_audit_indexes.py",
        "Not created: the search works and scans the table (fine up to some hundred thousand records)."),
    "triggers": Feature(
        "triggers (django-pgtrigger): the audit table refuses UPDATE and DELETE; nobody holds two administrator "
        "roles (三员分立) even written past the application",
        "security/apps.py, security/migrations/0002_one_administrator_role_guard.py, security/archive.py",
        "SQLite: the administrator-role guard is a SQLite trigger (migration 0002); the audit table is not "
        "protected in the database: its HMAC-SM3 chain (verify_audit) still detects a changed or removed record. "
        "Another database: neither trigger; the chain's detection only."),
    "advisory_lock": Feature(
        "a transaction-scoped advisory lock (pg_advisory_xact_lock) that orders the audit chain's appends, taken "
        "just before the commit (the project's backend, incentives/postgresql/base.py, runs the step)",
        "organisation/audit.py (chain_pending, audit_chain_serialise, audit_chained_at_commit)",
        "SQLite: the database's write lock already orders them. Another database: none (DatabaseNotSupported): a "
        "lock on a one-row table would be needed, not written."),
    "deferred_constraints": Feature(
        "SET CONSTRAINTS ALL IMMEDIATE: foreign keys checked before the audit chain's lock is taken, not at commit",
        "organisation/audit.py (chain_pending, audit_chain_serialise)",
        "SQLite checks them at commit and has no concurrent writers: nothing to do. Another database: skipped."),
    "sequences": Feature(
        "the audit record's id taken from its sequence before the insert (nextval(pg_get_serial_sequence))",
        "organisation/audit.py (audit_next_id)",
        "SQLite: the largest id ever given + 1 (sqlite_sequence, AUTOINCREMENT). Another database: "
        "DatabaseNotSupported."),
    "snapshot_isolation": Feature(
        "REPEATABLE READ for the backup's dump: every table as of one moment while people keep working",
        "incentives/backup.py (snapshot_begin)",
        "SQLite: a read transaction sees one snapshot already (WAL). Another database: its default isolation; "
        "take the backup with the application stopped."),
    "roles": Feature(
        "two database roles (the owner migrates; the application's role cannot own, alter or truncate the audit "
        "table) and the check of it at start",
        "security/management/commands/grant_app_role.py, security/checks.py",
        "SQLite: one file, no roles. Another database: not granted or checked; its own administration does it."),
}

# The features each tested database has.
_SQLITE = {"partial_unique_index", "expression_index"}


def vendor(connection=None) -> str:
    return (connection or default_connection).vendor


def has(feature: str, connection=None) -> bool:
    """Whether the database has ``feature`` (a key of ``FEATURES``)."""
    if feature not in FEATURES:
        raise KeyError(f"unknown database feature {feature!r}: add it to incentives.databases.FEATURES")
    connection = connection or default_connection
    name = connection.vendor
    if name == "postgresql":
        return True
    if name == "sqlite":
        return feature in _SQLITE
    if feature == "partial_unique_index":
        return bool(getattr(connection.features, "supports_partial_indexes", False))
    if feature == "expression_index":
        return bool(getattr(connection.features, "supports_expression_indexes", False))
    return False


def row_lock_options(connection=None) -> dict:
    """The ``select_for_update`` arguments that lock one row and nothing joined to it (``nominations.locks``)."""
    connection = connection or default_connection
    if has("no_key_update", connection):
        return {"of": ("self",), "no_key": True}
    if getattr(connection.features, "has_select_for_update_of", False):
        return {"of": ("self",)}
    return {}


def audit_chain_serialise(cursor, *, lock_key: int) -> None:
    """Make concurrent transactions append to the audit chain one after the other (``organisation.audit``)."""
    connection = cursor.db
    if has("advisory_lock", connection):
        # The foreign keys this transaction has written so far are checked now, not at its commit: a check waits
        # for whoever holds the row it names, and must never wait while this transaction holds the chain's lock.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])
    elif connection.vendor != "sqlite":  # SQLite's write lock, taken at BEGIN, orders them already
        raise DatabaseNotSupported(f"advisory_lock: {FEATURES['advisory_lock'].without}")


def audit_chained_at_commit(connection=None) -> bool:
    """Whether audit records are chained just before their transaction commits (PostgreSQL: concurrent writers,
    the chain's lock held only for that step) rather than as they are written (SQLite: one writer at a time)."""
    connection = connection or default_connection
    if has("advisory_lock", connection):
        return True
    if connection.vendor == "sqlite":
        return False
    raise DatabaseNotSupported(f"advisory_lock: {FEATURES['advisory_lock'].without}")


def audit_next_id(cursor, table: str) -> int:
    """The id the next audit record gets, known before its insert (the chain covers it)."""
    connection = cursor.db
    if has("sequences", connection):
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    elif connection.vendor == "sqlite":  # AUTOINCREMENT: the largest id ever given
        cursor.execute("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0) + 1", [table])
    else:
        raise DatabaseNotSupported(f"sequences: {FEATURES['sequences'].without}")
    return cursor.fetchone()[0]


def snapshot_begin(connection) -> None:
    """Inside a new outermost transaction: see every table as of its first query (the backup's dump)."""
    if has("snapshot_isolation", connection):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def triggers_ignored(name: str, connection=None):
    """A context in which the named pgtrigger trigger lets the statements through (the archive, a restore); a
    database without triggers has nothing to ignore."""
    if has("triggers", connection):
        import pgtrigger

        return pgtrigger.ignore(name)
    return contextlib.nullcontext()
