"""Split a notice's text into its numbered measures, each with its responsibility clause.

The text comes as lines (``NoticeSource``): a .txt file's lines, or a Word document's paragraphs and table rows
(``measures.importing.docx``), each with the place an error names (``line 12``, ``paragraph 12``, ``table 1, row
3``). Traditional characters are converted to simplified ones first.

Paragraphs. In a text file consecutive lines are one hard-wrapped paragraph, ended by a blank line, by a line
that ends with a responsibility clause, or before a numbered line or a clause line (``牵头单位：…``). In a Word
document every paragraph is one.

Numbering. Five styles are recognised at the start of a paragraph: ``一、``, ``（一）``, ``1.`` / ``1、`` / ``1．``,
``（1）`` and ``第一条``; Word's automatic numbering arrives as the label Word would print. A notice may use 一、
for sections and （一） for measures, or the reverse, and may number the measures anew under each section: the
numbered paragraphs of a style are cut into lists where the numbering starts again at 1, a list in which no item
has a responsibility clause (the items of "组织实施") is left out, and the style whose lists hold the most clauses
wins. Measures numbered anew in several lists are counted through (1 … N) in the order of the notice.

Measures. A measure is its numbered paragraph and the paragraphs after it up to the next numbered paragraph of any
style; once its clause is read, only clause paragraphs (``配合单位：…`` on a line of its own) still belong to it,
so the closing paragraphs of the notice are not swallowed by the last measure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from incentives import params

from .clauses import _LABEL, find_clause
from .simplified import to_simplified

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CN = "[一二三四五六七八九十]{1,4}"
STYLES = {
    "chinese": re.compile(rf"^\s*(?P<n>{_CN})\s*[、.．]\s*(?P<rest>.*)$"),
    "parenthesised": re.compile(rf"^\s*[(（]\s*(?P<n>{_CN})\s*[)）]\s*(?P<rest>.*)$"),
    "arabic": re.compile(r"^\s*(?P<n>\d{1,3})\s*[.．、](?!\d)\s*(?P<rest>.*)$"),
    "parenthesised_arabic": re.compile(r"^\s*[(（]\s*(?P<n>\d{1,3})\s*[)）]\s*(?P<rest>.*)$"),
    "article": re.compile(rf"^\s*第(?P<n>{_CN}|\d{{1,3}})条\s*(?P<rest>.*)$"),
}
_CLAUSE_LINE = re.compile(r"^\s*[(（]?\s*(?:" + _LABEL.pattern + ")")


def numeral_value(numeral: str) -> int | None:
    """一 → 1, 十 → 10, 十九 → 19, 三十二 → 32, 99 at most; None for anything else."""
    if numeral.isdigit():  # ASCII digits within 1 … 99 ("²" is a digit to isdigit(), not to int())
        return params.int_from(numeral, minimum=1, maximum=99)
    if "十" not in numeral:
        return _DIGITS.get(numeral) or None if len(numeral) == 1 else None
    tens, _sep, ones = numeral.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    value = (_DIGITS.get(tens, -100) if tens else 1) * 10 + (_DIGITS.get(ones, -100) if ones else 0)
    return value if 1 <= value <= 99 else None


@dataclass(frozen=True)
class SourceLine:
    text: str
    number: int  # the line (text file) or paragraph (Word) number, 1-based: what an error row names
    where: str  # "line 12", "paragraph 12", "table 1, row 3"


@dataclass
class NoticeSource:
    """A notice as lines; ``hard_wrapped``: consecutive lines are one paragraph (text files)."""

    lines: list[SourceLine]
    hard_wrapped: bool = True
    kind: str = "text"  # "text" or "docx"

    @property
    def text(self) -> str:
        return ("\n" if self.hard_wrapped else "\n\n").join(line.text for line in self.lines)

    @classmethod
    def from_text(cls, text: str) -> NoticeSource:
        text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        return cls([SourceLine(line, index, _("line %(number)s") % {"number": index})
                    for index, line in enumerate(text.split("\n"), start=1)])


@dataclass
class Paragraph:
    text: str
    first: SourceLine


@dataclass
class NoticeMeasure:
    number: int
    numeral: str
    text: str
    clause: str
    line: int  # where it starts: line (text) or paragraph (Word), 1-based
    where: str = ""
    remark: str = ""


@dataclass
class NoticeText:
    style: str
    measures: list[NoticeMeasure] = field(default_factory=list)
    issuer: str = ""
    issued_on: str = ""  # ISO date when the closing block gives one
    printed_on: str = ""
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _numbered(text: str, pattern: re.Pattern) -> tuple[int, str, str] | None:
    match = pattern.match(text)
    if match:
        value = numeral_value(match.group("n"))
        if value is not None and match.group("rest").strip():
            return value, match.group("n"), match.group("rest")
    return None


def _any_numbered(text: str) -> bool:
    return any(_numbered(text, pattern) for pattern in STYLES.values())


def _ends_with_clause(text: str) -> bool:
    return find_clause(text) is not None


def paragraphs(source: NoticeSource) -> list[Paragraph]:
    result: list[Paragraph] = []
    current: list[str] = []
    first: SourceLine | None = None

    def close():
        nonlocal current, first
        if current and first is not None:
            result.append(Paragraph("".join(current).strip(), first))
        current, first = [], None

    for line in source.lines:
        text = to_simplified(line.text).strip().replace("\u3000", " ").strip()
        if not text:
            close()
            continue
        if not source.hard_wrapped or _any_numbered(text) or _CLAUSE_LINE.match(unicodedata.normalize("NFKC", text)):
            close()
        if first is None:
            first = line
        current.append(text)
        if not source.hard_wrapped or _ends_with_clause("".join(current)):
            close()
    close()
    return result


def _body(blocks: list[Paragraph], index: int, rest: str) -> str:
    """A measure's text: its numbered paragraph and the ones after it that belong to it."""
    parts = [rest.strip()]
    clause_read = _ends_with_clause(rest)
    for following in blocks[index + 1:]:
        if _any_numbered(following.text):
            break
        is_clause_line = bool(_CLAUSE_LINE.match(unicodedata.normalize("NFKC", following.text)))
        if clause_read and not is_clause_line:
            break
        parts.append(following.text)
        clause_read = clause_read or is_clause_line or _ends_with_clause("".join(parts))
    return "".join(parts).strip()


