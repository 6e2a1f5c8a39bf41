"""Exceptions to the cap: the reviewer's page recording one, withdrawing it, and the bureaus' requests granted or refused.
Reviewers only."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError
from measures.models import IncentiveCategory
from nominations.models import CapExceptionRequest, Cycle, NominationList
from organisation import access
from organisation.selectors import audit_trail, trail_everything

from .. import selectors, services
from ..forms import CapExceptionForm, ExceptionGrantForm, ExceptionRefuseForm, ExceptionWithdrawForm
from .common import _form_error, _queue_url, reviewer_required


def _category_and_cycle_or_404(request, year: int, category_pk: int):
    """A category the person reviews and its programme's cycle of ``year`` (the year is the category's
    programme's); 404 otherwise."""
    try:
        category = selectors.category_for_review(user=request.user, pk=category_pk)
        cycle = selectors.cycle_get(year=year, user=request.user, programme_code=category.measure.document.programme.code)
    except (IncentiveCategory.DoesNotExist, Cycle.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None
    if category.measure.document_id != cycle.document_id:
        raise Http404
    return category, cycle


@reviewer_required
def cap_exception(request, year: int, category_pk: int):
    category, cycle = _category_and_cycle_or_404(request, year, category_pk)
    existing = selectors.cap_exception_for(cycle=cycle, category=category)
    form = CapExceptionForm(request.POST or None, initial={"new_limit": existing.new_limit if existing else category.cap + 1,
                                                           "reason": existing.reason if existing else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.cap_exception_record(actor=request.user, cycle=cycle, category=category,
                                          new_limit=form.cleaned_data["new_limit"], reason=form.cleaned_data["reason"])
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The exception to the cap is recorded."))
            nl = NominationList.objects.filter(cycle=cycle, category=category).only("pk").first()
            return redirect("reviews:list", pk=nl.pk) if nl else redirect(_queue_url(cycle))
    return render(request, "reviews/cap_exception_form.html", {"cycle_actions": access.actions_for(request.user, cycle),
        "cycle": cycle, "category": category, "existing": existing, "form": form,
        "withdraw_form": ExceptionWithdrawForm(),
        "trail": audit_trail(selectors.audit_trail_for_many([existing]), everything=trail_everything(request))
        if existing else [],
    }, status=400 if form.errors else 200)


def _request_or_404(request, pk: int) -> CapExceptionRequest:
    try:
        return selectors.exception_request_get(user=request.user, pk=pk)
    except CapExceptionRequest.DoesNotExist:
        raise Http404 from None


@reviewer_required
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


@reviewer_required
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


@reviewer_required
@require_POST
def exception_withdraw(request, year: int, category_pk: int):
    category, cycle = _category_and_cycle_or_404(request, year, category_pk)
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
