"""The bulletin's layout after GB/T 9704-2012, read back from the PDF (pdfplumber), its attachment, and the OFD
file read back by an independent reader (easyofd) with the same text, page by page.

Positions are in millimetres from the page's top. A character's top is the top of its em box, 0.88 em above the
baseline (the ideographic em box of the CJK fonts used); a line (行) is 16 pt × 15/8. The page images (pdftoppm,
60 dpi) are written to $TEST_ARTIFACTS/bulletin/.
"""

import datetime
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pdfplumber
import pytest

from incentives.errors import DomainError
from nominations.models import BEIJING, Cycle
from organisation.models import AuditAction, AuditEntry
from reviews import bulletin_layout as layout
from reviews import bulletins
from reviews import services as review_services
from reviews.models import Bulletin
from reviews.titles import title_words

from .factories import make_awarded_cycle

PT = 25.4 / 72
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")) / "bulletin"
RED = (0.831373, 0.0, 0.0)
# Measure 19 has two categories, each with its own winners; 6 and 3 one each.
AWARDED = {"6": ["番禺区", "越秀区", "海珠区"], "19-1": ["天河区", "荔湾区"], "19-2": ["增城区", "从化区", "花都区"],
           "3": ["白云区", "黄埔区", "南沙区"]}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cycle(db, category):
    return make_awarded_cycle(category, None, awarded=AWARDED, state=Cycle.State.PUBLISHED,
                              published_at=datetime.datetime(2026, 4, 20, 10, tzinfo=BEIJING))


@pytest.fixture
def rendered(cycle, reviewer, django_capture_on_commit_callbacks) -> Bulletin:
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = review_services.bulletin_request(cycle=cycle, actor=reviewer, printed_on=datetime.date(2026, 4, 23))
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DONE, bulletin.error
    return bulletin


def pdf_lines(page) -> list[dict]:
    """The page's text lines: characters of one size on one baseline, with the em box's top and bottom in mm."""
    lines: dict[tuple, list] = {}
    for char in page.chars:
        baseline = page.height - char["matrix"][5]
        lines.setdefault((round(baseline, 1), round(char["size"], 1)), []).append(char)
    result = []
    for (baseline, size), chars in sorted(lines.items()):
        chars.sort(key=lambda c: c["x0"])
        top = (baseline - layout.EM_ABOVE_BASELINE * size) * PT
        result.append({"text": "".join(c["text"] for c in chars), "top": top, "bottom": top + size * PT, "size": size,
                       "x0": chars[0]["x0"] * PT, "x1": chars[-1]["x1"] * PT, "baseline": baseline * PT,
                       "color": chars[0]["non_stroking_color"]})
    return result


def find(lines, text):
    found = [line for line in lines if line["text"] == text]
    assert found, (text, [line["text"] for line in lines])
    return found[0]


