"""The plan of an import of measures, whatever it was read from (``spreadsheet`` or ``notices``).

Both readers produce the same ``MeasureSpec`` list; ``compare`` sets every row's status against the target
document (new, changed, unchanged, invalid) and ``check_database_rules`` reports, as row errors, everything the
database would refuse when the plan is applied (lengths, uniqueness within the document and the measure, a
category's position held by one the file does not mention, a bureau to create whose name is taken), so that a dry
run predicts the real run exactly. ``services.catalogue_import`` writes a valid plan in one transaction. Nothing
is deleted: a category or measure of the document that the file does not mention is left as it is (it may
already carry nomination lists and awards).

What a reader guessed rather than read (a notice has no titles, no category names, no kinds of units, no forms of
support: they are derived from its words) is listed in ``MeasureSpec.guessed`` / ``CategorySpec.guessed`` and is
written for new measures and categories only; an existing measure keeps what an administrator gave it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from measures.models import CategoryKind, IncentiveCategory, Measure, PolicyDocument, Responsibility
from organisation.models import Bureau, Programme, UnitKind

from .clauses import LEAD, SEPARATE
from .names import clean_name
from .reading import RowError
from .subjects import STANDARD_KINDS

NEW, CHANGED, UNCHANGED, INVALID = "new", "changed", "unchanged", "invalid"
STATUS_LABELS = {NEW: gettext_lazy("New"), CHANGED: gettext_lazy("Changed"), UNCHANGED: gettext_lazy("Unchanged"),
                 INVALID: gettext_lazy("Invalid")}

@dataclass
class CategorySpec:
    code: str
    name: str
    order: int
    responsibilities: list[tuple[str, Bureau | None, str]]  # (name as written, bureau, role)
    subject_kinds: list[str] | None = None  # unit kind codes; None keeps what is there
    cap: int | None = None
    description: str | None = None
    row: int = 0
    guessed: frozenset[str] = frozenset()  # attributes derived, not read: written for a new category only
    kind: str | None = None  # selection / entitlement; None keeps what is there
    support_forms: list[str] | None = None
    support_text: str | None = None
    award_amount: object = None  # a Decimal; None keeps what is there
    earned_by_higher_award: bool | None = None


@dataclass
class MeasureSpec:
    number: int
    numeral: str
    title: str
    clause: str
    categories: list[CategorySpec] = field(default_factory=list)
    text: str | None = None
    support_forms: list[str] | None = None
    support_text: str | None = None
    row: int = 0
    guessed: frozenset[str] = frozenset()  # attributes derived, not read: written for a new measure only
    where: str = ""  # "line 12", "paragraph 12", "table 1, row 3": where an error is (notices)


@dataclass
class PlanRow:
    row: int
    key: str
    label: str
    status: str
    changes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bureaus: str = ""

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class CataloguePlan:
    document: PolicyDocument | None
    new_document: dict | None = None
    measures: list[MeasureSpec] = field(default_factory=list)
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_bureaus: dict[str, list[str]] = field(default_factory=dict)  # name → closest known names
    create_bureaus: bool = False
    new_kinds: list[str] = field(default_factory=list)  # codes of STANDARD_KINDS the import creates
    # The importing programme: names bind to its bureaus only, new bureaus and documents are created in it.
    programme: Programme | None = None

    def __post_init__(self):
        if self.document is not None:
            self.programme = self.document.programme
        elif self.programme is None:
            self.programme = Programme.objects.default()

    @property
    def all_errors(self) -> list[RowError]:
        return self.errors + [error for row in self.rows for error in row.errors]

    @property
    def is_valid(self) -> bool:
        return not self.all_errors

    def counts(self) -> dict[str, int]:
        counts = {NEW: 0, CHANGED: 0, UNCHANGED: 0, INVALID: 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        counts = self.counts()
        return bool(counts[NEW] or counts[CHANGED] or self.new_document)

    def published_years(self) -> list[int]:
        """The published years of the document the import changes (one query). Their results were frozen at
        publication, so the import does not change them; the preview says so. The cycles are read through the
        document's reverse relation ("cycles", state "published"): the catalogue does not import the cycles'
        app, which stands above it."""
        if self.document is None or self.document.pk is None:
            return []
        return sorted(self.document.cycles.filter(state="published").values_list("year", flat=True))


# --- comparing with the database -----------------------------------------------------------------------------


def compare(plan: CataloguePlan, *, by_measure: bool = False) -> None:
    """Give every valid row its status against the target document, after the database's rules are checked
    (``check_database_rules``). A handful of queries whatever the size."""
    existing_measures: dict[int, Measure] = {}
    existing_categories: dict[tuple[int, str], IncentiveCategory] = {}
    if plan.document is not None:
        for measure in Measure.objects.filter(document=plan.document):
            existing_measures[measure.number] = measure
        categories = (IncentiveCategory.objects.filter(measure__document=plan.document).select_related("measure")
                      .prefetch_related("subject_kinds", "responsibilities__bureau"))
        for category in categories:
            existing_categories[(category.measure.number, category.code)] = category
    elif plan.new_document is not None and PolicyDocument.objects.filter(programme=plan.programme, number=plan.new_document.get("number", "")).exists():
        plan.errors.append(RowError(0, "", _("A policy document numbered %(number)s already exists: choose it to update "
                                             "its measures, or give the new document another number.") % {"number": plan.new_document["number"]}))
    _keep_what_exists(plan, existing_measures, existing_categories)
    refused = check_database_rules(plan, existing_categories)
    valid = []
    for spec in plan.measures:
        if spec.number in refused:
            plan.rows.append(PlanRow(row=spec.row, key=str(spec.number), label=spec.title, status=INVALID,
                                     errors=refused[spec.number], bureaus=_bureaus_display(spec.categories)))
            continue
        valid.append(spec)
        measure = existing_measures.get(spec.number)
        measure_changes = _measure_changes(spec, measure)
        if by_measure:
            changes = list(measure_changes)
            for category in spec.categories:
                changes += [f"{category.code}: {c}" for c in _category_changes(category, existing_categories.get((spec.number, category.code)))]
            status = NEW if measure is None else (CHANGED if changes else UNCHANGED)
            plan.rows.append(PlanRow(row=spec.row, key=str(spec.number), label=spec.title or measure.title, status=status,
                                     changes=changes, bureaus=_bureaus_display(spec.categories)))
            continue
        for index, category in enumerate(spec.categories):
            existing = existing_categories.get((spec.number, category.code))
            changes = _category_changes(category, existing)
            if index == 0:
                changes = measure_changes + changes
            status = NEW if existing is None else (CHANGED if changes else UNCHANGED)
            plan.rows.append(PlanRow(row=category.row, key=category.code, label=category.name or existing.name, status=status,
                                     changes=changes, bureaus=_bureaus_display([category])))
    plan.measures = valid
    plan.rows.sort(key=lambda r: r.row)


def _keep_what_exists(plan: CataloguePlan, measures: dict[int, Measure],
                      categories: dict[tuple[int, str], IncentiveCategory]) -> None:
    """A guess never overwrites what an existing measure or category has: it is dropped from the spec."""
    for spec in plan.measures:
        if spec.number in measures:
            for attribute in spec.guessed:
                setattr(spec, attribute, "" if attribute == "title" else None)
        for category in spec.categories:
            if (spec.number, category.code) in categories:
                for attribute in category.guessed:
                    setattr(category, attribute, "" if attribute == "name" else None)


def check_database_rules(plan: CataloguePlan, existing_categories: dict[tuple[int, str], IncentiveCategory]) -> dict[int, list[RowError]]:
    """Everything the database would refuse when the plan is written, as errors by measure number (and, for the
    new document, in ``plan.errors``). Also lists the standard kinds of units the import creates."""
    refused: dict[int, list[RowError]] = {}

    def refuse(spec: MeasureSpec, column: str, message: str) -> None:
        where = f"{spec.where}: " if spec.where else ""
        refused.setdefault(spec.number, []).append(RowError(spec.row, column, where + message))

    if plan.new_document is not None:
        for key in ("issued_on", "printed_on"):
            value = plan.new_document.get(key)
            if value and not isinstance(value, datetime.date):
                try:
                    datetime.date.fromisoformat(str(value))
                except ValueError:
                    plan.errors.append(RowError(0, key, _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. "
                                                          "2022-12-03.") % {"value": value}))
        for key, limit in (("number", 64), ("title", 255), ("issuer", 128)):
            value = plan.new_document.get(key) or ""
            if len(value) > limit:
                plan.errors.append(RowError(0, key, _("The document's %(field)s has %(length)s characters; at most "
                                                      "%(limit)s are stored.") % {"field": key, "length": len(value), "limit": limit}))
    positions: dict[int, dict[int, str]] = {}  # measure number → order → code, of the document's categories
    for (number, code), category in existing_categories.items():
        positions.setdefault(number, {})[category.order] = code
    new_bureau_names: dict[str, list[MeasureSpec]] = {}
    used_kinds: dict[str, list[MeasureSpec]] = {}
    for spec in plan.measures:
        if spec.title and "title" not in spec.guessed and len(spec.title) > 128:
            refuse(spec, "measure_title", _("The title has %(length)s characters; at most 128 are stored.") % {"length": len(spec.title)})
        if len(spec.clause or "") > 255:
            refuse(spec, "responsibility_clause", _("The responsibility clause has %(length)s characters; at most 255 are "
                                                    "stored.") % {"length": len(spec.clause)})
        mentioned = {category.code for category in spec.categories}
        codes: set[str] = set()
        for category in spec.categories:
            if len(category.code) > 16:
                refuse(spec, "category_code", _("The category code %(code)s is longer than 16 characters.") % {"code": category.code})
            if category.code in codes:
                refuse(spec, "category_code", _("Category %(code)s appears twice in measure %(number)s.") % {
                    "code": category.code, "number": spec.number})
            codes.add(category.code)
            if category.name and "name" not in category.guessed and len(category.name) > 128:
                refuse(spec, "category_name", _("The name of category %(code)s has %(length)s characters; at most 128 are "
                                                "stored.") % {"code": category.code, "length": len(category.name)})
            holder = positions.get(spec.number, {}).get(category.order)
            if holder is not None and holder not in mentioned:
                refuse(spec, "category_code", _(
                    "Category %(code)s would take position %(order)s of measure %(number)s, held by category %(holder)s, "
                    "which this import does not mention: name the categories as the document does (import the notice "
                    "with the document's own categories, --categories-from), or give the new ones other positions.") % {
                    "code": category.code, "order": category.order, "number": spec.number, "holder": holder})
            identities: set = set()
            owners = 0
            for name, bureau, role in category.responsibilities:
                identity = bureau.pk if bureau is not None else clean_name(name)
                if identity in identities:
                    refuse(spec, "lead", _("%(name)s is named twice for category %(code)s.") % {"name": name, "code": category.code})
                identities.add(identity)
                owners += role in (LEAD, SEPARATE)
                if bureau is None:
                    new_bureau_names.setdefault(clean_name(name), []).append(spec)
            if owners > 1:
                refuse(spec, "lead", _("Category %(code)s has more than one lead or separately responsible bureau.") % {"code": category.code})
            for kind in category.subject_kinds or []:
                used_kinds.setdefault(kind, []).append(spec)
    if plan.create_bureaus and new_bureau_names:
        taken = {}
        for short, full in (Bureau.objects.filter(programme=plan.programme)
                            .filter(Q(short_name__in=list(new_bureau_names)) | Q(full_name__in=list(new_bureau_names)))
                            .values_list("short_name", "full_name")):
            taken[short] = taken[full] = short
        for name, specs in new_bureau_names.items():
            message = None
            if len(name) > 64:
                message = _("The bureau name “%(name)s” has %(length)s characters; at most 64 are stored.") % {"name": name, "length": len(name)}
            elif name in taken:
                message = _("A bureau “%(name)s” exists but not among the bureaus this import may use (it is %(bureau)s): "
                            "it cannot be created again.") % {"name": name, "bureau": taken[name]}
            if message:
                for spec in {id(s): s for s in specs}.values():
                    refuse(spec, "lead", message)
    if used_kinds:
        known = dict(UnitKind.objects.values_list("code", "name"))
        names = {name: code for code, name in known.items()}
        for kind, specs in used_kinds.items():
            if kind in known:
                continue
            standard = STANDARD_KINDS.get(kind)
            if standard is not None and names.get(standard.name, kind) == kind:
                if kind not in plan.new_kinds:
                    plan.new_kinds.append(kind)
                continue
            message = (_("The kind of unit %(kind)s is not in the database and cannot be created: a kind named "
                         "“%(name)s” exists with the code %(code)s.") % {"kind": kind, "name": standard.name, "code": names[standard.name]}
                       if standard is not None else _("Unknown kind of unit %(kind)s.") % {"kind": kind})
            for spec in {id(s): s for s in specs}.values():
                refuse(spec, "subject_kinds", message)
    return refused


def _bureaus_display(categories: list[CategorySpec]) -> str:
    labels = dict(Responsibility.Role.choices)
    parts = []
    for category in categories:
        names = "、".join(f"{bureau.short_name if bureau else name}({labels[role]})" for name, bureau, role in category.responsibilities)
        parts.append(f"{category.code}: {names}" if len(categories) > 1 else names)
    return "；".join(parts)


def _measure_changes(spec: MeasureSpec, measure: Measure | None) -> list[str]:
    if measure is None:
        return []
    changes = []
    for attribute, value in (("title", spec.title), ("responsibility_clause", spec.clause), ("text", spec.text),
                             ("support_forms", spec.support_forms), ("support_text", spec.support_text)):
        if value is None or (attribute == "title" and not value):
            continue
        if getattr(measure, attribute) != value:
            changes.append(_("%(field)s: “%(old)s” → “%(new)s”") % {"field": Measure._meta.get_field(attribute).verbose_name, "old": _short(getattr(measure, attribute)), "new": _short(value)})
    return changes


def _yes_no(value: bool) -> str:
    return str(_("yes") if value else _("no"))


def _category_changes(spec: CategorySpec, category: IncentiveCategory | None) -> list[str]:
    if category is None:
        return []
    changes = []
    if spec.name and category.name != spec.name:
        changes.append(_("name: “%(old)s” → “%(new)s”") % {"old": category.name, "new": spec.name})
    if spec.cap is not None and category.cap != spec.cap:
        changes.append(_("cap: %(old)s → %(new)s") % {"old": category.cap, "new": spec.cap})
    if spec.description is not None and category.description != spec.description:
        changes.append(_("description changed"))
    if spec.kind is not None and category.kind != spec.kind:
        kinds = dict(CategoryKind.choices)  # the kinds in words, not their codes
        changes.append(_("kind: %(old)s → %(new)s") % {"old": kinds.get(category.kind, category.kind),
                                                         "new": kinds.get(spec.kind, spec.kind)})
    if spec.support_forms is not None and list(category.support_forms) != spec.support_forms:
        changes.append(_("category's forms of support changed"))
    if spec.support_text is not None and category.support_text != spec.support_text:
        changes.append(_("category's support changed"))
    if spec.earned_by_higher_award is not None and category.earned_by_higher_award != spec.earned_by_higher_award:
        changes.append(_("earned by a higher-level incentive: %(old)s → %(new)s")
                       % {"old": _yes_no(category.earned_by_higher_award), "new": _yes_no(spec.earned_by_higher_award)})
    if spec.award_amount is not None and category.award_amount != spec.award_amount:
        changes.append(_("amount per award: %(old)s → %(new)s") % {"old": category.award_amount, "new": spec.award_amount})
    if spec.subject_kinds is not None:
        old = sorted(k.code for k in category.subject_kinds.all())
        if old != sorted(spec.subject_kinds):
            changes.append(_("kinds of units: %(old)s → %(new)s") % {"old": "、".join(old) or "—", "new": "、".join(spec.subject_kinds) or "—"})
    old_roles = [(r.bureau_id, r.role) for r in sorted(category.responsibilities.all(), key=lambda r: r.order)]
    new_roles = [(bureau.pk if bureau else name, role) for name, bureau, role in spec.responsibilities]
    if old_roles != new_roles:
        old_text = "、".join(f"{r.bureau.short_name}({r.role})" for r in sorted(category.responsibilities.all(), key=lambda r: r.order))
        new_text = "、".join(f"{bureau.short_name if bureau else name}({role})" for name, bureau, role in spec.responsibilities)
        changes.append(_("responsibility: %(old)s → %(new)s") % {"old": old_text or "—", "new": new_text})
    return changes


def _short(value) -> str:
    text = "、".join(value) if isinstance(value, list) else str(value)
    return text if len(text) <= 30 else text[:30] + "…"


def new_document_fields(*, number: str, title: str = "", issuer: str = "", issued_on=None, printed_on=None,
                        supersedes: PolicyDocument | None = None, text: str | None = None) -> dict:
    fields = {"number": clean_name(number) if number else "", "title": title.strip(), "issuer": issuer.strip(),
              "issued_on": _date(issued_on), "printed_on": _date(printed_on), "supersedes": supersedes}
    if text is not None:
        fields["text"] = text
    return fields


def _date(value):
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
