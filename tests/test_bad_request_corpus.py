"""A corpus of bad requests sent to every URL, as a stranger and as a clerk, a reviewer and an administrator.

Every URL of ``tests/test_permission_matrix.py`` (which fails when a URL has no row there), plus the admin's pages
that take files or dates, gets: a body declared far larger than any limit, forms in a wrong charset, malformed
multipart, dates out of range, over-long fields, unknown and overflowing ids (in the path, the query and the body),
and non-UTF-8 file names and files. Nothing may answer 500 and no row of any model may appear or disappear.

Each request is sent twice: without the CSRF check (like the matrix), so that it reaches the view itself, and with a
valid token to a client that checks it, so that the CSRF middleware reads the body first, as for a real browser.

``./test.sh`` sends the corpus in its SQLite pass; its PostgreSQL pass sends the odd values of
``tests/test_odd_values.py`` to every parameter of every URL instead.
"""

from __future__ import annotations

import copy
import functools
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from incentives.request_limits import SMALL_URL_NAMES, UPLOAD_PAGES

from .helpers import CountingStream
from .matrix import MATRIX, World

PERSONAS = ["anonymous", "water", "reviewer", "administrator"]
HUGE_ID = 10**30  # past every integer column: an overflow, not just a miss
LONG = "长" * 20_000
OUT_OF_RANGE_DATES = ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "-1", "2026-02-30"]
# Field names the application's forms use; every bad value is sent under each of them.
FIELDS = ["username", "password", "email", "text", "reason", "reasons", "comment", "decision", "notification",
          "nominee", "unit", "bureau", "category", "version", "action", "remove_evidence", "opens_at", "deadline",
          "new_deadline", "year", "document", "page", "q", "state", "next", "new_password1", "new_password2",
          "nothing_reason", "rows-TOTAL_FORMS", "rows-0-unit", "rows-0-achievements", "format", "file_format",
          "measure", "bureau_name", "measure_name"]
# Free text takes any short value (a comment reading "0001-01-01" is a comment): those fields get only over-long
# values, which every form must refuse.
FREE_TEXT = {"text", "reason", "reasons", "comment", "nothing_reason", "rows-0-achievements", "q", "bureau_name",
             "measure_name"}
CHECKED = [name for name in FIELDS if name not in FREE_TEXT]
# The admin's pages that take a file or a date (the rest of the admin is Django's own).
ADMIN_URLS = [
    ("admin:measures_measure_import", {}), ("admin:measures_measure_import_notice", {}),
    ("admin:organisation_bureau_import", {}), ("admin:organisation_unit_import", {}), ("admin:auth_user_import", {}),
    ("admin:nominations_cycle_add", {}),
]


def _urls(w: World) -> list[tuple[str, str]]:
    """(URL name, URL) of every page, on its own objects and on ids nobody has."""
    urls = []
    for name, cases in sorted(MATRIX.items()):
        kwargs = cases[0].kwargs(w)
        urls.append((name, reverse(name, kwargs=kwargs)))
        if kwargs:  # unknown, overflowing, and not even numbers where tokens go
            unknown = {k: (HUGE_ID if isinstance(v, int) else "f" * 64) for k, v in kwargs.items()}
            urls.append((name, reverse(name, kwargs=unknown)))
    urls += [(name, reverse(name, kwargs=kwargs)) for name, kwargs in ADMIN_URLS]
    urls.append(("admin:nominations_cycle_change", reverse("admin:nominations_cycle_change", args=[w.cycle.pk])))
    urls.append(("admin:nominations_cycle_extension", reverse("admin:nominations_cycle_extension", args=[w.cycle.pk])))
    return urls


