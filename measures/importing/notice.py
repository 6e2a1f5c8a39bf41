"""Split a notice's text into its numbered measures.

Three numbering styles are recognised at the start of a line: ``一、`` … ``三十二、``; ``（一）`` …; ``1.`` / ``1、``
/ ``1．``. The style whose numbers start at 1 and run longest wins (a notice may use 一、 for sections and （一） for
measures, or the reverse). A measure is its numbered line plus the lines that follow it up to a blank line or the
next number, so hard-wrapped text is joined and the closing paragraphs are not swallowed by the last measure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .clauses import clause_at_end

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CN = "[一二三四五六七八九十]{1,4}"
STYLES = {
    "chinese": re.compile(rf"^\s*(?P<n>{_CN})、(?P<rest>.*)$"),
    "parenthesised": re.compile(rf"^\s*[(（](?P<n>{_CN})[)）](?P<rest>.*)$"),
    "arabic": re.compile(r"^\s*(?P<n>\d{1,3})\s*[.．、](?!\d)(?P<rest>.*)$"),
}


def numeral_value(numeral: str) -> int | None:
    """一 → 1, 十 → 10, 十九 → 19, 三十二 → 32, 99 at most; None for anything else."""
    if numeral.isdigit():
        return int(numeral)
    if "十" not in numeral:
        return _DIGITS.get(numeral) if len(numeral) == 1 else None
    tens, _, ones = numeral.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    value = (_DIGITS.get(tens, -100) if tens else 1) * 10 + (_DIGITS.get(ones, -100) if ones else 0)
    return value if 1 <= value <= 99 else None


@dataclass
class NoticeMeasure:
    number: int
    numeral: str
    text: str
    clause: str
    line: int  # where it starts in the text, 1-based


@dataclass
class NoticeText:
    style: str
    measures: list[NoticeMeasure] = field(default_factory=list)
    issuer: str = ""
    issued_on: str = ""  # ISO date when the closing block gives one
    printed_on: str = ""
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _candidates(lines: list[str], pattern: re.Pattern) -> list[tuple[int, int, str, str]]:
    found = []
    for index, line in enumerate(lines):
        match = pattern.match(line)
        if match:
            value = numeral_value(match.group("n"))
            if value is not None:
                found.append((index, value, match.group("n"), match.group("rest")))
    return found


def _run_length(candidates) -> int:
    expected, run = 1, 0
    for _index, value, _n, _rest in candidates:
        if value == expected:
            run += 1
            expected += 1
    return run


def split_notice(text: str) -> NoticeText:
    from django.utils.translation import gettext as _

    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    best_style, best = "chinese", []
    for style, pattern in STYLES.items():
        candidates = _candidates(lines, pattern)
        if _run_length(candidates) > _run_length(best):
            best_style, best = style, candidates
    result = NoticeText(style=best_style)
    if not best:
        result.errors.append((0, _("No numbered measures were found. Measures must start a line with 一、, （一） or 1.")))
        return result
    seen: dict[int, int] = {}
    for index, value, numeral, rest in best:
        parts = [rest.strip()]
        for following in lines[index + 1:]:
            if not following.strip():
                break
            if any(p.match(following) for p in STYLES.values()):
                break
            parts.append(following.strip())
        body = "".join(parts).strip()
        if value in seen:
            result.errors.append((index + 1, _("Measure number %(number)s appears twice (lines %(first)s and %(second)s).") % {
                "number": value, "first": seen[value], "second": index + 1}))
            continue
        seen[value] = index + 1
        if not body:
            result.errors.append((index + 1, _("Measure %(number)s has no text.") % {"number": value}))
            continue
        result.measures.append(NoticeMeasure(number=value, numeral=numeral if not numeral.isdigit() else "",
                                             text=body, clause=clause_at_end(body), line=index + 1))
    numbers = [m.number for m in result.measures]
    missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
    if missing:
        result.errors.append((0, _("Measures are not numbered in sequence: %(missing)s missing.") % {
            "missing": "、".join(str(n) for n in missing)}))
    _closing_block(lines, result)
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
