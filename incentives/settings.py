"""Settings, read from the environment.

With no environment at all the application runs on an embedded default that needs nothing installed:
SQLite, Celery tasks executed in-process without a broker, e-mail printed to the console.
Production sets ``APP_ENV=production`` and provides the rest (see README and ``deploy/env.example``).
"""

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if not value > 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must be greater than 0")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


APP_ENV = os.environ.get("APP_ENV", "development").strip().lower()
if APP_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"APP_ENV={APP_ENV!r}: expected development, production or test")
PRODUCTION = APP_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
# deploy/env.example's placeholder: refused, so that a copied example never runs with a published key.
SECRET_KEY_PLACEHOLDER_MARK = "replace-with"
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (50 or more random characters)")
    SECRET_KEY = "development-only-key-do-not-use-in-production-3f9c1a7e5b2d4c6e8a0b1c2d3e4f5a6b"
elif SECRET_KEY_PLACEHOLDER_MARK in SECRET_KEY.lower():
    raise ImproperlyConfigured("SECRET_KEY is still the placeholder of deploy/env.example: generate one with "
                               "python -c \"import secrets; print(secrets.token_urlsafe(64))\"")

# The previous keys while SECRET_KEY is rotated (comma-separated; deploy/runbooks/rotate-keys.md): what they signed
# (sessions, password-reset and invitation links) stays valid until it expires; new signatures use SECRET_KEY only.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
if any(SECRET_KEY_PLACEHOLDER_MARK in key.lower() for key in SECRET_KEY_FALLBACKS):
    raise ImproperlyConfigured("SECRET_KEY_FALLBACKS holds the placeholder of deploy/env.example")

# Personal data at rest (objectors' names and contacts) is encrypted with SM4 (incentives/crypto.py): a key ring
# "id:base64key,..." (16 random bytes a key), the first one encrypting, every one decrypting (deploy/README.md, Keys).
PERSONAL_DATA_KEYS = os.environ.get("PERSONAL_DATA_KEYS", "").strip()
PERSONAL_DATA_DEVELOPMENT_KEYS = "dev0:ZGV2ZWxvcG1lbnQta2V5MA=="  # incentives.crypto.DEVELOPMENT_KEYS
if not PERSONAL_DATA_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured("PERSONAL_DATA_KEYS must be set in production (id:base64key of 16 random bytes; "
                                   "deploy/README.md, Keys)")
    PERSONAL_DATA_KEYS = PERSONAL_DATA_DEVELOPMENT_KEYS
elif PRODUCTION and PERSONAL_DATA_DEVELOPMENT_KEYS.split(":")[1] in PERSONAL_DATA_KEYS:
    raise ImproperlyConfigured("PERSONAL_DATA_KEYS holds the development key: generate a key of your own")
# Objectors' personal data is removed this many days after their year's publication (manage.py purge_personal_data).
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 365)
if PERSONAL_DATA_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(f"PERSONAL_DATA_RETENTION_DAYS={PERSONAL_DATA_RETENTION_DAYS}: at least 1 day")
# Backups encrypted with SM4 when set ("id:base64key"; incentives/backup.py). Empty: backups are not encrypted.
BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY", "").strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The issuing office's electronic seal on bulletins (reviews/seal.py, deploy/README.md "Sealed bulletins"): file
# paths of the PAdES key and certificate (PDF), the SM2 key and certificate (OFD), the seal's picture, and the
# certificates a copy is checked against. Empty: bulletins are not signed. ``manage.py seal_test_certificate``
# writes a self-signed test set for a demo.
BULLETIN_SIGNING_KEY = os.environ.get("BULLETIN_SIGNING_KEY", "").strip()
BULLETIN_SIGNING_KEY_PASSWORD = os.environ.get("BULLETIN_SIGNING_KEY_PASSWORD", "")
BULLETIN_SIGNING_CERT = os.environ.get("BULLETIN_SIGNING_CERT", "").strip()
BULLETIN_TRUST_ROOTS = os.environ.get("BULLETIN_TRUST_ROOTS", "").strip()
BULLETIN_SM2_KEY = os.environ.get("BULLETIN_SM2_KEY", "").strip()
BULLETIN_SM2_CERT = os.environ.get("BULLETIN_SM2_CERT", "").strip()
BULLETIN_SEAL_IMAGE = os.environ.get("BULLETIN_SEAL_IMAGE", "").strip()

