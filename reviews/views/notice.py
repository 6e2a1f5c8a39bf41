"""The review's phases before the result: closing the year to submissions, the public notice's preflight and start, and
the objections filed while it runs. Reviewers only."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives import params
from incentives.errors import DomainError
from incentives.files import DOWNLOAD_HEADERS, stored_file_response
from organisation import access
from organisation.selectors import audit_trail, trail_everything

from .. import selectors, services
from ..forms import BeginReviewForm, NoticeStartForm, SettleForm
from ..models import Objection
from ..programmes import results_path, with_programme
from ..selectors.balance import balance_of
from .common import _cycle_or_404, _queue_url, reviewer_required


@reviewer_required
@require_POST
def cycle_begin_review(request, year: int):
    """Close the year to submissions, once the reviewer has confirmed it (a refused confirmation shows the step
    again, its error first and focused)."""
    cycle = _cycle_or_404(request, year)
    form = BeginReviewForm(request.POST)
    if not form.is_valid():
        return render(request, "reviews/begin_review.html", {"cycle": cycle, "form": form,
                                                             "cycle_actions": access.actions_for(request.user, cycle)},
                      status=400)
    try:
        services.cycle_review_begin(actor=request.user, cycle=cycle)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The %(year)s cycle is under review: submissions are closed.") % {"year": cycle.year})
    return redirect(_queue_url(cycle))


@reviewer_required
def notice_preflight(request, year: int):
    """What stands in the way of the public notice, the categories to acknowledge, and the button to go."""
    cycle = _cycle_or_404(request, year)
    error = None
    form = NoticeStartForm(request.POST if request.method == "POST" else None)
    same_reason = (request.POST.get("ack-all") or "").strip()
    if request.method == "POST":
        acknowledgements = {key.removeprefix("ack-"): value for key, value in request.POST.items()
                            if key.startswith("ack-") and params.id_from(key.removeprefix("ack-")) is not None}
        # "The same reason for all": every category left without its own reason takes it.
        if same_reason:
            for row in selectors.notice_preflight(cycle=cycle).missing:
                if not (acknowledgements.get(str(row.category.pk)) or "").strip():
                    acknowledgements[str(row.category.pk)] = same_reason
        try:
            if not form.is_valid():
                raise DomainError(form.errors["confirm"][0])
            services.cycle_notice_start(actor=request.user, cycle=cycle, acknowledgements=acknowledgements)
        except DomainError as failure:
            error = failure.message
        else:
            messages.success(request, _("The %(year)s proposed awardees are on public notice.") % {"year": cycle.year})
            return redirect(results_path("notice", cycle.programme, cycle.year))
    preflight = selectors.notice_preflight(cycle=cycle)
    return render(request, "reviews/notice_preflight.html", {"cycle_actions": access.actions_for(request.user, cycle),
        "balance": balance_of(cycle=cycle),
        "cycle": cycle, "preflight": preflight, "error": error, "form": form, "same_reason": same_reason,
        "missing_rows": [(row, request.POST.get(f"ack-{row.category.pk}", "")) for row in preflight.missing],
    }, status=400 if error else 200)


@reviewer_required
def objection_list(request, year: int):
    cycle = _cycle_or_404(request, year)
    return render(request, "reviews/objections.html", {"cycle": cycle,
                                                       "objections": selectors.objections_of(cycle=cycle)})


@reviewer_required
def objection_settle(request, pk: int):
    try:
        objection = selectors.objection_for_review(user=request.user, pk=pk)
    except Objection.DoesNotExist:
        raise Http404 from None
    form = SettleForm(request.POST if request.method == "POST" else None, withdraws_award=bool(objection.award_id))
    if request.method == "POST" and form.is_valid():
        try:
            services.objection_settle(actor=request.user, objection=objection,
                                      upheld=form.cleaned_data["outcome"] == "upheld",
                                      reasons=form.cleaned_data["reasons"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Objection %(receipt)s is settled.") % {"receipt": objection.receipt})
            return redirect(with_programme(reverse("reviews:objections", args=[objection.cycle.year]),
                                           objection.cycle.programme))
    actions = access.actions_for(request.user, objection)
    if "personal_data" in actions:
        services.objection_personal_data_read(actor=request.user, objection=objection)  # shown in full: recorded
    return render(request, "reviews/objection_settle.html", {"objection_actions": actions,
        "objection": objection, "cycle": objection.cycle, "form": form,
        "trail": audit_trail(selectors.audit_trail_for_many([objection]), everything=trail_everything(request)),
    }, status=400 if form.errors else 200)


@reviewer_required
def objection_evidence(request, pk: int):
    try:
        objection = selectors.objection_for_review(user=request.user, pk=pk)
    except Objection.DoesNotExist:
        raise Http404 from None
    if not objection.evidence:
        raise Http404
    return stored_file_response(objection.evidence, filename=objection.evidence_name,
                                content_type=objection.evidence_type,
                                headers=DOWNLOAD_HEADERS)
