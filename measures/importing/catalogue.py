"""Plan and apply an import of measures: from a catalogue spreadsheet or from a notice's text.

Both sources are read into the same ``MeasureSpec`` list; ``compare`` sets every row's status against the target
document (new, changed, unchanged, invalid); ``catalogue_import`` writes a valid plan in one transaction. Nothing
is deleted: a category or measure of the document that the file does not mention is left as it is (it may
already carry nomination lists and awards).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from incentives.models import Bureau, UnitKind
from measures.models import (
    IncentiveCategory,
    Measure,
    PolicyDocument,
    Responsibility,
    SupportForm,
    chinese_numeral,
)

from .clauses import CO, JOINT, LEAD, SEPARATE, ClauseError, parse_clause
from .lengths import length_errors
from .names import BureauMatcher, clean_name
from .notice import numeral_value, split_notice
from .reading import ImportFileError, RowError, Table, read_table

NEW, CHANGED, UNCHANGED, INVALID = "new", "changed", "unchanged", "invalid"
ROLE_COLUMNS = {LEAD: "lead", CO: "co_responsible", SEPARATE: "separately_responsible", JOINT: "joint"}
REQUIRED_COLUMNS = ["measure_number"]
OPTIONAL_COLUMNS = ["category_code", "measure_numeral", "measure_title", "category_name", "lead", "co_responsible",
                    "separately_responsible", "joint", "responsibility_clause", "subject_kinds", "support_forms", "cap",
                    "measure_text", "support_text", "category_description"]
# Headers an administrator may write instead of ours.
COLUMN_ALIASES = {
    "number": "measure_number", "措施编号": "measure_number", "序号": "measure_number", "measure": "measure_number",
    "numeral": "measure_numeral", "title": "measure_title", "措施名称": "measure_title", "code": "category_code",
    "类别编号": "category_code", "category": "category_name", "类别名称": "category_name", "牵头单位": "lead",
    "co": "co_responsible", "配合单位": "co_responsible", "responsibility": "responsibility_clause",
    "责任单位": "responsibility_clause", "text": "measure_text", "措施内容": "measure_text",
}


def max_measure_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_MEASURE_ROWS", 5_000))


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


@dataclass
class PlanRow:
    row: int
    key: str
    label: str
    status: str
    changes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bureaus: str = ""


@dataclass
class CataloguePlan:
    document: PolicyDocument | None
    new_document: dict | None = None
    measures: list[MeasureSpec] = field(default_factory=list)
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_bureaus: dict[str, list[str]] = field(default_factory=dict)  # name → closest known names
    create_bureaus: bool = False

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


# --- reading a catalogue spreadsheet -------------------------------------------------------------------------


def plan_catalogue_file(data: bytes, *, filename: str = "", document: PolicyDocument | None = None,
                        new_document: dict | None = None, create_bureaus: bool = False,
                        byte_limit: int | None = None) -> CataloguePlan:
    """Read a catalogue spreadsheet (one row per category, ``measures.exports.CATALOGUE_HEADER``) and compare it
    with ``document`` (or with nothing when a new document is to be created)."""
    plan = CataloguePlan(document=document, new_document=new_document, create_bureaus=create_bureaus)
    try:
        table = read_table(data, filename=filename, max_rows=max_measure_rows(), required=REQUIRED_COLUMNS,
                           aliases=COLUMN_ALIASES, byte_limit=byte_limit)
    except ImportFileError as error:
        plan.errors.append(RowError(0, "", error.message))
        return plan
    if not any(c in table.header for c in ("lead", "joint", "separately_responsible", "responsibility_clause")):
        plan.errors.append(RowError(1, "", _("The file says nobody is responsible: it needs the columns lead, "
                                             "co_responsible, separately_responsible and joint, or responsibility_clause.")))
        return plan
    _measures_from_table(table, plan)
    compare(plan)
    return plan


def _measures_from_table(table: Table, plan: CataloguePlan) -> None:
    matcher = BureauMatcher()
    kinds = _kind_lookup()
    measures: dict[int, MeasureSpec] = {}
    codes_seen: dict[str, int] = {}
    for number, row in table.rows:
        errors: list[RowError] = []
        raw_number = row.get("measure_number", "")
        measure_number = _measure_number(raw_number)
        if measure_number is None:
            errors.append(RowError(number, "measure_number", _("“%(value)s” is not a measure number (a whole number "
                                                                "from 1 to 99, or a numeral such as 十九).") % {"value": raw_number}))
        code = clean_name(row.get("category_code", "")) or (str(measure_number) if measure_number else "")
        if code in codes_seen and "category_code" not in table.header:
            errors.append(RowError(number, "measure_number", _("Measure %(code)s appears twice (rows %(first)s and "
                                                               "%(second)s): give each row its category_code.") % {
                "code": code, "first": codes_seen[code], "second": number}))
        elif code in codes_seen:
            errors.append(RowError(number, "category_code", _("Category %(code)s appears twice (rows %(first)s and "
                                                              "%(second)s).") % {"code": code, "first": codes_seen[code], "second": number}))
        elif code:
            codes_seen[code] = number
        if measure_number and code and code.split("-")[0] != str(measure_number):
            errors.append(RowError(number, "category_code", _("Category code %(code)s does not belong to measure "
                                                              "%(number)s.") % {"code": code, "number": measure_number}))
        numeral = row.get("measure_numeral", "")
        if measure_number and numeral and numeral_value(numeral) != measure_number:
            errors.append(RowError(number, "measure_numeral", _("The numeral %(numeral)s does not match measure number "
                                                                "%(number)s.") % {"numeral": numeral, "number": measure_number}))
        clause = row.get("responsibility_clause", "")
        responsibilities = _row_responsibilities(number, row, clause, matcher, plan, errors)
        subject_kinds = None
        if "subject_kinds" in table.header:
            subject_kinds = []
            for name in _split(row.get("subject_kinds", "")):
                kind = kinds.get(clean_name(name).lower())
                if kind is None:
                    errors.append(RowError(number, "subject_kinds", _("Unknown kind of unit “%(name)s”. Known kinds: "
                                                                      "%(known)s.") % {"name": name, "known": "、".join(sorted(set(kinds.values())))}))
                elif kind not in subject_kinds:
                    subject_kinds.append(kind)
        support_forms = None
        if "support_forms" in table.header:
            support_forms = []
            for code_name in _split(row.get("support_forms", "")):
                if code_name not in SupportForm.values:
                    errors.append(RowError(number, "support_forms", _("Unknown form of support “%(name)s”. Known: "
                                                                      "%(known)s.") % {"name": code_name, "known": "、".join(SupportForm.values)}))
                else:
                    support_forms.append(code_name)
        cap = None
        if row.get("cap", ""):
            try:
                cap = int(row["cap"])
                if not 1 <= cap <= 32767:  # a PositiveSmallIntegerField
                    raise ValueError
            except ValueError:
                errors.append(RowError(number, "cap", _("“%(value)s” is not a cap: write a whole number of at least 1.") % {"value": row["cap"]}))
        errors += length_errors(number, [
            ("category_code", code, IncentiveCategory, "code"),
            ("category_name", row.get("category_name", "") or row.get("measure_title", ""), IncentiveCategory, "name"),
            ("measure_title", row.get("measure_title", ""), Measure, "title"),
            ("responsibility_clause", _stored_clause(clause), Measure, "responsibility_clause"),
        ])
        if errors or measure_number is None:
            plan.rows.append(PlanRow(row=number, key=code or raw_number, label=row.get("category_name", "") or row.get("measure_title", ""),
                                     status=INVALID, errors=errors))
            continue
        title = row.get("measure_title", "")
        spec = measures.get(measure_number)
        if spec is None:
            spec = measures[measure_number] = MeasureSpec(
                number=measure_number, numeral=chinese_numeral(measure_number), title=title, clause=_stored_clause(clause),
                text=row.get("measure_text") or None, support_forms=support_forms,
                support_text=row.get("support_text") or None, row=number)
        else:
            for column, mine, theirs in (("measure_title", title, spec.title), ("responsibility_clause", _stored_clause(clause), spec.clause)):
                if mine and theirs and mine != theirs:
                    errors.append(RowError(number, column, _("Measure %(number)s has a different %(column)s on row "
                                                             "%(row)s.") % {"number": measure_number, "column": column, "row": spec.row}))
            if errors:
                plan.rows.append(PlanRow(row=number, key=code, label=row.get("category_name", ""), status=INVALID, errors=errors))
                continue
        spec.categories.append(CategorySpec(
            code=code, name=row.get("category_name", "") or title, order=len(spec.categories) + 1,
            responsibilities=responsibilities, subject_kinds=subject_kinds, cap=cap,
            description=row.get("category_description") if "category_description" in table.header else None, row=number))
    plan.measures = sorted(measures.values(), key=lambda m: m.number)


def _stored_clause(clause: str) -> str:
    """A clause as the catalogue stores it: without parentheses or surrounding spaces."""
    return clause.strip().strip("()（）").strip()


def _measure_number(raw: str) -> int | None:
    text = clean_name(raw).removeprefix("第").removesuffix("条").rstrip("、.")
    if text.isdigit():
        value = int(text)
        return value if 1 <= value <= 99 else None
    return numeral_value(text) if text else None


def _split(text: str) -> list[str]:
    import re

    return [part.strip() for part in re.split(r"[、,，;；/]", text or "") if part.strip()]


def _kind_lookup() -> dict[str, str]:
    lookup = {}
    for code, name in UnitKind.objects.values_list("code", "name"):
        lookup[code.lower()] = code
        lookup[clean_name(name).lower()] = code
    return lookup


def _row_responsibilities(number: int, row: dict, clause: str, matcher: BureauMatcher, plan: CataloguePlan,
                          errors: list[RowError]) -> list[tuple[str, Bureau | None, str]]:
    """Separate role columns win; a clause alone is parsed (only a single-category clause makes sense on a row)."""
    written: list[tuple[str, str, str]] = []  # (name, role, column)
    for role, column in ROLE_COLUMNS.items():
        for name in _split(row.get(column, "")):
            written.append((name, role, column))
    if not written and clause:
        try:
            parsed = parse_clause(clause)
        except ClauseError:
            errors.append(RowError(number, "responsibility_clause", _("The clause “%(clause)s” cannot be read: write it "
                                                                      "as the notice does (…负责) or fill the lead column.") % {"clause": clause}))
            return []
        categories = parsed.categories
        if len(categories) > 1:
            # 按职责分别负责 on a row: the row is one of the categories, the Nth by its code's suffix (19-2).
            suffix = row.get("category_code", "").rpartition("-")[2]
            if not suffix.isdigit() or not 1 <= int(suffix) <= len(categories):
                errors.append(RowError(number, "separately_responsible", _(
                    "The clause gives each bureau its own category: name this row's bureau in separately_responsible, "
                    "or number the category codes in the clause's order (%(code)s-1, %(code)s-2 …).") % {
                    "code": row.get("measure_number", "")}))
                return []
            categories = [categories[int(suffix) - 1]]
        for category in categories:
            written.extend((name, role, "responsibility_clause") for name, role in category)
    if not written:
        errors.append(RowError(number, "lead", _("Nobody is responsible for this category: fill lead, "
                                                 "separately_responsible or joint.")))
        return []
    result, seen = [], set()
    for name, role, column in written:
        bureau = matcher.match(name)
        if bureau is None:
            if plan.create_bureaus:
                key = clean_name(name)
                too_long = _new_bureau_name_errors(number, column, key)
                if too_long:
                    errors.extend(too_long)
                    continue
                plan.unknown_bureaus.setdefault(key, matcher.suggestions(name))
            else:
                plan.unknown_bureaus.setdefault(clean_name(name), matcher.suggestions(name))
                errors.append(RowError(number, column, matcher.unknown_message(name)))
                continue
        identity = bureau.pk if bureau else clean_name(name)
        if identity in seen:
            errors.append(RowError(number, column, _("%(name)s is named twice for this category.") % {"name": name}))
            continue
        seen.add(identity)
        result.append((clean_name(name), bureau, role))
    owners = [r for r in result if r[2] in (LEAD, SEPARATE)]
    if len(owners) > 1:
        errors.append(RowError(number, "lead", _("A category has one lead or separately responsible bureau; several "
                                                 "owners are joint (column joint).")))
    if result and not any(r[2] in (LEAD, SEPARATE, JOINT) for r in result):
        errors.append(RowError(number, "lead", _("Co-responsible bureaus need a lead.")))
    return result


def _new_bureau_name_errors(row: int, column: str, name: str) -> list[RowError]:
    """A bureau the import creates takes the name as written for both its short and its full name."""
    return length_errors(row, [(column, name, Bureau, "short_name")]) or length_errors(row, [(column, name, Bureau, "full_name")])


# --- reading a notice ----------------------------------------------------------------------------------------


def plan_notice_text(text: str, *, document: PolicyDocument | None = None, new_document: dict | None = None,
                     create_bureaus: bool = False, categories_from: PolicyDocument | None = None) -> CataloguePlan:
    """Split a notice into measures, one category per measure except 按职责分别负责 (one per bureau).

    ``categories_from`` is the optional category-split spec: a document whose measures, by number, give the
    categories (codes, names, descriptions, kinds of units) to split each measure into — the text alone cannot
    say that 区和医院 are two classes of subject. See ``split_like``."""
    plan = CataloguePlan(document=document, new_document=new_document, create_bureaus=create_bureaus)
    parsed = split_notice(text)
    for line, message in parsed.errors:
        plan.errors.append(RowError(line, "", message))
    if plan.new_document is not None:
        for key in ("issuer", "issued_on", "printed_on"):
            if not plan.new_document.get(key) and getattr(parsed, key):
                plan.new_document[key] = getattr(parsed, key)
        plan.new_document.setdefault("text", text.replace("\r\n", "\n").lstrip("\ufeff").strip())
    matcher = BureauMatcher()
    for item in parsed.measures:
        errors: list[RowError] = []
        title = derive_title(item.text)
        spec = MeasureSpec(number=item.number, numeral=chinese_numeral(item.number), title=title, clause=item.clause,
                           text=item.text, support_forms=guess_support_forms(item.text),
                           support_text=support_text(item.text), row=item.line)
        kinds = guess_subject_kinds(item.text)
        if not item.clause:
            errors.append(RowError(item.line, "", _("Measure %(number)s does not end with its responsibility clause "
                                                    "in parentheses, e.g. （市水务局负责）.") % {"number": item.number}))
        else:
            try:
                clause = parse_clause(item.clause)
            except ClauseError:
                clause = None
                errors.append(RowError(item.line, "", _("The clause “%(clause)s” of measure %(number)s cannot be read.") % {
                    "clause": item.clause, "number": item.number}))
            errors += length_errors(item.line, [("", item.clause, Measure, "responsibility_clause")])
            if clause is not None:
                split = len(clause.categories) > 1
                for index, category in enumerate(clause.categories, start=1):
                    responsibilities = []
                    for name, role in category:
                        bureau = matcher.match(name)
                        if bureau is None:
                            plan.unknown_bureaus.setdefault(clean_name(name), matcher.suggestions(name))
                            if not create_bureaus:
                                errors.append(RowError(item.line, "", matcher.unknown_message(name)))
                            else:
                                errors.extend(_new_bureau_name_errors(item.line, "", clean_name(name)))
                        responsibilities.append((clean_name(name), bureau, role))
                    code = f"{item.number}-{index}" if split else str(item.number)
                    name = title
                    if split:  # one category per bureau: name it after its bureau
                        first_name, first_bureau, _role = responsibilities[0]
                        name = f"{title}（{first_bureau.short_name if first_bureau else first_name}）"
                    errors += length_errors(item.line, [("", name, IncentiveCategory, "name")])
                    spec.categories.append(CategorySpec(code=code, name=name, order=index, responsibilities=responsibilities,
                                                        subject_kinds=kinds, cap=3, description="", row=item.line))
        if errors:
            plan.rows.append(PlanRow(row=item.line, key=str(item.number), label=title, status=INVALID, errors=errors))
        else:
            plan.measures.append(spec)
    if categories_from is not None:
        split_like(plan, categories_from)
    compare(plan, by_measure=True)
    return plan


def split_like(plan: CataloguePlan, reference: PolicyDocument) -> None:
    """Give each measure the categories of the reference document's measure of the same number, each carrying
    the responsibilities the clause gives: all of them for a lead or joint clause (the fixture repeats them in
    every category of 16, 25, 26, 30, 32), the Nth bureau for the Nth category of a 按职责分别负责 clause (19).
    A measure the reference lacks, or whose categories cannot be matched that way, keeps the text's reading."""
    categories: dict[int, list[IncentiveCategory]] = {}
    for category in (IncentiveCategory.objects.filter(measure__document=reference).select_related("measure")
                     .prefetch_related("subject_kinds").order_by("measure__number", "order")):
        categories.setdefault(category.measure.number, []).append(category)
    for spec in plan.measures:
        model = categories.get(spec.number)
        if not model or not spec.categories:
            continue
        separate = len(spec.categories) > 1
        if separate and len(model) != len(spec.categories):
            continue
        split = []
        for index, category in enumerate(model):
            source = spec.categories[index] if separate else spec.categories[0]
            split.append(CategorySpec(code=category.code, name=category.name, order=index + 1,
                                      responsibilities=list(source.responsibilities),
                                      subject_kinds=[k.code for k in category.subject_kinds.all()], cap=category.cap,
                                      description=category.description, row=source.row))
        spec.categories = split


