"""Open an uploaded spreadsheet without trusting it.

Checks run before the parser sees the bytes, cheapest first:

1. size (``settings.IMPORT_MAX_BYTES``) — before anything is decoded;
2. kind, from the first bytes rather than the file name: ``PK\\x03\\x04`` is a zip (.xlsx), ``D0 CF 11 E0`` is an
   OLE2 compound file, which for a workbook means a password-protected .xlsx or an old binary .xls (refused);
   anything else must decode as UTF-8 (or GB18030, what Excel on a Chinese Windows saves) text without NUL bytes;
3. for a zip: the number of members, their total uncompressed size and each member's compression ratio, read
   from the zip directory (nothing is inflated), so a zip bomb is refused before openpyxl opens it; then every
   XML part's prolog: a document type declaration (``<!DOCTYPE``, where entities are declared: "billion laughs",
   external entities) is refused naming the part. Every XML parse of an upload goes through ``defusedxml`` (ours,
   and openpyxl's, which uses it when it is installed), which refuses entities and DTDs wherever they are;
4. openpyxl in ``read_only`` mode with ``data_only=False``: rows are streamed, and a formula cell is seen as a
   formula. Formulas are REFUSED with their cell reference (the importer never evaluates or stores them);
5. merged cells in the header row are refused (the sheet XML is streamed once for ``<mergeCell>``);
6. the row limit: reading stops at the first row past the limit.

A CSV cell that is formula-like (``measures.formulas``: ``= + - @``, tab or CR, after any leading spaces) is refused
with its cell reference. A cell that starts with an apostrophe followed by such text is what our own exports write
to neutralise it (``measures.formulas.safe_cell``); the apostrophe is removed on import so an export imports
unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.utils.translation import gettext as _

from measures.formulas import looks_like_formula, unneutralised

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ZIP_MEMBERS = 2_000
MAX_COMPRESSION_RATIO = 100


class ImportFileError(Exception):
    """The file as a whole cannot be imported. The message says why, in words an administrator understands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as the spreadsheet shows it (header is row 1); 0 for the whole file
    column: str  # the column's header, or "" when the error is about the row
    message: str

    def __str__(self):
        where = _("row %(row)s") % {"row": self.row} if self.row else _("file")
        if self.column:
            where += _(", column %(column)s") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class Table:
    """The header (normalised names) and the data rows, each with its row number in the sheet."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024))


def read_upload(upload, *, limit: int | None = None) -> bytes:
    """Read an uploaded file (Django UploadedFile or a binary file object), refusing it past the size limit
    before reading it whole."""
    limit = max_bytes() if limit is None else limit
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ImportFileError(too_big_message(size, limit))
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(too_big_message(len(data), limit))
    return data


def too_big_message(size: int, limit: int) -> str:
    return _("The file is %(size)s and the limit is %(limit)s. Split it, or remove what is not needed.") % {
        "size": human_size(size), "limit": human_size(limit)}


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def normalise_header(name) -> str:
    text = unicodedata.normalize("NFKC", str(name or "")).strip().lower()
    return "_".join(text.replace("-", " ").split())


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious .0, None as "", stray spaces stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return unneutralised(text)  # our own exports neutralise formulas with an apostrophe


def read_table(data: bytes, *, filename: str = "", max_rows: int, required: Iterable[str] = (),
               aliases: dict[str, str] | None = None, byte_limit: int | None = None) -> Table:
    """Read the first sheet of an .xlsx, or a .csv, into a Table. Raises ImportFileError for a file that
    cannot be read at all; a missing column or a formula is also a file-level error (nothing can be imported)."""
    byte_limit = max_bytes() if byte_limit is None else byte_limit
    if len(data) > byte_limit:
        raise ImportFileError(too_big_message(len(data), byte_limit))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(OLE2_MAGIC):
        raise ImportFileError(_(
            "This workbook is password-protected or in the old .xls format. Remove the password, or save it "
            "as .xlsx (Excel Workbook), and upload it again."))
    if data.startswith(ZIP_MAGIC):
        rows = _xlsx_rows(data, max_rows=max_rows)
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportFileError(_("This file is named like a workbook but is not one: it may be damaged. "
                                "Open it in Excel and save it again as .xlsx."))
    else:
        rows = _csv_rows(data, max_rows=max_rows)
    return _table(rows, required=required, aliases=aliases or {})


def _table(rows: Iterable[tuple[int, list]], *, required: Iterable[str], aliases: dict[str, str]) -> Table:
    iterator = iter(rows)
    header_row = None
    for number, values in iterator:
        if any(cell_text(v) for v in values):
            header_row = (number, values)
            break
    if header_row is None:
        raise ImportFileError(_("The sheet is empty: it has no header row and no data."))
    header = []
    for value in header_row[1]:
        name = normalise_header(value)
        header.append(aliases.get(name, name))
    while header and not header[-1]:
        header.pop()
    missing = [name for name in required if name not in header]
    if missing:
        import difflib

        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, [h for h in header if h], n=1, cutoff=0.6)
            hints.append(f"{name} ({_('is it %(found)s?') % {'found': close[0]}})" if close else name)
        raise ImportFileError(_("Required columns are missing or renamed: %(missing)s. The first row must hold "
                                "the headers of the template; it holds: %(found)s.") % {
            "missing": ", ".join(hints), "found": ", ".join(h for h in header if h) or "—"})
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise ImportFileError(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(duplicated)})
    table = Table(header=header)
    width = len(header)
    for number, values in iterator:
        texts = [cell_text(v) for v in values[:width]]
        if not any(texts):
            continue
        texts += [""] * (width - len(texts))
        table.rows.append((number, {name: text for name, text in zip(header, texts, strict=True) if name}))
    if not table.rows:
        raise ImportFileError(_("The sheet has a header row but no data rows."))
    return table


def _too_many_rows(max_rows: int) -> ImportFileError:
    return ImportFileError(_("The file has more than %(limit)s data rows, the most one import takes. "
                             "Split it into smaller files.") % {"limit": f"{max_rows:,}"})


def _csv_rows(data: bytes, *, max_rows: int):
    if b"\x00" in data[:8192]:
        raise ImportFileError(_("This is not a spreadsheet: upload an .xlsx workbook or a .csv file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(data, encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("This text file is neither UTF-8 nor GB18030 encoded: save it as CSV UTF-8."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    data_rows = 0
    try:
        for number, values in enumerate(reader, start=1):
            if number > 1 and any(v.strip() for v in values):
                data_rows += 1
                if data_rows > max_rows:
                    raise _too_many_rows(max_rows)
            for column, value in enumerate(values):
                # A CSV cell is text, but a spreadsheet opening it would run this as a formula.
                if looks_like_formula(value):
                    raise ImportFileError(_("Cell %(cell)s holds a formula (%(value)s). Formulas are not imported: "
                                            "replace them with their values.") % {
                        "cell": cell_name(column, number), "value": value[:40]})
            yield number, values
    except csv.Error as error:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s.") % {"error": error}) from None


def cell_name(column_index: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column_index + 1)}{row}"


def check_zip(data: bytes, *, kind: str = "workbook") -> zipfile.ZipFile:
    """Open the zip directory and refuse a bomb before anything is inflated. ``kind`` is "workbook" (.xlsx) or
    "document" (.docx): what the messages call the file."""
    document = kind == "document"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        if document:
            raise ImportFileError(_("This Word document is damaged and cannot be opened. Open it in Word and save it "
                                    "again.")) from None
        raise ImportFileError(_("This workbook is damaged and cannot be opened. Open it in Excel and save it again.")) from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        if document:
            raise ImportFileError(_("This Word document has an unusual structure (%(count)s parts) and is refused.") % {
                "count": len(members)})
        raise ImportFileError(_("This workbook has an unusual structure (%(count)s parts) and is refused.") % {"count": len(members)})
    total = sum(member.file_size for member in members)
    if total > max_uncompressed_bytes():
        values = {"size": human_size(total), "limit": human_size(max_uncompressed_bytes())}
        if document:
            raise ImportFileError(_("This Word document would expand to %(size)s when opened, more than the %(limit)s "
                                    "allowed: it is refused as a possible zip bomb.") % values)
        raise ImportFileError(_("This workbook would expand to %(size)s when opened, more than the %(limit)s allowed: "
                                "it is refused as a possible zip bomb.") % values)
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            ratio = {"ratio": member.file_size // max(member.compress_size, 1)}
            if document:
                raise ImportFileError(_("This Word document is compressed %(ratio)s times, far more than a real "
                                        "document: it is refused as a possible zip bomb.") % ratio)
            raise ImportFileError(_("This workbook is compressed %(ratio)s times, far more than a real spreadsheet: "
                                    "it is refused as a possible zip bomb.") % ratio)
    if "[Content_Types].xml" not in archive.namelist():
        if document:
            raise ImportFileError(_("This zip file is not a Word document (.docx): it has no [Content_Types].xml, only "
                                    "%(names)s. Upload the notice as .docx or .txt.") % {
                "names": "、".join(sorted(archive.namelist())[:5]) or "—"})
        raise ImportFileError(_("This zip file is not an Excel workbook (.xlsx)."))
    _check_xml_prologs(archive, document=document)
    return archive


# How much of each XML part's beginning is searched for a document type declaration (it precedes the root).
XML_PROLOG_BYTES = 4096


def xml_refused(part: str, *, document: bool = False) -> ImportFileError:
    """The error for an XML part that declares a document type or entities (nothing else is read)."""
    if document:
        return ImportFileError(_("This Word document is refused: its part %(part)s declares XML entities or a "
                                 "document type, which Word never writes (a “billion laughs” or external-entity "
                                 "attack). Nothing was imported.") % {"part": part})
    return ImportFileError(_("This workbook is refused: its part %(part)s declares XML entities or a document type, "
                             "which Excel never writes (a “billion laughs” or external-entity attack). Nothing was "
                             "imported.") % {"part": part})


def _defused(error: BaseException | None) -> bool:
    """Whether defusedxml's refusal is ``error`` or what caused it."""
    while error is not None:
        if isinstance(error, DefusedXmlException):
            return True
        error = error.__cause__ or error.__context__
    return False


