"""The bureau's evaluation pages: a category's criteria for a year, the scoring sheet of every eligible unit (typed
values, evidence per indicator, the import from a spreadsheet with its preview), the ranking, and the person's
declarations of interest; the General Office's decision on the criteria."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives.errors import DomainError
from incentives.files import DOWNLOAD_HEADERS
from measures.evidence import ACCEPT_ATTRIBUTE
from measures.importing.admin_views import pending_discard, pending_load, pending_save
from measures.importing.reading import ImportFileError, read_upload
from measures.models import IncentiveCategory
from organisation import access
from organisation.access import door
from organisation.models import Programme, Unit

from . import ranking, selectors, services
from .access import category_actions, require_convene, require_on_category
from .forms import (
    CriteriaMetaForm,
    DecisionForm,
    DeclarationForm,
    EvidenceForm,
    IndicatorFormSet,
    PanelConveneForm,
    PanelSettingsForm,
    UploadForm,
)
from .models import Declaration, Stake


def _category(request, year: int, category_id: int) -> IncentiveCategory:
    if not 2000 <= year <= 2100:
        raise Http404
    return access.get(IncentiveCategory.objects.select_related("measure__document"), request.user, pk=category_id)


def _sheet_url(category, year) -> str:
    return reverse("evaluation:sheet", args=[year, category.pk])


def _entry_rows(sheet, *, my_stakes, posted=None, error_field=None):
    """The sheet's rows in administrative order, each cell with what the input shows (no query)."""
    rows = []
    for row in sorted(sheet.rows, key=lambda r: (r.unit.division_order, r.unit.name)):
        cells = []
        for indicator in sheet.indicators:
            value = row.values.get(indicator.pk)
            stored = "" if value is None else (
                ("是" if value.passed else "否") if value.passed is not None else services.plain(value.number))
            field = services.value_field(indicator, row.unit)
            cells.append({"indicator": indicator, "field": field, "stored": stored, "value": value,
                          "shown": (posted or {}).get(field, stored), "error": field == error_field,
                          "points": row.points.get(indicator.pk),
                          "evidence": sheet.evidence_for(indicator.pk, row.unit.pk)})
        rows.append({"row": row, "cells": cells, "recused": row.unit.pk in my_stakes,
                     "recusals": sheet.recusals.get(row.unit.pk, [])})
    return rows


@door()
def sheet(request, year: int, category_id: int):
    """The scoring sheet: every eligible unit's values (typed here; imported from the import page), evidence per
    indicator, points, total and ranking with its tie rule, and who recused from which unit."""
    category = _category(request, year, category_id)
    programme_id = category.measure.document.programme_id
    data = selectors.sheet(category=category, year=year, programme_id=programme_id)
    actions = access.actions_for(request.user, data.criteria) if data.criteria else category_actions(
        access.person(request.user), category)
    mine = [d for d in data.declarations if d.person_id == request.user.pk]
    my_stakes = {d.unit_id for d in mine if d.unit_id}
    posted, error, error_field, status = None, None, None, 200
    if request.method == "POST":
        if data.criteria is None:
            raise Http404
        access.require(request.user, "score", data.criteria)
        units = {row.unit.pk: row.unit for row in data.rows}
        indicators = {i.pk: i for i in data.indicators}
        cells, posted = {}, {}
        for row in _entry_rows(data, my_stakes=set()):
            for cell in row["cells"]:
                field = cell["field"]
                if field not in request.POST:
                    continue
                text = request.POST.get(field, "").strip()
                posted[field] = text
                if text != request.POST.get("o-" + field, "").strip():
                    _v, unit_pk, indicator_pk = field.split("-")
                    cells[(units[int(unit_pk)], indicators[int(indicator_pk)])] = text
        try:
            written = services.values_enter(actor=request.user, criteria=data.criteria, cells=cells)
        except access.Refused:
            raise
        except DomainError as exc:
            error, error_field, status = exc.message, exc.field, 400
        else:
            messages.success(request, _("%(count)s value(s) saved.") % {"count": written})
            return redirect(_sheet_url(category, year))
    return render(request, "evaluation/sheet.html", {
        "category": category, "year": year, "sheet": data, "actions": actions, "criteria": data.criteria,
        "entry_rows": _entry_rows(data, my_stakes=my_stakes, posted=posted, error_field=error_field),
        "ranking": data.rows, "my_declarations": mine, "declared": bool(mine), "error": error,
        "tie_rule": ranking.TIE_RULE, "evidence_form": EvidenceForm(), "accept": ACCEPT_ATTRIBUTE,
        "versions": selectors.criteria_versions(category=category, year=year) if data.criteria else [],
    }, status=status)


