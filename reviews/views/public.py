"""The public pages (no login): the published results, a unit's history, the statistics, and the public notice (公示)
with its objection form."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from evaluation import selectors as evaluation_selectors
from incentives import params
from incentives.errors import DomainError
from measures.evidence import ACCEPT_ATTRIBUTE
from measures.models import SupportForm
from nominations.models import Cycle
from organisation import access
from organisation.models import Unit
from organisation.throttle import client_address, objection_allowed, objection_lookup_allowed

from .. import public_pages, selectors, services
from ..forms import ObjectionForm, ObjectionLookupForm
from ..programmes import results_path
from ..public_pages import public_programme
from .common import _form_error


def public_index(request, programme: str | None = None):
    return render(request, "reviews/public_index.html", {
        "programme": public_programme(programme), "cycles": list(selectors.published_cycles(programme)),
        "notices": list(selectors.notice_cycles(programme))})


def public_results(request, year: int, programme: str | None = None):
    try:
        cycle = selectors.published_cycle_get(year=year, programme_code=programme)
    except Cycle.DoesNotExist:
        raise Http404 from None
    # The awardees change only with a publication or a reopening: the body is kept under a key that changes then
    # (and is rendered into the cache at that moment: reviews.public_pages).
    page = params.or_404(params.int_from(request.GET.get("page", "1"), minimum=1, maximum=999_999))  # "²", "0"
    kept = public_pages.results_kept(cycle, programme, page)
    return render(request, "reviews/public_results.html", {"cycle": cycle, **kept})


def public_objection_lookup(request, programme: str | None = None):
    """Anyone who objected looks up where their objection stands, by its receipt number and the contact they gave.
    Posted (the contact stays out of addresses and logs) and throttled like the objection form; a wrong pair, either
    part, answers the same “not found”."""
    programme_row = public_programme(programme)
    form = ObjectionLookupForm(request.POST if request.method == "POST" else None)
    objection, status, not_found = None, 200, False
    if request.method == "POST":
        if not objection_lookup_allowed(client_address(request)):
            form.add_error(None, _("Too many look-ups were made from your address. Try again in an hour."))
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            objection = selectors.objection_by_receipt(receipt=form.cleaned_data["receipt"],
                                                       contact=form.cleaned_data["contact"], programme_code=programme)
            if objection is None:
                not_found, status = True, 404
    return render(request, "reviews/public_objection_lookup.html", {
        "programme": programme_row, "form": form, "objection": objection, "not_found": not_found}, status=status)


def public_unit(request, pk: int, programme: str | None = None):
    try:
        unit = selectors.unit_public_get(pk=pk)
    except Unit.DoesNotExist:
        raise Http404 from None
    asked = params.or_404(params.int_from(request.GET.get("page", "1"), maximum=999_999))  # "²", "-1", 10⁵⁰⁰⁰
    try:
        history = selectors.unit_history(unit=unit, page=asked)
    except selectors.HistoryPageNotFound:
        raise Http404 from None
    # The rows built here once rather than by template tags per row (a year's address and the labels of the forms
    # of support looked up once for the page); escaped as the template would.
    cycles = {a.cycle_id: a.cycle for a in history.awards}  # a few years, a dozen awards or more each
    # A unit is awarded in its programme's cycles: that programme, already read, names their addresses.
    year_urls = {pk: results_path("cycle", unit.programme if cycle.programme_id == unit.programme_id
                                  else cycle.programme, cycle.year) for pk, cycle in cycles.items()}
    support_labels = {code: str(label) for code, label in SupportForm.choices}
    rows = format_html_join(
        "\n", '<tr data-year="{}"><td><a href="{}">{}</a></td><td>{}、{}</td><td>{}</td><td>{}</td></tr>',
        ((a.cycle.year, year_urls[a.cycle_id], a.cycle.year, a.shown_measure_numeral, a.shown_measure_title,
          a.shown_category_name, "、".join(support_labels.get(code, code) for code in a.shown_support_forms))
         for a in history.awards))
    return render(request, "reviews/public_unit.html", {
        "unit": unit, "history": history, "rows": rows, "awards": history.awards, "years": history.years,
        "programme": unit.programme,
    })


def public_statistics(request, programme: str | None = None):
    # The figures change only when a cycle is published or reopened: the rendered page body is kept under a key
    # that changes with those events (and rendered into the cache then, reviews.public_pages), so a visit costs
    # two queries instead of counting every award of every year. The bureaus' punctuality is internal: only
    # reviewers see it (their page body is kept apart); the implementation rules' punctuality changes with each
    # filing and review: its own part of the key.
    internal = access.person(request.user).is_reviewer
    # past the oldest page: the oldest page
    page = params.int_from(request.GET.get("page", "1"), maximum=99_999) or 1
    bureau_page = params.int_from(request.GET.get("bureaus", "1"), maximum=99_999) or 1  # past the last: the last
    body = public_pages.statistics_body_kept(programme, internal=internal, page=page, bureau_page=bureau_page)
    return render(request, "reviews/public_statistics.html", {"body": body})


def _notice_cycle_or_404(year: int, programme: str | None = None) -> Cycle:
    try:
        return selectors.notice_cycle_get(year=year, programme_code=programme)
    except Cycle.DoesNotExist:
        raise Http404 from None


def public_notice(request, year: int, programme: str | None = None):
    cycle = _notice_cycle_or_404(year, programme)
    groups = selectors.notice_results(cycle=cycle)
    # Each category's criteria beside its proposed units (and the ranking's figures if the programme publishes them).
    evaluation = evaluation_selectors.public_evaluation(
        programme_id=cycle.programme_id, year=cycle.year,
        category_ids={award.category_id for group in groups for _category, awards in group.categories for award in awards})
    sections = [(group, [(category, awards, evaluation.get(awards[0].category_id) if awards else None)
                         for category, awards in group.categories]) for group in groups]
    return render(request, "reviews/public_notice.html", {
        "cycle": cycle, "groups": groups, "sections": sections, "award_count": sum(g.award_count for g in groups),
        "running": services.notice_running(cycle),
    })


def public_objection(request, year: int, programme: str | None = None):
    cycle = _notice_cycle_or_404(year, programme)
    awards = selectors.notice_awards(cycle=cycle)
    posted = request.method == "POST"
    form = ObjectionForm(request.POST if posted else None, request.FILES if posted else None, awards=awards)
    status = 200
    if request.method == "POST":
        if not objection_allowed(client_address(request)):
            form.add_error(None, _("Too many objections were sent from your address. Try again in an hour."))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                objection = services.objection_file(
                    cycle=cycle, award_id=data["award"], name=data["name"], contact=data["contact"],
                    email=data["email"], grounds=data["grounds"], evidence=data["evidence"])
            except DomainError as error:
                _form_error(form, error)
                status = 400
            else:
                request.session["objection_receipt"] = objection.receipt
                return redirect(results_path("objection_receipt", cycle.programme, cycle.year))
        else:
            status = 400
    return render(request, "reviews/public_objection.html", {
        "cycle": cycle, "form": form, "running": services.notice_running(cycle), "accept": ACCEPT_ATTRIBUTE,
    }, status=status)


def public_objection_receipt(request, year: int, programme: str | None = None):
    cycle = _notice_cycle_or_404(year, programme)
    receipt = request.session.get("objection_receipt")
    if not receipt:
        return redirect(results_path("objection", cycle.programme, cycle.year))
    return render(request, "reviews/public_objection_receipt.html", {"cycle": cycle, "receipt": receipt})
