"""The upgrade from the previous release, as an operator runs it, on the database that release left.

``deploy/releases/0.1.0/`` keeps a database made by 0.1.0's own code (its migrations, its demo data, a generated
published year and a row in every table; ``deploy/releases/build_previous.sh``), as a SQLite file and as a
PostgreSQL dump. Each test restores it into a new database, runs this code's ``manage.py migrate`` in a child
process, and reads both through plain SQL: every row of every 0.1.0 table is still there with the same values, the
new columns and tables are filled as their migrations promise, ``init`` runs clean, the demo accounts sign in,
``migrate`` again has nothing to do, and migrating each app back to its 0.1.0 migration leaves the 0.1.0 data as
it was.
"""

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from .helpers import ROOT

PREVIOUS = "0.1.0"
KEPT = ROOT / "deploy" / "releases" / PREVIOUS
MANIFEST = ROOT / "deploy" / "releases" / "migrations.sha256"
DEMO_PASSWORD = "demo-pass-2025"

# Tables whose rows an upgrade adds to (never changes or removes): the migrations applied, the content types and
# permissions of new models.
GROWING = {"django_migrations", "django_content_type", "auth_permission", "auth_group_permissions",
           # the group of a new role (expert), made with the roles' permissions after the migrations
           "auth_group",
           # measures.0005_catalogue_to_the_letter: 26-1's kinds of units, and the kind 其他单位.
           "measures_incentivecategory_subject_kinds", "measures_measure_subject_kinds", "organisation_unitkind"}
# Columns an upgrade corrects, every other column kept: measures.0005 puts the notice's words in the catalogue and,
# first, freezes the awards of the years published without their frozen values (as they read before).
CORRECTED = {
    "measures_incentivecategory": {"description", "support_forms"},
    "measures_measure": {"support_forms"},
    "reviews_award": {"published_measure_number", "published_measure_title", "published_category_name",
                      "published_category_description", "published_support_forms", "published_support_text",
                      "published_unit_name", "published_division_order"},
}


def released_migrations(version: str) -> dict[str, str]:
    """app → its last migration in ``version``, from the released migrations' manifest."""
    last, current = {}, None
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
        elif line.strip() and current == version:
            path = Path(line.split(maxsplit=1)[1].strip())
            app, name = path.parts[0], path.stem
            last[app] = max(last.get(app, name), name)
    return last


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE", "DJANGO_ALLOW_ASYNC_UNSAFE",
                                "CELERY_BROKER_URL", "CACHE_URL"}}
    # The embedded default, as ./run.sh runs it, on the restored database. The kept passwords were set when it was
    # built: they must not count as expired however old the kept database grows.
    environment.update(DATABASE_URL=database_url, APP_ENV="development", PASSWORD_MAX_AGE_DAYS="36500",
                       MEDIA_ROOT=str(ROOT / "var" / "upgrade-media"))
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"manage.py {' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}"
    return result


# What the upgraded database must answer, run by this code against it (``manage.py shell``): the statistics'
# tallies stored for every published year are the ones the application counts; init runs clean; migrate again has
# nothing to do; the demo accounts sign in and their pages answer; the admin's footer says the version.
AFTER_UPGRADE = """
import io, json, re
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.test.utils import setup_test_environment
from incentives import __version__
from nominations.models import Cycle
from reviews.models import StatisticsTally
from reviews.selectors.public import statistics_tally_rows

def figures(rows):
    return sorted((t.kind, t.subject_id, t.first, t.second, t.third) for t in rows)

tallies = {c.year: figures(StatisticsTally.objects.filter(cycle=c)) == figures(statistics_tally_rows(c))
           for c in Cycle.objects.filter(state="published")}
init, again = io.StringIO(), io.StringIO()
call_command("init", stdout=init)
call_command("migrate", interactive=False, stdout=again)
setup_test_environment()
pages = {}
with transaction.atomic():  # the sign-ins leave no trace (sessions, audit records, last sign-in) to compare
    for username, path in [("water", "/nominations/"), ("admin", "/admin/")]:
        client = Client()
        signed_in = client.login(username=username, password=%(password)r)
        response = client.get(path)
        pages[username] = [signed_in, response.status_code]
        if username == "admin":
            footer = re.search('class="admin-version">[^<]*' + re.escape(__version__) + "<", response.content.decode()) is not None
    transaction.set_rollback(True)
print(json.dumps({"tallies": tallies, "init": init.getvalue(), "again": again.getvalue(), "pages": pages,
                  "footer": footer}))
""" % {"password": DEMO_PASSWORD}


# Apps the previous release did not have: back to nothing first (an app that depends on none of the others' new
# migrations is not taken back by theirs).
NEW_APPS = ("api", "evaluation")


