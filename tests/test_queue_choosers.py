"""The review queue's bureau and measure choosers: the JSON view that answers what is typed (``reviews:queue_choices``),
scoped through the door to the programme and cycle the queue shows, and the filters that still work without
JavaScript (the id chosen, or a text typed that names exactly one item)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import Responsibility
from organisation.models import Bureau, Programme
from reviews import selectors

from .factories import PAGES_LIST, make_cycle, make_list, make_second_programme, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_cycle(year=timezone.now().year)


def choices(client, kind, **params):
    response = client.get(reverse("reviews:queue_choices", args=[kind]), params)
    assert response.status_code == 200, response.status_code
    return response.json()["results"]


def codes(response):
    return [row.category.code for row in response.context["queue"].rows]


# -- the JSON view ----------------------------------------------------------------------------------------------


def test_the_bureau_chooser_answers_the_bureaus_of_the_cycle_matching_the_text(client, reviewer, cycle, bureau):
    client.force_login(reviewer)
    found = choices(client, "bureau", q="水务")
    assert found[0] == {"id": bureau("市水务局").pk, "label": "市水务局", "detail": bureau("市水务局").full_name}
    assert all("水务" in r["label"] or "水务" in r["detail"] for r in found)
    # By its full name too, and those whose short name starts with the text first.
    assert choices(client, "bureau", q=bureau("市水务局").full_name)[0]["label"] == "市水务局"
    assert [r["label"] for r in choices(client, "bureau", q="市林业")][:1] == ["市林业园林局"]
    assert choices(client, "bureau", q="没有这样的部门") == []


def test_the_chooser_answers_at_most_its_limit(client, reviewer, cycle):
    client.force_login(reviewer)
    responsible = Responsibility.objects.filter(
        category__measure__document_id=cycle.document_id).values("bureau").distinct().count()
    assert responsible > selectors.CHOOSER_LIMIT  # the limit is what stops the answer here
    assert len(choices(client, "bureau", q="")) == selectors.CHOOSER_LIMIT
    assert len(choices(client, "bureau", q="市")) == selectors.CHOOSER_LIMIT
    assert len(selectors.queue_choices(cycle=cycle, kind="bureau", text="市", limit=3)) == 3


def test_the_measure_chooser_finds_a_measure_by_number_numeral_or_title(client, reviewer, cycle, category):
    client.force_login(reviewer)
    measure = category("19-1").measure
    label = f"{measure.numeral}、{measure.title}"
    assert choices(client, "measure", q="19")[0] == {"id": measure.pk, "label": label, "detail": ""}
    assert choices(client, "measure", q="十九")[0]["id"] == measure.pk
    assert measure.pk in {r["id"] for r in choices(client, "measure", q=measure.title)}
    assert len(choices(client, "measure", q="")) == selectors.CHOOSER_LIMIT  # 32 measures


def test_only_reviewers_reach_the_choosers(client, reviewer, clerk_water, administrator, cycle):
    url = reverse("reviews:queue_choices", args=["bureau"])
    assert client.get(url).status_code == 302  # to sign in
    for person in (clerk_water, administrator):
        client.force_login(person)
        assert client.get(url, {"q": "市"}).status_code == 404
    client.force_login(reviewer)
    assert client.get(reverse("reviews:queue_choices", args=["category"])).status_code == 404
    assert client.get(reverse("reviews:queue_choices", args=["unit"])).status_code == 404


def test_another_programmes_reviewer_never_sees_guangzhous_bureaus_or_measures(client, reviewer, cycle):
    js = make_second_programme(cycle.year)
    guangzhou = Programme.objects.get(is_default=True)
    client.force_login(js.reviewer)
    assert {r["label"] for r in choices(client, "bureau", q="")} == {"省水利厅", "市财政局"}
    assert {r["id"] for r in choices(client, "bureau", q="市财政局")} == {js.finance_bureau.pk}
    assert choices(client, "bureau", q="市水务局") == []
    assert {r["label"] for r in choices(client, "measure", q="")} == {"一、河长制", "二、国务院督查激励配套"}
    # Asking for Guangzhou's programme or year by name changes nothing: not theirs (404), or their own cycle.
    url = reverse("reviews:queue_choices", args=["bureau"])
    assert client.get(url, {"programme": guangzhou.code, "q": "市"}).status_code == 404
    assert {r["label"] for r in choices(client, "bureau", q="", year=cycle.year)} == {"省水利厅", "市财政局"}
    # And the other way round.
    client.force_login(reviewer)
    assert client.get(url, {"programme": js.programme.code}).status_code == 404
    assert choices(client, "bureau", q="省水利厅") == []
    assert js.finance_bureau.pk not in {r["id"] for r in choices(client, "bureau", q="市财政局")}
    gz_finance = Bureau.objects.get(programme=guangzhou, short_name="市财政局")
    assert gz_finance.pk in {r["id"] for r in choices(client, "bureau", q="市财政局")}
    # The queue itself takes no bureau of the other programme by id.
    response = client.get(reverse("reviews:queue"), {"bureau": js.finance_bureau.pk})
    assert response.context["queue"].bureau.pk is None and response.context["queue"].count == 39


def test_a_reviewer_of_both_programmes_gets_the_options_of_the_programme_asked_for(client, cycle):
    js = make_second_programme(cycle.year)
    both = make_user("both_reviewer", role="reviewer")
    guangzhou = Programme.objects.get(is_default=True)
    guangzhou.reviewers.add(both)
    js.programme.reviewers.add(both)
    client.force_login(both)
    assert {r["label"] for r in choices(client, "bureau", q="", programme=js.programme.code)} == {"省水利厅", "市财政局"}
    assert "市水务局" in {r["label"] for r in choices(client, "bureau", q="水务", programme=guangzhou.code)}
    # The queue's page points each chooser at its own programme's options.
    html = client.get(reverse("reviews:queue"), {"programme": js.programme.code}).content.decode()
    assert f'data-chooser="{reverse("reviews:queue_choices", args=["bureau"])}?year={cycle.year}&amp;programme=jiangsu"' in html


def test_no_cycle_means_no_options(client, reviewer):
    client.force_login(reviewer)
    assert choices(client, "bureau", q="市") == []


@pytest.mark.parametrize("params", [
    {"q": "\x00"}, {"q": "市\x00水务"}, {"q": "长" * 880}, {"q": "%_'\""}, {"year": "abc"}, {"year": str(10**30)},
    {"year": "-1"}, {"programme": ""}, {"q": "99"}, {"q": "9" * 40},
])
def test_malformed_input_never_fails(client, reviewer, cycle, params):
    client.force_login(reviewer)
    for kind in selectors.CHOOSER_KINDS:
        response = client.get(reverse("reviews:queue_choices", args=[kind]), params)
        if any("\x00" in value for value in params.values()):
            assert response.status_code == 400  # refused before any view: no address holds a NUL
            continue
        assert response.status_code == 200
        assert len(response.json()["results"]) <= selectors.CHOOSER_LIMIT


# -- the queue's filters, with and without JavaScript ----------------------------------------------------------


@pytest.fixture
def lists(cycle, category, bureau, districts):
    return [make_list(cycle, category("19-1"), bureau("市水务局"), districts[:1], **PAGES_LIST),
            make_list(cycle, category("3"), bureau("市发展改革委"), districts[1:2], **PAGES_LIST)]


def test_the_queue_lists_no_bureau_or_measure_but_offers_their_choosers(client, reviewer, cycle, lists):
    client.force_login(reviewer)
    html = client.get(reverse("reviews:queue")).content.decode()
    assert '<select name="bureau"' not in html and '<select name="measure"' not in html
    assert html.count("<option") < 20  # the cycles, the states and the orders only
    assert '<select name="state">' in html and '<select name="year">' in html  # the small filters stay
    url = reverse("reviews:queue_choices", args=["bureau"])
    assert f'data-chooser="{url}?year={cycle.year}"' in html
    assert 'name="bureau_name" value=""' in html and 'name="bureau" value="" data-chooser-value' in html
    assert "<script>" not in html and " style=" not in html


def test_the_chosen_id_filters_and_shows_the_items_name(client, reviewer, lists, bureau, category):
    client.force_login(reviewer)
    water = bureau("市水务局")
    response = client.get(reverse("reviews:queue"), {"bureau": water.pk, "bureau_name": "市水务局"})
    assert set(codes(response)) == {"6", "19-1", "31"}
    html = response.content.decode()
    assert 'name="bureau_name" value="市水务局"' in html and f'name="bureau" value="{water.pk}"' in html
    # A link with the id alone (the figures' and the pager's links) names it too.
    measure = category("19-1").measure
    response = client.get(reverse("reviews:queue"), {"measure": measure.pk})
    assert codes(response) == ["19-1", "19-2"]
    assert f'name="measure_name" value="{measure.numeral}、{measure.title}"' in response.content.decode()


def test_without_javascript_a_typed_name_naming_one_item_is_looked_up(client, reviewer, lists, bureau, category):
    client.force_login(reviewer)
    water = bureau("市水务局")
    for typed in ("市水务局", water.full_name, " 市水务局 "):
        response = client.get(reverse("reviews:queue"), {"bureau": "", "bureau_name": typed})
        assert set(codes(response)) == {"6", "19-1", "31"}, typed
        assert response.context["queue"].bureau.pk == water.pk
        assert f'name="bureau" value="{water.pk}"' in response.content.decode()
        # The pager and the export carry the id found, not the text.
        assert f"bureau={water.pk}" in response.context["filter_query"]
        assert "bureau_name" not in response.context["filter_query"]
    measure = category("19-1").measure
    for typed in ("19", "十九", measure.title, f"{measure.numeral}、{measure.title}"):
        response = client.get(reverse("reviews:queue"), {"measure_name": typed})
        assert codes(response) == ["19-1", "19-2"], typed


def test_a_typed_name_wins_over_a_stale_id_and_an_emptied_box_clears_the_filter(client, reviewer, lists, bureau):
    client.force_login(reviewer)
    water, ndrc = bureau("市水务局"), bureau("市发展改革委")
    # Without JavaScript the hidden id stays as it was when the person types another bureau.
    response = client.get(reverse("reviews:queue"), {"bureau": water.pk, "bureau_name": "市发展改革委"})
    assert response.context["queue"].bureau.pk == ndrc.pk and "3" in codes(response)
    response = client.get(reverse("reviews:queue"), {"bureau": water.pk, "bureau_name": ""})
    assert response.context["queue"].bureau.pk is None and response.context["queue"].count == 39


def test_a_typed_name_naming_nothing_or_several_items_says_so_and_filters_nothing(client, reviewer, lists):
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"), {"bureau_name": "没有这样的部门"})
    assert response.status_code == 200 and response.context["queue"].count == 39
    html = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="queue-bureau-problem"' in html
    assert 'id="queue-bureau-problem"' in html and "没有这样的部门" in html
    assert 'name="bureau_name" value="没有这样的部门"' in html
    # Part of a name is not a name: "水务" is looked up exactly, and names nothing.
    assert client.get(reverse("reviews:queue"), {"bureau_name": "水务"}).context["queue"].bureau.problem == "none"


def test_several_items_of_one_name(cycle, bureau):
    # Two bureaus of the programme whose full names differ but one's short name is the other's full name.
    water = bureau("市水务局")
    other = Bureau.objects.create(programme=water.programme, short_name="水务", full_name="市水务局")
    Responsibility.objects.create(category=Responsibility.objects.filter(bureau=water).first().category,
                                  bureau=other, role=Responsibility.Role.CO)
    chosen = selectors.queue_chosen(cycle=cycle, kind="bureau", pk=None, text="市水务局")
    assert (chosen.pk, chosen.problem) == (None, "several")
    # The id chosen settles it.
    chosen = selectors.queue_chosen(cycle=cycle, kind="bureau", pk=water.pk, text="市水务局")
    assert (chosen.pk, chosen.text) == (water.pk, "市水务局")


@pytest.mark.parametrize("params", [
    {"bureau": "abc", "bureau_name": "\x00"}, {"bureau": str(10**30)}, {"measure": "-1", "measure_name": "长" * 880},
    {"bureau_name": "%", "measure_name": "_"}, {"bureau": "1e9", "bureau_name": "市水务局"},
])
def test_malformed_filters_never_fail(client, reviewer, lists, params):
    client.force_login(reviewer)
    expected = 400 if any("\x00" in value for value in params.values()) else 200  # a NUL: refused before any view
    assert client.get(reverse("reviews:queue"), params).status_code == expected
    assert client.get(reverse("reviews:queue_export"), params).status_code == expected
