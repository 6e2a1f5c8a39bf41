"""Bad input: every kind gives a clear message, nothing is written, memory stays bounded."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from measures.importing.reading import ImportFileError, read_table, read_upload
from measures.importing.spreadsheet import plan_catalogue_file
from measures.models import Measure

from .notice_data import catalogue_state

pytestmark = pytest.mark.django_db

HEADER = "measure_number,category_code,category_name,lead,responsibility_clause\n"


def xlsx(rows, *, merge=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_errors(data, filename="upload.xlsx"):
    plan = plan_catalogue_file(data, filename=filename, document=Measure.objects.first().document)
    assert not plan.is_valid
    return [str(e.message) for e in plan.all_errors]


def test_not_a_spreadsheet():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    assert "not a spreadsheet" in file_errors(png, "picture.csv")[0]


def test_text_named_like_a_workbook_is_damaged():
    assert "not one" in file_errors(b"measure_number,category_code\n1,1\n", "catalogue.xlsx")[0]


def test_corrupt_workbook():
    assert "damaged" in file_errors(b"PK\x03\x04" + b"garbage" * 100)[0]


def test_password_protected_workbook_is_an_ole2_file():
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert "password-protected" in file_errors(encrypted)[0]


def test_empty_sheet_and_empty_file():
    assert "empty" in file_errors(xlsx([]))[0]
    assert "empty" in file_errors(b"", "empty.csv")[0]
    assert "no data rows" in file_errors(HEADER.encode(), "header-only.csv")[0]


def test_missing_or_renamed_required_columns():
    message = file_errors("measure_no,category_code,lead\n6,6,市水务局\n".encode(), "renamed.csv")[0]
    assert "measure_number" in message and "measure_no" in message


def test_merged_header_cells():
    data = xlsx([["measure_number", None, "lead"], [6, "6", "市水务局"]], merge="A1:B1")
    assert "A1:B1" in file_errors(data)[0]


def test_merged_header_cells_are_those_of_the_first_worksheet():
    """The merged ranges are found through the package's own parts (no private attribute of openpyxl): those of
    the first worksheet, the one the rows are read from, wherever the relationship points to it."""
    from measures.importing.reading import first_worksheet_part

    workbook = Workbook()
    workbook.active.merge_cells("C3:D3")  # the second sheet's merge is not the header's
    sheet = workbook.create_sheet("catalogue", 0)
    for row in ([["measure_number", None, "lead"], [6, "6", "市水务局"]]):
        sheet.append(row)
    sheet.merge_cells("A1:B1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert first_worksheet_part(archive) == "xl/worksheets/sheet1.xml"
    assert "A1:B1" in file_errors(data)[0]
    # openpyxl writes the target as an absolute path inside the package; Excel writes it relative to xl/.
    rels = archive.read("xl/_rels/workbook.xml.rels").decode().replace('Target="/xl/worksheets/', 'Target="worksheets/')
    assert 'Target="worksheets/sheet1.xml"' in rels
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w") as target:
        for member in archive.infolist():
            target.writestr(member.filename, rels if member.filename == "xl/_rels/workbook.xml.rels" else archive.read(member))
    assert first_worksheet_part(zipfile.ZipFile(io.BytesIO(rewritten.getvalue()))) == "xl/worksheets/sheet1.xml"


def test_formulas_are_refused_with_their_cell():
    data = xlsx([["measure_number", "category_code", "lead"], [6, "=1+5", "市水务局"]])
    message = file_errors(data)[0]
    assert "B2" in message and "formula" in message
    assert "A2" in file_errors(b"measure_number,category_code,lead\n=HYPERLINK(1),6,x\n", "f.csv")[0]


def test_a_twenty_megabyte_file_is_refused_before_it_is_read():
    upload = SimpleUploadedFile("big.csv", b"x" * (20 * 1024 * 1024))
    with pytest.raises(ImportFileError, match="20.0 MB"):
        read_upload(upload)


def test_a_hundred_thousand_rows_are_refused_for_measures():
    data = (HEADER + "".join(f"1,1-{n},x,市水务局,\n" for n in range(100_000))).encode()
    assert "5,000" in file_errors(data, "many.csv")[0]


def test_row_limit_stops_reading_early():
    rows = "name,kind\n" + "".join(f"u{n},district\n" for n in range(20))
    with pytest.raises(ImportFileError, match="10"):
        read_table(rows.encode(), filename="u.csv", max_rows=10)


@pytest.mark.parametrize("size_mb", [30, 200])
def test_zip_bomb_disguised_as_xlsx_is_refused_without_inflating(size_mb, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(size_mb):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024  # a small upload …
    tracemalloc.start()
    messages = file_errors(data, "bomb.xlsx")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "zip bomb" in messages[0]
    assert peak < 5 * 1024 * 1024  # … refused from the zip directory alone


def test_duplicate_category_and_bad_measure_number_report_row_and_column():
    data = (HEADER + "6,6,a,市水务局,\n6,6,b,市水务局,\nsix,7,c,市水务局,\n0,8,d,市水务局,\n").encode()
    plan = plan_catalogue_file(data, filename="bad.csv", document=Measure.objects.first().document)
    errors = {(e.row, e.column) for e in plan.all_errors}
    assert (3, "category_code") in errors  # the second 6
    assert (4, "measure_number") in errors  # "six"
    assert (5, "measure_number") in errors  # 0 is out of range


def test_bad_files_write_nothing():
    before = catalogue_state()
    for data, name in [(b"PK\x03\x04junk", "a.xlsx"), (xlsx([["measure_number", "category_code", "lead"], [6, "=1", "x"]]), "b.xlsx"),
                       ((HEADER + "6,6,河湖,市水务局,\n6,6,again,市水务局,\n").encode(), "c.csv")]:
        plan_catalogue_file(data, filename=name, document=Measure.objects.first().document)
    assert catalogue_state() == before


def test_gb18030_csv_and_our_own_apostrophe_are_read():
    data = "measure_number,category_code,category_name,lead\n6,6,'=水务,市水务局\n".encode("gb18030")
    table = read_table(data, filename="gbk.csv", max_rows=10, required=["measure_number"])
    assert table.rows[0][1]["category_name"] == "=水务"


def test_one_row_per_measure_without_category_codes_and_duplicate_numbers():
    data = "measure_number,measure_title,lead\n6,水务,市水务局\n７,其他,市财政局\n6,again,市水务局\n".encode()
    plan = plan_catalogue_file(data, filename="m.csv", document=Measure.objects.first().document)
    assert [(e.row, e.column) for e in plan.all_errors] == [(4, "measure_number")]
    assert "twice" in plan.all_errors[0].message