def _initial_indicators(criteria) -> list[dict]:
    if criteria is None:
        return []
    return [{"name": i.name, "method": i.method, "weight": services.plain(i.weight),
             "scale_min": "" if i.scale_min is None else services.plain(i.scale_min),
             "scale_max": "" if i.scale_max is None else services.plain(i.scale_max),
             "direction": i.direction, "unit_of_measure": i.unit_of_measure, "data_source": i.data_source,
             "evidence_required": i.evidence_required} for i in criteria.indicators.all()]


@door()
def criteria_edit(request, year: int, category_id: int):
    """File (or change) the category's criteria for the year: the indicators, their weights (100 in all), how
    each is measured, where its data come from, whether evidence is required."""
    category = _category(request, year, category_id)
    require_on_category(request.user, "file", category)
    current = selectors.criteria_current(category=category, year=year)
    initial = _initial_indicators(current)
    blank_rows = 3
    if request.method == "POST":
        formset = IndicatorFormSet(request.POST, prefix="indicators")
        meta = CriteriaMetaForm(request.POST)
    else:
        formset = IndicatorFormSet(prefix="indicators",
                                   initial=initial + [{} for _row in range(max(blank_rows, 6 - len(initial)))])
        meta = CriteriaMetaForm()
    error, error_field, status = None, None, 200
    if request.method == "POST":
        if formset.is_valid() and meta.is_valid():
            specs = [services.IndicatorSpec(**form.cleaned_data) for form in formset.forms if not form.is_blank()]
            try:
                services.criteria_file(actor=request.user, category=category, year=year, indicators=specs,
                                       change_reason=meta.cleaned_data["change_reason"])
            except access.Refused:
                raise
            except DomainError as exc:
                error, error_field, status = exc.message, exc.field, 400
            else:
                messages.success(request, _("The criteria were filed with the General Office."))
                return redirect(_sheet_url(category, year))
        else:
            error, status = _("Check the indicators: a field is too long or not one of the choices."), 400
    return render(request, "evaluation/criteria_form.html", {
        "category": category, "year": year, "formset": formset, "meta": meta, "criteria": current,
        "error": error, "error_field": error_field}, status=status)


@door()
def values_import(request, year: int, category_id: int):
    """Import the values from a spreadsheet: upload, preview (every row, its errors by row and column), confirm.
    A file with any error is refused whole: nothing is written."""
    category = _category(request, year, category_id)
    criteria = selectors.criteria_current(category=category, year=year)
    if criteria is None:
        raise Http404
    access.require(request.user, "score", criteria)
    form = UploadForm()
    context = {"category": category, "year": year, "criteria": criteria, "form": form,
               "indicators": list(criteria.indicators.all())}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        data, options = pending_load(request, token)
        if options.get("criteria") != criteria.pk or "cancel" in request.POST:
            pending_discard(request, token)
            messages.info(request, _("Import cancelled: nothing was changed."))
            return redirect(_sheet_url(category, year))
        plan = services.values_import_plan(actor=request.user, criteria=criteria, data=data,
                                           filename=options.get("filename", ""))
        try:
            written = services.values_import(actor=request.user, plan=plan)
        except access.Refused:
            raise
        except DomainError as exc:
            return render(request, "evaluation/import.html", {**context, "plan": plan, "error": exc.message}, status=400)
        pending_discard(request, token)
        messages.success(request, _("%(count)s value(s) imported.") % {"count": written})
        return redirect(_sheet_url(category, year))
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "evaluation/import.html", context, status=400)
        upload = form.cleaned_data["file"]
        try:
            data = read_upload(upload)
        except ImportFileError as exc:
            return render(request, "evaluation/import.html", {**context, "error": exc.message}, status=400)
        plan = services.values_import_plan(actor=request.user, criteria=criteria, data=data, filename=upload.name)
        token = pending_save(request, data=data, options={"criteria": criteria.pk, "filename": upload.name}) \
            if plan.is_valid else None
        return render(request, "evaluation/import.html", {**context, "plan": plan, "token": token},
                      status=200 if plan.is_valid else 400)
    return render(request, "evaluation/import.html", context)


