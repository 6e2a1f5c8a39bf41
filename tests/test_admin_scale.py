"""The admin's units and audit changelists, and the audit administrator's page, at scale.

Their queries do not grow with the data (pinned at two generated sizes, like tests/test_bench_queries.py), the
audit trail is searched by person, action, object and date, and a bad filter value gives a page, never a 500.
"""

import datetime

import pgtrigger
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from bench.generate import Sizes, generate
from bench.pages import AUDITOR, PAGES
from measures.models import CapException
from nominations.admin import CycleFilter
from organisation import roles
from organisation.audit import audit_record
from organisation.models import AuditEntry, Unit, UnitKind
from organisation.paginators import CappedPaginator
from reviews.models import Award, Decision
from tests.factories import make_cycle, make_list, make_user
from tests.helpers import ADMIN_QUERIES as QUERIES  # the counts; test_bench_queries reads them too

SMALL = Sizes(cycles=1, categories=45, bureaus=32, units=90, users=30, audit=200)
LARGE = Sizes(cycles=2, categories=50, bureaus=36, units=180, users=60, audit=700)

UNITS = reverse("admin:organisation_unit_changelist")
AUDIT_ADMIN = reverse("admin:organisation_auditentry_changelist")
AUDIT_PAGE = reverse("security:audit")
LISTS_ADMIN = reverse("admin:nominations_nominationlist_changelist")
AWARDS_ADMIN = reverse("admin:reviews_award_changelist")

# The admin pages pinned here (and not in test_bench_queries): our changelists and the audit trail's page.
PINNED_PAGES = {"admin_units": UNITS, "admin_audit": AUDIT_ADMIN, "audit_trail": AUDIT_PAGE,
                "admin_lists": LISTS_ADMIN, "admin_awards": AWARDS_ADMIN}


@pytest.fixture
def auditor(db):
    return make_user("auditadmin", role=roles.AUDIT_ADMINISTRATOR)


def _clients(administrator, auditor):
    as_admin, as_auditor = Client(), Client()
    as_admin.force_login(administrator)
    as_auditor.force_login(auditor)
    return {"admin_units": as_admin, "admin_audit": as_auditor, "audit_trail": as_auditor,
            "admin_lists": as_admin, "admin_awards": as_admin}


def test_the_benchmark_times_these_pages_as_their_readers():
    by_key = {page.key: page for page in PAGES}
    assert by_key["admin_audit"].persona == AUDITOR and by_key["audit_trail"].persona == AUDITOR
    assert {by_key[key].url_name for key in ("admin_units_stock", "admin_audit_stock")} == {
        by_key["admin_units"].url_name, by_key["admin_audit"].url_name}
    assert by_key["admin_units_stock"].reference and by_key["admin_audit_stock"].reference


def test_the_changelists_run_the_same_queries_at_two_sizes(administrator, auditor, django_assert_num_queries):
    clients = _clients(administrator, auditor)
    seen = []
    for label, sizes in (("small", SMALL), ("large", LARGE)):
        generate(sizes, seed=11)  # the second call adds to the first
        seen.append((Unit.objects.count(), Unit.objects.filter(parent__isnull=False).count(),
                     AuditEntry.objects.count()))
        for key, url in PINNED_PAGES.items():
            client = clients[key]
            assert client.get(url).status_code == 200, f"{key} at the {label} size"  # warm-up
            with django_assert_num_queries(QUERIES[key], info=f"{key} at the {label} size"):
                response = client.get(url)
            assert response.status_code == 200
    (units_small, streets_small, audit_small), (units_large, streets_large, audit_large) = seen
    assert units_large > units_small and streets_large > streets_small > 0
    assert audit_large > audit_small >= 200


# --- searching the trail -----------------------------------------------------------------------------------------

