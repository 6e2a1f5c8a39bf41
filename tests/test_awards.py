"""What the measures award: exceptions a bureau asks for and the General Office grants, refuses or withdraws;
entitlements without a cap; the register of State Council incentives won (measure 32); the funds ledger;
units of several kinds; bad input refused with the field named and nothing written.

People: 王芳 (``clerk_water``) prepares 19-1 for 市水务局; 张伟 (``reviewer``) decides; a clerk of 市财政局 enters
disbursements."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from incentives.errors import DomainError, PermissionDeniedError
from measures.models import CapException, IncentiveCategory
from nominations import services as nomination_services
from nominations.models import CapExceptionRequest, NominationList, Nominee
from nominations.selectors import units_for_category
from organisation import roles
from organisation.access import NotYours
from organisation.models import AuditEntry, Notification, OutboxMessage, Unit, UnitKind
from reviews import bulletins, selectors, services
from reviews.models import Award, Disbursement, HigherAward

from .factories import make_cycle, make_list, make_user, publish_final

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_cycle(2023)


@pytest.fixture
def water_list(cycle, category, bureau, districts, clerk_water):
    """19-1 of 市水务局, submitted with four districts (more than the cap of 3)."""
    return make_list(cycle, category("19-1"), bureau("市水务局"), districts[:4], clerk=clerk_water)


@pytest.fixture
def finance_clerk(bureau):
    return make_user("caizheng", first_name="周敏", role=roles.BUREAU_STAFF, bureaus=[bureau("市财政局")])


def approve_all(reviewer, nomination_list):
    outcomes = []
    for nominee in nomination_list.nominees.order_by("rank"):
        try:
            services.nominee_decide(actor=reviewer, nominee=nominee, approved=True)
            outcomes.append("approved")
        except DomainError as error:
            outcomes.append(str(error))
    return outcomes


def tianhe():
    return Unit.objects.get(kind_id=UnitKind.DISTRICT, name="天河区")


# --- exceptions that work ----------------------------------------------------------------------------------------


def test_the_fourth_approval_is_refused_with_the_caps_message_without_an_exception(reviewer, water_list):
    outcomes = approve_all(reviewer, water_list)
    assert outcomes[:3] == ["approved"] * 3
    assert "19-1" in outcomes[3] and "原则上不超3个" in outcomes[3]
    assert Award.objects.filter(cycle=water_list.cycle, category=water_list.category).count() == 3


def test_a_bureau_asks_a_reviewer_grants_and_the_fourth_approval_succeeds(reviewer, clerk_water, water_list):
    request = nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water_list,
                                                        requested_limit="4", reason="四个区考核均为优秀")
    assert request.state == CapExceptionRequest.State.PENDING
    assert AuditEntry.objects.filter(action="cap_exception_request.requested").count() == 1
    exception = services.cap_exception_grant(actor=reviewer, request=request, new_limit=4, reason="经市政府同意")
    request.refresh_from_db()
    assert (request.state, request.granted_limit, request.decided_by) == ("granted", 4, reviewer)
    assert (exception.new_limit, exception.year) == (4, 2023)
    # The bureau is told: an e-mail in the outbox and a notification, in Chinese.
    message = OutboxMessage.objects.get(kind="exception", recipient=clerk_water)
    assert "已批准" in message.subject and "4" in message.body_text and "经市政府同意" in message.body_text
    assert Notification.objects.filter(user=clerk_water, message=message).exists()
    # The list may now hold four, and all four are approved; the fourth cites the exception.
    assert nomination_services.limits.list_length(category=water_list.category, year=2023) == 4
    assert approve_all(reviewer, water_list) == ["approved"] * 4
    fourth = Award.objects.get(slot=4, category=water_list.category)
    assert fourth.cap_exception == exception


def test_a_refused_request_leaves_the_cap_and_tells_the_bureau(reviewer, clerk_water, water_list):
    request = nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water_list,
                                                        requested_limit=5, reason="成效突出")
    services.cap_exception_refuse(actor=reviewer, request=request, reason="不符合原则上不超3个的要求")
    request.refresh_from_db()
    assert request.state == "refused" and request.decision_reason == "不符合原则上不超3个的要求"
    assert not CapException.objects.exists()
    assert "未批准" in OutboxMessage.objects.get(kind="exception", recipient=clerk_water).subject
    assert "原则上不超3个" in approve_all(reviewer, water_list)[3]


@pytest.mark.parametrize("value, field", [("3", "requested_limit"), ("2", "requested_limit"), ("11", "requested_limit"),
                                          ("四", "requested_limit"), ("", "requested_limit")])
def test_a_request_for_no_more_than_the_cap_or_beyond_the_maximum_is_refused(clerk_water, water_list, value, field):
    with pytest.raises(DomainError) as refused:
        nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water_list, requested_limit=value,
                                                  reason="理由")
    assert refused.value.field == field
    assert not CapExceptionRequest.objects.exists() and not AuditEntry.objects.filter(action__startswith="cap_").exists()


def test_a_request_needs_reasons_and_the_owning_bureau(clerk_water, clerk_ndrc, water_list):
    with pytest.raises(DomainError) as refused:
        nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water_list, requested_limit=4,
                                                  reason="  ")
    assert refused.value.field == "reason"
    with pytest.raises(PermissionDeniedError):
        nomination_services.cap_exception_request(actor=clerk_ndrc, nomination_list=water_list, requested_limit=4,
                                                  reason="理由")
    nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water_list, requested_limit=4, reason="理由")
    with pytest.raises(DomainError, match="already has a request"):
        nomination_services.cap_exception_request(actor=clerk_water, nomination_list=water_list, requested_limit=5,
                                                  reason="理由")
    assert CapExceptionRequest.objects.count() == 1


def test_a_withdrawn_exception_brings_the_cap_back_and_cannot_strand_a_fourth_award(reviewer, water_list, cycle):
    category = water_list.category
    services.cap_exception_record(actor=reviewer, cycle=cycle, category=category, new_limit=4, reason="经批准")
    assert approve_all(reviewer, water_list) == ["approved"] * 4
    with pytest.raises(DomainError, match="more than its cap"):
        services.cap_exception_withdraw(actor=reviewer, cycle=cycle, category=category, reason="撤回")
    assert CapException.objects.filter(category=category).exists()
    fourth = water_list.nominees.get(rank=4)
    services.nominee_decide(actor=reviewer, nominee=fourth, approved=False, comment="名额已收回")
    services.cap_exception_withdraw(actor=reviewer, cycle=cycle, category=category, reason="撤回")
    assert not CapException.objects.filter(category=category).exists()
    assert AuditEntry.objects.filter(action="cap_exception.withdrawn").count() == 1
    assert "原则上不超3个" in str(pytest.raises(DomainError, services.nominee_decide, actor=reviewer, nominee=fourth,
                                                 approved=True).value)


def test_the_bureaus_list_page_asks_and_the_review_page_grants(client, clerk_water, reviewer, water_list):
    client.force_login(clerk_water)
    url = reverse("nominations:exception_request", args=[2023, water_list.category_id])
    assert client.post(url, {"requested_limit": "4", "reason": "四个区均优秀"}).status_code == 302
    pending = CapExceptionRequest.objects.get()
    client.force_login(reviewer)
    page = client.get(reverse("reviews:list", args=[water_list.pk]))
    assert page.status_code == 200 and 'id="exception-request"' in page.content.decode()
    assert client.post(reverse("reviews:exception_grant", args=[pending.pk]),
                       {"new_limit": "4", "reason": "同意"}).status_code == 302
    assert CapException.objects.get().new_limit == 4


# --- entitlements ---------------------------------------------------------------------------------------------------


def test_an_entitlement_has_no_cap_and_its_awards_take_no_slot(reviewer, cycle, category, bureau):
    platforms = [Unit.objects.create(name=f"创新平台{i}", kind_id=UnitKind.INNOVATION_PLATFORM, division_order=5000 + i)
                 for i in range(5)]
    nl = make_list(cycle, category("9"), bureau("市发展改革委"), platforms)
    assert approve_all(reviewer, nl) == ["approved"] * 5
    awards = Award.objects.filter(category=category("9"))
    assert awards.count() == 5 and {a.slot for a in awards} == {None} and all(a.is_entitlement for a in awards)
    with pytest.raises(DomainError, match="entitlement"):
        services.cap_exception_record(actor=reviewer, cycle=cycle, category=category("9"), new_limit=5, reason="无")


# --- the register of higher-level incentives won ----------------------------------------------------------------------


def register(reviewer, cycle, unit, number="国办发〔2022〕21号", measure="稳增长成效明显"):
    return services.higher_award_record(actor=reviewer, cycle=cycle, document_number=number, higher_measure=measure,
                                        unit=unit, awarded_on="2022-05-06")


def test_a_state_council_incentive_of_tianhe_earns_500_wan_in_the_ledger_results_and_bulletin(reviewer, cycle, client):
    entry = register(reviewer, cycle, tianhe())
    assert entry.category.code == "32-2" and entry.state == "recorded"
    assert not Award.objects.exists()  # a reviewer confirms it first
    services.higher_award_confirm(actor=reviewer, entry=entry)
    award = Award.objects.get(higher_award=entry)
    assert (award.unit, award.category.code, award.amount, award.slot) == (tianhe(), "32-2", Decimal("5000000.00"), None)

    ledger = selectors.ledger(user=reviewer, programme=cycle.programme, year=2023)
    row = next(r for r in ledger.rows if r.award == award)
    assert (row.pledged, row.disbursed, row.remaining) == (Decimal("5000000.00"), 0, Decimal("5000000.00"))
    assert ("广州市天河区", Decimal("5000000.00"), 0) in [(k, p, d) for k, p, d in ledger.by_unit]
    assert row.bureau.short_name == "市政府办公厅"

    # A second incentive of the same year: a second entitlement, both listed.
    second = register(reviewer, cycle, tianhe(), number="国办发〔2023〕5号", measure="优化营商环境")
    services.higher_award_confirm(actor=reviewer, entry=second)
    assert Award.objects.filter(unit=tianhe(), category__code="32-2").count() == 2
    assert selectors.ledger(user=reviewer, programme=cycle.programme, year=2023).pledged == Decimal("10000000.00")

    context = bulletins.bulletin_context(cycle)
    category = next(c for s in context.sections for c in s.categories if c.name == "区")
    assert category.units == ["广州市天河区（国办发〔2022〕21号）", "广州市天河区（国办发〔2023〕5号）"]
    assert "每项安排500万元" in category.support

    publish_final(reviewer, cycle)
    html = client.get(reverse("results:cycle", args=[2023])).content.decode()
    assert html.count('data-document="国办发〔2022〕21号"') == 1 and 'data-document="国办发〔2023〕5号"' in html
    assert "每项安排500万元国务院督查激励配套资金予以激励" in html


def test_a_lead_department_earns_the_assessment_points_category(reviewer, cycle):
    department, _created = Unit.objects.get_or_create(name="市商务局", kind_id=UnitKind.MUNICIPAL_DEPARTMENT,
                                                      parent=None, defaults={"division_order": 4000})
    entry = register(reviewer, cycle, department)
    services.higher_award_confirm(actor=reviewer, entry=entry)
    award = Award.objects.get(higher_award=entry)
    assert award.category.code == "32-1" and award.amount is None and "加分" in award.category.support_text


@pytest.mark.parametrize("field, kwargs", [
    ("unit", {"unit": "hospital"}),
    ("document_number", {"number": "国办发[2022]21号"}),
    ("document_number", {"number": "国办发〔2022〕021号"}),
    ("higher_measure", {"measure": " "}),
])
def test_a_bad_register_entry_names_the_field_and_writes_nothing(reviewer, cycle, field, kwargs):
    unit = Unit.objects.create(name="市第一人民医院", kind_id=UnitKind.HOSPITAL, division_order=4100) \
        if kwargs.pop("unit", None) else tianhe()
    with pytest.raises(DomainError) as refused:
        register(reviewer, cycle, unit, **kwargs)
    assert refused.value.field == field
    assert not HigherAward.objects.exists() and not AuditEntry.objects.filter(action__startswith="higher_award").exists()


def test_a_bad_date_and_a_duplicate_are_refused(reviewer, cycle):
    with pytest.raises(DomainError) as refused:
        services.higher_award_record(actor=reviewer, cycle=cycle, document_number="国办发〔2022〕21号",
                                     higher_measure="稳增长", unit=tianhe(), awarded_on="2022-13-01")
    assert refused.value.field == "awarded_on"
    register(reviewer, cycle, tianhe())
    with pytest.raises(DomainError, match="already registered"):
        register(reviewer, cycle, tianhe())
    assert HigherAward.objects.count() == 1


def test_only_reviewers_and_the_bureaus_of_measure_32_keep_the_register(reviewer, clerk_water, finance_clerk, cycle):
    with pytest.raises(NotYours):  # the register is not a water clerk's to see: answered as if it did not exist
        register(clerk_water, cycle, tianhe())
    entry = register(finance_clerk, cycle, tianhe())  # 市财政局 is jointly responsible for measure 32
    with pytest.raises(PermissionDeniedError):
        services.higher_award_confirm(actor=finance_clerk, entry=entry)
    services.higher_award_confirm(actor=reviewer, entry=entry)
    with pytest.raises(DomainError, match="confirmed already"):
        services.higher_award_confirm(actor=reviewer, entry=entry)
    assert Award.objects.filter(higher_award=entry).count() == 1


# --- funds --------------------------------------------------------------------------------------------------------


@pytest.fixture
def tianhe_award(reviewer, cycle):
    entry = register(reviewer, cycle, tianhe())
    services.higher_award_confirm(actor=reviewer, entry=entry)
    return Award.objects.get(higher_award=entry)


def test_the_finance_bureau_records_disbursements_up_to_the_pledge(finance_clerk, tianhe_award, reviewer):
    services.disbursement_record(actor=finance_clerk, award=tianhe_award, amount="3000000", paid_on="2024-06-30",
                                 reference="穗财拨〔2024〕88号")
    with pytest.raises(DomainError) as refused:
        services.disbursement_record(actor=finance_clerk, award=tianhe_award, amount="2000000.01", paid_on="2024-07-01",
                                     reference="穗财拨〔2024〕99号")
    assert refused.value.field == "amount" and "2000000.00" in str(refused.value)
    services.disbursement_record(actor=finance_clerk, award=tianhe_award, amount="2,000,000", paid_on="2024-07-01",
                                 reference="穗财拨〔2024〕99号")
    ledger = selectors.ledger(user=finance_clerk, programme=tianhe_award.cycle.programme)
    row = next(r for r in ledger.rows if r.award == tianhe_award)
    assert (row.disbursed, row.remaining) == (Decimal("5000000.00"), Decimal("0.00"))
    assert ledger.by_year == [(2023, Decimal("5000000.00"), Decimal("5000000.00"))]
    with pytest.raises(PermissionDeniedError):
        services.disbursement_record(actor=reviewer, award=tianhe_award, amount="1", paid_on="2024-07-01", reference="x")


@pytest.mark.parametrize("amount, paid_on, reference, field", [
    ("-5", "2024-06-30", "凭证1", "amount"),
    ("五百万", "2024-06-30", "凭证1", "amount"),
    ("0", "2024-06-30", "凭证1", "amount"),
    ("1.005", "2024-06-30", "凭证1", "amount"),
    ("100", "30/06/2024", "凭证1", "paid_on"),
    ("100", "2024-06-30", " ", "reference"),
])
def test_a_bad_disbursement_names_the_field_and_writes_nothing(finance_clerk, tianhe_award, amount, paid_on, reference,
                                                               field):
    with pytest.raises(DomainError) as refused:
        services.disbursement_record(actor=finance_clerk, award=tianhe_award, amount=amount, paid_on=paid_on,
                                     reference=reference)
    assert refused.value.field == field
    assert not Disbursement.objects.exists() and not AuditEntry.objects.filter(action="disbursement.recorded").exists()


def test_an_amount_is_set_where_the_notice_fixes_none_and_never_negative(reviewer, cycle, category, bureau, finance_clerk):
    platform = Unit.objects.create(name="工程研究中心", kind_id=UnitKind.INNOVATION_PLATFORM, division_order=5000)
    nl = make_list(cycle, category("9"), bureau("市发展改革委"), [platform])
    approve_all(reviewer, nl)
    award = Award.objects.get(nominee__nomination_list=nl)
    assert award.amount is None
    for bad in ("-1", "abc", "NaN"):
        with pytest.raises(DomainError) as refused:
            services.award_amount_set(actor=finance_clerk, award=award, amount=bad)
        assert refused.value.field == "amount"
    award.refresh_from_db()
    assert award.amount is None
    services.award_amount_set(actor=finance_clerk, award=award, amount="1200000")
    award.refresh_from_db()
    assert award.amount == Decimal("1200000.00")
    with pytest.raises(DomainError, match="set its amount first|more than"):
        services.disbursement_record(actor=finance_clerk, award=award, amount="1200000.01", paid_on="2024-01-02",
                                     reference="凭证")


def test_the_ledger_page_and_its_exports(client, reviewer, finance_clerk, tianhe_award, clerk_water):
    client.force_login(finance_clerk)
    page = client.get(reverse("reviews:funds"))
    assert page.status_code == 200 and f'data-award="{tianhe_award.pk}"' in page.content.decode()
    csv = client.get(reverse("reviews:funds") + "?format=csv")
    body = csv.content.decode("utf-8-sig")
    assert csv["Content-Disposition"].endswith('funds.csv"') and "天河区" in body and "5000000.00" in body
    xlsx = client.get(reverse("reviews:funds") + "?year=2023&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    response = client.post(reverse("reviews:funds_award", args=[tianhe_award.pk]),
                           {"action": "disbursement", "amount": "-1", "paid_on": "2024-01-01", "reference": "x"})
    assert response.status_code == 400 and 'data-field="amount"' in response.content.decode()
    client.force_login(clerk_water)
    assert client.get(reverse("reviews:funds")).status_code == 404


# --- units of several kinds -------------------------------------------------------------------------------------------


def test_a_hospital_that_is_also_a_designated_institution_can_be_nominated_under_25_2(clerk_water, category, bureau):
    cycle = make_cycle(timezone.localdate().year)  # its deadline is ahead
    hospital = Unit.objects.create(name="广州市第一人民医院", kind_id=UnitKind.HOSPITAL, division_order=4200)
    medical = category("25-2")
    assert hospital not in units_for_category(medical, programme_id=hospital.programme_id)
    hospital.other_kinds.add(UnitKind.MEDICAL_INSTITUTION)
    assert hospital in units_for_category(medical, programme_id=hospital.programme_id)
    assert hospital in units_for_category(category("16-2"), programme_id=hospital.programme_id)
    clerk = make_user("yibao", role=roles.BUREAU_STAFF, bureaus=[bureau("市医保局")])
    nl = nomination_services.nomination_list_get_or_create(actor=clerk, cycle=cycle, category=medical)
    nomination_services.nomination_list_save(
        actor=clerk, nomination_list=nl, version=nl.version,
        entries=[nomination_services.NomineeEntry(unit=hospital, achievements="医保服务优质")])
    assert list(Nominee.objects.filter(nomination_list=nl).values_list("unit_id", flat=True)) == [hospital.pk]
    # A district is of none of 25-2's kinds: refused.
    district = Unit.objects.filter(kind_id=UnitKind.DISTRICT).first()
    with pytest.raises(DomainError, match="other kinds"):
        nomination_services.nomination_list_save(
            actor=clerk, nomination_list=NominationList.objects.get(pk=nl.pk), version=nl.version + 1,
            entries=[nomination_services.NomineeEntry(unit=district, achievements="x")])


def test_the_units_import_reads_other_kinds(administrator):
    from measures.importing.organisation import plan_units, units_import

    data = "name,kind,other_kinds\n广州市红十字会医院,hospital,定点医疗机构\n广州发展集团,state_enterprise,enterprise\n".encode()
    plan = plan_units(data, filename="units.csv")
    assert plan.is_valid
    units_import(actor=administrator, plan=plan)
    assert Unit.objects.get(name="广州市红十字会医院").kind_codes() == {"hospital", "medical_institution"}
    assert Unit.objects.get(name="广州发展集团").kind_codes() == {"state_enterprise", "enterprise"}
    bad = plan_units("name,kind,other_kinds\n某医院,hospital,神秘机构\n".encode(), filename="units.csv")
    assert not bad.is_valid and bad.all_errors[0].column == "other_kinds"


def test_the_catalogue_export_carries_the_category_fields():
    from measures.exports import CATALOGUE_LABELS, catalogue_rows
    from measures.models import PolicyDocument

    rows = list(catalogue_rows(PolicyDocument.objects.get(in_force=True)))
    header = rows[0]

    def column(name):
        return header.index(CATALOGUE_LABELS[name])  # the files carry Chinese headers

    by_code = {row[column("category_code")]: row for row in rows[1:]}
    row = by_code["32-2"]
    assert row[column("category_kind")] == "按条件享受"  # the kind in words (the import reads the code too)
    assert row[column("award_amount")] == "5000000.00"
    assert "500万元" in row[column("category_support_text")]
    assert IncentiveCategory.objects.filter(kind="entitlement").count() == 3


def test_the_cycles_award_export_carries_entitlements_of_the_register(tianhe_award, cycle):
    from reviews.exports import AWARD_HEADER, award_rows

    rows = list(award_rows(cycle))
    row = dict(zip(AWARD_HEADER, rows[1], strict=True))
    assert (row["category_code"], row["slot"], row["bureau"], row["kind"]) == ("32-2", "", "", "entitlement")
    assert (row["awarding_document"], row["amount"]) == ("国办发〔2022〕21号", "5000000.00")


def test_the_catalogue_spreadsheet_reads_the_category_fields_back(administrator):
    import csv
    import io

    from measures.exports import CATALOGUE_LABELS, catalogue_rows
    from measures.importing.services import catalogue_import
    from measures.importing.spreadsheet import plan_catalogue_file
    from measures.models import PolicyDocument

    document = PolicyDocument.objects.get(in_force=True)
    rows = list(catalogue_rows(document))
    header = rows[0]

    def column(name):
        return header.index(CATALOGUE_LABELS[name])  # the files carry Chinese headers

    for row in rows[1:]:
        if row[column("category_code")] == "31":
            row[column("category_kind")] = "entitlement"
            row[column("award_amount")] = "0"  # not a positive amount ("-3" would be refused as a formula-like cell)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    plan = plan_catalogue_file(buffer.getvalue().encode(), filename="c.csv", document=document)
    assert not plan.is_valid
    assert [e.column for r in plan.rows for e in r.errors] == ["award_amount"]
    rows[[r[column("category_code")] for r in rows].index("31")][column("award_amount")] = "1000000"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    plan = plan_catalogue_file(buffer.getvalue().encode(), filename="c.csv", document=document)
    assert plan.is_valid and plan.counts()["changed"] == 1
    catalogue_import(actor=administrator, plan=plan)
    sponge = IncentiveCategory.objects.get(code="31", measure__document=document)
    assert (sponge.kind, sponge.award_amount) == ("entitlement", Decimal("1000000.00"))
    assert IncentiveCategory.objects.get(code="32-2", measure__document=document).earned_by_higher_award


def test_a_provincial_incentive_is_registered_but_earns_nothing_under_measure_32(reviewer, cycle):
    entry = services.higher_award_record(actor=reviewer, cycle=cycle, document_number="粤府办〔2023〕5号",
                                         higher_measure="省督查激励", unit=tianhe(), awarded_on="2023-04-01",
                                         level=HigherAward.Level.PROVINCE)
    assert entry.category is None
    services.higher_award_confirm(actor=reviewer, entry=entry)
    entry.refresh_from_db()
    assert entry.state == "confirmed" and not Award.objects.exists()


def test_a_bureau_asks_before_its_list_exists_and_the_page_lists_its_requests(client, clerk_water, category):
    cycle = make_cycle(timezone.localdate().year)
    rivers = category("19-1")
    client.force_login(clerk_water)
    response = client.post(reverse("nominations:exception_request", args=[cycle.year, rivers.pk]),
                           {"requested_limit": "2", "reason": "理由"})
    assert response.status_code == 302 and not CapExceptionRequest.objects.exists()
    client.post(reverse("nominations:exception_request", args=[cycle.year, rivers.pk]),
                {"requested_limit": "5", "reason": "五个区考核优秀"})
    request = CapExceptionRequest.objects.get()
    assert request.nomination_list.category == rivers and request.requested_limit == 5
    page = client.get(reverse("nominations:list", args=[cycle.year, rivers.pk])).content.decode()
    assert 'data-request-state="pending"' in page


def test_an_entitlements_list_holds_every_qualifying_unit_beyond_ten(bureau, category):
    """Measure 9 gives matching funds to every approved platform: its list is not a ranking of up to 10."""
    cycle = make_cycle(timezone.localdate().year)  # its deadline is ahead
    platforms = Unit.objects.bulk_create([Unit(name=f"广州工程研究中心{i}", kind_id=UnitKind.INNOVATION_PLATFORM,
                                               division_order=5000 + i) for i in range(14)])
    clerk = make_user("ndrc9", role=roles.BUREAU_STAFF, bureaus=[bureau("市发展改革委")])
    platform_category = category("9")
    nl = nomination_services.nomination_list_get_or_create(actor=clerk, cycle=cycle, category=platform_category)
    entries = [nomination_services.NomineeEntry(unit=unit, achievements="获国家发展改革委批复建设") for unit in platforms]
    nomination_services.nomination_list_save(actor=clerk, nomination_list=nl, version=nl.version, entries=entries[:10])
    nl.refresh_from_db()
    assert nomination_services.limits.list_length(category=platform_category, year=cycle.year, held=10) == 20
    # Fourteen, in a new order: every platform kept, ranks past 10.
    nomination_services.nomination_list_save(actor=clerk, nomination_list=nl, version=nl.version,
                                             entries=entries[::-1])
    ranks = dict(Nominee.objects.filter(nomination_list=nl).values_list("unit_id", "rank"))
    assert len(ranks) == 14 and ranks[platforms[0].pk] == 14 and ranks[platforms[-1].pk] == 1
    # A selection keeps its limit.
    with pytest.raises(DomainError, match="at most 3"):
        water = nomination_services.nomination_list_get_or_create(actor=clerk, cycle=cycle, category=category("3"))
        nomination_services.nomination_list_save(
            actor=clerk, nomination_list=water, version=water.version,
            entries=[nomination_services.NomineeEntry(unit=u, achievements="x") for u in
                     Unit.objects.filter(kind_id=UnitKind.DISTRICT)[:4]])
