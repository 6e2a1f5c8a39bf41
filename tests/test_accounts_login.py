"""Signing in and out: where each person lands, login throttling, the language they choose."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    settings.NUM_PROXIES = 0
    cache.clear()
    yield
    cache.clear()


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("clerk_water", "nominations:home"),
        ("reviewer", "reviews:queue"),
        ("administrator", "admin:index"),
    ],
)
def test_each_person_lands_on_their_own_page(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    response = log_in(client, user.username)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == reverse(landing)


def test_a_clerk_of_two_bureaus_lands_on_the_bureau_page(client, bureau):
    from organisation import roles
    from tests.factories import make_user

    user = make_user("twohats", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局"), bureau("市发展改革委")])
    client.force_login(user)
    assert client.get(reverse("home"))["Location"] == reverse("nominations:home")


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_inactive_account_cannot_sign_in(client, inactive):
    response = log_in(client, inactive.username)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_signed_in_person_visiting_login_goes_home(client, clerk_water):
    client.force_login(clerk_water)
    assert client.get(reverse("login"))["Location"] == reverse("home")


def test_logout_needs_post_and_ends_the_session(client, clerk_water):
    client.force_login(clerk_water)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("nominations:home")).status_code == 302


def test_login_rotates_the_session_key(client, clerk_water):
    client.get(reverse("login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.session.session_key
    log_in(client, clerk_water.username)
    assert client.session.session_key != before


# --- throttling -----------------------------------------------------------------------------------------------

def test_account_is_locked_after_the_limit_and_the_message_is_shown(client, clerk_water):
    for _ in range(3):
        response = log_in(client, clerk_water.username, "wrong-password")
        assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["invalid_login"]
    # The right password is refused while locked, with the lock message (not "wrong password").
    response = log_in(client, clerk_water.username)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors().as_data()
    assert [e.code for e in errors] == ["locked"]
    assert str(errors[0].message % errors[0].params) in response.content.decode()
    assert errors[0].params == {"minutes": 15}
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_account_lock_holds_from_any_address_and_ignores_case(client, clerk_water):
    for n in range(3):
        log_in(client, clerk_water.username, "wrong-password", REMOTE_ADDR=f"10.0.0.{n}")
    response = log_in(client, clerk_water.username.upper(), REMOTE_ADDR="10.9.9.9")
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked"]


def test_lock_is_per_account_below_the_address_limit(client, clerk_water, clerk_ndrc):
    for _ in range(3):
        log_in(client, clerk_water.username, "wrong-password")
    response = log_in(client, clerk_ndrc.username)
    assert response.status_code == 302, "another account from the same address is not locked yet"


def test_address_is_locked_after_its_limit_whatever_the_account(client, clerk_water):
    for n in range(5):  # five different (even non-existent) accounts from one address
        log_in(client, f"nobody{n}", "wrong-password", REMOTE_ADDR="192.0.2.7")
    response = log_in(client, clerk_water.username, REMOTE_ADDR="192.0.2.7")
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked"]
    # The same account from another address still gets in: only the address is locked.
    assert log_in(client, clerk_water.username, REMOTE_ADDR="192.0.2.8").status_code == 302


def test_success_resets_the_account_counter(client, clerk_water):
    for _ in range(2):
        log_in(client, clerk_water.username, "wrong-password")
    assert log_in(client, clerk_water.username).status_code == 302
    client.post(reverse("logout"))
    for _ in range(2):
        log_in(client, clerk_water.username, "wrong-password")
    assert log_in(client, clerk_water.username).status_code == 302


def test_lock_expires_with_the_window(client, clerk_water, settings, monkeypatch):
    import time

    now = [time.time()]
    monkeypatch.setattr("django.core.cache.backends.base.time.time", lambda: now[0])
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: now[0])
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 600
    for _ in range(3):
        log_in(client, clerk_water.username, "wrong-password")
    now[0] += 599
    assert log_in(client, clerk_water.username).status_code == 200, "still locked inside the window"
    now[0] += 2
    assert log_in(client, clerk_water.username).status_code == 302, "unlocked once the window has passed"


def test_behind_a_proxy_the_forwarded_address_is_throttled_not_the_proxy(client, clerk_water, settings):
    settings.NUM_PROXIES = 1
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/24"]
    for n in range(5):
        log_in(client, f"nobody{n}", "x", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.1")
    # Another client behind the same proxy is not locked; the first one is, whatever it puts on the left.
    assert log_in(client, clerk_water.username, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    client.post(reverse("logout"))
    response = log_in(client, clerk_water.username, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="other, 198.51.100.1")
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked"]


def test_admin_login_page_is_throttled_too(client, administrator):
    for _ in range(3):
        client.post(reverse("admin:login"), {"username": administrator.username, "password": "wrong-password"})
    response = client.post(reverse("admin:login"), {"username": administrator.username, "password": PASSWORD})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked"]


# --- language ---------------------------------------------------------------------------------------------------

def test_interface_follows_the_chosen_language(client, clerk_water):
    client.force_login(clerk_water)
    html = client.get(reverse("measures:list")).content.decode()
    assert '<html lang="zh-hans">' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("measures:list")})
    assert response.status_code == 302 and response["Location"] == reverse("measures:list")
    html = client.get(reverse("measures:list")).content.decode()
    assert '<html lang="en">' in html
    assert '<option value="en" selected>' in html


def test_language_can_be_chosen_before_signing_in(client):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert '<html lang="en">' in client.get(reverse("login")).content.decode()


def test_language_switch_needs_csrf(clerk_water):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk_water)
    assert strict.post(reverse("set_language"), {"language": "en"}).status_code == 403
