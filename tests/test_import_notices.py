"""The notice reader: notices of other governments in every layout, Word documents, encodings, bad input, and a
dry run that predicts the real run."""

import codecs
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from measures.importing.clauses import parse_clause
from measures.importing.names import BureauMatcher
from measures.importing.notice_plan import plan_notice_text
from measures.importing.plan import new_document_fields
from measures.importing.reading import ImportFileError
from measures.importing.services import catalogue_import
from measures.importing.text import decode_text, notice_source_from_bytes
from measures.models import IncentiveCategory, Measure, PolicyDocument
from organisation.models import Bureau, UnitKind

from .notice_data import (
    DATA,
    PROVINCIAL,
    PROVINCIAL_BUREAUS,
    PROVINCIAL_EXPECTED,
    bureaus,
    catalogue_state,
    check_provincial,
    expected_state_council_roles,
    measure_roles,
    plan_roles,
    state_council_notice,
    state_council_rows,
)

pytestmark = pytest.mark.django_db

ROOT = DATA.parent.parent
SEED = "穗府办〔2022〕30号"


# --- the State Council notice -----------------------------------------------------------------------------


def test_state_council_notice_imports_every_measure_with_its_national_departments(administrator):
    rows = state_council_rows()
    national = bureaus(sorted({n for r in rows for n in r["responsible_department"].removesuffix("会同有关部门").split("、")}))
    matcher = BureauMatcher(national)
    plan = plan_notice_text(state_council_notice(), new_document=new_document_fields(number="国办发〔2018〕117号"),
                            matcher=matcher)
    assert plan.is_valid, plan.all_errors
    assert plan.counts()["new"] == 30 and not plan.unknown_bureaus
    assert set(plan.new_kinds) == {"province", "prefecture", "county"}
    before = Bureau.objects.count()
    document = catalogue_import(actor=administrator, plan=plan)
    assert Bureau.objects.count() == before  # no Guangzhou bureau and no new one
    measures = {m.number: m for m in Measure.objects.filter(document=document)}
    assert sorted(measures) == list(range(1, 31))
    for row in rows:
        measure = measures[int(row["number"])]
        assert measure_roles(measure) == [expected_state_council_roles(row["responsible_department"])], row["number"]
    assert list(measures[2].subject_kinds.values_list("code", flat=True)) == ["province"]
    assert sorted(measures[1].subject_kinds.values_list("code", flat=True)) == ["county", "prefecture"]
    assert list(measures[18].categories.get().subject_kinds.values_list("code", flat=True)) == ["prefecture"]
    assert UnitKind.objects.get(code="province").name == "省(区、市)"


def test_a_name_binds_only_to_the_matchers_bureaus_and_suggestions_come_from_them():
    provincial = bureaus(PROVINCIAL_BUREAUS)
    matcher = BureauMatcher(provincial)
    assert matcher.levels == ["省"]
    assert matcher.match("财政厅") == Bureau.objects.get(short_name="省财政厅")  # a second name without its prefix
    assert matcher.match("市财政局") is None and matcher.match("市水务局") is None  # Guangzhou's bureaus are not here
    assert matcher.suggestions("省发改委") == ["省发展改革委"]
    guangzhou = BureauMatcher(Bureau.objects.filter(short_name__startswith="市"))
    assert guangzhou.match("省发展改革委") is None  # another government's bureau binds to none of a city's
    assert guangzhou.match("发展改革委") == Bureau.objects.get(short_name="市发展改革委")
    assert guangzhou.places == ["广州市"] and guangzhou.match("广州水务局") == Bureau.objects.get(short_name="市水务局")
    assert guangzhou.match("深圳市财政局") is None
    plan = plan_notice_text("一、对甲的区予以支持。（省发改委负责）", new_document=new_document_fields(number="X-20"), matcher=matcher)
    assert plan.unknown_bureaus == {"省发改委": ["省发展改革委"]}
    assert "省发展改革委" in plan.all_errors[0].message and "市发展改革委" not in plan.all_errors[0].message


# --- provincial layouts -----------------------------------------------------------------------------------


