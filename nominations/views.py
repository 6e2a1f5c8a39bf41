"""The bureau's pages: its categories and lists, the list editor, submission, withdrawal, comments, evidence."""

from functools import partial

from django.contrib import messages
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import ranking as evaluation_ranking
from evaluation import selectors as evaluation_selectors
from incentives import params
from incentives.errors import ConflictError, DomainError, PermissionDeniedError
from incentives.files import DOWNLOAD_HEADERS
from measures.evidence import ACCEPT_ATTRIBUTE, evidence_check
from measures.models import ImplementationRules, Measure
from organisation.access import actions_for, door
from organisation.selectors import audit_trail, trail_everything

from . import phases, selectors, services
from .deadlines import DEFAULT_WARNING_WORKING_DAYS, countdown, deadline_light
from .forms import (
    CommentForm,
    ExceptionRequestForm,
    ListMetaForm,
    RulesForm,
    SignOffForm,
    VersionForm,
    nominee_formset,
)
from .models import BEIJING, Cycle, Evidence, IncentiveCategory, ReminderSettings


@door()
def home(request):
    """The clerk's workbench: for each of their bureaus, what is due and when (a countdown, Beijing time), what
    came back, what was commented, and the state of every list; any year's lists of their programme through the
    year's links."""
    default_cycle = selectors.cycle_for_bureaus(request.user)
    programme_id = default_cycle.programme_id if default_cycle else None
    # The years' links, a page at a time (?years=N, newest first): a programme may run for a long time.
    page_asked = params.int_from(request.GET.get("years", "1"), minimum=1, maximum=999_999)
    years_page = (selectors.cycle_years_page(programme_id=programme_id, number=page_asked)
                  if page_asked is not None else None)
    if years_page is None:
        raise Http404
    cycle = None
    asked = params.year_from(request.GET.get("year"))
    if asked is not None:
        try:
            cycle = selectors.cycle_by_year(year=asked, programme_id=programme_id)
        except Cycle.DoesNotExist:
            cycle = None
    # Every open year, the one closing first first; without ?year= the page details that one.
    open_cycles = selectors.open_cycles_for_bureaus(request.user, programme_id=programme_id)
    cycle = cycle or (open_cycles[0] if open_cycles else default_cycle)
    warning_days = (ReminderSettings.current(cycle.programme).warning_working_days if cycle
                    else DEFAULT_WARNING_WORKING_DAYS)
    pages = _home_pages(request.user, cycle, warning_days)
    open_years = [{"cycle": c, "pages": pages if c == cycle else _home_pages(request.user, c, warning_days)}
                  for c in open_cycles] if len(open_cycles) > 1 else []
    return render(request, "nominations/home.html", {
        "cycle": cycle, "pages": pages, "years": years_page.years, "years_page": years_page, "open_years": open_years,
        "lists_open": cycle is not None and phases.phase_allows(cycle, phases.Change.LISTS),
        "comments": selectors.comments_for_bureaus(request.user, cycle=cycle,
                                                   bureaus=[page["bureau"] for page in pages]),
    })


def _home_pages(user, cycle, warning_days: int) -> list[dict]:
    """Each of the person's bureaus in ``cycle``: its deadline, countdown and light, what came back, what is due."""
    pages = selectors.bureau_home(user, cycle=cycle)
    for page in pages:
        page["countdown"] = countdown(deadline=page["deadline"]) if page["deadline"] else None
        editable = [row for row in page["rows"] if row.can_edit]
        page["returned"] = [row for row in editable if row.nomination_list and row.nomination_list.state == "returned"]
        page["due"] = [row for row in editable if not row.nomination_list or row.nomination_list.state == "draft"]
        owes = cycle is not None and cycle.state == Cycle.State.OPEN and bool(page["due"] or page["returned"])
        page["light"] = (deadline_light(deadline=page["deadline"], warning_working_days=warning_days, done=not owes)
                         if page["deadline"] else "")
    return pages


def _access(request, year: int, category_id: int) -> selectors.ListAccess:
    try:
        return selectors.list_access(request.user, year=year, category_id=category_id)
    except (Cycle.DoesNotExist, IncentiveCategory.DoesNotExist):
        raise Http404 from None


