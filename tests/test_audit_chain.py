"""An audit trail no one can rewrite unseen: every record chained to the one before it by HMAC-SM3 with a key the
database never holds; verify_audit names the first record changed, removed or reordered; the archive keeps the
chain across its files. On PostgreSQL the application's role may only add and read audit records."""

import datetime
import hashlib
import hmac
import json
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from organisation import audit_chain
from organisation.audit import audit_record, chain_pending
from organisation.models import AuditEntry
from tests.helpers import audit_sql_as_owner, run_manage

pytestmark = pytest.mark.django_db
TABLE = AuditEntry._meta.db_table


def record(message="", days_ago=0, data=None):
    """One audit record, ``days_ago`` old, chained as its commit would chain it (a test's transaction never
    commits: on PostgreSQL the step a commit runs first is run here; SQLite chains as it writes)."""
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    with transaction.atomic(), mock.patch.object(timezone, "now", return_value=moment):
        entry = audit_record(actor=None, action="audit.exported", target=ContentType.objects.get_for_model(AuditEntry),
                             message=message, data=data)
        if connection.vendor == "postgresql":
            chain_pending()
    entry.refresh_from_db()
    return entry


def verify(*args) -> str:
    out = []
    call_command("verify_audit", *args, stdout=mock.Mock(write=out.append))
    return "".join(out)


# --- the chain ---------------------------------------------------------------------------------------------------

def test_each_record_is_chained_to_the_one_before_with_hmac_sm3():
    first, second = record("one", data={"n": (1, 2)}), record("two")
    assert second.chain_seq == first.chain_seq + 1
    key = settings.AUDIT_CHAIN_KEY.encode()
    stored = AuditEntry.objects.get(pk=second.pk)
    canonical = json.dumps([stored.chain_seq, "1", stored.pk, audit_chain.utc_text(stored.at), None, "audit.exported",
                            "contenttypes.contenttype", stored.target_id, stored.target_repr, "two", {}],
                           separators=(",", ":"), ensure_ascii=False).encode()
    assert stored.chain == hmac.new(key, first.chain.encode() + b"\n" + canonical, "sm3").hexdigest()
    assert AuditEntry.objects.get(pk=first.pk).data == {"n": [1, 2]}, "the chain covers the data as stored"


def test_verify_audit_says_ok_with_the_count():
    for n in range(5):
        record(f"r{n}")
    output = verify()
    assert output.startswith(f"OK: {AuditEntry.objects.count()} audit records verified"), output
    assert AuditEntry.objects.order_by("-id").first().chain in output


def test_verify_audit_finds_a_record_changed_directly_in_sql():
    entries = [record(f"r{n}") for n in range(4)]
    audit_sql_as_owner(f"UPDATE {TABLE} SET message = 'rewritten' WHERE id = %s", [entries[2].pk])
    with pytest.raises(CommandError, match=rf"record {entries[2].pk} .*it was changed.*\[changed\]"):
        verify()


def test_verify_audit_finds_a_record_removed():
    entries = [record(f"r{n}") for n in range(4)]
    audit_sql_as_owner(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError, match=rf"record {entries[2].pk} .*positions {entries[1].chain_seq}.* are missing"
                                           r".*\[removed\]"):
        verify()


def test_verify_audit_finds_two_records_swapped():
    """The trail is read in chain order: two records that trade places (their ids, or their positions) no longer
    match their chain values."""
    entries = [record(f"r{n}") for n in range(4)]
    a, b = entries[1].pk, entries[2].pk
    for column, first, second, aside in (("id", a, b, -1), ("chain_seq", entries[1].chain_seq, entries[2].chain_seq, 0)):
        swap = [(aside, first), (first, second), (second, aside)]
        for to, where in swap:
            audit_sql_as_owner(f"UPDATE {TABLE} SET {column} = %s WHERE {column} = %s", [to, where])
        with pytest.raises(CommandError, match=rf"record \d+ \(chain position {entries[1].chain_seq}\) does not "
                                               rf"match its chain value.*\[changed\]"):
            verify()
        for to, where in swap:
            audit_sql_as_owner(f"UPDATE {TABLE} SET {column} = %s WHERE {column} = %s", [to, where])
    assert verify().startswith("OK")


