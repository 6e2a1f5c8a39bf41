"""Idle and absolute session timeouts, password rules, expiry, history and the forced change."""

import datetime
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from organisation import roles
from organisation.models import AuditEntry
from security import policy
from security.models import AccountSecurity, PasswordHistory
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def _age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


# --- timeouts ---------------------------------------------------------------------------------------------------

def test_an_idle_session_ends(client, clerk_water, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 1800
    client.force_login(clerk_water)
    _age_session(client, **{policy.LAST_SEEN: 1799})
    assert client.get(reverse("nominations:home")).status_code == 200, "not idle long enough"
    _age_session(client, **{policy.LAST_SEEN: 1801})
    response = client.get(reverse("nominations:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("nominations:home"))["Location"].startswith(reverse("login"))
    entry = AuditEntry.objects.filter(action="account.session_expired", target_id=clerk_water.pk).get()
    assert entry.message == "idle"


def test_activity_keeps_the_session_but_the_absolute_limit_holds(client, clerk_water, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 1800
    settings.SESSION_COOKIE_AGE = 8 * 3600
    client.force_login(clerk_water)
    _age_session(client, **{policy.LAST_SEEN: 1700, policy.SIGNED_IN_AT: 7 * 3600})
    assert client.get(reverse("nominations:home")).status_code == 200
    assert time.time() - client.session[policy.LAST_SEEN] < 5, "the request counted as activity"
    _age_session(client, **{policy.SIGNED_IN_AT: 8 * 3600 + 1})
    response = client.get(reverse("nominations:home"))
    assert response["Location"].startswith(reverse("login"))
    assert AuditEntry.objects.filter(action="account.session_expired", message="absolute").exists()


def test_the_idle_limit_cannot_be_set_below_a_minute():
    from tests.helpers import run_manage

    result = run_manage("check", SESSION_IDLE_TIMEOUT_SECONDS="10")
    assert result.returncode != 0 and "SESSION_IDLE_TIMEOUT_SECONDS=10" in result.stderr


# --- password rules -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["lowercaseonly-words", "ALLCAPSANDWORDS", "abcdefghijkL", "1234567890ab"])
def test_passwords_of_fewer_than_three_classes_are_refused(password):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert "password_too_simple" in [e.code for e in error.value.error_list]


@pytest.mark.parametrize("password", ["Harbour-lights", "river7Stones!", "珠江夜游2025年xyz"])
def test_passwords_of_three_classes_pass(password):
    validate_password(password)


def test_none_of_the_last_five_passwords_again(clerk_water):
    passwords = [f"Copper-kettle-{n}" for n in range(6)]  # "New-password-5" is a common one now
    for password in passwords[:5]:
        clerk_water.set_password(password)
        clerk_water.save()
    assert PasswordHistory.objects.filter(user=clerk_water).count() == 5
    assert not any(p in h for h in PasswordHistory.objects.values_list("password", flat=True) for p in passwords)
    for password in passwords[:5]:
        with pytest.raises(ValidationError) as error:
            validate_password(password, clerk_water)
        assert "password_reused" in [e.code for e in error.value.error_list]
    validate_password(PASSWORD, clerk_water)  # the sixth-last (the factory's) has left the history
    validate_password(passwords[5], clerk_water)


def test_the_change_page_refuses_a_recent_password(client, clerk_water):
    client.force_login(clerk_water)
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": PASSWORD,
                                                        "new_password2": PASSWORD})
    assert response.status_code == 200
    assert "password_reused" in [e.code for e in response.context["form"].errors.as_data()["new_password2"]]


# --- expiry and forced change -------------------------------------------------------------------------------------

def test_an_expired_password_must_be_changed_before_any_page(client, clerk_water, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    AccountSecurity.objects.filter(user=clerk_water).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=91))
    assert client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD}).status_code == 302
    for url in (reverse("nominations:home"), reverse("measures:list"), reverse("notifications")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("password_change"), url
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Fresh-river-2026",
                                                        "new_password2": "Fresh-river-2026"})
    assert response.status_code == 302
    assert client.get(reverse("nominations:home")).status_code == 200
    state = AccountSecurity.objects.get(user=clerk_water)
    assert timezone.now() - state.password_changed_at < datetime.timedelta(minutes=1)
    assert AuditEntry.objects.filter(action="account.password_changed", target_id=clerk_water.pk,
                                     actor=clerk_water).exists()


def test_a_password_younger_than_the_limit_opens_everything(client, clerk_water):
    AccountSecurity.objects.filter(user=clerk_water).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=89))
    client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    assert client.get(reverse("nominations:home")).status_code == 200


def test_an_account_without_a_record_counts_from_the_day_it_joined(client, clerk_water):
    AccountSecurity.objects.filter(user=clerk_water).delete()
    User.objects.filter(pk=clerk_water.pk).update(date_joined=timezone.now() - datetime.timedelta(days=200))
    client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    assert client.get(reverse("nominations:home"))["Location"] == reverse("password_change")


@pytest.fixture
def security_admin(db):
    return make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR)


def test_a_password_an_administrator_sets_must_be_changed_at_first_sign_in(client, security_admin):
    # A new account gets no password in the admin (its owner chooses one from the invitation); a password the
    # security administrator sets afterwards ("change password") must be changed by its owner.
    newcomer = make_user("newclerk")
    client.force_login(security_admin)
    response = client.post(reverse("admin:auth_user_password_change", args=[newcomer.pk]), {
        "usable_password": "true", "password1": "Given-by-admin-1", "password2": "Given-by-admin-1"})
    assert response.status_code == 302, response.content[:2000]
    assert AccountSecurity.objects.get(user=newcomer).must_change_password
    assert AuditEntry.objects.filter(action="account.password_set", target_id=newcomer.pk, actor=security_admin).exists()

    other = client.__class__()
    assert other.post(reverse("login"), {"username": "newclerk", "password": "Given-by-admin-1"}).status_code == 302
    assert other.get(reverse("measures:list"))["Location"] == reverse("password_change")
    response = other.post(reverse("password_change"), {"old_password": "Given-by-admin-1",
                                                       "new_password1": "Chosen-by-me-22",
                                                       "new_password2": "Chosen-by-me-22"})
    assert response.status_code == 302
    assert other.get(reverse("measures:list")).status_code == 200
    assert not AccountSecurity.objects.get(user=newcomer).must_change_password


def test_a_password_changed_in_the_admin_must_be_changed_too(client, security_admin, clerk_water):
    client.force_login(security_admin)
    response = client.post(reverse("admin:auth_user_password_change", args=[clerk_water.pk]),
                           {"password1": "Reset-by-admin-9", "password2": "Reset-by-admin-9", "usable_password": "true"})
    assert response.status_code == 302, response.content[:2000]
    assert AccountSecurity.objects.get(user=clerk_water).must_change_password
    other = client.__class__()
    other.post(reverse("login"), {"username": clerk_water.username, "password": "Reset-by-admin-9"})
    assert other.get(reverse("nominations:home"))["Location"] == reverse("password_change")


def test_a_password_chosen_by_its_owner_is_not_forced(client, clerk_water):
    client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    assert client.get(reverse("nominations:home")).status_code == 200
    assert not AccountSecurity.objects.get(user=clerk_water).must_change_password