def _list_url(access, name="nominations:list") -> str:
    return reverse(name, args=[access.cycle.year, access.category.pk])


@door()
def list_detail(request, year: int, category_id: int):
    """The list as submitted (or as it stands), its history and comments; actions the person may take."""
    access = _access(request, year, category_id)
    nl = access.nomination_list
    return render(request, "nominations/list_detail.html", {
        "access": access,
        "nomination_list": nl,
        "nominees": list(nl.nominees.all()) if nl else [],
        "history": audit_trail(selectors.list_history(nl), everything=trail_everything(request)) if nl else [],
        "comments": list(nl.comments.all()) if nl else [],
        "comment_form": CommentForm(),
        "version_form": VersionForm(initial={"version": nl.version if nl else 0}),
        "exception_requests": selectors.exception_requests(nl) if nl and access.can_edit_category else [],
        "exception_form": ExceptionRequestForm(category=access.category),
        "can_request_exception": access.can_edit_category and access.category.is_entitlement is False
        and phases.phase_allows(access.cycle, phases.Change.EXCEPTION_REQUESTS),
    })


@door()
def list_print(request, year: int, category_id: int):
    access = _access(request, year, category_id)
    nl = access.nomination_list
    if nl is None:
        raise Http404
    return render(request, "nominations/list_print.html", {
        "access": access, "nomination_list": nl, "nominees": list(nl.nominees.all()),
        "history": audit_trail(selectors.list_history(nl), everything=trail_everything(request)),
    })


KEPT_FILES = "editor-kept-files"  # session key: files chosen in a form that could not be saved


def _kept_files(request, access) -> dict[str, dict]:
    """token → {"path", "name"} of the files kept aside for this person's editor of this list."""
    key = f"{access.cycle.year}-{access.category.pk}"
    return request.session.get(KEPT_FILES, {}).get(key, {})


def _keep_files(request, access, formset) -> dict[int, list[dict]]:
    """A save that fails (an error in the form or a refusal) would make the person choose their files again: the
    files of the rows are stored aside under a random name, and the next attempt attaches them. Each file is
    checked as evidence first (a bad one is not kept). Returns row index → [{"token", "name"}]."""
    key = f"{access.cycle.year}-{access.category.pk}"
    session = request.session.get(KEPT_FILES, {})
    kept = dict(session.get(key, {}))
    by_row: dict[int, list[dict]] = {}
    for index in range(len(formset.forms)):
        for token in request.POST.getlist(f"rows-{index}-kept"):
            if token in kept:
                by_row.setdefault(index, []).append({"token": token, "name": kept[token]["name"]})
        for upload in request.FILES.getlist(f"rows-{index}-files"):
            try:
                meta = evidence_check(upload)
            except DomainError:
                continue
            path = default_storage.save(f"kept/{meta['token']}{meta['extension']}", upload)
            kept[meta["token"]] = {"path": path, "name": meta["original_name"]}
            by_row.setdefault(index, []).append({"token": meta["token"], "name": meta["original_name"]})
    session[key] = kept
    request.session[KEPT_FILES] = session
    return by_row


def _kept_uploads(request, access, index: int) -> list:
    """The files kept aside for row ``index`` that this attempt names again, opened for the save."""
    kept = _kept_files(request, access)
    uploads = []
    for token in request.POST.getlist(f"rows-{index}-kept"):
        if token in kept and default_storage.exists(kept[token]["path"]):
            upload = File(default_storage.open(kept[token]["path"], "rb"), name=kept[token]["name"])
            upload.size = default_storage.size(kept[token]["path"])
            uploads.append(upload)
    return uploads


def _kept_release(request, access) -> None:
    key = f"{access.cycle.year}-{access.category.pk}"
    session = request.session.get(KEPT_FILES, {})
    for entry in session.pop(key, {}).values():
        default_storage.delete(entry["path"])
    request.session[KEPT_FILES] = session


def _ranking(access):
    """The ranking the list follows (the category's criteria for the year), or None."""
    return evaluation_selectors.ranking_for_list(category=access.category, year=access.cycle.year,
                                                 programme_id=access.cycle.programme_id)


