"""The General Office's decisions as services: return, decide under the cap, exceptions, publish, reopen.

People: 张伟 (``reviewer``) decides; 王芳 (``clerk_water``) prepared the list of 19-1 河长制湖长制 for 市水务局;
刘洋 (``administrator``) may reopen a published cycle."""


import pytest
from django.db import IntegrityError, transaction

from incentives.errors import DomainError, PermissionDeniedError
from measures.models import CapException
from nominations.models import NominationList
from organisation.audit import audit_trail_for
from organisation.models import OutboxMessage
from reviews import services
from reviews.models import Award, CycleReopening, Decision
from reviews.services import decisions as decision_services

from .factories import make_cycle, make_list, nominees_of, publish_final, put_on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_cycle()


@pytest.fixture
def water_list(cycle, category, bureau, districts, clerk_water):
    return make_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], clerk=clerk_water)


def test_approval_makes_the_unit_an_awardee_and_is_audited(reviewer, water_list, districts):
    first = nominees_of(water_list)[0]
    decision = services.nominee_decide(actor=reviewer, nominee=first, approved=True, comment="成效突出")
    award = Award.objects.get(nominee=first)
    assert decision.approved and decision.decided_by == reviewer and decision.comment == "成效突出"
    assert (award.unit, award.category.code, award.cycle.year, award.slot) == (districts[0], "19-1", 2023, 1)
    entry = audit_trail_for(first).get()
    assert entry.action == "nominee.approved" and entry.actor == reviewer and entry.data["slot"] == 1


def test_deciding_every_nominee_makes_the_list_decided(reviewer, water_list):
    a, b, c = nominees_of(water_list)
    services.nominee_decide(actor=reviewer, nominee=a, approved=True)
    services.nominee_decide(actor=reviewer, nominee=b, approved=False, comment="材料不足")
    water_list.refresh_from_db()
    assert water_list.state == "submitted"
    services.nominee_decide(actor=reviewer, nominee=c, approved=True)
    water_list.refresh_from_db()
    assert water_list.state == "decided" and water_list.version == 2
    assert Award.objects.filter(nominee__nomination_list=water_list).count() == 2
    assert [e.action for e in audit_trail_for(water_list)] == ["nomination_list.decided"]


def test_changing_an_approval_to_a_refusal_removes_the_award(reviewer, water_list):
    first = nominees_of(water_list)[0]
    services.nominee_decide(actor=reviewer, nominee=first, approved=True)
    services.nominee_decide(actor=reviewer, nominee=first, approved=False, comment="复核后不予激励")
    assert not Award.objects.filter(nominee=first).exists()
    assert Decision.objects.get(nominee=first).approved is False
    assert [e.action for e in audit_trail_for(first)] == ["nominee.rejected", "nominee.approved"]


def test_approving_twice_keeps_one_award(reviewer, water_list):
    first = nominees_of(water_list)[0]
    services.nominee_decide(actor=reviewer, nominee=first, approved=True)
    services.nominee_decide(actor=reviewer, nominee=first, approved=True, comment="again")
    assert Award.objects.filter(nominee=first).count() == 1


def test_clerks_and_administrators_cannot_decide(clerk_water, administrator, water_list):
    first = nominees_of(water_list)[0]
    for person in (clerk_water, administrator):
        with pytest.raises(PermissionDeniedError):
            services.nominee_decide(actor=person, nominee=first, approved=True)
    assert not Award.objects.exists() and not Decision.objects.exists()


@pytest.mark.parametrize("state", ["draft", "returned"])
def test_no_decision_on_a_list_that_is_not_submitted(reviewer, cycle, category, bureau, districts, state):
    nl = make_list(cycle, category("19-1"), bureau("市水务局"), districts[:1], state=state)
    with pytest.raises(DomainError):
        services.nominee_decide(actor=reviewer, nominee=nominees_of(nl)[0], approved=True)
    assert not Award.objects.exists()


