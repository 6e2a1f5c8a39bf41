"""Odd values in every parameter of every URL: no 500 (the sweep on PostgreSQL; the findings on both databases).

Every URL of the permission matrix (tests/matrix.py) is opened by a person who may reach it (a case where the matrix
expects 200, a redirect or 400). Its parameters are the fields of the forms on its page (names read from the HTML,
with the values the page fills in as a baseline), the parameters the views read (``QUERY_NAMES``) and, for a field
named like ``ack-12``, the same name with an odd suffix. Each odd value (``ODD``) is sent:

* in every parameter at once, in the query (GET) and in the body (POST);
* in one field at a time of each form found on a page, sent to the form's own action with its method, the others
  keeping the page's values, so that a form that stops at its first bad field still reaches the one tried.

The odd values are those a form or a link can carry: superscript and full-width digits (``str.isdigit()`` accepts
them, ``int()`` refuses the first), a NUL, a 20-digit number (past a 64-bit column), 5,000 digits (past what
``int()`` reads), the years 0001 and 9999, an exponent, a negative number, an empty string, and 100,000 characters
in the search box and text areas. The text parts of the addresses themselves get a NUL and odd lengths too. Nothing may answer 500. Every request runs in a
savepoint that is rolled back, on the matrix's ``world`` built once for the module.
"""

from __future__ import annotations

import copy
import decimal
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from .matrix import CSRF_SECRET, MATRIX, PERSONAS, REDIRECT, World

LONG = "长" * 100_000
# ("9" * 5000: past the 4,300 digits int() reads at all.)
ODD = ["²²²²²²", "１２", "a\x00b", "1" * 20, "9" * 5000, "0001-01-01", "9999-12-31", "1e26", "-1", ""]
# The values tried one form field at a time, the others keeping the page's values: what a number, date or choice
# field parses.
ODD_ONE_AT_A_TIME = ["²²²²²²", "1" * 20, "9999-12-31", "1e26"]
# Parameters the views read from the address or the body beside the forms on their pages.
QUERY_NAMES = ["page", "year", "years", "q", "state", "list", "notification", "bureau", "measure", "sort", "unread",
               "kind", "actor", "action", "target", "target_type", "target_id", "since", "until", "format", "next",
               "token", "amount", "paid_on", "awarded_on", "unit", "category", "ack-1", "query", "text", "resource"]
REACHES = {200, 400, REDIRECT}


