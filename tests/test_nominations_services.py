"""The nomination cycle's rules, through its services: who may act, at most 3 nominees, one unit once, only the
category's kinds, the deadline to the second in Beijing time (whatever the server's time zone), extensions,
optimistic locking, withdrawal, correction after a return, comments and the history of every list."""

import datetime
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from incentives.errors import ConflictError, DomainError, PermissionDeniedError
from nominations import services
from nominations.deadlines import bureau_deadline, deadline_passed
from nominations.models import BEIJING, Cycle, Evidence, ListComment, NominationList
from nominations.selectors import list_history
from organisation.models import AuditEntry, Unit, UnitKind

from .factories import UnitFactory, disguised_file, docx_file, entry, pdf_file, png_file
from .helpers import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

UTC = datetime.UTC
# The 2025 cycle closes on 2026-03-31 23:59:59 Beijing time, which is 15:59:59 UTC.
LAST_SECOND = datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=BEIJING)
ONE_SECOND_LATE = datetime.datetime(2026, 4, 1, 0, 0, 0, tzinfo=BEIJING)
BEFORE = datetime.datetime(2026, 3, 1, 10, 0, 0, tzinfo=BEIJING)


@pytest.fixture
def cycle_2025(administrator):
    """The 2025 cycle as opened by the administrator, with the default deadline."""
    return services.cycle_open(actor=administrator, year=2025,
                               opens_at=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=BEIJING))


@pytest.fixture
def water_list(cycle_2025, clerk_water, category):
    return services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle_2025, category=category("6"))


def save(nomination_list, actor, entries, *, now=BEFORE, **kwargs):
    nomination_list.refresh_from_db()
    return services.nomination_list_save(actor=actor, nomination_list=nomination_list, version=nomination_list.version,
                                         entries=entries, now=now, **kwargs)


# --- cycles ---------------------------------------------------------------------------------------------------------

def test_opening_a_cycle_defaults_to_march_31_end_of_day_beijing(cycle_2025, administrator):
    assert cycle_2025.year == 2025 and cycle_2025.state == Cycle.State.OPEN
    assert cycle_2025.deadline == LAST_SECOND
    assert cycle_2025.deadline.astimezone(UTC) == datetime.datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC)
    assert cycle_2025.document.in_force
    entry_ = AuditEntry.objects.get(action="cycle.opened", target_id=cycle_2025.pk)
    assert entry_.actor == administrator


def test_both_dates_of_a_cycle_can_be_chosen_and_changed(administrator):
    cycle = services.cycle_open(actor=administrator, year=2024, opens_at=datetime.datetime(2025, 1, 2, tzinfo=BEIJING),
                                deadline=datetime.datetime(2025, 4, 15, 18, 0))  # naive: read as Beijing time
    assert cycle.deadline == datetime.datetime(2025, 4, 15, 18, 0, tzinfo=BEIJING)
    services.cycle_dates_change(actor=administrator, cycle=cycle, opens_at=cycle.opens_at,
                                deadline=datetime.datetime(2025, 4, 30, 23, 59, 59, tzinfo=BEIJING))
    cycle.refresh_from_db()
    assert cycle.deadline == datetime.datetime(2025, 4, 30, 23, 59, 59, tzinfo=BEIJING)
    assert AuditEntry.objects.filter(action="cycle.dates_changed", target_id=cycle.pk).count() == 1


def test_only_an_administrator_opens_a_cycle(clerk_water, reviewer, administrator):
    for person in (clerk_water, reviewer):
        with pytest.raises(PermissionDeniedError):
            services.cycle_open(actor=person, year=2030)
    with pytest.raises(DomainError):
        services.cycle_open(actor=administrator, year=2030, opens_at=datetime.datetime(2031, 5, 1, tzinfo=BEIJING))
    assert not Cycle.objects.filter(year=2030).exists()


