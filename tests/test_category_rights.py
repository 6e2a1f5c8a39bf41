"""``measures.permissions.rights``: what a person may do with a category, in one query, the same answer as the
selectors' (categories_visible_to, categories_editable_by, categories_commentable_by), kept for the request."""

import pytest
from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import assign_perm

from measures.permissions import rights
from measures.selectors import categories_commentable_by, categories_editable_by, categories_visible_to
from organisation.permissions import COMMENT, NOMINATE, VIEW, forget_cached_permissions

pytestmark = pytest.mark.django_db


def selectors_say(user, category) -> frozenset[str]:
    scoped = {VIEW: categories_visible_to, COMMENT: categories_commentable_by, NOMINATE: categories_editable_by}
    return frozenset(right for right, selector in scoped.items() if selector(user).filter(pk=category.pk).exists())


def test_rights_agree_with_the_selectors_for_every_persona(clerk_water, clerk_ndrc, clerk_forestry, reviewer,
                                                          administrator, inactive, category):
    six, nineteen = category("6"), category("19-1")
    assign_perm("measures.view_incentivecategory", clerk_forestry, six)  # one person's exception (a user row)
    expected = {
        (clerk_water, six): {VIEW, COMMENT, NOMINATE},  # 市水务局 leads 6
        (clerk_ndrc, six): {VIEW, COMMENT},  # co-responsible: reads and comments
        (clerk_forestry, six): {VIEW},  # the exception only
        (clerk_forestry, nineteen): set(),
        (reviewer, six): {VIEW},
        (administrator, nineteen): {VIEW},
        (inactive, six): set(),
    }
    for (person, cat), wanted in expected.items():
        forget_cached_permissions(person)
        assert rights(person, cat) == wanted == selectors_say(person, cat), (person.username, cat.code)
    assert rights(AnonymousUser(), six) == frozenset()


def test_rights_take_one_query_and_are_kept_for_the_request(clerk_water, category, django_assert_num_queries):
    six = category("6")
    with django_assert_num_queries(2):  # the roles (once per request anyway), then the rights
        assert NOMINATE in rights(clerk_water, six)
    with django_assert_num_queries(0):
        assert rights(clerk_water, six.pk) == rights(clerk_water, six)
    forget_cached_permissions(clerk_water)
    with django_assert_num_queries(2):
        rights(clerk_water, six)


def test_a_reviewer_sees_only_the_categories_of_their_programmes(reviewer, category):
    from organisation.models import Programme

    six = category("6")
    other = Programme.objects.create(code="elsewhere", name="另一项目")
    assert VIEW in rights(reviewer, six)
    other.reviewers.add(reviewer)  # listed in another programme only: the default one is no longer theirs
    forget_cached_permissions(reviewer)
    assert rights(reviewer, six) == selectors_say(reviewer, six) == frozenset()
