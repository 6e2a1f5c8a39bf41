"""Unified sign-on (security/sign_on.py) against a real OpenID provider: django-oauth-toolkit in OpenID Connect
mode, started by the test in a second process with its own settings and SQLite database (tests/oidc_provider/).
Nothing of the client library is mocked: the browser goes to the provider, signs in there, and comes back with a
code that the application exchanges for an ID token signed by the provider's RSA key.

The identities are linked by the security administrator (an account is never made from claims); an unlinked one is
refused. A second factor asserted by the provider (``amr``) spares the local TOTP step; without it the step is
asked. Local passwords can be turned off for all but the break-glass administrator."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisation.models import AuditEntry
from security import services
from security.models import IdentityLink
from security.sign_on import second_factor_asserted
from tests.browser_fixtures import screenshot

from .factories import PASSWORD, make_security_administrator

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "guangzhou-incentives", "client-secret-of-the-tests"
PROVIDER_PASSWORD = "provider-password-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def identity_provider(tmp_path, live_server, settings):
    """The provider, serving until the test ends; the application configured to use it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    callback = f"{live_server.url}/accounts/oidc/callback/"
    env = {**os.environ, "OIDC_PROVIDER_DB": str(tmp_path / "provider.sqlite3"), "OIDC_PROVIDER_KEY": key,
           "OIDC_PROVIDER_ISSUER": f"{base}/o", "OIDC_PROVIDER_PORT": str(port),
           "OIDC_PROVIDER_USERS": ",".join(f"{name}:{PROVIDER_PASSWORD}" for name in ("wangfang", "liqiang", "stranger")),
           "OIDC_PROVIDER_MFA_USERS": "liqiang", "OIDC_PROVIDER_DEPARTMENTS": "stranger:440100-LY",
           "OIDC_PROVIDER_CLIENT": f"{CLIENT_ID}:{CLIENT_SECRET}:{callback}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(tmp_path / "provider.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "oidc_provider" / "serve.py")], cwd=ROOT,
                               env={**env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the OpenID provider did not start: "
                                         + (tmp_path / "provider.log").read_text()[-2000:]) from None
                time.sleep(0.1)
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
        settings.OIDC_OP_ISSUER = f"{base}/o"
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/o/authorize/"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/o/token/"
        settings.OIDC_OP_USER_ENDPOINT = f"{base}/o/userinfo/"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{base}/o/.well-known/jwks.json"
        yield f"{base}/o"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _sign_in_through_provider(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#sign-on").click()
    page.wait_for_url(lambda url: "127.0.0.1" in url and "/accounts/login/" in url)  # the provider's own page
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PROVIDER_PASSWORD)
    page.locator("#provider-sign-in").click()
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/oidc/" not in url)


def _with_authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.mark.browser
def test_signing_in_through_the_identity_provider_with_and_without_its_second_factor(
        identity_provider, browser_context_factory, live_server, clerk_water, clerk_ndrc, bureau):
    security_admin = make_security_administrator()
    for clerk in (clerk_water, clerk_ndrc):
        services.identity_link(actor=security_admin, user=clerk, subject=f"gd-{clerk.username}")
        _with_authenticator(clerk)
    assert AuditEntry.objects.filter(action="account.identity_linked", actor=security_admin).count() == 2

    # 王芳: the provider checked her password only, so the local second factor is asked.
    page = browser_context_factory().new_page()
    _sign_in_through_provider(page, live_server, "wangfang")
    assert "/accounts/second-factor/" in page.url
    device = TOTPDevice.objects.get(user=clerk_water)
    page.locator("#id_token").fill(f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}")
    page.locator("form:has(#id_token) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/nominations/")
    signed_in = AuditEntry.objects.get(action="account.oidc_signed_in", actor=clerk_water)
    assert signed_in.data["subject"] == "gd-wangfang" and signed_in.data["second_factor"] is False
    assert signed_in.data["issuer"] == identity_provider and signed_in.data["amr"] == ["pwd"]

    # 李强: the provider asserted its second factor (amr: otp): straight to his bureau's page, no local step.
    page = browser_context_factory().new_page()
    _sign_in_through_provider(page, live_server, "liqiang")
    assert page.url == f"{live_server.url}/nominations/"
    page.goto(f"{live_server.url}/nominations/")
    assert page.url == f"{live_server.url}/nominations/"  # the gate does not ask for it later either
    screenshot(page, "sign_on_with_the_providers_second_factor")
    assert AuditEntry.objects.get(action="account.oidc_signed_in", actor=clerk_ndrc).data["second_factor"] is True

    # An identity nobody linked: no account is made; back to the sign-in page with the reason, and recorded.
    page = browser_context_factory().new_page()
    _sign_in_through_provider(page, live_server, "stranger")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert "安全管理员" in page.locator(".messages").inner_text()
    refused = AuditEntry.objects.get(action="account.oidc_sign_in_refused")
    assert (refused.data["subject"], refused.data["reason"]) == ("gd-stranger", "not linked")
    # The security administrator's rule maps the provider's department code to 市林业园林局: the same identity now
    # gets that bureau's staff account, and nothing more, at its sign-in.
    services.claim_rule_set(actor=security_admin, claim="dept", value="440100-LY", bureau=bureau("市林业园林局"))
    page = browser_context_factory().new_page()
    _sign_in_through_provider(page, live_server, "stranger")
    assert page.url == f"{live_server.url}/nominations/"
    provisioned = IdentityLink.objects.get(subject="gd-stranger").user
    assert [m.bureau.short_name for m in provisioned.memberships.all()] == ["市林业园林局"]
    assert set(provisioned.groups.values_list("name", flat=True)) == {"bureau_staff", f"bureau:{bureau('市林业园林局').pk}"}
    assert not provisioned.has_usable_password()

    # Unlinked by the security administrator: 王芳's identity signs in nowhere any more.
    services.identity_unlink(actor=security_admin, link=IdentityLink.objects.get(user=clerk_water))
    assert AuditEntry.objects.filter(action="account.identity_unlinked", target_id=clerk_water.pk).exists()
    page = browser_context_factory().new_page()
    _sign_in_through_provider(page, live_server, "wangfang")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")


