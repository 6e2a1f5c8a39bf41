"""The findings of trying the application as an attacker would, one test (or a few) per finding.

1. bodies capped before they are read; uploads stopped as soon as a file passes the limit;
2. malformed requests (a wrong charset, broken multipart) answer 400, never 500;
3. the client address comes only from the configured proxies;
4. a completed password reset lifts the account's sign-in lock;
5. dates in year 1 or 9999 are field errors in the cycle admin;
6. values longer than their column are preview errors, not a 500 on confirm nor silently cut;
7. evidence files leave storage (on commit) with their rows;
8. every formula-like CSV cell is refused on import, by the one rule the exports neutralise with;
9. the bulletin renderer fetches nothing but the application's static files.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, RequestFactory
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from measures.formulas import FORMULA_PREFIXES, looks_like_formula, safe_cell
from measures.importing.notice_plan import plan_notice_text
from measures.importing.organisation import plan_bureaus, plan_units
from measures.importing.plan import new_document_fields
from measures.importing.reading import ImportFileError, read_table
from measures.importing.services import catalogue_import
from measures.importing.spreadsheet import plan_catalogue_file
from measures.models import IncentiveCategory, Measure
from nominations import services
from nominations.models import Cycle, Evidence, NominationList
from organisation.models import Bureau, Unit
from reviews import bulletins
from reviews.pdf_fetcher import StaticFilesFetcher, is_static_file

from .factories import entry, pdf_file
from .helpers import CountingStream

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


# --- 1. bodies capped before they are read -------------------------------------------------------------------------


def send(path: str, stream: CountingStream, *, content_type: str, cookie: str = ""):
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="POST", CONTENT_TYPE=content_type,
                                            CONTENT_LENGTH=str(stream.size), HTTP_COOKIE=cookie,
                                            **{"wsgi.input": stream})
    return ClientHandler(enforce_csrf_checks=False)(environ)


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password/reset/", "/health/"])
def test_a_300_mb_body_to_an_open_page_is_refused_before_one_byte_is_read(path):
    stream = CountingStream(300 * MB)
    response = send(path, stream, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_a_signed_in_form_post_over_its_limit_is_refused_unread(clerk_water, settings):
    client = Client()
    client.force_login(clerk_water)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    stream = CountingStream(settings.REQUEST_MAX_BYTES_FORM + 1)
    response = send(reverse("notifications_read"), stream, content_type="application/x-www-form-urlencoded",
                    cookie=cookie)
    assert response.status_code == 413 and stream.read_bytes == 0


def _multipart(file_size: int) -> tuple[bytes, int, str]:
    boundary = "----attackboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"rows-0-files\"; filename=\"big.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, len(head) + file_size + len(tail), f"multipart/form-data; boundary={boundary}"


def test_an_evidence_upload_is_stopped_as_soon_as_it_passes_the_evidence_limit(clerk_water, settings):
    settings.EVIDENCE_MAX_BYTES = 256 * 1024
    settings.REQUEST_MAX_BYTES_UPLOAD = 64 * MB
    client = Client()
    client.force_login(clerk_water)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    head, total, content_type = _multipart(20 * MB)
    stream = CountingStream(total, prefix=head)
    response = send(reverse("nominations:edit", args=[2090, 1]), stream, content_type=content_type, cookie=cookie)
    assert response.status_code == 413
    assert "256.0" in response.content.decode()
    # Stopped within a chunk or two of the limit: the other 19 MB were never read.
    assert stream.read_bytes < settings.EVIDENCE_MAX_BYTES + 3 * 64 * 1024


def test_an_upload_declared_larger_than_the_upload_limit_is_refused_unread(clerk_water, settings):
    client = Client()
    client.force_login(clerk_water)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    head, total, content_type = _multipart(500 * MB)
    stream = CountingStream(total, prefix=head)
    response = send(reverse("nominations:edit", args=[2090, 1]), stream, content_type=content_type, cookie=cookie)
    assert response.status_code == 413 and stream.read_bytes == 0


def test_a_file_sent_to_a_page_that_takes_none_counts_against_the_form_limit(clerk_water, settings):
    settings.REQUEST_MAX_BYTES_FORM = 128 * 1024
    client = Client()
    client.force_login(clerk_water)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    head, total, content_type = _multipart(120 * 1024)  # under the body limit, but one part passes it with the rest
    stream = CountingStream(total + 16 * 1024, prefix=head)
    response = send(reverse("notifications_read"), stream, content_type=content_type, cookie=cookie)
    assert response.status_code == 413


# --- 2. malformed requests answer 400 ------------------------------------------------------------------------------


def _csrf_client(user=None) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get(reverse("password_reset"))
    return client, client.cookies[django_settings.CSRF_COOKIE_NAME].value


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded; charset=gbk", "csrfmiddlewaretoken={token}&username=a&password=b"),
    ("application/x-www-form-urlencoded; charset=utf-16", "csrfmiddlewaretoken={token}&username=a"),
    ("multipart/form-data", "csrfmiddlewaretoken={token}"),  # no boundary
    ("multipart/form-data; boundary=", "--\r\n{token}"),
    ("application/x-www-form-urlencoded; charset=no-such-charset", "csrfmiddlewaretoken={token}&text=x"),
    ("application/x-www-form-urlencoded", "csrfmiddlewaretoken={token}&text=%FF%FEx"),  # invalid UTF-8
    ("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
                                         "\r\n\r\n{token}\r\n--XX\r\nContent-Disposition: form-data; "
                                         "name=\"text\"\r\n\r\ncut sh"),  # no closing boundary
])
def test_a_malformed_body_answers_400_with_a_page(clerk_water, signed_in, content_type, body):
    client, token = _csrf_client(clerk_water if signed_in else None)
    for path in (reverse("password_reset"), reverse("notifications_read"), reverse("nominations:comment", args=[2090, 1])):
        response = client.generic("POST", path, body.format(token=token).encode("latin-1"), content_type=content_type)
        assert response.status_code == 400, (path, response.status_code)
        assert b"<h1>" in response.content


def test_the_gbk_form_of_the_finding_answers_400_signed_in_or_not(clerk_water):
    for user in (None, clerk_water):
        client, token = _csrf_client(user)
        response = client.generic("POST", reverse("login"), f"csrfmiddlewaretoken={token}&username=a".encode(),
                                  content_type="application/x-www-form-urlencoded; charset=gbk")
        assert response.status_code == 400
        assert "UTF-8" in response.content.decode()


# --- 3. the client address only from the configured proxies -------------------------------------------------------


def _log_in(client, username, password="wrong-password", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_a_spoofed_forwarded_for_does_not_escape_the_address_limit(client, clerk_water, settings, password):
    settings.NUM_PROXIES = 1  # the production default
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    for n in range(60):
        _log_in(client, f"nobody{n}", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.1.{n // 250}.{n % 250}")
    response = _log_in(client, clerk_water.username, password, REMOTE_ADDR="203.0.113.9",
                       HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked"]


def test_the_forwarded_address_counts_when_the_request_comes_from_the_proxy(client, clerk_water, settings, password):
    settings.NUM_PROXIES = 1
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _log_in(client, f"nobody{n}", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="spoof, 198.51.100.7")
    # Another client behind the same proxy gets in; the locked one does not, whatever it writes on the left.
    assert _log_in(client, clerk_water.username, password, REMOTE_ADDR="127.0.0.1",
                   HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302
    client.post(reverse("logout"))
    response = _log_in(client, clerk_water.username, password, REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR="anything, 198.51.100.7")
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked"]


def test_gunicorn_trusts_forwarded_headers_from_the_configured_proxy_only(monkeypatch):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert config["forwarded_allow_ips"] != "*" and "127.0.0.1" in config["forwarded_allow_ips"]
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2")
    assert runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["forwarded_allow_ips"] == "10.0.0.2"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    with pytest.raises(SystemExit):
        runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_the_application_refuses_to_trust_every_address():
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_ENV"}}
    environment.update(APP_ENV="test", FORWARDED_ALLOW_IPS="10.0.0.2,*")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "FORWARDED_ALLOW_IPS" in result.stderr


# --- 4. a completed reset lifts the lock ---------------------------------------------------------------------------


def test_a_completed_password_reset_lifts_the_accounts_lock(client, clerk_water, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _log_in(client, clerk_water.username)
    uid = urlsafe_base64_encode(force_bytes(clerk_water.pk))
    token = default_token_generator.make_token(clerk_water)
    response = client.get(reverse("password_reset_confirm", args=[uid, token]))
    assert response.status_code == 302  # to the same page without the token in the address
    new_password = "Wx7-harbour-lantern-92"
    response = client.post(response["Location"], {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert _log_in(client, clerk_water.username, new_password).status_code == 302


def test_without_a_reset_the_lock_holds(client, clerk_water, settings, password):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _log_in(client, clerk_water.username)
    assert _log_in(client, clerk_water.username, password).status_code == 200


# --- 5. year-1 dates in the cycle admin ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "1899-05-01 08:00"])
def test_the_cycle_form_gives_a_field_error_for_dates_out_of_range(client, administrator, value):
    client.force_login(administrator)
    before = Cycle.objects.count()
    response = client.post(reverse("admin:nominations_cycle_add"),
                           {"year": "2091", "document": "", "opens_at": value, "deadline": value})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "opens_at" in errors and "deadline" in errors
    assert Cycle.objects.count() == before


def test_the_cycle_form_refuses_a_year_out_of_range(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("admin:nominations_cycle_add"), {"year": "9999", "document": ""})
    assert response.status_code == 200 and "year" in response.context["adminform"].form.errors


# --- 6. over-long values in imports --------------------------------------------------------------------------------


def _catalogue_csv(code="1", name="新类别", title="新措施", lead="市水务局") -> bytes:
    return (f"measure_number,category_code,category_name,measure_title,lead\n1,{code},{name},{title},{lead}\n").encode()


@pytest.mark.parametrize("column, data, limit", [
    ("category_code", _catalogue_csv(code="1-" + "1" * 15), 16),
    ("category_name", _catalogue_csv(name="类" * 129), 128),
    ("measure_title", _catalogue_csv(title="题" * 129), 128),
])
def test_a_value_longer_than_its_column_is_an_error_in_the_preview(column, data, limit):
    plan = plan_catalogue_file(data, filename="c.csv", new_document=new_document_fields(number="X-long"))
    assert not plan.is_valid
    [error] = plan.all_errors
    assert error.column == column and str(limit) in error.message


def test_a_new_bureau_name_longer_than_its_column_is_an_error_in_the_preview():
    plan = plan_catalogue_file(_catalogue_csv(lead="市" + "很" * 64 + "局"), filename="c.csv", create_bureaus=True,
                               new_document=new_document_fields(number="X-bureau"))
    assert not plan.is_valid and plan.all_errors[0].column == "lead" and "64" in plan.all_errors[0].message


def test_a_notice_whose_clause_is_too_long_is_an_error_in_the_preview():
    clause = "（" + "、".join(["市水务局"] * 60) + "负责）"
    text = f"一、对河湖管理成效明显的区，给予资金支持。{clause}\n"
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-notice"))
    assert not plan.is_valid
    assert any("255" in error.message for error in plan.all_errors)


def test_a_valid_plan_is_stored_without_cutting_anything(administrator):
    name = "类" * 128
    plan = plan_catalogue_file(_catalogue_csv(name=name), filename="c.csv",
                               new_document=new_document_fields(number="X-fits"))
    assert plan.is_valid, plan.all_errors
    document = catalogue_import(actor=administrator, plan=plan)
    assert IncentiveCategory.objects.get(measure__document=document).name == name
    assert Measure.objects.get(document=document).title == "新措施"


def test_organisation_imports_report_over_long_names_per_row():
    bureaus = plan_bureaus(("short_name,full_name\n" + "局" * 65 + ",广州市某局\n市甲局," + "甲" * 129 + "\n").encode(),
                           filename="b.csv")
    assert [(e.row, e.column) for e in bureaus.all_errors] == [(2, "short_name"), (3, "full_name")]
    units = plan_units(("name,kind\n" + "区" * 129 + ",区\n").encode(), filename="u.csv")
    assert [(e.row, e.column) for e in units.all_errors] == [(2, "name")]
    assert not Bureau.objects.filter(short_name="局" * 65).exists() and not Unit.objects.filter(name="区" * 129).exists()


def test_an_order_too_large_for_its_column_is_an_error():
    plan = plan_units("name,kind,division_order\n新区,区,99999999999\n".encode(), filename="u.csv")
    assert [(e.row, e.column) for e in plan.all_errors] == [(2, "division_order")]


# --- 7. evidence files leave storage with their rows ---------------------------------------------------------------


@pytest.fixture
def evidence_list(administrator, clerk_water, category, districts, media_root):
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    cycle = services.cycle_open(actor=administrator, year=2092, opens_at=now - datetime.timedelta(days=1),
                                deadline=now + datetime.timedelta(days=30))
    nl = services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    return services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version,
                                         entries=[entry(districts[0], files=[pdf_file("a.pdf")]),
                                                  entry(districts[1], files=[pdf_file("b.pdf")])])


def _stored(media_root) -> set[str]:
    return {p.name for p in Path(media_root).rglob("*") if p.is_file()}


def test_a_nominee_taken_off_the_list_takes_its_evidence_file_with_it(evidence_list, clerk_water, districts, media_root,
                                                                      django_capture_on_commit_callbacks):
    gone = Evidence.objects.get(nominee__unit=districts[1])
    kept = Evidence.objects.get(nominee__unit=districts[0])
    assert {Path(gone.file.name).name, Path(kept.file.name).name} <= _stored(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        services.nomination_list_save(actor=clerk_water, nomination_list=evidence_list, version=evidence_list.version,
                                      entries=[entry(districts[0])])
    assert _stored(media_root) == {Path(kept.file.name).name}


def test_a_deleted_list_takes_its_evidence_files_with_it(evidence_list, media_root, django_capture_on_commit_callbacks):
    assert len(_stored(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        NominationList.objects.filter(pk=evidence_list.pk).delete()
    assert _stored(media_root) == set()


def test_a_deletion_rolled_back_keeps_the_file(evidence_list, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Evidence.objects.filter(nominee__nomination_list=evidence_list).delete()
    assert callbacks and len(_stored(media_root)) == 2  # nothing deleted before the commit


# --- 8. formula-like CSV cells -------------------------------------------------------------------------------------


FORMULAS = ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", " =1+1", "\t=1", "\r=1", "\u3000@x", "  +1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_every_formula_like_csv_cell_is_refused_on_import(value):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["measure_number", "measure_title"], ["1", value]])
    with pytest.raises(ImportFileError) as raised:
        read_table(buffer.getvalue().encode(), filename="c.csv", max_rows=10)
    assert "B2" in raised.value.message


@pytest.mark.parametrize("value", FORMULAS)
def test_exports_neutralise_exactly_what_imports_refuse(value):
    assert looks_like_formula(value)
    assert safe_cell(value) == "'" + value
    # and an export of it imports back as the text it was
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["measure_number", "measure_title"], ["1", safe_cell(value)]])
    table = read_table(buffer.getvalue().encode(), filename="c.csv", max_rows=10)
    assert table.rows[0][1]["measure_title"] == value


@pytest.mark.parametrize("value", ["河湖长制", "1", "a-b", "email@example.com", "", "   "])
def test_ordinary_text_is_neither_refused_nor_changed(value):
    assert not looks_like_formula(value) and safe_cell(value) == value


def test_the_prefixes_are_the_ones_owasp_lists():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


# --- 9. the bulletin renderer fetches only our static files --------------------------------------------------------


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    f"file://{ROOT}/incentives/settings.py",
    f"file://{ROOT}/static/../incentives/settings.py",
    "http://127.0.0.1:6379/",
    "https://example.com/logo.png",
    "data:text/css,body{color:red}",
    "ftp://example.com/x",
])
def test_the_bulletin_fetcher_refuses_everything_but_static_files(url):
    assert not is_static_file(url)
    with pytest.raises(ValueError):
        StaticFilesFetcher().fetch(url)


def test_the_bulletin_fetcher_reads_the_applications_static_files():
    response = StaticFilesFetcher().fetch(f"file://{ROOT}/static/css/site.css")
    try:
        assert b"{" in response.read()
    finally:
        response.close()


def test_the_renderer_uses_the_static_only_fetcher(monkeypatch):
    asked = []
    original = StaticFilesFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticFilesFetcher, "fetch", spy)
    html = ('<html><head><link rel="stylesheet" href="file:///etc/passwd"></head>'
            '<body><img src="http://127.0.0.1:9/x.png"><p>通报</p></body></html>')
    pdf = bulletins.bulletin_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert "file:///etc/passwd" in asked and "http://127.0.0.1:9/x.png" in asked
