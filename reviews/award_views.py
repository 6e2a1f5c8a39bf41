"""What the measures award, beyond the decisions on lists: requested exceptions to the cap, the register of
higher-level incentives won, the funds ledger, and the review of the bureaus' implementation rules.

Reviewers reach everything here; the finance bureau's staff (市财政局) the ledger, where they enter
disbursements; the bureaus of measure 32 the register, where they record entries that reviewers confirm. Everyone
else is told the page does not exist (404)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError, PermissionDeniedError
from measures.exports import export_response
from measures.models import ImplementationRules, IncentiveCategory
from measures.selectors import document_in_force
from nominations.models import CapExceptionRequest, Cycle
from organisation.models import Unit

from . import selectors, services
from .forms import (
    AmountForm,
    DisbursementForm,
    ExceptionGrantForm,
    ExceptionRefuseForm,
    ExceptionWithdrawForm,
    HigherAwardForm,
    RulesDecisionForm,
)
from .models import Award, HigherAward


def scope_required(scope):
    """Signed in and inside ``scope`` (a selector taking the user); anyone else gets 404."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not scope(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


reviewer_only = scope_required(selectors.reviewer_scope)


def _cycle_or_404(request, year: int) -> Cycle:
    """The cycle of ``year`` in the person's programmes; 404 outside them."""
    try:
        return selectors.cycle_get(year=year, user=request.user)
    except Cycle.DoesNotExist:
        raise Http404 from None


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- requested exceptions to the cap ---------------------------------------------------------------------------


def _request_or_404(request, pk: int) -> CapExceptionRequest:
    try:
        return selectors.exception_request_get(user=request.user, pk=pk)
    except CapExceptionRequest.DoesNotExist:
        raise Http404 from None


@reviewer_only
@require_POST
def exception_grant(request, pk: int):
    exception_request = _request_or_404(request, pk)
    form = ExceptionGrantForm(request.POST)
    back = reverse("reviews:list", args=[exception_request.nomination_list_id]) + "#cap-heading"
    if not form.is_valid():
        messages.error(request, _("Give the new limit and the reasons of the decision."))
        return redirect(back)
    try:
        services.cap_exception_grant(actor=request.user, request=exception_request,
                                     new_limit=form.cleaned_data["new_limit"], reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The exception was granted; the bureau is told."))
    return redirect(back)


@reviewer_only
@require_POST
def exception_refuse(request, pk: int):
    exception_request = _request_or_404(request, pk)
    form = ExceptionRefuseForm(request.POST)
    back = reverse("reviews:list", args=[exception_request.nomination_list_id]) + "#cap-heading"
    if not form.is_valid():
        messages.error(request, _("Say why the request is refused."))
        return redirect(back)
    try:
        services.cap_exception_refuse(actor=request.user, request=exception_request, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The request was refused; the bureau is told."))
    return redirect(back)


@reviewer_only
@require_POST
def exception_withdraw(request, year: int, category_pk: int):
    cycle = _cycle_or_404(request, year)
    category = IncentiveCategory.objects.filter(pk=category_pk, measure__document_id=cycle.document_id).first()
    if category is None:
        raise Http404
    form = ExceptionWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the exception is withdrawn."))
    else:
        try:
            services.cap_exception_withdraw(actor=request.user, cycle=cycle, category=category,
                                            reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The exception was withdrawn: the cap applies again."))
    return redirect(reverse("reviews:cap_exception", args=[cycle.year, category.pk]))


# --- the register of higher-level incentives won -----------------------------------------------------------------


@scope_required(selectors.register_scope)
def register(request, year: int):
    cycle = _cycle_or_404(request, year)
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


@reviewer_only
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


# --- implementation rules --------------------------------------------------------------------------------------------


@reviewer_only
def rules_overview(request):
    document = document_in_force()
    rows = selectors.rules_overview(document=document) if document else []
    return render(request, "reviews/rules.html", {
        "document": document, "rows": rows, "punctuality": selectors.rules_punctuality(rows),
        "decision_form": RulesDecisionForm(),
    })


@reviewer_only
@require_POST
def rules_decide(request, pk: int):
    try:
        filing = selectors.rules_get(pk=pk)
    except ImplementationRules.DoesNotExist:
        raise Http404 from None
    form = RulesDecisionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if request.POST.get("action") == "accept":
            services.rules_accept(actor=request.user, rules=filing, reason=reason)
            messages.success(request, _("The implementation rules were accepted."))
        else:
            services.rules_return(actor=request.user, rules=filing, reason=reason)
            messages.success(request, _("The implementation rules were sent back."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("reviews:rules") + f"#rules-{filing.measure_id}-{filing.bureau_id}")