def _runs(candidates: list) -> list[list]:
    """The candidates cut where the numbering starts again at 1 (a list of its own: the measures under each
    section, or the items of the closing section)."""
    runs: list[list] = []
    for candidate in candidates:
        if not runs or candidate[1] == 1:
            runs.append([])
        runs[-1].append(candidate)
    return runs


def _choose(blocks: list[Paragraph]) -> tuple[str, list, bool]:
    """The numbering style of the measures, their numbered paragraphs (with their texts), and whether they are
    numbered anew in each run (then they are counted through).

    The style whose lists hold the most responsibility clauses wins, its lists without any clause (the items of
    "组织实施") left out; when no list has a clause, the style whose numbers start at 1 and run longest, so that
    every measure is reported without its clause."""
    best_style, best, best_score = "chinese", [], (0, 0)
    for style, pattern in STYLES.items():
        candidates = [(index, *found) for index, block in enumerate(blocks) if (found := _numbered(block.text, pattern))]
        if not candidates:
            continue
        runs = [[(*c, _body(blocks, c[0], c[3])) for c in run] for run in _runs(candidates)]
        with_clauses = [run for run in runs if any(find_clause(c[4]) for c in run)]
        clauses = sum(1 for run in with_clauses for c in run if find_clause(c[4]))
        kept = with_clauses or [max(runs, key=len)]
        score = (clauses, max(len(run) for run in kept))
        if score > best_score:
            best_style, best, best_score = style, kept, score
    items = [c for run in best for c in run]
    return best_style, items, len(best) > 1


def split_notice(source: NoticeSource | str) -> NoticeText:
    if isinstance(source, str):
        source = NoticeSource.from_text(source)
    blocks = paragraphs(source)
    style, items, counted_through = _choose(blocks)
    result = NoticeText(style=style)
    if not items:
        result.errors.append((0, _("No numbered measures were found: a measure starts a paragraph with 一、, （一）, 1., "
                                   "（1） or 第一条, or is numbered by Word.")))
        return result
    seen: dict[int, str] = {}
    for position, (index, value, numeral, _rest, body) in enumerate(items, start=1):
        block = blocks[index]
        if counted_through:
            value, numeral = position, ""
        where = block.first.where
        if value in seen:
            result.errors.append((block.first.number, _("%(where)s: measure number %(number)s appears twice (%(first)s "
                                                        "and %(second)s).") % {
                "where": where, "number": value, "first": seen[value], "second": where}))
            continue
        seen[value] = where
        if not body:
            result.errors.append((block.first.number, _("%(where)s: measure %(number)s has no text.") % {
                "where": where, "number": value}))
            continue
        located = find_clause(body)
        result.measures.append(NoticeMeasure(number=value, numeral=numeral if not numeral.isdigit() else "", text=body,
                                             clause=located.clause if located else "", line=block.first.number,
                                             where=where, remark=located.remark if located else ""))
    numbers = [m.number for m in result.measures]
    missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
    if missing:
        result.errors.append((0, _("Measures are not numbered in sequence: %(missing)s missing.") % {
            "missing": "、".join(str(n) for n in missing)}))
    _closing_block([to_simplified(line.text) for line in source.lines], result)
    return result


def _closing_block(lines: list[str], result: NoticeText) -> None:
    """The issuer and the date on the lines that close the notice; the printing date of 印发."""
    date_pattern = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
    printed_pattern = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*印发")
    previous = ""
    for line in lines:
        stripped = unicodedata.normalize("NFKC", line).strip()
        match = date_pattern.match(stripped)
        if match and not result.issued_on:
            result.issued_on = "%04d-%02d-%02d" % tuple(int(g) for g in match.groups())
            result.issuer = previous
        printed = printed_pattern.search(stripped)
        if printed:
            result.printed_on = "%04d-%02d-%02d" % tuple(int(g) for g in printed.groups())
        if stripped:
            previous = stripped
