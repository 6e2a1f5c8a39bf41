"""Object permissions follow bureaus: membership and responsibility changes take effect on the next request,
whether made in code or through the admin, and scoped reads cost one query whatever their length."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from measures.models import CategoryGroupObjectPermission, IncentiveCategory, Responsibility
from measures.selectors import categories_commentable_by, categories_editable_by, categories_visible_to
from organisation import roles
from organisation.models import Membership, Unit
from organisation.selectors import bureaus_of, units_visible_to
from tests.factories import BureauFactory, make_category, make_cycle, make_user
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


def codes(queryset) -> set[str]:
    return set(queryset.filter(measure__document__in_force=True).values_list("code", flat=True))


def fresh(user):
    """The user as the next request loads them: no cache carried over."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def cycle(category):
    return make_cycle(datetime.date.today().year, document=category("6").measure.document)


def list_url(cycle, category) -> str:
    return reverse("nominations:list", args=[cycle.year, category.pk])


# --- who sees and edits what --------------------------------------------------------------------------------

def test_rights_follow_the_bureaus_responsibilities(clerk_water, clerk_ndrc, clerk_forestry):
    assert {"6", "19-1"} <= codes(categories_visible_to(clerk_water))
    assert "19-2" not in codes(categories_visible_to(clerk_water))
    assert {"6", "19-1"} <= codes(categories_editable_by(clerk_water))
    # Co-responsible: reads and comments on 6, does not edit it.
    assert "6" in codes(categories_visible_to(clerk_ndrc)) and "6" in codes(categories_commentable_by(clerk_ndrc))
    assert "6" not in codes(categories_editable_by(clerk_ndrc))
    assert "3" in codes(categories_editable_by(clerk_ndrc))
    # Separately responsible: 林长制 only, nothing of 河长制湖长制.
    assert codes(categories_visible_to(clerk_forestry)) == {"19-2"}
    assert codes(categories_editable_by(clerk_forestry)) == {"19-2"}


def test_joint_bureaus_both_edit(bureau):
    joint = make_user("joint", role=roles.BUREAU_STAFF, bureaus=[bureau("市国资委")])
    assert {"30-1", "30-2", "30-3"} <= codes(categories_editable_by(joint))


def test_reviewer_reads_everything_edits_nothing(reviewer):
    total = IncentiveCategory.objects.filter(measure__document__in_force=True).count()
    assert len(codes(categories_visible_to(reviewer))) == total
    assert codes(categories_editable_by(reviewer)) == set()


def test_administrator_reads_everything_edits_no_list(administrator):
    assert "19-2" in codes(categories_visible_to(administrator))
    assert codes(categories_editable_by(administrator)) == set()


def test_inactive_and_anonymous_see_nothing(inactive):
    from django.contrib.auth.models import AnonymousUser

    for person in (inactive, AnonymousUser()):
        assert not categories_visible_to(person).exists()
        assert not categories_editable_by(person).exists()
        assert not bureaus_of(person).exists()
        assert not units_visible_to(person).exists()


