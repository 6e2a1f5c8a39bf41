"""三员分立 that holds: no form gives superuser status, staff status or personal permissions; the database itself
refuses one person two administrator roles; the superuser reaches only the accounts and its use is recorded."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from incentives.errors import DomainError
from organisation import access, roles
from organisation.models import AuditEntry
from organisation.services import user_roles_set
from tests.factories import PASSWORD, make_user
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def security_admin(db):
    return make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR)


@pytest.fixture
def auditor(db):
    return make_user("auditadmin", role=roles.AUDIT_ADMINISTRATOR)


def test_the_person_form_offers_no_superuser_staff_or_personal_permissions(client, security_admin, auditor):
    client.force_login(security_admin)
    response = client.get(reverse("admin:auth_user_change", args=[auditor.pk]))
    fields = set(response.context["adminform"].form.fields)
    assert {"is_superuser", "is_staff", "user_permissions"}.isdisjoint(fields)
    assert {"groups", "is_active", "email"} <= fields


@pytest.mark.parametrize("forged", ["is_superuser", "is_staff", "user_permissions"])
@pytest.mark.parametrize("whose", ["auditor", "own"])
def test_a_forged_post_changes_nothing_and_says_why(client, security_admin, auditor, forged, whose):
    person = auditor if whose == "auditor" else security_admin
    client.force_login(security_admin)
    url = reverse("admin:auth_user_change", args=[person.pk])
    data = admin_form_data(client.get(url))
    data["first_name"] = "改了"
    permission = Permission.objects.get(codename="view_auditentry")
    data[forged] = [str(permission.pk)] if forged == "user_permissions" else "on"
    response = client.post(url, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_superuser and person.first_name != "改了"
    assert not person.user_permissions.exists()
    assert not person.has_perm("organisation.view_auditentry") or person == auditor
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "roles" in text or "角色" in text
    refused = AuditEntry.objects.get(action="account.change_refused", target_id=person.pk)
    assert refused.actor == security_admin and refused.data["fields"] == [forged]


def test_the_admin_changes_no_role_group_permissions(client, security_admin):
    client.force_login(security_admin)
    group = Group.objects.get(name=roles.SECURITY_ADMINISTRATOR)
    before = set(group.permissions.values_list("pk", flat=True))
    url = reverse("admin:auth_group_change", args=[group.pk])
    page = client.get(url)
    assert "permissions" not in page.context["adminform"].form.fields
    audit = Permission.objects.get(codename="view_auditentry")
    client.post(url, {"name": group.name, "permissions": [str(audit.pk), *map(str, before)]})
    assert set(group.permissions.values_list("pk", flat=True)) == before


# --- the database's own guard --------------------------------------------------------------------------------------

def _raw_insert(user, group_name) -> None:
    group = Group.objects.get(name=group_name)
    table = User.groups.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (user_id, group_id) VALUES (%s, %s)", [user.pk, group.pk])


@pytest.mark.parametrize("first, second", [(roles.SYSTEM_ADMINISTRATOR, roles.SECURITY_ADMINISTRATOR),
                                           (roles.SECURITY_ADMINISTRATOR, roles.AUDIT_ADMINISTRATOR),
                                           (roles.AUDIT_ADMINISTRATOR, roles.SYSTEM_ADMINISTRATOR)])
def test_the_database_refuses_a_second_administrator_role_by_raw_sql(clerk_water, first, second):
    _raw_insert(clerk_water, first)
    with pytest.raises(DatabaseError, match="administrator"), transaction.atomic():
        _raw_insert(clerk_water, second)
    assert set(clerk_water.groups.filter(name__in=roles.ADMINISTRATOR_ROLES).values_list("name", flat=True)) == {first}


def test_the_database_refuses_moving_a_row_onto_a_second_role(clerk_water):
    _raw_insert(clerk_water, roles.SYSTEM_ADMINISTRATOR)
    _raw_insert(clerk_water, roles.REVIEWER)
    table = User.groups.through._meta.db_table
    audit = Group.objects.get(name=roles.AUDIT_ADMINISTRATOR)
    reviewer = Group.objects.get(name=roles.REVIEWER)
    with pytest.raises(DatabaseError, match="administrator"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET group_id = %s WHERE user_id = %s AND group_id = %s",
                       [audit.pk, clerk_water.pk, reviewer.pk])


def test_the_database_allows_one_administrator_role_beside_other_groups(clerk_water):
    _raw_insert(clerk_water, roles.REVIEWER)
    _raw_insert(clerk_water, roles.AUDIT_ADMINISTRATOR)
    assert roles.administrator_roles_of(User.objects.get(pk=clerk_water.pk)) == {roles.AUDIT_ADMINISTRATOR}


# --- the superuser: first start only -----------------------------------------------------------------------------

def test_a_superuser_holds_no_role_by_itself(db):
    root = make_user("root", is_superuser=True)
    assert not roles.is_administrator(root)
    assert not roles.is_audit_administrator(root)
    assert not roles.is_reviewer(root)
    assert roles.is_security_administrator(root), "it creates the first three administrators"
    assert not access.person(root).programme_ids
    assert not access.person(root).is_administrator


def test_the_superusers_sign_in_and_each_change_are_recorded(client, db):
    root = make_user("root", is_superuser=True)
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert response.status_code == 302
    signed_in = AuditEntry.objects.get(action="account.signed_in", actor=root)
    assert signed_in.data["superuser"] is True
    client.post(reverse("admin:auth_user_add"), {"username": "newsec", "email": "newsec@example.gov.cn",
                                                 "first_name": "新", "last_name": "",
                                                 "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    newsec = User.objects.get(username="newsec")
    used = AuditEntry.objects.filter(action="account.superuser_used", actor=root)
    assert used.count() == 1 and used.get().data["path"] == reverse("admin:auth_user_add")
    assert AuditEntry.objects.filter(action="account.created", target_id=newsec.pk, actor=root).exists()


def test_the_superuser_cannot_give_itself_a_role(client):
    root = make_user("root", is_superuser=True)
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[root.pk])
    data = admin_form_data(client.get(url))
    data["groups"] = [str(Group.objects.get(name=roles.SECURITY_ADMINISTRATOR).pk)]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "superuser" in " ".join(response.context["adminform"].form.errors["groups"]).lower() or \
        "超级用户" in " ".join(response.context["adminform"].form.errors["groups"])
    assert not root.groups.exists()
    with pytest.raises(DomainError, match="superuser|超级用户"):
        user_roles_set(actor=root, user=root, role_names={roles.REVIEWER})


@pytest.mark.postgres
def test_two_transactions_cannot_give_one_person_two_roles_at_once(db):
    """The trigger locks the person's row: a second transaction adding a second role waits for the first to commit,
    then sees its role and is refused (without the lock, neither would see the other's row and both would pass)."""
    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL=postgres://…)"
    groups = dict(Group.objects.filter(name__in=[roles.SYSTEM_ADMINISTRATOR, roles.AUDIT_ADMINISTRATOR])
                  .values_list("name", "pk"))
    first, second = (connection.get_new_connection(connection.get_connection_params()) for _ in range(2))
    outcome = {}
    try:
        with first.cursor() as cursor:  # a committed person both transactions see, written outside Django
            cursor.execute("INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
                           "is_staff, is_active, date_joined) VALUES ('!', false, 'race', '', '', '', false, true, "
                           "now()) RETURNING id")
            person = cursor.fetchone()[0]
        first.commit()
        with first.cursor() as cursor:
            cursor.execute("INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                           [person, groups[roles.SYSTEM_ADMINISTRATOR]])

        def add_second_role():
            try:
                with second.cursor() as cursor:
                    cursor.execute("INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                                   [person, groups[roles.AUDIT_ADMINISTRATOR]])
                second.commit()
                outcome["second"] = "committed"
            except Exception as error:  # noqa: BLE001 — the test reads the outcome
                second.rollback()
                outcome["second"] = str(error)

        waiting = threading.Thread(target=add_second_role)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive(), "the second transaction waits for the first"
        first.commit()
        waiting.join(timeout=10)
        assert "administrator roles" in outcome["second"]
    finally:
        with first.cursor() as cursor:
            cursor.execute("DELETE FROM auth_user_groups WHERE user_id IN (SELECT id FROM auth_user WHERE username = 'race')")
            cursor.execute("DELETE FROM auth_user WHERE username = 'race'")
        first.commit()
        first.close()
        second.close()
