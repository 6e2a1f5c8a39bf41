"""The General Office's review pages (reviewers only; everyone else gets 404) and the public results (no login)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from incentives.errors import DomainError
from incentives.files import DOWNLOAD_HEADERS, stored_file_response
from measures import limits
from measures.exports import export_response
from measures.models import IncentiveCategory, SupportForm
from nominations import states
from nominations.deadlines import countdown
from nominations.evidence import ACCEPT_ATTRIBUTE
from nominations.models import Cycle, NominationList
from organisation import roles
from organisation.models import Unit
from organisation.selectors import audit_trail, trail_everything
from organisation.throttle import client_address, objection_allowed

from . import exports, public_pages, selectors, services
from .forms import (
    CapExceptionForm,
    DecisionForm,
    ExceptionGrantForm,
    ExceptionRefuseForm,
    ExceptionWithdrawForm,
    ListDecisionForm,
    ObjectionForm,
    PublishForm,
    ReopenForm,
    ReturnForm,
    SettleForm,
)
from .models import Objection
from .programmes import results_path, review_programme_code, with_programme
from .public_pages import public_programme


def reviewer_required(view):
    """Signed in, and a General Office reviewer; anyone else is told the page does not exist."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not selectors.reviewer_scope(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _cycle_or_404(request, year: int) -> Cycle:
    """The cycle of ``year`` in the reviewer's programme (``?programme=``, or the one kept in the session, or the
    first of theirs); 404 outside their programmes."""
    code, explicit = review_programme_code(request)
    try:
        return selectors.cycle_get(year=year, user=request.user, programme_code=code)
    except Cycle.DoesNotExist:
        if code and not explicit:
            try:
                return selectors.cycle_get(year=year, user=request.user)
            except Cycle.DoesNotExist:
                pass
        raise Http404 from None


def _queue_url(cycle: Cycle) -> str:
    return with_programme(reverse("reviews:queue") + f"?year={cycle.year}", cycle.programme)


def _list_or_404(request, pk: int) -> NominationList:
    try:
        return selectors.nomination_list_for_review(user=request.user, pk=pk)
    except NominationList.DoesNotExist:
        raise Http404 from None


def _pick(items, value, key=lambda item: str(item.pk)):
    return next((item for item in items if key(item) == value), None)


# ---------------------------------------------------------------------------------------------------------------
# Review


QUEUE_PAGE_SIZE = selectors.QUEUE_PAGE_SIZE
QUEUE_FILTERS = ("year", "q", "bureau", "measure", "state", "unread", "sort")


def _queue_filters(request) -> dict:
    """The queue's filters as the address gives them (anything else is dropped)."""
    return {
        "search": request.GET.get("q", ""), "bureau_id": _int_or_none(request.GET.get("bureau")),
        "measure_id": _int_or_none(request.GET.get("measure")), "state": request.GET.get("state") or None,
        "unread_only": request.GET.get("unread") == "1", "sort": request.GET.get("sort") or "category",
    }


def _queue_cycle(request, cycles):
    return _pick(cycles, request.GET.get("year"), key=lambda c: str(c.year)) or (cycles[0] if cycles else None)


