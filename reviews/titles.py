"""Breaking a title into lines between words, symmetrically (GB/T 9704-2012 §7.3.1).

A title of more than one line is broken only between words, into lines of roughly equal length (a 梯形 or 菱形,
never a long line over a stub such as "…督查激励的通 / 报"). Words come from ``jieba``, the maintained Chinese word
segmenter on PyPI, with its own dictionary (no network: the dictionary ships with the package); a few terms of
this programme are added so that they are never cut.
"""

from __future__ import annotations

import functools
import logging
import math
import re

# Terms of the programme that the general dictionary would cut, and the date words of a title.
PROGRAMME_WORDS = ("督查激励", "真抓实干", "成效明显", "广州市人民政府办公厅", "市人民政府", "予以", "年度")
# Characters that never begin a line (closing punctuation) or end one (opening punctuation).
NO_LINE_START = set("，。、；：？！）》」』”’〕】")
NO_LINE_END = set("（《「『“‘〔【")
DIGITS = re.compile(r"\d+")


def text_width(text: str) -> float:
    """Width in em of a text set in a CJK font: Latin letters and digits are half as wide as a Chinese character."""
    return sum(0.5 if ord(char) < 0x2E80 else 1 for char in text)


@functools.cache
def _tokenizer():
    # Imported on first use, like WeasyPrint: jieba (and the pkg_resources it loads) is a fifth of a second at the
    # start of every process, and only a bulletin's title needs it.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word in PROGRAMME_WORDS:
        tokenizer.add_word(word, freq=10**6)
    return tokenizer


def title_words(title: str) -> list[str]:
    """The title's words; a number and the 年/年度 after it stay one word (2025年度)."""
    words = [w for w in _tokenizer().lcut(title, HMM=False) if w]
    merged: list[str] = []
    for word in words:
        if merged and DIGITS.fullmatch(merged[-1]) and word.startswith("年"):
            merged[-1] += word
        elif merged and (word[0] in NO_LINE_START or merged[-1][-1] in NO_LINE_END):
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def title_lines(title: str, *, max_chars: int) -> list[str]:
    """The title in as few lines of at most ``max_chars`` characters as its words allow, the lengths as equal as
    possible (the smallest spread between longest and shortest line, then the smallest sum of squares). Lengths
    are widths (``text_width``): four digits take the room of two characters.

    A word longer than ``max_chars`` is the only case where a line may be longer."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if text_width(title) <= max_chars:
        return [title]
    words = title_words(title)
    count = math.ceil(text_width(title) / max_chars)
    while count <= len(words):
        best = _best_split(words, count, max_chars)
        if best is not None:
            return best
        count += 1
    return words


def _best_split(words: list[str], count: int, max_chars: int) -> list[str] | None:
    """The best way to cut ``words`` into ``count`` lines no longer than ``max_chars``, or None."""
    widths = [text_width(word) for word in words]
    target = sum(widths) / count

    @functools.cache
    def best(start: int, lines_left: int):
        if lines_left == 1:
            width = sum(widths[start:])
            if width > max_chars and len(words) - start > 1:
                return None
            return (abs(width - target), (width - target) ** 2), ("".join(words[start:]),)
        result = None
        length = 0
        for end in range(start + 1, len(words) - lines_left + 2):
            length += widths[end - 1]
            if length > max_chars and end - start > 1:
                break
            rest = best(end, lines_left - 1)
            if rest is None:
                continue
            (spread, squares), lines = rest
            score = (max(spread, abs(length - target)), squares + (length - target) ** 2)
            if result is None or score < result[0]:
                result = (score, ("".join(words[start:end]),) + lines)
        return result

    found = best(0, count)
    return list(found[1]) if found else None
