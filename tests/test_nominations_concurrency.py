"""Two clerks of the same bureau save the same draft at the same moment, on real PostgreSQL connections: one save
wins, the other is refused with a "reload" message, and the list holds exactly the winner's nominees."""

import datetime
import threading

import pgtrigger
import pytest
from django.db import connection

from incentives.errors import ConflictError
from measures.models import IncentiveCategory
from nominations import services
from nominations.models import BEIJING, Cycle, NominationList
from nominations.services import NomineeEntry
from organisation.models import AuditEntry, Bureau, Unit, UnitKind

from .factories import make_user, roles

pytestmark = pytest.mark.postgres


def _run_in_threads(*targets):
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def run(i, target):
        try:
            barrier.wait(timeout=10)
            results[i] = target()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_concurrent_saves_of_the_same_draft(transactional_db, django_db_blocker):
    # Committed data seen by both connections (a transactional test: the database is flushed afterwards).
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://… (this test is for row locks)"
        water = Bureau.objects.get(short_name="市水务局")
        admin = make_user("concurrency-admin", role=roles.ADMINISTRATOR, is_superuser=True)
        alice = make_user("concurrency-alice", role=roles.BUREAU_STAFF, bureaus=[water])
        bob = make_user("concurrency-bob", role=roles.BUREAU_STAFF, bureaus=[water])
        from organisation.permissions import membership_sync
        membership_sync(alice)
        membership_sync(bob)
        cycle = None
        try:
            now = datetime.datetime.now(tz=BEIJING).replace(microsecond=0)
            cycle = services.cycle_open(actor=admin, year=2091, opens_at=now - datetime.timedelta(days=1),
                                        deadline=now + datetime.timedelta(days=10))
            category = IncentiveCategory.objects.get(code="6", measure__document__in_force=True)
            nl = services.nomination_list_get_or_create(actor=alice, cycle=cycle, category=category)
            districts = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT, is_active=True).order_by("division_order")[:2])
            version = nl.version

            def save_as(person, unit, text):
                return lambda: services.nomination_list_save(
                    actor=person, nomination_list=NominationList.objects.get(pk=nl.pk), version=version,
                    entries=[NomineeEntry(unit=unit, achievements=text)])

            results = _run_in_threads(save_as(alice, districts[0], "alice"), save_as(bob, districts[1], "bob"))
            conflicts = [r for r in results if isinstance(r, ConflictError)]
            saved = [r for r in results if isinstance(r, NominationList)]
            assert len(conflicts) == 1 and len(saved) == 1, results
            # The threads speak the interface's default language (Chinese): "reload the page"
            assert "请刷新页面" in str(conflicts[0])
            nl.refresh_from_db()
            assert nl.version == version + 1
            winner = "alice" if isinstance(results[0], NominationList) else "bob"
            assert list(nl.nominees.values_list("achievements", flat=True)) == [winner]
            assert AuditEntry.objects.filter(target_id=nl.pk, action="nomination_list.saved").count() == 1
        finally:
            # The audit table refuses DELETE on PostgreSQL; this test's own records go with the trigger ignored.
            with pgtrigger.ignore("organisation.AuditEntry:audit_no_delete"):
                if cycle is not None:
                    lists = NominationList.objects.filter(cycle=cycle)
                    AuditEntry.objects.filter(target_id__in=list(lists.values_list("pk", flat=True)),
                                              action__startswith="nomination_list.").delete()
                    AuditEntry.objects.filter(target_id=cycle.pk, action__startswith="cycle.").delete()
                    lists.delete()
                    Cycle.objects.filter(pk=cycle.pk).delete()
                for person in (admin, alice, bob):
                    AuditEntry.objects.filter(actor=person).delete()
                    person.delete()
