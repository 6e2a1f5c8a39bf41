"""The reviewer's desk: the queue of the cycle's categories and lists, its export, the actions on the lists ticked, and
the reminder to late bureaus. Reviewers only; everyone else gets 404."""

import html
from typing import NamedTuple

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from incentives import params
from incentives.errors import DomainError
from measures.exports import export_response
from nominations.deadlines import countdown, current_time, deadline_light
from nominations.models import Cycle, NominationList, ReminderSettings
from organisation import access
from organisation.models import Programme
from organisation.selectors import trail_everything

from .. import exports, selectors, services
from ..forms import BeginReviewForm, PublishForm
from ..programmes import review_programme_code
from .common import _cycle_or_404, reviewer_required


def _pick(items, value, key=lambda item: str(item.pk)):
    return next((item for item in items if key(item) == value), None)


QUEUE_PAGE_SIZE = selectors.QUEUE_PAGE_SIZE
# On a phone the queue shows its first rows until the reviewer asks for all (what waits is listed above it).
QUEUE_ROWS_ON_PHONE = 3
QUEUE_FILTERS = ("year", "q", "bureau", "measure", "state", "unread", "sort")


def _queue_filters(request) -> dict:
    """The queue's filters as the address gives them (anything else is dropped)."""
    return {
        "search": params.text_from(request.GET.get("q")), "bureau_id": params.id_from(request.GET.get("bureau")),
        "measure_id": params.id_from(request.GET.get("measure")),
        "state": params.choice_from(request.GET.get("state"), selectors.QUEUE_STATES),
        "unread_only": request.GET.get("unread") == "1",
        "sort": params.choice_from(request.GET.get("sort"), selectors.QUEUE_SORTS) or "category",
    }


class YearChoice(NamedTuple):
    """A cycle as the queue's choice of years needs it (a province has 200): the whole cycle is read for the one
    chosen only (``_cycle_chosen``)."""

    pk: int
    year: int
    programme_id: int


def _queue_cycle(request, years: list[YearChoice]) -> Cycle | None:
    """The cycle of ``?year=`` among the years offered, else the newest."""
    chosen = _pick(years, request.GET.get("year"), key=lambda c: str(c.year)) or (years[0] if years else None)
    return _cycle_chosen(request, chosen)


def _cycle_chosen(request, chosen: YearChoice | None) -> Cycle | None:
    return None if chosen is None else selectors.cycle_list(request.user).get(pk=chosen.pk)


def _queue_query(request, **changes) -> str:
    """The queue's address query with its filters (and ``changes``; ``None`` drops a filter), without the page.
    The choosers' typed texts are not kept: ``changes`` gives the ids they came to."""
    query = request.GET.copy()
    for key in list(query):
        if key not in QUEUE_FILTERS:
            query.pop(key)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


# What each chooser of the queue's filters says (static/js/site.js reads the count and "none" messages).
CHOOSER_TEXTS = {
    "bureau": {
        "label": gettext_lazy("Bureau"),
        "count": gettext_lazy("%s matching bureaus: the arrow keys move through them, Enter chooses one."),
        "none": gettext_lazy("No bureau of this cycle matches."),
        "problem_none": gettext_lazy("No bureau of this cycle is called “%(text)s”: choose one from the list, or "
                                     "type its name in full."),
        "problem_several": gettext_lazy("Several bureaus are called “%(text)s”: type the full name of one."),
    },
    "measure": {
        "label": gettext_lazy("Measure"),
        "count": gettext_lazy("%s matching measures: the arrow keys move through them, Enter chooses one."),
        "none": gettext_lazy("No measure of this cycle matches."),
        "problem_none": gettext_lazy("No measure of this cycle is called “%(text)s”: choose one from the list, or "
                                     "type its number or its title in full."),
        "problem_several": gettext_lazy("Several measures are called “%(text)s”: type the title of one in full."),
    },
}


def _choosers(cycle, programmes, data) -> list[dict]:
    """The bureau and measure choosers of the filters: their box, the id chosen, and the address of their
    options (``reviews:queue_choices``, for the cycle and programme shown)."""
    query = f"?year={cycle.year}" + (f"&programme={cycle.programme.code}" if len(programmes) > 1 else "")
    choosers = []
    for chosen in (data.bureau, data.measure):
        texts = CHOOSER_TEXTS[chosen.kind]
        problem = texts[f"problem_{chosen.problem}"] % {"text": chosen.text} if chosen.problem else ""
        choosers.append({"kind": chosen.kind, "chosen": chosen, "problem": problem, **texts,
                         "url": reverse("reviews:queue_choices", args=[chosen.kind]) + query})
    return choosers


