"""Helpers shared by several test modules (not a test module itself): running manage.py or a script in a child
process, request bodies that count what is read, threads released together, an admin form's POST data, the query
counts pinned for the admin's pages."""

import datetime
import os
import subprocess
import sys
import threading
from pathlib import Path

from django.db import connections

from nominations.models import Evidence, Nominee

ROOT = Path(__file__).resolve().parent.parent
THREADS = 12


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_ENV", "DEBUG", "DEMO_MODE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def run_django(script: str, **env) -> subprocess.CompletedProcess:
    """Runs ``script`` in a child Python with Django set up from ``env`` (DATABASE_URL and CACHE_URL taken from
    ``env`` only): for a process whose database or mail server is not the test's."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="incentives.settings", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + script], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=120)


UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:1/incentives_unreachable?connect_timeout=2"


PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x9!k2@Lq7#Vz4$Wm8%Rt1^Yp6&Hs3*Jd5(Fg0)Bn-Cv=Xa+Ze_Qw",
    "ALLOWED_HOSTS": "incentives.example.gov.cn",
    "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    "CACHE_URL": "redis://127.0.0.1:6379/8",
    "PERSONAL_DATA_KEYS": "p1:cHJvZHVjdGlvbi1rZXktMQ==",
    "AUDIT_CHAIN_KEY": "k7#Qm2!Vx9@Lr4$Tz8%Wn1^Hp6&Jd3*Fs5",
}


class CountingStream:
    """A request body of ``size`` bytes that is produced only as it is read, and counts what was read."""

    def __init__(self, size: int, prefix: bytes = b""):
        self.size, self.prefix, self.read_bytes = size, prefix, 0

    def _take(self, n: int) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else min(n, self.size - self.read_bytes)
        start = self.read_bytes
        self.read_bytes += n
        head = self.prefix[start:start + n]
        return head + b"0" * (n - len(head))

    def read(self, n=-1):
        return self._take(n)

    def readline(self, n=-1):
        return self._take(n)


def run_together(work, count=THREADS):
    """Run ``work(i)`` in ``count`` threads released at the same instant; return each result or exception."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # noqa: B036 — the test inspects every outcome
            results[index] = error
        finally:
            connections.close_all()  # each thread's own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def admin_form_data(response) -> dict:
    """The POST data an administrator's browser sends back for an admin change form, unchanged."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                queryset = getattr(bound.field, "queryset", None)
                if queryset is not None:  # a browser sends back only the options the select offers
                    value = [v for v in value if queryset.filter(pk=getattr(v, "pk", v)).exists()]
                data[bound.html_name] = [str(getattr(v, "pk", v)) for v in value]
            elif isinstance(value, datetime.datetime):
                data[bound.html_name + "_0"] = value.strftime("%Y-%m-%d")
                data[bound.html_name + "_1"] = value.strftime("%H:%M:%S")
            else:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def snapshot(nomination_list):
    """Everything a failed action must leave exactly as it was."""
    nomination_list.refresh_from_db()
    return (
        nomination_list.state, nomination_list.version, nomination_list.nothing_to_propose,
        list(Nominee.objects.filter(nomination_list=nomination_list).order_by("rank")
             .values_list("rank", "unit_id", "achievements", "figures")),
        sorted(Evidence.objects.filter(nominee__nomination_list=nomination_list).values_list("original_name", "nominee__unit_id")),
    )


# The bound of each page, the same at both sizes. Each counts the session, the user, the roles and the
# permissions first (the admin's own checks).
ADMIN_QUERIES = {
    "admin_units": 9,  # + the programmes, the kinds and the districts (the filters), a count of at most CappedPaginator.cap, the page of units
    "admin_audit": 8,  # + the object types (the filter), a count of at most CappedPaginator.cap, the page
    "audit_trail": 7,  # + the unread notifications, the object types (the form), the capped count, the page
    "admin_lists": 7,  # + the newest cycles (the filter: ten, and the one chosen), a capped count, the page of lists in index order
    "admin_awards": 7,  # + the newest cycles (the filter), a capped count, the page of awards in index order
}


# --- the audit trail as its owner sees it (tests that rewrite records) ------------------------------------------

AUDIT_TRIGGERS = ("organisation.AuditEntry:audit_no_update", "organisation.AuditEntry:audit_no_delete")


def audit_sql_as_owner(statement: str, params=()) -> None:
    """Run ``statement`` on the audit table as its owner can (on PostgreSQL with django-pgtrigger's triggers
    ignored): what verify_audit must find."""
    import contextlib

    from django.db import connection

    ignore = contextlib.nullcontext()
    if connection.vendor == "postgresql":
        import pgtrigger

        ignore = pgtrigger.ignore(*AUDIT_TRIGGERS)
    with ignore, connection.cursor() as cursor:
        cursor.execute(statement, params)


def audit_rechain() -> None:
    """Chain every audit record anew in id order from position 1, as one holding the key could: for tests that
    backdate records (the archive verifies the chain before it deletes)."""
    from django.conf import settings

    from organisation import audit_chain
    from organisation.models import AuditEntry
    from security.archive import database_records

    records = sorted(database_records(), key=lambda record: record["id"])
    key = audit_chain.chain_keys()[settings.AUDIT_CHAIN_KEY_ID]
    audit_sql_as_owner(f"UPDATE {AuditEntry._meta.db_table} SET chain_seq = NULL")
    for record in audit_chain.chained(records, start=None, key_id=settings.AUDIT_CHAIN_KEY_ID, key=key):
        audit_sql_as_owner(f"UPDATE {AuditEntry._meta.db_table} SET chain_seq = %s, chain_key = %s, chain = %s "
                           f"WHERE id = %s", [record["chain_seq"], record["chain_key"], record["chain"], record["id"]])


def audit_backdated(days: int, count: int, user) -> list[int]:
    """``count`` new audit records ``days`` old, and every record before them at least as old (the archive takes
    a prefix of the chain), chained anew."""
    from django.db import transaction
    from django.utils import timezone

    from organisation.audit import audit_record
    from organisation.models import AuditEntry

    ids = []
    with transaction.atomic():
        for n in range(count):
            ids.append(audit_record(actor=user, action="cycle.opened", target=user, message=f"old {days} {n}").pk)
    moment = timezone.now() - datetime.timedelta(days=days)
    audit_sql_as_owner(f"UPDATE {AuditEntry._meta.db_table} SET at = %s WHERE id <= %s AND at > %s",
                       [moment, ids[-1], moment])
    audit_rechain()
    return ids
