"""The leader's sign-off (签发): where the programme requires it, a bureau's list goes from its clerk to the
bureau's leader, who signs it off (then it reaches the General Office) or sends it back with the reasons.

王芳 is a clerk of 市水务局, 赵军 its leader; 李强 (市发展改革委) is a clerk of another bureau. The browser journey at
phone width is tests/test_browser_sign_off.py.
"""

import pytest

from incentives.errors import DomainError
from nominations import services
from nominations.models import NominationList
from organisation.access import NotYours, Refused, forget
from organisation.audit import AuditAction
from organisation.models import AuditEntry, Membership, OutboxMessage, Programme
from reviews.bulletins import bulletin_context
from reviews.models import Award
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(bureau):
    user = factories.make_user("zhaojun", first_name="赵军", role="bureau_staff", bureaus=[bureau("市水务局")])
    Membership.objects.filter(user=user).update(is_leader=True)
    return user


@pytest.fixture
def sign_off_list(administrator, clerk_water, category, districts):
    Programme.objects.filter(is_default=True).update(sign_off_required=True)
    cycle = factories.open_cycle(administrator, 2091)
    return factories.prepare_list(cycle, category("6"), clerk_water, districts[:2])


def _actions(nl):
    return list(AuditEntry.objects.filter(target_id=nl.pk, action__startswith="nomination_list.")
                .order_by("chain_seq", "pk").values_list("action", flat=True))


def test_a_list_reaches_the_general_office_only_once_its_leader_signed_it_off(sign_off_list, clerk_water, leader,
                                                                               clerk_ndrc, reviewer):
    nl = services.nomination_list_submit(actor=clerk_water, nomination_list=sign_off_list,
                                         version=sign_off_list.version)
    assert nl.state == NominationList.State.AWAITING_SIGN_OFF and nl.submitted_at is None
    # The leader is told, through the outbox.
    assert OutboxMessage.objects.filter(kind="sign_off", recipient=leader).count() == 1
    # Submitting it again is no way round the leader: the table has no "submit" from here.
    with pytest.raises(DomainError):
        services.nomination_list_submit(actor=clerk_water, nomination_list=nl, version=nl.version)
    # Neither the clerk, another bureau's clerk nor a reviewer signs it off.
    with pytest.raises(Refused):
        services.nomination_list_sign_off(actor=clerk_water, nomination_list=nl)
    for outsider in (clerk_ndrc, reviewer):
        with pytest.raises((NotYours, Refused)):
            services.nomination_list_sign_off(actor=outsider, nomination_list=nl)

    # The leader sends it back: a reason is required; the clerk reads it and is told.
    with pytest.raises(DomainError):
        services.nomination_list_sign_off_decline(actor=leader, nomination_list=nl, reason="  ")
    nl = services.nomination_list_sign_off_decline(actor=leader, nomination_list=nl, reason="第二名成效数据需核实。")
    assert nl.state == NominationList.State.DRAFT and nl.shows_sign_off_reason
    assert OutboxMessage.objects.filter(kind="sign_off_back", recipient=clerk_water).count() == 1

    nl = services.nomination_list_submit(actor=clerk_water, nomination_list=nl, version=nl.version)
    nl = services.nomination_list_sign_off(actor=leader, nomination_list=nl)
    nl.refresh_from_db()
    assert nl.state == NominationList.State.SUBMITTED
    assert nl.signed_off_by == leader and nl.submitted_by == clerk_water and nl.submitted_at == nl.signed_off_at
    assert _actions(nl)[-4:] == [AuditAction.LIST_SENT_FOR_SIGN_OFF, AuditAction.LIST_SIGN_OFF_DECLINED,
                                 AuditAction.LIST_SENT_FOR_SIGN_OFF, AuditAction.LIST_SIGNED_OFF]

    # The bulletin's data records who signed off the list its awards come from.
    nominee = nl.nominees.order_by("rank").first()
    Award.objects.create(cycle=nl.cycle, category=nl.category, unit=nominee.unit, nominee=nominee, slot=1)
    [record] = bulletin_context(nl.cycle).sign_offs
    assert (record["list"], record["bureau"], record["signed_off_by"]) == (nl.pk, "市水务局", "赵军")


def test_without_a_leader_the_list_cannot_go_and_without_the_setting_it_goes_straight(sign_off_list, clerk_water):
    with pytest.raises(DomainError, match="leader"):
        services.nomination_list_submit(actor=clerk_water, nomination_list=sign_off_list,
                                        version=sign_off_list.version)
    Programme.objects.filter(is_default=True).update(sign_off_required=False)
    forget(clerk_water)
    nl = services.nomination_list_submit(actor=clerk_water, nomination_list=sign_off_list,
                                         version=sign_off_list.version)
    assert nl.state == NominationList.State.SUBMITTED and nl.signed_off_by is None
