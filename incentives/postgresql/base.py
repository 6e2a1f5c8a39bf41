"""Django's PostgreSQL backend, with work that runs just before a transaction commits: ``before_commit(func)``
registers ``func(connection)`` for the current transaction (once however often it is registered); it runs after
the last statement of the outermost atomic block and before the COMMIT, inside the transaction (its error rolls
the whole transaction back). A rollback forgets it.

The audit trail uses it (organisation.audit.audit_record): a transaction's records are chained then, so the
chain's lock is held only between that step and the COMMIT, never while the transaction still waits for rows
another transaction holds (which deadlocked under load)."""

from django.db.backends.postgresql import base
from django.utils.asyncio import async_unsafe


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.run_before_commit = []

    def before_commit(self, func) -> None:
        if not self.in_atomic_block:
            raise RuntimeError("before_commit needs a transaction (an atomic block)")
        if func not in self.run_before_commit:
            self.run_before_commit.append(func)

    @async_unsafe
    def commit(self):
        while self.run_before_commit:
            self.run_before_commit.pop(0)(self)
        super().commit()

    @async_unsafe
    def rollback(self):
        self.run_before_commit = []
        super().rollback()
