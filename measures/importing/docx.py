"""Read a Word document (.docx) into the lines of a notice: its paragraphs in body order, Word's automatic
numbering printed as Word prints it, and the rows of a table of measures as measures.

Written against the WordprocessingML parts directly (``word/document.xml``, ``word/numbering.xml``,
``word/styles.xml``) rather than with python-docx: python-docx gives a paragraph's numbering properties but not the
number Word shows (it does not count lists), and the upload is checked as a zip (size, members, compression
ratio) and its XML parts' prologs (no document type, no entities) before any XML is parsed; every part is parsed
with ``defusedxml``, which refuses entities and DTDs wherever they appear.

Automatic numbering. A paragraph is numbered when its properties, or those of its style (following ``basedOn``),
hold ``w:numPr`` (``w:numId`` ≠ 0, ``w:ilvl``). Its number is counted here: one counter per list
(``w:abstractNum``) and level, starting at the level's ``w:start`` (or the list instance's ``w:startOverride``),
a level's counter restarting when a shallower level advances; the label is the level's ``w:lvlText`` (``%1、``,
``（%1）``, ``%1.``) with each ``%n`` in the level's ``w:numFmt`` (decimal, chineseCounting …, 一 二 三).

Tables. A table whose header row names the columns of a catalogue of measures (序号 | 激励措施 | 牵头单位 |
配合单位, recognised by their words: 序号/编号, 措施/内容/事项/对象, 牵头/责任/主责 单位, 配合/协办/参与 单位) gives
one measure per row, written as a notice writes it: ``N、<text>（牵头单位：…；配合单位：…）``. Any other table is
read as paragraphs.
"""

from __future__ import annotations

import re
import zipfile

from defusedxml import DefusedXmlException, ElementTree
from django.utils.translation import gettext as _

from measures.models import chinese_numeral

from .notice import NoticeSource, SourceLine, numeral_value
from .reading import ImportFileError, check_zip, xml_refused

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CHINESE_FORMATS = {"chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
                   "ideographDigital", "chineseLegalSimplified", "koreanCounting"}

NUMBER_HEADERS = ("序号", "编号", "条目", "措施编号")
LEAD_HEADERS = ("牵头单位", "牵头部门", "责任单位", "责任部门", "主责单位", "主责部门", "负责单位", "负责部门")
CO_HEADERS = ("配合单位", "配合部门", "协办单位", "协办部门", "参与单位", "参与部门", "协同单位")
TEXT_HEADERS = ("措施", "内容", "事项", "对象", "激励", "条件", "标准")
SKIPPED_HEADERS = ("备注", "说明")


def _val(element, tag: str) -> str | None:
    found = element.find(f"{W}{tag}") if element is not None else None
    return found.get(f"{W}val") if found is not None else None


