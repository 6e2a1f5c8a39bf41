"""The deployment files work as written: every variable documented and sourceable, the placeholder secret refused,
the compose file's services, order, ports, grace periods and log rotation, the image, the plain-HTTP option."""

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

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


def test_the_placeholder_personal_data_key_of_env_example_is_refused():
    placeholder = re.search(r"^PERSONAL_DATA_KEYS='([^']+)'", ENV_EXAMPLE.read_text(), flags=re.MULTILINE).group(1)
    result = run_manage("check", **{**PRODUCTION, "PERSONAL_DATA_KEYS": placeholder})
    assert result.returncode != 0
    assert "PERSONAL_DATA_KEYS is still the placeholder of deploy/env.example" in result.stderr


def test_env_example_as_given_with_a_real_secret_passes_the_deployment_checks():
    environment = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]+)='(.*)'$", line)
        if match:
            environment[match.group(1)] = match.group(2)
    environment.update(SECRET_KEY=PRODUCTION["SECRET_KEY"], AUDIT_CHAIN_KEY=PRODUCTION["AUDIT_CHAIN_KEY"],
                       DATABASE_URL=PRODUCTION["DATABASE_URL"], PERSONAL_DATA_KEYS=PRODUCTION["PERSONAL_DATA_KEYS"],
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


def test_plain_http_signs_in_when_secure_cookies_are_off(tmp_path, migrated_sqlite):
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
        "call_command('migrate', verbosity=0)  # a copy of a migrated database: nothing left to do\n"
        "get_user_model().objects.create_user('plain', password='plain-http-pass-2025')\n"
        "client = Client(HTTP_HOST='incentives.example.gov.cn')\n"
        "client.get('/accounts/login/')\n"
        "response = client.post('/accounts/login/', {'username': 'plain', 'password': 'plain-http-pass-2025'})\n"
        "print(response.status_code, settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,"
        " response.cookies[settings.SESSION_COOKIE_NAME]['secure'] or 'no-secure')\n")
    migrated_sqlite(tmp_path / "plain.sqlite3")
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


# --- The image's build steps, and what each service is given ---------------------------------------------------

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
APP_SERVICES = ("migrate", "web", "worker", "renderer", "beat")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of each line of the Dockerfile, continuation lines joined, comments left out."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [tuple(line.split(None, 1)) for line in joined.splitlines() if line.strip()]


def dockerfile_env() -> dict[str, str]:
    values = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            values.update(item.split("=", 1) for item in shlex.split(arguments))
    return values


def dockerfile_build_steps() -> tuple[dict[str, str], list[list[str]]]:
    """The RUN line that collects the static files: the variables it exports and its `python manage.py` commands."""
    run = next(arguments for instruction, arguments in dockerfile_instructions()
               if instruction == "RUN" and "collectstatic" in arguments)
    exported, commands = {}, []
    for step in (part.strip() for part in run.split("&&")):
        words = shlex.split(step)
        if words[0] == "export":
            exported.update(word.split("=", 1) for word in words[1:])
        elif words[:2] == ["python", "manage.py"]:
            commands.append(words[2:])
    return exported, commands


def clean_environment(**values) -> dict[str, str]:
    """The image's environment: none of the test run's variables (APP_ENV=test, DATABASE_URL …) leak in."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **values}


def test_the_images_build_steps_run_with_the_images_own_environment(tmp_path):
    """The Dockerfile's RUN line, run as written: its exported build-only values on top of the image's ENV (a
    production environment), the static files into a directory of the test."""
    image_env = dockerfile_env()
    exported, commands = dockerfile_build_steps()
    assert image_env["APP_ENV"] == "production"
    assert [c[0] for c in commands] == ["compilemessages", "collectstatic"]
    # The build-only values stay in that RUN line: none is part of the image's environment.
    assert {"SECRET_KEY", "CACHE_URL", "ALLOWED_HOSTS", "DATABASE_URL"} <= set(exported)
    assert not set(exported) & set(image_env)
    environment = clean_environment(**{**image_env, **exported, "STATIC_ROOT": str(tmp_path / "static"),
                                       "DATABASE_URL": f"sqlite:///{tmp_path / 'build.sqlite3'}"})
    for command in commands:
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=environment,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(command)}:\n{result.stderr}"
    # The production storage: hashed names and their manifest, which WhiteNoise serves.
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    # The same command without the build-only values is refused by the settings (what the build did before).
    bare = subprocess.run([sys.executable, "manage.py", *commands[-1]], cwd=ROOT, capture_output=True, text=True,
                          env=clean_environment(**{**image_env, "STATIC_ROOT": str(tmp_path / "bare")}), timeout=120)
    assert bare.returncode != 0 and "ImproperlyConfigured" in bare.stderr


def compose_environment(service: dict) -> dict[str, str]:
    """What a compose service's process sees: env.example (as .env) and the service's `environment`, with compose's
    ${NAME:-default} resolved to the default."""
    assert service["env_file"] == ".env"
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]+)='(.*)'$", line)
        if match:
            values[match.group(1)] = match.group(2)
    for name, value in (service.get("environment") or {}).items():
        values[name] = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
    return values


REFUSED_WITHOUT = """
import json, os, runpy, sys
from django.core.exceptions import ImproperlyConfigured
base = json.loads(sys.argv[1])
refused = []
for name in sorted(base):
    os.environ.clear()
    os.environ.update({k: v for k, v in base.items() if k != name})
    try:
        runpy.run_path("incentives/settings.py")
    except ImproperlyConfigured:
        refused.append(name)
