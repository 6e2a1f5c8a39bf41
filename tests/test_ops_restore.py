"""The documented restore as an operator runs it (deploy/README.md, *Backups*; deploy/runbooks/restore.md), each step
a `manage.py` process of its own: a brand-new database is migrated (`manage.py migrate`); a copy of it prepared by
`manage.py init` (as the compose file's `migrate` service does at every start) becomes a deployment in use (rows in
many tables, files in MEDIA_ROOT), which is backed up (`manage.py backup`); the backup is restored
(`manage.py restore`) into the migrated database and into another copy that `init` prepared. Every row of every
table, read with plain SQL (sqlite3, psycopg2, never through Django), and every media file, by SHA-256, is then the
same as in the deployment backed up; only the sessions are not carried over. Restoring again over a restored
database (it now holds data) is refused, naming the tables; with `--replace` it goes through.

SQLite: new database files. PostgreSQL: new databases with unique names, dropped afterwards."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from django.apps import apps

from .helpers import ROOT

SERVER = "postgres://postgres@127.0.0.1:5432"
FILL = "import django; django.setup(); from tests.backup_data import fill; fill()"


class Deployment:
    """A database and a MEDIA_ROOT, and the environment its processes run with (the development settings)."""

    def __init__(self, url: str, media: Path):
        self.url, self.media = url, media

    def environment(self) -> dict:
        removed = {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE",
                   "PYTHONPATH", "MEDIA_ROOT", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_HOST"}
        environment = {k: v for k, v in os.environ.items() if k not in removed}
        environment.update(APP_ENV="development", DATABASE_URL=self.url, MEDIA_ROOT=str(self.media),
                           DJANGO_SETTINGS_MODULE="incentives.settings",
                           PYTHONPATH=str(ROOT), EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
        return environment

    def run(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *command], cwd=ROOT, env=self.environment(), capture_output=True,
                              text=True, timeout=300)

    def manage(self, *args: str) -> str:
        result = self.run("manage.py", *args)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def python(self, code: str) -> None:
        result = self.run("-c", code)
        assert result.returncode == 0, result.stdout + result.stderr

    def files(self) -> dict[str, str]:
        return {p.relative_to(self.media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.media.rglob("*")) if p.is_file()}


class SQLiteDeployment(Deployment):
    def __init__(self, path: Path):
        super().__init__(f"sqlite:///{path}", path.with_suffix(".media"))
        self.path = path

    def connect(self):
        return closing(sqlite3.connect(self.path))

    def tables(self, cursor) -> list[str]:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return sorted(row[0] for row in cursor.fetchall())

    def copy_for(self, name: str) -> "SQLiteDeployment":
        """A copy of this database as it is now (a new file beside it), with its own empty MEDIA_ROOT."""
        path = self.path.with_name(f"{name}.sqlite3")
        with self.connect() as connection, closing(sqlite3.connect(path)) as copy:
            connection.backup(copy)  # the write-ahead log included
        return SQLiteDeployment(path)


class PostgresDeployment(Deployment):
    def __init__(self, name: str, media: Path, created: list[str]):
        super().__init__(f"{SERVER}/{name}", media)
        self.name, self.created = name, created

    @staticmethod
    def create(name: str, media: Path, created: list[str], template: str | None = None) -> "PostgresDeployment":
        import psycopg2

        with closing(psycopg2.connect(f"{SERVER}/postgres")) as admin:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        created.append(name)
        return PostgresDeployment(name, media, created)

    def connect(self):
        import psycopg2

        return closing(psycopg2.connect(self.url))

    def tables(self, cursor) -> list[str]:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return sorted(row[0] for row in cursor.fetchall())

    def copy_for(self, name: str) -> "PostgresDeployment":
        """A copy of this database as it is now (a new database made from it), with its own empty MEDIA_ROOT."""
        return PostgresDeployment.create(f"{self.name}_{name}", self.media.with_name(f"{name}.media"), self.created,
                                         template=self.name)


def link_tables() -> set[str]:
    """The tables of many-to-many links (a user's groups, a programme's reviewers ...): a dump holds each link as
    the pair it joins, as Django serializes them, not the link row's own id, which nothing refers to."""
    return {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.auto_created}


def contents(deployment: Deployment) -> dict[str, list]:
    """Every row of every table through plain SQL, sorted; the applied migrations by name only (their times are
    those of each database's own `migrate`), the links without their own id."""
    links = link_tables()
    with deployment.connect() as connection:
        cursor = connection.cursor()
        rows = {}
        for table in deployment.tables(cursor):
            if table == "django_migrations":
                cursor.execute('SELECT app, name FROM "django_migrations"')
            else:
                cursor.execute(f'SELECT * FROM "{table}"')
            found = [tuple(row) for row in cursor.fetchall()]
            if table in links:
                columns = [column[0] for column in cursor.description]
                found = [tuple(v for c, v in zip(columns, row, strict=True) if c != "id") for row in found]
            rows[table] = sorted(found, key=repr)
        return rows


