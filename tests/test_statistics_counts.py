"""The statistics counted by the database agree with a count made by hand; the charts stay small; a publication
warms the statistics and the year's results into the cache."""

import datetime
import random
import re
from collections import defaultdict

import pytest
from django.conf import settings
from django.urls import reverse

from measures.models import IncentiveCategory, Responsibility
from nominations.deadlines import bureau_deadline, cycle_extensions, submitted_late
from nominations.models import BEIJING, Extension, NominationList
from organisation.models import Unit
from reviews import charts, public_pages, services
from reviews.selectors import public as selectors
from tests.factories import award, make_cycle, make_list, make_published_cycle, nominees_of, publish_final

pytestmark = pytest.mark.django_db

LAST_INSTANT = datetime.timedelta(microseconds=999_999)  # 23:59:59.999999: on time
NEXT_SECOND = datetime.timedelta(seconds=1)               # 00:00:00: late
OFFSETS = [-datetime.timedelta(days=3), datetime.timedelta(0), LAST_INSTANT, NEXT_SECOND, datetime.timedelta(days=2)]


@pytest.fixture
def cycle(db):
    return make_cycle(2023)


@pytest.fixture
def water_list(cycle, category, bureau, districts, clerk_water):
    """王芳's list of 19-1 for 市水务局, three districts, submitted before the deadline."""
    return make_list(cycle, category("19-1"), bureau("市水务局"), districts[:3], clerk=clerk_water)


def published_cycle(year):
    return make_published_cycle(year, published_at=datetime.datetime(year + 1, 6, 1, tzinfo=BEIJING))


def tally_by_hand(cycles):
    """The rule read plainly: every owner of every category of each cycle's notice, its list (the bureau that
    prepared a joint category's list answers for it), the bureau's deadline and ``submitted_late``."""
    tally = defaultdict(lambda: [0, 0, 0])
    for cycle in cycles:
        extensions = cycle_extensions(cycle)
        lists = {nl.category_id: nl for nl in NominationList.objects.filter(cycle=cycle)}
        for r in Responsibility.objects.filter(category__measure__document=cycle.document,
                                               role__in=Responsibility.OWNER_ROLES):
            nl = lists.get(r.category_id)
            if nl is not None and nl.bureau_id != r.bureau_id:
                continue
            if nl is None or nl.submitted_at is None:
                tally[r.bureau.short_name][2] += 1
            elif submitted_late(submitted_at=nl.submitted_at,
                                deadline=bureau_deadline(cycle=cycle, bureau=r.bureau_id, extensions=extensions)):
                tally[r.bureau.short_name][1] += 1
            else:
                tally[r.bureau.short_name][0] += 1
    return {name: tuple(counts) for name, counts in tally.items()}