def test_a_person_in_two_bureaus_has_the_rights_of_both(bureau):
    both = make_user("both", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局"), bureau("市林业园林局")])
    assert {"6", "19-1", "19-2"} <= codes(categories_editable_by(both))
    assert [b.short_name for b in bureaus_of(both)] == sorted(["市水务局", "市林业园林局"],
                                                             key=lambda n: (bureau(n).order, n))


def test_units_visible_to_signed_in_people_without_merged_units(clerk_water):
    merged = Unit.objects.filter(is_active=False).first()
    visible = units_visible_to(clerk_water)
    assert visible.filter(kind_id="district").count() == 11
    if merged is not None:
        assert not visible.filter(pk=merged.pk).exists()
        assert units_visible_to(clerk_water, include_inactive=True).filter(pk=merged.pk).exists()


# --- changes take effect at once ----------------------------------------------------------------------------

def test_joining_and_leaving_a_bureau_changes_rights_at_once(clerk_forestry, bureau):
    water = bureau("市水务局")
    membership = Membership.objects.create(user=clerk_forestry, bureau=water)
    assert "6" in codes(categories_editable_by(fresh(clerk_forestry)))
    membership.delete()
    assert "6" not in codes(categories_visible_to(fresh(clerk_forestry)))
    assert codes(categories_visible_to(fresh(clerk_forestry))) == {"19-2"}


def test_user_object_in_hand_forgets_its_cached_permissions(clerk_forestry, category, bureau):
    six = category("6")
    assert not clerk_forestry.has_perm("measures.view_incentivecategory", six)  # fills guardian's cache
    membership = Membership.objects.create(user=clerk_forestry, bureau=bureau("市水务局"))
    membership.user = clerk_forestry  # the same object the signal sees
    from organisation.permissions import membership_sync

    membership_sync(clerk_forestry)
    assert clerk_forestry.has_perm("measures.nominate_incentivecategory", six)


def test_responsibility_changes_move_rights_at_once(clerk_ndrc, clerk_forestry, category, bureau):
    six = category("6")
    co = Responsibility.objects.get(category=six, bureau=bureau("市发展改革委"))
    lead = Responsibility.objects.get(category=six, bureau=bureau("市水务局"))
    # ndrc becomes lead, water co-responsible: the edit right moves.
    lead.role = Responsibility.Role.CO
    lead.save()
    co.role = Responsibility.Role.LEAD
    co.save()
    assert "6" in codes(categories_editable_by(fresh(clerk_ndrc)))
    # A new co-responsible bureau reads the list; removing it takes the right away.
    added = Responsibility.objects.create(category=six, bureau=bureau("市林业园林局"), role=Responsibility.Role.CO, order=9)
    assert "6" in codes(categories_visible_to(fresh(clerk_forestry)))
    assert "6" not in codes(categories_editable_by(fresh(clerk_forestry)))
    added.delete()
    assert "6" not in codes(categories_visible_to(fresh(clerk_forestry)))


def test_a_new_bureau_gets_a_group_and_a_deleted_one_takes_it_along(db):
    from django.contrib.auth.models import Group

    new = BureauFactory()
    assert new.group_id and Group.objects.filter(pk=new.group_id).exists()
    member = make_user("newbie", role=roles.BUREAU_STAFF, bureaus=[new])
    category = make_category(lead=new)
    assert categories_editable_by(fresh(member)).filter(pk=category.pk).exists()
    Responsibility.objects.filter(bureau=new).delete()
    group_id = new.group_id
    new.delete()
    assert not Group.objects.filter(pk=group_id).exists()
    assert not categories_visible_to(fresh(member)).filter(pk=category.pk).exists()


def test_deleting_a_category_removes_its_permission_rows():
    bureau_a, bureau_b = BureauFactory(), BureauFactory()
    category = make_category(lead=bureau_a, co=[bureau_b])
    assert CategoryGroupObjectPermission.objects.filter(content_object=category).count() == 5  # 3 + 2
    category.delete()
    assert not CategoryGroupObjectPermission.objects.filter(content_object_id=category.pk).exists()


def test_sync_permissions_command_repairs_drift(clerk_water, category):
    from django.core.management import call_command

    CategoryGroupObjectPermission.objects.filter(content_object=category("6")).delete()
    assert "6" not in codes(categories_visible_to(fresh(clerk_water)))
    call_command("sync_permissions", verbosity=0)
    assert "6" in codes(categories_editable_by(fresh(clerk_water)))


# --- through the admin, as an administrator does it, seen on the clerk's next request -------------------------

def test_removing_a_clerk_from_a_bureau_in_the_admin_closes_the_list_on_the_next_request(
        client, administrator, clerk_water, bureau, category, cycle):
    clerk = make_user("clerk2", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局")])
    from django.test import Client

    clerk_client = Client()
    clerk_client.force_login(clerk)
    url = list_url(cycle, category("6"))
    assert clerk_client.get(url).status_code == 200

    client.force_login(administrator)
    membership = Membership.objects.get(user=clerk, bureau=bureau("市水务局"))
    response = client.post(reverse("admin:organisation_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()

    assert clerk_client.get(url).status_code == 404, "same session, next request: the list is gone"
    assert clerk_client.get(reverse("nominations:edit", args=[cycle.year, category("6").pk])).status_code == 404


def test_membership_inline_in_the_user_form_grants_and_removes_access(client, administrator, clerk_forestry,
                                                                     bureau, category, cycle):
    from django.test import Client

    clerk_client = Client()
    clerk_client.force_login(clerk_forestry)
    url = list_url(cycle, category("6"))
    assert clerk_client.get(url).status_code == 404

    client.force_login(administrator)
    change_url = reverse("admin:auth_user_change", args=[clerk_forestry.pk])
    data = admin_form_data(client.get(change_url))
    total = int(data["memberships-TOTAL_FORMS"])
    data["memberships-TOTAL_FORMS"] = str(total + 1)
    data[f"memberships-{total}-bureau"] = str(bureau("市水务局").pk)
    data[f"memberships-{total}-user"] = str(clerk_forestry.pk)
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert clerk_client.get(url).status_code == 200, "added in the inline: the list opens on the next request"

    data = admin_form_data(client.get(change_url))
    water_row = next(k[: -len("-bureau")] for k, v in data.items()
                     if k.endswith("-bureau") and v == str(bureau("市水务局").pk))
    data[f"{water_row}-DELETE"] = "on"
    assert client.post(change_url, data).status_code == 302
    assert clerk_client.get(url).status_code == 404, "deleted in the inline: gone on the next request"
    # Saving the form kept the other bureau and the role.
    assert list(bureaus_of(fresh(clerk_forestry)).values_list("short_name", flat=True)) == ["市林业园林局"]
    assert roles.is_bureau_staff(fresh(clerk_forestry))
    assert codes(categories_editable_by(fresh(clerk_forestry))) == {"19-2"}


def test_responsibility_inline_in_the_category_form_grants_and_removes_access(client, administrator, clerk_forestry,
                                                                             bureau, category, cycle):
    from django.test import Client

    clerk_client = Client()
    clerk_client.force_login(clerk_forestry)
    six = category("6")
    url = list_url(cycle, six)
    client.force_login(administrator)
    change_url = reverse("admin:measures_incentivecategory_change", args=[six.pk])

    data = admin_form_data(client.get(change_url))
    total = int(data["responsibilities-TOTAL_FORMS"])
    data["responsibilities-TOTAL_FORMS"] = str(total + 1)
    data.update({f"responsibilities-{total}-bureau": str(bureau("市林业园林局").pk),
                 f"responsibilities-{total}-role": "co", f"responsibilities-{total}-order": "9",
                 f"responsibilities-{total}-category": str(six.pk)})
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert clerk_client.get(url).status_code == 200
    assert clerk_client.get(reverse("nominations:edit", args=[cycle.year, six.pk])).status_code == 404

    data = admin_form_data(client.get(change_url))
    row = next(k[: -len("-bureau")] for k, v in data.items()
               if k.endswith("-bureau") and k.startswith("responsibilities-") and v == str(bureau("市林业园林局").pk))
    data[f"{row}-DELETE"] = "on"
    assert client.post(change_url, data).status_code == 302
    assert clerk_client.get(url).status_code == 404


# --- one query per scoped read, whatever its length ---------------------------------------------------------

def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("selector", [categories_visible_to, categories_editable_by, categories_commentable_by])
def test_scoped_category_reads_are_one_query_at_two_sizes(selector, bureau):
    water = bureau("市水务局")
    clerk = make_user("counted", role=roles.BUREAU_STAFF, bureaus=[water])
    list(selector(fresh(clerk)))  # what a process reads once (the default programme) is read before counting
    user = fresh(clerk)
    small = _count_queries(lambda: list(selector(user)))
    for _ in range(25):
        make_category(lead=water)
    user = fresh(clerk)
    rows = []
    large = _count_queries(lambda: rows.extend(selector(user)))
    assert len(rows) >= 25
    # At most one query for the person's role groups (is the person a reviewer?), one for the categories.
    assert small == large <= 2


def test_bureaus_and_units_reads_are_one_query(clerk_water, bureau):
    for extra in ("市林业园林局", "市发展改革委"):
        Membership.objects.create(user=clerk_water, bureau=bureau(extra))
    user = fresh(clerk_water)
    assert _count_queries(lambda: list(bureaus_of(user))) == 1
    assert _count_queries(lambda: [str(u) for u in units_visible_to(user)]) == 1


def test_a_personal_exception_survives_syncs_and_a_hand_edited_bureau_row_does_not(clerk_forestry, category, bureau):
    from django.core.management import call_command
    from guardian.shortcuts import assign_perm

    six = category("6")
    assign_perm("measures.view_incentivecategory", clerk_forestry, six)  # a user object permission
    assign_perm("measures.nominate_incentivecategory", bureau("市发展改革委").group, six)  # hand-edited bureau row
    call_command("sync_permissions", verbosity=0)
    assert "6" in codes(categories_visible_to(fresh(clerk_forestry)))
    ndrc_clerk = make_user("ndrc2", role=roles.BUREAU_STAFF, bureaus=[bureau("市发展改革委")])
    assert "6" not in codes(categories_editable_by(fresh(ndrc_clerk)))