def _refused_part(archive: zipfile.ZipFile) -> str:
    """The name of the first XML part defusedxml refuses (the declaration was past the prolog that was searched)."""
    for member in archive.infolist():
        if member.filename.endswith((".xml", ".rels")):
            try:
                with archive.open(member) as part:
                    for _event, element in iterparse(part):
                        element.clear()
            except DefusedXmlException:
                return member.filename
            except Exception:  # a damaged part is not the one looked for
                continue
    return "?"


def _check_xml_prologs(archive: zipfile.ZipFile, *, document: bool) -> None:
    for member in archive.infolist():
        if not member.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(member) as part:
            head = part.read(XML_PROLOG_BYTES)
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise xml_refused(member.filename, document=document)


def _xlsx_rows(data: bytes, *, max_rows: int):
    archive = check_zip(data)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors …) for a bad file
        if _defused(error):  # the parser's refusal, which openpyxl wraps in its own ValueError
            raise xml_refused(_refused_part(archive)) from None
        raise ImportFileError(_("This workbook is damaged or not an .xlsx workbook, and cannot be opened.")) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFileError(_("The workbook has no worksheet."))
        merged = _merged_ranges(archive)
        data_rows = 0
        header_seen = False
        try:
            for row in sheet.iter_rows():
                cells = list(row)
                if not cells:
                    continue
                number = getattr(cells[0], "row", None) or 0
                values = []
                for cell in cells:
                    if getattr(cell, "data_type", None) == "f":
                        raise ImportFileError(_("Cell %(cell)s holds a formula (%(value)s). Formulas are not imported: "
                                                "replace them with their values (Paste Special → Values).") % {
                            "cell": cell.coordinate, "value": str(cell.value)[:40]})
                    values.append(getattr(cell, "value", None))
                if not any(cell_text(v) for v in values):
                    continue
                if not header_seen:
                    header_seen = True
                    for first_row, last_row, ref in merged:
                        if first_row <= number <= last_row:
                            raise ImportFileError(_("The header row has merged cells (%(range)s). Unmerge them so "
                                                    "that every column has its own header.") % {"range": ref})
                else:
                    data_rows += 1
                    if data_rows > max_rows:
                        raise _too_many_rows(max_rows)
                yield number, values
        except ImportFileError:
            raise
        except Exception as error:
            if _defused(error):
                raise xml_refused(_refused_part(archive)) from None
            raise ImportFileError(_("This workbook is damaged and its rows cannot be read.")) from None
    finally:
        workbook.close()


PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
SPREADSHEET_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
OFFICE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def first_worksheet_part(archive: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first worksheet (the one openpyxl's ``worksheets[0]`` reads), from the
    package itself: the first ``<sheet>`` of xl/workbook.xml whose relationship is a worksheet (not a chart sheet)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return None
    with archive.open("xl/_rels/workbook.xml.rels") as source:
        targets = {element.get("Id"): element.get("Target", "") for _event, element in iterparse(source)
                   if element.tag == f"{PACKAGE_RELATIONSHIPS}Relationship"
                   and element.get("Type", "").endswith("/worksheet")}
    with archive.open("xl/workbook.xml") as source:
        for _event, element in iterparse(source):
            if element.tag == f"{SPREADSHEET_MAIN}sheet" and element.get(f"{OFFICE_RELATIONSHIPS}id") in targets:
                target = targets[element.get(f"{OFFICE_RELATIONSHIPS}id")]
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return None


def _merged_ranges(archive: zipfile.ZipFile) -> list[tuple[int, int, str]]:
    """The merged ranges of the first worksheet (openpyxl does not read them in read-only mode), streamed from
    its part of the package."""
    from openpyxl.utils.cell import range_boundaries

    ranges = []
    try:
        path = first_worksheet_part(archive)
        if path is None or path not in set(archive.namelist()):
            return ranges
        with archive.open(path) as source:
            for _event, element in iterparse(source):
                if element.tag.endswith("}mergeCell"):
                    ref = element.get("ref", "")
                    try:
                        _min_col, min_row, _max_col, max_row = range_boundaries(ref)
                    except (ValueError, TypeError):
                        continue
                    ranges.append((min_row, max_row, ref))
                element.clear()
    except DefusedXmlException:
        raise xml_refused(_refused_part(archive)) from None
    except Exception:
        raise ImportFileError(_("This workbook is damaged and its sheet cannot be read.")) from None
    return ranges