def tally_by_database(cycles):
    return {bureau.short_name: (on_time, late, never) for bureau, on_time, late, never in selectors._punctuality(cycles)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_punctuality_counted_by_the_database_agrees_with_a_count_by_hand(reviewer, seed):
    rng = random.Random(seed)
    cycles = [published_cycle(year) for year in (2021, 2022, 2023)]
    owners = defaultdict(list)
    for r in Responsibility.objects.filter(role__in=Responsibility.OWNER_ROLES, category__measure__document__in_force=True):
        owners[r.category_id].append(r.bureau_id)
    bureau_ids = sorted({b for ids in owners.values() for b in ids})
    for cycle in cycles:
        # Some bureaus have a later deadline, one an "extension" earlier than the cycle's (it changes nothing).
        for bureau_id in rng.sample(bureau_ids, 6):
            shift = rng.choice([datetime.timedelta(days=2), -datetime.timedelta(days=1)])
            Extension.objects.create(cycle=cycle, bureau_id=bureau_id, new_deadline=cycle.deadline + shift,
                                     reason="延期", granted_by=reviewer)
        extensions = cycle_extensions(cycle)
        for category_id, category_owners in owners.items():
            choice = rng.random()
            if choice < 0.15:
                continue  # no list at all
            bureau_id = rng.choice(category_owners)
            if choice < 0.3:
                submitted_at = None  # a draft never submitted
            else:
                deadline = bureau_deadline(cycle=cycle, bureau=bureau_id, extensions=extensions)
                submitted_at = deadline + rng.choice(OFFSETS)
            NominationList.objects.create(cycle=cycle, category_id=category_id, bureau_id=bureau_id,
                                          state="decided" if submitted_at else "draft", submitted_at=submitted_at)
    by_hand = tally_by_hand(cycles)
    assert tally_by_database(cycles) == by_hand
    # The data reached every case: on time, late and never all occur.
    assert all(sum(counts[i] for counts in by_hand.values()) > 0 for i in range(3))
    assert len(by_hand) > 10


def test_punctuality_at_the_last_second_and_with_an_extension(reviewer, bureau):
    cycle = published_cycle(2024)
    water, forestry = bureau("市水务局"), bureau("市林业园林局")
    water_categories = list(IncentiveCategory.objects.filter(
        responsibilities__bureau=water, responsibilities__role__in=Responsibility.OWNER_ROLES,
        measure__document__in_force=True).order_by("pk")[:3])
    forestry_category = IncentiveCategory.objects.filter(
        responsibilities__bureau=forestry, responsibilities__role__in=Responsibility.OWNER_ROLES,
        measure__document__in_force=True).exclude(pk__in=[c.pk for c in water_categories]).order_by("pk").first()
    later = cycle.deadline + datetime.timedelta(days=5)
    Extension.objects.create(cycle=cycle, bureau=forestry, new_deadline=later, reason="延期", granted_by=reviewer)
    for category, at in zip(water_categories, [cycle.deadline + LAST_INSTANT, cycle.deadline + NEXT_SECOND, None],
                            strict=True):
        NominationList.objects.create(cycle=cycle, category=category, bureau=water, submitted_at=at,
                                      state="decided" if at else "draft")
    # Late against the cycle's deadline, on time against the extension's last second.
    NominationList.objects.create(cycle=cycle, category=forestry_category, bureau=forestry,
                                  submitted_at=later + LAST_INSTANT, state="decided")
    tally = tally_by_database([cycle])
    owned_by_water = Responsibility.objects.filter(bureau=water, role__in=Responsibility.OWNER_ROLES,
                                                   category__measure__document__in_force=True).count()
    on_time, late, never = tally["市水务局"]
    assert (on_time, late) == (1, 1) and never == owned_by_water - 2
    assert tally["市林业园林局"][:2] == (1, 0)
    assert tally == tally_by_hand([cycle])


def test_a_chart_is_one_path_per_series_and_escapes_its_labels():
    rows = [(f"区{n}<b>", [n, 0, 2 * n]) for n in range(1, 301)]
    chart = charts.stacked_bar_chart(title="A & B", rows=rows, series=["2022", "2023", "2024"])
    markup = chart.markup()
    assert markup.count("<path ") == 2  # 2023 has no segment at all
    assert markup.count('<svg xmlns="http://www.w3.org/2000/svg"') == 1 and 'aria-label="A &amp; B"' in markup
    assert "<b>" not in markup and "区300&lt;b&gt;" in markup
    assert len(re.findall(r"M[\d.]+ \d+h", markup)) == 600
    assert len(markup) < 60_000  # some 100 bytes a bar, labels and totals included
    empty = charts.stacked_bar_chart(title="Nothing", rows=[], series=["2022"]).markup()
    assert "<svg xmlns" not in empty and "muted" in empty


def test_publication_warms_the_statistics_and_the_results(client, reviewer, water_list, cycle, districts,
                                                          django_capture_on_commit_callbacks,
                                                          django_assert_num_queries):
    award(published_cycle(2020), "19-1", districts[:2])
    for nominee in nominees_of(water_list):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=True, comment="同意")
    with django_capture_on_commit_callbacks(execute=True):
        publish_final(reviewer, cycle)
    # Nobody has visited: the public body, each language, comes from the cache (the two versions only).
    with django_assert_num_queries(2):
        response = client.get(reverse("results:statistics"))
    assert response.status_code == 200 and str(cycle.year) in response.context["body"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_num_queries(2):
        english = client.get(reverse("results:statistics"))
    assert "Awards per measure" in english.context["body"]
    # The reviewers' body too (their session, user and role: the rest is kept).
    client.force_login(reviewer)
    cold = client.get(reverse("results:statistics"))
    assert "data-punctuality" in cold.content.decode()
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    # The year's results: as many queries as a second visit (the cycle, the version, the page around the body),
    # no reading of the awards.
    with django_assert_num_queries(4):
        results = client.get(reverse("results:cycle", args=[cycle.year]))
    assert results.status_code == 200 and results.context["award_count"] == 3


def test_a_cache_emptied_after_the_publication_gives_the_bodies_the_publication_stored(
        client, reviewer, administrator, water_list, cycle, django_capture_on_commit_callbacks,
        django_assert_num_queries):
    from django.core.cache import cache

    from reviews.models import KeptBody

    for nominee in nominees_of(water_list):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=True, comment="同意")
    with django_capture_on_commit_callbacks(execute=True):
        publish_final(reviewer, cycle)
    def content(response):  # the page without its per-response nonce and form token
        return re.sub(rb'(nonce|value)="[^"]*"', b"", response.content)

    warm_page = content(client.get(reverse("results:statistics")))
    warm_results = content(client.get(reverse("results:cycle", args=[cycle.year])))
    cache.clear()  # a restart or an eviction: the warming's copy in the database answers, nothing is counted
    with django_assert_num_queries(3):
        page = content(client.get(reverse("results:statistics")))
    assert page == warm_page and f"<th scope=\"col\">{cycle.year}</th>".encode() in page  # HTML, not escaped
    with django_assert_num_queries(2):  # given back to the cache by that visit
        assert content(client.get(reverse("results:statistics"))) == page
    cache.clear()
    with django_assert_num_queries(5):  # the cycle, the version, the stored body, the page around it
        results = client.get(reverse("results:cycle", args=[cycle.year]))
    assert results.context["award_count"] == 3 and content(results) == warm_results
    # Reopening stores the new statistics and removes the year's results and the older statistics.
    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_reopen(actor=administrator, cycle=cycle, reason="复核")
    keys = set(KeptBody.objects.values_list("key", flat=True))
    assert keys and all(key.startswith("results-statistics::") for key in keys)
    assert len(keys) == 2 * len(settings.LANGUAGES)  # public and internal, each language
    cache.clear()
    assert f"<th scope=\"col\">{cycle.year}</th>" not in client.get(reverse("results:statistics")).context["body"]