INSTALLED_APPS = [
    "incentives.apps.AdminConfig",  # django.contrib.admin with the project's site (security.admin_site)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "import_export",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "pgtrigger",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mozilla_django_oidc",
    "organisation",
    "security",
    "measures",
    "evaluation",
    "nominations",
    "reviews",
    "api",
]

MIDDLEWARE = [
    "incentives.observability.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's, except that the probes (/health/…, /metrics) get an empty session that is never read nor saved:
    # a session cookie sent to a probe cannot make it ask the database.
    "incentives.middleware.ProbeAwareSessionMiddleware",
    "incentives.middleware.ChineseFirstLocaleMiddleware",
    # Before anything reads the body: caps it by the kind of request and answers 400 for one that cannot be parsed.
    "incentives.request_limits.RequestLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The demo (DEBUG on) answers a missing page with the site's 404 page, not Django's technical one.
    "incentives.middleware.DemoNotFoundMiddleware",
    # Idle and absolute session timeouts, then the second factor and forced password changes (security/).
    "security.middleware.SessionTimeoutMiddleware",
    "security.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "incentives.unavailable.ServiceUnavailableMiddleware",
    # A rule's refusal, raised by a service, answered once: the page's message (organisation.access).
    "incentives.middleware.AccessDoorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

if PRODUCTION:
    # gunicorn serves the collected static files itself (no separate web server needed).
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "incentives.urls"
WSGI_APPLICATION = "incentives.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organisation.context_processors.roles",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Two database roles on PostgreSQL (deploy/README.md, "Two database roles"): the application connects with
# DATABASE_URL, a role with row rights only (on the audit table INSERT and SELECT); the tables' owner,
# DATABASE_OWNER_URL, is used by the `manage.py` commands that change the schema or remove audit records
# (DATABASE_OWNER_COMMANDS). Without DATABASE_OWNER_URL (SQLite, development) every process uses DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "").strip()
DATABASE_OWNER_COMMANDS = frozenset({"migrate", "init", "archive_audit", "restore", "loaddata", "grant_app_role"})
CONNECTED_AS_OWNER = bool(DATABASE_OWNER_URL) and len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" \
    and sys.argv[1] in DATABASE_OWNER_COMMANDS
# The application's role (created and granted its rights by `manage.py grant_app_role`, which `init` runs).
DATABASE_APP_ROLE = dj_database_url.parse(DATABASE_URL).get("USER") or ""
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_OWNER_URL if CONNECTED_AS_OWNER else DATABASE_URL,
        # Persistent connections in production: a gunicorn or Celery worker keeps its connection for ten minutes
        # instead of opening one per request (a few ms each on PostgreSQL, more behind TLS); the health check
        # replaces one the server closed. Not in development: runserver makes a thread, so a connection, per
        # request, and would leave them all open.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600 if PRODUCTION else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with one step before each commit: the transaction's audit records are chained then
    # (organisation.audit.chain_pending).
    DATABASES["default"]["ENGINE"] = "incentives.postgresql"
    # The planner's costs for data that lives in memory or on SSDs (PostgreSQL's defaults assume spinning disks: a
    # random read four times a sequential one). With them, a page of the queue at a province's size joined its
    # 3,000 categories to their lists before sorting them (10 ms) instead of following the indexes for the page's
    # 40 rows (0.5 ms). Set per connection, so that no server setting is needed; DATABASE_PLANNER_OPTIONS replaces it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
        "DATABASE_PLANNER_OPTIONS", "-c random_page_cost=1.1")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # The timeout only helps a transaction that takes the write lock at BEGIN: a deferred one that reads, then
    # writes, fails at once with "database is locked" when another connection writes (seen in the load run,
    # bench/README.md). WAL lets pages be read while a draft is saved.
    DATABASES["default"]["OPTIONS"].update(transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Django's password backend, refusing every account but the break-glass ones when LOCAL_PASSWORDS is off.
    "security.sign_on.LocalPasswordBackend",
    # Unified sign-on through the province's identity provider (OpenID Connect), when OIDC_RP_CLIENT_ID is set.
    "security.sign_on.IdentityProviderBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; public pages need no permission
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    # Nothing like the account's names, in any disguise, and nothing from Django's list of common passwords or the
    # project's own (security/data/common-passwords-zh.txt): see security/validators.py.
    {"NAME": "security.validators.NotLikeTheAccountValidator", "OPTIONS": {"min_part": 3}},
    {"NAME": "security.validators.CommonPasswordsValidator",
     "OPTIONS": {"extra_list_path": BASE_DIR / "security" / "data" / "common-passwords-zh.txt"}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保2.0: characters of at least 3 of the 4 classes (lower case, upper case, digits, other), and none of the
    # last PASSWORD_HISTORY_COUNT passwords again (security/validators.py).
    {"NAME": "security.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "security.validators.PasswordHistoryValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after this many failures for one account (or one address) within the window,
# further attempts are refused until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# From one address (an office's staff often share one): higher, so a few typos do not lock out a bureau.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 4 * LOGIN_FAILURE_LIMIT)
# Reverse proxies in front of the application whose X-Forwarded-For is trusted (the client address for throttling).
NUM_PROXIES = env_int("NUM_PROXIES", 1 if PRODUCTION and env_bool("BEHIND_TLS_PROXY", True) else 0)
# The addresses (or networks) of those proxies. X-Forwarded-For is read only from a request that comes from one of
# them; gunicorn's forwarded_allow_ips reads the same variable (deploy/gunicorn.conf.py).
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
if "*" in FORWARDED_ALLOW_IPS:
    raise ImproperlyConfigured("FORWARDED_ALLOW_IPS=* would let any client choose its own address: list the "
                               "addresses of the reverse proxies")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 60 * 60)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
MEDIA_URL = "/media/"  # never served directly: evidence and bulletins go through permission-checked views
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Media (evidence, bulletins, files waiting for an import's confirmation) in S3-compatible object storage when
# web and workers run on several hosts (django-storages, the "s3" extra; credentials from the usual AWS_*
# variables, read by boto3). Downloads are then short-lived signed links given after the permission check
# (incentives/files.py). docs/scaling.md has the plan.
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "").strip()
MEDIA_SIGNED_URL_SECONDS = env_int("MEDIA_SIGNED_URL_SECONDS", 60)
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,  # MinIO, Ceph, a cloud's own
        "region_name": os.environ.get("MEDIA_S3_REGION") or None,
        "querystring_auth": True, "querystring_expire": MEDIA_SIGNED_URL_SECONDS,
        "default_acl": None, "file_overwrite": False, "signature_version": "s3v4",
    }}