def test_the_cap_refuses_the_approval_beyond_the_limit_and_names_it(reviewer, water_list, category):
    # A list holds at most 3 nominees (a database rule), so the cap can only bite below 3: lower the category's.
    IncentiveCategory = type(category("19-1"))
    IncentiveCategory.objects.filter(code="19-1").update(cap=2)
    a, b, c = nominees_of(water_list)
    services.nominee_decide(actor=reviewer, nominee=a, approved=True)
    services.nominee_decide(actor=reviewer, nominee=b, approved=True)
    with pytest.raises(DomainError) as refused:
        services.nominee_decide(actor=reviewer, nominee=c, approved=True)
    assert "19-1" in str(refused.value) and "原则上不超3个" in str(refused.value) and "2" in str(refused.value)
    assert Award.objects.filter(category__code="19-1").count() == 2
    assert not Decision.objects.filter(nominee=c).exists()


def test_an_exception_raises_the_limit_and_is_recorded(reviewer, water_list, category, cycle):
    type(category("19-1")).objects.filter(code="19-1").update(cap=2)
    water = category("19-1")
    a, b, c = nominees_of(water_list)
    services.nominee_decide(actor=reviewer, nominee=a, approved=True)
    services.nominee_decide(actor=reviewer, nominee=b, approved=True)
    exception = services.cap_exception_record(actor=reviewer, cycle=cycle, category=water, new_limit=3,
                                              reason="经办公厅主任办公会研究同意")
    services.nominee_decide(actor=reviewer, nominee=c, approved=True)
    assert Award.objects.filter(category=water).count() == 3
    assert (exception.decided_by, exception.new_limit) == (reviewer, 3)
    entry = audit_trail_for(exception).get()
    assert entry.action == "cap_exception.recorded" and entry.data["new_limit"] == 3 and entry.message == "经办公厅主任办公会研究同意"


def test_an_exception_needs_a_reason_and_a_limit_above_the_cap(reviewer, clerk_water, cycle, category):
    water = category("19-1")
    with pytest.raises(DomainError):
        services.cap_exception_record(actor=reviewer, cycle=cycle, category=water, new_limit=4, reason="  ")
    with pytest.raises(DomainError):
        services.cap_exception_record(actor=reviewer, cycle=cycle, category=water, new_limit=3, reason="理由")
    with pytest.raises(PermissionDeniedError):
        services.cap_exception_record(actor=clerk_water, cycle=cycle, category=water, new_limit=4, reason="理由")
    assert not CapException.objects.exists()


def test_the_database_refuses_a_fourth_slot_without_an_exception(cycle, category, districts, water_list, reviewer):
    water = category("19-1")
    a, b, c = nominees_of(water_list)
    Award.objects.create(cycle=cycle, category=water, unit=a.unit, nominee=a, slot=1)
    # The same slot twice: refused by the unique slot.
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(cycle=cycle, category=water, unit=b.unit, nominee=b, slot=1)
    # A fourth slot with no recorded exception: refused by the check constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(cycle=cycle, category=water, unit=b.unit, nominee=b, slot=4)
    exception = CapException.objects.create(year=cycle.year, category=water, new_limit=4, reason="特例", decided_by=reviewer)
    Award.objects.create(cycle=cycle, category=water, unit=b.unit, nominee=b, slot=4, cap_exception=exception)
    assert sorted(Award.objects.values_list("slot", flat=True)) == [1, 4]