def derive_title(text: str) -> str:
    """A short title for a measure read from a notice: its first phrase, without 对/对于 and the clause."""
    import re

    body = re.sub(r"[(（][^()（）]*负责[)）]。?$", "", text).strip()
    body = re.sub(r"^(对于|对(?!标))", "", body)
    first = re.split(r"[，,。；;]", body, maxsplit=1)[0]
    return (first[:40] + "…") if len(first) > 40 else first


def support_text(text: str) -> str:
    import re

    return re.sub(r"[(（][^()（）]*负责[)）]\s*$", "", text).strip().rstrip("。")


SUBJECT_KEYWORDS = [
    ("区(街、镇)", [UnitKind.DISTRICT, UnitKind.STREET]), ("区(政府派出机构)", [UnitKind.DISTRICT, UnitKind.DISPATCHED_AGENCY]),
    ("的区", [UnitKind.DISTRICT]), ("医院", [UnitKind.HOSPITAL]), ("医保协议银行", [UnitKind.INSURANCE_BANK]),
    ("定点医疗机构", [UnitKind.MEDICAL_INSTITUTION]), ("律师事务所", [UnitKind.LEGAL_SERVICE]),
    ("市属国有企业", [UnitKind.STATE_ENTERPRISE]), ("和企业", [UnitKind.ENTERPRISE]), ("创新平台", [UnitKind.INNOVATION_PLATFORM]),
    ("市牵头部门", [UnitKind.MUNICIPAL_DEPARTMENT]),
]
SUPPORT_KEYWORDS = [("通报表扬", SupportForm.COMMENDATION), ("配套资金", SupportForm.MATCHING_FUNDS),
                    ("建设用地指标", SupportForm.LAND_QUOTA), ("加分", SupportForm.BONUS_POINTS),
                    ("资金", SupportForm.FUNDING), ("倾斜", SupportForm.FUNDING), ("试点", SupportForm.PILOT_PRIORITY),
                    ("优先推荐", SupportForm.PILOT_PRIORITY)]


