"""The phases of a year as the General Office runs it: open → closed → review → public notice (公示) → final →
reopened, every refused transition, the working days of the notice, objections and their settlement.

People: 张伟 (``reviewer``) runs the year; 王芳 (``clerk_water``) prepared 19-1 河长制湖长制 for 市水务局;
刘洋 (``administrator``) may reopen it; 陈明 is a member of the public who objects."""

import datetime
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incentives.errors import DomainError, PermissionDeniedError
from nominations import phases
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList, Nominee
from nominations.services import extension_grant
from nominations.working_days import working_period
from organisation.access import NotYours
from organisation.models import AuditEntry, Notification, OutboxMessage
from reviews import selectors, services
from reviews.models import Award, Decision, MissingListAcknowledgement, Objection

from .factories import PHASES_AFTER as AFTER
from .factories import PHASES_BEFORE as BEFORE
from .factories import PHASES_YEAR as YEAR
from .factories import after_notice, decide_all, make_phases_cycle, make_phases_water_list, put_on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_phases_cycle()


@pytest.fixture
def water_list(cycle, category, bureau, districts, clerk_water):
    return make_phases_water_list(cycle, category, bureau, districts, clerk_water)


def acknowledge_all(cycle):
    return {row.category.pk: "该类别本年度无符合条件的单位" for row in selectors.notice_preflight(cycle=cycle, now=AFTER).missing}


def snapshot(cycle):
    cycle.refresh_from_db()
    return (cycle.state, cycle.notice_starts_on, cycle.notice_ends_on, cycle.published_at,
            AuditEntry.objects.count(), Award.objects.count(), MissingListAcknowledgement.objects.count(),
            OutboxMessage.objects.count())


# --- the whole year ---------------------------------------------------------------------------------------------


def test_a_cycle_walks_through_every_phase(cycle, water_list, reviewer, administrator, clerk_water, clerk_ndrc,
                                           django_capture_on_commit_callbacks):
    assert phases.phase_of(cycle, now=BEFORE) == phases.CyclePhase.OPEN
    assert phases.phase_of(cycle, now=AFTER) == phases.CyclePhase.CLOSED   # derived from the deadlines
    assert cycle.state == Cycle.State.OPEN

    services.cycle_review_begin(actor=reviewer, cycle=cycle, now=AFTER)
    cycle.refresh_from_db()
    assert phases.phase_of(cycle) == Cycle.State.REVIEW == "review"
    decide_all(reviewer, water_list)

    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledge_all(cycle), now=AFTER)
    cycle.refresh_from_db()
    assert cycle.state == "notice"
    # 5 working days from Thursday 2025-04-10: Thu, Fri, Mon, Tue, Wed.
    assert (cycle.notice_starts_on, cycle.notice_ends_on) == (datetime.date(2025, 4, 10), datetime.date(2025, 4, 16))
    acknowledged = MissingListAcknowledgement.objects.filter(cycle=cycle)
    assert acknowledged.count() == cycle.document.measures.values("categories").count() - 1
    assert set(acknowledged.values_list("acknowledged_by", flat=True)) == {reviewer.pk}
    # Everyone concerned is told: the clerks of the responsible bureaus and the reviewers, in the app and by mail.
    notice_mail = OutboxMessage.objects.filter(kind="notice")
    assert {m.recipient for m in notice_mail} >= {clerk_water, clerk_ndrc, reviewer}
    assert administrator not in {m.recipient for m in notice_mail}
    assert Notification.objects.filter(user=clerk_water, kind="notice").count() == 1
    assert all(m.status == "sent" for m in notice_mail)

    during = datetime.datetime(2025, 4, 16, 23, 59, 59, tzinfo=BEIJING)
    with pytest.raises(DomainError, match="public notice runs until 2025-04-16"):
        services.cycle_publish(actor=reviewer, cycle=cycle, now=during)

    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_publish(actor=reviewer, cycle=cycle, now=during + datetime.timedelta(seconds=1))
    cycle.refresh_from_db()
    assert cycle.state == "published" and cycle.published_by == reviewer
    assert cycle.published_document_number == cycle.document.number
    assert all(a.is_frozen for a in Award.objects.filter(cycle=cycle)) and Award.objects.filter(cycle=cycle).count() == 2
    assert OutboxMessage.objects.filter(kind="final", recipient=clerk_water).count() == 1

    services.cycle_reopen(actor=administrator, cycle=cycle, reason="发现材料有误")
    cycle.refresh_from_db()
    assert cycle.state == "review" and cycle.published_at is None and cycle.notice_ends_on is None
    actions = [e.action for e in AuditEntry.objects.filter(action__startswith="cycle.").order_by("at", "id")]
    assert actions == ["cycle.review_begun", "cycle.notice_started", "cycle.published", "cycle.reopened"]
    transitions = [(e.data["from"], e.data["to"]) for e in AuditEntry.objects.filter(action__startswith="cycle.")
                   .exclude(action="cycle.bulletin_number_changed").order_by("at", "id")]
    assert transitions == [("open", "review"), ("review", "notice"), ("notice", "published"), ("published", "review")]

    # Around once more: the second notice is told again (a new key), the acknowledgements are kept.
    put_on_notice(reviewer, cycle, at=datetime.datetime(2025, 5, 6, 9, tzinfo=BEIJING))
    assert OutboxMessage.objects.filter(kind="notice", recipient=clerk_water).count() == 2