def _editor_context(access, formset, meta_form, error=None, kept=None, sheet=None):
    nl = access.nomination_list
    nominees_by_unit = {n.unit_id: n for n in nl.nominees.all()} if nl else {}
    ranked = [row for row in sheet.rows if row.ranked] if sheet else []
    by_unit = {row.unit.pk: row for row in sheet.rows} if sheet else {}
    rows = []
    for index, form in enumerate(formset.forms):
        try:
            unit_id = int(form["unit"].value() or 0)
        except (TypeError, ValueError):
            unit_id = 0
        rows.append({"form": form, "nominee": nominees_by_unit.get(unit_id), "kept": (kept or {}).get(index, []),
                     "ranked_here": ranked[index] if index < len(ranked) else None, "own": by_unit.get(unit_id)})
    return {
        "access": access, "nomination_list": nl, "formset": formset, "meta_form": meta_form, "rows": rows,
        "sheet": sheet,
        "list_length": access.list_length,  # measures.limits.list_length: the limit in force, or an entitlement's
        "error": error, "accept": ACCEPT_ATTRIBUTE, "kinds": list(access.category.subject_kinds.all()),
    }


def _initial_rows(access, sheet=None) -> list[dict]:
    """The editor's rows: the list's nominees; for a list without any yet, the ranking's top units up to the limit
    in force (the list follows the ranking unless the bureau says why not)."""
    nl = access.nomination_list
    nominees = sorted(nl.nominees.all(), key=lambda n: n.rank) if nl else []
    rows = [{"unit": n.unit_id, "unit_name": selectors.unit_label(n.unit), "rank": n.rank,
             "achievements": n.achievements, "figures": n.figures, "departure_reason": n.departure_reason}
            for n in nominees]
    if not rows and sheet is not None and not (nl and nl.nothing_to_propose):
        rows = [{"unit": unit.pk, "unit_name": unit.name, "rank": rank}
                for rank, unit in enumerate(evaluation_ranking.top_units(sheet.rows, access.list_length), start=1)]
    used = {r["rank"] for r in rows}
    free = [r for r in range(1, access.list_length + 1) if r not in used]
    rows += [{"unit": None, "rank": free.pop(0)} for _row in range(max(access.list_length - len(rows), 0))]
    return rows


def _ordered_entries(formset, units_by_id, action: str, kept: dict | None = None) -> list[services.NomineeEntry]:
    """The filled rows in rank order; a move-up/move-down button swaps a row with its neighbour."""
    filled = sorted(((f.cleaned_data["rank"], i, f) for i, f in enumerate(formset.forms) if f.cleaned_data.get("unit")),
                    key=lambda t: (t[0], t[1]))
    order = [f for _rank, _index, f in filled]
    direction, _dash, index = action.partition("-")
    index = params.int_from(index, maximum=len(formset.forms) - 1)
    if direction in ("up", "down") and index is not None:
        form = formset.forms[index]
        if form in order:
            i = order.index(form)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    return [services.NomineeEntry(unit=units_by_id[f.cleaned_data["unit"]], achievements=f.cleaned_data["achievements"],
                                  figures=f.cleaned_data["figures"], files=f.cleaned_data["files"] + (kept or {}).get(f, []),
                                  departure_reason=f.cleaned_data["departure_reason"])
            for f in order]


