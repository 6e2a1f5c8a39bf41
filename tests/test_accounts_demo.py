"""Demo accounts: in the embedded default only, listed in the README with their password."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from nominations.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_load
from organisation import roles

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parent.parent / "README.md"


def test_demo_has_the_three_administrators_a_reviewer_and_clerks_of_three_bureaus_or_more():
    by_role = {}
    for username, _name, role, bureaus in DEMO_ACCOUNTS:
        by_role.setdefault(role, []).append((username, bureaus))
    assert by_role[roles.REVIEWER]
    assert [by_role[role][0][0] for role in roles.ADMINISTRATOR_ROLES] == ["admin", "security", "auditor"]
    clerk_bureaus = {b for _u, bureaus in by_role[roles.BUREAU_STAFF] for b in bureaus}
    assert {"市水务局", "市发展改革委"} <= clerk_bureaus and len(clerk_bureaus) >= 3


def test_demo_accounts_sign_in_and_land_on_their_pages(client):
    demo_load()
    landing = {roles.SYSTEM_ADMINISTRATOR: "admin:index", roles.SECURITY_ADMINISTRATOR: "admin:index",
               roles.AUDIT_ADMINISTRATOR: "security:audit", roles.REVIEWER: "reviews:queue",
               roles.BUREAU_STAFF: "nominations:home", roles.EXPERT: "evaluation:panels"}
    for username, _name, role, bureaus in DEMO_ACCOUNTS:
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get(reverse("home"))["Location"] == reverse(landing[role]), username
        user = get_user_model().objects.get(username=username)
        assert sorted(user.memberships.values_list("bureau__short_name", flat=True)) == sorted(bureaus)
        assert roles.can_enter_admin(user) == (role in roles.ADMINISTRATOR_ROLES)
        assert not user.is_superuser, "the three administrators are not superusers"
        client.post(reverse("logout"))


def test_demo_load_runs_twice_without_duplicates():
    demo_load()
    demo_load()
    assert get_user_model().objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).count() == len(DEMO_ACCOUNTS)


def test_no_demo_accounts_without_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        demo_load()
    assert not get_user_model().objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).exists()


def test_load_demo_command_refuses_without_demo_mode(settings):
    from django.core.management import call_command

    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        call_command("load_demo", verbosity=0)
    assert not get_user_model().objects.filter(username="admin").exists()


def test_readme_lists_every_demo_account_with_the_password():
    text = README.read_text(encoding="utf-8")
    assert f"`{DEMO_PASSWORD}`" in text
    for username, _name, _role, bureaus in DEMO_ACCOUNTS:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{username}`")), None)
        assert row is not None, username
        for bureau in bureaus:
            assert bureau in row