def guess_subject_kinds(text: str) -> list[str]:
    """Kinds of units rewarded, guessed from the words of the measure (an administrator corrects them later)."""
    import unicodedata

    normalised = unicodedata.normalize("NFKC", text).replace(",", "、")
    kinds: list[str] = []
    for word, codes in SUBJECT_KEYWORDS:
        if word in normalised:
            kinds.extend(code for code in codes if code not in kinds)
    known = set(UnitKind.objects.values_list("code", flat=True))
    kinds = [k for k in kinds if k in known]
    return kinds or ([UnitKind.DISTRICT] if UnitKind.DISTRICT in known else [])


def guess_support_forms(text: str) -> list[str]:
    forms: list[str] = []
    for word, form in SUPPORT_KEYWORDS:
        if word in text and form.value not in forms:
            forms.append(form.value)
    return forms


# --- comparing with the database -----------------------------------------------------------------------------


def compare(plan: CataloguePlan, *, by_measure: bool = False) -> None:
    """Give every valid row its status against the target document. Three queries whatever the size."""
    existing_measures: dict[int, Measure] = {}
    existing_categories: dict[tuple[int, str], IncentiveCategory] = {}
    if plan.document is not None:
        for measure in Measure.objects.filter(document=plan.document):
            existing_measures[measure.number] = measure
        categories = (IncentiveCategory.objects.filter(measure__document=plan.document).select_related("measure")
                      .prefetch_related("subject_kinds", "responsibilities__bureau"))
        for category in categories:
            existing_categories[(category.measure.number, category.code)] = category
    elif plan.new_document is not None and PolicyDocument.objects.filter(number=plan.new_document.get("number", "")).exists():
        plan.errors.append(RowError(0, "", _("A policy document numbered %(number)s already exists: choose it to update "
                                             "its measures, or give the new document another number.") % {"number": plan.new_document["number"]}))
    for spec in plan.measures:
        measure = existing_measures.get(spec.number)
        measure_changes = _measure_changes(spec, measure)
        if by_measure:
            changes = list(measure_changes)
            for category in spec.categories:
                changes += [f"{category.code}: {c}" for c in _category_changes(category, existing_categories.get((spec.number, category.code)))]
            status = NEW if measure is None else (CHANGED if changes else UNCHANGED)
            plan.rows.append(PlanRow(row=spec.row, key=str(spec.number), label=spec.title, status=status, changes=changes,
                                     bureaus=_bureaus_display(spec.categories)))
            continue
        for index, category in enumerate(spec.categories):
            existing = existing_categories.get((spec.number, category.code))
            changes = _category_changes(category, existing)
            if index == 0:
                changes = measure_changes + changes
            status = NEW if existing is None else (CHANGED if changes else UNCHANGED)
            plan.rows.append(PlanRow(row=category.row, key=category.code, label=category.name, status=status,
                                     changes=changes, bureaus=_bureaus_display([category])))
    plan.rows.sort(key=lambda r: r.row)


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
            changes.append(_("%(field)s: “%(old)s” → “%(new)s”") % {"field": attribute, "old": _short(getattr(measure, attribute)), "new": _short(value)})
    return changes


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
