"""The bulletin's document number and how its titles break into lines."""

import pytest
from django.core.exceptions import ValidationError

from reviews.document_numbers import bulletin_number_validate
from reviews.titles import text_width, title_lines, title_words

TITLE = "广州市人民政府办公厅关于对2025年度真抓实干成效明显单位予以督查激励的通报"


@pytest.mark.parametrize("value", ["穗府办〔2027〕13号", " 穗府办〔2027〕1号 ", "穗府办〔2027〕130号"])
def test_a_well_formed_number_is_accepted(value):
    assert bulletin_number_validate(value, year=2027) == value.strip()


@pytest.mark.parametrize(("value", "code", "words"), [
    ("", "required", "Enter the document number, e.g. 穗府办〔2027〕13号."),
    ("穗府办[2027]13号", "brackets", "in the brackets 〔〕"),
    ("穗府办（2027）13号", "brackets", "in the brackets 〔〕"),
    ("穗府办〔2027〕13", "format", "the serial followed by 号"),
    ("穗府办〔27〕13号", "format", "is not a document number"),
    ("粤府办〔2027〕13号", "issuer", "The issuer's code is 穗府办, not 粤府办."),
    ("穗府办〔2026〕13号", "year", "must be the year of publication, 2027, not 2026"),
    ("穗府办〔2027〕013号", "leading_zero", "without leading zeros: 13, not 013"),
])
def test_a_malformed_number_is_refused_with_a_message_naming_the_problem(value, code, words):
    with pytest.raises(ValidationError) as refused:
        bulletin_number_validate(value, year=2027)
    assert refused.value.code == code
    assert words in refused.value.messages[0]


def test_the_title_is_cut_into_words_and_the_year_stays_whole():
    words = title_words(TITLE)
    assert "".join(words) == TITLE
    assert "2025年度" in words and "督查激励" in words and "通报" in words


@pytest.mark.parametrize("max_chars", [12, 16, 18, 20, 24])
def test_the_title_breaks_only_between_words_into_lines_of_nearly_equal_width(max_chars):
    lines = title_lines(TITLE, max_chars=max_chars)
    words = title_words(TITLE)
    boundaries = {sum(len(w) for w in words[:i]) for i in range(len(words) + 1)}

    assert "".join(lines) == TITLE and len(lines) >= 2
    offset = 0
    for line in lines:
        assert text_width(line) <= max_chars
        offset += len(line)
        assert offset in boundaries, (line, lines)  # every break falls between two words
    widths = [text_width(line) for line in lines]
    longest_word = max(text_width(word) for word in words)
    assert max(widths) - min(widths) <= longest_word  # symmetric: no long line over a stub
    assert lines[-1] not in ("报", "通报")


def test_the_old_broken_title_is_not_produced():
    lines = title_lines(TITLE, max_chars=20)
    assert lines == ["广州市人民政府办公厅关于对2025年度", "真抓实干成效明显单位予以督查激励的通报"]
    assert title_lines("短标题", max_chars=20) == ["短标题"]