def test_every_phase_says_what_people_can_do_and_until_when(cycle, reviewer, water_list):
    with mock.patch("nominations.deadlines.current_time", return_value=BEFORE):
        summary = phases.phase_summary(cycle)
    assert summary.phase == "open" and summary.until == "2025-03-31 23:59:59" and "submit" in summary.now
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        assert phases.phase_summary(cycle).phase == "closed"
        decide_all(reviewer, water_list)
        put_on_notice(reviewer, cycle, at=AFTER)
    cycle.refresh_from_db()
    summary = phases.phase_summary(cycle)
    assert summary.phase == "notice" and summary.until == "2025-04-16 23:59:59" and "object" in summary.now


def test_the_phase_is_on_the_bureau_page_the_queue_and_the_results(client, cycle, clerk_water, reviewer, water_list):
    client.force_login(clerk_water)
    with mock.patch("nominations.deadlines.current_time", return_value=BEFORE):
        html = client.get(reverse("nominations:home")).content.decode()
    assert 'class="phase phase-open"' in html and "2025-03-31 23:59:59" in html
    client.force_login(reviewer)
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        html = client.get(reverse("reviews:queue")).content.decode()
    assert 'class="phase phase-closed"' in html


# --- refused transitions: one test each, nothing changes ---------------------------------------------------------


def test_the_review_cannot_begin_before_every_deadline(cycle, reviewer):
    before = snapshot(cycle)
    with pytest.raises(DomainError, match="still open until 2025-03-31 23:59:59"):
        services.cycle_review_begin(actor=reviewer, cycle=cycle, now=BEFORE)
    assert snapshot(cycle) == before


def test_the_notice_waits_for_a_bureau_with_an_extension(cycle, reviewer, administrator, bureau):
    extension_grant(actor=administrator, cycle=cycle, bureau=bureau("市林业园林局"),
                    new_deadline=datetime.datetime(2025, 4, 30, 23, 59, 59, tzinfo=BEIJING), reason="汛期")
    before = snapshot(cycle)
    with pytest.raises(DomainError, match="市林业园林局"):
        services.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledge_all(cycle), now=AFTER)
    assert snapshot(cycle) == before
    assert phases.phase_of(cycle, now=AFTER) == "open"


def test_the_notice_waits_for_every_submitted_list_to_be_decided(cycle, reviewer, water_list):
    before = snapshot(cycle)
    with pytest.raises(DomainError, match="19-1"):
        services.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledge_all(cycle), now=AFTER)
    assert snapshot(cycle) == before