def test_return_needs_reasons_and_sends_the_list_back(reviewer, water_list, clerk_water, django_capture_on_commit_callbacks,
                                                      monkeypatch):
    queued = []
    monkeypatch.setattr(decision_services, "outbox_queue", lambda ids: queued.extend(ids))
    with pytest.raises(DomainError):
        services.nomination_list_return(actor=reviewer, nomination_list=water_list, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.nomination_list_return(actor=reviewer, nomination_list=water_list, reason="请补充佐证材料")
    water_list.refresh_from_db()
    assert (water_list.state, water_list.return_reason, water_list.version) == ("returned", "请补充佐证材料", 2)
    # The bureau's notice is recorded in the return's own transaction and handed to the workers once it commits.
    notices = list(OutboxMessage.objects.filter(kind="returned", recipient=clerk_water).values_list("pk", flat=True))
    assert len(notices) == 1 and queued == notices
    assert audit_trail_for(water_list).get().action == "nomination_list.returned"


def test_return_withdraws_decisions_already_taken(reviewer, water_list):
    first = nominees_of(water_list)[0]
    services.nominee_decide(actor=reviewer, nominee=first, approved=True)
    services.nomination_list_return(actor=reviewer, nomination_list=water_list, reason="排名有误")
    assert not Award.objects.exists() and not Decision.objects.exists()


def test_only_a_submitted_list_is_returned(reviewer, water_list):
    for nominee in nominees_of(water_list):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=False, comment="不符合条件")
    with pytest.raises(DomainError):
        services.nomination_list_return(actor=reviewer, nomination_list=water_list, reason="理由")


def test_a_list_proposing_nobody_is_closed(reviewer, cycle, category, bureau):
    nl = NominationList.objects.create(cycle=cycle, category=category("19-2"), bureau=bureau("市林业园林局"),
                                       state="submitted", nothing_to_propose=True, nothing_reason="本年度无符合条件单位")
    services.nomination_list_acknowledge(actor=reviewer, nomination_list=nl)
    nl.refresh_from_db()
    assert nl.state == "decided"


def test_publish_freezes_decisions_and_requests_the_bulletin(reviewer, water_list, cycle):
    a, b, c = nominees_of(water_list)
    for nominee in (a, b, c):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=nominee is not c, comment="复核意见")
    published = publish_final(reviewer, cycle)
    assert published.state == "published" and published.published_by == reviewer and published.published_at
    assert published.bulletins.count() == 1
    actions = [e.action for e in audit_trail_for(cycle)]   # newest first
    assert actions.index("cycle.published") < actions.index("cycle.notice_started")
    for attempt in (
        lambda: services.nominee_decide(actor=reviewer, nominee=c, approved=True),
        lambda: services.nomination_list_return(actor=reviewer, nomination_list=water_list, reason="x"),
        lambda: services.cap_exception_record(actor=reviewer, cycle=cycle, category=water_list.category, new_limit=4, reason="x"),
        lambda: services.cycle_publish(actor=reviewer, cycle=cycle),
    ):
        with pytest.raises(DomainError):
            attempt()
    assert Award.objects.count() == 2 and not Decision.objects.get(nominee=c).approved


def test_publish_waits_for_submitted_lists(reviewer, water_list, cycle):
    with pytest.raises(DomainError):
        put_on_notice(reviewer, cycle)
    with pytest.raises(DomainError):
        services.cycle_publish(actor=reviewer, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.state == "open"


def test_only_an_administrator_reopens_with_a_recorded_reason(reviewer, administrator, clerk_water, cycle):
    publish_final(reviewer, cycle)
    for person in (reviewer, clerk_water):
        with pytest.raises(PermissionDeniedError):
            services.cycle_reopen(actor=person, cycle=cycle, reason="更正")
    with pytest.raises(DomainError):
        services.cycle_reopen(actor=administrator, cycle=cycle, reason="")
    reopening = services.cycle_reopen(actor=administrator, cycle=cycle, reason="发现名单有误，需更正")
    cycle.refresh_from_db()
    assert cycle.state == "review" and cycle.published_at is None
    assert CycleReopening.objects.get() == reopening and reopening.reopened_by == administrator
    actions = [e.action for e in audit_trail_for(cycle)]
    assert actions[0] == "cycle.reopened" and "cycle.published" in actions
    # Decisions can change again, and the cycle can be published again (after a new public notice).
    publish_final(reviewer, cycle)
    cycle.refresh_from_db()
    assert cycle.state == "published" and cycle.bulletins.count() == 2
