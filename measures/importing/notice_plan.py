"""The notice reader: a notice (text or Word) → its measures → their clauses → a plan of measures and categories.

``notice.split_notice`` finds the numbered measures and each one's clause; ``clauses.parse_clause`` reads the clause
into bureaus and roles; the ``BureauMatcher`` binds each name to a bureau of the importing programme. A measure is
one category, except where its clause gives each bureau its own part (按职责分别负责: one category per bureau).
``categories_from`` splits measures the way an existing document does (see ``split_like``).

What a notice does not say is guessed and marked as such (``guessed``): the title (the measure's first phrase), the
kinds of units rewarded (``subjects``), the forms of support; the guesses are written for new measures only.

Errors name the place of the measure: ``line 12`` of a text file, ``paragraph 12`` or ``table 1, row 3`` of a Word
document.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from measures.models import IncentiveCategory, PolicyDocument, chinese_numeral

from .clauses import ClauseError, find_clause, parse_clause
from .names import BureauMatcher, clean_name
from .notice import NoticeMeasure, NoticeSource, split_notice
from .plan import INVALID, CataloguePlan, CategorySpec, MeasureSpec, PlanRow, compare
from .reading import RowError
from .subjects import guess_subject_kinds, guess_support_forms

MEASURE_GUESSES = frozenset({"title", "support_forms"})
CATEGORY_GUESSES = frozenset({"name", "subject_kinds", "cap", "description"})


def plan_notice_text(text: str | NoticeSource, *, document: PolicyDocument | None = None, new_document: dict | None = None,
                     create_bureaus: bool = False, categories_from: PolicyDocument | None = None,
                     matcher: BureauMatcher | None = None, programme=None) -> CataloguePlan:
    """Split a notice into measures, one category per measure except 按职责分别负责 (one per bureau).

    ``text`` is the notice's text, or its lines as read from a file (``text.notice_source_from_bytes``).
    ``programme`` is the importing programme (the document's when updating one, the default programme when
    neither is given); ``matcher`` holds the bureaus the notice's names may bind to (the programme's by default); an unknown name is
    listed with suggestions from those bureaus only. ``categories_from`` is the optional category-split spec: a
    document whose measures, by number, give the categories (codes, names, descriptions, kinds of units) to split
    each measure into — the text alone cannot say that 区和医院 are two classes of subject. See ``split_like``."""
    source = text if isinstance(text, NoticeSource) else NoticeSource.from_text(text)
    plan = CataloguePlan(document=document, new_document=new_document, create_bureaus=create_bureaus,
                         programme=programme)
    parsed = split_notice(source)
    for line, message in parsed.errors:
        plan.errors.append(RowError(line, "", message))
    if plan.new_document is not None:
        for key in ("issuer", "issued_on", "printed_on"):
            if not plan.new_document.get(key) and getattr(parsed, key):
                plan.new_document[key] = getattr(parsed, key)
        plan.new_document.setdefault("text", source.text.replace("\r\n", "\n").lstrip("\ufeff").strip())
    if matcher is None:
        # Names bind to the importing programme's bureaus only, never another government's.
        matcher = BureauMatcher.for_programme(plan.programme)
    for item in parsed.measures:
        errors: list[RowError] = []
        spec = measure_spec(item)
        if not item.clause:
            errors.append(RowError(item.line, "", _(
                "%(where)s: measure %(number)s has no responsibility clause. Write it at its end in parentheses, e.g. "
                "（市水务局负责）, or as 牵头单位：…；配合单位：… or 责任单位：….") % {"where": item.where, "number": item.number}))
        else:
            spec.categories = _categories(item, spec, matcher, plan, errors)
        if errors:
            plan.rows.append(PlanRow(row=item.line, key=str(item.number), label=spec.title, status=INVALID, errors=errors))
        else:
            plan.measures.append(spec)
    if categories_from is not None:
        split_like(plan, categories_from)
    compare(plan, by_measure=True)
    return plan


def measure_spec(item: NoticeMeasure) -> MeasureSpec:
    body = _body(item.text)
    return MeasureSpec(number=item.number, numeral=chinese_numeral(item.number), title=derive_title(item.text),
                       clause=item.clause, text=item.text, support_forms=guess_support_forms(body),
                       support_text=support_text(item.text), row=item.line, guessed=MEASURE_GUESSES, where=item.where)


def _categories(item: NoticeMeasure, spec: MeasureSpec, matcher: BureauMatcher, plan: CataloguePlan,
                errors: list[RowError]) -> list[CategorySpec]:
    values = {"where": item.where, "number": item.number, "clause": item.clause}
    try:
        clause = parse_clause(item.clause)
    except ClauseError as error:
        if error.reason == "no_bureau":
            message = _("%(where)s: the clause “%(clause)s” of measure %(number)s names no department") % values
            if error.generic:
                message += _(" (%(generic)s is not a bureau)") % {"generic": "、".join(error.generic)}
            errors.append(RowError(item.line, "", message + _(": name the responsible bureau.")))
        else:
            errors.append(RowError(item.line, "", _("%(where)s: the clause “%(clause)s” of measure %(number)s cannot be "
                                                    "read.") % values))
        return []
    kinds = guess_subject_kinds(_body(item.text))
    split = len(clause.categories) > 1
    categories = []
    for index, category in enumerate(clause.categories, start=1):
        responsibilities = []
        for name, role in category:
            bureau = matcher.match(name)
            if bureau is None:
                plan.unknown_bureaus.setdefault(clean_name(name), matcher.suggestions(name))
                if not plan.create_bureaus:
                    errors.append(RowError(item.line, "", f"{item.where}: {matcher.unknown_message(name)}"))
            responsibilities.append((clean_name(name), bureau, role))
        code = f"{item.number}-{index}" if split else str(item.number)
        name = spec.title
        if split:  # one category per bureau: name it after its bureau
            first_name, first_bureau, _role = responsibilities[0]
            name = f"{spec.title}（{first_bureau.short_name if first_bureau else first_name}）"
        categories.append(CategorySpec(code=code, name=name[:128], order=index, responsibilities=responsibilities,
                                       subject_kinds=kinds, cap=3, description="", row=item.line, guessed=CATEGORY_GUESSES))
    return categories


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


def _body(text: str) -> str:
    """A measure's text without its responsibility clause (and the remark after it)."""
    located = find_clause(text)
    return text[: located.start].strip() if located else text.strip()


def derive_title(text: str) -> str:
    """A short title for a measure read from a notice: its first phrase, without 对/对于 and the clause."""
    body = re.sub(r"^(对于|对(?!标))", "", _body(text))
    first = re.split(r"[，,。；;]", body, maxsplit=1)[0]
    return (first[:40] + "…") if len(first) > 40 else first


def support_text(text: str) -> str:
    return _body(text).rstrip("。")