@reviewer_required
def queue(request):
    """The reviewer's desk: the cycle's figures (lists by state, the countdown, late bureaus, what waits for the
    reviewer) above the queue, searched, filtered, sorted and paged by the database."""
    programmes, cycles = _programme_cycles(request)
    cycle = _queue_cycle(request, cycles)
    if cycle is None:
        return render(request, "reviews/queue.html", {"cycles": cycles, "cycle": None, "programmes": programmes})
    data = selectors.review_queue(cycle=cycle, user=request.user, page=request.GET.get("page"),
                                  per_page=QUEUE_PAGE_SIZE, bureau_text=request.GET.get("bureau_name"),
                                  measure_text=request.GET.get("measure_name"), **_queue_filters(request))
    query = _queue_query(request, bureau=data.bureau.pk, measure=data.measure.pk)
    # The small filters' options and a page of rows: built here once rather than by template loops and tags per item.
    # The bureaus and measures are never listed: their choosers fetch them as the reviewer types.
    options = {
        "year": _options([(c.year, c.year) for c in cycles], cycle.year),
        "state": _options(data.states, data.selected_state),
        "sort": _options(data.sorts, data.selected_sort),
    }
    waiting = selectors.desk_waiting(cycle=cycle, user=request.user, screening_flags=_screening_flags(request.user))
    list_url = reverse("reviews:list", args=[0]).replace("/0/", "/{}/")
    warning_days = ReminderSettings.current(cycle.programme).warning_working_days
    now = current_time()
    light_html, lights = {}, {}  # each light's markup rendered once for the page, each deadline's light told once
    for row in data.rows:
        row.url = list_url.format(row.nomination_list.pk) if row.nomination_list else ""
        done = cycle.state != Cycle.State.OPEN or row.state in selectors.DONE_STATES
        if (row.deadline, done) not in lights:
            lights[row.deadline, done] = deadline_light(deadline=row.deadline, now=now,
                                                        warning_working_days=warning_days, done=done)
        row.light = lights[row.deadline, done]
        if row.light and row.light not in light_html:
            light_html[row.light] = render_to_string("nominations/_light.html", {"light": row.light})
        row.light_html = light_html.get(row.light, "")
    return render(request, "reviews/queue.html", {"options": options, "programmes": programmes,
        "cycles": cycles, "cycle": cycle, "queue": data, "page": data.page, "page_rows": data.rows,
        "rows_html": _rows_html(data.rows),
        "page_query": f"{query}&" if query else "", "filter_query": query,
        "choosers": _choosers(cycle, programmes, data),
        "countdown": countdown(deadline=cycle.deadline), "publish_form": PublishForm(),
        "cycle_light": deadline_light(deadline=cycle.deadline, now=now, warning_working_days=warning_days,
                                      done=cycle.state != Cycle.State.OPEN),
        "waiting": waiting, "waiting_total": sum(w.count for w in waiting), "begin_form": BeginReviewForm(),
        "waiting_none": [w for w in waiting if not w.count], "queue_rows_on_phone": QUEUE_ROWS_ON_PHONE,
        "cycle_actions": access.actions_for(request.user, cycle),
        "trail": selectors.cycle_audit_trail(cycle, everything=trail_everything(request)),
    })


def _rows_html(rows) -> SafeString:
    """The page's rows of the queue, joined here once (40 rows of eight cells, two dozen template lookups each, were
    a third of the page's time): the same markup as a template loop would give. Every value is escaped with
    ``html.escape``, as Django's ``escape`` does, but without its check for lazy strings on each of the page's
    two thousand values; the deadline lights are the page's own markup, already safe."""
    e = html.escape
    labels = {key: e(str(label)) for key, label in (
        ("category", _("Category")), ("responsible", _("Responsible")), ("state", _("State")),
        ("nominees", _("Nominees")), ("awards", _("Awardees / limit")), ("submitted", _("Submitted at")),
        ("deadline", _("Deadline")), ("unread", _("Unread")), ("tick", _("Tick the list")),
        ("not_started", _("Not started")), ("late", _("Late")), ("nobody", _("Nobody proposed")))}

    # The states' labels once (get_state_display hashes every label of the choices, for each row).
    state_labels = {value: e(str(label)) for value, label in NominationList.State.choices}

    def names(bureaus, strong: bool) -> str:
        return "、".join(f"<strong>{e(b.short_name)}</strong>" if strong else e(b.short_name) for b in bureaus)

    shown: dict = {}  # the rows share a few deadlines

    def when(value) -> str:  # as the template's |date:"Y-m-d H:i", in the current time zone
        if value not in shown:
            shown[value] = localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
        return shown[value]

    html_rows = []
    for row in rows:
        nl, code = row.nomination_list, e(row.category.code)
        measure = e(str(row.measure))
        name = f" {e(row.category.name)}" if row.category.name != row.measure.title else ""
        unread = f' <span class="badge submitted">{labels["unread"]}</span>' if row.unread else ""
        others = f'<br><span class="muted">{names(row.others, False)}</span>' if row.others else ""
        late = f' <span class="badge returned">{labels["late"]}</span>' if row.is_late else ""
        light = f" {row.light_html}" if row.light else ""
        if nl:
            tick = f'<input type="checkbox" name="list" value="{nl.pk}" aria-label="{labels["tick"]} {code}">'
            title = f'<a href="{e(row.url)}">{measure}</a>'
            state = state_labels.get(nl.state) or e(nl.state)
            nominees = labels["nobody"] if nl.nothing_to_propose else e(str(nl.nominee_count))
        else:
            tick, title, state, nominees = "", measure, labels["not_started"], "—"
        submitted = when(row.submitted_at)
        marked = ' class="unread" data-unread="1"' if row.unread else ""
        no_list = "" if nl else ' class="empty"'
        not_submitted = "" if submitted else ' class="empty"'
        html_rows.append(
            f'<tr data-category="{code}" data-state="{e(row.state)}"{marked}>'
            f"<td>{tick}</td>"
            f'<td data-label="{labels["category"]}">{title}<br><span class="muted">{code}{name}</span>{unread}</td>'
            f'<td data-label="{labels["responsible"]}">{names(row.owners, True)}{others}</td>'
            f'<td data-label="{labels["state"]}"><span class="badge {e(row.state)}">{state}</span>{late}</td>'
            f'<td data-label="{labels["nominees"]}"{no_list}>{nominees}</td>'
            f'<td data-label="{labels["awards"]}">{e(str(row.awards))} / {e(str(row.limit))}</td>'
            f'<td data-label="{labels["submitted"]}"{not_submitted}>{submitted or "—"}</td>'
            f'<td data-label="{labels["deadline"]}">{when(row.deadline)}{light}</td></tr>')
    return mark_safe("\n".join(html_rows))  # noqa: S308 - every value above escaped