def test_a_chain_value_made_without_the_key_does_not_verify():
    entries = [record(f"r{n}") for n in range(3)]
    previous = entries[0].chain
    fields = {"chain_seq": entries[1].chain_seq, "chain_key": "1", "id": entries[1].pk, "at": entries[1].at,
              "actor_id": None, "action": "audit.exported", "target_type": "contenttypes.contenttype",
              "target_id": entries[1].target_id, "target_repr": entries[1].target_repr, "data": {}, "message": "forged"}
    guessed = audit_chain.link(b"another key", previous, fields)
    audit_sql_as_owner(f"UPDATE {TABLE} SET message = 'forged', chain = %s WHERE id = %s", [guessed, entries[1].pk])
    with pytest.raises(CommandError, match=rf"record {entries[1].pk} .*\[changed\]"):
        verify()


def test_records_of_an_earlier_key_verify_with_it_after_a_rotation(settings):
    old = record("before the rotation")
    settings.AUDIT_CHAIN_PREVIOUS_KEYS = {"1": settings.AUDIT_CHAIN_KEY}
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_KEY_ID = "a-new-key-of-32-or-more-characters-0123", "2"
    new = record("after the rotation")
    assert (old.chain_key, new.chain_key) == ("1", "2")
    assert verify().startswith("OK")
    settings.AUDIT_CHAIN_PREVIOUS_KEYS = {}
    with pytest.raises(CommandError, match=r"key id '1', which is not configured"):
        verify()


def test_production_refuses_to_start_without_the_chain_key():
    from tests.helpers import PRODUCTION

    environment = {k: v for k, v in PRODUCTION.items() if k != "AUDIT_CHAIN_KEY"}
    result = run_manage("check", **environment)
    assert result.returncode != 0 and "AUDIT_CHAIN_KEY must be set in production" in result.stderr
    result = run_manage("check", **{**PRODUCTION, "AUDIT_CHAIN_KEY": "replace-with-a-long-random-key-0123456789"})
    assert result.returncode != 0 and "AUDIT_CHAIN_KEY is still the placeholder" in result.stderr


def test_python_and_cryptography_provide_sm3_hmac_sm3_and_sm4():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    assert hashlib.new("sm3", b"abc").hexdigest() == \
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905-2016, example 1
    assert len(hmac.new(b"k", b"m", "sm3").digest()) == 32
    # GB/T 32907-2016, example 1: SM4 of 0123456789abcdeffedcba9876543210 under the same key.
    block = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encrypted = Cipher(algorithms.SM4(block), modes.ECB()).encryptor().update(block)
    assert encrypted.hex() == "681edf34d206965e86b3e94f536e4246"
    from security.checks import sm3_available

    assert sm3_available() == []


# --- the archive keeps the chain ---------------------------------------------------------------------------------

def archive(*args):
    """``manage.py archive_audit``, and the step its commit runs (see ``record``)."""
    call_command("archive_audit", *args, stdout=mock.Mock())
    if connection.vendor == "postgresql":
        chain_pending()


