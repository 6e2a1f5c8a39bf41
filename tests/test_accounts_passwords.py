"""Changing a password, and resetting a forgotten one by e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle_left_over():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_password_change_needs_the_old_password_and_keeps_the_session(client, clerk_water):
    client.force_login(clerk_water)
    response = client.post(reverse("password_change"), {
        "old_password": "not-my-password", "new_password1": "Pearl-River-2031", "new_password2": "Pearl-River-2031",
    })
    assert response.status_code == 200 and "old_password" in response.context["form"].errors

    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Pearl-River-2031", "new_password2": "Pearl-River-2031",
    })
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200, "still signed in after the change"
    clerk_water.refresh_from_db()
    assert clerk_water.check_password("Pearl-River-2031")


@pytest.mark.parametrize("weak", ["short1", "1234567890123", "password123", "wangfang-water"])
def test_weak_passwords_are_refused(client, clerk_water, weak):
    client.force_login(clerk_water)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": weak, "new_password2": weak,
    })
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    clerk_water.refresh_from_db()
    assert clerk_water.check_password(PASSWORD)


def test_password_change_ends_other_sessions(client, clerk_water):
    from django.test import Client

    other = Client()
    other.force_login(clerk_water)
    client.force_login(clerk_water)
    client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Pearl-River-2031", "new_password2": "Pearl-River-2031",
    })
    response = other.get(reverse("measures:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_password_change_page_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_mail_is_sent_and_its_link_sets_a_new_password(client, clerk_water):
    response = client.post(reverse("password_reset"), {"email": clerk_water.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [clerk_water.email]
    assert "\n" not in message.subject and clerk_water.username in message.body

    link = _reset_link(message)
    response = client.get(link)  # Django swaps the token for a session marker and redirects
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.get(form_url)
    assert response.status_code == 200 and response.context["validlink"] is True
    response = client.post(form_url, {"new_password1": "Baiyun-Mountain-77", "new_password2": "Baiyun-Mountain-77"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    clerk_water.refresh_from_db()
    assert clerk_water.check_password("Baiyun-Mountain-77")

    # The link works once only.
    client.post(reverse("logout"))
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False


def test_reset_link_refuses_a_weak_password(client, clerk_water):
    client.post(reverse("password_reset"), {"email": clerk_water.email})
    form_url = client.get(_reset_link(mail.outbox[0]))["Location"]
    response = client.post(form_url, {"new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200 and response.context["form"].errors
    clerk_water.refresh_from_db()
    assert clerk_water.check_password(PASSWORD)


def test_reset_tells_nothing_about_unknown_or_inactive_addresses(client, inactive):
    for email in ("nobody@example.gov.cn", inactive.email):
        response = client.post(reverse("password_reset"), {"email": email})
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_forged_reset_link_is_refused(client, clerk_water):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(clerk_water.pk))
    token = default_token_generator.make_token(clerk_water)
    response = client.get(reverse("password_reset_confirm", args=[uid, token[:-3] + "zzz"]))
    assert response.status_code == 200 and response.context["validlink"] is False
    assert response.context["form"] is None


def test_reset_mails_are_limited_per_address_without_telling(client, clerk_water, settings):
    settings.PASSWORD_RESET_MAIL_LIMIT = 2
    for _ in range(4):
        response = client.post(reverse("password_reset"), {"email": clerk_water.email.upper()})
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 2
    # Another person's address is not affected.
    other = clerk_water.__class__.objects.create_user("other", email="other@example.gov.cn", password="x-Long-enough-1")
    client.post(reverse("password_reset"), {"email": other.email})
    assert len(mail.outbox) == 3


def test_reset_mails_are_limited_per_client_address(client, settings):
    from tests.factories import make_user

    settings.PASSWORD_RESET_ADDRESS_LIMIT = 3
    people = [make_user(f"reset{n}") for n in range(5)]
    for person in people:
        client.post(reverse("password_reset"), {"email": person.email}, REMOTE_ADDR="203.0.113.9")
    assert len(mail.outbox) == 3
    client.post(reverse("password_reset"), {"email": people[-1].email}, REMOTE_ADDR="203.0.113.10")
    assert len(mail.outbox) == 4


@pytest.mark.real_hasher
def test_passwords_are_stored_with_the_production_hasher(clerk_water):
    """The suite hashes with a fast hasher; the deployment keeps Django's PBKDF2, and a password set there signs in."""
    clerk_water.set_password("a-longer-passphrase-2026")
    clerk_water.save(update_fields=["password"])
    clerk_water.refresh_from_db()
    assert clerk_water.password.startswith("pbkdf2_sha256$")
    assert clerk_water.check_password("a-longer-passphrase-2026")
    assert not clerk_water.check_password(PASSWORD)
