"""The audit trail: account events recorded, archive after the retention period with SHA-256 and SM3 digests, the
audit administrator's page and export, the table unchangeable on PostgreSQL; and the Content Security Policy."""

import csv
import datetime
import hashlib
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from organisation import roles
from organisation.audit import audit_record
from organisation.models import AuditEntry
from security.archive import archive_audit
from tests.factories import PASSWORD, make_user
from tests.helpers import PRODUCTION, audit_backdated, run_manage

pytestmark = pytest.mark.django_db
User = get_user_model()


def actions_for(user):
    return list(AuditEntry.objects.filter(target_id=user.pk, target_type__model="user").order_by("id")
                .values_list("action", flat=True))


# --- account events -----------------------------------------------------------------------------------------------

def test_sign_in_sign_out_and_failures_are_recorded(client, clerk_water):
    client.post(reverse("login"), {"username": clerk_water.username, "password": "wrong-password-1"})
    client.post(reverse("login"), {"username": clerk_water.username, "password": PASSWORD})
    client.post(reverse("logout"))
    actions = actions_for(clerk_water)
    assert actions[-3:] == ["account.sign_in_failed", "account.signed_in", "account.signed_out"]
    failed = AuditEntry.objects.get(action="account.sign_in_failed")
    assert failed.actor is None and failed.data["username"] == clerk_water.username
    assert failed.data["address"] == "127.0.0.1"
    signed_in = AuditEntry.objects.get(action="account.signed_in")
    assert signed_in.actor == clerk_water


def test_a_failed_sign_in_of_an_unknown_account_is_recorded(client):
    client.post(reverse("login"), {"username": "nobody-here", "password": "whatever-1A"})
    entry = AuditEntry.objects.get(action="account.sign_in_failed")
    assert entry.data == {"username": "nobody-here", "address": "127.0.0.1", "known_account": False}
    assert entry.target_type.model == "contenttype"


def test_a_lockout_is_recorded_once(client, clerk_water, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(5):
        client.post(reverse("login"), {"username": clerk_water.username, "password": "wrong-password-1"})
    assert AuditEntry.objects.filter(action="account.sign_in_failed").count() == 3, "refused unread once locked"
    lock = AuditEntry.objects.get(action="account.locked_out")
    assert lock.target_id == clerk_water.pk and lock.data["username"] == clerk_water.username


def test_membership_and_permission_changes_are_recorded(clerk_water, bureau):
    from django.contrib.auth.models import Permission

    from organisation import services
    from tests.factories import make_user

    security_admin = make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR)
    membership = services.membership_add(actor=security_admin, user=clerk_water, bureau=bureau("市财政局"))
    services.membership_remove(actor=security_admin, membership=membership)
    clerk_water.user_permissions.add(Permission.objects.get(codename="view_bureau"))
    actions = actions_for(clerk_water)
    assert {"membership.added", "membership.removed", "account.permissions_changed"} <= set(actions)


def test_a_right_on_one_category_given_to_one_person_is_recorded(clerk_forestry, category):
    from guardian.shortcuts import assign_perm, remove_perm

    assign_perm("measures.view_incentivecategory", clerk_forestry, category("6"))
    remove_perm("measures.view_incentivecategory", clerk_forestry, category("6"))
    granted = AuditEntry.objects.get(action="account.object_permission_granted", target_id=clerk_forestry.pk)
    assert granted.data == {"permission": "view_incentivecategory", "category": category("6").pk}
    assert AuditEntry.objects.filter(action="account.object_permission_revoked", target_id=clerk_forestry.pk).exists()


# --- archive ------------------------------------------------------------------------------------------------------

def _backdate(days: int, count: int, user) -> list[int]:
    return audit_backdated(days, count, user)


def test_the_retention_period_cannot_be_shortened_below_180_days():
    result = run_manage("check", AUDIT_RETENTION_DAYS="179")
    assert result.returncode != 0 and "AUDIT_RETENTION_DAYS=179" in result.stderr


