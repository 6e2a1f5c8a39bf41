"""The OFD bulletin (reviews/ofd.py) reads WeasyPrint's layout, not only its public API: the pages' page boxes,
the box classes, their positions, sizes and computed styles. pyproject.toml pins WeasyPrint to one major version;
this test fails as soon as an installed WeasyPrint lays these out differently, before a bulletin does."""

import re
import tomllib
from pathlib import Path

import pytest

weasyprint = pytest.importorskip("weasyprint")

from weasyprint.formatting_structure import boxes  # noqa: E402

from reviews import ofd  # noqa: E402

HTML = """<html><head><style>@page { size: A4; margin: 20mm }
body { font-family: "DejaVu Serif"; font-size: 16px; color: #102030 }
div.rule { border-top: 2px solid #cc0000; background: #eeeeee; height: 10px }
b { font-weight: bold }</style></head>
<body><p>Text <b>bold</b></p><div class="rule"></div></body></html>"""


def _document():
    return weasyprint.HTML(string=HTML).render()


def _boxes(box):
    yield box
    for child in ofd._children(box):
        yield from _boxes(child)


def test_weasyprint_is_the_pinned_major_version():
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    pin = next(d for d in pyproject["project"]["dependencies"] if d.startswith("weasyprint"))
    low, high = (int(n) for n in re.fullmatch(r"weasyprint>=(\d+)(?:\.\d+)*,<(\d+)", pin).groups())
    assert high == low + 1, "WeasyPrint is pinned to one major version"
    assert int(weasyprint.__version__.split(".")[0]) == low


def test_the_layout_internals_the_ofd_writer_reads_keep_their_shape():
    document = _document()
    assert document.pages
    page = document.pages[0]
    assert isinstance(page.width, float | int) and isinstance(page.height, float | int)
    page_box = page._page_box
    assert isinstance(page_box, boxes.PageBox)
    found = list(_boxes(page_box))
    texts = [box for box in found if isinstance(box, boxes.TextBox)]
    assert {box.text for box in texts} >= {"bold"}
    for box in texts:
        assert isinstance(box.text, str)
        for name in ("position_x", "position_y", "baseline", "width"):
            assert isinstance(getattr(box, name), float | int), name
        style = box.style
        assert isinstance(style["font_size"], float | int)
        assert isinstance(style["font_family"][0], str)
        assert isinstance(style["font_weight"], int)
        red, green, blue, alpha = style["color"]  # unpacked as ofd._rgb does: RGBA in 0–1
        assert all(0 <= channel <= 1 for channel in (red, green, blue, alpha))
    bold = next(box for box in texts if box.text == "bold")
    assert bold.style["font_weight"] >= 600 and bold.style["font_family"][0] == "DejaVu Serif"
    rule = next(box for box in found if getattr(box, "element_tag", None) == "div")
    for method in ("border_box_x", "border_box_y", "border_width", "border_height"):
        assert isinstance(getattr(rule, method)(), float | int), method
    assert rule.border_top_width > 0 and rule.style["border_top_style"] == "solid"
    assert len(tuple(rule.style["border_top_color"])) == 4 and len(tuple(rule.style["background_color"])) == 4
    assert hasattr(page_box, "children")


def test_the_ofd_writer_reads_a_small_document():
    pages = ofd.pages_from_document(_document())
    assert len(pages) == 1 and round(pages[0].width) == 210 and round(pages[0].height) == 297
    assert "Text" in pages[0].text and "bold" in pages[0].text
    bold = next(text for text in pages[0].texts if text.text == "bold")
    assert bold.font == ("DejaVu Serif", True) and bold.color == (0x10, 0x20, 0x30)
    assert any(rect.color == (0xcc, 0, 0) for rect in pages[0].rects)
    assert any(rect.color == (0xee, 0xee, 0xee) for rect in pages[0].rects)