@pytest.fixture
def trail(clerk_water, reviewer, bureau):
    """A few records of known people, actions, objects and days, among the sign-in's own."""
    water = bureau("市水务局")
    with transaction.atomic():
        submitted = audit_record(actor=clerk_water, action="nomination_list.submitted", target=water, message="list 6")
        approved = audit_record(actor=reviewer, action="nominee.approved", target=reviewer)
        failed = audit_record(actor=None, action="account.sign_in_failed", target=reviewer,
                              data={"username": "nobody-such", "address": "10.0.0.9"})
    old = timezone.now() - datetime.timedelta(days=40)
    with pgtrigger.ignore("organisation.AuditEntry:audit_no_update"):  # the trail refuses updates (PostgreSQL)
        AuditEntry.objects.filter(pk=approved.pk).update(at=old)
    approved.refresh_from_db()
    return {"submitted": submitted, "approved": approved, "failed": failed, "water": water}


def _found(client, url, params, context_key, language=None):
    response = client.get(url, params, headers={"accept-language": language} if language else {})
    assert response.status_code == 200, (params, response.status_code)
    if context_key == "cl":
        return {entry.pk for entry in response.context["cl"].result_list}
    return {entry.pk for entry in response.context["page"]}


@pytest.mark.parametrize("url, context_key", [(AUDIT_ADMIN, "cl"), (AUDIT_PAGE, "page")])
def test_the_trail_is_searched_by_person_action_object_and_date(client, auditor, trail, url, context_key):
    client.force_login(auditor)
    submitted, approved, failed = trail["submitted"].pk, trail["approved"].pk, trail["failed"].pk
    water_type = ContentType.objects.get_for_model(trail["water"]).pk
    local_day = timezone.localdate(trail["approved"].at).isoformat()
    if context_key == "cl":  # the admin: the search box, the action and object-type filters, the date range
        by_person = _found(client, url, {"q": "wangfang"}, "cl")
        by_typed_name = _found(client, url, {"q": "nobody-such"}, "cl")
        by_action = _found(client, url, {"action__exact": "nominee.approved"}, "cl")
        by_object = _found(client, url, {"target_type__id__exact": water_type, "q": str(trail["water"].pk)}, "cl")
        by_name = _found(client, url, {"q": "水务"}, "cl")
        by_day = _found(client, url, {"at_from": local_day, "at_to": local_day}, "cl")
    else:  # the audit administrator's page: its form
        by_person = _found(client, url, {"actor": "wangfang"}, "page")
        by_typed_name = _found(client, url, {"actor": "nobody-such"}, "page")
        by_action = _found(client, url, {"action": "nominee.approved"}, "page")
        by_object = _found(client, url, {"target_type": water_type, "target_id": trail["water"].pk}, "page")
        by_name = _found(client, url, {"target": "水务"}, "page")
        by_day = _found(client, url, {"since": local_day, "until": local_day}, "page")
    assert submitted in by_person and approved not in by_person and failed not in by_person
    assert by_typed_name == {failed}
    assert by_action == {approved}
    assert by_object == {submitted}
    assert submitted in by_name and approved not in by_name
    assert by_day == {approved}


def test_an_action_is_found_by_its_label_too(client, auditor, trail):
    client.force_login(auditor)
    with translation.override("zh-hans"):
        label = str(AuditEntry(action="nominee.approved").get_action_display())
    found = _found(client, AUDIT_PAGE, {"action": label}, "page", language="zh-hans")
    assert trail["approved"].pk in found and trail["submitted"].pk not in found


@pytest.mark.parametrize("params", [
    {"at_from": "2026-02-30"}, {"at_to": "yesterday"}, {"at_from": "", "at_to": "2026-13-01"},
    {"q": "²"}, {"q": "99999999999999999999999999"}, {"q": "%_\\"}, {"target_type__id__exact": "x"},
    {"p": "99999"}, {"p": "abc"}, {"_facets": "1"}, {"o": "9.x"},
])
def test_bad_values_on_the_admin_trail_give_a_page(client, auditor, trail, params):
    client.force_login(auditor)
    response = client.get(AUDIT_ADMIN, params)
    assert response.status_code in (200, 302), (params, response.status_code)  # the admin's ?e=1 is a redirect
    if response.status_code == 302:
        assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("params", [
    {"since": "2026-02-30"}, {"target_id": "abc"}, {"target_id": "-1"}, {"target_id": "99999999999999999999999"},
    {"target_type": "999999"}, {"target_type": "x"},
])
def test_bad_values_on_the_audit_page_give_a_page_that_says_what_is_wrong(client, auditor, trail, params):
    client.force_login(auditor)
    response = client.get(AUDIT_PAGE, params)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_a_bad_page_number_on_the_audit_page_gives_a_page(client, auditor, trail):
    client.force_login(auditor)
    assert client.get(AUDIT_PAGE, {"page": "zzz"}).status_code == 200
    assert client.get(AUDIT_PAGE, {"page": "999999"}).status_code == 200


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999999", "-3"])
def test_a_bad_district_on_the_units_changelist_gives_a_page(client, administrator, value):
    client.force_login(administrator)
    assert client.get(UNITS, {"parent__id__exact": value}).status_code == 200