MEDIA_SIGNED_URLS = env_bool("MEDIA_SIGNED_URLS", bool(MEDIA_S3_BUCKET))

# Uploads: evidence files are limited in size (the nomination form checks each file too).
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Request bodies, by kind of request (incentives/request_limits.py): refused with 413 before they are read.
REQUEST_MAX_BYTES_SMALL = env_int("REQUEST_MAX_BYTES_SMALL", 64 * 1024)  # sign-in, reset, health; anyone signed out
REQUEST_MAX_BYTES_FORM = env_int("REQUEST_MAX_BYTES_FORM", DATA_UPLOAD_MAX_MEMORY_SIZE)  # other forms
REQUEST_MAX_BYTES_UPLOAD = env_int("REQUEST_MAX_BYTES_UPLOAD", 6 * EVIDENCE_MAX_BYTES)  # evidence files, imports
# The longest query string (after "?") any request may carry: gunicorn takes request lines of at most 8,190 bytes
# (deploy/gunicorn.conf.py, limit_request_line), so no longer query reaches the application in production; the
# embedded server and the tests refuse it the same way (414), before anything reads or re-encodes it.
REQUEST_MAX_QUERY_BYTES = 8000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

if PRODUCTION and not os.environ.get("CACHE_URL"):
    # A per-process cache would count login failures per gunicorn worker and forget them at every restart.
    raise ImproperlyConfigured("CACHE_URL must be set in production (a shared cache such as redis://redis:6379/1)")
