"""The catalogue as a table: one row per incentive category."""

from collections.abc import Iterator

from django.db.models import Prefetch

from .models import IncentiveCategory, Measure, PolicyDocument, Responsibility

CATALOGUE_HEADER = [
    "measure_number", "measure_numeral", "measure_title", "category_code", "category_name",
    "lead", "co_responsible", "separately_responsible", "joint", "responsibility_clause", "subject_kinds", "support_forms", "cap",
]


def catalogue_rows(document: PolicyDocument) -> Iterator[list[str]]:
    """Yield the header, then one row per category in measure order (three queries in all)."""
    yield list(CATALOGUE_HEADER)
    measures = (
        Measure.objects.filter(document=document)
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=IncentiveCategory.objects.order_by("order").prefetch_related(
                    Prefetch("responsibilities", queryset=Responsibility.objects.select_related("bureau").order_by("order")),
                    "subject_kinds",
                ),
            )
        )
    )
    for measure in measures:
        for category in measure.categories.all():
            by_role: dict[str, list[str]] = {role: [] for role in Responsibility.Role.values}
            for responsibility in category.responsibilities.all():
                by_role[responsibility.role].append(responsibility.bureau.short_name)
            yield [
                str(measure.number), measure.numeral, measure.title, category.code, category.name,
                "、".join(by_role["lead"]), "、".join(by_role["co"]), "、".join(by_role["separate"]), "、".join(by_role["joint"]),
                measure.responsibility_clause,
                "、".join(kind.name for kind in category.subject_kinds.all()),
                "、".join(measure.support_forms),
                str(category.cap),
            ]


def safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
