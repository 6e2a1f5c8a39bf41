"""The numbers of the cap come from ``measures.limits`` alone: the bounds of an exception's limit (one check for the
bureau's request and the General Office's record), the editor's "up to N units" and its refusal of a row too many,
and the request form's hint all follow the limit in force for the category and the year.

王芳 (``clerk_water``) prepares 19-1 for 市水务局; 张伟 (``reviewer``) records an exception to its cap."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from incentives.errors import DomainError
from measures import limits
from measures.models import CapException
from nominations import services
from nominations.forms import nominee_formset

from .factories import open_cycle

SELECTION = SimpleNamespace(code="19-1", cap=3, kind="selection")
LOWER_CAP = SimpleNamespace(code="7", cap=2, kind="selection")
ENTITLEMENT = SimpleNamespace(code="32-1", cap=3, kind="entitlement")


@pytest.mark.parametrize("category, value, limit", [(SELECTION, "4", 4), (SELECTION, 10, 10), (LOWER_CAP, "3", 3),
                                                    (SELECTION, " 5 ", 5)])
def test_a_limit_above_the_cap_and_at_most_the_maximum_is_accepted_as_a_number(category, value, limit):
    assert limits.exception_limit_check(category=category, value=value) == limit


@pytest.mark.parametrize("category, value, words", [
    (SELECTION, 3, "above the cap of 3, to at most 10"), (LOWER_CAP, 2, "above the cap of 2, to at most 10"),
    (SELECTION, limits.ABSOLUTE_MAXIMUM + 1, "to at most 10"), (SELECTION, 0, "above the cap of 3"),
    (SELECTION, "四", "whole number"), (SELECTION, "", "whole number"), (SELECTION, None, "whole number"),
    (ENTITLEMENT, 4, "32-1 is an entitlement"),
])
@pytest.mark.parametrize("field", ["new_limit", "requested_limit"])
def test_a_limit_not_above_the_cap_beyond_the_maximum_or_not_a_number_is_refused_on_the_field(
        category, value, words, field):
    with pytest.raises(DomainError, match=words) as refused:
        limits.exception_limit_check(category=category, value=value, field=field)
    assert refused.value.field == field


def test_the_default_field_is_the_general_offices_new_limit():
    with pytest.raises(DomainError) as refused:
        limits.exception_limit_check(category=SELECTION, value=3)
    assert refused.value.field == "new_limit"


def test_the_message_is_translated():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(DomainError, match="例外须将上限提高到3个以上，最多10个"):
        limits.exception_limit_check(category=SELECTION, value=11)


# --- the pages --------------------------------------------------------------------------------------------------


@pytest.fixture
def cycle(administrator):
    return open_cycle(administrator)


def editor(client, cycle, category):
    return client.get(reverse("nominations:edit", args=[cycle.year, category.pk]))


@pytest.mark.django_db
def test_the_editor_offers_as_many_units_as_the_limit_in_force(client, clerk_water, reviewer, cycle, category):
    river_chiefs = category("19-1")
    client.force_login(clerk_water)
    response = editor(client, cycle, river_chiefs)
    assert response.status_code == 200
    assert "最多推荐3个单位" in response.text and response.context["list_length"] == 3
    assert len(response.context["formset"].forms) == 3

    CapException.objects.create(category=river_chiefs, year=cycle.year, new_limit=5, reason="经市政府同意",
                                decided_by=reviewer)
    response = editor(client, cycle, river_chiefs)
    assert "最多推荐5个单位" in response.text and "最多推荐3个单位" not in response.text
    assert len(response.context["formset"].forms) == 5
    # Another year keeps the cap.
    assert limits.category_limit(category=river_chiefs, year=cycle.year + 1) == 3


@pytest.mark.django_db
def test_a_row_beyond_the_limit_is_refused_with_the_limit_in_force():
    from django.utils import translation

    for length in (3, 5):
        data = {"rows-TOTAL_FORMS": str(length + 1), "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": str(length),
                "rows-MAX_NUM_FORMS": str(length)}
        with translation.override("zh-hans"):  # the request's language, as the view builds the formset under it
            formset = nominee_formset(length)(data, prefix="rows", form_kwargs={"length": length})
            assert not formset.is_valid()
            errors = " ".join(formset.non_form_errors())
        assert f"每份名单最多推荐{length}个对象" in errors, errors


@pytest.mark.django_db
def test_the_request_form_says_the_categorys_cap_and_the_maximum(client, clerk_water, cycle, category):
    river_chiefs = category("19-1")
    services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=river_chiefs)
    client.force_login(clerk_water)
    response = client.get(reverse("nominations:list", args=[cycle.year, river_chiefs.pk]))
    assert response.status_code == 200
    assert f"须多于名额上限3个，最多{limits.ABSOLUTE_MAXIMUM}个" in response.text
