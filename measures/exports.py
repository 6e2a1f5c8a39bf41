"""The catalogue as a table (one row per incentive category), and the writers every export uses (.csv, .xlsx)."""

import csv
import io
from collections.abc import Iterator

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from .formulas import safe_cell
from .models import IncentiveCategory, Measure, PolicyDocument, Responsibility, SupportForm

# The columns by their names in the code, and the Chinese headers the files carry (the importer reads both).
CATALOGUE_COLUMNS = [
    "measure_number", "measure_numeral", "measure_title", "category_code", "category_name",
    "lead", "co_responsible", "separately_responsible", "joint", "responsibility_clause", "subject_kinds", "support_forms", "cap",
    "category_kind", "category_support_forms", "category_support_text", "award_amount", "earned_by_higher_award",
]
CATALOGUE_LABELS = {
    "measure_number": "序号", "measure_numeral": "中文序号", "measure_title": "措施名称", "category_code": "类别编号",
    "category_name": "类别名称", "lead": "牵头单位", "co_responsible": "配合单位", "separately_responsible": "按职责分别负责单位",
    "joint": "共同负责单位", "responsibility_clause": "责任条款", "subject_kinds": "激励对象类型", "support_forms": "支持方式",
    "cap": "名额上限", "category_kind": "类别性质", "category_support_forms": "类别支持方式",
    "category_support_text": "类别支持内容", "award_amount": "激励金额（元）", "earned_by_higher_award": "由上级激励产生",
}
# A category's kind as the files write it (the importer reads these words and the codes alike).
CATEGORY_KIND_WORDS = {"selection": "评选", "entitlement": "按条件享受"}
CATALOGUE_HEADER = [CATALOGUE_LABELS[column] for column in CATALOGUE_COLUMNS]


def support_form_labels(codes) -> str:
    """The forms of support in the language of the person exporting (Chinese by default), never their codes; the
    catalogue import reads either language back."""
    return "、".join(str(SupportForm(code).label) if code in SupportForm.values else code for code in codes)


def catalogue_rows(document: PolicyDocument) -> Iterator[list[str]]:
    """Yield the Chinese header, then one row per category in measure order (three queries in all)."""
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
                support_form_labels(measure.support_forms),
                str(category.cap),
                CATEGORY_KIND_WORDS[category.kind],
                support_form_labels(category.support_forms),
                category.support_text,
                "" if category.award_amount is None else str(category.award_amount),
                "是" if category.earned_by_higher_award else "否",
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
