"""The catalogue pages a signed-in person browses: by measure and by responsible bureau, in Chinese."""

import pytest
from django.urls import reverse

from measures.models import Measure

pytestmark = pytest.mark.django_db


def test_catalogue_needs_login(client):
    response = client.get(reverse("measures:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_catalogue_lists_all_32_measures_in_chinese(client, clerk_water):
    client.force_login(clerk_water)
    response = client.get(reverse("measures:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["measures"]) == 32
    assert "激励措施" in html and "河长制湖长制" in html and "三十二" in html
    assert '<html lang="zh-hans">' in html


def test_catalogue_filters_by_bureau_and_kind(client, clerk_water, bureau):
    client.force_login(clerk_water)
    water = bureau("市水务局")
    response = client.get(reverse("measures:list"), {"bureau": water.pk})
    assert [m.number for m in response.context["measures"]] == [6, 19, 31]
    response = client.get(reverse("measures:list"), {"kind": "hospital"})
    assert [m.number for m in response.context["measures"]] == [16]


def test_measure_page_shows_text_categories_and_bureaus(client, clerk_forestry):
    client.force_login(clerk_forestry)
    measure = Measure.objects.get(document__in_force=True, number=19)
    html = client.get(reverse("measures:detail", args=[measure.pk])).content.decode()
    assert measure.text in html
    assert "林长制" in html and "市林业园林局" in html and "按职责分别负责" in html


def test_unknown_measure_is_404(client, clerk_water):
    client.force_login(clerk_water)
    assert client.get(reverse("measures:detail", args=[99999])).status_code == 404


def test_bureau_page_groups_by_bureau(client, clerk_water):
    client.force_login(clerk_water)
    html = client.get(reverse("measures:bureaus")).content.decode()
    assert "广州市发展和改革委员会" in html and "广州市林业和园林局" in html


def test_english_is_a_choice(client, clerk_water):
    client.force_login(clerk_water)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("measures:list")).content.decode()
    assert '<html lang="en">' in html and "Incentive measures" in html


def test_catalogue_query_count_is_constant(client, clerk_water, django_assert_max_num_queries):
    client.force_login(clerk_water)
    with django_assert_max_num_queries(12):  # the header's unread notifications included
        response = client.get(reverse("measures:list"))
    assert len(response.context["measures"]) == 32


def test_chinese_even_for_an_english_browser(client, clerk_water):
    # The browser's own language does not switch the interface; only the language menu does.
    client.force_login(clerk_water)
    html = client.get(reverse("measures:list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and "激励措施" in html


def test_static_files_are_served_by_the_development_server():
    # ./run.sh serves pages with their style sheet (runserver's static handler, DEBUG on)
    from django.contrib.staticfiles import finders

    assert finders.find("css/site.css")
    from django.conf import settings as live

    assert "whitenoise.runserver_nostatic" not in live.INSTALLED_APPS
