"""The catalogue as a table (one row per incentive category), and the writers every export uses (.csv, .xlsx)."""

import csv
import io
from collections.abc import Iterator

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from .formulas import safe_cell
from .models import IncentiveCategory, Measure, PolicyDocument, Responsibility

CATALOGUE_HEADER = [
    "measure_number", "measure_numeral", "measure_title", "category_code", "category_name",
    "lead", "co_responsible", "separately_responsible", "joint", "responsibility_clause", "subject_kinds", "support_forms", "cap",
    "category_kind", "category_support_forms", "category_support_text", "award_amount", "earned_by_higher_award",
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
                category.kind,
                "、".join(category.support_forms),
                category.support_text,
                "" if category.award_amount is None else str(category.award_amount),
                "yes" if category.earned_by_higher_award else "no",
            ]


def local_time(value) -> str:
    """A stored instant as the export writes it (Beijing time)."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


# --- files ---------------------------------------------------------------------------------------------------

EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def write_csv(rows, handle) -> None:
    """Text handle; every cell neutralised against formula injection."""
    writer = csv.writer(handle)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


def write_xlsx(rows, handle, *, title: str = "export") -> None:
    """Binary handle; a write-only workbook (streamed, constant memory); every text cell neutralised."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    workbook.save(handle)


def export_response(rows, *, file_format: str, filename: str):
    """An HttpResponse with the rows as .csv (UTF-8 with BOM, so Excel reads Chinese) or .xlsx."""
    if file_format not in EXPORT_FORMATS:
        raise ValueError(file_format)
    response = HttpResponse(content_type=EXPORT_FORMATS[file_format])
    if file_format == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        write_csv(rows, buffer)
        response.write(buffer.getvalue().encode("utf-8"))
    else:
        buffer = io.BytesIO()
        write_xlsx(rows, buffer, title=filename.rsplit(".", 1)[0])
        response.write(buffer.getvalue())
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