@door()
def list_edit(request, year: int, category_id: int):
    """Prepare the list: up to the category's limit (3 in principle) of ranked units of its kinds, their
    achievements, figures and evidence."""
    access = _access(request, year, category_id)
    if not access.can_edit_category:
        raise Http404  # co-responsible bureaus, reviewers: they read the list, they do not edit it
    if not access.editable_now:
        messages.error(request, _("This list cannot be changed now."))
        return redirect(_list_url(access))
    # The units are not listed in the page (a province has tens of thousands): the chooser asks
    # nominations:units as the person types, and the rows' units are looked up when the form comes back.
    nl = access.nomination_list
    evidence_ids = [e.pk for n in nl.nominees.all() for e in n.evidence.all()] if nl else []

    NomineeFormSet = nominee_formset(access.list_length)
    form_kwargs = {"length": access.list_length, "chooser_url": _list_url(access, "nominations:units")}
    if request.method != "POST":
        sheet = _ranking(access)
        formset = NomineeFormSet(prefix="rows", initial=_initial_rows(access, sheet), form_kwargs=form_kwargs)
        meta_form = ListMetaForm(evidence_ids=evidence_ids, initial={
            "version": nl.version if nl else 0,
            "nothing_to_propose": nl.nothing_to_propose if nl else False,
            "nothing_reason": nl.nothing_reason if nl else "",
        })
        return render(request, "nominations/list_edit.html", _editor_context(access, formset, meta_form, sheet=sheet))

    formset = NomineeFormSet(request.POST, request.FILES, prefix="rows", form_kwargs=form_kwargs,
                             resolver=partial(selectors.units_resolve, access.category,
                                              programme_id=access.cycle.programme_id))
    units_by_id = formset.units_by_id
    meta_form = ListMetaForm(request.POST, evidence_ids=evidence_ids)
    if not (formset.is_valid() and meta_form.is_valid()):
        return render(request, "nominations/list_edit.html", _editor_context(
            access, formset, meta_form, kept=_keep_files(request, access, formset), sheet=_ranking(access)), status=400)
    action = request.POST.get("action", "save")
    try:
        if nl is None:
            nl = services.nomination_list_get_or_create(actor=request.user, cycle=access.cycle, category=access.category)
        nl = services.nomination_list_save(
            actor=request.user, nomination_list=nl, version=meta_form.cleaned_data["version"],
            entries=_ordered_entries(formset, units_by_id, action, kept={
                form: _kept_uploads(request, access, index) for index, form in enumerate(formset.forms)}),
            nothing_to_propose=meta_form.cleaned_data["nothing_to_propose"],
            nothing_reason=meta_form.cleaned_data["nothing_reason"],
            remove_evidence=meta_form.cleaned_data["remove_evidence"],
        )
    except PermissionDeniedError:
        raise Http404 from None
    except DomainError as error:
        status = 409 if isinstance(error, ConflictError) else 400
        return render(request, "nominations/list_edit.html", _editor_context(
            access, formset, meta_form, error=error.message,
            kept=_keep_files(request, access, formset), sheet=_ranking(access)), status=status)
    _kept_release(request, access)
    if action == "submit":
        return redirect(_list_url(access, "nominations:submit"))
    messages.success(request, _("Draft saved."))
    return redirect(_list_url(access, "nominations:edit"))


@door()
@require_POST
def list_autosave(request, year: int, category_id: int):
    """The editor's draft kept as the clerk types (static/js/site.js posts the form here, without its files): saved
    through the same service as "Save the draft", never submitted. It never removes anything: a nominee whose
    unit the form no longer names, and evidence ticked for removal, wait for the clerk's own save. Answers JSON:
    the list's new version, or why nothing was saved (the editor then leaves the form to the clerk's save)."""
    access = _access(request, year, category_id)
    if not access.can_edit_category:
        raise Http404
    if not access.editable_now:
        return JsonResponse({"saved": False, "message": _("This list cannot be changed now.")}, status=409)
    nl = access.nomination_list
    formset = nominee_formset(access.list_length)(
        request.POST, prefix="rows",
        form_kwargs={"length": access.list_length, "chooser_url": _list_url(access, "nominations:units")},
        resolver=partial(selectors.units_resolve, access.category, programme_id=access.cycle.programme_id))
    meta_form = ListMetaForm(request.POST, evidence_ids=[])
    if not (formset.is_valid() and meta_form.is_valid()):
        return JsonResponse({"saved": False, "message": _("Not saved automatically: the form has an error; "
                                                          "“Save the draft” shows it.")}, status=400)
    entries = _ordered_entries(formset, formset.units_by_id, "save")
    kept_units = {entry.unit.pk for entry in entries}
    if nl is not None and any(n.unit_id not in kept_units for n in nl.nominees.all()):
        return JsonResponse({"saved": False, "message": _("Not saved automatically: a nominee was taken out; "
                                                          "“Save the draft” takes it out.")}, status=400)
    try:
        if nl is None:
            nl = services.nomination_list_get_or_create(actor=request.user, cycle=access.cycle, category=access.category)
        nl = services.nomination_list_save(
            actor=request.user, nomination_list=nl, version=meta_form.cleaned_data["version"], entries=entries,
            nothing_to_propose=meta_form.cleaned_data["nothing_to_propose"],
            nothing_reason=meta_form.cleaned_data["nothing_reason"])
    except PermissionDeniedError:
        raise Http404 from None
    except DomainError as error:
        return JsonResponse({"saved": False, "message": error.message},
                            status=409 if isinstance(error, ConflictError) else 400)
    return JsonResponse({"saved": True, "version": nl.version,
                         "message": _("Draft saved automatically at %(time)s.")
                         % {"time": formats.time_format(timezone.localtime(timezone.now(), BEIJING), "H:i")}})