def test_the_notice_needs_every_category_without_a_list_acknowledged_with_a_reason(cycle, reviewer, water_list):
    decide_all(reviewer, water_list)
    acknowledgements = acknowledge_all(cycle)
    forgotten = next(iter(acknowledgements))
    acknowledgements[forgotten] = "   "
    before = snapshot(cycle)
    with pytest.raises(DomainError, match="Acknowledge by name") as refused:
        services.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledgements, now=AFTER)
    forgotten_row = next(r for r in selectors.notice_preflight(cycle=cycle, now=AFTER).missing
                         if r.category.pk == forgotten)
    assert forgotten_row.category.code in str(refused.value)
    assert snapshot(cycle) == before


def test_only_reviewers_put_the_year_on_notice(cycle, clerk_water, administrator, water_list):
    for person in (clerk_water, administrator):
        with pytest.raises(PermissionDeniedError):
            services.cycle_notice_start(actor=person, cycle=cycle, acknowledgements=acknowledge_all(cycle), now=AFTER)
    assert Cycle.objects.get(pk=cycle.pk).state == "open"


def test_publication_is_refused_before_the_notice(cycle, reviewer, water_list):
    decide_all(reviewer, water_list)
    services.cycle_review_begin(actor=reviewer, cycle=cycle, now=AFTER)
    before = snapshot(cycle)
    with pytest.raises(DomainError, match="Under review"):
        services.cycle_publish(actor=reviewer, cycle=cycle, now=AFTER)
    assert snapshot(cycle) == before


def test_publication_is_refused_while_the_notice_runs(cycle, reviewer, water_list):
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    before = snapshot(cycle)
    last_second = datetime.datetime(2025, 4, 16, 23, 59, 59, 999999, tzinfo=BEIJING)
    for moment in (AFTER, last_second):
        with pytest.raises(DomainError, match="runs until 2025-04-16 23:59:59"):
            services.cycle_publish(actor=reviewer, cycle=cycle, now=moment)
    assert snapshot(cycle) == before


def test_publication_is_refused_while_an_objection_is_unsettled(cycle, reviewer, water_list):
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    award = Award.objects.filter(cycle=cycle).first()
    objection = services.objection_file(cycle=cycle, award_id=award.pk, name="陈明", contact="13800000000",
                                        grounds="该区数据不实", now=AFTER)
    before = snapshot(cycle)
    with pytest.raises(DomainError, match=objection.receipt):
        services.cycle_publish(actor=reviewer, cycle=cycle, now=after_notice(cycle))
    assert snapshot(cycle) == before and not Award.objects.filter(cycle=cycle, published_unit_name__gt="").exists()


def test_the_review_cannot_begin_again_and_a_final_year_cannot_go_on_notice(cycle, reviewer, water_list):
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    before = snapshot(cycle)
    for attempt in (lambda: services.cycle_review_begin(actor=reviewer, cycle=cycle, now=AFTER),
                    lambda: put_on_notice(reviewer, cycle, at=AFTER)):
        with pytest.raises(DomainError, match="Public notice"):
            attempt()
    assert snapshot(cycle) == before


def test_only_an_administrator_reopens_and_only_a_year_on_notice_or_final(cycle, reviewer, administrator):
    with pytest.raises(DomainError):
        services.cycle_reopen(actor=administrator, cycle=cycle, reason="更正")
    Cycle.objects.filter(pk=cycle.pk).update(state="published")
    with pytest.raises(PermissionDeniedError):
        services.cycle_reopen(actor=reviewer, cycle=cycle, reason="更正")
    assert Cycle.objects.get(pk=cycle.pk).state == "published"


