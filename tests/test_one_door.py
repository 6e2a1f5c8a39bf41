"""One door per programme: nobody of one programme reads or changes the funds, the register, the implementation
rules or the exception requests of another, through any page; and the exception requests stop at the public notice.

Two programmes run side by side: Guangzhou's (the default, loaded by the fixtures) and Jiangsu's, a city-like
programme built here with its own finance bureau (short-named 市财政局, as a city's is) named by
``Programme.finance_bureau``, its own reviewer (listed in ``Programme.reviewers``), a district, a money category and
a category earned by higher-level incentives for which its 市财政局 is responsible (so its finance clerk keeps the
register too, as Guangzhou's does for measure 32).

People: Guangzhou's ``gz_finance`` (市财政局: finance staff and register clerk), ``gz_reviewer`` (a reviewer listed in
no programme: the default one's), ``gz_water`` (市水务局) and ``gz_forestry`` (市林业园林局); Jiangsu's
``js_finance`` (its 市财政局), ``js_reviewer`` and ``js_clerk`` (省水利厅).

Each case: the other programme's people get 404 (or, on a page without an object in its address, their own
programme's page without anything of the other's) and nothing changes in the database; the programme's own people
still reach the same object and the change happens (so the 404 is not a broken page).

The second part walks a year through the pages: a bureau's exception request holds up the public notice (公示)
until the General Office grants or refuses it; during the notice no new request is taken.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
from types import SimpleNamespace
from unittest import mock

import pytest
from django.contrib.messages import constants as message_levels
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from measures.models import ImplementationRules, IncentiveCategory, PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, CapExceptionRequest, Cycle, NominationList, Nominee
from organisation import roles
from organisation.models import Bureau, Programme, Unit, UnitKind
from reviews import selectors as review_selectors
from reviews import services as review_services
from reviews.models import Award, CapException, Disbursement, HigherAward

from .factories import JS_AMOUNT, JS_RULES_TITLE, make_rules_filing, make_second_programme, make_user

pytestmark = pytest.mark.django_db

GZ_AMOUNT = decimal.Decimal("7654321.00")   # Guangzhou's money award: found nowhere else
GZ_RULES_TITLE = "广州水务实施办法（待审）"
GZ_ACCEPTED_TITLE = "广州林长制实施办法（已采纳）"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    bureau = {b.short_name: b for b in Bureau.objects.filter(
        programme__is_default=True, short_name__in=["市财政局", "市水务局", "市林业园林局"])}
    gz = SimpleNamespace(
        finance=make_user("d_gz_finance", role=roles.BUREAU_STAFF, bureaus=[bureau["市财政局"]]),
        reviewer=make_user("d_gz_reviewer", role=roles.REVIEWER),
        water=make_user("d_gz_water", role=roles.BUREAU_STAFF, bureaus=[bureau["市水务局"]]),
        forestry=make_user("d_gz_forestry", role=roles.BUREAU_STAFF, bureaus=[bureau["市林业园林局"]]),
    )
    year = timezone.now().astimezone(BEIJING).year  # the year under way: its deadline is ahead, decisions open
    document = PolicyDocument.objects.get(in_force=True, programme__is_default=True)
    category = {c.code: c for c in IncentiveCategory.objects.filter(measure__document=document,
                                                                   code__in=["6", "19-2", "32-2"])}
    districts = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT, is_active=True, programme__is_default=True)
                     .order_by("division_order"))
    tianhe = next(d for d in districts if d.name == "天河区")
    awardee = next(d for d in districts if d.name != "天河区")
    gz.cycle = Cycle.objects.create(year=year, document=document,
                                    opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                    deadline=default_deadline_for(year))
    gz.list = NominationList.objects.create(cycle=gz.cycle, category=category["6"], bureau=bureau["市水务局"],
                                            created_by=gz.water)
    nominee = Nominee.objects.create(nomination_list=gz.list, unit=awardee, rank=1, achievements="成效明显")
    gz.award = Award.objects.create(cycle=gz.cycle, category=category["6"], unit=awardee, nominee=nominee, slot=1,
                                    amount=GZ_AMOUNT)
    gz.awardee, gz.tianhe, gz.category = awardee, tianhe, category
    gz.exception_request = CapExceptionRequest.objects.create(nomination_list=gz.list, requested_limit=4,
                                                              reason="成效突出", requested_by=gz.water)
    gz.higher_award = HigherAward.objects.create(
        cycle=gz.cycle, document_number="国办发〔2022〕21号", higher_measure="稳增长", unit=tianhe,
        awarded_on=datetime.date(2022, 5, 1), recorded_by=gz.finance, category=category["32-2"])
    gz.rules = make_rules_filing(category["6"].measure, bureau["市水务局"], gz.water, GZ_RULES_TITLE)
    gz.accepted_rules = make_rules_filing(category["19-2"].measure, bureau["市林业园林局"], gz.forestry, GZ_ACCEPTED_TITLE,
                               state=ImplementationRules.State.ACCEPTED)
    js = make_second_programme(year)
    return SimpleNamespace(gz=gz, js=js, year=year)


def _award_state(award: Award) -> tuple:
    award.refresh_from_db()
    return award.amount, Disbursement.objects.filter(award=award).count()


# ---------------------------------------------------------------------------------------------------------------
# The programme names its finance bureau
# ---------------------------------------------------------------------------------------------------------------


def test_guangzhou_names_its_city_finance_bureau_as_its_finance_bureau():
    guangzhou = Programme.objects.get(is_default=True)
    assert guangzhou.finance_bureau is not None
    assert (guangzhou.finance_bureau.short_name, guangzhou.finance_bureau.programme_id) == ("市财政局", guangzhou.pk)


# ---------------------------------------------------------------------------------------------------------------
# Funds: the ledger, its export, an award's page, its amount, a disbursement
# ---------------------------------------------------------------------------------------------------------------


def test_the_ledger_shows_each_programme_only_its_own_awards(two):
    gz, js = two.gz, two.js
    for person in (js.finance, js.reviewer):
        response = _client(person).get(reverse("reviews:funds"))
        assert response.status_code == 200, person.username
        html = response.content.decode()
        assert f'data-award="{gz.award.pk}"' not in html, f"{person.username} reads Guangzhou's ledger"
        assert str(GZ_AMOUNT) not in html, person.username
        assert f'data-award="{js.award.pk}"' in html, person.username
    for person in (gz.finance, gz.reviewer):
        response = _client(person).get(reverse("reviews:funds"))
        assert response.status_code == 200, person.username
        html = response.content.decode()
        assert f'data-award="{gz.award.pk}"' in html, person.username
        assert f'data-award="{js.award.pk}"' not in html, f"{person.username} reads Jiangsu's ledger"
    # Nobody else of either programme reads a ledger.
    for person in (js.clerk, gz.water):
        assert _client(person).get(reverse("reviews:funds")).status_code == 404, person.username


def test_the_ledger_export_carries_only_the_programmes_own_awards(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:funds")
    for person, own, other in ((js.finance, JS_AMOUNT, GZ_AMOUNT), (js.reviewer, JS_AMOUNT, GZ_AMOUNT),
                               (gz.finance, GZ_AMOUNT, JS_AMOUNT), (gz.reviewer, GZ_AMOUNT, JS_AMOUNT)):
        client = _client(person)
        response = client.get(url, {"format": "csv"})
        assert response.status_code == 200, person.username
        text = response.content.decode("utf-8-sig")
        cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
        assert str(own) in cells, person.username
        assert str(other) not in cells, f"{person.username}'s .csv carries another programme's award"
        other_unit = js.unit.name if own == GZ_AMOUNT else gz.awardee.name
        assert not any(other_unit in cell for cell in cells), person.username
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 200, person.username
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = {str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None}
        assert str(own) in values, person.username
        assert str(other) not in values, f"{person.username}'s .xlsx carries another programme's award"


def test_an_awards_funds_page_is_not_found_in_another_programme(two):
    gz, js = two.gz, two.js
    gz_url = reverse("reviews:funds_award", args=[gz.award.pk])
    js_url = reverse("reviews:funds_award", args=[js.award.pk])
    for person in (js.finance, js.reviewer):
        assert _client(person).get(gz_url).status_code == 404, person.username
    for person in (gz.finance, gz.reviewer):
        assert _client(person).get(js_url).status_code == 404, person.username
    # Each programme's own people reach their award.
    for person, url, amount in ((gz.finance, gz_url, GZ_AMOUNT), (gz.reviewer, gz_url, GZ_AMOUNT),
                                (js.finance, js_url, JS_AMOUNT), (js.reviewer, js_url, JS_AMOUNT)):
        response = _client(person).get(url)
        assert response.status_code == 200, person.username
        assert f'data-amount="{amount}"' in response.content.decode(), person.username


def test_the_amount_of_another_programmes_award_cannot_be_set(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:funds_award", args=[gz.award.pk])
    before = _award_state(gz.award)
    for person in (js.finance, js.reviewer):
        response = _client(person).post(url, {"action": "amount", "amount": "1"})
        assert response.status_code == 404, person.username
        assert _award_state(gz.award) == before, f"{person.username} changed Guangzhou's award"
    # The other way round as well.
    js_before = _award_state(js.award)
    response = _client(gz.finance).post(reverse("reviews:funds_award", args=[js.award.pk]),
                                        {"action": "amount", "amount": "1"})
    assert response.status_code == 404
    assert _award_state(js.award) == js_before
    # Guangzhou's finance staff set it.
    response = _client(gz.finance).post(url, {"action": "amount", "amount": "8000000"})
    assert response.status_code == 302
    assert _award_state(gz.award) == (decimal.Decimal("8000000.00"), 0)


def test_a_disbursement_on_another_programmes_award_is_refused(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:funds_award", args=[gz.award.pk])
    data = {"action": "disbursement", "amount": "100000", "paid_on": "2024-06-01", "reference": "苏财拨〔2024〕1号"}
    before = _award_state(gz.award)
    response = _client(js.finance).post(url, data)
    assert response.status_code == 404
    assert _award_state(gz.award) == before, "Jiangsu's finance clerk paid on Guangzhou's award"
    response = _client(gz.finance).post(reverse("reviews:funds_award", args=[js.award.pk]), data)
    assert response.status_code == 404
    assert Disbursement.objects.filter(award=js.award).count() == 0
    # Each programme's finance staff pay on their own award.
    response = _client(gz.finance).post(url, {**data, "reference": "穗财拨〔2024〕1号"})
    assert response.status_code == 302
    assert Disbursement.objects.filter(award=gz.award, entered_by=gz.finance).count() == 1
    response = _client(js.finance).post(reverse("reviews:funds_award", args=[js.award.pk]), data)
    assert response.status_code == 302
    assert Disbursement.objects.filter(award=js.award, entered_by=js.finance).count() == 1


# ---------------------------------------------------------------------------------------------------------------
# The register of higher-level incentives
# ---------------------------------------------------------------------------------------------------------------


def _register_entry(unit: Unit, number: str) -> dict:
    return {"level": "state_council", "document_number": number, "higher_measure": "稳增长", "unit": str(unit.pk),
            "awarded_on": "2023-05-01"}


def _register_counts() -> tuple[int, int]:
    return HigherAward.objects.count(), Award.objects.count()


def test_the_register_takes_no_unit_of_another_programme(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:register", args=[two.year])
    # The form offers only the programme's own units.
    html = _client(js.finance).get(url).content.decode()
    assert f'value="{js.unit.pk}"' in html
    assert f'value="{gz.tianhe.pk}"' not in html, "Jiangsu's register offers Guangzhou's districts"
    html = _client(gz.finance).get(url).content.decode()
    assert f'value="{gz.tianhe.pk}"' in html
    assert f'value="{js.unit.pk}"' not in html, "Guangzhou's register offers Jiangsu's districts"
    before = _register_counts()
    response = _client(js.finance).post(url, _register_entry(gz.tianhe, "国办发〔2023〕5号"))
    assert response.status_code == 404
    assert _register_counts() == before, "Jiangsu's clerk registered a Guangzhou district"
    response = _client(gz.finance).post(url, _register_entry(js.unit, "国办发〔2023〕6号"))
    assert response.status_code == 404
    assert _register_counts() == before, "Guangzhou's clerk registered a Jiangsu unit"
    # Each registers their own programme's unit, in their own programme's cycle.
    response = _client(js.finance).post(url, _register_entry(js.unit, "国办发〔2023〕7号"))
    assert response.status_code == 302
    assert HigherAward.objects.get(document_number="国办发〔2023〕7号").cycle == js.cycle
    response = _client(gz.finance).post(url, _register_entry(gz.tianhe, "国办发〔2023〕8号"))
    assert response.status_code == 302
    assert HigherAward.objects.get(document_number="国办发〔2023〕8号").cycle == gz.cycle


def test_a_register_entry_of_another_programme_cannot_be_confirmed(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:register_confirm", args=[gz.higher_award.pk])
    before = _register_counts()
    response = _client(js.reviewer).post(url)
    assert response.status_code == 404
    gz.higher_award.refresh_from_db()
    assert gz.higher_award.state == HigherAward.State.RECORDED and gz.higher_award.confirmed_by is None
    assert _register_counts() == before, "Jiangsu's reviewer created an award in Guangzhou"
    # Guangzhou's reviewer confirms it: the 500万元 entitlement of 32-2.
    response = _client(gz.reviewer).post(url)
    assert response.status_code == 302
    gz.higher_award.refresh_from_db()
    assert gz.higher_award.state == HigherAward.State.CONFIRMED
    award = Award.objects.get(higher_award=gz.higher_award)
    assert (award.cycle, award.unit, award.amount) == (gz.cycle, gz.tianhe, decimal.Decimal("5000000.00"))


def test_no_clerk_and_reviewer_of_two_programmes_make_an_award_together(two):
    """The attack end to end: one programme's finance clerk registers the other programme's unit, the other
    programme's reviewer confirms the entry: no award comes of it, in either direction."""
    gz, js = two.gz, two.js
    url = reverse("reviews:register", args=[two.year])
    for clerk, unit, reviewer, number in ((gz.finance, js.unit, js.reviewer, "国办发〔2023〕11号"),
                                          (js.finance, gz.tianhe, gz.reviewer, "国办发〔2023〕12号")):
        _client(clerk).post(url, _register_entry(unit, number))
        entry = HigherAward.objects.filter(document_number=number).first()
        if entry is not None:
            _client(reviewer).post(reverse("reviews:register_confirm", args=[entry.pk]))
        assert not Award.objects.filter(unit=unit, higher_award__isnull=False).exists(), (
            f"{clerk.username} and {reviewer.username} made an award for {unit.name}")