def _format(value: int, fmt: str) -> str:
    if fmt in CHINESE_FORMATS and 1 <= value <= 99:
        return chinese_numeral(value)
    if fmt in ("lowerLetter", "upperLetter") and value >= 1:
        letter = chr(ord("a") + (value - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("bullet", "none"):
        return ""
    return str(value)


class Numbering:
    """The lists of numbering.xml, and the counters of the paragraphs read so far."""

    def __init__(self, numbering_root, styles_root):
        """The parsed numbering.xml and styles.xml (either may be None)."""
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # abstractNumId → ilvl → (start, fmt, text)
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstractNumId, ilvl → startOverride)
        self.style_numbering: dict[str, tuple[str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        if numbering_root is not None:
            root = numbering_root
            for abstract in root.iter(f"{W}abstractNum"):
                levels = {}
                for lvl in abstract.iter(f"{W}lvl"):
                    start = int(_val(lvl, "start") or 1)
                    levels[int(lvl.get(f"{W}ilvl", "0"))] = (start, _val(lvl, "numFmt") or "decimal", _val(lvl, "lvlText") or "")
                self.levels[abstract.get(f"{W}abstractNumId", "")] = levels
            for num in root.iter(f"{W}num"):
                overrides = {}
                for override in num.iter(f"{W}lvlOverride"):
                    start = _val(override, "startOverride")
                    if start is not None:
                        overrides[int(override.get(f"{W}ilvl", "0"))] = int(start)
                self.nums[num.get(f"{W}numId", "")] = (_val(num, "abstractNumId") or "", overrides)
        if styles_root is not None:
            self._read_styles(styles_root)

    def _read_styles(self, root) -> None:
        own, based_on = {}, {}
        for style in root.iter(f"{W}style"):
            style_id = style.get(f"{W}styleId", "")
            num_pr = style.find(f"{W}pPr/{W}numPr")
            if num_pr is not None and _val(num_pr, "numId"):
                own[style_id] = (_val(num_pr, "numId"), int(_val(num_pr, "ilvl") or 0))
            parent = _val(style, "basedOn")
            if parent:
                based_on[style_id] = parent
        for style_id in set(own) | set(based_on):
            current, seen = style_id, set()
            while current and current not in own and current not in seen:
                seen.add(current)
                current = based_on.get(current)
            if current in own:
                self.style_numbering[style_id] = own[current]

    def label(self, paragraph) -> str:
        """The number Word prints before this paragraph, or ""; advances the counters."""
        properties = paragraph.find(f"{W}pPr")
        num_pr = properties.find(f"{W}numPr") if properties is not None else None
        num_id, level = None, 0
        if num_pr is not None and _val(num_pr, "numId") is not None:
            num_id, level = _val(num_pr, "numId"), int(_val(num_pr, "ilvl") or 0)
        elif properties is not None and _val(properties, "pStyle") in self.style_numbering:
            num_id, level = self.style_numbering[_val(properties, "pStyle")]
        if not num_id or num_id == "0" or num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.levels.get(abstract_id, {})
        if level not in levels:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for overridden, start in overrides.items():
                counters[overridden] = start - 1
        start = levels[level][0]
        counters[level] = counters.get(level, start - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        _start, fmt, text = levels[level]

        def number(match):
            index = int(match.group(1)) - 1
            value = counters.get(index, levels.get(index, (1, "decimal", ""))[0])
            return _format(value, levels.get(index, (1, "decimal", ""))[1] if index != level else fmt)

        return re.sub(r"%([1-9])", number, text)


def _text(element) -> str:
    parts = []
    for node in element.iter():
        if node.tag == f"{W}t":
            parts.append(node.text or "")
        elif node.tag == f"{W}tab":
            parts.append("\t")
    return "".join(parts)


def _column(header: str) -> str | None:
    text = re.sub(r"\s+", "", header)
    if not text:
        return None
    if any(word in text for word in SKIPPED_HEADERS):
        return "skip"
    if any(word in text for word in LEAD_HEADERS) or text in ("牵头", "责任单位"):
        return "lead"
    if any(word in text for word in CO_HEADERS) or text == "配合":
        return "co"
    if any(text.startswith(word) for word in NUMBER_HEADERS):
        return "number"
    if any(word in text for word in TEXT_HEADERS):
        return "text"
    return None


def _grid(table) -> list[list[str]]:
    """The table's cells as a grid: a cell spanning columns (``w:gridSpan``) fills each of them; a cell merged
    into the one above (``w:vMerge`` without ``restart``) repeats its text, as a reader of the printed table sees."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}
    for row in table.findall(f"{W}tr"):
        cells: list[str] = []
        for cell in row.findall(f"{W}tc"):
            properties = cell.find(f"{W}tcPr")
            span = int(_val(properties, "gridSpan") or 1) if properties is not None else 1
            merge = properties.find(f"{W}vMerge") if properties is not None else None
            text = _text(cell).strip()
            if merge is not None and merge.get(f"{W}val", "continue") == "continue":
                text = above.get(len(cells), text)
            for _column_span in range(max(1, min(span, 64))):
                above[len(cells)] = text
                cells.append(text)
        rows.append(cells)
    return rows


def _table_lines(table, index: int, counter: list[int]) -> list[SourceLine] | None:
    rows = _grid(table)
    found = next((index for index, row in enumerate(rows[:3])
                  if {"lead", "text"} <= {_column(cell) for cell in row}), None)
    if found is None:
        return None
    header_index, header = found, rows[found]
    columns = [_column(cell) for cell in header]
    lead_label = next((re.sub(r"\s+", "", cell) for cell, c in zip(header, columns, strict=False) if c == "lead"), "牵头单位")
    lead_label = lead_label if lead_label in LEAD_HEADERS else "牵头单位"
    lines, sequence = [], 0
    for row_number, cells in enumerate(rows[header_index + 1:], start=header_index + 2):
        values: dict[str, list[str]] = {}
        for cell, column in zip(cells, columns, strict=False):
            if column and column != "skip" and cell and values.get(column, [""])[-1] != cell:  # a spanning cell once
                values.setdefault(column, []).append(cell)
        if not values.get("text"):
            continue
        sequence += 1
        raw = "".join(values.get("number", [])).strip().removeprefix("第").removesuffix("条").rstrip("、.．")
        number = numeral_value(raw) if raw else None
        number = number or sequence
        text = "，".join(values["text"]).rstrip("。；;，,") + "。"
        clause = ""
        if values.get("lead"):
            clause = f"{lead_label}：{'、'.join(values['lead'])}"
            if values.get("co"):
                clause += f"；配合单位：{'、'.join(values['co'])}"
            clause = f"（{clause}）"
        counter[0] += 1
        lines.append(SourceLine(f"{number}、{text}{clause}", counter[0],
                                _("table %(table)s, row %(row)s") % {"table": index, "row": row_number}))
    return lines


def _part(archive: zipfile.ZipFile, name: str):
    """One XML part of the document, parsed by defusedxml: a part declaring entities or a document type is refused
    with its name."""
    try:
        return ElementTree.fromstring(archive.read(name))
    except DefusedXmlException:
        raise xml_refused(name, document=True) from None


def docx_source(data: bytes) -> NoticeSource:
    archive = check_zip(data, kind="document")
    names = set(archive.namelist())
    if "word/document.xml" not in names:
        shown = "、".join(sorted(names)[:5]) or "—"
        raise ImportFileError(_("This zip file is not a Word document (.docx): it has no word/document.xml, only "
                                "%(names)s. Upload the notice as .docx or .txt.") % {"names": shown})
    try:
        numbering = Numbering(_part(archive, "word/numbering.xml") if "word/numbering.xml" in names else None,
                              _part(archive, "word/styles.xml") if "word/styles.xml" in names else None)
        root = _part(archive, "word/document.xml")
    except (ElementTree.ParseError, zipfile.BadZipFile, ValueError, KeyError, EOFError, OSError):
        raise ImportFileError(_("This Word document is damaged and cannot be read: save it again in Word.")) from None
    body = root.find(f"{W}body")
    if body is None:
        raise ImportFileError(_("This Word document has no body: save it again in Word."))
    lines: list[SourceLine] = []
    counter = [0]
    tables = [0]

    def walk(container):
        for element in container:
            if element.tag == f"{W}p":
                label = numbering.label(element)
                text = _text(element)
                if not text.strip() and not label:
                    continue
                counter[0] += 1
                lines.append(SourceLine(label + text, counter[0], _("paragraph %(number)s") % {"number": counter[0]}))
            elif element.tag == f"{W}tbl":
                tables[0] += 1
                found = _table_lines(element, tables[0], counter)
                if found is not None:
                    lines.extend(found)
                else:
                    for row in element.iter(f"{W}tr"):
                        for cell in row.findall(f"{W}tc"):
                            walk(cell)
            elif element.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}smartTag"):
                walk(element)

    walk(body)
    return NoticeSource(lines, hard_wrapped=False, kind="docx")