CACHES = {
    "default": (
        # Short timeouts: a Redis that does not answer gives a 503 page within seconds, not a hung worker.
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"],
         "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# E-mail: console by default; production gives EMAIL_HOST and friends.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "督查激励系统 <noreply@localhost>")
# The Date: header of every message in TIME_ZONE (Beijing time, +0800) instead of UTC.
EMAIL_USE_LOCALTIME = True
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no broker configured, tasks run in-process at once (embedded default and tests).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING below (JSON, request ids)
CELERY_WORKER_SEND_TASK_EVENTS = False
# The beat's schedule (crontab in CELERY_TIMEZONE, i.e. Beijing time). The sweep is idempotent, so it runs every
# 15 minutes by default: a missed run (a worker down) is caught up by the next one; nothing goes out before
# ReminderSettings.send_from_hour. REMINDERS_SCHEDULE is a crontab of five fields (minute hour day month weekday).
# The embedded default runs the same sweep with `manage.py run_scheduler`.
from celery.schedules import crontab  # noqa: E402


def env_crontab(name: str, default: str):
    raw = (os.environ.get(name) or default).strip()
    fields = raw.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a crontab of five fields: minute hour day month weekday")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                       day_of_week=day_of_week)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid crontab: {error}") from None


REMINDERS_SCHEDULE = env_crontab("REMINDERS_SCHEDULE", "*/15 * * * *")
# A render still "rendering" this long after it was claimed belongs to a process that died: it is taken up again
# by the next attempt, and the beat looks for such renders every BULLETIN_RESUME_SCHEDULE. A render takes seconds:
# its task is stopped after BULLETIN_RENDER_TIME_LIMIT seconds, which the claim must outlast (checked below), so a
# live render is never taken up a second time and a killed one waits about two minutes.
BULLETIN_STALE_RENDER_MINUTES = env_float("BULLETIN_STALE_RENDER_MINUTES", 2)
BULLETIN_RENDER_TIME_LIMIT = env_int("BULLETIN_RENDER_TIME_LIMIT", 90)
# The outbox (organisation.outbox): a message claimed ("sending") longer ago than this belongs to a sender that
# died and is sent again; a delivery task is stopped well before (OUTBOX_SEND_TIME_LIMIT, 80 % of it), so a live
# sender's claim is never given back. The sweep that gives such claims back and queues every message waiting
# (a broker that was down, a worker killed) runs on OUTBOX_SWEEP_SCHEDULE, every minute by default.
OUTBOX_STALE_CLAIM_MINUTES = env_float("OUTBOX_STALE_CLAIM_MINUTES", 5)
OUTBOX_SEND_TIME_LIMIT = max(int(OUTBOX_STALE_CLAIM_MINUTES * 60 * 0.8), 2)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # seconds per SMTP operation: a hung mail server cannot hold a claim
CELERY_BEAT_SCHEDULE = {
    "reminders-sweep": {"task": "nominations.tasks.reminders_sweep", "schedule": REMINDERS_SCHEDULE},
    "outbox-sweep": {"task": "organisation.tasks.outbox_sweep",
                     "schedule": env_crontab("OUTBOX_SWEEP_SCHEDULE", "* * * * *")},
    "bulletins-resume": {"task": "reviews.tasks.bulletins_resume",
                         "schedule": env_crontab("BULLETIN_RESUME_SCHEDULE", "* * * * *")},
    "personal-data-purge": {"task": "reviews.tasks.personal_data_purge",
                            "schedule": env_crontab("PERSONAL_DATA_PURGE_SCHEDULE", "30 3 * * *")},
}
CELERY_IMPORTS = ["organisation.invitations"]
# A task running longer than this is stopped (its pool process replaced): a stuck render or send cannot hold a
# worker slot for ever; a render stopped so is taken up again (see BULLETIN_STALE_RENDER_MINUTES).
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 5 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 30, CELERY_TASK_TIME_LIMIT * 3 // 4, 1)
# Redis redelivers a message a worker took but never acknowledged (acks_late: the worker died) after this many
# seconds; Celery's default is an hour. It must outlast the longest task (CELERY_TASK_TIME_LIMIT) and the longest
# countdown of a retry (2 minutes at most), else a task still running or waiting would be delivered twice. The
# socket timeouts make a publish to an unreachable broker fail in seconds (incentives.jobs leaves the rows pending).
if BULLETIN_RENDER_TIME_LIMIT < 10:
    raise ImproperlyConfigured(f"BULLETIN_RENDER_TIME_LIMIT={BULLETIN_RENDER_TIME_LIMIT}: at least 10 seconds")
if BULLETIN_STALE_RENDER_MINUTES * 60 <= BULLETIN_RENDER_TIME_LIMIT:
    raise ImproperlyConfigured(f"BULLETIN_STALE_RENDER_MINUTES={BULLETIN_STALE_RENDER_MINUTES} must be longer than "
                               f"BULLETIN_RENDER_TIME_LIMIT={BULLETIN_RENDER_TIME_LIMIT} seconds: a live render would "
                               f"be taken up a second time")
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 600)
if CELERY_BROKER_VISIBILITY_TIMEOUT <= max(CELERY_TASK_TIME_LIMIT, BULLETIN_RENDER_TIME_LIMIT):
    raise ImproperlyConfigured(f"CELERY_BROKER_VISIBILITY_TIMEOUT={CELERY_BROKER_VISIBILITY_TIMEOUT} must be longer "
                               f"than CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT} and BULLETIN_RENDER_TIME_LIMIT="
                               f"{BULLETIN_RENDER_TIME_LIMIT}")
