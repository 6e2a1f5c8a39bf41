"""The review of the bureaus' implementation rules (实施办法). Reviewers only."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import selectors as evaluation_selectors
from incentives.errors import DomainError
from measures.selectors import document_in_force
from organisation import access

from .. import selectors, services
from ..forms import RulesDecisionForm
from .common import reviewer_required


@reviewer_required
def rules_overview(request):
    document = document_in_force(request.user)
    rows = selectors.rules_overview(document=document) if document else []
    return render(request, "reviews/rules.html", {
        "document": document, "rows": rows, "punctuality": selectors.rules_punctuality(rows),
        "decision_form": RulesDecisionForm(),
        "decidable": {filing.pk for row in rows for filing in row.filings
                      if "decide" in access.actions_for(request.user, filing)},
        # The criteria (评选标准) filed with the rules and waiting for the General Office, decided on their page.
        "criteria_waiting": evaluation_selectors.criteria_waiting(request.user),
    })


@reviewer_required
@require_POST
def rules_decide(request, pk: int):
    filing = selectors.rules_get(user=request.user, pk=pk)
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
