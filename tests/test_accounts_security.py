"""Session, CSRF and cookie settings: safe in the embedded default, hardened in production."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x9!k2@Lq7#Vz4$Wm8%Rt1^Yp6&Hs3*Jd5(Fg0)Bn-Cv=Xa+Ze_Qw",
    "ALLOWED_HOSTS": "incentives.example.gov.cn",
    "DATABASE_URL": "sqlite:////tmp/accounts-security-check.sqlite3",
    "CACHE_URL": "redis://127.0.0.1:6379/8",
    "PERSONAL_DATA_KEYS": "p1:cHJvZHVjdGlvbi1rZXktMQ==",
    "AUDIT_CHAIN_KEY": "k7#Qm2!Vx9@Lr4$Tz8%Wn1^Hp6&Jd3*Fs5",
}
NAMES = ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_NAME",
         "SESSION_COOKIE_AGE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_NAME",
         "LANGUAGE_COOKIE_SECURE", "LANGUAGE_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "X_FRAME_OPTIONS", "NUM_PROXIES", "LOGIN_FAILURE_LIMIT", "LOGIN_ADDRESS_FAILURE_LIMIT", "PASSWORD_RESET_TIMEOUT",
         "AUTH_PASSWORD_VALIDATORS", "DEMO_MODE"]


def settings_under(env: dict) -> dict:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env)
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}, default=str))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_host_only_and_http_only():
    s = settings_under(PRODUCTION)
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["LANGUAGE_COOKIE_SECURE"]
    assert s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_HTTPONLY"] and s["LANGUAGE_COOKIE_HTTPONLY"]
    assert s["SESSION_COOKIE_NAME"].startswith("__Host-") and s["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert s["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert s["SESSION_COOKIE_AGE"] <= 8 * 60 * 60
    assert s["SECURE_SSL_REDIRECT"] and s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["NUM_PROXIES"] == 1, "behind the TLS proxy, throttling counts the client's address, not the proxy's"
    assert s["DEMO_MODE"] is False


def test_production_password_rules_and_throttling():
    s = settings_under(PRODUCTION)
    validators = {v["NAME"].rsplit(".", 1)[-1]: v.get("OPTIONS", {}) for v in s["AUTH_PASSWORD_VALIDATORS"]}
    assert {"UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordsValidator",
            "NotLikeTheAccountValidator", "NumericPasswordValidator"} <= set(validators)
    assert validators["MinimumLengthValidator"]["min_length"] >= 10
    assert 1 <= s["LOGIN_FAILURE_LIMIT"] <= s["LOGIN_ADDRESS_FAILURE_LIMIT"]
    assert s["PASSWORD_RESET_TIMEOUT"] <= 24 * 60 * 60


def test_throttle_limits_come_from_the_environment():
    s = settings_under({"LOGIN_FAILURE_LIMIT": "7", "LOGIN_ADDRESS_FAILURE_LIMIT": "50", "NUM_PROXIES": "2"})
    assert (s["LOGIN_FAILURE_LIMIT"], s["LOGIN_ADDRESS_FAILURE_LIMIT"], s["NUM_PROXIES"]) == (7, 50, 2)


def test_embedded_default_cookies_are_http_only_but_work_over_plain_http():
    s = settings_under({})
    assert s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_HTTPONLY"]
    assert not s["SESSION_COOKIE_SECURE"] and s["NUM_PROXIES"] == 0
