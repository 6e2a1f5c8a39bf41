"""Admin pages: upload → preview (new, changed, unchanged, invalid rows, each invalid one with its reasons) →
confirm or cancel, for a catalogue spreadsheet, for a notice's text, and for the organisation's bureaus, units and
people (``organisation_import_view``, the importers of ``measures.importing.organisation``); the template; the
exports.

Between preview and confirm the upload waits in a private temporary file named by a random token kept in the
session; confirming reads it again and re-plans against the database as it is then, so a change made meanwhile
cannot be overwritten blindly. The import runs in the request: the limits (settings.IMPORT_MAX_BYTES, 5,000
catalogue rows) keep it to a few seconds, and the preview page says how long reading took.
"""

from __future__ import annotations

import secrets
import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from measures.exports import CATALOGUE_HEADER, CATALOGUE_LABELS, catalogue_rows, export_response
from measures.models import PolicyDocument
from organisation import services as organisation_services
from organisation.models import Programme
from organisation.roles import is_administrator

from .forms import MeasuresUploadForm, NoticeUploadForm, OrganisationUploadForm
from .notice_plan import plan_notice_text
from .organisation import IMPORTERS
from .plan import INVALID, UNCHANGED, new_document_fields
from .reading import ImportFileError, read_upload
from .services import catalogue_import
from .spreadsheet import plan_catalogue_file
from .text import notice_source_from_bytes

SESSION_KEY = "measures_pending_imports"
PREVIEW_ROW_LIMIT = 1_000


# A previewed file waits for its confirmation in the default storage, not on the web host's disk: the confirming
# request may reach another host (several web hosts behind the proxy; object storage in production).
PENDING_PREFIX = "pending-imports/"


def _pending_name(token: str) -> str | None:
    return PENDING_PREFIX + token if token and token.replace("-", "").replace("_", "").isalnum() else None


def pending_save(request, *, data: bytes, options: dict) -> str:
    token = secrets.token_urlsafe(24)
    default_storage.save(_pending_name(token), ContentFile(data))
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = options
    request.session[SESSION_KEY] = pending
    return token


def pending_load(request, token: str) -> tuple[bytes, dict]:
    options = request.session.get(SESSION_KEY, {}).get(token)
    name = _pending_name(token)
    if options is None or name is None or not default_storage.exists(name):
        raise Http404
    with default_storage.open(name, "rb") as handle:
        return handle.read(), options


def pending_discard(request, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    name = _pending_name(token)
    if name is not None:
        default_storage.delete(name)


def _require_administrator(request) -> None:
    if not is_administrator(request.user):
        raise PermissionDenied


def _options_from_form(form) -> dict:
    cleaned = form.cleaned_data
    return {
        "document": cleaned["document"].pk if cleaned.get("document") else None,
        "new_number": cleaned.get("new_number") or "", "new_title": cleaned.get("new_title") or "",
        "issuer": cleaned.get("issuer") or "", "supersedes": cleaned["supersedes"].pk if cleaned.get("supersedes") else None,
        "create_bureaus": bool(cleaned.get("create_bureaus")),
        "categories_from": cleaned["categories_from"].pk if cleaned.get("categories_from") else None,
        "programme": cleaned["programme"].pk if cleaned.get("programme") else None,
    }


def _plan(kind: str, data: bytes, options: dict, filename: str):
    document = PolicyDocument.objects.filter(pk=options["document"]).first() if options["document"] else None
    programme = Programme.objects.filter(pk=options["programme"]).first() if options.get("programme") else None
    new_document = None
    if document is None:
        supersedes = PolicyDocument.objects.filter(pk=options["supersedes"]).first() if options.get("supersedes") else None
        new_document = new_document_fields(number=options["new_number"], title=options["new_title"],
                                           issuer=options.get("issuer", ""), supersedes=supersedes)
    if kind == "notice":
        text = notice_source_from_bytes(data, filename=filename)
        reference = PolicyDocument.objects.filter(pk=options["categories_from"]).first() if options.get("categories_from") else None
        return plan_notice_text(text, document=document, new_document=new_document, create_bureaus=options["create_bureaus"],
                                categories_from=reference, programme=programme)
    return plan_catalogue_file(data, filename=filename, document=document, new_document=new_document,
                               create_bureaus=options["create_bureaus"], programme=programme)


def import_view(model_admin, request, *, kind: str):
    """kind is "measures" (a spreadsheet) or "notice" (a notice's text)."""
    _require_administrator(request)
    form_class = NoticeUploadForm if kind == "notice" else MeasuresUploadForm
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "kind": kind,
               "title": _("Import a notice") if kind == "notice" else _("Import measures from a spreadsheet")}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        data, options = pending_load(request, token)
        if "cancel" in request.POST:
            pending_discard(request, token)
            messages.info(request, _("Import cancelled: nothing was changed."))
            return redirect(reverse("admin:measures_measure_changelist"))
        try:
            plan = _plan(kind, data, options, options.get("filename", ""))
            document = catalogue_import(actor=request.user, plan=plan)
        except (DomainError, ImportFileError) as error:
            messages.error(request, str(getattr(error, "message", error)))
            form = form_class()
        else:
            pending_discard(request, token)
            counts = plan.counts()
            messages.success(request, _("Imported into %(document)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.") % {
                "document": document.number, **counts})
            return redirect(reverse("admin:measures_measure_changelist") + f"?document__id__exact={document.pk}")
    elif request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            started = time.perf_counter()
            upload = form.cleaned_data.get("file")
            try:
                if upload is not None:
                    data, filename = read_upload(upload), upload.name
                else:
                    data, filename = form.cleaned_data["text"].encode("utf-8"), "pasted.txt"
                options = {**_options_from_form(form), "filename": filename}
                plan = _plan(kind, data, options, filename)
            except ImportFileError as error:
                form.add_error("file" if kind == "measures" else None, error.message)
            else:
                return _preview_response(request, context, form=form, plan=plan, started=started, data=data,
                                         options=options)
    else:
        form = form_class()
    return _form_response(request, context, form=form, header=CATALOGUE_HEADER)