def test_decisions_freeze_during_the_notice_and_no_extension_after_the_review_begins(cycle, reviewer, water_list,
                                                                                    administrator, bureau):
    decide_all(reviewer, water_list)
    services.cycle_review_begin(actor=reviewer, cycle=cycle, now=AFTER)
    with pytest.raises(DomainError, match="closed to submissions"):
        extension_grant(actor=administrator, cycle=cycle, bureau=bureau("市水务局"),
                        new_deadline=datetime.datetime(2025, 5, 1, tzinfo=BEIJING), reason="补报")
    put_on_notice(reviewer, cycle, at=AFTER)
    last = water_list.nominees.order_by("rank").last()
    with pytest.raises(DomainError, match="public notice"):
        services.nominee_decide(actor=reviewer, nominee=last, approved=True)
    with pytest.raises(DomainError, match="public notice"):
        services.nomination_list_return(actor=reviewer, nomination_list=water_list, reason="补充材料")
    assert Award.objects.filter(cycle=cycle).count() == 2


# --- the working days of the notice --------------------------------------------------------------------------


def test_the_notice_counts_working_days_by_the_official_calendar():
    # Spring Festival 2026: 15–23 February off, Saturday 14 and Saturday 28 February made working days.
    assert working_period(start=datetime.date(2026, 2, 13), working_days=3) == (datetime.date(2026, 2, 13),
                                                                                 datetime.date(2026, 2, 24))
    assert working_period(start=datetime.date(2026, 2, 27), working_days=2) == (datetime.date(2026, 2, 27),
                                                                                 datetime.date(2026, 2, 28))
    # Begun on a holiday, it starts on the next working day.
    assert working_period(start=datetime.date(2026, 2, 16), working_days=1) == (datetime.date(2026, 2, 24),
                                                                                 datetime.date(2026, 2, 24))


def test_a_year_the_calendar_does_not_know_is_refused_not_guessed(cycle, reviewer):
    with pytest.raises(DomainError, match="calendar of working days for 2100"):
        working_period(start=datetime.date(2100, 1, 4), working_days=5)


def test_the_length_of_the_notice_is_the_cycles(cycle, reviewer, water_list):
    Cycle.objects.filter(pk=cycle.pk).update(notice_working_days=7)
    cycle.refresh_from_db()
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    cycle.refresh_from_db()
    assert (cycle.notice_starts_on, cycle.notice_ends_on) == (datetime.date(2025, 4, 10), datetime.date(2025, 4, 18))


# --- objections ----------------------------------------------------------------------------------------------


@pytest.fixture
def on_notice(cycle, reviewer, water_list):
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    cycle.refresh_from_db()
    return cycle


def pdf(name="evidence.pdf", body=b"%PDF-1.4\n% an objection's evidence\n"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


GOOD = {"name": "陈明", "contact": "13800000000", "grounds": "该区上报的河湖长制数据与实际不符"}


@pytest.mark.parametrize("change, field, message", [
    ({"name": " "}, "name", "real name"),
    ({"contact": ""}, "contact", "telephone number or an address"),
    ({"grounds": ""}, "grounds", "what you object to"),
    ({"email": "not-an-address"}, "email", "not an e-mail address"),
    ({"award_id": 999999}, "award", "proposed"),
    ({"award_id": "x"}, "award", "proposed"),
    ({"evidence": pdf("report.pdf", b"<html>not a pdf</html>")}, None, "not really a .pdf"),
    ({"evidence": pdf("tool.exe", b"MZ....")}, None, "only PDF"),
])
def test_a_bad_objection_is_refused_with_a_clear_message_and_nothing_is_written(on_notice, settings, tmp_path,
                                                                               change, field, message):
    settings.MEDIA_ROOT = str(tmp_path)
    award = Award.objects.filter(cycle=on_notice).first()
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match=message) as refused:
        services.objection_file(cycle=on_notice, **{"award_id": award.pk, **GOOD, **change}, now=AFTER)
    if field:
        assert refused.value.field == field
    assert not Objection.objects.exists() and AuditEntry.objects.count() == audit_before
    assert not any(tmp_path.rglob("*.*"))