def _multipart(parts: list[tuple[str, bytes | None, bytes]], boundary: str = "corpusboundary") -> tuple[bytes, str]:
    """parts: (field name, file name as raw bytes or None, content)."""
    body = b""
    for name, filename, content in parts:
        disposition = f'Content-Disposition: form-data; name="{name}"'.encode()
        if filename is not None:
            disposition += b'; filename="' + filename + b'"\r\nContent-Type: application/octet-stream'
        body += b"--" + boundary.encode() + b"\r\n" + disposition + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


FILE_FIELDS = ["file", "import_file", "rows-0-files", "rows-1-files"]
NON_UTF8_FILES = [
    ("中文证明.pdf".encode("gbk"), b"%PDF-1.4\n\xd6\xd0\xce\xc4\xff\xfe\x00\x00"),
    (b"\xff\xfe\xfd.csv", b"measure_number,measure_title\n1,\xff\xfe\xfa\xfb\n"),
    ("名单.csv".encode("gb18030"), "measure_number,measure_title\n1,河湖\n".encode("utf-16")),
    (b"x.xlsx", b"PK\x03\x04\xff\xff\xff\xff not a workbook"),
]


def bad_requests() -> list[tuple[str, dict]]:
    """(label, keyword arguments of Client.generic or of Client.request for a streamed body)."""
    requests: list[tuple[str, dict]] = []
    requests.append(("oversized body", {"stream": 1024 * 1024 * 1024}))
    for charset in ("gbk", "utf-16", "latin-1", "no-such-charset"):
        requests.append((f"charset={charset}", {"method": "POST", "content_type":
                        f"application/x-www-form-urlencoded; charset={charset}",
                        "data": "username=%D6%D0&text=\xd6\xd0".encode("latin-1")}))
    requests.append(("invalid UTF-8 in a form", {"method": "POST", "content_type": "application/x-www-form-urlencoded",
                                                 "data": b"text=%FF%FE&reason=\xff\xfe&" + b"%C0%AF=1"}))
    requests.append(("multipart without boundary", {"method": "POST", "content_type": "multipart/form-data",
                                                    "data": b"--x\r\n\r\n"}))
    requests.append(("multipart cut short", {"method": "POST", "content_type": "multipart/form-data; boundary=b",
                                             "data": b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nab"}))
    requests.append(("multipart header garbage", {"method": "POST", "content_type": "multipart/form-data; boundary=b",
                                                  "data": b"--b\r\n\xff\xfe\xfd\r\n\r\n\x00\x01--b--\r\n"}))
    for value in OUT_OF_RANGE_DATES:
        fields = {name: value for name in CHECKED}
        requests.append((f"dates {value} (POST)", {"method": "POST", "data": fields}))
        if value[0] in "09":  # the two that overflow; the others are plain invalid
            requests.append((f"dates {value} (GET)", {"method": "GET", "data": fields}))
    requests.append(("over-long fields (POST)", {"method": "POST", "data": {name: LONG for name in FIELDS}}))
    # What gunicorn's request line (8,190 bytes) cannot carry is refused at once (414), whatever it holds; the longest
    # query it can carry holds the free-text filters past what any of them reads (incentives/params.text_from).
    requests.append(("over-long query", {"method": "GET", "query": urlencode({name: LONG[:2000] for name in FIELDS})}))
    requests.append(("longest query", {"method": "GET", "query": urlencode(
        {name: "x" * 2_600 for name in ("q", "bureau_name", "measure_name")})}))
    for value in (str(HUGE_ID), "-1", "1e9", "\x00"):
        requests.append((f"unknown id {value!r}", {"method": "POST", "data": {name: value for name in CHECKED}}))
    requests.append(("NUL in the query", {"method": "GET", "data": {name: "\x00" for name in FIELDS}}))
    parts = [(field, filename, content) for field in FILE_FIELDS for filename, content in NON_UTF8_FILES]
    body, content_type = _multipart(parts + [("format", None, b"0"), ("resource", None, b"0")])
    requests.append(("non-UTF-8 files", {"method": "POST", "content_type": content_type, "data": body}))
    body, content_type = _multipart([("text", None, "证明".encode("gbk")), ("\xff".encode("latin-1"), None, b"x")])
    requests.append(("non-UTF-8 fields", {"method": "POST", "content_type": content_type, "data": body}))
    return requests


BAD_REQUESTS = bad_requests()
# Actions that take no input: whatever junk is sent beside it, a POST to them is the action, so only the requests
# refused before any view (body-level ones) are sent to them.
# Actions that take no input at all (a confirmation button): any well-formed POST is a real request to them.
NO_INPUT_ACTIONS = {"logout", "bulletins:request", "reviews:register_confirm"}
# (A part whose headers are garbage is skipped by Django's parser: the rest of the form stands, so it is not here.)
BODY_LEVEL = {"oversized body", "multipart without boundary", "multipart cut short", "invalid UTF-8 in a form",
              "non-UTF-8 fields",
              *{label for label, _ in BAD_REQUESTS if label.startswith("charset=")}}


# A refused sign-in, a refused access to an object, an export, a reading of an objector's personal data and a change
# sent by the superuser (recorded before it is tried: the API checks its CSRF token in the view, after that record)
# are themselves events the audit trail must keep (等保2.0): those records are expected, every other row must stay
# as it was.
SIGN_IN_EVENTS = ("account.sign_in_failed", "account.locked_out", "account.sign_in_locked", "cycle.queue_exported",
                  "access.refused", "data.exported", "objection.personal_data_viewed", "account.superuser_used")


# The rows are counted after every tenth URL, and a change names those ten: a count of every table after each URL
# was a fifth of this test's time on PostgreSQL (35 ms a count), and no bad request is expected to write anything.
COUNT_EVERY = 10


@functools.cache
def _counting_sql() -> tuple[str, tuple]:
    """One statement counting the rows of every model's table (audit records but the expected events): a count per
    model, ORM query by query, was a third of this test's time on PostgreSQL."""
    parts, params = [], []
    for model in apps.get_models():
        rows = model._base_manager.all()
        if model._meta.label == "organisation.AuditEntry":
            rows = rows.exclude(action__in=SIGN_IN_EVENTS)
        sql, part_params = rows.values("pk").query.sql_with_params()
        parts.append(f"SELECT {len(parts)}, COUNT(*) FROM ({sql}) AS counted")
        params.extend(part_params)
    return " UNION ALL ".join(parts), tuple(params)


def _row_counts() -> dict[str, int]:
    labels = [model._meta.label for model in apps.get_models()]
    sql, params = _counting_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {labels[index]: count for index, count in cursor.fetchall()}


def _with_token(spec: dict, token: str) -> dict:
    """The same request carrying a valid CSRF token in its body, for a client that checks it: the check itself
    then reads the body, as it does for every real browser's POST."""
    if "stream" in spec or spec.get("method") != "POST":
        return spec
    data = spec["data"]
    if isinstance(data, dict):
        return {**spec, "data": {**data, "csrfmiddlewaretoken": token}}
    if spec.get("content_type", "").startswith("application/x-www-form-urlencoded"):
        return {**spec, "data": f"csrfmiddlewaretoken={token}&".encode() + data}
    return spec


def _send(client: Client, url: str, spec: dict):
    if "stream" in spec:
        stream = CountingStream(spec["stream"])
        # multipart: what Django would otherwise stream to a temporary file in full
        response = client.request(PATH_INFO=url, REQUEST_METHOD="POST", CONTENT_TYPE="multipart/form-data; boundary=b",
                                  CONTENT_LENGTH=str(stream.size), **{"wsgi.input": stream})
        assert stream.read_bytes == 0, f"{url}: {stream.read_bytes} bytes of an oversized body were read"
        return response
    method = spec["method"]
    if method == "GET" and "query" in spec:  # encoded once: a 650 KB query took 5 ms to encode at every request
        return client.get(url, QUERY_STRING=spec["query"])
    if method == "GET":
        return client.get(url, spec["data"])
    if "content_type" in spec:
        return client.generic("POST", url, spec["data"], content_type=spec["content_type"])
    return client.post(url, spec["data"])


def _strict_sample(name: str, seen_namespaces: set[str]) -> bool:
    """Whether the body-level requests go to ``name`` through the client that checks CSRF tokens too. The body is
    read by one middleware for every URL, before the CSRF check (incentives/request_limits): the second client is
    what would notice that order changing, and it is asked on every page with a limit of its own (uploads, the small
    pages) and on the first page of every namespace, not again on each of the 170 others (a quarter of the
    requests). The first client sends them to every URL."""
    namespace = name.split(":")[0] if ":" in name else ""
    first = namespace not in seen_namespaces
    seen_namespaces.add(namespace)
    return first or name in UPLOAD_PAGES or name in SMALL_URL_NAMES


# The SQLite pass sends the corpus (marker one_database); on PostgreSQL, the odd values of tests/test_odd_values.py
# (NUL, numbers past a 64-bit column, the years 0001 and 9999, text past every column) go to every parameter of every
# URL and to each field of each form, which reaches further into the database than this corpus's fixed field names.
# The body-level requests here are refused by one middleware before any view or query, whatever the database.
@pytest.mark.one_database
@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_bad_requests_to_every_url_answer_no_500_and_write_nothing(world, persona):
    client = world.clients[persona]
    client.raise_request_exception = False
    cookies = copy.deepcopy(client.cookies)
    failures = []
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    strict.cookies = copy.deepcopy(cookies)
    strict.get(reverse("password_reset"))
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    strict_cookies = copy.deepcopy(strict.cookies)
    seen_namespaces: set[str] = set()
    urls = _urls(world)
    before = _row_counts()
    for index, (name, url) in enumerate(urls):
        skip_field_level = name in NO_INPUT_ACTIONS
        strict_here = _strict_sample(name, seen_namespaces)
        for label, spec in BAD_REQUESTS:
            if skip_field_level and label not in BODY_LEVEL:
                continue
            senders = [(client, spec, cookies)]
            if label in BODY_LEVEL and strict_here:
                # the ones the CSRF middleware would be the first to read
                senders.append((strict, _with_token(spec, token), strict_cookies))
            for sender, spec_sent, saved in senders:
                response = _send(sender, url, spec_sent)
                sender.cookies = copy.deepcopy(saved)  # a sign-out or a message cookie must not change the persona
                if response.status_code >= 500:
                    failures.append(f"{label} → {url} as {persona}: {response.status_code}")
        if (index + 1) % COUNT_EVERY and index + 1 < len(urls):
            continue
        after = _row_counts()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if changed:
            group = [u for _n, u in urls[index - index % COUNT_EVERY:index + 1]]
            failures.append(f"as {persona}, after the requests to {group}: rows changed {changed}")
        before = after
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_a_nul_in_an_address_is_a_bad_request_before_any_view(client, reviewer):
    """PostgreSQL cannot compare a NUL: a search or filter holding one is refused at the door of the request."""
    client.force_login(reviewer)
    response = client.get("/review/", {"q": "\x00"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.django_db
def test_a_query_longer_than_the_front_carries_is_refused_before_any_view(client, reviewer):
    """gunicorn takes request lines of 8,190 bytes; a longer query is refused here too (414), signed in or not, and
    the longest one it carries still reaches the page."""
    long_query = urlencode({"q": "长" * 1_000})  # 9,000 bytes once encoded
    assert client.get("/review/", QUERY_STRING=long_query).status_code == 414
    client.force_login(reviewer)
    response = client.get("/review/", QUERY_STRING=long_query)
    assert response.status_code == 414
    assert "地址过长" in response.content.decode() or "Address too long" in response.content.decode()
    assert client.get("/review/", {"q": "长" * 800}).status_code == 200