def test_provincial_notice_in_every_layout(administrator):
    matcher = BureauMatcher(bureaus(PROVINCIAL_BUREAUS))
    plan = plan_notice_text(PROVINCIAL, new_document=new_document_fields(number="某政办发〔2024〕1号"), matcher=matcher)
    check_provincial(plan)
    specs = {spec.number: spec for spec in plan.measures}
    assert specs[1].clause == "牵头单位：省政府办公厅、省发展改革委；配合单位：省统计局及省直有关部门"  # generic words kept
    assert specs[5].text.endswith("（省商务厅负责，该激励措施暂定实施1年）。")  # the remark stays in the text
    assert specs[6].text.startswith("对乡村振兴战略实施成效明显的县市区") and specs[6].clause == "省发展改革委负责"  # 負責
    assert specs[7].text.startswith("对耕地保护") and "闲置土地处置率高" in specs[7].text  # over several lines
    assert not any("组织实施" in spec.text or "实施办法" in spec.text for spec in plan.measures)  # closing kept out
    assert [c.code for c in specs[8].categories] == ["8-1", "8-2"]
    assert plan.new_document["issuer"] == "某省人民政府办公厅" and plan.new_document["issued_on"] == "2024-03-01"
    document = catalogue_import(actor=administrator, plan=plan)
    imported = {m.number: m for m in Measure.objects.filter(document=document)}
    for number, (categories, kinds) in PROVINCIAL_EXPECTED.items():
        assert measure_roles(imported[number]) == categories, number
        assert list(imported[number].categories.first().subject_kinds.values_list("code", flat=True)) == kinds


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_other_encodings_are_detected_and_read_the_same(encoding):
    matcher = BureauMatcher(bureaus(PROVINCIAL_BUREAUS))
    data = PROVINCIAL.encode(encoding)  # "utf-16" writes a BOM; "-le"/"-be" do not
    assert decode_text(data) == PROVINCIAL
    plan = plan_notice_text(notice_source_from_bytes(data, filename="notice.txt"),
                            new_document=new_document_fields(number="X-21"), matcher=matcher)
    check_provincial(plan)


def test_a_whole_notice_in_traditional_characters():
    matcher = BureauMatcher(bureaus(PROVINCIAL_BUREAUS))
    import opencc

    traditional = opencc.OpenCC("s2t").convert(PROVINCIAL)
    assert "負責" in traditional and "牽頭單位" in traditional
    check_provincial(plan_notice_text(traditional, new_document=new_document_fields(number="X-22"), matcher=matcher))


@pytest.mark.parametrize("clause, expected", [
    ("牵头单位：省政府办公厅、省发展改革委；配合单位：省统计局及省直有关部门",
     [[("省政府办公厅", "joint"), ("省发展改革委", "joint"), ("省统计局", "co")]]),
    ("责任单位：省财政厅", [[("省财政厅", "lead")]]),
    ("责任单位：省财政厅、省税务局", [[("省财政厅", "joint"), ("省税务局", "joint")]]),
    ("省科技厅牵头，省财政厅、省教育厅配合", [[("省科技厅", "lead"), ("省财政厅", "co"), ("省教育厅", "co")]]),
    ("由省商务厅负责，省海关配合", [[("省商务厅", "lead"), ("省海关", "co")]]),
    ("牵头部门：市发展改革委 配合部门：市财政局", [[("市发展改革委", "lead"), ("市财政局", "co")]]),
    ("省民政厅和省财政厅共同负责", [[("省民政厅", "joint"), ("省财政厅", "joint")]]),
    ("省人力资源和社会保障厅负责", [[("省人力资源和社会保障厅", "lead")]]),
    ("省卫生健康委等部门负责", [[("省卫生健康委", "lead")]]),
    ("牽頭單位：省發展改革委；配合單位：省財政廳", [[("省发展改革委", "lead"), ("省财政厅", "co")]]),
])
def test_clause_forms(clause, expected):
    assert parse_clause(clause).categories == expected


def test_generic_phrases_are_kept_in_the_clause_but_are_not_bureaus():
    parsed = parse_clause("牵头单位：省统计局及省直有关部门；配合单位：各有关单位")
    assert parsed.categories == [[("省统计局", "lead")]]
    assert parsed.generic == ["省直有关部门", "各有关单位"]
    assert "省直有关部门" in parsed.clause


