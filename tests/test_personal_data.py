"""Objectors' personal data (GB/T 39786-2021 level 3, 等保2.0 level 3): encrypted at rest with SM4-GCM, read in
full only by the reviewers of the objection's programme (each reading recorded), masked in lists, never shown to
administrators, removed after the retention period; the key ring rotates; a wrong key fails clearly. And least
privilege for the system administrator: no evidence file, no implementation rules file.

People: 张伟 (``reviewer``) reviews Guangzhou's year; 刘洋 (``administrator``) keeps the deployment; 陈明 is a member
of the public who objects; Jiangsu's reviewer reviews another programme."""

import base64
import datetime
import re

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incentives import crypto
from organisation.access import NotYours
from organisation.models import AuditEntry, OutboxMessage
from reviews import services
from reviews.models import Award, Objection

from .factories import PHASES_AFTER as AFTER
from .factories import (
    after_notice,
    decide_all,
    make_phases_cycle,
    make_phases_water_list,
    make_second_programme,
    put_on_notice,
)
from .helpers import PRODUCTION, run_manage

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "陈明", "13812345678", "chenming@example.com"
GROUNDS = "该区上报的河湖长制数据与实际不符"
NEW_KEY = "k1:" + base64.b64encode(b"0123456789abcdef").decode()


@pytest.fixture
def on_notice(reviewer, category, bureau, districts, clerk_water):
    cycle = make_phases_cycle()
    water_list = make_phases_water_list(cycle, category, bureau, districts, clerk_water)
    decide_all(reviewer, water_list)
    put_on_notice(reviewer, cycle, at=AFTER)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def objection(on_notice):
    award = Award.objects.filter(cycle=on_notice).first()
    return services.objection_file(cycle=on_notice, award_id=award.pk, name=NAME, contact=PHONE, email=EMAIL,
                                   grounds=GROUNDS, now=AFTER)