# Renders have a queue of their own: a publication's bulletin (and the warming of the public pages it changed) never
# waits behind the e-mails the same publication queued. A worker consumes both queues unless `--queues` chooses
# (deploy/entrypoint.sh: WORKER_QUEUES); docker-compose.yml and the systemd units run a worker for the default queue
# and a `renderer` for this one, each with its own concurrency.
from kombu import Exchange, Queue  # noqa: E402

CELERY_TASK_DEFAULT_QUEUE = "celery"
BULLETIN_QUEUE = "bulletins"
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in (CELERY_TASK_DEFAULT_QUEUE,
                                                                               BULLETIN_QUEUE)]
CELERY_TASK_ROUTES = {
    "reviews.tasks.bulletin_render": {"queue": BULLETIN_QUEUE},
    "reviews.tasks.public_pages_warm": {"queue": BULLETIN_QUEUE},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
                                   "socket_connect_timeout": 3, "socket_timeout": 10,
                                   "max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Health of the beat: its scheduler writes this file at every tick (incentives.beat), at least once a minute;
# deploy/healthcheck.py beat fails when the file is older than BEAT_HEARTBEAT_MAX_AGE seconds.
CELERY_BEAT_SCHEDULER = "incentives.beat:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
BEAT_HEARTBEAT_FILE = Path(os.environ.get("BEAT_HEARTBEAT_FILE", BASE_DIR / "var" / "run" / "beat-heartbeat"))
# The beat ticks at least every CELERY_BEAT_MAX_LOOP_INTERVAL (60 s): a heartbeat older than 1.5 of those means a
# dead or stuck beat, so deploy/healthcheck.py beat goes red within two minutes of its death.
BEAT_HEARTBEAT_MAX_AGE = env_int("BEAT_HEARTBEAT_MAX_AGE", 90)

# Demo accounts and demo data exist only in the embedded default, never in production.
DEMO_MODE = env_bool("DEMO_MODE", not PRODUCTION)
if PRODUCTION and DEMO_MODE:
    raise ImproperlyConfigured("DEMO_MODE cannot be enabled in production")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Cookies marked Secure and named __Host- (accepted over HTTPS only, for this exact host and path /: no sibling
# subdomain can set them). SECURE_COOKIES=0 serves a plain-HTTP site on a network you trust (deploy/README.md).
SECURE_COOKIES = env_bool("SECURE_COOKIES", PRODUCTION)
if SECURE_COOKIES:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

if PRODUCTION:
    LANGUAGE_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY is too short: use 50 or more random characters")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names the site answers to")

# Logs: one JSON object a line (LOG_FORMAT=json, the production default) or plain text, every timestamp in
# Beijing time with its offset (+08:00), each line with the request id of the request or task it belongs to.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: expected json or text")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
ADMINS = [("", address) for address in env_list("ADMINS", [])]
# Seconds between two mailed reports of the same error (the ones in between are counted in the next report).
ERROR_REPORT_INTERVAL = env_float("ERROR_REPORT_INTERVAL", 60)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "incentives.logging_json.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "incentives.logging_json.JsonFormatter"},
        "text": {"()": "incentives.logging_json.TextFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
        # Errors by mail to ADMINS (when Sentry is not configured; see below): sent by a background thread, at
        # most one report per ERROR_REPORT_INTERVAL seconds for one kind of error, none for the probes
        # (/health/…, /metrics). See incentives.error_reports.
        "mail_admins": {"()": "incentives.error_reports.ThrottledAdminEmailHandler", "level": "ERROR",
                        "filters": ["request_id"]},
    },
    # Every ERROR record (a request's uncaught exception, a failed task, a worker process lost) is also mailed.
    "root": {"handlers": ["console", "mail_admins"] if ADMINS else ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"handlers": ["console", "mail_admins"] if ADMINS else ["console"], "level": "WARNING",
                           "propagate": False},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # pgtrigger logs every install, also the no-op ones on SQLite.
        "pgtrigger": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------------------------------------------
# Security controls of 等保2.0 level 3 (README, "Security"; code in security/)
# ---------------------------------------------------------------------------------------------------------------

# A session ends after this many seconds without a request (idle), and in any case SESSION_COOKIE_AGE seconds
# after the sign-in (absolute).
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)
if SESSION_IDLE_TIMEOUT_SECONDS < 60:
    raise ImproperlyConfigured(f"SESSION_IDLE_TIMEOUT_SECONDS={SESSION_IDLE_TIMEOUT_SECONDS}: at least 60 seconds")