# --- Word documents ---------------------------------------------------------------------------------------

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(body: str, *, numbering: str = "", styles: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", f"<w:document {W_NS}><w:body>{body}</w:body></w:document>")
        if numbering:
            archive.writestr("word/numbering.xml", f"<w:numbering {W_NS}>{numbering}</w:numbering>")
        if styles:
            archive.writestr("word/styles.xml", f"<w:styles {W_NS}>{styles}</w:styles>")
    return buffer.getvalue()


def paragraph(text: str, *, num_id: str | None = None, level: int = 0, style: str | None = None) -> str:
    properties = ""
    if style:
        properties += f'<w:pStyle w:val="{style}"/>'
    if num_id:
        properties += f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
    runs = "".join(f"<w:r><w:t>{part}</w:t></w:r>" for part in text.split("|"))
    return f"<w:p><w:pPr>{properties}</w:pPr>{runs}</w:p>"


NUMBERING = """
<w:abstractNum w:abstractNumId="0">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="1">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
"""
STYLES = """
<w:style w:type="paragraph" w:styleId="MeasureBase"><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Measure"><w:basedOn w:val="MeasureBase"/></w:style>
"""


def numbered_docx() -> bytes:
    """Sections 一、二、 and measures （一）（二）… numbered by Word (in the paragraph, or by the paragraph's style),
    a measure over two paragraphs, a clause on a paragraph of its own, and a list 1. 2. in the closing section."""
    body = "".join([
        paragraph("各市州人民政府："),
        paragraph("激励措施", num_id="1", level=0),
        paragraph("对落实重大政策措施成效明显的市州，|在省级预算内投资安排上予以倾斜支持。（省发展改革委负责）", num_id="1", level=1),
        paragraph("对财政管理工作完成情况好的县市区，", num_id="1", level=1),
        paragraph("省财政给予资金奖励。"),
        paragraph("牵头单位：省财政厅；配合单位：省税务局"),
        paragraph("对科技创新成效明显的开发区，优先支持申报国家级创新平台。（省科技厅牵头，省财政厅配合）", style="Measure"),
        paragraph("组织实施", num_id="1", level=0),
        paragraph("各牵头单位要制定实施办法。", num_id="2"),
        paragraph("每年3月底前报送名单。", num_id="2"),
    ])
    return docx(body, numbering=NUMBERING, styles=STYLES)


def test_word_automatic_numbering_is_counted_from_numbering_xml():
    source = notice_source_from_bytes(numbered_docx(), filename="notice.docx")
    texts = [line.text for line in source.lines]
    assert texts[1] == "一、激励措施" and texts[2].startswith("（一）对落实")
    assert texts[3].startswith("（二）对财政") and texts[6].startswith("（三）对科技")  # the style's numbering counts too
    assert texts[7] == "二、组织实施" and texts[8].startswith("1.") and texts[9].startswith("2.")
    assert source.lines[3].where == "paragraph 4"


def test_word_document_with_automatic_numbering_imports_each_measure():
    matcher = BureauMatcher(bureaus(["省发展改革委", "省财政厅", "省税务局", "省科技厅"]))
    plan = plan_notice_text(notice_source_from_bytes(numbered_docx(), filename="notice.docx"),
                            new_document=new_document_fields(number="X-23"), matcher=matcher)
    assert plan.is_valid, plan.all_errors
    assert [(spec.number, plan_roles(spec)) for spec in plan.measures] == [
        (1, [[("省发展改革委", "lead")]]),
        (2, [[("省财政厅", "lead"), ("省税务局", "co")]]),
        (3, [[("省科技厅", "lead"), ("省财政厅", "co")]]),
    ]
    assert plan.measures[1].text == "对财政管理工作完成情况好的县市区，省财政给予资金奖励。牵头单位：省财政厅；配合单位：省税务局"
    assert [spec.categories[0].subject_kinds for spec in plan.measures] == [["prefecture"], ["county"], ["development_zone"]]


def test_word_table_of_measures_built_with_python_docx():
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph("某省督查激励措施")
    table = document.add_table(rows=1, cols=5)
    for cell, header in zip(table.rows[0].cells, ["序号", "激励措施", "牵 头 单 位", "配合单位", "备注"], strict=True):
        cell.text = header
    for row in [("1", "对营商环境优化成效明显的市州，予以通报表扬", "省发展改革委", "省财政厅、省直有关部门", "每年"),
                ("2", "对乡村振兴成效明显的县（市、区），在资金分配上予以倾斜", "省农业农村厅", "", ""),
                ("3", "对园区高质量发展成效明显的产业园区，优先支持", "省工业和信息化厅、省商务厅", "", "")]:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.add_paragraph("各地要认真组织实施。")
    buffer = io.BytesIO()
    document.save(buffer)
    matcher = BureauMatcher(bureaus(["省发展改革委", "省财政厅", "省农业农村厅", "省工业和信息化厅", "省商务厅"]))
    source = notice_source_from_bytes(buffer.getvalue(), filename="table.docx")
    assert source.lines[1].where == "table 1, row 2"
    plan = plan_notice_text(source, new_document=new_document_fields(number="X-24"), matcher=matcher)
    assert plan.is_valid, plan.all_errors
    assert [plan_roles(spec) for spec in plan.measures] == [
        [[("省发展改革委", "lead"), ("省财政厅", "co")]],
        [[("省农业农村厅", "lead")]],
        [[("省工业和信息化厅", "joint"), ("省商务厅", "joint")]],
    ]
    assert plan.measures[0].clause == "牵头单位：省发展改革委；配合单位：省财政厅、省直有关部门"
    assert [spec.categories[0].subject_kinds for spec in plan.measures] == [["prefecture"], ["county"], ["park"]]


# --- bad input: a clear message naming the place, nothing written --------------------------------------------


def test_a_notice_without_measures_is_refused():
    plan = plan_notice_text("关于督查激励的通知\n\n请各单位认真贯彻落实。\n", new_document=new_document_fields(number="X-25"))
    assert not plan.is_valid and "No numbered measures" in plan.all_errors[0].message


def test_a_clause_naming_no_department_names_the_line():
    text = "一、对甲的区予以支持。（市水务局负责）\n\n二、对乙的区予以支持。（有关部门负责）\n"
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-26"))
    (error,) = plan.all_errors
    assert error.row == 3 and error.message.startswith("line 3: ") and "names no department" in error.message
    assert "有关部门 is not a bureau" in error.message


def test_a_measure_without_a_clause_names_its_paragraph():
    data = docx(paragraph("一、对甲的区予以支持。（市水务局负责）") + paragraph("二、对乙的区予以支持。"))
    plan = plan_notice_text(notice_source_from_bytes(data, filename="n.docx"), new_document=new_document_fields(number="X-27"))
    (error,) = plan.all_errors
    assert error.message.startswith("paragraph 2: measure 2 has no responsibility clause")


def test_undecodable_text_names_the_line():
    data = "一、对甲的区予以支持。\n二、".encode() + b"\xff\xfe\xfd\x80\x80" + "（市水务局负责）".encode()
    with pytest.raises(ImportFileError, match="Line 2 cannot be read"):
        notice_source_from_bytes(data, filename="n.txt")


def test_a_zip_of_something_else_and_a_fake_docx_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ImportFileError, match="not a Word document.*xl/workbook.xml"):
        notice_source_from_bytes(buffer.getvalue(), filename="notice.docx")
    with pytest.raises(ImportFileError, match="named like a Word document"):
        notice_source_from_bytes("一、对甲的区予以支持。（市水务局负责）".encode(), filename="notice.docx")
    with pytest.raises(ImportFileError, match="damaged"):
        notice_source_from_bytes(b"PK\x03\x04" + b"\x00" * 50, filename="notice.docx")