def _preview_response(request, context: dict, *, form, plan, started: float, data: bytes, options: dict):
    """The preview of a planned file; a valid plan that changes something waits for its confirmation."""
    context.update(_preview_context(plan, time.perf_counter() - started))
    if plan.is_valid and plan.has_changes:
        context["token"] = pending_save(request, data=data, options=options)
    context["form"] = form
    return TemplateResponse(request, "admin/measures/import_preview.html", context)


def _form_response(request, context: dict, *, form, header) -> TemplateResponse:
    context["form"] = form
    context["header"] = header
    # The help names the columns as the template's header writes them (Chinese), not by their names in the code.
    context["columns"] = CATALOGUE_LABELS
    return TemplateResponse(request, "admin/measures/import_form.html", context)


def _preview_context(plan, seconds: float) -> dict:
    rows = [row for row in plan.rows if row.status != UNCHANGED][:PREVIEW_ROW_LIMIT]
    return {
        "plan": plan, "counts": plan.counts(), "rows": rows, "file_errors": plan.errors,
        "invalid_rows": [row for row in plan.rows if row.status == INVALID],
        "error_count": len(plan.all_errors), "seconds": f"{seconds:.2f}",
        "unknown_bureaus": sorted(getattr(plan, "unknown_bureaus", {}).items()),
        "truncated": len([r for r in plan.rows if r.status != UNCHANGED]) > PREVIEW_ROW_LIMIT,
        "preview_limit": PREVIEW_ROW_LIMIT,
        "published_years": plan.published_years() if hasattr(plan, "published_years") else [],
    }


def organisation_import_view(model_admin, request, *, kind: str):
    """Bureaus, nominee units or people (kind "bureaus", "units", "users") from .xlsx or .csv: the same
    upload → preview → confirm as the catalogue, with the importer the ``import_organisation`` command uses.
    Confirming plans the stored file again against the database as it is then, and imports all or nothing."""
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    plan_file, apply_plan, columns = IMPORTERS[kind]
    changelist = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "kind": kind,
               "title": _("Import %(things)s") % {"things": model_admin.opts.verbose_name_plural}}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        data, options = pending_load(request, token)
        if options.get("kind") != kind:
            raise Http404
        if "cancel" in request.POST:
            pending_discard(request, token)
            messages.info(request, _("Import cancelled: nothing was changed."))
            return redirect(changelist)
        programme = Programme.objects.filter(pk=options.get("programme")).first() if options.get("programme") else None
        plan = plan_file(data, filename=options["filename"], programme=programme)
        try:
            result = apply_plan(actor=request.user, plan=plan)
        except DomainError as error:
            for row_error in plan.all_errors[:20]:
                messages.error(request, str(row_error))
            messages.error(request, str(error))
            form = OrganisationUploadForm()
        else:
            pending_discard(request, token)
            messages.success(request, _("Imported: %(created)s new, %(updated)s changed.") % result)
            return redirect(changelist)
    elif request.method == "POST":
        form = OrganisationUploadForm(request.POST, request.FILES)
        if form.is_valid():
            started = time.perf_counter()
            upload = form.cleaned_data["file"]
            try:
                data = read_upload(upload)
            except ImportFileError as error:
                form.add_error("file", error.message)
            else:
                programme = form.cleaned_data.get("programme")
                plan = plan_file(data, filename=upload.name, programme=programme)
                options = {"kind": kind, "filename": upload.name, "programme": programme.pk if programme else None}
                return _preview_response(request, context, form=form, plan=plan, started=started, data=data,
                                         options=options)
    else:
        form = OrganisationUploadForm()
    return _form_response(request, context, form=form, header=columns)


def template_view(model_admin, request, file_format: str):
    """The catalogue's headers and one example row, the way an export writes them."""
    _require_administrator(request)
    if file_format not in ("csv", "xlsx"):
        raise Http404
    example = ["6", "六", "水务建设投资", "6", "水务建设投资", "市水务局", "市发展改革委", "", "", "市水务局会市发展改革委负责",
               "区", "commendation、funding", "3"]
    return export_response(iter([list(CATALOGUE_HEADER), example]), file_format=file_format, filename="measures-template")


def exports_view(model_admin, request):
    _require_administrator(request)
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
               "title": _("Exports"), "documents": PolicyDocument.objects.order_by("-issued_on", "number")}
    return TemplateResponse(request, "admin/measures/exports.html", context)


def export_view(model_admin, request, what: str, pk: int, file_format: str):
    _require_administrator(request)
    if file_format not in ("csv", "xlsx"):
        raise Http404
    if what == "catalogue":
        document = get_object_or_404(PolicyDocument, pk=pk)
        rows = list(catalogue_rows(document))
        organisation_services.data_export_record(actor=request.user, what="catalogue", target=document,
                                                 file_format=file_format, rows=len(rows) - 1)
        return export_response(rows, file_format=file_format, filename=f"catalogue-{document.pk}")
    raise Http404