@door()
def unit_choices(request, year: int, category_id: int):
    """The list editor's unit chooser: at most ``selectors.CHOOSER_LIMIT`` units the category rewards in the
    programme whose name contains ``?q=``, as JSON; to the bureau that prepares the list only (404 otherwise)."""
    access = _access(request, year, category_id)
    if not access.can_edit_category:
        raise Http404
    units = selectors.units_matching(access.category, programme_id=access.cycle.programme_id,
                                     text=request.GET.get("q", ""))
    return JsonResponse({"results": [
        {"id": unit.pk, "label": selectors.unit_label(unit), "detail": unit.full_name if unit.full_name else ""}
        for unit in units]}, headers={"Cache-Control": "private, max-age=60"})


@door()
def list_submit(request, year: int, category_id: int):
    """The confirmation step: the list as it will be sent; submitting it sends it to the General Office."""
    access = _access(request, year, category_id)
    nl = access.nomination_list
    if not access.can_edit_category or nl is None:
        raise Http404
    form = VersionForm(request.POST or None, initial={"version": nl.version})
    error, status = None, 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    if request.method == "POST" and form.is_valid():
        try:
            services.nomination_list_submit(actor=request.user, nomination_list=nl, version=form.cleaned_data["version"])
        except PermissionDeniedError:
            raise Http404 from None
        except DomainError as exc:
            error, status = exc.message, 409 if isinstance(exc, ConflictError) else 400
        else:
            if access.sign_off_required:
                messages.success(request, _("The list was sent to your bureau's leader for sign-off."))
            else:
                messages.success(request, _("The list was submitted to the General Office."))
            return redirect(_list_url(access))
    return render(request, "nominations/list_submit.html", {
        "access": access, "nomination_list": nl, "nominees": list(nl.nominees.all()), "form": form, "error": error,
        "missing": services.nomination_list_missing(nl),
    }, status=status)


@door()
def sign_off_queue(request):
    """The lists waiting for the leader's sign-off (签发), of every bureau the person leads."""
    return render(request, "nominations/sign_off_queue.html", {"lists": selectors.lists_to_sign_off(request.user)})


@door()
def list_sign_off(request, year: int, category_id: int):
    """The leader reads the list (a page that works on a phone) and signs it off, or sends it back with the
    reasons. Nobody else finds the page."""
    access = _access(request, year, category_id)
    nl = access.nomination_list
    if nl is None or "sign_off" not in actions_for(request.user, nl):
        raise Http404
    form = SignOffForm(request.POST or None, initial={"version": nl.version})
    error, status = None, 200
    if request.method == "POST":
        decision = request.POST.get("decision")
        if not form.is_valid() or decision not in ("sign_off", "decline"):
            error, status = _("Choose to sign the list off or to send it back."), 400
        else:
            try:
                if decision == "sign_off":
                    services.nomination_list_sign_off(actor=request.user, nomination_list=nl,
                                                      version=form.cleaned_data["version"])
                else:
                    services.nomination_list_sign_off_decline(actor=request.user, nomination_list=nl,
                                                              reason=form.cleaned_data["reason"],
                                                              version=form.cleaned_data["version"])
            except DomainError as exc:
                error, status = exc.message, 409 if isinstance(exc, ConflictError) else 400
            else:
                messages.success(request, _("The list was signed off and sent to the General Office.")
                                 if decision == "sign_off" else _("The list was sent back to the clerk."))
                return redirect("nominations:sign_off_queue")
    return render(request, "nominations/sign_off.html", {
        "access": access, "nomination_list": nl, "nominees": list(nl.nominees.all()), "form": form,
        "error": error, "history": audit_trail(selectors.list_history(nl), everything=trail_everything(request)),
    }, status=status)


