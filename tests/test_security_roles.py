"""三员分立: the system, security and audit administrators are three people; the superuser only creates them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from incentives.errors import DomainError, PermissionDeniedError
from organisation import roles
from organisation.models import AuditEntry
from organisation.services import user_roles_set as assign_roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def security_admin(db):
    return make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR)


@pytest.mark.parametrize("first, second", [(roles.SYSTEM_ADMINISTRATOR, roles.SECURITY_ADMINISTRATOR),
                                           (roles.SYSTEM_ADMINISTRATOR, roles.AUDIT_ADMINISTRATOR),
                                           (roles.SECURITY_ADMINISTRATOR, roles.AUDIT_ADMINISTRATOR)])
def test_the_service_refuses_two_administrator_roles(security_admin, clerk_water, first, second):
    with pytest.raises(DomainError, match="three different people|三"):
        assign_roles(actor=security_admin, user=clerk_water, role_names={first, second})
    assert not clerk_water.groups.filter(name__in=roles.ADMINISTRATOR_ROLES).exists()


def test_the_service_assigns_one_and_records_it(security_admin, clerk_water):
    assign_roles(actor=security_admin, user=clerk_water, role_names={roles.AUDIT_ADMINISTRATOR})
    assert set(clerk_water.groups.filter(name__in=roles.ROLE_LABELS).values_list("name", flat=True)) == {
        roles.AUDIT_ADMINISTRATOR}
    entry = AuditEntry.objects.get(action="user.roles_changed", target_id=clerk_water.pk)
    assert entry.actor == security_admin
    assert entry.data == {"added": [roles.AUDIT_ADMINISTRATOR], "removed": [roles.BUREAU_STAFF]}
    assert AuditEntry.objects.filter(action="account.role_granted", target_id=clerk_water.pk).exists()
    assert AuditEntry.objects.filter(action="account.role_revoked", target_id=clerk_water.pk).exists()


def test_only_the_security_administrator_assigns_roles(clerk_water):
    system = make_user("sysadmin", role=roles.SYSTEM_ADMINISTRATOR)
    with pytest.raises(PermissionDeniedError):
        assign_roles(actor=system, user=clerk_water, role_names={roles.REVIEWER})


def test_any_other_way_of_adding_a_second_role_fails_too(clerk_water):
    clerk_water.groups.add(Group.objects.get(name=roles.SYSTEM_ADMINISTRATOR))
    with pytest.raises(ValidationError), transaction.atomic():
        clerk_water.groups.add(Group.objects.get(name=roles.SECURITY_ADMINISTRATOR))
    with pytest.raises(ValidationError), transaction.atomic():
        Group.objects.get(name=roles.AUDIT_ADMINISTRATOR).user_set.add(clerk_water)
    assert set(clerk_water.groups.filter(name__in=roles.ADMINISTRATOR_ROLES).values_list("name", flat=True)) == {
        roles.SYSTEM_ADMINISTRATOR}


def test_the_admin_form_names_the_problem(client, security_admin, clerk_ndrc):
    client.force_login(security_admin)
    url = reverse("admin:auth_user_change", args=[clerk_ndrc.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"date_joined_0": "2025-01-01", "date_joined_1": "08:00:00", "last_login_0": "", "last_login_1": "",
                 "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
                 "groups": [str(Group.objects.get(name=roles.SYSTEM_ADMINISTRATOR).pk),
                            str(Group.objects.get(name=roles.AUDIT_ADMINISTRATOR).pk)],
                 "user_permissions": [], "is_active": "on"})
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["groups"]
    assert "three different people" in errors[0] or "三" in errors[0]
    assert not clerk_ndrc.groups.filter(name__in=roles.ADMINISTRATOR_ROLES).exists()


def test_the_bare_superuser_reaches_only_the_accounts(client):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    assert client.get(reverse("admin:measures_incentivecategory_changelist")).status_code == 403
    assert client.get(reverse("admin:organisation_auditentry_changelist")).status_code == 403
    assert client.get(reverse("measures:list")).status_code == 403


def test_the_bare_superuser_is_signed_out_once_the_three_exist(client):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    make_user("sysadmin", role=roles.SYSTEM_ADMINISTRATOR)
    make_user("secadmin2", role=roles.SECURITY_ADMINISTRATOR)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200, "two of three: still needed"
    make_user("auditadmin", role=roles.AUDIT_ADMINISTRATOR)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_audit_administrator_reads_the_trail_and_nothing_else(client):
    auditor = make_user("auditadmin", role=roles.AUDIT_ADMINISTRATOR)
    client.force_login(auditor)
    assert client.get(reverse("admin:organisation_auditentry_changelist")).status_code == 200
    for name in ("admin:auth_user_changelist", "admin:measures_incentivecategory_changelist",
                 "admin:nominations_cycle_changelist", "admin:organisation_membership_changelist"):
        assert client.get(reverse(name)).status_code == 403, name
    assert not auditor.has_perm("organisation.change_auditentry")
    assert not auditor.has_perm("organisation.delete_auditentry")
