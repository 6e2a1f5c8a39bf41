"""Second factor (TOTP, django-otp): required for reviewers and administrators, optional for clerks, enrolled with a
QR code and recovery codes, asked for after the password, and the admin behind it too. These tests run with the
requirement on (the embedded demo, and so the rest of the suite, has it off)."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisation import roles
from organisation.models import AuditEntry
from security import policy
from security.views import PENDING_KEY
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _otp_on(settings):
    settings.OTP_REQUIRED = True
    settings.OTP_REQUIRED_FOR_CLERKS = False


def code_for(key_hex: str, offset: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.drift = offset
    return f"{totp.token():06d}"


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def enrol(client) -> tuple[str, list[str]]:
    page = client.get(reverse("security:otp_setup"))
    assert page.status_code == 200
    key = client.session[PENDING_KEY]
    response = client.post(reverse("security:otp_setup"), {"token": code_for(key)})
    assert response.status_code == 200
    return key, list(response.context["codes"])


@pytest.mark.parametrize("persona", ["reviewer", "administrator", "security", "auditor"])
def test_reviewers_and_administrators_reach_no_page_before_enrolling(client, request, persona):
    user = {
        "reviewer": lambda: request.getfixturevalue("reviewer"),
        "administrator": lambda: make_user("sysadmin", role=roles.SYSTEM_ADMINISTRATOR),
        "security": lambda: make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR),
        "auditor": lambda: make_user("auditadmin", role=roles.AUDIT_ADMINISTRATOR),
    }[persona]()
    sign_in(client, user)
    for url in (reverse("home"), reverse("measures:list"), reverse("reviews:queue"), reverse("admin:index"),
                reverse("admin:auth_user_changelist"), reverse("security:audit"), reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("security:otp_setup")), url


def test_force_login_is_no_way_round_it(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("reviews:queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:otp_setup"))


def test_enrolment_shows_a_qr_code_and_gives_recovery_codes(client, reviewer):
    sign_in(client, reviewer)
    page = client.get(reverse("security:otp_setup"))
    body = page.content.decode()
    assert "<svg" in body and "<path" in body, "the QR code is inline SVG"
    key = client.session[PENDING_KEY]
    secret = re.search(r'class="otp-secret">([A-Z2-7=]+)<', body).group(1)
    import base64

    assert base64.b32decode(secret).hex() == key
    assert not TOTPDevice.objects.filter(user=reviewer).exists(), "nothing saved before a code proves the phone"
    wrong = client.post(reverse("security:otp_setup"), {"token": "000000" if code_for(key) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    response = client.post(reverse("security:otp_setup"), {"token": code_for(key)})
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in response.content.decode() for code in codes)
    device = TOTPDevice.objects.get(user=reviewer)
    assert device.confirmed and device.key == key
    assert set(StaticToken.objects.filter(device__user=reviewer).values_list("token", flat=True)) == set(codes)
    # Enrolment verified this session: the pages open now.
    assert client.get(reverse("reviews:queue")).status_code == 200
    assert AuditEntry.objects.filter(action="account.otp_enrolled", target_id=reviewer.pk).exists()


def test_sign_in_asks_for_the_code_after_the_password(client, reviewer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp waits 1 s after a failure, 2 s after two …; not here
    sign_in(client, reviewer)
    key, _codes = enrol(client)
    client.post(reverse("logout"))
    sign_in(client, reviewer)
    assert client.session[policy.OTP_STEP] == policy.VERIFY
    response = client.get(reverse("reviews:queue"))
    assert response["Location"] == reverse("security:otp_verify") + "?next=%2Freview%2F"
    # Enrolling another device is no way round the code either.
    assert client.get(reverse("security:otp_setup"))["Location"].startswith(reverse("security:otp_verify"))
    bad = client.post(reverse("security:otp_verify"), {"token": "12345x", "next": "/review/"})
    assert bad.status_code == 400
    assert AuditEntry.objects.filter(action="account.otp_failed", target_id=reviewer.pk).exists()
    assert client.get(reverse("reviews:queue")).status_code == 302
    # The code of the next time step: the enrolment already used the current one (no replay).
    good = client.post(reverse("security:otp_verify"), {"token": code_for(key, offset=1), "next": "/review/"})
    assert good.status_code == 302 and good["Location"] == "/review/"
    assert client.get(reverse("reviews:queue")).status_code == 200
    assert AuditEntry.objects.filter(action="account.otp_verified", target_id=reviewer.pk).exists()


def test_a_recovery_code_signs_in_once(client, reviewer):
    sign_in(client, reviewer)
    _key, codes = enrol(client)
    for attempt in range(2):
        client.post(reverse("logout"))
        sign_in(client, reviewer)
        response = client.post(reverse("security:otp_verify"), {"token": codes[0]})
        if attempt == 0:
            assert response.status_code == 302
            assert client.get(reverse("reviews:queue")).status_code == 200
        else:
            assert response.status_code == 400, "a recovery code works once"


def test_new_recovery_codes_replace_the_old(client, reviewer):
    sign_in(client, reviewer)
    _key, old = enrol(client)
    response = client.post(reverse("security:otp_recovery_codes"))
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert set(StaticToken.objects.filter(device__user=reviewer).values_list("token", flat=True)) == set(new)


def test_the_admin_stays_closed_until_the_code_is_given(client):
    admin_user = make_user("sysadmin", role=roles.SYSTEM_ADMINISTRATOR)
    sign_in(client, admin_user)
    key, _codes = enrol(client)
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("logout"))
    # Through the admin's own login page too.
    response = client.post(reverse("admin:login") + "?next=/admin/", {"username": admin_user.username,
                                                                     "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("security:otp_verify"))
    client.post(reverse("security:otp_verify"), {"token": code_for(key, offset=1)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_clerks_need_no_second_factor_unless_the_setting_says_so(client, clerk_water, settings):
    sign_in(client, clerk_water)
    assert client.get(reverse("nominations:home")).status_code == 200
    settings.OTP_REQUIRED_FOR_CLERKS = True
    response = client.get(reverse("nominations:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:otp_setup"))


def test_a_clerk_who_enrolled_is_asked_for_the_code(client, clerk_water):
    sign_in(client, clerk_water)
    enrol(client)
    client.post(reverse("logout"))
    sign_in(client, clerk_water)
    assert client.get(reverse("nominations:home"))["Location"].startswith(reverse("security:otp_verify"))


def test_the_demo_default_requires_no_second_factor():
    """The embedded default (DEMO_MODE) keeps the requirement off so the demo accounts sign in with the password;
    production refuses it off (tests/test_security_settings.py)."""
    from incentives import settings as project_settings

    assert project_settings.DEMO_MODE and project_settings.OTP_REQUIRED is False


def test_failed_codes_slow_down_the_next_tries(client, reviewer):
    sign_in(client, reviewer)
    key, _codes = enrol(client)
    client.post(reverse("logout"))
    sign_in(client, reviewer)
    client.post(reverse("security:otp_verify"), {"token": "999999" if code_for(key, 1) != "999999" else "888888"})
    # Right after a failure even the right code is refused (django-otp's throttling, per device).
    assert client.post(reverse("security:otp_verify"), {"token": code_for(key, offset=1)}).status_code == 400