print(json.dumps(refused))
"""


def test_every_app_service_of_compose_gets_what_the_production_settings_require():
    """The variables whose absence the production settings refuse (found by taking each away in turn) are given
    to every service that runs the application, and they point at the compose services."""
    services = compose()["services"]
    web = compose_environment(services["web"])
    base = {**web, "SECRET_KEY": PRODUCTION["SECRET_KEY"], "AUDIT_CHAIN_KEY": PRODUCTION["AUDIT_CHAIN_KEY"],
            "PATH": os.environ["PATH"]}
    result = subprocess.run([sys.executable, "-c", REFUSED_WITHOUT, json.dumps(base)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    required = set(json.loads(result.stdout)) | {"DATABASE_URL", "CELERY_BROKER_URL"}
    assert {"SECRET_KEY", "AUDIT_CHAIN_KEY", "ALLOWED_HOSTS", "CACHE_URL"} <= required  # the probe works
    for name in APP_SERVICES:
        environment = compose_environment(services[name])
        missing = {variable for variable in required if not environment.get(variable)}
        assert not missing, f"{name} lacks {sorted(missing)}"
        assert environment["APP_ENV"] == "production", name
        for variable in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
            host = urlsplit(environment[variable]).hostname
            assert host in services and host in services[name]["depends_on"], (name, variable, host)


def test_the_broker_and_the_cache_are_two_redis_servers():
    """Not two databases of one server: that server down would take the cache (sign-in, public pages) with the
    broker. The broker keeps its queue on disk and never evicts; the cache evicts and keeps nothing."""
    services = compose()["services"]
    environment = compose_environment(services["web"])
    broker, cache = urlsplit(environment["CELERY_BROKER_URL"]), urlsplit(environment["CACHE_URL"])
    assert (broker.hostname, cache.hostname) == ("redis", "cache")
    assert "--appendonly" in services["redis"]["command"] and "noeviction" in services["redis"]["command"]
    assert "allkeys-lru" in services["cache"]["command"] and "volumes" not in services["cache"]
    readme = (ROOT / "deploy" / "README.md").read_text()
    assert "CACHE_URL='redis://127.0.0.1:6380/0'" in readme  # the by-hand install: a second server too


def test_renders_have_their_own_queue_and_a_worker_of_their_own():
    result = run_manage("shell", "-c", "from django.conf import settings; from incentives.celery import app; "
                        "print(app.amqp.router.route({}, 'reviews.tasks.bulletin_render')['queue'].name, "
                        "app.amqp.router.route({}, 'organisation.tasks.outbox_deliver_task')['queue'].name, "
                        "','.join(sorted(app.amqp.queues)))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["bulletins", "celery", "bulletins,celery"]
    services = compose()["services"]
    assert services["worker"]["environment"]["WORKER_QUEUES"] == "celery"
    assert services["renderer"]["environment"]["WORKER_QUEUES"] == "bulletins"
    assert services["renderer"]["command"] == ["worker"]
    assert "${WORKER_QUEUES:+--queues=" in (ROOT / "deploy" / "entrypoint.sh").read_text()


def test_the_settings_refuse_a_render_claim_that_turns_stale_before_the_render_is_stopped():
    result = run_manage("check", BULLETIN_STALE_RENDER_MINUTES="1", BULLETIN_RENDER_TIME_LIMIT="90")
    assert result.returncode != 0
    assert "BULLETIN_STALE_RENDER_MINUTES=1.0 must be longer than BULLETIN_RENDER_TIME_LIMIT=90" in result.stderr
    assert run_manage("check", BULLETIN_STALE_RENDER_MINUTES="2", BULLETIN_RENDER_TIME_LIMIT="90").returncode == 0


def test_mail_dates_are_in_beijing_time():
    from django.core.mail import EmailMessage

    assert EmailMessage("主题", "正文", to=["someone@example.gov.cn"]).message()["Date"].endswith("+0800")


def test_the_smtp_sink_has_an_extra_of_its_own():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert [requirement.split(">")[0] for requirement in extras["smtp-sink"]] == ["aiosmtpd"]
    assert "pip install '.[smtp-sink]'" in (ROOT / "deploy" / "README.md").read_text()
