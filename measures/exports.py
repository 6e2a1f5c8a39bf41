"""The catalogue as a table: one row per incentive category."""

from collections.abc import Iterator

from django.db.models import Prefetch

from .formulas import safe_cell
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


# --- nomination lists and awards of a cycle; files -----------------------------------------------------------

NOMINATION_HEADER = [
    "cycle", "measure_number", "category_code", "category_name", "bureau", "list_state", "nothing_to_propose",
    "rank", "unit", "unit_kind", "district", "achievements", "figures", "decision", "submitted_at",
]
AWARD_HEADER = [
    "cycle", "measure_number", "category_code", "category_name", "slot", "unit", "unit_kind", "district",
    "bureau", "awarded_at", "cap_exception",
]


def _local(value) -> str:
    if value is None:
        return ""
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def nomination_rows(cycle) -> Iterator[list[str]]:
    """The header, then one row per nominee of every list of the cycle (a list without nominees gives one row).
    Two queries whatever the number of lists."""
    from nominations.models import NominationList, Nominee

    yield list(NOMINATION_HEADER)
    lists = (
        NominationList.objects.filter(cycle=cycle)
        .select_related("category__measure", "bureau")
        .prefetch_related(Prefetch("nominees", queryset=Nominee.objects.select_related("unit__kind", "unit__parent", "decision").order_by("rank")))
        .order_by("category__measure__number", "category__order")
    )
    for nomination_list in lists:
        category = nomination_list.category
        head = [str(cycle.year), str(category.measure.number), category.code, category.name, nomination_list.bureau.short_name,
                nomination_list.state, "yes" if nomination_list.nothing_to_propose else "no"]
        nominees = list(nomination_list.nominees.all())
        if not nominees:
            yield head + ["", "", "", "", "", "", "", _local(nomination_list.submitted_at)]
        for nominee in nominees:
            decision = getattr(nominee, "decision", None)
            verdict = "" if decision is None else ("approved" if decision.approved else "rejected")
            yield head + [str(nominee.rank), nominee.unit.name, nominee.unit.kind.name,
                          nominee.unit.parent.name if nominee.unit.parent_id else "", nominee.achievements, nominee.figures,
                          verdict, _local(nomination_list.submitted_at)]


def award_rows(cycle) -> Iterator[list[str]]:
    """The header, then one row per award of the cycle in measure and slot order (one query)."""
    from reviews.models import Award

    yield list(AWARD_HEADER)
    awards = (
        Award.objects.filter(cycle=cycle)
        .select_related("category__measure", "unit__kind", "unit__parent", "nominee__nomination_list__bureau")
        .order_by("category__measure__number", "category__order", "slot")
    )
    for award in awards:
        category = award.category
        yield [str(cycle.year), str(category.measure.number), category.code, category.name, str(award.slot), award.unit.name,
               award.unit.kind.name, award.unit.parent.name if award.unit.parent_id else "",
               award.nominee.nomination_list.bureau.short_name, _local(award.awarded_at),
               "yes" if getattr(award, "cap_exception_id", None) else "no"]


EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def write_csv(rows, handle) -> None:
    """Text handle; every cell neutralised against formula injection."""
    import csv

    writer = csv.writer(handle)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


def write_xlsx(rows, handle, *, title: str = "export") -> None:
    """Binary handle; a write-only workbook (streamed, constant memory); every text cell neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    workbook.save(handle)


def export_response(rows, *, file_format: str, filename: str):
    """An HttpResponse with the rows as .csv (UTF-8 with BOM, so Excel reads Chinese) or .xlsx."""
    import io

    from django.http import HttpResponse

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
