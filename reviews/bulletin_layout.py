"""The geometry of the bulletin after GB/T 9704-2012, in one place for the template, the OFD writer and the tests.

Lengths are in millimetres unless the name says ``_pt``. A "line" (行) is the standard's: the height of a 3号
character plus 7/8 of it, 16 pt × 15/8 = 30 pt. The body is set on the standard's grid of 22 lines in the 225 mm
text block. Character positions are those of the em box (字高): for the CJK fonts used (Noto CJK, AR PL UKai)
the ideographic em box runs from 0.88 em above the baseline to 0.12 em below it.
"""

from __future__ import annotations

PT = 25.4 / 72  # one point in millimetres

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
MARGIN_TOP, MARGIN_LEFT = 37.0, 28.0
BLOCK_WIDTH, BLOCK_HEIGHT = 156.0, 225.0
MARGIN_RIGHT = PAGE_WIDTH - MARGIN_LEFT - BLOCK_WIDTH
MARGIN_BOTTOM = PAGE_HEIGHT - MARGIN_TOP - BLOCK_HEIGHT

BODY_PT = 16.0  # 3号
TITLE_PT = 22.0  # 2号
PAGE_NUMBER_PT = 14.0  # 4号
MARK_PT = 34.0  # the issuer mark: the standard leaves its size to the issuer (醒目、美观、庄重)
LINE = BODY_PT * 15 / 8 * PT  # 一行: 10.583 mm
BODY_PITCH = BLOCK_HEIGHT / 22  # the body's 22 lines per page: 10.227 mm

MARK_TOP = 35.0  # the issuer mark's top edge below the text block's top (72 mm from the page's top)
NUMBER_BELOW_MARK = 2 * LINE  # 下空二行
RULE_BELOW_NUMBER = 4.0
RULE_THICKNESS = 0.75
TITLE_BELOW_RULE = 2 * LINE  # 下空二行
TITLE_LINE_HEIGHT = 1.35  # between the lines of a title of two or more lines
TITLE_MAX_CHARS = 20  # 156 mm holds 20 characters of 22 pt

# 28 characters a line (§5.2.1): 156 mm / 28 = 5.571 mm a character, a little less than the 16 pt (5.644 mm) of a 3号
# character, so the characters are set closer by a (negative) letter spacing, as a word processor's document grid
# does. Indents are counted in these characters, not in ems (2 ems would leave room for 25 characters, not 26).
CHARS_PER_LINE = 28
LINES_PER_PAGE = 22
CHAR_PITCH = BLOCK_WIDTH / CHARS_PER_LINE
LETTER_SPACING = CHAR_PITCH - BODY_PT * PT - 0.002  # a hair less, so that rounding never pushes the 28th out

# Page numbers (§7.5): 4号, a dash (一字线) each side, the dashes 7 mm under the text block's bottom edge. The dash
# of the CJK fonts stands in the middle of the em box, so the number's em box starts half an em higher.
PAGE_NUMBER_BELOW_BLOCK = 7.0

EM_ABOVE_BASELINE = 0.88
# The Noto CJK fonts' ascent and descent (hhea, per em), which place the baseline in a line box.
FONT_ASCENT, FONT_DESCENT = 1.160, 0.288


def em_top_in_line(line_height_mm: float, size_pt: float) -> float:
    """How far below the top of its line box the em box of a character starts: half-leading + ascent - 0.88 em."""
    size = size_pt * PT
    return (line_height_mm - (FONT_ASCENT + FONT_DESCENT) * size) / 2 + (FONT_ASCENT - EM_ABOVE_BASELINE) * size


def page_number_padding() -> float:
    """The top padding (mm) of the page-number margin box (vertical-align top, line box as high as the font) that
    puts the middle of the number's em box, where its dashes are, PAGE_NUMBER_BELOW_BLOCK under the text block."""
    size = PAGE_NUMBER_PT * PT
    return PAGE_NUMBER_BELOW_BLOCK - size / 2 - em_top_in_line(size, PAGE_NUMBER_PT)


def header_css_margins() -> dict[str, float]:
    """The top margins (mm) of the header's blocks that put their em boxes where the standard says. The mark and
    the number have line boxes as high as their font size; the title's lines are TITLE_LINE_HEIGHT apart."""
    mark, number = MARK_PT * PT, BODY_PT * PT
    title_line = TITLE_PT * PT * TITLE_LINE_HEIGHT
    mark_em, number_em, title_em = em_top_in_line(mark, MARK_PT), em_top_in_line(number, BODY_PT), em_top_in_line(title_line, TITLE_PT)
    return {
        "mark_top": MARK_TOP - mark_em,
        "number_top": NUMBER_BELOW_MARK + mark_em - number_em,  # from the mark's box to the number's
        "rule_top": number_em + RULE_BELOW_NUMBER,  # from the number's box (its em box ends at number_em + number)
        "title_top": TITLE_BELOW_RULE - title_em,
        "mark_line": mark, "number_line": number, "title_line": title_line, "rule": RULE_THICKNESS,
    }
