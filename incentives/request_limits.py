"""Request bodies: capped before they are read, and a body that cannot be parsed answers 400.

Every request gets a limit from the kind of request it is (``body_limit``):

* ``upload``: a multipart request to a page that takes files, as ``UPLOAD_PAGES`` lists them (evidence on the
  list's edit page, implementation rules, the public objection with its evidence file, the admin's imports): the
  page's file limit (``EVIDENCE_MAX_BYTES`` or ``IMPORT_MAX_BYTES``) stops each file as soon as it passes it,
  without reading the rest, and the body may hold the page's files and its form. Only the public objection takes a
  file from someone not signed in;
* ``small`` (``REQUEST_MAX_BYTES_SMALL``): sign-in, password reset, health, language, sign-out, and every other
  request of someone not signed in — nothing else a stranger may send is large. A public form that takes more text
  than that (the objection's 8,000 characters of grounds) gets what its form's fields can hold (``form_bytes``);
* ``form`` (``REQUEST_MAX_BYTES_FORM``): every other request of a signed-in person.

A query string longer than ``REQUEST_MAX_QUERY_BYTES`` (what gunicorn's request line can hold) answers 414 before
anything parses it. A declared ``Content-Length`` above the limit is refused with 413 before one byte of the body is read. A body that
passes is parsed here, once, before the CSRF middleware reads it: a wrong charset (``charset=gbk`` on a form),
malformed multipart or too many fields answer 400 with a page that says so, and nothing after this middleware
(the CSRF check, the error handlers) reads the broken body again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

SMALL_URL_NAMES = frozenset({
    "login", "logout", "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "health", "set_language", "admin:login", "admin:logout",
})
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class UploadPage:
    """A page that takes files: the setting holding its limit per file, and for a public page (someone not signed in
    may send its form) the form whose fields come with the file. A signed-in person's upload may hold several files
    (``REQUEST_MAX_BYTES_UPLOAD``); a public page's one file and its form."""

    file_setting: str
    form: str | None = None
    public: bool = False

    def body_bytes(self) -> int:
        if self.public and self.form:
            return getattr(settings, self.file_setting) + form_bytes(self.form)
        return settings.REQUEST_MAX_BYTES_UPLOAD


# Every page that takes files, by URL name, with its limits (the one table: a new upload page gets a row here).
UPLOAD_PAGES = {
    "nominations:edit": UploadPage("EVIDENCE_MAX_BYTES"),
    "nominations:rules": UploadPage("EVIDENCE_MAX_BYTES"),  # implementation rules are checked as evidence is
    "results:objection": UploadPage("EVIDENCE_MAX_BYTES", form="reviews.forms.ObjectionForm", public=True),
    "programme_results:objection": UploadPage("EVIDENCE_MAX_BYTES", form="reviews.forms.ObjectionForm", public=True),
}
# The admin's imports (django-import-export's and ours) take a spreadsheet or a notice.
IMPORT_URL_NAME = re.compile(r"^admin:[a-z_]+_(import|import_notice)$")
IMPORT_PAGE = UploadPage("IMPORT_MAX_BYTES")
# Public pages whose form holds more text than REQUEST_MAX_BYTES_SMALL: what their fields can hold.
PUBLIC_FORMS = {name: page.form for name, page in UPLOAD_PAGES.items() if page.public and page.form}
# The most bytes one character of a form field takes in a body: a 4-byte UTF-8 character percent-encoded.
BYTES_PER_CHARACTER = 12


@lru_cache
def form_bytes(form_path: str) -> int:
    """The most an honest submission of the form at ``form_path`` takes (its text fields full, percent-encoded),
    with room for the field names, the CSRF token and multipart headers."""
    form = import_string(form_path)
    characters = sum(getattr(field, "max_length", None) or 200 for field in form.base_fields.values())
    return characters * BYTES_PER_CHARACTER + 16 * 1024


@dataclass(frozen=True)
class BodyLimit:
    kind: str
    max_bytes: int
    file_max_bytes: int | None = None  # uploads only: the most one file may hold


class FileTooLarge(RequestDataTooBig):
    """One uploaded file passed the limit of the page it was sent to; the rest of the body is left unread."""

    def __init__(self, limit: int):
        super().__init__(f"an uploaded file is larger than {limit} bytes")
        self.limit = limit