def test_archive_refuses_records_younger_than_the_retention_period(tmp_path, clerk_water, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    _backdate(170, 2, clerk_water)
    before = (timezone.now() - datetime.timedelta(days=170)).date()
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        archive_audit(before=before, output=tmp_path / "audit.jsonl")
    assert error.value.code == "too_young"
    with pytest.raises(CommandError, match="kept 180 days"):
        call_command("archive_audit", "--before", before.isoformat(), "--output", str(tmp_path / "audit.jsonl"))
    assert AuditEntry.objects.count() == count
    assert not list(tmp_path.iterdir())


def test_archive_writes_old_records_with_their_digests_then_deletes_them(tmp_path, clerk_water):
    old = _backdate(400, 3, clerk_water)
    young = _backdate(100, 2, clerk_water)
    before = (timezone.now() - datetime.timedelta(days=200)).date()
    output = tmp_path / "audit-2025.jsonl"
    out = io.StringIO()
    call_command("archive_audit", "--before", before.isoformat(), "--output", str(output), stdout=out)
    body = output.read_bytes()
    records = [json.loads(line) for line in body.decode().splitlines()]
    assert [r["id"] for r in records][-3:] == old, "the old records, and every record before them (a prefix)"
    assert records[-1]["action"] == "cycle.opened" and records[-1]["actor"] == clerk_water.username
    sha256, sm3 = hashlib.sha256(body).hexdigest(), hashlib.new("sm3", body).hexdigest()
    digests = (tmp_path / "audit-2025.jsonl.digests").read_text()
    assert f"SHA256 {sha256}  audit-2025.jsonl" in digests and f"SM3 {sm3}  audit-2025.jsonl" in digests
    assert sha256 in out.getvalue() and sm3 in out.getvalue()
    assert not AuditEntry.objects.filter(pk__in=old).exists()
    assert AuditEntry.objects.filter(pk__in=young).count() == 2
    archived = AuditEntry.objects.get(action="audit.archived")
    assert archived.data["count"] == len(records) and archived.data["sha256"] == sha256 and archived.data["sm3"] == sm3


def test_archive_never_overwrites_a_file(tmp_path, clerk_water):
    old = _backdate(400, 1, clerk_water)
    output = tmp_path / "audit.jsonl"
    output.write_text("earlier archive")
    with pytest.raises(ValidationError):
        archive_audit(before=(timezone.now() - datetime.timedelta(days=200)).date(), output=output)
    assert output.read_text() == "earlier archive"
    assert AuditEntry.objects.filter(pk__in=old).exists()


# --- the audit administrator's page -------------------------------------------------------------------------------

@pytest.fixture
def auditor(db):
    return make_user("auditadmin", role=roles.AUDIT_ADMINISTRATOR)


def test_the_audit_page_searches_by_actor_action_object_and_date(client, auditor, clerk_water, reviewer):
    with transaction.atomic():
        audit_record(actor=clerk_water, action="nomination_list.submitted", target=clerk_water, message="list 6")
        audit_record(actor=reviewer, action="nominee.approved", target=reviewer)
    client.force_login(auditor)
    page = client.get(reverse("security:audit"), {"actor": clerk_water.username})
    assert {e.action for e in page.context["page"]} == {"nomination_list.submitted", "account.password_changed"}
    page = client.get(reverse("security:audit"), {"action": "nominee"})
    assert [e.actor for e in page.context["page"]] == [reviewer]
    page = client.get(reverse("security:audit"), {"target": reviewer.username, "action": "nominee"})
    assert len(page.context["page"]) == 1
    today = timezone.localdate()
    page = client.get(reverse("security:audit"), {"since": (today + datetime.timedelta(days=1)).isoformat()})
    assert len(page.context["page"]) == 0
    page = client.get(reverse("security:audit"), {"since": today.isoformat(), "until": today.isoformat()})
    assert len(page.context["page"]) >= 2
    assert client.get(reverse("security:audit"), {"since": "2026-02-30"}).status_code == 400


def test_the_export_is_a_csv_of_the_records_found_and_is_recorded(client, auditor, reviewer):
    with transaction.atomic():
        audit_record(actor=reviewer, action="nominee.approved", target=reviewer, message="=HYPERLINK(1)")
    client.force_login(auditor)
    response = client.post(reverse("security:audit_export"), {"action": "nominee"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "time", "actor", "action"]
    assert [row[3] for row in rows[1:]] == ["nominee.approved"]
    assert rows[1][7] == "'=HYPERLINK(1)", "formula-like cells are neutralised"
    assert AuditEntry.objects.filter(action="audit.exported", actor=auditor).exists()


def test_nobody_else_opens_the_audit_page(client, administrator, reviewer):
    for person in (administrator, reviewer, make_user("secadmin", role=roles.SECURITY_ADMINISTRATOR)):
        client.force_login(person)
        assert client.get(reverse("security:audit")).status_code == 404
        assert client.post(reverse("security:audit_export")).status_code == 404


# --- PostgreSQL: the table refuses UPDATE and DELETE --------------------------------------------------------------

@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_records(clerk_water):
    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL=postgres://…)"
    with transaction.atomic():
        entry = audit_record(actor=clerk_water, action="cycle.opened", target=clerk_water)
    for statement in (lambda: AuditEntry.objects.filter(pk=entry.pk).update(message="changed"),
                      lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
                      lambda: connection.cursor().execute(
                          f"UPDATE {AuditEntry._meta.db_table} SET action = 'x' WHERE id = %s", [entry.pk]),
                      lambda: connection.cursor().execute(
                          f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [entry.pk])):
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
            statement()
    entry.refresh_from_db()
    assert entry.message == "" and entry.action == "cycle.opened"


@pytest.mark.postgres
def test_postgres_archive_still_deletes_old_records(tmp_path, clerk_water):
    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL=postgres://…)"
    old = _backdate(400, 2, clerk_water)
    result = archive_audit(before=(timezone.now() - datetime.timedelta(days=200)).date(), output=tmp_path / "a.jsonl")
    assert result.count >= 2 and not AuditEntry.objects.filter(pk__in=old).exists()
    # And the trigger is back in force afterwards.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()


# --- Content Security Policy and production settings --------------------------------------------------------------

def test_every_page_carries_a_csp_with_a_nonce_and_no_inline_script(client, clerk_water):
    signed_in = client.__class__()
    signed_in.force_login(clerk_water)
    for who, url in ((client, reverse("login")), (signed_in, reverse("nominations:home")),
                     (signed_in, reverse("measures:list")), (client, reverse("results:index"))):
        response = who.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "nonce-" in policy, (url, policy)
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        assert "script-src 'self' 'nonce-" in policy and "object-src 'none'" in policy
        assert "'unsafe-inline'" not in policy
        body = response.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
        assert not re.search(r"\son[a-z]+=", body), "no inline event handler"
    assert client.get(reverse("login"))["Content-Security-Policy"] != policy, "a new nonce each response"


def test_no_template_has_an_inline_script_or_style_attribute():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for path in root.rglob("*.html"):
        if path.parts[-2] in {"emails", "bulletins"} and path.name in {"message.html", "bulletin.html"}:
            continue  # an e-mail and the PDF's source: never served to a browser
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son(change|click|submit|load)=", text), path
        assert "style=" not in text, path


def test_production_refuses_to_start_without_a_shared_cache():
    env = dict(PRODUCTION)
    env.pop("CACHE_URL")
    result = run_manage("check", **env)
    assert result.returncode != 0 and "CACHE_URL must be set in production" in result.stderr


def test_production_refuses_the_second_factor_off():
    result = run_manage("check", OTP_REQUIRED="0", **PRODUCTION)
    assert result.returncode != 0 and "OTP_REQUIRED cannot be turned off in production" in result.stderr