def write_page_images(pdf_path: Path) -> list[Path]:
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("bulletin-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf_path), str(ARTIFACTS / "bulletin")], check=True, timeout=60)
    return sorted(ARTIFACTS.glob("bulletin-*.png"))


def test_the_header_stands_where_gb_t_9704_puts_it(rendered):
    images = write_page_images(Path(rendered.file.path))
    with pdfplumber.open(rendered.file.path) as pdf:
        assert len(images) == len(pdf.pages) >= 2
        page = pdf.pages[0]
        assert (round(page.width * PT), round(page.height * PT)) == (210, 297)
        lines = pdf_lines(page)
        mark = find(lines, "广州市人民政府办公厅文件")
        number = find(lines, "穗府办〔2026〕13号")
        rules = [r for r in page.rects if tuple(round(v, 3) for v in r["non_stroking_color"]) == tuple(round(v, 3) for v in RED)]

    # The mark: red, centred, its top edge 35 mm below the text block's top, i.e. 72 mm from the page's top.
    assert mark["color"] == pytest.approx(RED, abs=0.01)
    assert mark["top"] == pytest.approx(layout.MARGIN_TOP + 35, abs=1.5) and mark["top"] == pytest.approx(72, abs=1.5)
    assert (mark["x0"] + mark["x1"]) / 2 == pytest.approx(28 + 156 / 2, abs=2)
    # The number two lines (2 × 30 pt) under the mark, centred.
    assert layout.LINE == pytest.approx(16 * 15 / 8 * PT)
    assert number["top"] - mark["bottom"] == pytest.approx(2 * layout.LINE, abs=1.0)
    assert (number["x0"] + number["x1"]) / 2 == pytest.approx(28 + 156 / 2, abs=2)
    # The red rule, as wide as the text block, 4 mm under the number.
    assert len(rules) == 1
    rule = rules[0]
    assert rule["top"] * PT - number["bottom"] == pytest.approx(4, abs=0.5)
    assert (rule["x0"] * PT, rule["x1"] * PT) == (pytest.approx(28, abs=0.2), pytest.approx(184, abs=0.2))

    # The title: 2号 (22 pt), two lines under the rule, broken only between words, lines of nearly equal length.
    title = [line for line in lines if line["size"] == 22]
    assert title[0]["top"] - rule["bottom"] * PT == pytest.approx(2 * layout.LINE, abs=1.0)
    full_title = bulletins.bulletin_title(2025)
    assert "".join(line["text"] for line in title) == full_title and len(title) == 2
    words = title_words(full_title)
    boundaries = {len("".join(words[:i])) for i in range(len(words) + 1)}
    offset = 0
    for line in title:
        offset += len(line["text"])
        assert offset in boundaries, line["text"]
    assert abs(len(title[0]["text"]) - len(title[1]["text"])) <= 4
    # The body in 3号 (16 pt) and the addressees flush left, under the title.
    addressees = find(lines, "各区人民政府，市政府各部门、各直属机构：")
    assert addressees["size"] == 16 and addressees["x0"] == pytest.approx(28, abs=0.3)
    assert addressees["top"] > title[-1]["bottom"]


def test_signature_and_date_stand_on_the_page_of_the_last_body_line(rendered):
    context = bulletins.bulletin_context(rendered.cycle)
    with pdfplumber.open(rendered.file.path) as pdf:
        pages = [pdf_lines(page) for page in pdf.pages]
    texts = ["".join(line["text"] for line in lines) for lines in pages]
    last_body = next(i for i, text in enumerate(texts) if "作出新的更大贡献。" in text)
    signed = next(i for i, lines in enumerate(pages) if any(line["text"] == bulletins.ISSUER and line["x0"] > 100 for line in lines))
    dated = next(i for i, lines in enumerate(pages) if any(line["text"] == context.date for line in lines))

    assert signed == dated == last_body
    # Not alone: the page has body text above the signature, and the attachment note is with it.
    lines = pages[signed]
    issuer = next(line for line in lines if line["text"] == bulletins.ISSUER and line["x0"] > 100)
    date = find(lines, context.date)
    body_above = [line for line in lines if line["bottom"] < issuer["top"] and line["size"] == 16]
    assert len(body_above) >= 3
    assert any(line["text"].startswith("附件：") for line in body_above)
    # The date under the issuer, its first character two characters to the right of the issuer's first.
    assert date["top"] > issuer["bottom"] and date["x0"] - issuer["x0"] == pytest.approx(2 * 16 * PT, abs=0.5)
    assert issuer["x1"] == pytest.approx(184 - 2 * 16 * PT, abs=0.5)  # two characters in from the right


@pytest.mark.parametrize("shift", [0, 10, 20, 30, 40, 50, 60, 80])
def test_the_last_paragraph_goes_with_the_signature_wherever_the_page_breaks(cycle, shift):
    """With the first paragraph left out, page 1 has room for most of the ending; pushing the ending down moves
    the page break across the last paragraph, the note of the attachment and the signature. The signature and
    date never stand on a page without the whole last paragraph (the bug: they stood alone on the last page).
    Without ``break-inside: avoid`` on the ending, most of these shifts fail."""
    context = bulletins.bulletin_context(cycle)
    css = f".body > p:first-child {{ display: none; }} .ending {{ margin-top: {shift}mm; }}"
    pdf = bulletins.bulletin_pdf(bulletins.bulletin_html(context, extra_css=css))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [pdf_lines(page) for page in document.pages]
    signed = next(i for i, lines in enumerate(pages) if any(line["text"] == bulletins.ISSUER and line["x0"] > 100 for line in lines))
    text = "".join(line["text"] for line in pages[signed])
    assert "希望受到通报表扬的单位珍惜荣誉" in text and "作出新的更大贡献。" in text, (shift, signed)
    assert context.date in text


def test_the_attachment_lists_every_category_by_measure_in_administrative_order(rendered):
    with pdfplumber.open(rendered.file.path) as pdf:
        pages = [pdf_lines(page) for page in pdf.pages]
    body = "".join(line["text"] for line in pages[0] + pages[1])
    attachment_page = next(i for i, lines in enumerate(pages) if lines and lines[0]["text"] == "附件")
    attachment = "".join(line["text"] for lines in pages[attachment_page:] for line in lines)

    # A short body: the year, the count, and a reference to the attachment; the units only in the attachment.
    assert "2025年度" in body and "11个（次）单位" in body and "（名单见附件）" in body
    assert "广州市天河区" not in body
    assert bulletins.attachment_title(2025) in attachment
    # Measure 19's two categories are both listed, each with its own winners and support, in order.
    river = attachment.index("（一）河长制湖长制工作推进力度大")
    forest = attachment.index("（二）全面推行林长制工作突出")
    assert river < attachment.index("广州市荔湾区、广州市天河区") < forest < attachment.index("广州市花都区、广州市从化区、广州市增城区")
    # Each category's own support, in the notice's words: 19 says only "予以激励支持", each under its own rules.
    assert "激励支持：根据《广州市全面推行河湖长制工作考核办法》予以激励支持。" in attachment
    assert "激励支持：根据《广州市林长制工作考核办法（试行）》予以激励支持。" in attachment
    assert "在相关资金安排上予以倾斜支持" not in attachment[river:]
    # Administrative-division order, not slot order.
    assert "广州市越秀区、广州市海珠区、广州市番禺区" in attachment
    assert attachment.index("一、") < attachment.index("二、") < attachment.index("三、")


def test_the_closing_block_has_the_disclosure_copies_and_its_own_printing_date(rendered):
    with pdfplumber.open(rendered.file.path) as pdf:
        pages = [pdf_lines(page) for page in pdf.pages]
    last = pages[-1]
    text = "".join(line["text"] for line in last)
    assert "公开方式：主动公开" in text and "抄送：" in text
    assert "广州市人民政府办公厅秘书处" in text and "2026年4月23日印发" in text
    assert "2026年4月20日" in "".join(line["text"] for lines in pages for line in lines)  # the signing date differs
    assert rendered.printed_on == datetime.date(2026, 4, 23)
    # Page numbers in 4号 (14 pt) with a dash each side, the dashes 7 mm under the text block.
    for number, lines in enumerate(pages, start=1):
        folio = next(line for line in lines if "".join(line["text"].split()) == f"—{number}—")
        assert folio["size"] == 14 and folio["top"] + 14 * PT / 2 == pytest.approx(37 + 225 + 7, abs=0.3)


def test_the_printing_date_is_the_cycles_else_the_signing_date(cycle, reviewer, django_capture_on_commit_callbacks):
    context = bulletins.bulletin_context(cycle)
    assert context.printed_on == context.date == "2026年4月20日"  # the date of publication, not of rendering
    with pytest.raises(DomainError, match="published"):
        bulletins.bulletin_printing_date_set(actor=reviewer, cycle=cycle, day=datetime.date(2026, 4, 22))
    Cycle.objects.filter(pk=cycle.pk).update(state=Cycle.State.REVIEW)
    cycle.refresh_from_db()
    bulletins.bulletin_printing_date_set(actor=reviewer, cycle=cycle, day=datetime.date(2026, 4, 22))
    cycle.refresh_from_db()
    assert bulletins.cycle_printing_date(cycle) == datetime.date(2026, 4, 22)
    assert bulletins.bulletin_context(cycle).printed_on == "2026年4月22日"
    assert AuditEntry.objects.filter(action=AuditAction.BULLETIN_PRINTING_DATE_CHANGED).count() == 1


def ofd_pages_read_back(data: bytes) -> list[str]:
    """The text of each page of an OFD file as easyofd (an independent reader from PyPI) reads it."""
    from easyofd.ofd import OFD

    reader = OFD()
    reader.read(data, fmt="binary")
    document = reader.data[0]
    return ["".join(item["text"] for item in document["page_info"][index]["text_list"])
            for index in sorted(document["page_info"])]


def test_the_ofd_has_the_pdf_text_page_by_page_with_embedded_fonts(rendered):
    data = Path(rendered.ofd_file.path).read_bytes()
    with pdfplumber.open(rendered.file.path) as pdf:
        pdf_pages = ["".join(page.extract_text().split()) for page in pdf.pages]

    ofd_pages = ofd_pages_read_back(data)

    assert ["".join(text.split()) for text in ofd_pages] == pdf_pages
    assert "广州市人民政府办公厅文件" in ofd_pages[0] and "穗府办〔2026〕13号" in ofd_pages[0]
    # The package: OFD.xml, the document, its fonts embedded as files, one Content.xml per page.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"OFD.xml", "Doc_0/Document.xml", "Doc_0/PublicRes.xml"} <= names
        assert {f"Doc_0/Pages/Page_{i}/Content.xml" for i in range(len(pdf_pages))} <= names
        ns = {"ofd": "http://www.ofdspec.org/2016"}
        fonts = ET.fromstring(archive.read("Doc_0/PublicRes.xml")).findall(".//ofd:Font", ns)
        families = {font.get("FamilyName") for font in fonts}
        assert {"Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UKai CN"} <= families
        for font in fonts:
            content = archive.read(f"Doc_0/Res/{font.find('ofd:FontFile', ns).text}")
            assert content[:4] in (b"OTTO", b"\x00\x01\x00\x00") and len(content) < 1_000_000  # a subset
        root = ET.fromstring(archive.read("OFD.xml"))
        assert root.find(".//ofd:DocRoot", ns).text == "Doc_0/Document.xml"
        assert root.find(".//ofd:Title", ns).text == bulletins.bulletin_title(2025)


def test_the_ofd_places_the_text_where_the_pdf_has_it(rendered):
    with zipfile.ZipFile(rendered.ofd_file.path) as archive:
        first = ET.fromstring(archive.read("Doc_0/Pages/Page_0/Content.xml"))
    ns = {"ofd": "http://www.ofdspec.org/2016"}
    placed = {}
    for text_object in first.iterfind(".//ofd:TextObject", ns):
        x, y, _w, _h = map(float, text_object.get("Boundary").split())
        placed[text_object.find("ofd:TextCode", ns).text] = (x, y, float(text_object.get("Size")))
    with pdfplumber.open(rendered.file.path) as pdf:
        lines = pdf_lines(pdf.pages[0])

    for text in ("广州市人民政府办公厅文件", "穗府办〔2026〕13号", "各区人民政府，市政府各部门、各直属机构："):
        line = find(lines, text)
        x, y, size = placed[text]
        assert (x, y) == (pytest.approx(line["x0"], abs=0.3), pytest.approx(line["top"], abs=0.3))
        assert size == pytest.approx(line["size"] * PT, abs=0.01)
    red = [p for p in first.iterfind(".//ofd:PathObject", ns) if p.find("ofd:FillColor", ns).get("Value") == "212 0 0"]
    assert len(red) == 1 and float(red[0].get("Boundary").split()[2]) == pytest.approx(156, abs=0.1)


def test_the_ofd_is_downloaded_beside_the_pdf(client, rendered):
    page = client.get(f"/results/{rendered.cycle.year}/").content.decode()
    pdf_url, ofd_url = f"/bulletins/v/{rendered.pk}/download/", f"/bulletins/v/{rendered.pk}/download/ofd/"
    assert pdf_url in page and ofd_url in page

    response = client.get(ofd_url)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "application/ofd"
    assert body.startswith(b"PK") and response["X-Content-SHA256"] == rendered.ofd_sha256
    assert client.get(f"/bulletins/v/{rendered.pk}/status.json").json()["ofd_download_url"] == ofd_url


def test_a_version_without_an_ofd_file_answers_404_for_it(client, cycle, reviewer):
    old = Bulletin.objects.create(cycle=cycle, version=1, status=Bulletin.Status.DONE, requested_by=reviewer)
    old.file.save("old.pdf", io.BytesIO(b"%PDF-1.4"), save=True)
    client.force_login(reviewer)
    assert client.get(f"/bulletins/v/{old.pk}/download/").status_code == 200
    assert client.get(f"/bulletins/v/{old.pk}/download/ofd/").status_code == 404


def test_a_printing_date_that_is_not_a_date_is_refused(cycle, reviewer):
    from incentives.errors import DomainError

    with pytest.raises(DomainError, match="printing date"):
        review_services.bulletin_request(cycle=cycle, actor=reviewer, printed_on="2026-04-23")
    assert not Bulletin.objects.exists()


# --- the grid of GB/T 9704-2012 on bulletins of 1, 11 and 40 pages of text ---------------------------------------
#
# Built from the catalogue's own words (fixtures/catalogue_2022.json, half-width punctuation as the notice's web text
# has it), without a database, and rendered once per module: rendering is the slow part.

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COPIES_TO = ("市委各部委办局，市人大常委会办公厅，市政协办公厅，市纪委监委，广州警备区，市法院，市检察院，各民主党派，"
             "市工商联，各人民团体，各新闻单位。")
HALF_WIDTH = set(",;():")


def _catalogue_rows(passes: int, units_per_category: int) -> list:
    import json

    data = json.loads((FIXTURES / "catalogue_2022.json").read_text(encoding="utf-8"))
    measures = {o["pk"]: o["fields"] for o in data if o["model"] == "measures.measure"}
    districts = [o["fields"]["full_name"] or o["fields"]["name"]
                 for o in json.loads((FIXTURES / "organisation.json").read_text(encoding="utf-8"))
                 if o["model"] == "organisation.unit" and o["fields"]["kind"] == "district"]
    rows = []
    for index in range(passes):
        for o in (o for o in data if o["model"] == "measures.incentivecategory"):
            fields, measure = o["fields"], measures[o["fields"]["measure"]]
            for unit in range(units_per_category):
                rows.append(bulletins.BulletinRow(
                    measure_number=measure["number"] + 32 * index, measure_title=measure["title"],
                    support=fields["support_text"], category_key=o["pk"], category_name=fields["name"],
                    unit_name=districts[unit % len(districts)], description=fields["description"],
                    forms=tuple(fields["support_forms"])))
    return rows


def _grid_context(passes: int, units_per_category: int, categories: int | None) -> bulletins.BulletinContext:
    rows = _catalogue_rows(passes, units_per_category)
    if categories is not None:
        rows = rows[:categories * units_per_category]
    return bulletins.BulletinContext(
        year=2025, number="穗府办〔2026〕13号", title=bulletins.bulletin_title(2025), date="2026年4月20日",
        policy_title="广州市人民政府办公厅关于新形势下对真抓实干成效明显单位进一步加强督查激励的通知",
        policy_number="穗府办〔2022〕30号", sections=bulletins.build_sections(rows), awardee_count=len(rows),
        commended_count=sum(1 for row in rows if "commendation" in row.forms),
        other_support=any(set(row.forms) - {"commendation"} for row in rows),
        copies_to=COPIES_TO, printed_on="2026年4月23日")


# Pages of the attachment (the list of awardees) → (catalogue passes, awardees per category, categories or all).
GRID_SIZES = {1: (1, 2, 2), 11: (1, 2, None), 40: (3, 8, None)}


@pytest.fixture(scope="module")
def grid_bulletins() -> dict:
    rendered = {}
    for size in GRID_SIZES:
        context = _grid_context(*GRID_SIZES[size])
        files = bulletins.bulletin_files(context)
        with pdfplumber.open(io.BytesIO(files.pdf)) as pdf:
            pages = [pdf_lines(page) for page in pdf.pages]
            rects = [[r for r in page.rects if r["non_stroking_color"] in ((0,), (0, 0, 0), [0], 0)] for page in pdf.pages]
            texts = ["".join(page.extract_text().split()) for page in pdf.pages]
        rendered[size] = {"context": context, "pages": pages, "rects": rects, "texts": texts, "files": files}
    return rendered


def _width(text: str) -> float:
    """A line's length in characters of the grid: ASCII (digits of a year, 5G) is half a character wide."""
    return sum(0.5 if ord(c) < 128 else 1 for c in text)


@pytest.mark.parametrize("size", sorted(GRID_SIZES))
def test_the_grid_holds_on_every_page(grid_bulletins, size):
    rendered = grid_bulletins[size]
    pages, rects, context = rendered["pages"], rendered["rects"], rendered["context"]
    attachment = next(i for i, lines in enumerate(pages) if lines and lines[0]["text"] == "附件")
    text = [i for i, lines in enumerate(pages) if any(line["size"] == 16 and line["text"] != "公开方式：主动公开"
                                                      for line in lines)]
    assert text[-1] - attachment + 1 == pytest.approx(size, abs=2 if size > 1 else 0), (attachment, text[-1])

    # 28 characters a line: every body line (3号) stays in the 156 mm block, the full ones hold 28, none more;
    # a full line's characters stand 156/28 mm apart.
    body = [line for lines in pages for line in lines if line["size"] == 16]
    assert all(28 - 0.05 <= line["x0"] and line["x1"] <= 184 + 0.1 for line in body)
    widths = [_width(line["text"]) for line in body]
    assert max(widths) == 28 and widths.count(28) >= (5 if size == 1 else 20)
    assert all(width <= 28 for width in widths)
    full = next(line for line in body if len(line["text"]) == 28)
    assert (full["x1"] - full["x0"]) == pytest.approx(156, abs=0.3)

    # Page numbers: 4号 with a dash each side, the dashes (the middle of the em box) 7 mm under the block; odd
    # pages right, even pages left, one character in. Only a blank page before the closing block and that page
    # after it go without.
    numbered = 0
    for number, lines in enumerate(pages, start=1):
        folios = [line for line in lines if line["size"] == 14 and "".join(line["text"].split()) == f"—{number}—"]
        if not folios:
            assert number == len(pages) and context.closing_placement == "after-blank"
            continue
        folio = folios[0]
        numbered += 1
        assert folio["top"] + 14 * PT / 2 == pytest.approx(37 + 225 + 7, abs=0.3)
        if number % 2:
            assert folio["x1"] == pytest.approx(184 - 14 * PT, abs=0.5)
        else:
            assert folio["x0"] == pytest.approx(28 + 14 * PT, abs=0.5)
    assert numbered >= len(pages) - 2

    # The closing block (版记) on the last page, an even one; its rules as wide as the block, the last on the
    # block's bottom edge (262 mm from the page's top); 抄送 one character in, a second line under its first name.
    assert len(pages) % 2 == 0
    last = pages[-1]
    rules = sorted(rects[-1], key=lambda r: r["bottom"])
    assert rules and rules[-1]["bottom"] * PT == pytest.approx(37 + 225, abs=0.15)
    assert all((r["x0"] * PT, r["x1"] * PT) == (pytest.approx(28, abs=0.2), pytest.approx(184, abs=0.2)) for r in rules)
    copies = [line for line in last if line["size"] == 14 and line["top"] < 262 and not line["text"].startswith("—")]
    first = next(line for line in copies if line["text"].startswith("抄送："))
    wrapped = [line for line in copies if line["top"] > first["top"] and "印发" not in line["text"]]
    assert first["x0"] == pytest.approx(28 + 14 * PT, abs=0.3)
    assert wrapped and all(line["x0"] == pytest.approx(first["x0"] + 3 * 14 * PT, abs=0.3) for line in wrapped)
    printing = next(line for line in last if line["text"].endswith("2026年4月23日印发"))
    assert printing["bottom"] < 262 and not any(line["size"] == 16 and line["top"] > 262 for line in last)

    # Printed text: full-width punctuation only, though the catalogue's words carry half-width , ; ( ) :.
    printed = "".join(rendered["texts"])
    assert not HALF_WIDTH & set(printed), sorted(HALF_WIDTH & set(printed))
    if size > 1:
        assert "，" in printed and "（试行）" in printed
    # The OFD has the same text, page by page.
    assert ["".join(page.text.split()) for page in rendered["files"].pages] == rendered["texts"]


def test_the_body_says_what_each_awardee_receives():
    def context(forms_per_awardee):
        rows = [bulletins.BulletinRow(measure_number=1, measure_title="甲", support="予以支持", category_key=1,
                                      category_name="区", unit_name=f"单位{i}", forms=tuple(forms))
                for i, forms in enumerate(forms_per_awardee)]
        return bulletins.BulletinContext(
            year=2025, number="穗府办〔2026〕13号", title="通报", date="2026年4月20日", policy_title="通知",
            policy_number="穗府办〔2022〕30号", sections=bulletins.build_sections(rows), awardee_count=len(rows),
            commended_count=sum(1 for forms in forms_per_awardee if "commendation" in forms),
            other_support=any(set(forms) - {"commendation"} for forms in forms_per_awardee))

    assert context([["commendation"], ["commendation"]]).award_sentence == "2个（次）单位予以通报表扬"
    assert (context([["commendation", "funding"], ["commendation"]]).award_sentence
            == "2个（次）单位予以通报表扬，并给予相应督查激励支持")
    mixed = context([["commendation"], ["funding"], ["bonus_points"]])
    assert mixed.award_sentence == "3个（次）单位给予相应督查激励支持，其中对1个（次）单位予以通报表扬"
    none = context([["funding"], ["land_quota"]])
    assert none.award_sentence == "2个（次）单位给予相应督查激励支持" and "通报表扬" not in none.closing_words
    html = bulletins.bulletin_html(none)
    assert "通报表扬" not in html.split("<body>")[1]
