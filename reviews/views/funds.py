"""The register of higher-level incentives won (reviewers, and the register clerks of the programme, who record
entries that reviewers confirm) and the funds ledger (reviewers, and the programme's finance bureau's staff, who
enter disbursements). Every read and action asks the door (``organisation.access``, rules in
``reviews/access.py``): anyone else, and anyone of another programme, is told the page does not exist (404)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError
from measures.exports import export_response
from nominations.models import Cycle
from nominations.phases import Change, phase_allows
from organisation import access
from organisation import services as organisation_services

from .. import selectors, services
from ..access import funds_keepers, register_keepers
from ..forms import AmountForm, DisbursementForm, HigherAwardForm
from .common import _cycle_or_404, _form_error, reviewer_required


@access.door(register_keepers)
def register(request, year: int):
    cycle = _cycle_or_404(request, year, action="register")
    units = list(selectors.register_units(programme_id=cycle.programme_id))
    form = HigherAwardForm(request.POST or None, units=units)
    status = 200
    posted_unit = request.POST.get("unit", "") if request.method == "POST" else ""
    if posted_unit and posted_unit not in {str(u.pk) for u in units}:
        raise access.NotYours  # a unit of another programme (or none at all) is not the register's to name
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            unit = next((u for u in units if u.pk == data["unit"]), None)
            try:
                services.higher_award_record(actor=request.user, cycle=cycle, level=data["level"],
                                             document_number=data["document_number"],
                                             higher_measure=data["higher_measure"], unit=unit,
                                             awarded_on=data["awarded_on"])
            except access.Refused:
                raise
            except DomainError as error:
                _form_error(form, error)
                status = 400
            else:
                messages.success(request, _("The entry was registered; a reviewer confirms it."))
                return redirect("reviews:register", cycle.year)
        else:
            status = 400
    entries = selectors.higher_awards(cycle=cycle)
    return render(request, "reviews/register.html", {
        "cycle": cycle, "form": form, "entries": entries,
        "confirmable": {entry.pk for entry in entries if "confirm" in access.actions_for(request.user, entry)},
        "can_record": phase_allows(cycle, Change.REGISTER),
    }, status=status)


@reviewer_required
@require_POST
def register_confirm(request, pk: int):
    entry = selectors.higher_award_get(user=request.user, pk=pk)
    services.higher_award_confirm(actor=request.user, entry=entry)
    messages.success(request, _("The entry was confirmed."))
    return redirect("reviews:register", entry.cycle.year)


# --- funds ---------------------------------------------------------------------------------------------------------

LEDGER_HEADER = ["year", "measure", "category", "unit", "bureau", "origin", "pledged", "disbursed", "remaining"]


def _ledger_rows(ledger):
    yield list(LEDGER_HEADER)
    for row in ledger.rows:
        award = row.award
        origin = award.higher_award.document_number if award.higher_award_id else ""
        yield [award.cycle.year, award.category.measure.number, award.category.code, award.unit.display_name,
               row.bureau.short_name if row.bureau else "", origin,
               "" if row.pledged is None else str(row.pledged), str(row.disbursed),
               "" if row.remaining is None else str(row.remaining)]


def _year_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


@access.door(funds_keepers)
def funds(request):
    programme = selectors.funds_programme(request.user, request.GET.get("programme"))
    year = _year_or_none(request.GET.get("year"))
    ledger = selectors.ledger(user=request.user, programme=programme, year=year)
    file_format = request.GET.get("format")
    if file_format in ("csv", "xlsx"):
        rows = list(_ledger_rows(ledger))
        organisation_services.data_export_record(actor=request.user, what="funds", target=programme,
                                                 file_format=file_format, rows=len(rows) - 1)
        return export_response(rows, file_format=file_format, filename=f"funds-{year}" if year else "funds")
    return render(request, "reviews/funds.html", {
        "ledger": ledger, "year": year, "programme": programme,
        "years": list(Cycle.objects.filter(programme=programme).order_by("-year").values_list("year", flat=True)),
    })


@access.door(funds_keepers)
def funds_award(request, pk: int):
    award = selectors.ledger_award_get(user=request.user, pk=pk)
    if not award.category.carries_money:
        raise Http404
    actions = access.actions_for(request.user, award)
    amount_form = AmountForm(initial={"amount": award.amount})
    disbursement_form = DisbursementForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "amount":
                amount_form = AmountForm(request.POST)
                if amount_form.is_valid():
                    services.award_amount_set(actor=request.user, award=award, amount=amount_form.cleaned_data["amount"])
                    messages.success(request, _("The amount was saved."))
                    return redirect("reviews:funds_award", award.pk)
            elif action == "disbursement":
                disbursement_form = DisbursementForm(request.POST)
                if disbursement_form.is_valid():
                    data = disbursement_form.cleaned_data
                    services.disbursement_record(actor=request.user, award=award, amount=data["amount"],
                                                 paid_on=data["paid_on"], reference=data["reference"])
                    messages.success(request, _("The disbursement was recorded."))
                    return redirect("reviews:funds_award", award.pk)
            status = 400
        except access.Refused:
            raise
        except DomainError as error:
            _form_error(amount_form if action == "amount" else disbursement_form, error)
            status = 400
    return render(request, "reviews/funds_award.html", {
        "award": award, "disbursements": selectors.ledger_award_disbursements(award),
        "amount_form": amount_form, "disbursement_form": disbursement_form, "actions": actions,
    }, status=status)