def _queue_query(request, **changes) -> str:
    """The queue's address query with its filters (and ``changes``), without the page."""
    query = request.GET.copy()
    for key in list(query):
        if key not in QUEUE_FILTERS:
            query.pop(key)
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@reviewer_required
def queue(request):
    """The reviewer's desk: the cycle's figures (lists by state, the countdown, late bureaus, what waits for the
    reviewer) above the queue, searched, filtered, sorted and paged by the database."""
    programmes, cycles = _programme_cycles(request)
    cycle = _queue_cycle(request, cycles)
    if cycle is None:
        return render(request, "reviews/queue.html", {"cycles": cycles, "cycle": None, "programmes": programmes})
    data = selectors.review_queue(cycle=cycle, user=request.user, page=request.GET.get("page"),
                                  per_page=QUEUE_PAGE_SIZE, **_queue_filters(request))
    query = _queue_query(request)
    # Hundreds of options and a page of rows: built here once rather than by template loops and tags per item.
    options = {
        "year": _options([(c.year, c.year) for c in cycles], cycle.year),
        "bureau": _options(data.bureaus, data.selected_bureau),
        "measure": _options(data.measures, data.selected_measure),
        "state": _options(data.states, data.selected_state),
        "sort": _options(data.sorts, data.selected_sort),
    }
    list_url = reverse("reviews:list", args=[0]).replace("/0/", "/{}/")
    for row in data.rows:
        row.url = list_url.format(row.nomination_list.pk) if row.nomination_list else ""
    return render(request, "reviews/queue.html", {"options": options, "programmes": programmes,
        "cycles": cycles, "cycle": cycle, "queue": data, "page": data.page, "page_rows": data.rows,
        # Labels looked up once for the page, not once per row.
        "not_started_label": _("Not started"), "late_label": _("Late"), "nobody_label": _("Nobody proposed"),
        "page_query": f"{query}&" if query else "", "filter_query": query,
        "countdown": countdown(deadline=cycle.deadline), "publish_form": PublishForm(),
        "trail": selectors.cycle_audit_trail(cycle, everything=trail_everything(request)),
    })


def _options(choices, selected) -> str:
    return format_html_join("", "<option value=\"{}\"{}>{}</option>",
                            ((value, mark_safe(" selected") if str(value) == str(selected) else "", label)
                             for value, label in choices))


def _programme_cycles(request) -> tuple[list, list]:
    """The programmes the person reviews that have cycles, and the cycles of the one chosen (``?programme=``, kept
    in the session; the first by default). A programme asked for by name that the person does not review: 404."""
    every_cycle = list(selectors.cycle_list(request.user))
    programmes = list({c.programme_id: c.programme for c in every_cycle}.values())
    code, explicit = review_programme_code(request)
    programme = next((p for p in programmes if p.code == code), None)
    if programme is None and explicit:
        raise Http404
    programme = programme or (programmes[0] if programmes else None)
    return programmes, [c for c in every_cycle if programme is not None and c.programme_id == programme.pk]


@reviewer_required
def queue_export(request):
    """What the queue shows under its filters and order, every page of it, as a spreadsheet with Chinese headers."""
    _programmes, cycles = _programme_cycles(request)
    cycle = _queue_cycle(request, cycles)
    if cycle is None:
        raise Http404
    filters = _queue_filters(request)
    selected = [int(v) for v in request.GET.getlist("list") if v.isdigit()]
    categories = selectors.queue_filtered(cycle=cycle, user=request.user, **filters)
    if selected:
        categories = categories.filter(list_id__in=selected)
    rows = selectors.queue_rows(cycle=cycle, categories=list(categories), user=request.user)
    services.review_queue_export_record(actor=request.user, cycle=cycle, count=len(rows),
                                        filters={**filters, "lists": selected})
    with translation.override("zh-hans"):
        table = list(exports.queue_table(rows))
    return export_response(table, file_format="xlsx", filename=f"review-queue-{cycle.year}")


@reviewer_required
@require_POST
def queue_bulk(request):
    """The queue's actions on the lists ticked: mark them read, or export them."""
    _programmes, cycles = _programme_cycles(request)
    cycle = _pick(cycles, request.POST.get("year"), key=lambda c: str(c.year))
    back = reverse("reviews:queue") + (f"?{request.POST.get('query', '')}" if request.POST.get("query") else "")
    if cycle is None:
        raise Http404
    ids = [int(v) for v in request.POST.getlist("list") if v.isdigit()]
    action = request.POST.get("action")
    if not ids:
        messages.error(request, _("Tick at least one list."))
        return redirect(back)
    if action == "export":
        return redirect(reverse("reviews:queue_export") + "?" + "&".join(
            [f"year={cycle.year}", *(f"list={pk}" for pk in ids)]))
    if action != "read":
        messages.error(request, _("Choose what to do with the lists ticked."))
        return redirect(back)
    try:
        marked = services.lists_mark_read(actor=request.user, cycle=cycle, list_ids=ids)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext("%(count)s list marked read.", "%(count)s lists marked read.", marked)
                         % {"count": marked})
    return redirect(back)