def assert_same(before: dict[str, list], after: dict[str, list]) -> None:
    assert set(after) == set(before)
    for table, rows in before.items():
        if table == "django_session":
            continue
        assert len(after[table]) == len(rows), table
        for old, new in zip(rows, after[table], strict=True):
            assert new == old, table


def operator_restores(new_database, tmp_path: Path) -> None:
    # The documented sequence begins: createdb (a new database) → migrate. Two copies of it as it is now: one that
    # `init` prepares (the compose file runs it at every start), and from that one, the deployment in use.
    target = new_database("migrated")
    target.manage("migrate")
    initialised = target.copy_for("initialised")
    assert "Loaded the organisation" in initialised.manage("init")
    source = initialised.copy_for("source")
    source.python(FILL)
    before, files = contents(source), source.files()
    filled = [table for table, rows in before.items() if rows]
    assert len(filled) >= 30, filled
    assert before["django_session"], "the deployment has someone signed in"
    assert {"reviews_bulletin", "nominations_evidence", "organisation_auditentry", "organisation_outboxmessage",
            "otp_totp_totpdevice", "otp_static_statictoken", "measures_implementationrules",
            "reviews_objection"} <= set(filled)
    with source.connect() as connection:  # the objector's data: encrypted in the database, and so in the backup
        cursor = connection.cursor()
        cursor.execute("SELECT name, contact, email FROM reviews_objection")
        assert all(value.startswith("sm4gcm:") for value in cursor.fetchone())
    assert len(files) >= 4 and any(name.endswith(".ofd") for name in files), files
    backup = tmp_path / "backup"
    assert "Backed up" in source.manage("backup", "--output", str(backup))
    dump = (backup / "database.jsonl").read_text(encoding="utf-8")
    assert "2025-BACKUP01" in dump and "陈明" not in dump and "13812345678" not in dump

    # … → restore, into the migrated database.
    output = target.manage("restore", str(backup))
    assert "Restored" in output and "everyone signs in again" in output, output
    after = contents(target)
    assert_same(before, after)
    assert after["django_session"] == [], "sessions are not carried over"
    assert target.files() == files

    # Into the database `init` prepared: what init made is replaced without a word, and the next start's init
    # changes nothing.
    output = initialised.manage("restore", str(backup))
    assert "Restored" in output and "Replaced" not in output, output
    assert_same(before, contents(initialised))
    assert initialised.files() == files
    assert "Ready." in initialised.manage("init")
    assert_same(before, contents(initialised))

    # Over a database holding data (the restored one): refused, naming each table and its rows; nothing changes.
    people, audit = f"auth.User: {len(after['auth_user'])}", f"AuditEntry: {len(after['organisation_auditentry'])}"
    refused = target.run("manage.py", "restore", str(backup))
    assert refused.returncode != 0
    assert "The database is not empty (" in refused.stderr and people in refused.stderr, refused.stderr
    assert f"organisation.{audit}" in refused.stderr and "--replace" in refused.stderr, refused.stderr
    assert contents(target) == after

    # With --replace it is replaced; a file the backup does not have is left in place, and said so.
    (target.media / "late.txt").write_text("x")
    output = target.manage("restore", "--replace", str(backup))
    assert "Replaced (deleted) the rows this database held: " in output and people in output, output
    assert "1 file(s) in MEDIA_ROOT are not in the backup" in output, output
    assert_same(before, contents(target))
    assert target.files() == {**files, "late.txt": hashlib.sha256(b"x").hexdigest()}


def test_the_documented_restore_on_sqlite(tmp_path):
    operator_restores(lambda name: SQLiteDeployment(tmp_path / f"{name}.sqlite3"), tmp_path)


@pytest.mark.postgres
def test_the_documented_restore_on_postgresql(tmp_path):
    import psycopg2

    created: list[str] = []
    run = uuid.uuid4().hex[:10]

    def new_database(name: str) -> PostgresDeployment:
        return PostgresDeployment.create(f"incentives_restore_{run}_{name}", tmp_path / f"{name}.media", created)

    try:
        operator_restores(new_database, tmp_path)
    finally:
        with closing(psycopg2.connect(f"{SERVER}/postgres")) as admin:
            admin.autocommit = True
            with admin.cursor() as cursor:
                for name in created:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