def test_the_archive_keeps_the_chain_across_two_runs(tmp_path):
    oldest = [record(f"500 days {n}", days_ago=500) for n in range(2)]
    older = [record(f"300 days {n}", days_ago=300) for n in range(2)]
    young = record("recent", days_ago=10)
    today = timezone.localdate()
    first, second = tmp_path / "audit-1.jsonl", tmp_path / "audit-2.jsonl"
    archive("--before", (today - datetime.timedelta(days=400)).isoformat(), "--output", str(first))
    archive("--before", (today - datetime.timedelta(days=200)).isoformat(), "--output", str(second))
    assert [json.loads(line)["id"] for line in first.read_text().splitlines()] == [e.pk for e in oldest]
    assert [json.loads(line)["id"] for line in second.read_text().splitlines()] == [e.pk for e in older]
    assert AuditEntry.objects.filter(pk=young.pk).exists()

    digests = [(path.with_name(path.name + ".digests")).read_text() for path in (first, second)]
    assert "chain_previous 0 -" in digests[0]
    assert f"chain_last {oldest[-1].chain_seq} {oldest[-1].chain}" in digests[0]
    assert f"chain_previous {oldest[-1].chain_seq} {oldest[-1].chain}" in digests[1], "the second goes on from the first"
    assert verify("--archive", str(first)).startswith(f"OK: {first}: 2 audit records")
    assert verify("--archive", str(second)).startswith(f"OK: {second}: 2 audit records")
    # The database's first record chains on from the last archived one: from the audit.archived record, or a file.
    assert verify().startswith("OK")
    assert "starting after position" in verify("--from-archive", str(second))
    with pytest.raises(CommandError, match=r"\[removed\]"):
        verify("--from-archive", str(first))

    lines = first.read_text().splitlines()
    first.write_text("\n".join([lines[0].replace("500 days 0", "500 days X"), *lines[1:]]) + "\n")
    with pytest.raises(CommandError, match="does not match the digests"):
        verify("--archive", str(first))


def test_the_archive_refuses_a_broken_chain_and_deletes_nothing(tmp_path):
    entries = [record(f"old {n}", days_ago=400) for n in range(3)]
    audit_sql_as_owner(f"UPDATE {TABLE} SET message = 'rewritten' WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError, match=rf"chain is broken at record {entries[1].pk}"):
        call_command("archive_audit", "--before", (timezone.localdate() - datetime.timedelta(days=200)).isoformat(),
                     "--output", str(tmp_path / "a.jsonl"))
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).count() == 3
    assert not list(tmp_path.iterdir())


def _database_url() -> str:
    server = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{server['NAME']}"
    password = f":{server['PASSWORD']}" if server["PASSWORD"] else ""
    return f"postgres://{server['USER']}{password}@{server['HOST'] or '127.0.0.1'}:{server['PORT'] or 5432}/{server['NAME']}"


# --- PostgreSQL: the application's role ----------------------------------------------------------------------------

@pytest.fixture
def app_role(transactional_db):
    """A role made by grant_app_role on the test database, and a connection as it (psycopg2, autocommit)."""
    import psycopg2

    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL=postgres://…)"
    name = f"incentives_app_{uuid.uuid4().hex[:10]}"
    call_command("grant_app_role", role=name, stdout=mock.Mock())
    server = settings.DATABASES["default"]
    app = psycopg2.connect(dbname=server["NAME"], user=name, host=server["HOST"] or "127.0.0.1",
                           port=server["PORT"] or 5432)
    app.autocommit = True
    try:
        yield name, app
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')


REFUSED = {
    "update": [f"UPDATE {TABLE} SET message = 'rewritten'"],
    "delete": [f"DELETE FROM {TABLE}"],
    "truncate": [f"TRUNCATE {TABLE}"],
    "disable trigger": [f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL"],
    "pgtrigger.ignore": ["SELECT set_config('pgtrigger.ignore', '{{{triggers}}}', false)",
                         f"UPDATE {TABLE} SET message = 'rewritten'"],
    "replica": ["SET session_replication_role = replica", f"DELETE FROM {TABLE}"],
}


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", list(REFUSED))
def test_the_application_role_cannot_rewrite_the_audit_trail(app_role, attempt):
    import psycopg2

    entry = record("kept")
    _, app = app_role
    with app.cursor() as cursor:
        with pytest.raises(psycopg2.Error):
            for statement in REFUSED[attempt]:
                cursor.execute(statement.replace("{{{triggers}}}", "{" + ",".join(_trigger_names()) + "}"))
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.message == "kept" and verify().startswith("OK")


@pytest.mark.postgres
def test_the_application_role_adds_and_reads_records_and_verifies_the_chain(app_role):
    name, app = app_role
    record("by the owner")
    with app.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)
    server = settings.DATABASES["default"]
    url = f"postgres://{name}@{server['HOST'] or '127.0.0.1'}:{server['PORT'] or 5432}/{server['NAME']}"
    script = ("from django.db import transaction\nfrom django.contrib.contenttypes.models import ContentType\n"
              "from organisation.audit import audit_record\n"
              "with transaction.atomic():\n"
              "    audit_record(actor=None, action='audit.exported', target=ContentType.objects.first())\n"
              "from django.core.management import call_command\ncall_command('verify_audit')\n")
    result = run_manage("shell", "-c", script, DATABASE_URL=url, APP_ENV="test")
    assert result.returncode == 0, result.stderr
    assert "OK: 2 audit records verified" in result.stdout
    check = run_manage("check", "--deploy", DATABASE_URL=url, APP_ENV="test")
    assert "security.W101" not in check.stdout + check.stderr


