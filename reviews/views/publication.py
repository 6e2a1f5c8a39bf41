"""Publishing a cycle's final result (reviewers), and reopening a published cycle (administrators only)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError
from organisation import access
from organisation.selectors import trail_everything

from .. import selectors, services
from ..forms import PublishForm, ReopenForm
from ..programmes import results_path, with_programme
from .common import _cycle_or_404, _queue_url, reviewer_required


@reviewer_required
@require_POST
def cycle_publish(request, year: int):
    cycle = _cycle_or_404(request, year)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the confirmation to publish."))
    else:
        try:
            services.cycle_publish(actor=request.user, cycle=cycle)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The %(year)s results are published.") % {"year": cycle.year})
            return redirect(results_path("cycle", cycle.programme, cycle.year))
    return redirect(_queue_url(cycle))


@access.door()
def cycle_reopen(request, year: int):
    cycle = _cycle_or_404(request, year, action="reopen")
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_reopen(actor=request.user, cycle=cycle, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The %(year)s cycle is reopened.") % {"year": cycle.year})
            return redirect(with_programme(reverse("reviews:reopen", args=[cycle.year]), cycle.programme))
    return render(request, "reviews/reopen_form.html", {"cycle_actions": access.actions_for(request.user, cycle),
        "cycle": cycle, "form": form, "reopenings": list(selectors.cycle_reopenings(cycle)),
        "trail": selectors.cycle_audit_trail(cycle, everything=trail_everything(request)),
    }, status=400 if form.errors else 200)
