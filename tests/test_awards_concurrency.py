"""Exceptions to the cap under concurrency, on PostgreSQL: approvals and changes of the exception at the same
moment, each from its own thread with its own connection.

With an exception to 4 and a list of 4, twenty approvals give exactly 4 awards. With the exception withdrawn (or
lowered) while the approvals run, the awards never exceed the limit in force when each committed: approvals lock
the list row, a change of the exception locks the cycle and then the same list rows, so they serialise; the audit
trail, written in each one's transaction, gives the order in which they took the lock."""

import datetime

import pytest
from django.db import connection

from incentives.errors import DomainError
from measures.models import CapException, IncentiveCategory, PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList, Nominee
from organisation.models import AuditEntry
from reviews import services
from reviews.models import Award

from .helpers import run_together

# A real commit: the threads decide through their own connections, which see only committed rows.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


@pytest.fixture(autouse=True)
def _postgresql_only():
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://… (this test is for row locks)"


def list_of(count, *, limit, districts, bureau, reviewer):
    category = IncentiveCategory.objects.get(code="19-1", measure__document__in_force=True)
    cycle = Cycle.objects.create(year=2023, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=datetime.datetime(2023, 1, 1, tzinfo=BEIJING), deadline=default_deadline_for(2023))
    nl = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau("市水务局"), state="submitted")
    for rank, unit in enumerate(districts[:count], 1):
        Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements="河湖长制考核优秀")
    services.cap_exception_record(actor=reviewer, cycle=cycle, category=category, new_limit=limit, reason="经市政府同意")
    return nl


def outcomes(results):
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)]
    assert unexpected == [], unexpected
    return [r for r in results if isinstance(r, DomainError)]


def test_twenty_approvals_of_a_list_of_four_under_an_exception_to_four_give_four_awards(reviewer, districts, bureau):
    nl = list_of(4, limit=4, districts=districts, bureau=bureau, reviewer=reviewer)
    nominees = list(nl.nominees.order_by("rank"))

    results = run_together(lambda i: services.nominee_decide(actor=reviewer, nominee=nominees[i % 4], approved=True).pk,
                           count=THREADS)
    outcomes(results)
    awards = list(Award.objects.filter(cycle=nl.cycle, category=nl.category).order_by("slot"))
    assert [a.slot for a in awards] == [1, 2, 3, 4]
    assert {a.nominee_id for a in awards} == {n.pk for n in nominees}
    assert awards[3].cap_exception == CapException.objects.get(category=nl.category, year=2023)


def replay_limits(nl, initial: int, cap: int) -> list[tuple[str, int, int]]:
    """Walk the audit trail in the order the transactions took the list's lock: (event, awards, limit) after each."""
    trail = AuditEntry.objects.filter(action__in=["nominee.approved", "cap_exception.withdrawn", "cap_exception.recorded"],
                                      data__cycle=2023).order_by("id")
    limit, awarded, steps = initial, set(), []
    for entry in trail:
        if entry.action == "nominee.approved":  # approving an awardee again keeps its one award
            awarded.add(entry.target_id)
        elif entry.action == "cap_exception.withdrawn":
            limit = cap
        elif entry.data.get("previous_limit") is not None:  # a change of the exception while approvals ran
            limit = entry.data["new_limit"]
        steps.append((entry.action, len(awarded), limit))
    return steps


@pytest.mark.parametrize("change", ["withdrawn", "lowered"])
def test_an_exception_changed_while_approvals_run_never_lets_awards_exceed_the_limit_in_force(reviewer, districts,
                                                                                            bureau, change):
    size, initial, changed = (4, 4, 3) if change == "withdrawn" else (5, 5, 4)
    nl = list_of(size, limit=initial, districts=districts, bureau=bureau, reviewer=reviewer)
    nominees = list(nl.nominees.order_by("rank"))
    category, cycle = nl.category, nl.cycle

    def work(index):
        if index == THREADS // 2:  # in the middle of the crowd
            if change == "withdrawn":
                services.cap_exception_withdraw(actor=reviewer, cycle=cycle, category=category, reason="撤回例外")
            else:
                services.cap_exception_record(actor=reviewer, cycle=cycle, category=category, new_limit=changed,
                                              reason="调减名额")
            return change
        return services.nominee_decide(actor=reviewer, nominee=nominees[index % size], approved=True).pk

    results = run_together(work, count=THREADS)
    refused = outcomes(results)
    changed_in_time = results[THREADS // 2] == change
    awards = Award.objects.filter(cycle=cycle, category=category).count()
    exception = CapException.objects.filter(category=category, year=2023).first()
    in_force = exception.new_limit if exception else category.cap
    # The end state: never more awards than the limit now in force.
    assert awards <= in_force
    if changed_in_time:
        assert in_force == changed
    else:  # the change came after the awards had filled the exception's slots: refused, nothing changed
        assert isinstance(results[THREADS // 2], DomainError) and awards == initial and in_force == initial
    # Every commit, in lock order: the awards never exceeded the limit in force at that moment.
    steps = replay_limits(nl, initial, category.cap)
    assert steps and all(count <= limit for _action, count, limit in steps), steps
    # Every refused approval was refused with the cap's message (the threads speak the default language).
    approvals_refused = [r for i, r in enumerate(results) if isinstance(r, DomainError) and i != THREADS // 2]
    assert all("19-1" in str(r) and "原则上不超3个" in str(r) for r in approvals_refused)
    assert len(refused) - len(approvals_refused) == (0 if changed_in_time else 1)