@door()
@require_POST
def evidence_upload(request, year: int, category_id: int):
    category = _category(request, year, category_id)
    criteria = selectors.criteria_current(category=category, year=year)
    if criteria is None:
        raise Http404
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect(_sheet_url(category, year))
    indicator = next((i for i in criteria.indicators.all() if i.pk == form.cleaned_data["indicator"]), None)
    unit = access.get(Unit.objects.all(), request.user, pk=form.cleaned_data["unit"])
    if indicator is None:
        raise Http404
    services.evidence_attach(actor=request.user, criteria=criteria, indicator=indicator, unit=unit,
                             upload=form.cleaned_data["file"])
    messages.success(request, _("Evidence attached."))
    return redirect(_sheet_url(category, year) + f"#unit-{unit.pk}")


@door()
def evidence_file(request, token: str):
    return selectors.evidence_for_download(request.user, token=token).response(headers=DOWNLOAD_HEADERS)


@door()
def declaration(request, year: int):
    """The person's declarations of interest (回避) for a year of their programme: the units they have a stake in,
    with the reason, or that they have nothing to declare. Added at any time; effective at once."""
    if not 2000 <= year <= 2100:
        raise Http404
    who = access.person(request.user)
    # The programmes the person belongs to, or whose pool of experts they are in (an expert declares too).
    programme = access.restrict(Programme.objects.all(), request.user, "declare").order_by("-is_default", "code").first()
    if programme is None:
        raise Http404
    form = DeclarationForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stakes = []
            if (data["unit"] or "").strip():
                matches = list(access.restrict(Unit.objects.filter(programme=programme, name=data["unit"].strip()),
                                               request.user, "declare")[:2])
                if len(matches) != 1:
                    raise DomainError(_("No unit of the programme is named “%(name)s”.") % {"name": data["unit"]}
                                      if not matches else _("Several units are named “%(name)s”.") % {"name": data["unit"]},
                                      field="unit")
                stakes.append(services.StakeEntry(unit=matches[0], stake=data["stake"], reason=data["reason"]))
            services.declaration_make(actor=request.user, programme_id=programme.pk, year=year, stakes=stakes,
                                      nothing=data["nothing"])
        except access.Refused:
            raise
        except DomainError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("Your declaration is recorded."))
            back = request.POST.get("next", "")
            return redirect(back if back.startswith("/evaluation/") else reverse("evaluation:declaration", args=[year]))
    elif request.method == "POST":
        status = 400
    mine = access.restrict(Declaration.objects.all(), request.user).filter(person=request.user, programme=programme, year=year) \
        .select_related("unit").order_by("declared_at", "id")
    return render(request, "evaluation/declaration.html", {
        "year": year, "programme": programme, "form": form, "declarations": mine, "error": error,
        "next": request.GET.get("next", ""), "signed_in": who.signed_in, "stakes": Stake}, status=status)


@door(access.reviewers)
@require_POST
def criteria_decide(request, pk: int):
    """The General Office accepts the criteria or sends them back with its reasons."""
    criteria = access.get(selectors.criteria_queryset(), request.user, "review", pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("Choose accept or send back."))
    if form.cleaned_data["decision"] == "accept":
        services.criteria_accept(actor=request.user, criteria=criteria, reason=form.cleaned_data["reason"])
        messages.success(request, _("The criteria were accepted."))
    else:
        services.criteria_return(actor=request.user, criteria=criteria, reason=form.cleaned_data["reason"])
        messages.success(request, _("The criteria were sent back."))
    return redirect(_sheet_url(criteria.category, criteria.year))


# --- expert panels -------------------------------------------------------------------------------------------------