def test_reopening_warms_the_statistics_without_the_year(client, reviewer, administrator, water_list, cycle,
                                                         django_capture_on_commit_callbacks,
                                                         django_assert_num_queries):
    for nominee in nominees_of(water_list):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=True, comment="同意")
    with django_capture_on_commit_callbacks(execute=True):
        publish_final(reviewer, cycle)
    assert str(cycle.year) in client.get(reverse("results:statistics")).context["body"]
    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_reopen(actor=administrator, cycle=cycle, reason="复核")
    with django_assert_num_queries(2):
        body = client.get(reverse("results:statistics")).context["body"]
    assert f"<th scope=\"col\">{cycle.year}</th>" not in body


def test_a_failed_warm_up_leaves_the_publication_done_and_the_work_to_the_first_visit(
        client, reviewer, water_list, cycle, django_capture_on_commit_callbacks, monkeypatch, caplog):
    from reviews import tasks

    assert tasks.public_pages_warm(cycle_id=0) == 0 and public_pages.public_pages_warm(cycle_id=0) == []  # no cycle

    def broken(**_kwargs):
        raise RuntimeError("the cache is full")

    monkeypatch.setattr(tasks, "warm", broken)
    for nominee in nominees_of(water_list):
        services.nominee_decide(actor=reviewer, nominee=nominee, approved=True, comment="同意")
    with django_capture_on_commit_callbacks(execute=True):
        published = publish_final(reviewer, cycle)
    assert published.state == "published"
    assert "were not warmed" in caplog.text
    body = client.get(reverse("results:statistics")).context["body"]  # counted by this visit
    assert str(cycle.year) in body


def _figures(stats):
    return (stats.years, [(d.pk, per_year, total) for d, per_year, total in stats.districts],
            [(m.pk, per_year, total) for m, per_year, total in stats.measures],
            [(b.pk, *counts) for b, *counts in stats.punctuality])


def test_the_stored_tallies_give_the_figures_counted_from_the_awards(districts):
    from reviews.models import StatisticsTally
    from reviews.services.publication import statistics_tally

    yuexiu = districts[0]
    street = Unit.objects.create(kind_id="street", name="北京街道", parent=yuexiu, division_order=yuexiu.division_order + 1)
    cycles = [published_cycle(year) for year in (2019, 2020, 2021)]
    award(cycles[0], "19-1", districts[:3])
    award(cycles[1], "19-1", [districts[1], street], submitted_late=True)
    award(cycles[1], "6", districts[2:4])
    award(cycles[2], "6", [street])
    counted = _figures(selectors.statistics())  # no tally stored: counted by the database
    for cycle in cycles[:2]:
        statistics_tally(cycle=cycle)
    assert _figures(selectors.statistics()) == counted  # two years stored, one counted
    statistics_tally(cycle=cycles[2])
    assert _figures(selectors.statistics()) == counted  # every year stored
    # The street's award counts for its district.
    assert StatisticsTally.objects.get(cycle=cycles[1], kind="district", subject_id=yuexiu.pk).first == 1


def test_the_statistics_with_an_empty_cache_run_the_same_queries_whatever_the_number_of_years(
        client, districts, django_assert_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.services.publication import statistics_tally

    def cold_visit() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("results:statistics")).status_code == 200
        return len(queries.captured_queries)

    for year in (2011, 2012):
        cycle = published_cycle(year)
        award(cycle, "19-1", districts[:2])
        statistics_tally(cycle=cycle)
    two_years = cold_visit()
    for year in range(2013, 2023):
        cycle = published_cycle(year)
        award(cycle, "19-1", districts[year % 5:year % 5 + 2])
        award(cycle, "6", districts[:1], submitted_late=True)
        statistics_tally(cycle=cycle)
    assert cold_visit() == two_years  # twelve years: the same queries as two
    # A year published without its tallies is counted by the page: a few more queries, never one per year.
    award(published_cycle(2023), "6", districts[1:2])
    assert two_years < cold_visit() <= two_years + 4


