"""The spreadsheet reader: a catalogue spreadsheet (one row per incentive category, the columns of
``measures.exports.CATALOGUE_HEADER``, or the Chinese headers an administrator may write instead) into a plan.

The file is opened by ``reading.read_table`` (size, zip bomb, password, formulas, merged headers, row limit);
each row is checked here (numbers, codes, bureaus and roles, kinds, forms of support, cap) and the plan is compared
with the target document by ``plan.compare``.
"""

from __future__ import annotations

import decimal
import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from incentives import params
from measures.exports import CATALOGUE_LABELS, CATEGORY_KIND_WORDS
from measures.models import CategoryKind, PolicyDocument, SupportForm, chinese_numeral
from organisation.models import Bureau, UnitKind

from .clauses import CO, JOINT, LEAD, SEPARATE, ClauseError, parse_clause
from .names import BureauMatcher, clean_name
from .notice import numeral_value
from .plan import INVALID, CataloguePlan, CategorySpec, MeasureSpec, PlanRow, compare
from .reading import ImportFileError, RowError, Table, normalise_header, read_table

KIND_BY_WORD = {word: code for code, word in CATEGORY_KIND_WORDS.items()}
ROLE_COLUMNS = {LEAD: "lead", CO: "co_responsible", SEPARATE: "separately_responsible", JOINT: "joint"}
REQUIRED_COLUMNS = ["measure_number"]
OPTIONAL_COLUMNS = ["category_code", "measure_numeral", "measure_title", "category_name", "lead", "co_responsible",
                    "separately_responsible", "joint", "responsibility_clause", "subject_kinds", "support_forms", "cap",
                    "measure_text", "support_text", "category_description", "category_kind",
                    "category_support_forms", "category_support_text", "award_amount", "earned_by_higher_award"]
# Headers an administrator may write instead of ours.
COLUMN_ALIASES = {
    "number": "measure_number", "措施编号": "measure_number", "序号": "measure_number", "measure": "measure_number",
    "numeral": "measure_numeral", "title": "measure_title", "措施名称": "measure_title", "code": "category_code",
    "类别编号": "category_code", "category": "category_name", "类别名称": "category_name", "牵头单位": "lead",
    "co": "co_responsible", "配合单位": "co_responsible", "responsibility": "responsibility_clause",
    "责任单位": "responsibility_clause", "text": "measure_text", "措施内容": "measure_text",
}
# Our own exports' Chinese headers (measures.exports.CATALOGUE_LABELS), and the English names still accepted.
COLUMN_ALIASES.update({normalise_header(label): column for column, label in CATALOGUE_LABELS.items()})


def support_form_code(name: str) -> str | None:
    """A form of support by its code, its Chinese name or its English name; None if none matches."""
    if name in SupportForm.values:
        return name
    for code, label in SupportForm.choices:
        with translation.override("zh-hans"):
            chinese = str(label)
        with translation.override("en"):
            english = str(label)
        if name in (chinese, english):
            return code
    return None



def max_measure_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_MEASURE_ROWS", 5_000))


def plan_catalogue_file(data: bytes, *, filename: str = "", document: PolicyDocument | None = None,
                        new_document: dict | None = None, create_bureaus: bool = False,
                        byte_limit: int | None = None, matcher: BureauMatcher | None = None,
                        programme=None) -> CataloguePlan:
    """Read a catalogue spreadsheet (one row per category, ``measures.exports.CATALOGUE_HEADER``) and compare it
    with ``document`` (or with nothing when a new document is to be created). ``matcher`` holds the bureaus the
    names may bind to (the importing programme's bureaus by default: ``programme``, or the document's)."""
    plan = CataloguePlan(document=document, new_document=new_document, create_bureaus=create_bureaus,
                         programme=programme)
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
    _measures_from_table(table, plan, matcher if matcher is not None else BureauMatcher.for_programme(plan.programme))
    compare(plan)
    return plan


def _measures_from_table(table: Table, plan: CataloguePlan, matcher: BureauMatcher) -> None:
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
                form_code = support_form_code(code_name)
                if form_code is None:
                    errors.append(RowError(number, "support_forms", _("Unknown form of support “%(name)s”. Known: "
                                                                      "%(known)s.") % {"name": code_name, "known": "、".join(
                                                                          str(label) for label in SupportForm.labels)}))
                else:
                    support_forms.append(form_code)
        category_kind = None
        if row.get("category_kind", ""):
            category_kind = row["category_kind"].strip().lower()
            category_kind = KIND_BY_WORD.get(category_kind, category_kind)
            if category_kind not in CategoryKind.values:
                errors.append(RowError(number, "category_kind", _("“%(value)s” is not a kind of category: write %(known)s.")
                                       % {"value": row["category_kind"], "known": "、".join(CategoryKind.values)}))
        category_forms = None
        if "category_support_forms" in table.header:
            category_forms = []
            for code_name in _split(row.get("category_support_forms", "")):
                form_code = support_form_code(code_name)
                if form_code is None:
                    errors.append(RowError(number, "category_support_forms", _("Unknown form of support “%(name)s”. Known: "
                                                                               "%(known)s.") % {"name": code_name, "known": "、".join(
                                                                                   str(label) for label in SupportForm.labels)}))
                else:
                    category_forms.append(form_code)
        award_amount = None
        if row.get("award_amount", ""):
            try:
                award_amount = decimal.Decimal(row["award_amount"].replace(",", ""))
                if not award_amount.is_finite() or award_amount <= 0 or award_amount != award_amount.quantize(decimal.Decimal("0.01")):
                    raise decimal.InvalidOperation
            except decimal.InvalidOperation:
                award_amount = None
                errors.append(RowError(number, "award_amount", _("“%(value)s” is not an amount per award: write a number "
                                                                 "of yuan above zero, e.g. 5000000.") % {"value": row["award_amount"]}))
        higher = None
        if row.get("earned_by_higher_award", ""):
            higher = {"yes": True, "no": False, "是": True, "否": False, "1": True, "0": False}.get(
                row["earned_by_higher_award"].strip().lower())
            if higher is None:
                errors.append(RowError(number, "earned_by_higher_award", _("“%(value)s” is not yes or no.")
                                       % {"value": row["earned_by_higher_award"]}))
        cap = None
        if row.get("cap", ""):
            try:
                cap = int(row["cap"])
                if cap < 1:
                    raise ValueError
            except ValueError:
                errors.append(RowError(number, "cap", _("“%(value)s” is not a cap: write a whole number of at least 1.") % {"value": row["cap"]}))
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
            description=row.get("category_description") if "category_description" in table.header else None, row=number,
            kind=category_kind, support_forms=category_forms,
            support_text=row.get("category_support_text") if "category_support_text" in table.header else None,
            award_amount=award_amount, earned_by_higher_award=higher))
    plan.measures = sorted(measures.values(), key=lambda m: m.number)


def _stored_clause(clause: str) -> str:
    """A clause as the catalogue stores it: without parentheses or surrounding spaces."""
    return clause.strip().strip("()（）").strip()


def _measure_number(raw: str) -> int | None:
    text = clean_name(raw).removeprefix("第").removesuffix("条").rstrip("、.")
    if text.isdigit():  # ASCII digits within 1 … 99, else not a measure number ("²" is a digit to isdigit())
        return params.int_from(text, minimum=1, maximum=99)
    return numeral_value(text) if text else None


def _split(text: str) -> list[str]:
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
            if params.int_from(suffix, minimum=1, maximum=len(categories)) is None:
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