def test_a_year_has_one_cycle(cycle_2025, administrator):
    with pytest.raises(DomainError):
        services.cycle_open(actor=administrator, year=2025, opens_at=datetime.datetime(2026, 1, 1, tzinfo=BEIJING))
    assert Cycle.objects.filter(year=2025).count() == 1


# --- who prepares which list ----------------------------------------------------------------------------------------

def test_list_belongs_to_the_owning_bureau(cycle_2025, category, bureau, clerk_water, clerk_forestry, clerk_ndrc):
    cases = [(clerk_water, "6", "市水务局"), (clerk_water, "19-1", "市水务局"), (clerk_forestry, "19-2", "市林业园林局"),
             (clerk_ndrc, "30-1", "市发展改革委")]
    for clerk, code, owner in cases:
        nomination_list = services.nomination_list_get_or_create(actor=clerk, cycle=cycle_2025, category=category(code))
        assert nomination_list.bureau == bureau(owner)
        assert nomination_list.state == NominationList.State.DRAFT
        assert [e.action for e in list_history(nomination_list)] == ["nomination_list.created"]


def test_co_responsible_and_other_bureaus_cannot_prepare_the_list(cycle_2025, category, clerk_ndrc, clerk_forestry, reviewer):
    for person in (clerk_ndrc, clerk_forestry, reviewer):
        with pytest.raises(PermissionDeniedError):
            services.nomination_list_get_or_create(actor=person, cycle=cycle_2025, category=category("6"))
    assert not NominationList.objects.filter(category=category("6")).exists()


def test_co_responsible_bureau_cannot_save_or_submit(water_list, clerk_ndrc, districts):
    before = snapshot(water_list)
    with pytest.raises(PermissionDeniedError):
        save(water_list, clerk_ndrc, [entry(districts[0])])
    with pytest.raises(PermissionDeniedError):
        services.nomination_list_submit(actor=clerk_ndrc, nomination_list=water_list, version=water_list.version, now=BEFORE)
    assert snapshot(water_list) == before


# --- the list's content ---------------------------------------------------------------------------------------------

def test_clerk_saves_a_ranked_draft_with_evidence_and_submits(water_list, clerk_water, districts):
    save(water_list, clerk_water, [entry(districts[2], files=[pdf_file()]), entry(districts[0], files=[png_file(), docx_file()])])
    ranks = list(water_list.nominees.order_by("rank").values_list("rank", "unit__name"))
    assert ranks == [(1, districts[2].name), (2, districts[0].name)]
    evidence = Evidence.objects.filter(nominee__nomination_list=water_list).order_by("original_name")
    assert [e.original_name for e in evidence] == ["photo.png", "report.pdf", "summary.docx"]
    for item in evidence:
        # The stored name is generated: nothing of the person's file name reaches the disk.
        assert item.file.name == f"evidence/2025/{item.token}{item.extension}"
        assert os.path.exists(item.file.path) and len(item.sha256) == 64
    water_list.refresh_from_db()
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=LAST_SECOND)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.SUBMITTED
    assert water_list.submitted_by == clerk_water and water_list.submitted_at == LAST_SECOND
    assert [e.action for e in list_history(water_list)] == [
        "nomination_list.submitted", "nomination_list.saved", "nomination_list.created"]
    assert all(e.actor == clerk_water for e in list_history(water_list))


def test_a_fourth_nominee_is_refused(water_list, clerk_water, districts):
    save(water_list, clerk_water, [entry(districts[0])])
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(d) for d in districts[:4]])
    assert snapshot(water_list) == before


def test_the_same_unit_is_refused_twice(water_list, clerk_water, districts):
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[0]), entry(districts[0])])
    assert snapshot(water_list) == before


def test_a_unit_of_the_wrong_kind_is_refused(water_list, clerk_water, districts):
    hospital = UnitFactory(name="市第一人民医院", kind=UnitKind.objects.get(code=UnitKind.HOSPITAL))
    save(water_list, clerk_water, [entry(districts[1])])
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[1]), entry(hospital)])
    assert snapshot(water_list) == before