class _Forms(HTMLParser):
    """The forms of a page: (method, action, {name: value}), the value the page fills in (the first option of a
    select, the text of a textarea, a box only when ticked). Textareas are listed in ``free_text``."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self.free_text: set[str] = set()
        self._fields: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            self._fields = {}
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action") or "", self._fields))
            return
        fields = self._fields if self._fields is not None else {}
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = (attrs.get("type") or "text").lower()
            if kind == "file":
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs or name not in fields:
                    fields[name] = (attrs.get("value") or "on") if "checked" in attrs else ""
            else:
                fields.setdefault(name, attrs.get("value") or "")
        elif tag == "select" and name:
            fields.setdefault(name, "")
            self._select = name
        elif tag == "option" and self._select and not fields.get(self._select):
            fields[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            fields.setdefault(name, "")
            self.free_text.add(name)
            self._textarea = name

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._fields is not None and not self._fields.get(self._textarea):
            self._fields[self._textarea] = data.strip()


def page_forms(response, url: str) -> tuple[list[tuple[str, str, dict[str, str]]], set[str]]:
    """The forms of a page (their actions made absolute: an empty action is the page itself)."""
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return [], set()
    parser = _Forms()
    parser.feed(response.content.decode("utf-8", "replace"))
    forms = [(method, urljoin(url, action).split("?")[0] if action else url, fields)
             for method, action, fields in parser.forms]
    return forms, parser.free_text


def _reachable_cases(world: World) -> list[tuple[str, str, str, object]]:
    """(URL name, method, URL, persona, the case's data) once per URL name and method: the first case someone may
    reach."""
    found = []
    for name, cases in sorted(MATRIX.items()):
        seen = set()
        for case in cases:
            if case.method in seen:
                continue
            expected = case.expect(world)
            persona = next((p for p in PERSONAS if expected.get(p) in REACHES and p not in ("inactive",)), None)
            if persona is None:
                continue
            seen.add(case.method)
            data = case.data(world) if callable(case.data) else (case.data or {})
            found.append((name, case.method, reverse(name, kwargs=case.kwargs(world)), persona, data))
    return found


def _odd_names(names) -> list[str]:
    """A field named ``something-12`` also sent as ``something-²`` and with the other odd suffixes."""
    odd = []
    for name in names:
        match = re.fullmatch(r"(.+-)\d+", name)
        if match:
            odd += [match.group(1) + suffix for suffix in ("²", "１２", "1" * 20, "-1")]
    return odd


# A query longer than gunicorn's request line carries is refused before any view (414, incentives/request_limits):
# in an address, an odd value too long for every field at once is cut to what fits (5,000 digits to a hundred or so:
# still past a 64-bit column; incentives/params refuses more than 19 digits before int() reads them), so that the
# request still reaches the view. (800 characters of Chinese text: 7,200 bytes once encoded.)
QUERY_CHARACTERS = 800


def _carried(data: dict[str, str], method: str) -> list[dict[str, str]]:
    """``data`` as one request; for a GET with its values cut so that its query stays under the limit."""
    if method != "get" or len(urlencode(data)) <= settings.REQUEST_MAX_QUERY_BYTES:
        return [data]
    length = max(len(v) for v in data.values())
    while length > 1 and len(urlencode({k: v[:length] for k, v in data.items()})) > settings.REQUEST_MAX_QUERY_BYTES:
        length = length * 3 // 4
    return [{k: v[:length] for k, v in data.items()}]


def _send(world: World, persona: str, method: str, url: str, data: dict):
    client = world.clients[persona]
    client.raise_request_exception = False
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "get":
            response = client.get(url, data)
        else:
            response = client.post(url, {**data, "csrfmiddlewaretoken": CSRF_SECRET})
        transaction.set_rollback(True)
    client.cookies = cookies  # a sign-out or a message must not change the persona
    return response


def _one_at_a_time(fields: dict[str, str], free_text: set[str]) -> list[str]:
    """The fields tried one at a time: not free text, and of a formset only its first row."""
    return [name for name in sorted(fields)
            if name not in free_text and not re.search(r"-[1-9]\d*-", name) and not name.endswith("_FORMS")]


def _requests(world: World):
    """(label, persona, method, url, data) of every odd request."""
    forms_seen = set()
    for name, method, url, persona, case_data in _reachable_cases(world):
        forms, free_text = page_forms(_send(world, persona, "get", url, {}), url)
        fields = {k: v for _m, _a, form in forms for k, v in form.items()}
        baseline = {**fields, **{k: str(v) for k, v in case_data.items()}}
        names = sorted({*baseline, *QUERY_NAMES})
        names += _odd_names(names)
        for value in ODD:
            for part in _carried({n: value for n in names}, method):
                yield f"{name} {method} every field={value!r}", persona, method, url, part
        # 100,000 characters where text goes (the search box, the text areas), 5,000 digits everywhere above; in an
        # address, as many as the front carries.
        long_text = {n: LONG if method != "get" else LONG[:QUERY_CHARACTERS] for n in {*free_text, "q"}}
        for part in _carried(long_text, method):
            yield f"{name} {method} long text", persona, method, url, part
        for form_method, action, form in forms:
            key = (form_method, action, tuple(sorted(form)))
            if key in forms_seen or not action.startswith("/"):
                continue
            forms_seen.add(key)
            for field in _one_at_a_time(form, free_text):
                for value in ODD_ONE_AT_A_TIME:
                    yield (f"{name}: form to {action} {field}={value!r}", persona, form_method, action,
                           {**form, field: value})
            for odd_name in _odd_names(form):
                yield f"{name}: form to {action} {odd_name}", persona, form_method, action, {**form, odd_name: "1"}


# The PostgreSQL pass sends these (marker postgres), where a NUL, a number past bigint or text past a column's
# length is refused by the database itself; the SQLite pass sends the same kinds of values to every URL as four
# personas in tests/test_bad_request_corpus.py.
@pytest.mark.postgres
@pytest.mark.django_db
def test_odd_values_in_every_parameter_of_every_url_answer_no_500(world):
    failures, sent = [], 0
    for label, persona, method, url, data in _requests(world):
        response = _send(world, persona, method, url, data)
        sent += 1
        if response.status_code >= 500:
            failures.append(f"{label} → {url} as {persona}: {response.status_code}")
    assert sent > 1000, f"only {sent} requests: the URLs' fields were not found"
    assert not failures, f"{len(failures)} of {sent}:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_odd_values_in_the_path_answer_no_500(world):
    """The text parts of addresses (file tokens, a programme's code, a reset link's parts) hold a NUL, superscript
    digits or 10,000 characters; the numbers a 20-digit id."""
    failures = []
    for name, method, _url, persona, _data in _reachable_cases(world):
        case = next(c for c in MATRIX[name] if c.method == method)
        kwargs = case.kwargs(world)
        for odd in ("a\x00b", "²", "x" * 10_000, "1" * 20):
            changed = {k: (odd if isinstance(v, str) else ("1" * 20 if odd == "1" * 20 else v)) for k, v in kwargs.items()}
            if changed == kwargs:
                continue
            try:
                url = reverse(name, kwargs=changed)
            except NoReverseMatch:
                continue  # the converter refuses it: no such address
            response = _send(world, persona, method, url, {})
            if response.status_code >= 500:
                failures.append(f"{name} {url[:80]!r} as {persona}: {response.status_code}")
    assert not failures, "\n".join(failures)


# --- the findings, one by one ------------------------------------------------------------------------------------

def _as(world: World, persona: str, method: str, url: str, data: dict):
    return _send(world, persona, method, url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("paid_on", ["0001-01-01", "9999-12-31", "１９９９-01-01"])
def test_a_disbursement_date_out_of_range_is_a_field_error(world, paid_on):
    from reviews.models import Disbursement

    award = world.extra["money_award"]
    response = _as(world, "finance", "post", reverse("reviews:funds_award", kwargs={"pk": award.pk}),
                   {"action": "disbursement", "amount": "1000", "paid_on": paid_on, "reference": "财预〔2026〕1号"})
    assert response.status_code == 400
    assert "1900-01-01" in response.content.decode()  # the message gives the range
    assert not Disbursement.objects.filter(award=award).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["1e26", "1E3", "NaN", "-1", "²"])
def test_an_amount_in_another_notation_is_a_field_error(world, amount):
    award = world.extra["money_award"]
    for persona, action in (("reviewer", "amount"), ("finance", "disbursement")):
        response = _as(world, persona, "post", reverse("reviews:funds_award", kwargs={"pk": award.pk}),
                       {"action": action, "amount": amount, "paid_on": "2026-05-01", "reference": "财预〔2026〕1号"})
        assert response.status_code == 400, (persona, response.status_code)
        assert "amount" in response.content.decode() or "金额" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["security:otp_setup", "security:otp_verify"])
@pytest.mark.parametrize("token", ["²²²²²²", "１２３４５６", "12345\x00"])
def test_digits_other_than_ascii_are_no_second_factor_code(world, url_name, token):
    response = _as(world, "water", "post", reverse(url_name), {"token": token})
    assert response.status_code in (200, 400, REDIRECT) and response.status_code < 500
    if response.status_code != 302:
        assert "0–9" in response.content.decode() or "0-9" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_the_audit_search_refuses_dates_out_of_range(world, until):
    response = _as(world, "audit_admin", "get", reverse("security:audit"), {"until": until})
    assert response.status_code in (200, 400)
    assert "2999-12-31" in response.content.decode() or "1900-01-01" in response.content.decode()


def test_the_parameter_parser_takes_ascii_digits_within_the_column_only():
    from incentives import params

    assert params.id_from("42") == 42 and params.id_from(" 42 ") == 42
    for odd in ("²", "１２", "4²", "-1", "0", "1e3", "", None, "1" * 20, str(2**63), "\x00"):
        assert params.id_from(odd) is None, odd
    assert params.id_from(str(2**63 - 1)) == 2**63 - 1
    assert params.year_from("2026") == 2026 and params.year_from("9999") is None
    assert params.date_from("2026-02-28").day == 28
    assert params.date_from("2026-02-30") is None and params.date_from("0001-01-01") is None
    assert params.decimal_from("1e26") is None and params.decimal_from("12.50") == decimal.Decimal("12.50")
    assert not params.decimal_fits(decimal.Decimal("12.345"), max_digits=14, decimal_places=2)
    assert params.choice_from("draft", ["draft"]) == "draft" and params.choice_from("x\x00", ["draft"]) is None
    assert params.text_from("a\x00b") == "ab"


def test_numbers_typed_in_settings_and_imports_take_ascii_digits_only():
    from django.core.exceptions import ValidationError

    from measures.importing.notice import numeral_value
    from nominations.models import parse_offsets

    assert numeral_value("²") is None and numeral_value("十九") == 19 and numeral_value("19") == 19
    assert parse_offsets("30, 7,0") == [30, 7, 0]
    for odd in ("²", "１４", "1" * 20):
        with pytest.raises(ValidationError):
            parse_offsets(odd)