@door()
@require_POST
def list_withdraw(request, year: int, category_id: int):
    access = _access(request, year, category_id)
    nl = access.nomination_list
    if not access.can_edit_category or nl is None:
        raise Http404
    form = VersionForm(request.POST)
    try:
        services.nomination_list_withdraw(actor=request.user, nomination_list=nl,
                                          version=form.cleaned_data["version"] if form.is_valid() else None)
    except PermissionDeniedError:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_list_url(access))
    messages.success(request, _("The list was withdrawn; it is a draft again."))
    return redirect(_list_url(access, "nominations:edit"))


@door()
@require_POST
def list_comment(request, year: int, category_id: int):
    access = _access(request, year, category_id)
    nl = access.nomination_list
    if not access.can_comment or nl is None:
        raise Http404
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.list_comment_add(actor=request.user, nomination_list=nl, text=form.cleaned_data["text"])
        except PermissionDeniedError:
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("Write the comment."))
    return redirect(_list_url(access) + "#comments")


@door()
def evidence_download(request, token: str):
    """An evidence file, to those who may see its list only; always as a download, never rendered inline."""
    try:
        evidence = selectors.evidence_for_download(request.user, token=token)
    except Evidence.DoesNotExist:
        raise Http404 from None
    return evidence.response(headers=DOWNLOAD_HEADERS)



@door()
@require_POST
def exception_request(request, year: int, category_id: int):
    """The bureau asks for more awardees than the cap (申请突破名额), from its list."""
    access = _access(request, year, category_id)
    if not access.can_edit_category:
        raise Http404
    form = ExceptionRequestForm(request.POST, category=access.category)
    if not form.is_valid():
        messages.error(request, _("Give the number of awardees asked for and the reasons."))
        return redirect(_list_url(access) + "#exception")
    try:
        nl = access.nomination_list or services.nomination_list_get_or_create(
            actor=request.user, cycle=access.cycle, category=access.category)
        services.cap_exception_request(actor=request.user, nomination_list=nl,
                                       requested_limit=form.cleaned_data["requested_limit"],
                                       reason=form.cleaned_data["reason"])
    except PermissionDeniedError:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_list_url(access) + "#exception")
    messages.success(request, _("The request was sent to the General Office."))
    return redirect(_list_url(access) + "#exception")


@door()
def rules(request, measure_id: int):
    """A measure's implementation rules (实施办法) as the bureau files them: every filing, and the upload."""
    try:
        measure = selectors.rules_measure(measure_id)
    except Measure.DoesNotExist:
        raise Http404 from None
    bureaus = services.rules_bureaus_of(actor=request.user, measure=measure)
    if not bureaus:
        raise Http404
    form = RulesForm(request.POST or None, request.FILES or None, bureaus=bureaus,
                     initial={"bureau": bureaus[0].pk})
    status, error = 200, None
    if request.method == "POST":
        if form.is_valid():
            try:
                services.rules_file(actor=request.user, measure=measure, bureau=form.cleaned_data["bureau"],
                                    title=form.cleaned_data["title"], upload=form.cleaned_data["file"])
            except PermissionDeniedError:
                raise Http404 from None
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                messages.success(request, _("The implementation rules were filed with the General Office."))
                return redirect("nominations:rules", measure.pk)
        else:
            status = 400
    return render(request, "nominations/rules.html", {
        "measure": measure, "bureaus": bureaus, "form": form, "error": error,
        "filings": selectors.rules_filings(measure=measure, bureaus=bureaus),
        "deadline": selectors.rules_due(measure),
    }, status=status)


@door()
def rules_download(request, token: str):
    """A filing of implementation rules: rules in force to anyone signed in; other filings to the bureau that
    filed them and to the General Office."""
    try:
        filing = selectors.rules_for_download(request.user, token=token)
    except ImplementationRules.DoesNotExist:
        raise Http404 from None
    return filing.response(headers=DOWNLOAD_HEADERS)