class FileSizeLimitUploadHandler(FileUploadHandler):
    """Counts the bytes of each file as they arrive and stops the upload the moment one passes the limit.

    It runs first, so the handlers that write the file to memory or to disk never receive the bytes past it."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise FileTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None


def _url_name(request) -> str | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.view_name


def _signed_in(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_KEY))


def upload_page(name: str | None) -> UploadPage | None:
    if name in UPLOAD_PAGES:
        return UPLOAD_PAGES[name]
    if name and IMPORT_URL_NAME.match(name):
        return IMPORT_PAGE
    return None


def body_limit(request) -> BodyLimit:
    name = _url_name(request)
    if name in SMALL_URL_NAMES:
        return BodyLimit("small", settings.REQUEST_MAX_BYTES_SMALL)
    signed_in = _signed_in(request)
    page = upload_page(name)
    if request.content_type == "multipart/form-data" and page is not None and (signed_in or page.public):
        return BodyLimit("upload", page.body_bytes(), getattr(settings, page.file_setting))
    if not signed_in:
        if name in PUBLIC_FORMS:
            return BodyLimit("small", max(settings.REQUEST_MAX_BYTES_SMALL, form_bytes(PUBLIC_FORMS[name])))
        return BodyLimit("small", settings.REQUEST_MAX_BYTES_SMALL)
    return BodyLimit("form", settings.REQUEST_MAX_BYTES_FORM)


def _declared_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        value = int(raw)
    except ValueError:
        return None if raw == "" else -1
    return value


def error_page(request, *, status: int, title: str, message: str) -> HttpResponse:
    """A page of its own: it needs no signed-in user, no context processor and nothing from the request body."""
    html = render_to_string("errors/request_refused.html",
                            {"status": status, "title": title, "message": message, "home": "/"})
    return HttpResponse(html, status=status)


def too_large_page(request, limit: int, *, file_limit: bool = False) -> HttpResponse:
    if file_limit:
        message = _("A file you sent is larger than %(limit)s, the most this page accepts. Nothing was saved.")
    else:
        message = _("What you sent is larger than %(limit)s, the most this page accepts. Nothing was saved.")
    return error_page(request, status=413, title=_("Too large"), message=message % {"limit": filesizeformat(limit)})


def bad_request_page(request, message: str | None = None) -> HttpResponse:
    return error_page(request, status=400, title=_("Bad request"),
                      message=message or _("The request could not be read. Nothing was saved. Go back and try again."))


class RequestLimitMiddleware:
    """Caps the body by the kind of request, then parses it once (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if len(query) > settings.REQUEST_MAX_QUERY_BYTES:
            return error_page(request, status=414, title=_("Address too long"),
                              message=_("The address is longer than this site accepts. Nothing was done."))
        if "%00" in query or "\x00" in query or "\x00" in request.path_info:
            # No search, filter or id in an address holds a NUL, and PostgreSQL cannot compare one.
            return bad_request_page(request, _("The address contains a NUL character. Nothing was done."))
        limit = body_limit(request)
        length = _declared_length(request)
        if length is not None and length < 0:
            return bad_request_page(request, _("The request declares an invalid length."))
        if length is not None and length > limit.max_bytes:
            return too_large_page(request, limit.max_bytes)
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in FORM_CONTENT_TYPES:
            refusal = self._parse(request, limit)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _parse(request, limit: BodyLimit) -> HttpResponse | None:
        charset = request.content_params.get("charset", "utf-8").strip().lower()
        if charset not in ("utf-8", "utf8"):
            # Django refuses a known charset other than UTF-8 on a form, but reads an unknown one as UTF-8.
            return bad_request_page(request, _("Forms must be sent in UTF-8. Nothing was saved."))
        tail = None
        if request.content_type == "multipart/form-data":
            tail = _Tail(request)
        if limit.file_max_bytes is not None:
            request.upload_handlers.insert(0, FileSizeLimitUploadHandler(request, limit=limit.file_max_bytes))
        elif request.content_type == "multipart/form-data":
            # A page that takes no file: a file part counts against the form's limit like any other.
            request.upload_handlers.insert(0, FileSizeLimitUploadHandler(request, limit=limit.max_bytes))
        try:
            request.POST  # noqa: B018 - parses the body (and the files) once, here
            request.FILES  # noqa: B018
        except FileTooLarge as error:
            return too_large_page(request, error.limit, file_limit=True)
        except (RequestDataTooBig, TooManyFieldsSent):
            return too_large_page(request, limit.max_bytes)
        except BadRequest:
            return bad_request_page(request, _("Forms must be sent in UTF-8. Nothing was saved."))
        except (MultiPartParserError, SuspiciousOperation, UnicodeDecodeError, ValueError):
            return bad_request_page(request)
        if tail is not None and not tail.closed_properly():
            return bad_request_page(request, _("The form arrived incomplete. Nothing was saved. Send it again."))
        if _has_undecodable_text(request.POST):
            return bad_request_page(request, _("Forms must be sent in UTF-8. Nothing was saved."))
        return None


def _has_undecodable_text(data) -> bool:
    """Django decodes form fields with errors="replace": U+FFFD is where the bytes were not UTF-8."""
    return any("\ufffd" in key or any("\ufffd" in value for value in values) for key, values in data.lists())


class _Tail:
    """Keeps the last bytes the multipart parser reads, to check the body ends with the closing boundary (Django
    accepts a body cut short and keeps the fields it got; a cut-off form must not be saved as if complete)."""

    def __init__(self, request):
        self.closing = b"--" + request.content_params.get("boundary", "").encode("latin-1", "replace") + b"--"
        self.stream = request._stream  # WSGIRequest's body stream: the parser reads through request.read()
        self.tail = b""
        request._stream = self

    def _keep(self, data: bytes) -> bytes:
        self.tail = (self.tail + data)[-(len(self.closing) + 64):]
        return data

    def read(self, *args, **kwargs):
        return self._keep(self.stream.read(*args, **kwargs))

    def readline(self, *args, **kwargs):
        return self._keep(self.stream.readline(*args, **kwargs))

    def closed_properly(self) -> bool:
        return self.closing in self.tail


def bad_request(request, exception=None):
    """handler400: the same page, without reading the request's body again."""
    return bad_request_page(request)
