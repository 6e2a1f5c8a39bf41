"""One list under review: its page, returning it, deciding its nominees, closing it, its evidence files. Reviewers only."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from evaluation import selectors as evaluation_selectors
from incentives.errors import DomainError
from measures import limits
from nominations import phases, states
from nominations.models import NominationList
from organisation import access
from organisation.selectors import audit_trail, trail_everything

from .. import selectors, services
from ..forms import DecisionForm, ExceptionGrantForm, ExceptionRefuseForm, ListDecisionForm, ReturnForm
from .common import reviewer_required


def _list_or_404(request, pk: int) -> NominationList:
    try:
        return selectors.nomination_list_for_review(user=request.user, pk=pk)
    except NominationList.DoesNotExist:
        raise Http404 from None


@reviewer_required
def list_detail(request, pk: int):
    nomination_list = _list_or_404(request, pk)
    return _render_list(request, nomination_list)


def _render_list(request, nomination_list, *, return_form=None, decide_form=None, status=200):
    nominees = list(nomination_list.nominees.all())
    cycle, category = nomination_list.cycle, nomination_list.category
    transitions = states.transitions_open_to(
        state=nomination_list.state, is_owner=False, is_reviewer=True, lists_open=False,
        decisions_open=phases.phase_allows(cycle, phases.Change.DECISIONS), deadline_passed=False)
    exception = selectors.cap_exception_for(cycle=cycle, category=category)
    limit = limits.limit_in_force(cap=category.cap, exception_limit=exception.new_limit if exception else None)
    awarded = sum(1 for n in nominees if hasattr(n, "award"))
    requests = selectors.exception_requests_for(nomination_list)
    pending = next((r for r in requests if r.state == r.State.PENDING), None)
    # The evaluation behind the list: its criteria, the full ranking, the departures and the recusals.
    sheet = evaluation_selectors.ranking_for_list(category=category, year=cycle.year, programme_id=cycle.programme_id)
    my_stakes = ({d.unit_id for d in sheet.declarations if d.person_id == request.user.pk and d.unit_id} if sheet
                 else evaluation_selectors.stakes_of(person_id=request.user.pk, programme_id=cycle.programme_id,
                                                     year=cycle.year))
    flags = selectors.screening_flags_by_award(cycle=cycle, awards=[n.award for n in nominees if hasattr(n, "award")])
    return render(request, "reviews/list_detail.html", {
        "screening_flags": [flag for group in flags.values() for flag in group],
        "flagged_awards": {pk for pk, group in flags.items() if any(not f.settled for f in group)},
        "sheet": sheet, "criteria": sheet.criteria if sheet else None, "my_stakes": my_stakes,
        "departures": [n for n in nominees if n.departure_reason],
        "requests": requests, "pending_request": pending, "decided_requests": [r for r in requests if r is not pending],
        "request_actions": access.actions_for(request.user, pending),
        "cycle_actions": access.actions_for(request.user, cycle),
        "grant_form": ExceptionGrantForm(initial={"new_limit": pending.requested_limit} if pending else None),
        "refuse_form": ExceptionRefuseForm(),
        "nl": nomination_list, "cycle": cycle, "category": category, "nominees": nominees,
        "decide_form": decide_form or ListDecisionForm(nominees=nominees),
        "return_form": return_form or ReturnForm(), "exception": exception, "limit": limit, "awarded": awarded,
        "can_decide": "decide_nominee" in transitions, "can_return": "return" in transitions,
        "can_acknowledge": "decide" in transitions,
        "trail": audit_trail(selectors.audit_trail_for_many([nomination_list, exception, *nominees]),
                             everything=trail_everything(request)),
        "trail_path": reverse("reviews:list", args=[nomination_list.pk]),  # also when a refused POST renders it
    }, status=status)


@reviewer_required
@require_POST
def list_return(request, pk: int):
    nomination_list = _list_or_404(request, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.nomination_list_return(actor=request.user, nomination_list=nomination_list,
                                            reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The list was returned to %(bureau)s for correction.") % {"bureau": nomination_list.bureau})
            return redirect("reviews:list", pk=pk)
    return _render_list(request, nomination_list, return_form=form, status=400)


@reviewer_required
@require_POST
def list_acknowledge(request, pk: int):
    nomination_list = _list_or_404(request, pk)
    try:
        services.nomination_list_acknowledge(actor=request.user, nomination_list=nomination_list)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The list is decided."))
    return redirect("reviews:list", pk=pk)


@reviewer_required
@require_POST
def nominee_decide(request, pk: int, nominee_pk: int):
    nomination_list = _list_or_404(request, pk)
    nominee = next((n for n in nomination_list.nominees.all() if n.pk == nominee_pk), None)
    if nominee is None:
        raise Http404
    form = DecisionForm(request.POST, prefix=f"n{nominee.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose approve or do not approve."))
        return redirect("reviews:list", pk=pk)
    try:
        services.nominee_decide(actor=request.user, nominee=nominee, approved=form.cleaned_data["approved"],
                                comment=form.cleaned_data["comment"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision on %(unit)s recorded.") % {"unit": nominee.unit})
    return redirect(reverse("reviews:list", args=[pk]) + f"#nominee-{nominee.pk}")


@reviewer_required
@require_POST
def list_decide(request, pk: int):
    """Every nominee of the list decided with one form: approve or not, a reason required for a refusal."""
    nomination_list = _list_or_404(request, pk)
    nominees = list(nomination_list.nominees.all())
    form = ListDecisionForm(request.POST, nominees=nominees)
    if not form.is_valid():
        return _render_list(request, nomination_list, decide_form=form, status=400)
    try:
        decided = services.nominees_decide(actor=request.user, nomination_list=nomination_list,
                                           decisions=form.decisions())
    except DomainError as error:
        form.add_error(None, error.message)
        return _render_list(request, nomination_list, decide_form=form, status=400)
    messages.success(request, ngettext("The decision on %(count)s nominee is recorded.",
                                       "The decisions on %(count)s nominees are recorded.", len(decided))
                     % {"count": len(decided)})
    return redirect("reviews:list", pk=pk)


EVIDENCE_PREVIEWED = {"application/pdf", "image/png", "image/jpeg", "image/gif"}


@reviewer_required
@xframe_options_sameorigin
def evidence_file(request, pk: int, token: str):
    """An evidence file of a list under review: shown in the page (PDF and images) or downloaded (``?download=1``
    and every other kind of file)."""
    nomination_list = _list_or_404(request, pk)
    evidence = next((e for n in nomination_list.nominees.all() for e in n.evidence.all() if e.token == token), None)
    if evidence is None:
        raise Http404
    inline = request.GET.get("download") != "1" and evidence.content_type in EVIDENCE_PREVIEWED
    # Shown inside the review page only; a PDF needs the browser's viewer, so no sandbox for it.
    return evidence.response(inline=inline, headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; object-src 'self'; "
        "frame-ancestors 'self'" if inline else "default-src 'none'; sandbox"})