@pytest.mark.postgres
def test_the_ignore_variable_is_honoured_for_the_owner_only(app_role):
    """A role given UPDATE on the audit table by mistake is still refused, whatever pgtrigger.ignore says."""
    import psycopg2

    name, app = app_role
    entry = record("kept")
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE ON {TABLE} TO "{name}"')
    with app.cursor() as cursor, pytest.raises(psycopg2.Error, match="audit records cannot be changed"):
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)",
                       ["{" + ",".join(_trigger_names()) + "}"])
        cursor.execute(f"UPDATE {TABLE} SET message = 'rewritten'")
    assert AuditEntry.objects.get(pk=entry.pk).message == "kept"


@pytest.mark.postgres
def test_grant_app_role_runs_again_without_harm_and_refuses_the_owner(app_role):
    name, _ = app_role
    call_command("grant_app_role", role=name, stdout=mock.Mock())
    with pytest.raises(CommandError, match="the tables' owner"):
        call_command("grant_app_role", role=settings.DATABASES["default"]["USER"], stdout=mock.Mock())


@pytest.mark.postgres
def test_the_deploy_check_warns_when_the_application_connects_as_the_owner():
    result = run_manage("check", "--deploy", DATABASE_URL=_database_url(), APP_ENV="test")
    assert "security.W101" in result.stdout + result.stderr


def _trigger_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        return [name for (name,) in cursor.fetchall()]


# --- chained at commit --------------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_waiting_for_a_row_after_its_record_does_not_deadlock_with_the_holder():
    """The load run's deadlock, in two threads: ``first`` records, then waits for a row ``second`` holds;
    ``second`` records while holding it, then commits. When the chain's lock was taken by audit_record and held to
    the commit, each waited for the other and PostgreSQL aborted one. Chained at commit, both commit: ``second``
    first, so its record takes the earlier position though its id is the later one, and the chain verifies."""
    import threading

    from django.db import connections

    target = ContentType.objects.get_for_model(AuditEntry)
    held, recorded = threading.Event(), threading.Event()
    ids, errors = {}, []

    def run(name, steps):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '10s'")
            with transaction.atomic():
                steps()
        except Exception as error:  # reported by the assertion below
            errors.append((name, error))
            held.set(), recorded.set()
        finally:
            connections.close_all()

    def first():
        held.wait(10)
        ids["first"] = audit_record(actor=None, action="audit.exported", target=target, message="first").pk
        recorded.set()
        ContentType.objects.select_for_update().get(pk=target.pk)  # waits until ``second`` commits

    def second():
        ContentType.objects.select_for_update().get(pk=target.pk)
        held.set()
        recorded.wait(10)
        ids["second"] = audit_record(actor=None, action="audit.exported", target=target, message="second").pk
        threading.Event().wait(0.3)  # ``first`` is now waiting for the row

    threads = [threading.Thread(target=run, args=(name, steps)) for name, steps in (("first", first), ("second", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    first_entry, second_entry = (AuditEntry.objects.get(pk=ids[name]) for name in ("first", "second"))
    assert first_entry.pk < second_entry.pk and second_entry.chain_seq + 1 == first_entry.chain_seq
    assert verify().startswith("OK")