# Passwords: changed after this many days; none of the last PASSWORD_HISTORY_COUNT may be used again.
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
PASSWORD_HISTORY_COUNT = env_int("PASSWORD_HISTORY_COUNT", 5)
if PASSWORD_MAX_AGE_DAYS < 1 or PASSWORD_HISTORY_COUNT < 1:
    raise ImproperlyConfigured("PASSWORD_MAX_AGE_DAYS and PASSWORD_HISTORY_COUNT must be at least 1")
# Second factor (TOTP, django-otp): required for reviewers and the three administrators, and for clerks when
# OTP_REQUIRED_FOR_CLERKS is on. OTP_REQUIRED switches the requirement as a whole: on by default, except in the
# embedded demo (DEMO_MODE), where the demo accounts sign in with their password alone; production refuses it off.
# Whoever enrolled a device is asked for its code at every sign-in, required or not.
OTP_REQUIRED = env_bool("OTP_REQUIRED", not DEMO_MODE)
OTP_REQUIRED_FOR_CLERKS = env_bool("OTP_REQUIRED_FOR_CLERKS", False)
if PRODUCTION and not OTP_REQUIRED:
    raise ImproperlyConfigured("OTP_REQUIRED cannot be turned off in production")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "广州市督查激励")
OTP_RECOVERY_CODE_COUNT = 10
# Audit records are kept at least six months (网络安全法 art. 21); the archive command refuses younger ones.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS}: audit records are kept at least 180 days")
# Tamper evidence: every audit record carries a keyed SM3 chain value over the one before it (HMAC-SM3,
# organisation/audit_chain.py; `manage.py verify_audit` walks it). The key lives in the environment, never in the
# database; AUDIT_CHAIN_KEY_ID names it in each record, and AUDIT_CHAIN_PREVIOUS_KEYS ("id:key,id:key") keeps the
# keys of earlier records for verification after a rotation (deploy/README.md, "Two database roles").
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
AUDIT_CHAIN_KEY_ID = os.environ.get("AUDIT_CHAIN_KEY_ID", "").strip() or "1"
if not AUDIT_CHAIN_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be set in production (32 or more random characters; "
                                   "deploy/README.md, key custody)")
    AUDIT_CHAIN_KEY = "development-only-audit-chain-key-do-not-use-in-production-5e1d"