def _page_figures(stats):
    return dict(zip(stats.years, zip(*[per_year for _d, per_year, _t in stats.districts], strict=True), strict=True))


@pytest.mark.parametrize("stored", [True, False], ids=["tallies stored", "counted by the database"])
def test_the_tables_show_ten_years_a_page_and_total_every_year(client, districts, reviewer, stored):
    from reviews.services.publication import statistics_tally

    cycles = [published_cycle(year) for year in range(2008, 2021)]  # 13 published years
    for index, cycle in enumerate(cycles):
        award(cycle, "19-1", districts[index % 3:index % 3 + 2])
        if stored:
            statistics_tally(cycle=cycle)
    whole = selectors.statistics(years_per_page=100)
    newest, oldest = selectors.statistics(), selectors.statistics(page=2)
    assert (newest.years, newest.page, newest.pages) == (list(range(2011, 2021)), 1, 2)
    assert (oldest.years, oldest.newer_page, oldest.older_page) == ([2008, 2009, 2010], 1, None)
    assert selectors.statistics(page=99).years == oldest.years  # past the oldest page: the oldest page
    # Each page's cells are those years' columns of the whole table; the totals count every year on every page.
    assert {**_page_figures(oldest), **_page_figures(newest)} == _page_figures(whole)
    for page in (newest, oldest):
        assert [t for _d, _c, t in page.districts] == [t for _d, _c, t in whole.districts]
        assert [t for _m, _c, t in page.measures] == [t for _m, _c, t in whole.measures]
        assert page.punctuality == whole.punctuality
    assert selectors.statistics(with_punctuality=False).punctuality == []
    # The page links the other page of years, and a malformed page number is the first page.
    body = client.get(reverse("results:statistics")).content.decode()
    assert "?page=2" in body and "2020" in body and ">2010<" not in body
    body = client.get(reverse("results:statistics"), {"page": "2"}).content.decode()
    assert "?page=1" in body and ">2010<" in body and ">2020<" not in body
    assert client.get(reverse("results:statistics"), {"page": "x" * 50}).status_code == 200


def _bureaus_of(body: str, table: str) -> list[str]:
    part = body.split(f'class="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-bureau="([^"]+)"', part)


def test_the_tables_of_bureaus_show_a_page_of_bureaus_at_a_time(client, reviewer, monkeypatch, districts):
    """A province's thousands of bureaus: the two tables of bureaus show one page of them (here 5 a page), in the
    bureaus' order, with links to the pages before and after; a page past the last is the last, a malformed one
    the first, and each audience's page is its own."""
    from reviews.services.publication import statistics_tally

    cycle = published_cycle(2021)
    award(cycle, "19-1", districts[:2])
    statistics_tally(cycle=cycle)
    monkeypatch.setattr(public_pages, "STATISTICS_BUREAUS_PER_PAGE", 5)
    url = reverse("results:statistics")
    whole = [b.short_name for b, *_counts in public_pages.statistics_figures(None)["rules_punctuality"]]
    assert len(whole) > 10
    first = client.get(url).content.decode()
    assert _bureaus_of(first, "data-rules-punctuality") == whole[:5]
    assert f"共 {len(whole)} 个" in first and "bureaus=2" in first and "data-punctuality" not in first
    second = client.get(url, {"bureaus": "2"}).content.decode()
    assert _bureaus_of(second, "data-rules-punctuality") == whole[5:10]
    assert "bureaus=1" in second and "bureaus=3" in second
    last_page = -(-len(whole) // 5)
    for past_the_last in ("999", str(last_page)):
        assert _bureaus_of(client.get(url, {"bureaus": past_the_last}).content.decode(),
                           "data-rules-punctuality") == whole[(last_page - 1) * 5:]
    assert _bureaus_of(client.get(url, {"bureaus": "x" * 30}).content.decode(), "data-rules-punctuality") == whole[:5]
    # The reviewer's page: the lists' punctuality, paged alike (its own bodies: the public's shows none).
    client.force_login(reviewer)
    punctual = [b.short_name for b, *_counts in selectors.statistics().punctuality]
    body = client.get(url, {"bureaus": "2"}).content.decode()
    assert _bureaus_of(body, "data-punctuality") == punctual[5:10]
    assert _bureaus_of(body, "data-rules-punctuality") == whole[5:10]
