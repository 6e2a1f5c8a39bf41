"""The public results (主动公开): anyone reads them without logging in; only published cycles; grouped by measure,
units in administrative-division order, the support each measure gives; a unit's history; statistics."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from measures.models import IncentiveCategory, Measure
from nominations import services as nomination_services
from nominations.models import BEIJING, Cycle
from organisation.models import Unit, UnitKind
from reviews.selectors import public as public_selectors

from . import factories
from .factories import award, make_published_cycle

pytestmark = pytest.mark.django_db


def make_cycle(year, *, published=True):
    return make_published_cycle(year) if published else factories.make_cycle(year)


@pytest.fixture
def street(districts):
    yuexiu = districts[0]
    return Unit.objects.create(kind_id=UnitKind.STREET, name="北京街道", parent=yuexiu, division_order=yuexiu.division_order + 1)


def test_results_need_no_login_and_list_only_published_cycles(client, districts):
    make_cycle(2022)
    make_cycle(2023, published=False)
    response = client.get(reverse("results:index"))
    assert response.status_code == 200
    assert [c.year for c in response.context["cycles"]] == [2022]
    assert client.get(reverse("results:cycle", args=[2022])).status_code == 200
    assert client.get(reverse("results:cycle", args=[2023])).status_code == 404


def test_results_group_by_measure_in_division_order_with_support(client, districts, street):
    cycle = make_cycle(2023)
    tianhe = next(d for d in districts if d.name == "天河区")
    yuexiu = districts[0]
    award(cycle, "28", [tianhe, street, yuexiu])   # listed in rank order, shown in administrative order
    award(cycle, "19-1", [districts[5]])
    response = client.get(reverse("results:cycle", args=[2023]))
    groups = response.context["groups"]
    assert [g.measure.number for g in groups] == [19, 28]
    (_category, awards), = groups[1].categories
    assert [a.unit.name for a in awards] == ["越秀区", "北京街道", "天河区"]
    html = response.content.decode()
    assert html.index("越秀区") < html.index("北京街道") < html.index("天河区")
    # The support shown is the category's, in the notice's words; not the whole measure's clause.
    category_28 = groups[1].categories[0][0]
    for label in category_28.get_support_forms_display():
        assert label in html
    assert category_28.support_text and category_28.support_text in html
    assert groups[1].measure.support_text not in html or groups[1].measure.support_text == category_28.support_text


@pytest.mark.parametrize("size", [1, 12])
def test_results_page_runs_a_constant_number_of_queries(client, districts, size, django_assert_max_num_queries):
    cycle = make_cycle(2023)
    previous = make_cycle(2022)
    codes = list(IncentiveCategory.objects.filter(measure__document__in_force=True, subject_kinds="district")
                 .order_by("measure__number", "order").values_list("code", flat=True))[:size]
    for index, code in enumerate(codes):
        units = districts[index % 8:index % 8 + 3]
        award(cycle, code, units)
        award(previous, code, units[:1])   # repeat winners
    # No session: the cycle, the version, the copy the publication stored (none here), its awards, the repeat
    # winners, and two for the bulletin download spot.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("results:cycle", args=[2023]))
    assert response.status_code == 200 and response.context["award_count"] == 3 * size
    # The published cycles, and the cycles on public notice.
    with django_assert_max_num_queries(2):
        response = client.get(reverse("results:index"))
    assert len(response.context["cycles"]) == 2


def test_unit_history_shows_every_award_across_cycles(client, districts):
    yuexiu = districts[0]
    award(make_cycle(2022), "19-1", [yuexiu])
    cycle = make_cycle(2023)
    award(cycle, "19-1", [yuexiu])
    award(cycle, "28", [yuexiu])
    award(make_cycle(2024, published=False), "3", [yuexiu])   # not published: not shown
    response = client.get(reverse("results:unit", args=[yuexiu.pk]))
    assert response.status_code == 200
    assert [(a.cycle.year, a.category.code) for a in response.context["awards"]] == [(2023, "19-1"), (2023, "28"), (2022, "19-1")]
    assert response.context["years"] == [2023, 2022]
    assert 'data-year-count="2"' in response.content.decode()
    # The repeat winner is marked on the year's results too.
    results = client.get(reverse("results:cycle", args=[2023]))
    html = results.content.decode()
    assert f'data-unit="{yuexiu.pk}"' in html and html.count("badge") >= 1
    assert yuexiu.pk in results.context["repeat_winners"]


def test_statistics_count_districts_measures_and_punctuality(client, districts, street, bureau):
    first, second = make_cycle(2022), make_cycle(2023)
    award(first, "28", [street, districts[1]], submitted_late=True)  # 北京街道 counts for 越秀区
    award(second, "28", [districts[0]])
    award(second, "19-1", [districts[0]])
    make_cycle(2024, published=False)
    with_queries = client.get(reverse("results:statistics"))
    stats = with_queries.context["stats"]
    assert stats.years == [2022, 2023]
    by_district = {d.name: (per_year, total) for d, per_year, total in stats.districts}
    assert by_district["越秀区"] == ([1, 2], 3)
    assert by_district[districts[1].name] == ([1, 0], 1)
    assert "萝岗区" not in by_district   # merged in 2014, no awards
    by_measure = {m.number: total for m, _per_year, total in stats.measures}
    assert by_measure == {19: 1, 28: 3}
    assert stats.punctuality == []  # the public page does not count it; the reviewers' page does
    punctuality = {b.short_name: (on_time, late, never)
                   for b, on_time, late, never in public_selectors.statistics().punctuality}
    owner_28 = IncentiveCategory.objects.get(code="28", measure__document__in_force=True).responsibilities.get(role="lead").bureau
    on_time, late, never = punctuality[owner_28.short_name]
    assert (on_time, late) == (1, 1)
    assert punctuality["市水务局"][:2] == (1, 0) and punctuality["市水务局"][2] >= 1
    html = with_queries.content.decode()
    # The bureaus' punctuality is internal: the public sees the two other charts only.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2 and "<table" in html and "data-punctuality" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"


@pytest.mark.parametrize("years", [1, 4])
def test_statistics_run_a_constant_number_of_queries(client, districts, years, django_assert_max_num_queries):
    for offset in range(years):
        cycle = make_cycle(2020 + offset)
        award(cycle, "19-1", districts[offset:offset + 2])
        award(cycle, "28", districts[offset + 2:offset + 3], submitted_late=True)
    # 8 for the awards and the lists, 4 for the implementation rules' punctuality (version, document, owners, filings).
    with django_assert_max_num_queries(12):
        response = client.get(reverse("results:statistics"))
    assert response.status_code == 200 and len(response.context["stats"].years) == years


def test_statistics_are_counted_once_per_publication(client, districts, reviewer, django_assert_max_num_queries):
    cycle = make_cycle(2021)
    award(cycle, "19-1", districts[:1])
    first = client.get(reverse("results:statistics")).context["body"]
    # A second visit reads the page body kept from the first: two queries to learn nothing was published or filed
    # since.
    with django_assert_max_num_queries(2):
        again = client.get(reverse("results:statistics"))
    assert again.context["body"] == first
    # A new publication changes the figures at once.
    later = make_cycle(2022)
    award(later, "19-1", districts[1:3])
    html = client.get(reverse("results:statistics")).context["body"]
    assert "2022" in html and html != first


def test_statistics_show_who_filed_the_implementation_rules_on_time(client, clerk_water, bureau, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    before = client.get(reverse("results:statistics")).context["body"]
    nomination_services.rules_file(
        actor=clerk_water, measure=Measure.objects.get(number=6, document__in_force=True), bureau=bureau("市水务局"),
        title="实施办法", upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
        now=datetime.datetime(2023, 1, 30, 9, 0, tzinfo=BEIJING))
    html = client.get(reverse("results:statistics")).context["body"]
    row = html[html.index('class="data-rules-punctuality"'):]
    row = row[row.index('data-bureau="市水务局"'):]
    assert 'data-on-time="1"' in row[:300] and html != before


def test_a_province_s_results_are_paged_by_whole_measures_with_an_index(client, districts, monkeypatch):
    from reviews import public_pages

    monkeypatch.setattr(public_pages, "RESULTS_PAGE_CATEGORIES", 3)
    cycle = make_cycle(2023)
    codes = list(IncentiveCategory.objects.filter(measure__document__in_force=True, subject_kinds="district")
                 .order_by("measure__number", "order").values_list("measure__number", "code"))
    sizes = {}
    for number, _code in codes:
        sizes[number] = sizes.get(number, 0) + 1
    for _number, code in codes:
        award(cycle, code, districts[:1])
    # Whole measures, at most 3 categories a page unless one measure has more.
    expected, page, size = [], [], 0
    for number, count in sizes.items():
        if page and size + count > 3:
            expected.append(page)
            page, size = [], 0
        page.append(number)
        size += count
    expected.append(page)
    address = reverse("results:cycle", args=[2023])
    for number, measures in enumerate(expected, start=1):
        response = client.get(address, {"page": number})
        assert response.status_code == 200 and response.context["award_count"] == len(codes)
        html = response.content.decode()
        assert [int(m) for m in re.findall(r'data-measure="(\d+)"', html)] == measures
        # The index names every measure, with the page it is on.
        for other_page, others in enumerate(expected, start=1):
            for measure in others:
                anchor = f"#measure-{measure}" if other_page == number else f"?page={other_page}#measure-{measure}"
                assert f'href="{anchor}"' in html
        assert ('rel="next"' in html) == (number < len(expected)) and ('rel="prev"' in html) == (number > 1)
    for bad in [str(len(expected) + 1), "0", "²", "-1", "9" * 50]:
        assert client.get(address, {"page": bad}).status_code == 404


def test_results_page_body_is_kept_until_the_next_publication(client, districts, django_assert_max_num_queries):
    cycle = make_cycle(2024)
    award(cycle, "19-1", districts[:2])
    first = client.get(reverse("results:cycle", args=[2024]))
    with django_assert_max_num_queries(4):
        again = client.get(reverse("results:cycle", args=[2024]))
    assert again.context["body"] == first.context["body"] and again.context["award_count"] == 2
    # Reopening takes the cycle off the public pages at once.
    Cycle.objects.filter(pk=cycle.pk).update(state="review", published_at=None)
    assert client.get(reverse("results:cycle", args=[2024])).status_code == 404


def test_punctuality_is_shown_to_reviewers_only(client, reviewer, clerk_water, districts):
    award(make_cycle(2022), "28", [districts[0]])
    assert "data-punctuality" not in client.get(reverse("results:statistics")).content.decode()
    client.force_login(clerk_water)
    assert "data-punctuality" not in client.get(reverse("results:statistics")).content.decode()
    client.force_login(reviewer)
    html = client.get(reverse("results:statistics")).content.decode()
    assert "data-punctuality" in html and html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3


def test_a_unit_s_history_is_written_with_full_width_punctuation(client, districts):
    award(make_cycle(2022), "28", [districts[0]])
    html = client.get(reverse("results:unit", args=[districts[0].pk])).content.decode()
    assert "获激励1次，涉及1个年度" in html


def test_a_unit_s_history_is_paged_by_years_newest_first(client, districts):
    from reviews.selectors import UNIT_HISTORY_YEARS

    assert UNIT_HISTORY_YEARS == 3
    yuexiu = districts[0]
    for year in range(2015, 2022):  # seven years: three, three and one
        award(make_cycle(year), "28", [yuexiu])
    award(make_cycle(2022, published=False), "28", [yuexiu])  # not published: on no page
    address = reverse("results:unit", args=[yuexiu.pk])
    first = client.get(address)
    assert [a.cycle.year for a in first.context["awards"]] == [2021, 2020, 2019]
    html = first.content.decode()
    assert 'data-award-count="7" data-year-count="7"' in html  # the summary counts every page
    assert 'href="?page=2" rel="next"' in html and 'rel="prev"' not in html
    second = client.get(address, {"page": "2"})
    assert [a.cycle.year for a in second.context["awards"]] == [2018, 2017, 2016]
    html = second.content.decode()
    assert 'href="?page=1" rel="prev"' in html and 'href="?page=3" rel="next"' in html
    assert 'data-year="2016"' in html and 'data-year="2021"' not in html and 'data-year="2015"' not in html
    last = client.get(address, {"page": "3"})
    assert [a.cycle.year for a in last.context["awards"]] == [2015] and 'rel="next"' not in last.content.decode()


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "²", "1.5", "9" * 5000, ""])
def test_a_bad_page_of_a_unit_s_history_is_not_found(client, districts, page):
    award(make_cycle(2022), "28", [districts[0]])
    assert client.get(reverse("results:unit", args=[districts[0].pk]), {"page": page}).status_code == 404


def test_a_unit_without_awards_has_one_empty_page(client, districts):
    response = client.get(reverse("results:unit", args=[districts[1].pk]))
    assert response.status_code == 200 and response.context["awards"] == []
    assert client.get(reverse("results:unit", args=[districts[1].pk]), {"page": "2"}).status_code == 404