@door(access.reviewers)
def panel_convene(request, year: int, category_id: int):
    """The General Office convenes the category's expert panel for the year: how many experts, from which fields
    of the pool, how their totals are aggregated and the spread that flags a candidate. Once convened, the page
    is the panel's."""
    category = _category(request, year, category_id)
    require_convene(request.user, category)
    existing = selectors.panel_of(category=category, year=year)
    if existing is not None:
        return redirect("evaluation:panel", existing.pk)
    programme_id = category.measure.document.programme_id
    form = PanelConveneForm(request.POST or None, field_choices=selectors.pool_fields(programme_id=programme_id))
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                panel = services.panel_convene(actor=request.user, category=category, year=year, size=data["size"],
                                               fields=data["fields"], aggregation=data["aggregation"],
                                               spread_limit=data["spread_limit"])
            except access.Refused:
                raise
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                messages.success(request, _("The panel is convened: %(count)s experts drawn.") % {"count": panel.size})
                return redirect("evaluation:panel", panel.pk)
        else:
            status = 400
    return render(request, "evaluation/panel_convene.html", {
        "category": category, "year": year, "form": form, "error": error,
        "criteria": selectors.criteria_current(category=category, year=year)}, status=status)


@door()
def panels(request):
    """The panels the person sits on (an expert) or convened in their programmes (the General Office)."""
    found = selectors.panels_for(request.user)
    return render(request, "evaluation/panels.html", {
        "panels": found, "declaration_year": found[0].year if found else timezone.localdate().year - 1})


def _posted_scores(request, table) -> list[services.CandidateScore]:
    return [services.CandidateScore(
        unit_id=line.unit.pk, comment=request.POST.get(f"c-{line.unit.pk}", ""),
        points={i.pk: request.POST.get(f"p-{line.unit.pk}-{i.pk}", "") for i in table.indicators})
        for line in table.lines]


@door()
def panel(request, pk: int):
    """A panel. The expert drawn for it scores every candidate on the criteria's weighted indicators, with a
    comment, and submits once; before that they see no other score. Afterwards, and for the General Office: the
    panel's table (every expert's totals, the panel's score, the spread and its flag) beside the bureau's ranking,
    and the record of the draw."""
    found = access.get(selectors.panel_queryset(), request.user, pk=pk)
    actions = access.actions_for(request.user, found)
    table = selectors.panel_table(found)
    error, error_field, status = None, None, 200
    if request.method == "POST":
        access.require(request.user, "score", found)
        try:
            services.panel_scores_submit(actor=request.user, panel=found, entries=_posted_scores(request, table))
        except access.Refused:
            raise
        except DomainError as exc:
            error, error_field, status = exc.message, exc.field, 400
        else:
            messages.success(request, _("Your scores are submitted."))
            return redirect("evaluation:panel", found.pk)
    posted = request.POST if status == 400 else {}
    context = {"panel": found, "actions": actions, "category": found.category, "year": found.year,
               "error": error, "error_field": error_field}
    if "scores" in actions:
        context.update(table=table, mine=selectors.my_panel_scores(found, request.user),
                       settings_form=PanelSettingsForm(initial={"aggregation": found.aggregation,
                                                                "spread_limit": found.spread_limit}))
    else:  # the expert's form: the candidates and the indicators, nobody's scores
        context.update(indicators=table.indicators, members_count=len(table.members), form_rows=[
            {"unit": line.unit, "comment_name": f"c-{line.unit.pk}", "comment": posted.get(f"c-{line.unit.pk}", ""),
             "cells": [{"indicator": i, "name": f"p-{line.unit.pk}-{i.pk}",
                        "value": posted.get(f"p-{line.unit.pk}-{i.pk}", "")} for i in table.indicators]}
            for line in sorted(table.lines, key=lambda line: (line.unit.division_order, line.unit.name))])
    return render(request, "evaluation/panel.html", context, status=status)


@door(access.reviewers)
@require_POST
def panel_settings(request, pk: int):
    found = access.get(selectors.panel_queryset(), request.user, pk=pk)
    form = PanelSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the aggregation and a spread from 0 to 100."))
        return redirect("evaluation:panel", found.pk)
    services.panel_settings_set(actor=request.user, panel=found, aggregation=form.cleaned_data["aggregation"],
                                spread_limit=form.cleaned_data["spread_limit"])
    messages.success(request, _("The panel's aggregation is saved."))
    return redirect("evaluation:panel", found.pk)