elif SECRET_KEY_PLACEHOLDER_MARK in AUDIT_CHAIN_KEY.lower():
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY is still the placeholder of deploy/env.example: generate one with "
                               "python -c \"import secrets; print(secrets.token_urlsafe(48))\"")
elif PRODUCTION and len(AUDIT_CHAIN_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY is too short: use 32 or more random characters")


def env_chain_keys(name: str) -> dict[str, str]:
    keys = {}
    for item in env_list(name, []):
        key_id, _, key = item.partition(":")
        if not key_id.strip() or not key:
            raise ImproperlyConfigured(f"{name}: {key_id.strip() or item[:8]!r}… is not id:key")
        keys[key_id.strip()] = key
    return keys


AUDIT_CHAIN_PREVIOUS_KEYS = env_chain_keys("AUDIT_CHAIN_PREVIOUS_KEYS")
for _key_id in [AUDIT_CHAIN_KEY_ID, *AUDIT_CHAIN_PREVIOUS_KEYS]:
    if not (0 < len(_key_id) <= 16 and _key_id.replace("-", "").replace("_", "").replace(".", "").isalnum()):
        raise ImproperlyConfigured(f"audit chain key id {_key_id!r}: 1 to 16 letters, digits, '.', '-' or '_'")
if AUDIT_CHAIN_KEY_ID in AUDIT_CHAIN_PREVIOUS_KEYS:
    raise ImproperlyConfigured(f"AUDIT_CHAIN_PREVIOUS_KEYS names the current key id {AUDIT_CHAIN_KEY_ID!r} again")
# On PostgreSQL the audit table refuses UPDATE and DELETE (a trigger of django-pgtrigger, installed after every
# migrate; see security/apps.py). The trigger is not part of the migrations.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True
# Content Security Policy (django-csp): scripts from this site or carrying the response's nonce; no inline style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Error reports go to Sentry when SENTRY_DSN is set and sentry-sdk is installed (pip install sentry-sdk);
# otherwise to ADMINS by mail.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError:
        raise ImproperlyConfigured("SENTRY_DSN is set but sentry-sdk is not installed: pip install sentry-sdk") from None
    sentry_sdk.init(dsn=SENTRY_DSN, environment=APP_ENV, send_default_pii=False,
                    traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0))
    LOGGING["root"]["handlers"] = ["console"]
    LOGGING["loggers"]["django.request"]["handlers"] = ["console"]

# Metrics for Prometheus at /metrics: answered only with `Authorization: Bearer <METRICS_TOKEN>`, or to a client
# whose address is in METRICS_ALLOWED_ADDRESSES (nobody when both are empty).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", [] if PRODUCTION else ["127.0.0.1"])
PROMETHEUS_EXPORT_MIGRATIONS = False

# Readiness (/health/ready): the media storage must be writable and every migration applied; the broker is
# checked when one is configured. HEALTH_CHECK_TIMEOUT bounds each check (seconds).
HEALTH_CHECK_TIMEOUT = env_int("HEALTH_CHECK_TIMEOUT", 3)
# /health/ready names the failing dependency and the version only with `Authorization: Bearer <HEALTH_TOKEN>` or to
# a client whose address is in HEALTH_ALLOWED_ADDRESSES; others get the bare status (200/503).
HEALTH_TOKEN = os.environ.get("HEALTH_TOKEN", "")
HEALTH_ALLOWED_ADDRESSES = env_list("HEALTH_ALLOWED_ADDRESSES", ["127.0.0.1", "::1"])
# How long a passed migration check holds before the readiness probe runs it again (seconds).
HEALTH_MIGRATIONS_RECHECK_SECONDS = env_int("HEALTH_MIGRATIONS_RECHECK_SECONDS", 300)