@reviewer_required
@require_POST
def remind_late(request, year: int):
    """One e-mail to each clerk of every late bureau, listing the bureau's late categories."""
    cycle = _cycle_or_404(request, year)
    try:
        sent = services.late_bureaus_remind(actor=request.user, cycle=cycle)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext("%(count)s late bureau reminded.", "%(count)s late bureaus reminded.", sent)
                         % {"count": sent})
    return redirect(reverse("reviews:queue") + f"?year={cycle.year}")


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@reviewer_required
def list_detail(request, pk: int):
    nomination_list = _list_or_404(request, pk)
    return _render_list(request, nomination_list)


def _render_list(request, nomination_list, *, return_form=None, decide_form=None, status=200):
    nominees = list(nomination_list.nominees.all())
    cycle, category = nomination_list.cycle, nomination_list.category
    transitions = states.transitions_open_to(
        state=nomination_list.state, is_owner=False, is_reviewer=True, cycle_open=cycle.state == Cycle.State.OPEN,
        cycle_published=not cycle.decisions_open, deadline_passed=False)
    exception = selectors.cap_exception_for(cycle=cycle, category=category)
    limit = limits.limit_in_force(cap=category.cap, exception_limit=exception.new_limit if exception else None)
    awarded = sum(1 for n in nominees if hasattr(n, "award"))
    requests = selectors.exception_requests_for(nomination_list)
    pending = next((r for r in requests if r.state == r.State.PENDING), None)
    return render(request, "reviews/list_detail.html", {
        "requests": requests, "pending_request": pending,
        "grant_form": ExceptionGrantForm(initial={"new_limit": pending.requested_limit} if pending else None),
        "refuse_form": ExceptionRefuseForm(),
        "nl": nomination_list, "cycle": cycle, "category": category, "nominees": nominees,
        "decide_form": decide_form or ListDecisionForm(nominees=nominees),
        "return_form": return_form or ReturnForm(), "exception": exception, "limit": limit, "awarded": awarded,
        "can_decide": "decide_nominee" in transitions, "can_return": "return" in transitions,
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
    return stored_file_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type,
                                inline=inline, headers={
                                    "X-Content-Type-Options": "nosniff",
                                    "Content-Security-Policy": "default-src 'none'; img-src 'self'; object-src 'self'; "
                                    "frame-ancestors 'self'" if inline else "default-src 'none'; sandbox"})


@reviewer_required
def cap_exception(request, year: int, category_pk: int):
    # The year is the category's programme's.
    try:
        category = selectors.category_for_review(user=request.user, pk=category_pk)
        cycle = selectors.cycle_get(year=year, user=request.user, programme_code=category.measure.document.programme.code)
    except (IncentiveCategory.DoesNotExist, Cycle.DoesNotExist):
        raise Http404 from None
    if category.measure.document_id != cycle.document_id:
        raise Http404
    existing = selectors.cap_exception_for(cycle=cycle, category=category)
    form = CapExceptionForm(request.POST or None, initial={"new_limit": existing.new_limit if existing else category.cap + 1,
                                                           "reason": existing.reason if existing else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.cap_exception_record(actor=request.user, cycle=cycle, category=category,
                                          new_limit=form.cleaned_data["new_limit"], reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The exception to the cap is recorded."))
            nl = NominationList.objects.filter(cycle=cycle, category=category).only("pk").first()
            return redirect("reviews:list", pk=nl.pk) if nl else redirect(_queue_url(cycle))
    return render(request, "reviews/cap_exception_form.html", {
        "cycle": cycle, "category": category, "existing": existing, "form": form,
        "withdraw_form": ExceptionWithdrawForm(),
        "trail": audit_trail(selectors.audit_trail_for_many([existing]), everything=trail_everything(request))
        if existing else [],
    }, status=400 if form.errors else 200)


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


@reviewer_required
@require_POST
def cycle_begin_review(request, year: int):
    cycle = _cycle_or_404(request, year)
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
    if request.method == "POST":
        acknowledgements = {key.removeprefix("ack-"): value for key, value in request.POST.items()
                            if key.startswith("ack-") and key.removeprefix("ack-").isdigit()}
        try:
            services.cycle_notice_start(actor=request.user, cycle=cycle, acknowledgements=acknowledgements)
        except DomainError as failure:
            error = failure.message
        else:
            messages.success(request, _("The %(year)s proposed awardees are on public notice.") % {"year": cycle.year})
            return redirect(results_path("notice", cycle.programme, cycle.year))
    preflight = selectors.notice_preflight(cycle=cycle)
    return render(request, "reviews/notice_preflight.html", {
        "cycle": cycle, "preflight": preflight, "error": error,
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
    form = SettleForm(request.POST if request.method == "POST" else None)
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
    return render(request, "reviews/objection_settle.html", {
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


@login_required
def cycle_reopen(request, year: int):
    if not roles.is_administrator(request.user):
        raise Http404
    cycle = _cycle_or_404(request, year)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_reopen(actor=request.user, cycle=cycle, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The %(year)s cycle is reopened.") % {"year": cycle.year})
            return redirect(with_programme(reverse("reviews:reopen", args=[cycle.year]), cycle.programme))
    return render(request, "reviews/reopen_form.html", {
        "cycle": cycle, "form": form, "reopenings": list(selectors.cycle_reopenings(cycle)),
        "trail": selectors.cycle_audit_trail(cycle, everything=trail_everything(request)),
    }, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------------------------
# Public results (主动公开): no login


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
    kept = public_pages.results_kept(cycle, programme)
    return render(request, "reviews/public_results.html", {"cycle": cycle, **kept})


def public_unit(request, pk: int, programme: str | None = None):
    try:
        unit = selectors.unit_public_get(pk=pk)
    except Unit.DoesNotExist:
        raise Http404 from None
    asked = request.GET.get("page", "1")
    if not (asked.isascii() and asked.isdigit() and len(asked) <= 6):  # "²", "-1", 10⁵⁰⁰⁰: not found
        raise Http404
    try:
        history = selectors.unit_history(unit=unit, page=int(asked))
    except selectors.HistoryPageNotFound:
        raise Http404 from None
    # The rows built here once rather than by template tags per row (a year's address and the labels of the forms
    # of support looked up once for the page); escaped as the template would.
    year_urls = {a.cycle_id: results_path("cycle", a.cycle.programme, a.cycle.year) for a in history.awards}
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
    internal = selectors.reviewer_scope(request.user) if request.user.is_authenticated else False
    body = public_pages.statistics_body_kept(programme, internal=internal)
    return render(request, "reviews/public_statistics.html", {"body": body})


# ---------------------------------------------------------------------------------------------------------------
# The public notice (公示): no login


def _notice_cycle_or_404(year: int, programme: str | None = None) -> Cycle:
    try:
        return selectors.notice_cycle_get(year=year, programme_code=programme)
    except Cycle.DoesNotExist:
        raise Http404 from None


def public_notice(request, year: int, programme: str | None = None):
    cycle = _notice_cycle_or_404(year, programme)
    groups = selectors.notice_results(cycle=cycle)
    return render(request, "reviews/public_notice.html", {
        "cycle": cycle, "groups": groups, "award_count": sum(g.award_count for g in groups),
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
                form.add_error(error.field if error.field in form.fields else None, error.message)
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