def _screening_flags(user) -> int:
    """How many screening flags (负面清单) wait for ``user``: the one place where the desk asks for them."""
    return selectors.screening_flags_waiting(user)


@reviewer_required
def queue_choices(request, kind: str):
    """A chooser of the queue's filters: at most ``selectors.CHOOSER_LIMIT`` bureaus or measures (``kind``) of the
    cycle the queue shows (``?year=``, ``?programme=``, found through the door as the queue finds it) whose name
    contains ``?q=``, as JSON. Reviewers only, as the queue; a programme they do not review answers 404."""
    if kind not in selectors.CHOOSER_KINDS:
        raise Http404
    _programmes, cycles = _programme_cycles(request)
    cycle = _queue_cycle(request, cycles)
    found = [] if cycle is None else selectors.queue_choices(cycle=cycle, kind=kind, text=request.GET.get("q", ""))
    return JsonResponse({"results": [{"id": pk, "label": label, "detail": detail or ""}
                                     for pk, label, detail in found]},
                        headers={"Cache-Control": "private, max-age=60"})


def _options(choices, selected) -> SafeString:
    """``<option>`` elements of (value, label) pairs (the years of a province: 200), ``selected`` marked; escaped
    with ``html.escape`` as ``_rows_html`` is."""
    selected, e = str(selected), html.escape
    return mark_safe("".join(  # noqa: S308 - every value escaped
        f'<option value="{e(str(value))}"{" selected" if str(value) == selected else ""}>{e(str(label))}</option>'
        for value, label in choices))


def _programme_cycles(request) -> tuple[list[Programme], list[YearChoice]]:
    """The programmes the person reviews that have cycles (their id, code and name), and the years of the one
    chosen (``?programme=``, kept in the session; the first by default). A programme asked for by name that the
    person does not review: 404. One query."""
    every_year = selectors.cycle_years(request.user)
    by_id: dict[int, Programme] = {}
    for _pk, _year, programme_id, code, name in every_year:
        if programme_id not in by_id:  # one each (a province's programme has 200 years)
            by_id[programme_id] = Programme(pk=programme_id, code=code, name=name)
    programmes = list(by_id.values())
    code, explicit = review_programme_code(request)
    programme = next((p for p in programmes if p.code == code), None)
    if programme is None and explicit:
        raise Http404
    programme = programme or (programmes[0] if programmes else None)
    return programmes, [YearChoice(pk, year, programme_id) for pk, year, programme_id, _code, _name in every_year
                        if programme is not None and programme_id == programme.pk]


@reviewer_required
def queue_export(request):
    """What the queue shows under its filters and order, every page of it, as a spreadsheet with Chinese headers."""
    _programmes, cycles = _programme_cycles(request)
    cycle = _queue_cycle(request, cycles)
    if cycle is None:
        raise Http404
    filters = _queue_filters(request)
    # The bureau and measure as the queue names them: of this cycle, by id or by the text typed.
    for kind in selectors.CHOOSER_KINDS:
        filters[f"{kind}_id"] = selectors.queue_chosen(cycle=cycle, kind=kind, pk=filters[f"{kind}_id"],
                                                       text=request.GET.get(f"{kind}_name")).pk
    selected = params.ids_from(request.GET.getlist("list"))
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
    cycle = _cycle_chosen(request, _pick(cycles, request.POST.get("year"), key=lambda c: str(c.year)))
    back = reverse("reviews:queue") + (f"?{request.POST.get('query', '')}" if request.POST.get("query") else "")
    if cycle is None:
        raise Http404
    ids = params.ids_from(request.POST.getlist("list"))
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
