"""The register of higher-level incentives won (reviewers, and the bureaus of measure 32, who record entries that
reviewers confirm) and the funds ledger (reviewers, and the finance bureau's staff, who enter disbursements).
Everyone else is told the page does not exist (404)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError, PermissionDeniedError
from measures.exports import export_response
from nominations.models import Cycle
from organisation.models import Unit

from .. import selectors, services
from ..forms import AmountForm, DisbursementForm, HigherAwardForm
from ..models import Award, HigherAward
from .common import _any_cycle_or_404, _form_error, reviewer_required, scope_required


@scope_required(selectors.register_scope)
def register(request, year: int):
    cycle = _any_cycle_or_404(request, year)
    units = list(selectors.register_units())
    form = HigherAwardForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            unit = next((u for u in units if u.pk == data["unit"]), None) or Unit.objects.filter(pk=data["unit"]).first()
            try:
                services.higher_award_record(actor=request.user, cycle=cycle, level=data["level"],
                                             document_number=data["document_number"],
                                             higher_measure=data["higher_measure"], unit=unit,
                                             awarded_on=data["awarded_on"])
            except PermissionDeniedError:
                raise Http404 from None
            except DomainError as error:
                _form_error(form, error)
                status = 400
            else:
                messages.success(request, _("The entry was registered; a reviewer confirms it."))
                return redirect("reviews:register", cycle.year)
        else:
            status = 400
    return render(request, "reviews/register.html", {
        "cycle": cycle, "form": form, "entries": selectors.higher_awards(cycle=cycle),
        "can_confirm": selectors.reviewer_scope(request.user),
    }, status=status)


@reviewer_required
@require_POST
def register_confirm(request, pk: int):
    try:
        entry = selectors.higher_award_get(pk=pk)
    except HigherAward.DoesNotExist:
        raise Http404 from None
    try:
        services.higher_award_confirm(actor=request.user, entry=entry)
    except DomainError as error:
        messages.error(request, error.message)
    else:
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
    except (TypeError, ValueError):
        return None


@scope_required(selectors.funds_scope)
def funds(request):
    year = _year_or_none(request.GET.get("year"))
    ledger = selectors.ledger(year=year)
    file_format = request.GET.get("format")
    if file_format in ("csv", "xlsx"):
        return export_response(_ledger_rows(ledger), file_format=file_format,
                               filename=f"funds-{year}" if year else "funds")
    return render(request, "reviews/funds.html", {
        "ledger": ledger, "year": year, "years": list(Cycle.objects.order_by("-year").values_list("year", flat=True)),
    })


@scope_required(selectors.funds_scope)
def funds_award(request, pk: int):
    try:
        award = selectors.ledger_award_get(pk=pk)
    except Award.DoesNotExist:
        raise Http404 from None
    if not award.category.carries_money:
        raise Http404
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
        except PermissionDeniedError as error:
            messages.error(request, error.message)
            status = 403
        except DomainError as error:
            _form_error(amount_form if action == "amount" else disbursement_form, error)
            status = 400
    return render(request, "reviews/funds_award.html", {
        "award": award, "disbursements": selectors.ledger_award_disbursements(award),
        "amount_form": amount_form, "disbursement_form": disbursement_form,
        "is_finance": selectors.is_finance_staff(request.user),
    }, status=status)