def rollback_script(targets: dict[str, str]) -> str:
    # The apps whose migrations depend on others' go back first.
    order = sorted(targets, key=lambda app: ["reviews", "nominations", "measures", "security", "organisation"].index(app))
    calls = "".join(f"call_command('migrate', {app!r}, 'zero', interactive=False, verbosity=0)\n"
                    for app in NEW_APPS if app not in targets)
    calls += "".join(f"call_command('migrate', {app!r}, {targets[app]!r}, interactive=False, verbosity=0)\n"
                     for app in order)
    return "from django.core.management import call_command\n" + calls + "print('rolled back')\n"


# --- reading a database through plain SQL -------------------------------------------------------------------


class SQLite:
    def __init__(self, path: Path):
        self.path = path

    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def query(self, sql: str, params=()) -> list[tuple]:
        connection = sqlite3.connect(self.path)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def tables(self) -> dict[str, list[str]]:
        names = [n for (n,) in self.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: [row[1] for row in self.query(f'PRAGMA table_info("{n}")')] for n in names}


class PostgreSQL:
    def __init__(self, url: str):
        self._url = url

    def url(self) -> str:
        return self._url

    def query(self, sql: str, params=()) -> list[tuple]:
        import psycopg2

        connection = psycopg2.connect(self._url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def tables(self) -> dict[str, list[str]]:
        columns: dict[str, list[str]] = {}
        for table, column in self.query("SELECT c.table_name, c.column_name FROM information_schema.columns c "
                                        "JOIN information_schema.tables t USING (table_schema, table_name) "
                                        "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
                                        "ORDER BY c.table_name, c.ordinal_position"):
            columns.setdefault(table, []).append(column)
        return columns


def snapshot(database) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table: its columns and its rows (sorted, so two readings compare whatever the order on disk)."""
    result = {}
    for table, columns in database.tables().items():
        selected = ", ".join(f'"{c}"' for c in columns)
        rows = database.query(f'SELECT {selected} FROM "{table}"')
        result[table] = (columns, sorted(rows, key=repr))
    return result


# Columns an upgrade encrypts (organisation.crypto, SM4-GCM): the same values once decrypted, never in plain text.
ENCRYPTED = {"reviews_objection": ("name", "contact", "email")}


def _decrypted(table: str, columns: list[str], rows: list[tuple]) -> list[tuple]:
    from incentives import crypto

    positions = [i for i, c in enumerate(columns) if c in ENCRYPTED.get(table, ())]
    result = []
    for row in rows:
        row = list(row)
        for i in positions:
            if row[i]:
                assert crypto.is_encrypted(row[i]), f"{table}.{columns[i]} holds plain text after the upgrade"
                row[i] = crypto.decrypt(row[i], context=f"{table}.{columns[i]}")
        result.append(tuple(row))
    return result


def assert_kept(before: dict, database, *, encrypted: bool = False) -> None:
    """Every table of ``before`` is in ``database`` with every row, the same values in every column still there,
    and (but for ``GROWING``) no other row. ``encrypted``: the columns of ``ENCRYPTED`` hold the same values
    encrypted."""
    after = database.tables()
    missing_tables = sorted(set(before) - set(after))
    assert not missing_tables, f"tables of {PREVIOUS} gone: {missing_tables}"
    problems = []
    for table, (columns, rows) in before.items():
        lost = [c for c in columns if c not in after[table]]
        if lost:
            problems.append(f"{table}: columns gone {lost}")
        kept = [i for i, c in enumerate(columns) if c in after[table] and c not in CORRECTED.get(table, ())]
        selected = ", ".join(f'"{columns[i]}"' for i in kept)
        now = database.query(f'SELECT {selected} FROM "{table}"')
        if encrypted:
            now = _decrypted(table, [columns[i] for i in kept], now)
        now = sorted(now, key=repr)
        then = sorted((tuple(row[i] for i in kept) for row in rows), key=repr)
        if table in GROWING:
            remaining = list(now)
            absent = []
            for row in then:
                if row in remaining:
                    remaining.remove(row)
                else:
                    absent.append(row)
            if absent:
                problems.append(f"{table}: {len(absent)} rows lost or changed, e.g. {absent[0]}")
        elif now != then:
            changed = [row for row in then if row not in now]
            problems.append(f"{table}: {len(then)} rows before, {len(now)} after; lost or changed: {changed[:2]}")
    assert not problems, "the upgrade changed the data of " + PREVIOUS + ":\n" + "\n".join(problems)


def assert_every_table_has_rows(before: dict) -> None:
    empty = [table for table, (_, rows) in before.items() if not rows]
    assert not empty, f"the kept {PREVIOUS} database has empty tables (rebuild it): {empty}"


# --- the upgrade itself, on either database -----------------------------------------------------------------


def upgrade_and_roll_back(database) -> dict:
    before = snapshot(database)
    assert_every_table_has_rows(before)
    previous_migrations = {tuple(r) for r in database.query("SELECT app, name FROM django_migrations")}

    # The operator's step: this code's migrate.
    migrated = manage(database.url(), "migrate", "--noinput")
    assert "Applying reviews.0003_statistics_tally_fill... OK" in migrated.stdout, migrated.stdout
    assert "Applying reviews.0006_objection_personal_data_encrypted... OK" in migrated.stdout, migrated.stdout
    assert_kept(before, database, encrypted=True)
    # The catalogue corrected, the published years frozen as they read before.
    forms = database.query("SELECT support_forms FROM measures_incentivecategory WHERE code = '2'")[0][0]
    assert (json.loads(forms) if isinstance(forms, str) else forms) == ["funding", "platform_building", "publicity"]
    assert not database.query("SELECT a.id FROM reviews_award a JOIN nominations_cycle c ON c.id = a.cycle_id "
                              "WHERE c.state = 'published' AND a.published_unit_name = ''")
    objectors = database.query("SELECT name, contact, email FROM reviews_objection")
    assert objectors and all(v.startswith("sm4gcm:") for row in objectors for v in row if v), objectors

    # The new column and tables, filled as their migrations say.
    finance = database.query(
        "SELECT p.code, b.short_name FROM organisation_programme p "
        "LEFT JOIN organisation_bureau b ON b.id = p.finance_bureau_id ORDER BY p.id")
    assert finance and all(short_name == "市财政局" for _, short_name in finance), finance
    published = {pk for (pk,) in database.query("SELECT id FROM nominations_cycle WHERE state = 'published'")}
    assert published, f"the kept {PREVIOUS} database has no published year to tally"
    tallied = {pk for (pk,) in database.query("SELECT cycle_id FROM reviews_statisticstally WHERE kind = 'year'")}
    assert tallied == published
    applied = {tuple(r) for r in database.query("SELECT app, name FROM django_migrations")}
    assert ("organisation", "0005_programme_finance_bureau") in applied - previous_migrations
    # The earlier records are chained by the migration (organisation.0007_audit_chain), in id order.
    records = len(before["organisation_auditentry"][1])
    verified = manage(database.url(), "verify_audit").stdout
    assert verified.startswith(f"OK: {records} audit records verified, chain positions 1–{records}"), verified

    # Start-up on the upgraded database: the tallies are the application's own figures, init is clean, migrate
    # again does nothing, the demo accounts sign in.
    report = json.loads(manage(database.url(), "shell", "-c", AFTER_UPGRADE).stdout.strip().splitlines()[-1])
    assert report["tallies"] and all(report["tallies"].values()), report["tallies"]
    assert "Ready." in report["init"], report["init"]
    assert "No migrations to apply." in report["again"], report["again"]
    assert report["pages"] == {"water": [True, 200], "admin": [True, 200]}, report["pages"]
    assert report["footer"], "the admin's footer does not say the version"
    assert_kept(before, database, encrypted=True)

    # Rollback: each app back to its last 0.1.0 migration (every migration of 0.2.0 is reversible).
    targets = released_migrations(PREVIOUS)
    assert manage(database.url(), "shell", "-c", rollback_script(targets)).stdout.strip().endswith("rolled back")
    assert "reviews_statisticstally" not in database.tables()
    assert "finance_bureau_id" not in database.tables()["organisation_programme"]
    assert "personal_data_removed_at" not in database.tables()["reviews_objection"]
    assert {tuple(r) for r in database.query("SELECT app, name FROM django_migrations")} == previous_migrations
    assert_kept(before, database)
    return before


def test_released_migrations_are_known():
    assert released_migrations(PREVIOUS) == {
        "organisation": "0004_audit_indexes", "security": "0001_initial", "measures": "0002_programme",
        "nominations": "0002_programme", "reviews": "0001_initial"}


def test_upgrade_from_previous_release_sqlite(tmp_path):
    path = tmp_path / "incentives-0.1.0.sqlite3"
    with gzip.open(KEPT / "db.sqlite3.gz") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)
    before = upgrade_and_roll_back(SQLite(path))
    assert len(before["organisation_auditentry"][1]) > 100


@pytest.fixture
def previous_postgresql():
    """A new PostgreSQL database (a unique name on the test run's server) holding the kept dump; dropped after."""
    from django.db import connection

    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://… (the PostgreSQL pass)"
    assert shutil.which("psql"), "psql is missing: install postgresql-client (./test.sh does)"
    import psycopg2

    server = settings.DATABASES["default"]
    params = {"user": server["USER"], "password": server["PASSWORD"], "host": server["HOST"] or "127.0.0.1",
              "port": server["PORT"] or 5432}
    name = f"incentives_upgrade_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        password = f":{params['password']}" if params["password"] else ""
        url = f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"
        with gzip.open(KEPT / "db.postgresql.sql.gz") as dump:
            restored = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input=dump.read(),
                                      capture_output=True, timeout=120)
        assert restored.returncode == 0, restored.stderr.decode()
        yield PostgreSQL(url)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_upgrade_from_previous_release_postgresql(previous_postgresql):
    before = upgrade_and_roll_back(previous_postgresql)
    assert len(before["organisation_auditentry"][1]) > 100