def test_a_unit_proposed_in_another_year_is_not_proposed_here(on_notice, districts, category, bureau):
    other = Cycle.objects.create(year=2019, document=on_notice.document, deadline=default_deadline_for(2019),
                                 opens_at=datetime.datetime(2019, 6, 1, tzinfo=BEIJING), state="notice")
    nl = NominationList.objects.create(cycle=other, category=category("6"), bureau=bureau("市水务局"))
    nominee = Nominee.objects.create(nomination_list=nl, unit=districts[5], rank=1, achievements="成效")
    elsewhere = Award.objects.create(cycle=other, category=category("6"), unit=districts[5], nominee=nominee, slot=1)
    with pytest.raises(DomainError, match="proposed"):
        services.objection_file(cycle=on_notice, award_id=elsewhere.pk, **GOOD, now=AFTER)
    assert not Objection.objects.exists()


def test_objections_are_taken_only_while_the_notice_runs(on_notice, cycle):
    award = Award.objects.filter(cycle=on_notice).first()
    with pytest.raises(DomainError, match="ended on 2025-04-16"):
        services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, now=after_notice(on_notice))
    assert not Objection.objects.exists()


def test_an_objection_gets_a_receipt_and_its_evidence_is_kept(on_notice, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    award = Award.objects.filter(cycle=on_notice).first()
    objection = services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, email="chenming@example.com",
                                        evidence=pdf(), now=AFTER)
    assert objection.receipt.startswith("2024-") and len(objection.receipt) == 13
    assert (objection.unit, objection.category, objection.status) == (award.unit, award.category, "open")
    assert objection.evidence_name == "evidence.pdf" and len(objection.evidence_sha256) == 64
    assert (tmp_path / objection.evidence.name).read_bytes().startswith(b"%PDF-")
    entry = AuditEntry.objects.get(action="objection.filed")
    assert entry.actor is None and entry.data["unit"] == str(award.unit)


def test_a_dismissed_objection_tells_the_objector_by_mail(on_notice, reviewer, django_capture_on_commit_callbacks):
    award = Award.objects.filter(cycle=on_notice).first()
    objection = services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, email="chenming@example.com",
                                        now=AFTER)
    with pytest.raises(DomainError, match="reasons"):
        services.objection_settle(actor=reviewer, objection=objection, upheld=False, reasons="")
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_settle(actor=reviewer, objection=objection, upheld=False, reasons="经核查，数据属实")
    objection.refresh_from_db()
    assert (objection.status, objection.settled_by, objection.settlement) == ("dismissed", reviewer, "经核查，数据属实")
    mail = OutboxMessage.objects.get(kind="objection")
    assert mail.recipient is None and mail.email == "chenming@example.com" and mail.status == "sent"
    assert objection.receipt in mail.subject and "异议不成立" in mail.body_text and "经核查，数据属实" in mail.body_text
    assert Award.objects.filter(pk=award.pk).exists()
    with pytest.raises(DomainError, match="already settled"):
        services.objection_settle(actor=reviewer, objection=objection, upheld=True, reasons="再议")


def test_an_upheld_objection_withdraws_the_award_and_frees_its_slot(on_notice, reviewer, clerk_water):
    award = Award.objects.filter(cycle=on_notice).order_by("slot").first()
    nominee, slot = award.nominee, award.slot
    objection = services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, now=AFTER)
    with pytest.raises(NotYours):  # not a reviewer's: the objection is not the clerk's to see at all
        services.objection_settle(actor=clerk_water, objection=objection, upheld=True, reasons="x")
    services.objection_settle(actor=reviewer, objection=objection, upheld=True, reasons="经核查，该区数据不实")
    objection.refresh_from_db()
    assert objection.status == "upheld" and objection.award is None and objection.unit == nominee.unit
    assert not Award.objects.filter(cycle=on_notice, slot=slot).exists()
    decision = Decision.objects.get(nominee=nominee)
    assert not decision.approved and decision.comment == "经核查，该区数据不实"
    withdrawn = AuditEntry.objects.get(action="award.withdrawn")
    assert withdrawn.data["slot"] == slot and withdrawn.data["objection"] == objection.receipt
    assert not OutboxMessage.objects.filter(kind="objection").exists()   # no address was left
    # The unit is no longer proposed: nobody can object to it any more, and the year can be final.
    with pytest.raises(DomainError, match="proposed"):
        services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, now=AFTER)
    services.cycle_publish(actor=reviewer, cycle=on_notice, now=after_notice(on_notice))
    assert Award.objects.filter(cycle=on_notice).count() == 1