# Invitations: a one-time link to set a password, valid this many seconds.
INVITATION_TIMEOUT = env_int("INVITATION_TIMEOUT", 7 * 24 * 60 * 60)

# django-import-export serves the admin's exports only; imports go through measures.importing (one path per kind).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# ---------------------------------------------------------------------------------------------------------------
# Unified sign-on (统一身份认证): OpenID Connect against the province's identity provider (security/sign_on.py)
# ---------------------------------------------------------------------------------------------------------------
# On when OIDC_RP_CLIENT_ID is set. The person is found by the identity's issuer and subject (``sub``), linked to an
# account by the security administrator; an unknown identity is refused, never given an account.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
# The issuer (``iss`` of its ID tokens) and its endpoints, as its /.well-known/openid-configuration names them.
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "").strip()
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "").strip()
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "").strip()
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "").strip()
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "").strip()
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("OIDC_OP_LOGOUT_ENDPOINT", "").strip()
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256").strip()
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile").strip()
OIDC_CREATE_USER = False  # never: an identity reaches an account only through a link the security administrator made
OIDC_STORE_ID_TOKEN = False
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_CALLBACK_CLASS = "security.sign_on.CallbackView"
OIDC_AUTHENTICATE_CLASS = "security.sign_on.AuthenticateView"
# The provider asserts a second factor with ``amr`` (RFC 8176: otp, hwk, sms, mfa …) or an ``acr`` value listed here;
# then the local TOTP step is not asked again. Anything else: the local step is asked as after a password.
OIDC_SECOND_FACTOR_AMR = env_list("OIDC_SECOND_FACTOR_AMR", ["mfa", "otp", "hwk", "swk", "sms", "sc", "fpt", "face"])
OIDC_SECOND_FACTOR_ACR = env_list("OIDC_SECOND_FACTOR_ACR", [])
if OIDC_ENABLED:
    _missing = [name for name in ("OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                                  "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT") if not globals()[name]]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set: set {', '.join(_missing)} too")
# Local passwords: off (LOCAL_PASSWORDS=0) once everyone signs in through the identity provider, except the
# break-glass accounts named here, which keep their password (and second factor) for when the provider is down.
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
BREAK_GLASS_USERNAMES = env_list("BREAK_GLASS_USERNAMES", [])
if not LOCAL_PASSWORDS and not BREAK_GLASS_USERNAMES:
    raise ImproperlyConfigured("LOCAL_PASSWORDS=0 needs BREAK_GLASS_USERNAMES: at least one administrator must be "
                               "able to sign in when the identity provider is down")

# ---------------------------------------------------------------------------------------------------------------
# The open API (api/): Django REST framework, described in OpenAPI 3 by drf-spectacular at /api/schema/
# ---------------------------------------------------------------------------------------------------------------
# Calls per minute for one person (tokens and session together), counted like the sign-in throttle
# (organisation/throttle.py) in the shared cache.
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120)
# A token lives at most this many days (its owner chooses less).
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
if API_REQUESTS_PER_MINUTE < 1 or API_TOKEN_MAX_DAYS < 1:
    raise ImproperlyConfigured("API_REQUESTS_PER_MINUTE and API_TOKEN_MAX_DAYS must be at least 1")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication",
                                       "api.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PersonThrottle"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "督查激励 open API",
    "DESCRIPTION": "Read what the person may read; write what a bureau's own system sends (a list's draft, its "
                   "nominees and evidence, scoring values). Authorization: Bearer <personal token>.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"CycleState": "nominations.models.Cycle.State",
                            "ListState": "nominations.models.NominationList.State"},
}