def test_a_merged_unit_cannot_be_proposed(water_list, clerk_water):
    merged = Unit.objects.get(kind_id=UnitKind.DISTRICT, is_active=False)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(merged)])
    assert not water_list.nominees.exists()


def test_a_draft_is_saved_incomplete_and_submitted_only_complete(water_list, clerk_water, districts):
    """A unit without its achievements yet is saved in the draft; the submission names what is missing."""
    saved = save(water_list, clerk_water, [entry(districts[0], text="   "), entry(districts[1])])
    assert [n.achievements for n in saved.nominees.order_by("rank")] == ["", "全年完成投资目标，排名第一。"]
    assert services.nomination_list_missing(saved) == [f"Describe what {districts[0]} achieved."]
    with pytest.raises(DomainError, match=f"Describe what {districts[0]} achieved"):
        services.nomination_list_submit(actor=clerk_water, nomination_list=saved, version=saved.version, now=BEFORE)
    saved.refresh_from_db()
    assert saved.state == "draft"
    complete = save(saved, clerk_water, [entry(districts[0]), entry(districts[1])])
    assert services.nomination_list_missing(complete) == []
    assert services.nomination_list_submit(actor=clerk_water, nomination_list=complete, version=complete.version,
                                           now=BEFORE).state == "submitted"


@pytest.mark.parametrize("bad_file", [disguised_file, lambda: SimpleUploadedFile("run.exe", b"MZ" + b"\0" * 40),
                                      lambda: SimpleUploadedFile("fake.docx", b"PK\x03\x04not really a zip"),
                                      lambda: SimpleUploadedFile("page.png", b"<html><script>alert(1)</script>")])
def test_a_disguised_or_unknown_file_is_refused(water_list, clerk_water, districts, bad_file, media_root):
    save(water_list, clerk_water, [entry(districts[0], files=[pdf_file()])])
    before = snapshot(water_list)
    stored = sorted(p.name for p in media_root.rglob("*") if p.is_file())
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[0], files=[pdf_file("second.pdf"), bad_file()])])
    assert snapshot(water_list) == before
    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == stored


def test_an_oversized_file_is_refused(water_list, clerk_water, districts, settings, media_root):
    settings.EVIDENCE_MAX_BYTES = 1000
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[0], files=[pdf_file(size=1001)])])
    assert snapshot(water_list) == before
    assert not any(p.is_file() for p in media_root.rglob("*"))
    save(water_list, clerk_water, [entry(districts[0], files=[pdf_file(size=1000)])])
    assert Evidence.objects.filter(nominee__nomination_list=water_list, size=1000).count() == 1


def test_reordering_keeps_each_units_evidence(water_list, clerk_water, districts):
    a, b, c = districts[:3]
    save(water_list, clerk_water, [entry(a, files=[pdf_file("a.pdf")]), entry(b, files=[pdf_file("b.pdf")]),
                                   entry(c, files=[pdf_file("c.pdf")])])
    names = {a.pk: "a.pdf", b.pk: "b.pdf", c.pk: "c.pdf"}
    for order in ([c, b, a], [b, c, a], [a, b, c], [c, a]):
        rows = dict(water_list.nominees.values_list("unit_id", "pk"))
        save(water_list, clerk_water, [entry(u) for u in order])
        assert list(water_list.nominees.order_by("rank").values_list("unit_id", flat=True)) == [u.pk for u in order]
        pairs = set(Evidence.objects.filter(nominee__nomination_list=water_list).values_list("nominee__unit_id", "original_name"))
        assert pairs == {(u.pk, names[u.pk]) for u in order}
        # Units that stay keep their rows (and any decision on them): at most one row is rebuilt per save.
        kept = dict(water_list.nominees.values_list("unit_id", "pk"))
        assert sum(kept[u] != rows[u] for u in kept) <= 1