# --- the pages ---------------------------------------------------------------------------------------------------


def test_the_preflight_page_lists_what_stands_in_the_way(client, cycle, reviewer, water_list, category):
    client.force_login(reviewer)
    url = reverse("reviews:notice", args=[YEAR])
    with mock.patch("nominations.deadlines.current_time", return_value=BEFORE):
        html = client.get(url).content.decode()
    assert 'data-blocker="deadline"' in html and 'data-blocker="undecided" data-category="19-1"' in html
    assert 'data-missing="19-2"' in html and 'data-missing="19-1"' not in html
    decide_all(reviewer, water_list)
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        refused = client.post(url, {f"ack-{category('19-2').pk}": "林长制本年度无申报"})
        assert refused.status_code == 400 and "Acknowledge" not in refused.content.decode()  # in Chinese
        assert Cycle.objects.get(pk=cycle.pk).state == "open"
        posted = {**{f"ack-{pk}": reason for pk, reason in acknowledge_all(cycle).items()}, "confirm": "on"}
        response = client.post(url, posted)
    assert response.status_code == 302 and response["Location"] == reverse("results:notice", args=[YEAR])
    assert Cycle.objects.get(pk=cycle.pk).state == "notice"


def test_the_public_notice_and_the_objection_form_for_anyone(client, on_notice, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    award = Award.objects.filter(cycle=on_notice).select_related("unit").first()
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        html = client.get(reverse("results:notice", args=[YEAR])).content.decode()
        assert 'data-period="2025-04-10/2025-04-16"' in html and award.unit.display_name in html
        form_url = reverse("results:objection", args=[YEAR])
        bad = client.post(form_url, {**GOOD, "name": "", "award": str(award.pk)})
        assert bad.status_code == 400 and not Objection.objects.exists()
        response = client.post(form_url, {**GOOD, "award": str(award.pk), "evidence": pdf()})
        assert response.status_code == 302
        receipt = client.get(response["Location"])
    objection = Objection.objects.get()
    assert objection.receipt in receipt.content.decode()


def test_objections_are_throttled_per_address(client, on_notice, settings):
    settings.OBJECTION_ADDRESS_LIMIT = 2
    award = Award.objects.filter(cycle=on_notice).first()
    form_url = reverse("results:objection", args=[YEAR])
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        statuses = [client.post(form_url, {**GOOD, "award": str(award.pk)}).status_code for _ in range(3)]
        other = client.post(form_url, {**GOOD, "award": str(award.pk)}, REMOTE_ADDR="10.1.2.3").status_code
    assert statuses == [302, 302, 429] and other == 302
    assert Objection.objects.count() == 3


def test_the_reviewer_settles_an_objection_on_its_page(client, on_notice, reviewer):
    award = Award.objects.filter(cycle=on_notice).first()
    objection = services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, now=AFTER)
    client.force_login(reviewer)
    listing = client.get(reverse("reviews:objections", args=[YEAR])).content.decode()
    assert f'data-receipt="{objection.receipt}" data-status="open"' in listing
    url = reverse("reviews:objection", args=[objection.pk])
    assert client.post(url, {"outcome": "upheld", "reasons": ""}).status_code == 400
    unconfirmed = client.post(url, {"outcome": "upheld", "reasons": "数据不实"})
    assert unconfirmed.status_code == 400 and Award.objects.filter(pk=award.pk).exists()
    assert 'id="error-summary"' in unconfirmed.content.decode() and "数据不实" in unconfirmed.content.decode()
    response = client.post(url, {"outcome": "upheld", "reasons": "数据不实", "confirm_withdrawal": "on"})
    assert response.status_code == 302
    assert Objection.objects.get().status == "upheld" and not Award.objects.filter(pk=award.pk).exists()