def test_bad_input_through_the_command_writes_nothing(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "一、对乙的区予以支持。（有关部门负责）".encode("utf-16-le"))
    before = catalogue_state()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_notice", str(path), "--number", "X-28", stdout=out)
    assert "line 1: the clause “有关部门负责” of measure 1 names no department" in out.getvalue()
    assert catalogue_state() == before and not PolicyDocument.objects.filter(number="X-28").exists()


# --- the dry run predicts the real run ----------------------------------------------------------------------


def seed_notice_file(tmp_path) -> Path:
    path = tmp_path / "notice.txt"
    path.write_text((ROOT / "fixtures" / "guangzhou-2022-notice.txt").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_reimporting_the_seed_into_its_own_document_is_refused_by_the_dry_run(tmp_path):
    path = seed_notice_file(tmp_path)
    out = io.StringIO()
    before = catalogue_state()
    with pytest.raises(CommandError):
        call_command("import_notice", str(path), "--document", SEED, "--dry-run", stdout=out)
    assert "Category 16 would take position 1 of measure 16, held by category 16-1" in out.getvalue()
    with pytest.raises(CommandError):  # the real run refuses the same way, before writing
        call_command("import_notice", str(path), "--document", SEED, stdout=io.StringIO())
    assert catalogue_state() == before


def test_reimporting_the_seed_with_its_own_categories_changes_nothing_in_the_dry_run_and_the_real_run(tmp_path):
    path = seed_notice_file(tmp_path)
    out = io.StringIO()
    before = catalogue_state()
    call_command("import_notice", str(path), "--document", SEED, "--categories-from", SEED, "--dry-run", stdout=out)
    assert "Rows: 0 new, 0 changed, 32 unchanged, 0 invalid" in out.getvalue()
    out = io.StringIO()
    call_command("import_notice", str(path), "--document", SEED, "--categories-from", SEED, stdout=out)
    assert "Rows: 0 new, 0 changed, 32 unchanged, 0 invalid" in out.getvalue()
    assert catalogue_state() == before


def test_what_the_database_would_refuse_is_a_row_error_of_the_dry_run(administrator):
    long_clause = "、".join(f"市第{i}局" for i in range(60)) + "负责"
    text = ("一、对甲的区予以支持。（市财政局会财政局负责）\n\n"
            f"二、对乙的区予以支持。（{long_clause}）\n\n"
            "三、对丙的区予以支持。（市水务局负责）\n")
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-29"), create_bureaus=True)
    errors = {error.row: error.message for error in plan.all_errors}
    assert "市财政局 is named twice for category 1" in errors[1]
    assert "at most 255 are stored" in errors[3]
    assert plan.counts() == {"new": 1, "changed": 0, "unchanged": 0, "invalid": 2}
    before = catalogue_state()
    with pytest.raises(Exception):  # noqa: B017 - DomainError: the plan has errors
        catalogue_import(actor=administrator, plan=plan)
    assert catalogue_state() == before


def test_a_bureau_outside_the_matcher_cannot_be_created_again():
    matcher = BureauMatcher(bureaus(["省财政厅"]))
    plan = plan_notice_text("一、对甲的市州予以支持。（省财政厅会市水务局负责）", new_document=new_document_fields(number="X-30"),
                            matcher=matcher, create_bureaus=True)
    assert not plan.is_valid
    assert "exists but not among the bureaus this import may use" in plan.all_errors[0].message
    assert not IncentiveCategory.objects.filter(measure__document__number="X-30").exists()


def test_merged_cells_of_a_table_carry_their_text_to_each_row():
    def cell(text, *, merge=None, span=None):
        properties = (f'<w:gridSpan w:val="{span}"/>' if span else "") + (
            f'<w:vMerge w:val="{merge}"/>' if merge == "restart" else "<w:vMerge/>" if merge else "")
        return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    rows = [
        [cell("序号"), cell("激励对象"), cell("激励内容"), cell("责任单位")],
        [cell("一"), cell("对科技创新成效明显的开发区"), cell("优先支持申报国家级平台"), cell("省科技厅", merge="restart")],
        [cell("二"), cell("对人才工作成效明显的开发区"), cell("给予资金奖励"), cell("", merge="continue")],
        [cell("三"), cell("对成果转化成效明显的园区，予以通报表扬", span=2), cell("省财政厅")],
    ]
    table = "<w:tbl>" + "".join("<w:tr>" + "".join(r) + "</w:tr>" for r in rows) + "</w:tbl>"
    matcher = BureauMatcher(bureaus(["省科技厅", "省财政厅"]))
    source = notice_source_from_bytes(docx(paragraph("某省督查激励措施") + table), filename="t.docx")
    plan = plan_notice_text(source, new_document=new_document_fields(number="X-31"), matcher=matcher)
    assert plan.is_valid, plan.all_errors
    assert [(spec.number, plan_roles(spec)) for spec in plan.measures] == [
        (1, [[("省科技厅", "lead")]]), (2, [[("省科技厅", "lead")]]), (3, [[("省财政厅", "lead")]])]
    assert plan.measures[0].text == "对科技创新成效明显的开发区，优先支持申报国家级平台。（责任单位：省科技厅）"
    assert plan.measures[2].text == "对成果转化成效明显的园区，予以通报表扬。（责任单位：省财政厅）"


def test_the_seed_notices_subjects_are_guessed_as_the_fixture_gives_them():
    from measures.importing.notice import split_notice
    from measures.importing.notice_plan import _body
    from measures.importing.subjects import guess_subject_kinds

    parsed = split_notice((ROOT / "fixtures" / "guangzhou-2022-notice.txt").read_text(encoding="utf-8"))
    fixture = {}
    for category in IncentiveCategory.objects.filter(measure__document__number=SEED).prefetch_related("subject_kinds"):
        fixture.setdefault(int(category.code.split("-")[0]), set()).update(k.code for k in category.subject_kinds.all())
    guessed = {m.number: set(guess_subject_kinds(_body(m.text))) for m in parsed.measures}
    # 26 rewards "单位" that advanced 法治政府 (districts, streets, departments): its words do not say which.
    assert {n: k for n, k in guessed.items() if n != 26} == {n: k for n, k in fixture.items() if n != 26}


def test_the_dry_run_says_which_kinds_of_units_it_will_create(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("一、对营商环境优化的省（区、市），予以通报表扬。（市发展改革委负责）", encoding="utf-8")
    out = io.StringIO()
    call_command("import_notice", str(path), "--number", "X-34", "--dry-run", stdout=out)
    assert "Kind of unit province (省(区、市)): will be created" in out.getvalue()
    assert not UnitKind.objects.filter(code="province").exists()
    call_command("import_notice", str(path), "--number", "X-34", stdout=io.StringIO())
    assert list(Measure.objects.get(document__number="X-34").subject_kinds.values_list("code", flat=True)) == ["province"]


def test_a_date_that_is_not_a_date_is_refused_by_the_dry_run(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("一、对甲的区予以支持。（市水务局负责）", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_notice", str(path), "--number", "X-32", "--issued-on", "2024/3/1", "--dry-run", stdout=out)
    assert "“2024/3/1” is not a date" in out.getvalue()


def test_measures_numbered_anew_under_each_section_are_counted_through():
    matcher = BureauMatcher(Bureau.objects.all())
    text = (DATA / "sectioned_notice.txt").read_text(encoding="utf-8")
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-33"), matcher=matcher)
    assert plan.is_valid, plan.all_errors
    assert [(spec.number, plan_roles(spec)) for spec in plan.measures] == [
        (1, [[("市发展改革委", "lead")]]),
        (2, [[("市财政局", "lead")]]),
        (3, [[("市科技局", "lead"), ("市财政局", "co")]]),
        (4, [[("市商务局", "lead")]]),
    ]
    assert [spec.categories[0].subject_kinds for spec in plan.measures] == [["county"], ["county"], ["development_zone"], ["street"]]
    assert not any("组织领导" in spec.text or "绩效考核" in spec.text for spec in plan.measures)


# --- a prefix written once --------------------------------------------------------------------------------


PREFIX_ONCE = "一、对外贸稳定和创新发展成效明显的市予以支持。（省商务厅、发展改革委、财政厅负责）\n"
PREFIXED = ["省商务厅", "省发展改革委", "省财政厅"]


def test_a_provincial_prefix_written_once_is_every_names_in_either_programme(tmp_path):
    from organisation.models import Programme

    path = tmp_path / "province.txt"
    path.write_text(PREFIX_ONCE, encoding="utf-8")
    province = Programme.objects.create(code="guangdong", name="广东省督查激励", government="广东省人民政府",
                                        level="provincial", general_office="广东省人民政府办公厅", bureau_prefix="省",
                                        place_name="广东省", number_prefix="粤府办")
    own = {name: Bureau.objects.create(programme=province, short_name=name, full_name="广东" + name) for name in PREFIXED}
    # A provincial programme: every name binds to the province's bureau of the clause's prefix.
    call_command("import_notice", str(path), "--number", "粤办-1", "--programme", "guangdong", stdout=io.StringIO())
    bound = IncentiveCategory.objects.get(measure__document__number="粤办-1").responsibilities.order_by("order")
    assert [r.bureau for r in bound] == [own[name] for name in PREFIXED]
    # The default programme (市): the bare names are not its 市发展改革委 or 市财政局; created with the clause's 省.
    guangzhou = Programme.objects.default()
    city = set(Bureau.objects.filter(programme=guangzhou).values_list("pk", flat=True))
    assert Bureau.objects.filter(programme=guangzhou, short_name="市发展改革委").exists()
    call_command("import_notice", str(path), "--number", "粤办-2", "--create-bureaus", stdout=io.StringIO())
    created = IncentiveCategory.objects.get(measure__document__number="粤办-2").responsibilities.order_by("order")
    assert [r.bureau.short_name for r in created] == PREFIXED
    assert all(r.bureau.programme == guangzhou and r.bureau.pk not in city for r in created)
