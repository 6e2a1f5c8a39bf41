"""Screening (负面清单) and the balance of the year: the register of disqualifying events (typed, or imported from a
spreadsheet with a preview), the settlement of a flag from the list's review page, and the balance of the year's
proposed awardees with its export. Reviewers only."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError
from measures.exports import export_response
from measures.importing.admin_views import pending_discard, pending_load, pending_save
from measures.importing.reading import ImportFileError, read_upload
from organisation import access
from organisation import services as organisation_services

from .. import selectors, services
from ..forms import ScreeningEventForm, ScreeningSettleForm, ScreeningUploadForm
from ..programmes import review_programme_code, with_programme
from ..selectors.balance import balance_of, balance_table
from ..services.screening import COLUMNS as IMPORT_COLUMNS
from .common import _cycle_or_404, _form_error, reviewer_required


def _programme(request):
    code, _explicit = review_programme_code(request)
    try:
        return selectors.screening_programme(request.user, code)
    except access.NotYours:
        if request.GET.get("programme"):
            raise
        return selectors.screening_programme(request.user)


def _register_url(programme) -> str:
    return with_programme(reverse("reviews:screening"), programme)


@reviewer_required
def screening_register(request):
    """The programme's register of screening events, and the form to record one."""
    programme = _programme(request)
    units = selectors.screening_units(programme=programme)
    form = ScreeningEventForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.screening_event_record(actor=request.user, programme=programme, unit=data["unit"],
                                            kind=data["kind"], source_document=data["source_document"],
                                            occurred_on=data["occurred_on"], ended_on=data["ended_on"],
                                            description=data["description"])
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The event is recorded."))
            return redirect(_register_url(programme))
    return render(request, "reviews/screening.html", {
        "programme": programme, "form": form,
        "events": selectors.screening_events(user=request.user, programme=programme),
    }, status=400 if form.errors else 200)


@reviewer_required
def screening_import(request):
    """Import events from a spreadsheet: upload, preview (every row, its errors by row and column), confirm. A
    file with any error is refused whole: nothing is written."""
    programme = _programme(request)
    context = {"programme": programme, "form": ScreeningUploadForm(), "columns": IMPORT_COLUMNS}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        data, options = pending_load(request, token)
        if options.get("screening_programme") != programme.pk or "cancel" in request.POST:
            pending_discard(request, token)
            messages.info(request, _("Import cancelled: nothing was changed."))
            return redirect(_register_url(programme))
        plan = services.screening_import_plan(actor=request.user, programme=programme, data=data,
                                              filename=options.get("filename", ""))
        try:
            written = services.screening_import(actor=request.user, plan=plan)
        except DomainError as error:
            return render(request, "reviews/screening_import.html", {**context, "plan": plan,
                                                                      "error": error.message}, status=400)
        pending_discard(request, token)
        messages.success(request, _("%(count)s event(s) imported.") % {"count": len(written)})
        return redirect(_register_url(programme))
    if request.method == "POST":
        form = ScreeningUploadForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "reviews/screening_import.html", context, status=400)
        upload = form.cleaned_data["file"]
        try:
            data = read_upload(upload)
        except ImportFileError as error:
            return render(request, "reviews/screening_import.html", {**context, "error": error.message}, status=400)
        plan = services.screening_import_plan(actor=request.user, programme=programme, data=data,
                                              filename=upload.name)
        token = (pending_save(request, data=data, options={"screening_programme": programme.pk,
                                                           "filename": upload.name})
                 if plan.is_valid else None)
        return render(request, "reviews/screening_import.html", {**context, "plan": plan, "token": token},
                      status=200 if plan.is_valid else 400)
    return render(request, "reviews/screening_import.html", context)


@reviewer_required
@require_POST
def screening_settle(request, award_pk: int, event_pk: int):
    """Settle one flag from the list's review page: keep the award with the reason, or withdraw it."""
    award = selectors.award_for_screening(user=request.user, pk=award_pk)
    event = selectors.screening_event_get(user=request.user, pk=event_pk)
    back = (reverse("reviews:list", args=[award.nominee.nomination_list_id]) + "#screening-heading"
            if award.nominee_id else reverse("reviews:notice", args=[award.cycle.year]))
    form = ScreeningSettleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the settlement and give its reason."))
        return redirect(back)
    try:
        services.screening_flag_settle(actor=request.user, award=award, event=event,
                                       withdraw=form.cleaned_data["outcome"] == "withdrawn",
                                       reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The screening flag on %(unit)s is settled.") % {"unit": award.unit})
    return redirect(back)


# --- the balance of the year -------------------------------------------------------------------------------------


@reviewer_required
def balance(request, year: int):
    """The balance of the year's proposed awardees: by district, kind of unit and measure, the districts with
    none, the units rewarded in the same category in earlier years (flagged as the programme sets), with charts
    and their tables."""
    cycle = _cycle_or_404(request, year)
    result = balance_of(cycle=cycle)
    return render(request, "reviews/balance.html", {"cycle": cycle, "balance": result})


@reviewer_required
def balance_export(request, year: int):
    """The balance as .xlsx or .csv (``?format=``), in Chinese; the export is recorded."""
    cycle = _cycle_or_404(request, year)
    file_format = request.GET.get("format", "xlsx")
    if file_format not in ("xlsx", "csv"):
        raise Http404
    with translation.override("zh-hans"):
        rows = balance_table(balance_of(cycle=cycle))
    organisation_services.data_export_record(actor=request.user, what="balance", target=cycle,
                                             file_format=file_format, rows=len(rows) - 1)
    return export_response(rows, file_format=file_format, filename=f"balance-{cycle.year}")