def test_the_district_filter_lists_districts_and_finds_their_streets(client, administrator):
    district = Unit.objects.create(name="测试区", kind_id=UnitKind.DISTRICT)
    street = Unit.objects.create(name="测试街道", kind_id=UnitKind.STREET, parent=district)
    Unit.objects.create(name="别的医院", kind_id=UnitKind.objects.exclude(pk__in=[UnitKind.DISTRICT, UnitKind.STREET])
                        .values_list("pk", flat=True).first())
    client.force_login(administrator)
    response = client.get(UNITS, {"parent__id__exact": district.pk})
    assert [unit.pk for unit in response.context["cl"].result_list] == [street.pk]
    district_filter = next(spec for spec in response.context["cl"].filter_specs
                           if getattr(spec, "parameter_name", "") == "parent__id__exact")
    listed = {name for _pk, name in district_filter.lookup_choices}
    assert "测试区" in listed and "测试街道" not in listed and "别的医院" not in listed


def _cycle_filter(response):
    return next(spec for spec in response.context["cl"].filter_specs if isinstance(spec, CycleFilter))


def test_the_cycle_filter_links_the_newest_years_and_finds_any_other_by_its_year(client, administrator, category,
                                                                                 bureau, districts, reviewer):
    years = range(2001, 2001 + CycleFilter.RECENT + 3)
    cycles = {year: make_cycle(year=year) for year in years}
    oldest = cycles[2001]
    lists = {year: make_list(cycle, category("6"), bureau("市水务局"), [districts[0]]) for year, cycle in cycles.items()}
    Decision.objects.create(nominee=lists[2001].nominees.get(), approved=True, decided_by=reviewer)
    Decision.objects.create(nominee=lists[2002].nominees.get(), approved=False, comment="不符合条件",
                            decided_by=reviewer)
    client.force_login(administrator)
    response = client.get(LISTS_ADMIN)
    links = [display for _selected, _query, display in next(_cycle_filter(response).choices(response.context["cl"]))
             ["links"]]
    # All, then the newest ten years; the older ones are found by their year.
    assert links == ["全部"] + [f"{year}年度" for year in sorted(years, reverse=True)[:CycleFilter.RECENT]]
    assert 'name="cycle_year"' in response.content.decode()
    for query, expected in (({"cycle": oldest.pk}, [lists[2001].pk]), ({"cycle_year": 2002}, [lists[2002].pk]),
                            ({"cycle": oldest.pk, "cycle_year": 2002}, [])):
        response = client.get(LISTS_ADMIN, query)
        assert response.status_code == 200
        assert [nl.pk for nl in response.context["cl"].result_list] == expected
    # The cycle chosen is shown chosen, even when it is older than the ten linked.
    choice = next(_cycle_filter(client.get(LISTS_ADMIN, {"cycle": oldest.pk})).choices(
        client.get(LISTS_ADMIN, {"cycle": oldest.pk}).context["cl"]))
    assert [display for selected, _query, display in choice["links"] if selected] == ["2001年度"]
    # The awards and the decisions (whose cycle is their list's) take the same filter.
    award = Award.objects.create(cycle=oldest, category=category("6"), unit=districts[0],
                                 nominee=lists[2001].nominees.get(), slot=1)
    assert [a.pk for a in client.get(AWARDS_ADMIN, {"cycle_year": 2001}).context["cl"].result_list] == [award.pk]
    # An award above the cap shows its exception as the exception reads itself.
    exception = CapException.objects.create(year=2001, category=category("6"), new_limit=4, reason="经市政府同意",
                                            decided_by=reviewer)
    Award.objects.filter(pk=award.pk).update(cap_exception=exception)
    page = client.get(AWARDS_ADMIN, {"cycle": oldest.pk}).content.decode()
    assert f'<td class="field-shown_cap_exception">{exception}</td>' in page
    Award.objects.filter(pk=award.pk).update(cap_exception=None)
    assert '<td class="field-shown_cap_exception">-</td>' in client.get(AWARDS_ADMIN).content.decode()
    decisions = reverse("admin:reviews_decision_changelist")
    assert [d.nominee.nomination_list_id for d in client.get(decisions, {"cycle": cycles[2002].pk})
            .context["cl"].result_list] == [lists[2002].pk]