def test_evidence_can_be_removed_but_only_from_the_same_list(water_list, clerk_water, clerk_forestry, cycle_2025,
                                                            category, districts):
    save(water_list, clerk_water, [entry(districts[0], files=[pdf_file(), png_file()])])
    forestry_list = services.nomination_list_get_or_create(actor=clerk_forestry, cycle=cycle_2025, category=category("19-2"))
    save(forestry_list, clerk_forestry, [entry(districts[0], files=[pdf_file("forest.pdf")])])
    foreign = Evidence.objects.get(original_name="forest.pdf")
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[0])], remove_evidence=[foreign.pk])
    assert snapshot(water_list) == before and Evidence.objects.filter(pk=foreign.pk).exists()
    photo = Evidence.objects.get(original_name="photo.png")
    save(water_list, clerk_water, [entry(districts[0])], remove_evidence=[photo.pk])
    assert list(Evidence.objects.filter(nominee__nomination_list=water_list).values_list("original_name", flat=True)) == ["report.pdf"]


def test_nobody_to_propose_is_said_explicitly(water_list, clerk_water, districts):
    water_list.refresh_from_db()
    with pytest.raises(DomainError):
        services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=BEFORE)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [], nothing_to_propose=True, nothing_reason="")
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[0])], nothing_to_propose=True, nothing_reason="无")
    save(water_list, clerk_water, [], nothing_to_propose=True, nothing_reason="本年度各区均未达到激励条件。")
    water_list.refresh_from_db()
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=BEFORE)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.SUBMITTED and water_list.nothing_to_propose
    assert not water_list.nominees.exists()


# --- the deadline ---------------------------------------------------------------------------------------------------

def _deadline_rule_holds(water_list, clerk_water, districts):
    save(water_list, clerk_water, [entry(districts[0])], now=LAST_SECOND)
    save(water_list, clerk_water, [entry(districts[1])], now=LAST_SECOND.replace(microsecond=999999))
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[2])], now=ONE_SECOND_LATE)
    with pytest.raises(DomainError):
        services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version,
                                        now=ONE_SECOND_LATE)
    assert snapshot(water_list) == before
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=LAST_SECOND)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.SUBMITTED
    assert deadline_passed(deadline=water_list.cycle.deadline, now=LAST_SECOND) is False
    assert deadline_passed(deadline=water_list.cycle.deadline, now=ONE_SECOND_LATE) is True


@pytest.mark.parametrize("time_zone", ["UTC", "America/New_York", "Asia/Shanghai", "Pacific/Kiritimati"])
def test_deadline_is_exact_to_the_second_whatever_the_time_zone_setting(time_zone, water_list, clerk_water, districts):
    with override_settings(TIME_ZONE=time_zone):
        water_list.refresh_from_db()
        _deadline_rule_holds(water_list, clerk_water, districts)


@pytest.mark.parametrize("process_tz", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_deadline_is_exact_to_the_second_whatever_the_process_time_zone(process_tz, water_list, clerk_water, districts,
                                                                        monkeypatch):
    monkeypatch.setenv("TZ", process_tz)
    time.tzset()
    try:
        assert time.tzname[0] in {"UTC", "EST", "JST"}
        _deadline_rule_holds(water_list, clerk_water, districts)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_real_clock_is_used_when_no_time_is_given(water_list, clerk_water, districts):
    # The 2025 cycle's deadline (2026-03-31) is in the past for anyone running this suite after it.
    with pytest.raises(DomainError):
        services.nomination_list_save(actor=clerk_water, nomination_list=water_list, version=water_list.version,
                                      entries=[entry(districts[0])])
    assert not water_list.nominees.exists()


# --- extensions -----------------------------------------------------------------------------------------------------

def test_an_extension_lets_that_bureau_alone_work_after_the_deadline(cycle_2025, water_list, clerk_water, clerk_forestry,
                                                                   reviewer, bureau, category, districts):
    forestry_list = services.nomination_list_get_or_create(actor=clerk_forestry, cycle=cycle_2025, category=category("19-2"))
    new_deadline = datetime.datetime(2026, 4, 10, 17, 30, 0, tzinfo=BEIJING)
    extension = services.extension_grant(actor=reviewer, cycle=cycle_2025, bureau=bureau("市水务局"),
                                         new_deadline=new_deadline, reason="汛期抢险，材料延后报送。")
    assert bureau_deadline(cycle=cycle_2025, bureau=bureau("市水务局")) == new_deadline
    assert bureau_deadline(cycle=cycle_2025, bureau=bureau("市林业园林局")) == cycle_2025.deadline
    late = datetime.datetime(2026, 4, 5, 9, 0, tzinfo=BEIJING)
    save(water_list, clerk_water, [entry(districts[0])], now=late)
    with pytest.raises(DomainError):
        save(forestry_list, clerk_forestry, [entry(districts[0])], now=late)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[1])], now=new_deadline + datetime.timedelta(seconds=1))
    water_list.refresh_from_db()
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=new_deadline)
    history = list(list_history(water_list))
    granted = [e for e in history if e.action == "extension.granted"]
    assert len(granted) == 1 and granted[0].actor == reviewer and granted[0].target_id == extension.pk
    assert granted[0].data["reason"] == "汛期抢险，材料延后报送。"
    assert not [e for e in list_history(forestry_list) if e.action == "extension.granted"]