# ---------------------------------------------------------------------------------------------------------------
# Implementation rules: the overview, the files, the decisions
# ---------------------------------------------------------------------------------------------------------------


def test_the_rules_overview_shows_only_the_programmes_ownmake_rules_filing(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:rules")
    response = _client(js.reviewer).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for leaked in (GZ_RULES_TITLE, GZ_ACCEPTED_TITLE, gz.rules.token, "穗府办〔2022〕30号"):
        assert leaked not in html, f"Jiangsu's reviewer reads Guangzhou's rules: {leaked}"
    assert JS_RULES_TITLE in html
    html = _client(gz.reviewer).get(url).content.decode()
    assert GZ_RULES_TITLE in html and JS_RULES_TITLE not in html
    for person in (js.finance, js.clerk, gz.finance, gz.water):
        assert _client(person).get(url).status_code == 404, person.username


def test_a_rules_file_of_another_programme_is_not_found(two):
    gz, js = two.gz, two.js
    submitted = reverse("nominations:rules_download", args=[gz.rules.token])
    accepted = reverse("nominations:rules_download", args=[gz.accepted_rules.token])
    theirs = reverse("nominations:rules_download", args=[js.rules.token])
    for person, url in ((js.reviewer, submitted), (js.reviewer, accepted), (js.clerk, accepted),
                        (js.finance, accepted), (gz.reviewer, theirs)):
        response = _client(person).get(url)
        assert response.status_code == 404, f"{person.username} downloads {url}: {response.status_code}"
    # The programme's own people: the General Office and the filing bureau any filing, anyone accepted rules.
    for person, url in ((gz.reviewer, submitted), (gz.water, submitted), (gz.forestry, accepted),
                        (gz.water, accepted), (js.reviewer, theirs), (js.clerk, theirs)):
        response = _client(person).get(url)
        assert response.status_code == 200, f"{person.username} downloads {url}: {response.status_code}"
        assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF")


def test_a_rules_filing_of_another_programme_cannot_be_decided(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:rules_decide", args=[gz.rules.pk])
    for data in ({"action": "return", "reason": "格式不符"}, {"action": "accept", "reason": ""}):
        response = _client(js.reviewer).post(url, data)
        assert response.status_code == 404, data
        gz.rules.refresh_from_db()
        assert (gz.rules.state, gz.rules.decided_by) == (ImplementationRules.State.SUBMITTED, None), data
    response = _client(gz.reviewer).post(reverse("reviews:rules_decide", args=[js.rules.pk]),
                                         {"action": "return", "reason": "格式不符"})
    assert response.status_code == 404
    js.rules.refresh_from_db()
    assert js.rules.state == ImplementationRules.State.SUBMITTED
    # Each programme's reviewer decides its own.
    assert _client(gz.reviewer).post(url, {"action": "return", "reason": "请补充"}).status_code == 302
    gz.rules.refresh_from_db()
    assert (gz.rules.state, gz.rules.decided_by) == (ImplementationRules.State.RETURNED, gz.reviewer)
    response = _client(js.reviewer).post(reverse("reviews:rules_decide", args=[js.rules.pk]), {"action": "accept"})
    assert response.status_code == 302
    js.rules.refresh_from_db()
    assert js.rules.state == ImplementationRules.State.ACCEPTED


# ---------------------------------------------------------------------------------------------------------------
# Exception requests
# ---------------------------------------------------------------------------------------------------------------


def _request_state(request: CapExceptionRequest) -> tuple:
    request.refresh_from_db()
    return request.state, request.decided_by_id, request.granted_limit, CapException.objects.count()


def test_an_exception_request_of_another_programme_cannot_be_refused(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:exception_refuse", args=[gz.exception_request.pk])
    before = _request_state(gz.exception_request)
    response = _client(js.reviewer).post(url, {"reason": "不符合条件"})
    assert response.status_code == 404
    assert _request_state(gz.exception_request) == before, "Jiangsu's reviewer refused Guangzhou's request"
    response = _client(gz.reviewer).post(url, {"reason": "不符合条件"})
    assert response.status_code == 302
    gz.exception_request.refresh_from_db()
    assert (gz.exception_request.state, gz.exception_request.decided_by) == ("refused", gz.reviewer)


def test_an_exception_request_of_another_programme_cannot_be_granted(two):
    gz, js = two.gz, two.js
    url = reverse("reviews:exception_grant", args=[gz.exception_request.pk])
    before = _request_state(gz.exception_request)
    response = _client(js.reviewer).post(url, {"new_limit": "4", "reason": "市政府常务会议同意"})
    assert response.status_code == 404
    assert _request_state(gz.exception_request) == before, "Jiangsu's reviewer granted Guangzhou's request"
    response = _client(gz.reviewer).post(url, {"new_limit": "4", "reason": "市政府常务会议同意"})
    assert response.status_code == 302
    gz.exception_request.refresh_from_db()
    assert (gz.exception_request.state, gz.exception_request.granted_limit) == ("granted", 4)
    assert CapException.objects.get(category=gz.list.category, year=two.year).new_limit == 4


# ---------------------------------------------------------------------------------------------------------------
# Public statistics
# ---------------------------------------------------------------------------------------------------------------


def test_a_programmes_public_statistics_show_only_its_own_rules_punctuality(two):
    client = Client()
    html = client.get(reverse("programme_results:statistics", kwargs={"programme": "jiangsu"})).content.decode()
    for leaked in ('data-bureau="市水务局"', 'data-bureau="市林业园林局"', "穗府办〔2022〕30号"):
        assert leaked not in html, f"Jiangsu's statistics show Guangzhou's rules punctuality: {leaked}"
    assert 'data-bureau="省水利厅"' in html
    html = client.get(reverse("results:statistics")).content.decode()
    assert 'data-bureau="市水务局"' in html and 'data-bureau="省水利厅"' not in html


# ---------------------------------------------------------------------------------------------------------------
# Part two: an exception request holds up the public notice; none is taken during it
# ---------------------------------------------------------------------------------------------------------------

NOTICE_YEAR = 2024
BEFORE = default_deadline_for(NOTICE_YEAR) - datetime.timedelta(days=1)
AFTER = datetime.datetime(2025, 4, 10, 10, tzinfo=BEIJING)   # a Thursday after every deadline, a working day


@pytest.fixture
def decided_year(bureau, category, districts, clerk_water, reviewer):
    """Guangzhou's 2024: 19-1 submitted by 市水务局 before the deadline and decided (three approved, the cap)."""
    cycle = Cycle.objects.create(year=NOTICE_YEAR, document=PolicyDocument.objects.get(in_force=True,
                                                                                       programme__is_default=True),
                                 opens_at=datetime.datetime(NOTICE_YEAR, 6, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(NOTICE_YEAR))
    nl = NominationList.objects.create(cycle=cycle, category=category("19-1"), bureau=bureau("市水务局"),
                                       state=NominationList.State.SUBMITTED, created_by=clerk_water,
                                       submitted_by=clerk_water, submitted_at=BEFORE)
    for rank, unit in enumerate(districts[:3], start=1):
        Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements=f"{unit.name}河湖长制成效明显")
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        for nominee in nl.nominees.order_by("rank"):
            review_services.nominee_decide(actor=reviewer, nominee=nominee, approved=True, comment="同意")
    nl.refresh_from_db()
    assert nl.state != NominationList.State.SUBMITTED  # decided: not among the lists the notice waits for
    return SimpleNamespace(cycle=cycle, list=nl, category=nl.category)


def _acknowledgements(cycle) -> dict:
    return {**{f"ack-{row.category.pk}": "该类别本年度无符合条件的单位"
               for row in review_selectors.notice_preflight(cycle=cycle, now=AFTER).missing}, "confirm": "on"}


def _error_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == message_levels.ERROR]


@pytest.mark.parametrize("decision", ["refuse", "grant"])
def test_a_pending_exception_request_holds_up_the_notice_and_none_is_taken_during_it(
        decided_year, clerk_water, reviewer, decision):
    cycle, category = decided_year.cycle, decided_year.category
    clerk, office = _client(clerk_water), _client(reviewer)
    preflight = reverse("reviews:notice", args=[cycle.year])
    request_url = reverse("nominations:exception_request", args=[cycle.year, category.pk])
    with mock.patch("nominations.deadlines.current_time", return_value=AFTER):
        # Nothing waits yet: the page does not name 19-1 (its list is decided).
        assert category.code not in office.get(preflight).content.decode()
        # The deadline has passed but the notice has not begun: the bureau may still ask.
        response = clerk.post(request_url, {"requested_limit": "4", "reason": "三个区成效突出，另有一区同样突出"})
        assert response.status_code == 302
        pending = CapExceptionRequest.objects.get(nomination_list=decided_year.list)
        assert pending.state == CapExceptionRequest.State.PENDING
        # The pre-flight page lists the pending request …
        response = office.get(preflight)
        assert response.status_code == 200
        assert category.code in response.content.decode(), "the pre-flight page does not list the pending request"
        # … and the notice is refused while it waits, with a message naming its category.
        response = office.post(preflight, _acknowledgements(cycle))
        assert response.status_code == 400
        assert category.code in response.context["error"], "the refusal does not name the pending request's category"
        cycle.refresh_from_db()
        assert (cycle.state, cycle.notice_starts_on) == (Cycle.State.OPEN, None)
        # The General Office decides the request through its page; then the notice starts.
        if decision == "refuse":
            response = office.post(reverse("reviews:exception_refuse", args=[pending.pk]), {"reason": "名额已满"})
        else:
            response = office.post(reverse("reviews:exception_grant", args=[pending.pk]),
                                   {"new_limit": "4", "reason": "市政府常务会议同意"})
        assert response.status_code == 302
        pending.refresh_from_db()
        assert pending.state == ("refused" if decision == "refuse" else "granted")
        response = office.post(preflight, _acknowledgements(cycle))
        assert response.status_code == 302
        cycle.refresh_from_db()
        assert cycle.state == Cycle.State.NOTICE
        # During the notice a new request is refused with a message, and nothing is created.
        requests_before = CapExceptionRequest.objects.count()
        response = clerk.post(request_url, {"requested_limit": "5", "reason": "公示期间再申请"}, follow=True)
        assert _error_messages(response), "no message tells the bureau its request was refused"
        assert CapExceptionRequest.objects.count() == requests_before, "a request was taken during the notice"