def stored(objection) -> tuple[str, str, str]:
    """The three columns as the database holds them (plain SQL, no field in between)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, contact, email FROM reviews_objection WHERE id = %s", [objection.pk])
        return cursor.fetchone()


# --- encrypted at rest --------------------------------------------------------------------------------------------


def test_the_database_holds_no_plaintext_of_the_objector(objection):
    columns = stored(objection)
    for column, plain in zip(columns, (NAME, PHONE, EMAIL), strict=True):
        assert plain not in column and "1381234" not in column and "chenming" not in column
        assert re.fullmatch(r"sm4gcm:dev0:[A-Za-z0-9_-]{40,}", column), column
    assert len(set(columns)) == 3
    # Two objections by the same person store different texts (a nonce per value): nothing to compare by.
    again = Objection.objects.get(pk=objection.pk)
    assert (again.name, again.contact, again.email) == (NAME, PHONE, EMAIL)
    twin = services.objection_file(cycle=objection.cycle, award_id=objection.award_id, name=NAME, contact=PHONE,
                                   grounds=GROUNDS, now=AFTER)
    assert stored(twin)[0] != columns[0]


def test_a_name_that_looks_encrypted_is_encrypted_like_any_other(on_notice):
    award = Award.objects.filter(cycle=on_notice).first()
    lookalike = "sm4gcm:dev0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    objection = services.objection_file(cycle=on_notice, award_id=award.pk, name=lookalike, contact=PHONE,
                                        grounds=GROUNDS, now=AFTER)
    assert stored(objection)[0] != lookalike
    assert Objection.objects.get(pk=objection.pk).name == lookalike


def test_a_value_moved_to_another_column_or_altered_does_not_decrypt(objection):
    name, contact, _email = stored(objection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reviews_objection SET contact = %s WHERE id = %s", [name, objection.pk])
    with pytest.raises(crypto.PersonalDataKeyError, match="reviews_objection.contact"):
        Objection.objects.get(pk=objection.pk)
    altered = contact[:-3] + ("A" if contact[-3] != "A" else "B") + contact[-2:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reviews_objection SET contact = %s WHERE id = %s", [altered, objection.pk])
    with pytest.raises(crypto.PersonalDataKeyError, match="wrong .* or the value was altered"):
        Objection.objects.get(pk=objection.pk)


def test_a_wrong_key_or_a_key_missing_from_the_ring_fails_clearly(objection, settings):
    settings.PERSONAL_DATA_KEYS = "dev0:" + base64.b64encode(b"another-key-0000").decode()
    with pytest.raises(crypto.PersonalDataKeyError, match="does not decrypt with the key “dev0”"):
        Objection.objects.get(pk=objection.pk)
    settings.PERSONAL_DATA_KEYS = NEW_KEY
    with pytest.raises(crypto.PersonalDataKeyError, match="“dev0” .* is not in PERSONAL_DATA_KEYS"):
        Objection.objects.get(pk=objection.pk)


def test_a_page_that_needs_a_missing_key_answers_503_naming_it_in_the_log(client, objection, reviewer, settings,
                                                                          caplog):
    client.force_login(reviewer)
    settings.PERSONAL_DATA_KEYS = NEW_KEY
    response = client.get(reverse("reviews:objection", args=[objection.pk]))
    assert response.status_code == 503
    assert "dev0" in caplog.text and "PERSONAL_DATA_KEYS" in caplog.text


@pytest.mark.parametrize("raw, message", [
    ("", "holds no key"),
    ("k1", "not “id:base64key”"),
    ("k 1:AAAA", "not “id:base64key”"),
    ("k1:not base64!", "not valid base64"),
    ("k1:" + base64.b64encode(b"short").decode(), "has 5 bytes"),
    (f"{NEW_KEY},{NEW_KEY}", "appears twice"),
    ("k1:replace-with-16-random-bytes-in-base64", "placeholder"),
])
def test_a_bad_key_ring_is_refused_naming_the_problem(raw, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_keys(raw)


def test_production_refuses_to_start_without_a_key_ring_or_with_the_development_key():
    missing = run_manage("check", **{k: v for k, v in PRODUCTION.items() if k != "PERSONAL_DATA_KEYS"})
    assert missing.returncode != 0 and "PERSONAL_DATA_KEYS must be set in production" in missing.stderr
    development = run_manage("check", **{**PRODUCTION, "PERSONAL_DATA_KEYS": crypto.DEVELOPMENT_KEYS})
    assert development.returncode != 0 and "development key" in development.stderr
    broken = run_manage("check", **{**PRODUCTION, "PERSONAL_DATA_KEYS": "k1:AAAA"})
    assert broken.returncode != 0 and "has 3 bytes" in broken.stderr


def test_masks():
    assert (crypto.mask_name("张三丰"), crypto.mask_name("陈明"), crypto.mask_name("")) == ("张**", "陈*", "")
    assert crypto.mask_contact("138 1234 5678") == "138****5678"
    assert crypto.mask_contact("广州市天河区某路1号") == "广州市***"
    assert crypto.mask_email(EMAIL) == "c***@example.com"


# --- who reads it ---------------------------------------------------------------------------------------------


def test_the_list_shows_the_objector_masked_and_the_page_in_full_recorded(client, objection, reviewer):
    client.force_login(reviewer)
    listing = client.get(reverse("reviews:objections", args=[objection.cycle.year])).content.decode()
    assert "陈*" in listing and "138****5678" in listing
    assert NAME not in listing and PHONE not in listing and EMAIL not in listing
    assert not AuditEntry.objects.filter(action="objection.personal_data_viewed").exists()

    page = client.get(reverse("reviews:objection", args=[objection.pk])).content.decode()
    assert NAME in page and PHONE in page and EMAIL in page
    viewed = AuditEntry.objects.get(action="objection.personal_data_viewed")
    assert (viewed.actor, viewed.target_id, viewed.data["receipt"]) == (reviewer, objection.pk, objection.receipt)


def test_nobody_but_the_programmes_reviewers_reads_it(client, objection, administrator):
    jiangsu = make_second_programme(2030)
    for person in (jiangsu.reviewer, administrator):
        client.force_login(person)
        for name in ("reviews:objection", "reviews:objection_evidence"):
            assert client.get(reverse(name, args=[objection.pk])).status_code == 404, (person, name)
        assert client.get(reverse("reviews:objections", args=[objection.cycle.year])).status_code == 404
    with pytest.raises(NotYours):
        services.objection_personal_data_read(actor=jiangsu.reviewer, objection=objection)
    assert Objection not in admin.site._registry
    assert not AuditEntry.objects.filter(action="objection.personal_data_viewed").exists()


def test_the_admin_shows_an_objectors_letter_without_address_or_text(client, objection, reviewer, administrator,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_settle(actor=reviewer, objection=objection, upheld=False, reasons="经核查，数据属实")
    letter = OutboxMessage.objects.get(kind="objection")
    client.force_login(administrator)
    listing = client.get(reverse("admin:organisation_outboxmessage_changelist")).content.decode()
    page = client.get(reverse("admin:organisation_outboxmessage_change", args=[letter.pk])).content.decode()
    for html in (listing, page):
        assert EMAIL not in html and "c***@example.com" in html
    assert NAME not in page and "经核查" not in page


# --- retention --------------------------------------------------------------------------------------------------


def test_personal_data_is_removed_after_the_retention_period(objection, reviewer, settings,
                                                             django_capture_on_commit_callbacks):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    cycle = objection.cycle
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_settle(actor=reviewer, objection=objection, upheld=False, reasons="经核查，数据属实")
    services.cycle_publish(actor=reviewer, cycle=cycle, now=after_notice(cycle))
    cycle.refresh_from_db()

    early = services.personal_data_purge(now=cycle.published_at + datetime.timedelta(days=364))
    assert early.objections == 0 and Objection.objects.get(pk=objection.pk).name == NAME

    later = cycle.published_at + datetime.timedelta(days=366)
    dry = services.personal_data_purge(now=later, dry_run=True)
    assert (dry.objections, dry.letters) == (1, 1)
    assert Objection.objects.get(pk=objection.pk).name == NAME
    assert not AuditEntry.objects.filter(action="personal_data.purged").exists()

    report = services.personal_data_purge(now=later)
    assert (report.objections, report.letters, report.cycles) == (1, 1, {cycle.pk: 1})
    purged = Objection.objects.get(pk=objection.pk)
    assert (purged.name, purged.contact, purged.email) == ("", "", "") and stored(purged) == ("", "", "")
    assert (purged.grounds, purged.status, purged.settlement, purged.receipt) == (
        GROUNDS, "dismissed", "经核查，数据属实", objection.receipt)
    assert purged.personal_data_removed_at == later
    letter = OutboxMessage.objects.get(kind="objection")
    assert (letter.email, letter.body_text, letter.body_html) == ("", "", "") and letter.status == "sent"
    record = AuditEntry.objects.get(action="personal_data.purged")
    assert (record.target_id, record.data["objections"], record.data["letters"], record.data["receipts"]) == (
        cycle.pk, 1, 1, [objection.receipt])
    assert services.personal_data_purge(now=later).objections == 0   # nothing more to do
    assert AuditEntry.objects.filter(action="personal_data.purged").count() == 1


def test_the_page_says_the_data_was_removed(client, objection, reviewer):
    Objection.objects.filter(pk=objection.pk).update(name="", contact="", email="",
                                                     personal_data_removed_at=timezone.now())
    client.force_login(reviewer)
    page = client.get(reverse("reviews:objection", args=[objection.pk])).content.decode()
    assert "personal-data-removed" in page and GROUNDS in page
    assert not AuditEntry.objects.filter(action="objection.personal_data_viewed").exists()


def test_the_purge_command_and_its_dry_run(objection, capsys):
    call_command("purge_personal_data", "--dry-run")
    out = capsys.readouterr().out
    assert "personal data of 0 objection(s)" in out and "Dry run: nothing changed." in out
    with pytest.raises(Exception, match="not a date"):
        call_command("purge_personal_data", "--at", "tomorrow")


def test_the_beat_runs_the_purge_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["personal-data-purge"]
    assert entry["task"] == "reviews.tasks.personal_data_purge"
    from reviews.tasks import personal_data_purge

    assert personal_data_purge.apply().get() == {"objections": 0, "letters": 0, "cycles": []}


# --- key rotation -----------------------------------------------------------------------------------------------


def test_rotation_encrypts_again_with_the_new_key_and_keeps_the_data_readable(objection, settings, capsys):
    settings.PERSONAL_DATA_KEYS = f"{NEW_KEY},{crypto.DEVELOPMENT_KEYS}"
    assert Objection.objects.get(pk=objection.pk).name == NAME           # old rows: read with the old key
    call_command("rotate_personal_data_key")
    out = capsys.readouterr().out
    assert "reviews.Objection: 1 row(s) encrypted again with k1 (3 value(s) from dev0)" in out
    assert all(value.startswith("sm4gcm:k1:") for value in stored(objection))
    record = AuditEntry.objects.get(action="personal_data.key_rotated", data__model="reviews.Objection")
    assert record.data["rows"] == 1 and record.data["from"] == {"dev0": 3}
    settings.PERSONAL_DATA_KEYS = NEW_KEY                                 # the old key leaves the ring
    again = Objection.objects.get(pk=objection.pk)
    assert (again.name, again.contact, again.email) == (NAME, PHONE, EMAIL)
    call_command("rotate_personal_data_key")
    assert "0 row(s)" in capsys.readouterr().out


def test_rotation_without_the_old_key_stops_and_says_which(objection, settings):
    settings.PERSONAL_DATA_KEYS = NEW_KEY
    with pytest.raises(Exception, match="“dev0” .* is not in PERSONAL_DATA_KEYS"):
        call_command("rotate_personal_data_key")
    assert all(value.startswith("sm4gcm:dev0:") for value in stored(objection))


# --- least privilege for the system administrator ------------------------------------------------------------


def test_the_system_administrator_reads_the_list_but_opens_no_evidence_file(client, administrator, category, bureau,
                                                                             districts, clerk_water, reviewer,
                                                                             media_root):
    from nominations.models import Evidence

    from .factories import make_cycle, prepare_list

    cycle = make_cycle(2031)
    nl = prepare_list(cycle, category("6"), clerk_water, districts[:1], files_per_nominee=1)
    evidence = Evidence.objects.get(nominee__nomination_list=nl)
    url = reverse("nominations:evidence", args=[evidence.token])
    list_url = reverse("nominations:list", args=[cycle.year, category("6").pk])
    client.force_login(administrator)
    page = client.get(list_url)
    assert page.status_code == 200 and evidence.original_name in page.content.decode()
    assert url not in page.content.decode()
    assert client.get(url).status_code == 404
    for person in (clerk_water, reviewer):
        client.force_login(person)
        assert url in client.get(list_url).content.decode()
        assert client.get(url).status_code == 200, person


def test_the_system_administrator_opens_no_implementation_rules_file(client, administrator, category, bureau,
                                                                      clerk_forestry, clerk_water, media_root):
    from measures.models import ImplementationRules

    from .factories import make_rules_filing

    measure = category("6").measure
    filing = make_rules_filing(measure, bureau("市水务局"), clerk_water, "水务局实施办法",
                               state=ImplementationRules.State.ACCEPTED)
    url = reverse("nominations:rules_download", args=[filing.token])
    detail = reverse("measures:detail", args=[measure.pk])
    client.force_login(administrator)
    page = client.get(detail).content.decode()
    assert "水务局实施办法" in page and url not in page
    assert client.get(url).status_code == 404
    client.force_login(clerk_forestry)   # accepted rules: every bureau of the programme
    assert url in client.get(detail).content.decode() and client.get(url).status_code == 200