def test_the_administrator_sets_the_length_of_the_notice_until_it_begins(cycle, administrator, reviewer, water_list):
    from nominations.services import cycle_dates_change

    cycle_dates_change(actor=administrator, cycle=cycle, deadline=cycle.deadline, opens_at=cycle.opens_at,
                       notice_working_days=8)
    cycle.refresh_from_db()
    assert cycle.notice_working_days == 8
    assert AuditEntry.objects.filter(action="cycle.dates_changed").latest("at").data["after"]["notice_working_days"] == 8
    with pytest.raises(DomainError, match="1 to 30"):
        cycle_dates_change(actor=administrator, cycle=cycle, deadline=cycle.deadline, opens_at=cycle.opens_at,
                           notice_working_days=0)
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    cycle.refresh_from_db()
    assert cycle.notice_ends_on == datetime.date(2025, 4, 21)   # 8 working days from Thursday 10 April
    with pytest.raises(DomainError, match="has begun"):
        cycle_dates_change(actor=administrator, cycle=cycle, deadline=cycle.deadline, opens_at=cycle.opens_at,
                           notice_working_days=5)


def test_an_empty_objection_reports_every_missing_field_at_once_and_marks_them(client, on_notice):
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        response = client.post(reverse("results:objection", args=[YEAR]), {"email": ""})
    html = response.content.decode()
    assert response.status_code == 400 and not Objection.objects.exists()
    for missing in ("实名", "联系", "拟激励对象", "异议"):  # name, contact, unit and grounds: four messages in one answer
        assert missing in html, missing
    assert html.count('class="errorlist') >= 4 and html.count('class="required"') == 4


def test_an_objector_finds_their_objection_by_receipt_and_contact(client, on_notice, reviewer, settings):
    award = Award.objects.filter(cycle=on_notice).first()
    objection = services.objection_file(cycle=on_notice, award_id=award.pk, **GOOD, now=AFTER)
    url = reverse("results:objection_lookup")
    assert 'class="required"' in client.get(url).content.decode()
    contact = " ".join(GOOD["contact"])  # typed with spaces, the receipt in lower case: still found
    found = client.post(url, {"receipt": objection.receipt.lower(), "contact": contact})
    assert found.status_code == 200 and 'data-status="open"' in found.content.decode()
    assert objection.receipt in found.content.decode() and "未办理" in found.content.decode()
    services.objection_settle(actor=reviewer, objection=objection, upheld=False, reasons="经核实，事迹属实")
    settled = client.post(url, {"receipt": objection.receipt, "contact": GOOD["contact"]}).content.decode()
    assert 'data-status="dismissed"' in settled and "经核实，事迹属实" in settled
    # A wrong contact and an unknown receipt answer the same page: nothing tells which part was wrong.
    wrong_contact = client.post(url, {"receipt": objection.receipt, "contact": "13900000000"})
    wrong_receipt = client.post(url, {"receipt": "2024-AAAAAAAA", "contact": GOOD["contact"]})
    assert wrong_contact.status_code == wrong_receipt.status_code == 404

    def body(response):
        # The <main> of the page, without the form's token and the values typed.
        main = response.content.decode().split('<main', 1)[1].split("</main>", 1)[0]
        return re.sub(r'(name="csrfmiddlewaretoken"|name="receipt"[^>]*|name="contact"[^>]*) value="[^"]*"', "", main)

    assert body(wrong_contact) == body(wrong_receipt) and "未找到" in body(wrong_contact)
    assert client.post(url, {"receipt": "", "contact": ""}).status_code == 400
    # Throttled like the objection form.
    settings.OBJECTION_ADDRESS_LIMIT = 1
    cache.clear()
    statuses = [client.post(url, {"receipt": objection.receipt, "contact": GOOD["contact"]}).status_code
                for _ in range(2)]
    assert statuses == [200, 429]