def test_an_extension_is_a_general_office_decision_with_a_reason(cycle_2025, clerk_water, administrator, bureau):
    later = datetime.datetime(2026, 4, 10, tzinfo=BEIJING)
    with pytest.raises(PermissionDeniedError):
        services.extension_grant(actor=clerk_water, cycle=cycle_2025, bureau=bureau("市水务局"), new_deadline=later, reason="x")
    with pytest.raises(DomainError):
        services.extension_grant(actor=administrator, cycle=cycle_2025, bureau=bureau("市水务局"), new_deadline=later, reason=" ")
    with pytest.raises(DomainError):
        services.extension_grant(actor=administrator, cycle=cycle_2025, bureau=bureau("市水务局"),
                                 new_deadline=cycle_2025.deadline, reason="too early")
    assert not cycle_2025.extensions.exists()
    services.extension_grant(actor=administrator, cycle=cycle_2025, bureau=bureau("市水务局"), new_deadline=later, reason="一")
    services.extension_grant(actor=administrator, cycle=cycle_2025, bureau=bureau("市水务局"),
                             new_deadline=later + datetime.timedelta(days=2), reason="二")
    extension = cycle_2025.extensions.get()
    assert extension.reason == "二" and extension.new_deadline == later + datetime.timedelta(days=2)
    assert AuditEntry.objects.filter(action="extension.granted", target_id=extension.pk).count() == 2


# --- concurrent editing ---------------------------------------------------------------------------------------------

def test_a_stale_save_is_refused_and_changes_nothing(water_list, clerk_water, bureau, districts):
    colleague = water_list.created_by.__class__.objects.create_user("wangfang2")
    from organisation.models import Membership
    Membership.objects.create(user=colleague, bureau=bureau("市水务局"))
    from organisation.permissions import membership_sync
    membership_sync(colleague)
    water_list.refresh_from_db()
    opened_version = water_list.version  # both clerks open the editor at this version
    services.nomination_list_save(actor=clerk_water, nomination_list=water_list, version=opened_version,
                                  entries=[entry(districts[0], text="王芳的版本")], now=BEFORE)
    before = snapshot(water_list)
    with pytest.raises(ConflictError) as refused:
        services.nomination_list_save(actor=colleague, nomination_list=water_list, version=opened_version,
                                      entries=[entry(districts[1], text="同事的版本")], now=BEFORE)
    assert "reload" in str(refused.value).lower()
    assert snapshot(water_list) == before
    assert water_list.nominees.get().achievements == "王芳的版本"
    with pytest.raises(ConflictError):
        services.nomination_list_submit(actor=colleague, nomination_list=water_list, version=opened_version, now=BEFORE)
    assert snapshot(water_list) == before


# --- after submitting -----------------------------------------------------------------------------------------------

