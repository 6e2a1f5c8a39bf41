"""The Django admin is for administrators only; the administrator role and ``is_staff`` stay in step."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from organisation import roles
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def role_administrator(db):
    """An administrator by role, not a superuser: what a real deployment gives its administrators."""
    return make_user("admin_by_role", first_name="周静", role=roles.ADMINISTRATOR)


def _perms(role):
    return set(Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename"))


def test_role_groups_exist_after_migrate_and_administrators_hold_model_permissions():
    assert set(Group.objects.filter(name__in=roles.ROLE_LABELS).values_list("name", flat=True)) == set(roles.ROLE_LABELS)
    system, security, audit = (_perms(role) for role in roles.ADMINISTRATOR_ROLES)
    # 三员分立: the catalogue and cycles for the system administrator; people, roles, memberships and object
    # permissions for the security administrator; reading the audit trail for the audit administrator.
    assert {("measures", "change_incentivecategory"), ("measures", "change_responsibility"),
            ("nominations", "change_cycle"), ("organisation", "change_unit")} <= system
    assert {("auth", "change_user"), ("auth", "change_group"), ("organisation", "add_membership"),
            ("guardian", "change_groupobjectpermission"), ("otp_totp", "delete_totpdevice")} <= security
    assert audit == {("organisation", "view_auditentry")}
    assert not {("auth", "change_user"), ("organisation", "add_membership"), ("organisation", "view_auditentry")} & system
    assert not {("measures", "change_incentivecategory"), ("organisation", "view_auditentry")} & security
    # Bureau rights on lists are object permissions of bureaus, never a global right of administrators; nobody
    # writes to the audit trail.
    for perms in (system, security, audit):
        assert not {("measures", "nominate_incentivecategory"), ("measures", "comment_incentivecategory"),
                    ("organisation", "change_auditentry"), ("organisation", "delete_auditentry")} & perms
    assert not Group.objects.get(name=roles.REVIEWER).permissions.exists()


@pytest.mark.parametrize("persona", ["clerk_water", "reviewer", "inactive"])
def test_only_administrators_enter_the_admin(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in (reverse("admin:index"), reverse("admin:auth_user_changelist"),
                reverse("admin:measures_incentivecategory_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_is_staff_without_the_role_opens_nothing(client, clerk_water):
    User.objects.filter(pk=clerk_water.pk).update(is_staff=True)  # bypassing every form and signal
    client.force_login(clerk_water)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_superuser_administrator_enters_the_admin(client, administrator):
    assert administrator.is_staff
    client.force_login(administrator)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_every_registered_admin_page_opens_for_the_administrator_whose_role_it_is(client, role_administrator):
    """Users, groups (roles), bureaus, memberships, units, the catalogue … everything registered opens for one
    of the three administrators, and for that one only where the page is about people or the audit trail."""
    security = make_user("security_by_role", role=roles.SECURITY_ADMINISTRATOR)
    auditor = make_user("auditor_by_role", role=roles.AUDIT_ADMINISTRATOR)
    registered = {(m._meta.app_label, m._meta.model_name) for m in admin.site._registry}
    assert {("auth", "user"), ("auth", "group"), ("organisation", "bureau"), ("organisation", "membership"),
            ("measures", "incentivecategory"), ("measures", "responsibility")} <= registered
    opened = {}
    for person in (role_administrator, security, auditor):
        assert person.is_staff, "the role gives is_staff"
        client.force_login(person)
        assert client.get(reverse("admin:index")).status_code == 200
        for model in admin.site._registry:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            if client.get(url).status_code == 200:
                opened.setdefault(url, set()).add(person.username)
    every = {reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry}
    assert set(opened) == every, every - set(opened)
    assert opened[reverse("admin:auth_user_changelist")] == {"security_by_role"}
    assert opened[reverse("admin:organisation_membership_changelist")] == {"security_by_role"}
    assert opened[reverse("admin:organisation_auditentry_changelist")] == {"auditor_by_role"}
    # The security administrator reads the catalogue (to find a category's object permissions), never changes it.
    assert not security.has_perm("measures.change_incentivecategory")
    assert role_administrator.has_perm("measures.change_incentivecategory")
    assert opened[reverse("admin:nominations_cycle_changelist")] == {"admin_by_role"}


def test_admin_login_refuses_clerks_and_reviewers_even_with_the_right_password(client, clerk_water, reviewer):
    from django.core.cache import cache

    for person in (clerk_water, reviewer):
        cache.clear()
        response = client.post(reverse("admin:login"), {"username": person.username, "password": PASSWORD})
        assert response.status_code == 200
        assert response.context["form"].errors
        assert "_auth_user_id" not in client.session


def test_admin_login_admits_an_administrator_by_role(client, role_administrator):
    response = client.post(reverse("admin:login") + "?next=/admin/",
                           {"username": role_administrator.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/"


# --- the role and is_staff ------------------------------------------------------------------------------------

def test_granting_and_withdrawing_the_role_sets_and_clears_is_staff(clerk_water):
    group = Group.objects.get(name=roles.ADMINISTRATOR)
    clerk_water.groups.add(group)
    clerk_water.refresh_from_db()
    assert clerk_water.is_staff
    clerk_water.groups.remove(group)
    clerk_water.refresh_from_db()
    assert not clerk_water.is_staff
    # From the group's side too.
    group.user_set.add(clerk_water)
    clerk_water.refresh_from_db()
    assert clerk_water.is_staff
    group.user_set.clear()
    clerk_water.refresh_from_db()
    assert not clerk_water.is_staff


def test_a_superuser_keeps_is_staff_and_a_saved_form_cannot_untick_it(administrator, role_administrator):
    administrator.groups.clear()
    administrator.refresh_from_db()
    assert administrator.is_staff
    role_administrator.is_staff = False
    role_administrator.save()
    role_administrator.refresh_from_db()
    assert role_administrator.is_staff


def test_assigning_the_role_in_the_admin_opens_the_admin(client, administrator, clerk_ndrc):
    from tests.helpers import admin_form_data

    client.force_login(administrator)
    change_url = reverse("admin:auth_user_change", args=[clerk_ndrc.pk])
    response = client.get(change_url)
    offered = set(response.context["adminform"].form.fields["groups"].queryset.values_list("name", flat=True))
    assert offered == set(roles.ROLE_LABELS), "only roles are offered; bureau groups follow memberships"

    data = admin_form_data(response)
    data["groups"] = [str(Group.objects.get(name=roles.ADMINISTRATOR).pk)]
    assert client.post(change_url, data).status_code == 302
    clerk_ndrc.refresh_from_db()
    assert clerk_ndrc.is_staff and roles.can_enter_admin(clerk_ndrc)
    assert not roles.is_bureau_staff(clerk_ndrc)
    assert clerk_ndrc.memberships.count() == 1, "the bureau membership is untouched"
    assert clerk_ndrc.groups.filter(bureau__short_name="市发展改革委").exists(), "and so is its group"

    from django.test import Client

    their_client = Client()
    their_client.force_login(clerk_ndrc)
    assert their_client.get(reverse("admin:index")).status_code == 200

    data = admin_form_data(client.get(change_url))
    data["groups"] = [str(Group.objects.get(name=roles.BUREAU_STAFF).pk)]
    assert client.post(change_url, data).status_code == 302
    clerk_ndrc.refresh_from_db()
    assert not clerk_ndrc.is_staff
    assert their_client.get(reverse("admin:index")).status_code == 302, "closed on the next request"


# --- guardian's reinforced admin where object permissions are edited -------------------------------------------

def test_category_object_permissions_page_is_guarded(client, administrator, role_administrator, reviewer, category):
    """Object permissions are the security administrator's; the system administrator does not get them."""
    url = reverse("admin:measures_incentivecategory_permissions", args=[category("6").pk])
    security = make_user("security_by_role", role=roles.SECURITY_ADMINISTRATOR)
    for person in (administrator, security):
        client.force_login(person)
        assert client.get(url).status_code == 200
    client.force_login(role_administrator)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    # A security administrator without guardian's view permissions is sent back to the index by the reinforced admin.
    limited = make_user("limited_admin", role=roles.SECURITY_ADMINISTRATOR)
    limited.user_permissions.clear()
    Group.objects.get(name=roles.SECURITY_ADMINISTRATOR).permissions.remove(
        *Group.objects.get(name=roles.SECURITY_ADMINISTRATOR).permissions.filter(content_type__app_label="guardian"))
    client.force_login(limited)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    client.force_login(reviewer)
    assert client.get(url)["Location"].startswith(reverse("admin:login"))


# --- the administrator's lists run a constant number of queries ------------------------------------------------

@pytest.mark.parametrize("changelist", ["admin:auth_user_changelist", "admin:organisation_membership_changelist"])
def test_admin_people_lists_run_the_same_queries_at_two_sizes(client, administrator, bureau, changelist,
                                                               django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(administrator)
    bureaus = [bureau("市水务局"), bureau("市发展改革委"), bureau("市林业园林局")]

    def add_people(start, count):
        for n in range(start, start + count):
            make_user(f"person{n}", role=roles.BUREAU_STAFF, bureaus=[bureaus[n % 3], bureaus[(n + 1) % 3]])

    add_people(0, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse(changelist)).status_code == 200
    add_people(2, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse(changelist))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 30
