"""The cap under concurrency, on PostgreSQL: many approvals of one category fired at the same moment, each from
its own thread with its own database connection.

A list holds at most 3 nominees (a database rule of the nominations app) and a category has one list per cycle,
so more approvals than the cap of 3 can only race where the limit is below the number of nominees. The tests
lower the category's limit (cap 2, then cap 1) and fire many concurrent approvals of the 3 distinct nominees:
exactly ``limit`` awards, every other request refused cleanly. They also fire many concurrent approvals of the
same nominee: one award (idempotence)."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from incentives.errors import DomainError
from measures.models import IncentiveCategory, PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList, Nominee
from organisation.models import AuditEntry
from reviews import services
from reviews.models import Award, Decision

from .factories import put_on_notice
from .helpers import run_together

# A real commit: the threads decide through their own connections, which see only committed rows.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12


@pytest.fixture(autouse=True)
def _postgresql_only():
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://… (this test is for row locks)"


def water_list_with(cap, districts, bureau):
    IncentiveCategory.objects.filter(code="19-1", measure__document__in_force=True).update(cap=cap)
    category = IncentiveCategory.objects.get(code="19-1", measure__document__in_force=True)
    cycle = Cycle.objects.create(year=2023, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=datetime.datetime(2023, 1, 1, tzinfo=BEIJING), deadline=default_deadline_for(2023))
    nl = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau("市水务局"), state="submitted")
    for rank, unit in enumerate(districts[:3], 1):
        Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements="河湖长制成效明显")
    return nl


def test_concurrent_approvals_of_three_nominees_never_exceed_the_limit(reviewer, districts, bureau):
    nl = water_list_with(2, districts, bureau)
    nominees = list(nl.nominees.order_by("rank"))

    def approve(index):
        services.nominee_decide(actor=reviewer, nominee=nominees[index % 3], approved=True)
        return nominees[index % 3].pk

    results = run_together(approve)
    refused = [r for r in results if isinstance(r, DomainError)]
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)]
    approved = {r for r in results if isinstance(r, int)}
    assert unexpected == []
    awards = list(Award.objects.filter(cycle=nl.cycle, category=nl.category))
    assert len(awards) == 2 and sorted(a.slot for a in awards) == [1, 2]
    assert {a.nominee_id for a in awards} == approved            # success means awardee, nothing else
    assert len(refused) == THREADS - sum(1 for r in results if isinstance(r, int))
    assert refused and all("19-1" in str(r) and "原则上不超3个" in str(r) for r in refused)
    assert Decision.objects.filter(nominee__nomination_list=nl, approved=True).count() == 2


def test_concurrent_approvals_of_the_same_nominee_make_one_award(reviewer, districts, bureau):
    nl = water_list_with(3, districts, bureau)
    first = nl.nominees.get(rank=1)

    results = run_together(lambda index: services.nominee_decide(actor=reviewer, nominee=first, approved=True, comment=f"#{index}"))
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert Award.objects.filter(nominee=first).count() == 1 and Award.objects.get(nominee=first).slot == 1
    assert Decision.objects.filter(nominee=first).count() == 1


def test_concurrent_requests_through_the_page_answer_cleanly(reviewer, districts, bureau):
    """The same race through HTTP: every response is a redirect with a message, none is a server error."""
    nl = water_list_with(1, districts, bureau)
    nominees = list(nl.nominees.order_by("rank"))
    clients = []
    for _index in range(THREADS):
        client = Client(raise_request_exception=False)
        client.force_login(reviewer)
        clients.append(client)

    def post(index):
        nominee = nominees[index % 3]
        return clients[index].post(reverse("reviews:nominee_decide", args=[nl.pk, nominee.pk]),
                                   {f"n{nominee.pk}-approved": "yes"}).status_code

    results = run_together(post)
    assert results == [302] * THREADS
    assert Award.objects.filter(cycle=nl.cycle, category=nl.category).count() == 1


def test_the_public_notice_racing_with_decisions_freezes_them(reviewer, districts, bureau):
    """Decisions in flight when the cycle is published either commit before the publication or are refused."""
    nl = water_list_with(3, districts, bureau)
    nominees = list(nl.nominees.order_by("rank"))
    for nominee in nominees:
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=False, comment="不予激励")   # the list is decided
    cycle = nl.cycle

    def work(index):
        if index == 0:
            return put_on_notice(reviewer, cycle).state
        services.nominee_decide(actor=reviewer, nominee=nominees[index % 3], approved=index % 2 == 0, comment="复核")
        return "decided"

    results = run_together(work)
    assert results[0] == "notice"
    others = results[1:]
    assert all(r == "decided" or (isinstance(r, DomainError) and "2023" in str(r)) for r in others), others
    cycle.refresh_from_db()
    assert cycle.state == "notice"
    # Nothing was decided or awarded after the public notice began: decisions are frozen from then on.
    notice_at = AuditEntry.objects.get(action="cycle.notice_started").at
    assert all(d.decided_at <= notice_at for d in Decision.objects.filter(nominee__nomination_list=nl))
    assert all(a.awarded_at <= notice_at for a in Award.objects.filter(cycle=cycle))