def test_a_submitted_list_is_read_only_until_withdrawn(water_list, clerk_water, districts):
    save(water_list, clerk_water, [entry(districts[0])])
    water_list.refresh_from_db()
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=BEFORE)
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[1])])
    assert snapshot(water_list) == before
    services.nomination_list_withdraw(actor=clerk_water, nomination_list=water_list, now=BEFORE)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.DRAFT and water_list.submitted_at is None
    save(water_list, clerk_water, [entry(districts[1])])
    assert list(water_list.nominees.values_list("unit_id", flat=True)) == [districts[1].pk]
    assert [e.action for e in list_history(water_list)][:2] == ["nomination_list.saved", "nomination_list.withdrawn"]


def test_withdrawing_is_refused_after_the_deadline(water_list, clerk_water, districts):
    save(water_list, clerk_water, [entry(districts[0])])
    water_list.refresh_from_db()
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=BEFORE)
    with pytest.raises(DomainError):
        services.nomination_list_withdraw(actor=clerk_water, nomination_list=water_list, now=ONE_SECOND_LATE)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.SUBMITTED
    services.nomination_list_withdraw(actor=clerk_water, nomination_list=water_list, now=LAST_SECOND)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.DRAFT


def test_a_returned_list_is_corrected_and_resubmitted(water_list, clerk_water, districts):
    save(water_list, clerk_water, [entry(districts[0])])
    water_list.refresh_from_db()
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=BEFORE)
    # What the reviews app does when the General Office returns the list.
    NominationList.objects.filter(pk=water_list.pk).update(state=NominationList.State.RETURNED, return_reason="请补充投资完成率数据。")
    save(water_list, clerk_water, [entry(districts[0], figures="投资完成率 132%")])
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.RETURNED
    services.nomination_list_submit(actor=clerk_water, nomination_list=water_list, version=water_list.version, now=BEFORE)
    water_list.refresh_from_db()
    assert water_list.state == NominationList.State.SUBMITTED
    assert water_list.nominees.get().figures == "投资完成率 132%"
    assert list_history(water_list).first().action == "nomination_list.resubmitted"


def test_a_decided_list_or_a_closed_cycle_cannot_change(water_list, clerk_water, districts, cycle_2025):
    save(water_list, clerk_water, [entry(districts[0])])
    NominationList.objects.filter(pk=water_list.pk).update(state=NominationList.State.DECIDED)
    before = snapshot(water_list)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[1])])
    with pytest.raises(DomainError):
        services.nomination_list_withdraw(actor=clerk_water, nomination_list=water_list, now=BEFORE)
    NominationList.objects.filter(pk=water_list.pk).update(state=NominationList.State.DRAFT)
    Cycle.objects.filter(pk=cycle_2025.pk).update(state=Cycle.State.REVIEW)
    with pytest.raises(DomainError):
        save(water_list, clerk_water, [entry(districts[1])])
    assert snapshot(water_list)[3] == before[3]


# --- comments -------------------------------------------------------------------------------------------------------

def test_co_responsible_bureau_comments_without_changing_the_list(water_list, clerk_water, clerk_ndrc, clerk_forestry,
                                                                districts, bureau):
    save(water_list, clerk_water, [entry(districts[0])])
    before = snapshot(water_list)
    comment = services.list_comment_add(actor=clerk_ndrc, nomination_list=water_list, text="建议补充项目清单。")
    assert comment.bureau == bureau("市发展改革委")
    assert snapshot(water_list) == before
    with pytest.raises(PermissionDeniedError):
        services.list_comment_add(actor=clerk_forestry, nomination_list=water_list, text="不相关")
    with pytest.raises(DomainError):
        services.list_comment_add(actor=clerk_ndrc, nomination_list=water_list, text="  ")
    assert list(ListComment.objects.filter(nomination_list=water_list).values_list("text", flat=True)) == ["建议补充项目清单。"]
    assert list_history(water_list).first().action == "nomination_list.commented"
