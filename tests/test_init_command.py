"""`manage.py init` as a person deploying runs it: a process of its own on a fresh, empty database (SQLite and
PostgreSQL), twice. The first run loads the 2022 notice's catalogue and the bureaus; the second changes nothing.
docker-compose.yml's one-shot `migrate` service runs too, its command line read from the compose file and the
image's entry point, with the image's /app read as this checkout.

Each database is read directly (sqlite3, psycopg2), never through the test process's Django connection."""

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from .helpers import ROOT

NOTICE = "穗府办〔2022〕30号"
IMAGE_ROOT = "/app"
FIXTURE_COUNTS = {}
for _fixture in ("organisation", "catalogue_2022"):
    for _row in json.loads((ROOT / "fixtures" / f"{_fixture}.json").read_text(encoding="utf-8")):
        FIXTURE_COUNTS[_row["model"]] = FIXTURE_COUNTS.get(_row["model"], 0) + 1


def _environment(database_url: str) -> dict:
    """The development settings (nothing else installed), this checkout's code, the tests' Python first on PATH."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE", "DJANGO_SETTINGS_MODULE",
                                "DJANGO_ALLOW_ASYNC_UNSAFE", "PYTHONPATH"}}
    environment.update(APP_ENV="development", DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
                       PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return environment


def _run(command: list[str], database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=_environment(database_url), capture_output=True, text=True,
                          timeout=600)


def manage_init(database_url: str) -> subprocess.CompletedProcess:
    """What deploy/README.md tells a person to type: `python manage.py init`."""
    return _run([sys.executable, "manage.py", "init"], database_url)


def compose_migrate_command() -> list[str]:
    """The `migrate` service's command line in its container: the service's entry point (the image's, from
    deploy/Dockerfile, unless the service sets its own) followed by the service's command."""
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["migrate"]

    def words(value) -> list[str]:
        return shlex.split(value) if isinstance(value, str) else [str(word) for word in value]

    if "entrypoint" in service:
        entrypoint = words(service["entrypoint"])
    else:
        dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
        entrypoint = json.loads(re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", dockerfile, flags=re.MULTILINE).group(1))
    return entrypoint + words(service["command"])


def compose_migrate(database_url: str) -> subprocess.CompletedProcess:
    command = compose_migrate_command()
    # The image's /app is this checkout: the one mapping made, the command line otherwise as written.
    local = [str(ROOT / word.removeprefix(IMAGE_ROOT + "/")) if word.startswith(IMAGE_ROOT + "/") else word
             for word in command]
    assert local[1:] == command[1:] and Path(local[0]).is_file(), local
    return _run(local, database_url)


# --- reading a database -----------------------------------------------------------------------------------------


def _catalogue(cursor) -> dict:
    def one(sql):
        cursor.execute(sql)
        return cursor.fetchone()[0]

    notice = f"FROM measures_measure m JOIN measures_policydocument d ON d.id = m.document_id WHERE d.number = '{NOTICE}'"
    cursor.execute(f"SELECT m.number {notice} ORDER BY m.number")
    return {
        "measure numbers": [row[0] for row in cursor.fetchall()],
        "categories": one("SELECT COUNT(*) FROM measures_incentivecategory c JOIN measures_measure m "
                          "ON m.id = c.measure_id JOIN measures_policydocument d ON d.id = m.document_id "
                          f"WHERE d.number = '{NOTICE}'"),
        "measures without a category": one(f"SELECT COUNT(*) {notice} AND NOT EXISTS "
                                           "(SELECT 1 FROM measures_incentivecategory c WHERE c.measure_id = m.id)"),
        "responsibilities": one("SELECT COUNT(*) FROM measures_responsibility"),
        "bureaus": one("SELECT COUNT(*) FROM organisation_bureau"),
        "units": one("SELECT COUNT(*) FROM organisation_unit"),
        "category groups' permissions": one("SELECT COUNT(*) FROM measures_categorygroupobjectpermission"),
    }


def _row_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def sqlite_state(path: Path) -> tuple[dict, dict]:
    with closing(sqlite3.connect(path)) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        tables = [row[0] for row in cursor.fetchall()]
        return _catalogue(cursor), _row_counts(cursor, tables)


def postgres_state(dsn: str) -> tuple[dict, dict]:
    import psycopg2

    with closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        return _catalogue(cursor), _row_counts(cursor, tables)


def assert_catalogue_loaded(catalogue: dict):
    assert catalogue["measure numbers"] == list(range(1, 33)), "the 2022 notice's 32 measures"
    assert catalogue["categories"] == FIXTURE_COUNTS["measures.incentivecategory"] == 39
    assert catalogue["measures without a category"] == 0
    assert catalogue["responsibilities"] == FIXTURE_COUNTS["measures.responsibility"]
    assert catalogue["bureaus"] == FIXTURE_COUNTS["organisation.bureau"] == 29
    assert catalogue["units"] == FIXTURE_COUNTS["organisation.unit"]
    assert catalogue["category groups' permissions"] > 0, "sync_permissions gave the bureaus' groups their categories"


def assert_succeeded(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ready." in result.stdout, result.stdout + result.stderr


def check_first_start_then_init_twice(database_url: str, state):
    """The compose file's `migrate` service on the empty database (the first start: it runs `manage.py init`
    through the image's entry point) loads everything; `manage.py init` run twice after it changes no row
    anywhere."""
    first = compose_migrate(database_url)
    assert_succeeded(first)
    assert "Loaded the organisation (29 bureaus) and the 2022 catalogue (32 measures)." in first.stdout
    catalogue, rows = state()
    assert_catalogue_loaded(catalogue)

    for _again in range(2):
        again = manage_init(database_url)
        assert_succeeded(again)
        assert "fixtures not loaded" in again.stdout
        assert state() == (catalogue, rows)


def test_the_compose_files_migrate_service_runs_manage_py_init_through_the_images_entry_point():
    command = compose_migrate_command()
    assert command[0] == f"{IMAGE_ROOT}/deploy/entrypoint.sh" and len(command) >= 2
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text(encoding="utf-8")
    role = entrypoint.split(f"  {command[1]})")[1].split(";;")[0]
    assert "python manage.py init" in role


def test_the_first_start_on_an_empty_sqlite_database_then_init_twice(tmp_path):
    path = tmp_path / "init.sqlite3"
    check_first_start_then_init_twice(f"sqlite:///{path}", lambda: sqlite_state(path))


@pytest.mark.postgres
def test_the_first_start_on_an_empty_postgresql_database_then_init_twice():
    import psycopg2

    server = "postgres://postgres@127.0.0.1:5432"
    name = f"incentives_init_{uuid.uuid4().hex[:12]}"
    with closing(psycopg2.connect(f"{server}/postgres")) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        check_first_start_then_init_twice(f"{server}/{name}", lambda: postgres_state(f"{server}/{name}"))
    finally:
        with closing(psycopg2.connect(f"{server}/postgres")) as admin:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