@pytest.mark.parametrize("params", [{"cycle": "abc"}, {"cycle": "99999999999999999999999"}, {"cycle_year": "二〇〇一"},
                                    {"cycle_year": "-3"}, {"cycle_year": "10000"}, {"cycle": "1", "cycle_year": "x"}])
def test_a_bad_cycle_on_the_lists_awards_and_decisions_gives_an_empty_page(client, administrator, params):
    make_cycle(year=2001)
    client.force_login(administrator)
    for url in (LISTS_ADMIN, AWARDS_ADMIN, reverse("admin:reviews_decision_changelist")):
        response = client.get(url, params)
        assert response.status_code == 200 and list(response.context["cl"].result_list) == []


def test_the_system_administrator_still_does_not_read_the_trail(client, administrator):
    """三员分立: the trail is the audit administrator's (the admin's changelist and the page alike)."""
    system = make_user("sysadmin", role=roles.SYSTEM_ADMINISTRATOR)
    client.force_login(system)
    assert client.get(AUDIT_ADMIN).status_code == 403
    assert client.get(AUDIT_PAGE).status_code == 404


def test_the_count_stops_at_the_cap(auditor, trail):
    entries = AuditEntry.objects.order_by("-at", "-id")
    total = entries.count()
    assert total >= 3
    paginator = CappedPaginator(entries, 2)
    paginator.cap = 2
    assert paginator.capped and paginator.count == 3 and paginator.num_pages == 1
    uncapped = CappedPaginator(entries, 2)
    assert not uncapped.capped and uncapped.count == total


# --- the change forms never list a large table ------------------------------------------------------------------

# Units, bureaus, categories, measures, people, lists, nominees, awards and cycles run to thousands in a province:
# a change form names one by autocomplete, by id, or shows it read-only, never in a <select> of every row. The
# small tables (programmes, kinds of units, documents, roles) keep their <select>.
SELECT = r"<select[^>]*name=\"([^\"]+)\"[^>]*>(.*?)</select>"


def test_no_change_form_lists_a_large_table(client, administrator, reviewer):
    import re

    from measures.models import IncentiveCategory
    from nominations.models import NominationList
    from organisation.models import Bureau, Membership, Programme
    from reviews.models import Award, Decision

    generate(SMALL, seed=5)
    assert Bureau.objects.count() > 25 and Unit.objects.count() > 25  # more than any <select> below may list
    client.force_login(administrator)
    programme = Programme.objects.get(is_default=True)
    pages = [reverse("admin:organisation_programme_change", args=[programme.pk]),
             reverse("admin:measures_incentivecategory_change", args=[IncentiveCategory.objects.first().pk]),
             reverse("admin:measures_responsibility_add"), reverse("admin:organisation_unit_add"),
             reverse("admin:organisation_membership_add"),
             reverse("admin:nominations_nominationlist_change", args=[NominationList.objects.first().pk]),
             reverse("admin:reviews_award_change", args=[Award.objects.first().pk]),
             reverse("admin:reviews_decision_change", args=[Decision.objects.first().pk])]
    assert Membership.objects.exists()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        for name, options in re.findall(SELECT, response.content.decode(), flags=re.S):
            assert options.count("<option") <= 25, f"{url}: <select name={name}> lists {options.count('<option')}"
    html = client.get(pages[0]).content.decode()
    assert 'class="vForeignKeyRawIdAdminField"' in html and 'name="finance_bureau"' in html
    html = client.get(pages[1]).content.decode()
    assert 'name="measure"' in html and "admin-autocomplete" in html