@pytest.mark.django_db
def test_only_the_security_administrator_links_and_an_identity_links_once(clerk_water, clerk_ndrc, reviewer,
                                                                          settings):
    settings.OIDC_OP_ISSUER = "https://sso.gd.gov.cn"
    with pytest.raises(PermissionDenied):
        services.identity_link(actor=reviewer, user=clerk_water, subject="gd-1")
    security_admin = make_security_administrator()
    link = services.identity_link(actor=security_admin, user=clerk_water, subject="gd-1")
    assert (link.issuer, link.linked_by) == ("https://sso.gd.gov.cn", security_admin)
    with pytest.raises(ValidationError):
        services.identity_link(actor=security_admin, user=clerk_ndrc, subject="gd-1")
    assert AuditEntry.objects.filter(action="account.identity_linked").count() == 1


@pytest.mark.django_db
def test_local_passwords_off_but_for_the_break_glass_administrator(clerk_water, settings):
    security_admin = make_security_administrator()
    settings.LOCAL_PASSWORDS, settings.BREAK_GLASS_USERNAMES = False, [security_admin.username]
    refused = Client().post("/accounts/login/", {"username": clerk_water.username, "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session
    admitted = Client()
    assert admitted.post("/accounts/login/", {"username": security_admin.username, "password": PASSWORD}).status_code == 302
    assert admitted.session["_auth_user_id"] == str(security_admin.pk)


def test_which_claims_assert_a_second_factor(settings):
    settings.OIDC_SECOND_FACTOR_ACR = ["urn:gd:loa:3"]
    assert second_factor_asserted({"amr": ["pwd", "otp"]})
    assert second_factor_asserted({"amr": "mfa"})
    assert second_factor_asserted({"acr": "urn:gd:loa:3"})
    assert not second_factor_asserted({"amr": ["pwd"], "acr": "urn:gd:loa:1"})
    assert not second_factor_asserted({})


@pytest.mark.django_db
def test_a_claim_rule_provisions_only_when_its_claims_name_one_bureau(bureau, reviewer, settings):
    settings.OIDC_OP_ISSUER = issuer = "https://sso.gd.gov.cn"
    security_admin = make_security_administrator()
    with pytest.raises(PermissionDenied):
        services.claim_rule_set(actor=reviewer, claim="dept", value="SW", bureau=bureau("市水务局"))
    services.claim_rule_set(actor=security_admin, claim="dept", value="SW", bureau=bureau("市水务局"))
    services.claim_rule_set(actor=security_admin, claim="dept", value="LY", bureau=bureau("市林业园林局"))
    assert AuditEntry.objects.filter(action="claim_rule.set", actor=security_admin).count() == 2
    # No matching claim, or claims naming two bureaus: no account.
    assert services.identity_provision(issuer=issuer, subject="a", claims={"dept": "XX"}) is None
    assert services.identity_provision(issuer=issuer, subject="b", claims={"dept": ["SW", "LY"]}) is None
    assert services.identity_provision(issuer="https://elsewhere", subject="c", claims={"dept": "SW"}) is None
    user = services.identity_provision(issuer=issuer, subject="d", claims={"dept": ["SW"], "name": "周明"})
    assert (user.first_name, [m.bureau.short_name for m in user.memberships.all()]) == ("周明", ["市水务局"])
    assert AuditEntry.objects.get(action="account.identity_linked", target_id=user.pk).data["rule"]
    assert not user.is_staff and not user.has_usable_password()
