"""Row locks of the year's work, in one place.

Locking order, so that two services never wait on each other in opposite orders:
``Cycle`` row (publication, reopening, exceptions to the cap) → ``NominationList`` rows → ``Award`` inserts.
A draft save, a submission or a decision locks only its list; a publication locks the cycle and then every list
of the cycle, so it waits for the saves and decisions in flight, and every one that starts afterwards sees the
cycle published.

Every lock is ``FOR NO KEY UPDATE`` of the locked row alone: inserting a nominee, an award or a decision makes
PostgreSQL take a ``FOR KEY SHARE`` lock on the referenced cycle and list rows, which a plain ``FOR UPDATE`` held
by a publication would block — a decision holding its list would then wait for the cycle while the publication
waits for the list: a deadlock (found by tests/test_reviews_concurrency.py). ``NO KEY UPDATE`` locks still
exclude each other. Joined rows (``select_related``) are never locked: ``of=("self",)``, else a draft save would
lock the whole year's cycle row. SQLite has no row locks; there, transactions take the database's write lock at
BEGIN (settings: ``transaction_mode="IMMEDIATE"``), which serialises them all. What another database gets: ``incentives.databases`` ("no_key_update").
"""

from incentives import databases

from .models import Cycle, NominationList


def list_lock(pk: int) -> NominationList:
    """Lock one list's row (and nothing else) until the transaction ends; returns it with its category and bureau
    loaded (not locked), and its cycle read *after* the lock was granted.

    The cycle is read by a query of its own: a row joined to the locked one comes from the snapshot taken when the
    statement began, so a publication that committed while this waited for the lock would not be seen, and a
    decision could slip in after the year was published (tests/test_reviews_concurrency.py)."""
    locked = (NominationList.objects.select_for_update(**databases.row_lock_options())
              .select_related("category__measure", "bureau").get(pk=pk))
    locked.cycle = Cycle.objects.get(pk=locked.cycle_id)
    return locked


def cycle_lock(pk: int) -> Cycle:
    """Lock one cycle's row until the transaction ends."""
    return Cycle.objects.select_for_update(**databases.row_lock_options()).get(pk=pk)


def cycle_lists_lock(cycle: Cycle) -> list[str]:
    """Lock every list of the cycle (after the cycle itself); returns their states."""
    return list(NominationList.objects.select_for_update(**databases.row_lock_options()).filter(cycle=cycle)
                .order_by("pk").values_list("state", flat=True))
