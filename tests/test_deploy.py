"""The deployment files work as written: every variable documented and sourceable, the placeholder secret refused,
the compose file's services, order, ports, grace periods and log rotation, the image, the plain-HTTP option."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from .helpers import PRODUCTION, ROOT, run_manage

ENV_EXAMPLE = ROOT / "deploy" / "env.example"
COMPOSE = ROOT / "docker-compose.yml"
ENV_READERS = {"env_bool", "env_int", "env_list", "env_crontab"}


def variables_read_by(path: Path) -> set[str]:
    """Names passed to os.environ.get / os.environ[...] / os.getenv / env_*() in a Python file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            dotted = ast.unparse(function)
            if dotted in {"os.environ.get", "os.getenv", "os.environ.setdefault"} or (
                    isinstance(function, ast.Name) and function.id in ENV_READERS):
                names.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
    return names


def documented() -> set[str]:
    """Variables env.example sets or shows commented out with their default (`# NAME='…'`)."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_variable_the_settings_read_is_documented_in_env_example():
    read = variables_read_by(ROOT / "incentives" / "settings.py")
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_BACKEND", "REMINDERS_SCHEDULE", "SENTRY_DSN"} <= read  # the parser works
    missing = read - documented() - {"DJANGO_SETTINGS_MODULE"}
    assert not missing, f"read by incentives/settings.py but not in deploy/env.example: {sorted(missing)}"


def test_the_variables_of_gunicorn_the_entrypoint_and_the_health_checks_are_documented_too():
    read = variables_read_by(ROOT / "deploy" / "gunicorn.conf.py") | variables_read_by(ROOT / "deploy" / "healthcheck.py")
    read |= set(re.findall(r"\$\{([A-Z_]+):-", (ROOT / "deploy" / "entrypoint.sh").read_text()))
    missing = read - documented() - {"DJANGO_SETTINGS_MODULE", "APP_ENV"}
    assert not missing, f"not in deploy/env.example: {sorted(missing)}"


def test_env_example_sources_in_a_shell_and_keeps_its_values():
    result = subprocess.run(["bash", "-c", "set -eu; set -a; . deploy/env.example; set +a; "
                             "printf '%s\\n' \"$DEFAULT_FROM_EMAIL\" \"$REMINDERS_SCHEDULE\" \"$SECRET_KEY\""],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["督查激励系统 <incentives@example.gov.cn>", "*/15 * * * *",
                                          "replace-with-50-or-more-random-characters-replace-with-50-or-more"]


def test_the_placeholder_secret_of_env_example_is_refused():
    placeholder = re.search(r"^SECRET_KEY='([^']+)'", ENV_EXAMPLE.read_text(), flags=re.MULTILINE).group(1)
    result = run_manage("check", **{**PRODUCTION, "SECRET_KEY": placeholder})
    assert result.returncode != 0
    assert "SECRET_KEY is still the placeholder of deploy/env.example" in result.stderr


def test_env_example_as_given_with_a_real_secret_passes_the_deployment_checks():
    environment = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]+)='(.*)'$", line)
        if match:
            environment[match.group(1)] = match.group(2)
    environment.update(SECRET_KEY=PRODUCTION["SECRET_KEY"], DATABASE_URL=PRODUCTION["DATABASE_URL"],
                       CELERY_BROKER_URL="", MEDIA_ROOT="/tmp/env-example-media",
                       STATIC_ROOT="/tmp/env-example-static", BEAT_HEARTBEAT_FILE="/tmp/env-example-beat",
                       PROMETHEUS_MULTIPROC_DIR="")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **environment)
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_run_once_before_web_worker_and_beat():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["init"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}, name
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    web_role = entrypoint.split("  web)")[1].split(";;")[0]
    assert "migrate" not in web_role and "gunicorn" in web_role


def test_only_the_web_port_is_published_and_only_on_the_loopback_interface():
    services = compose()["services"]
    published = {name: service.get("ports", []) for name, service in services.items() if service.get("ports")}
    assert published == {"web": ["127.0.0.1:8000:8000"]}
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert 'forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")' in gunicorn
    assert "*" not in services["web"]["environment"]["FORWARDED_ALLOW_IPS"]


def test_stop_grace_periods_outlast_gunicorns_graceful_timeout_and_logs_rotate():
    services = compose()["services"]
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    graceful = int(re.search(r'"GUNICORN_GRACEFUL_TIMEOUT", (\d+)', gunicorn).group(1))
    assert int(services["web"]["stop_grace_period"].rstrip("s")) > graceful
    for name, service in services.items():
        assert service["logging"]["driver"] == "json-file", name
        assert service["logging"]["options"]["max-size"] and int(service["logging"]["options"]["max-file"]) >= 2, name


def test_the_health_checks_use_the_process_checks():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py", name]


def test_the_image_runs_the_tested_python_and_the_build_context_leaves_secrets_out():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    base = re.search(r"^FROM python:(\d+\.\d+)", dockerfile, flags=re.MULTILINE).group(1)
    assert base == f"{sys.version_info.major}.{sys.version_info.minor}" == "3.11"
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", "var/", ".git", "media/", "db.sqlite3"):
        assert entry in ignored, entry


def test_plain_http_signs_in_when_secure_cookies_are_off(tmp_path):
    """The documented plain-HTTP option: no __Host- cookie names, no Secure flag, so a sign-in over http works."""
    script = tmp_path / "signin.py"
    script.write_text(
        "import django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        "from django.test.utils import override_settings\n"
        "# No collectstatic here: the page's style sheet is looked up without the manifest.\n"
        "override_settings(STORAGES={**settings.STORAGES, 'staticfiles': {'BACKEND':"
        " 'django.contrib.staticfiles.storage.StaticFilesStorage'}}).enable()\n"
        "call_command('migrate', verbosity=0)\n"
        "get_user_model().objects.create_user('plain', password='plain-http-pass-2025')\n"
        "client = Client(HTTP_HOST='incentives.example.gov.cn')\n"
        "client.get('/accounts/login/')\n"
        "response = client.post('/accounts/login/', {'username': 'plain', 'password': 'plain-http-pass-2025'})\n"
        "print(response.status_code, settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,"
        " response.cookies[settings.SESSION_COOKIE_NAME]['secure'] or 'no-secure')\n")
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE"}}
    environment.update(PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'plain.sqlite3'}", BEHIND_TLS_PROXY="0",
                       SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0",
                       DJANGO_SETTINGS_MODULE="incentives.settings", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["302", "sessionid", "False", "no-secure"]


def test_https_cookies_by_default_in_production():
    result = run_manage("shell", "-c", "from django.conf import settings; "
                        "print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_SECURE)",
                        **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["__Host-sessionid", "__Host-csrftoken", "True"]


def test_the_reminders_schedule_comes_from_the_environment():
    result = run_manage("shell", "-c", "from django.conf import settings; "
                        "s = settings.CELERY_BEAT_SCHEDULE['reminders-sweep']['schedule']; "
                        "print(sorted(s.minute), sorted(s.hour))", REMINDERS_SCHEDULE="30 8,14 * * 1-5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[30] [8, 14]"
    bad = run_manage("check", REMINDERS_SCHEDULE="every quarter hour")
    assert bad.returncode != 0
    assert "REMINDERS_SCHEDULE='every quarter hour' is not a crontab of five fields" in bad.stderr
