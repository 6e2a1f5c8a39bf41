"""Importing measures: from a catalogue spreadsheet and from a notice's text; all or nothing; commands; admin."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from incentives.errors import DomainError, PermissionDeniedError
from measures.exports import catalogue_rows
from measures.importing.notice_plan import plan_notice_text
from measures.importing.plan import new_document_fields
from measures.importing.services import catalogue_import
from measures.importing.spreadsheet import plan_catalogue_file
from measures.models import (
    CategoryGroupObjectPermission,
    IncentiveCategory,
    Measure,
    PolicyDocument,
    chinese_numeral,
)
from organisation.models import AuditEntry, Bureau

from .notice_data import catalogue_state

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
NOTICE = (ROOT / "fixtures" / "guangzhou-2022-notice.txt").read_text(encoding="utf-8")
SEED = "穗府办〔2022〕30号"


def seed():
    return PolicyDocument.objects.get(number=SEED)


def export_csv(document) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(catalogue_rows(document))
    return buffer.getvalue().encode("utf-8")


def roles_by_category(measure):
    return [[(r.bureau.short_name, r.role) for r in category.responsibilities.order_by("order")]
            for category in measure.categories.order_by("order")]


def state_council_notice() -> str:
    with open(ROOT / "tests" / "data" / "state_council_2018_measures.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return "\n\n".join(f"  {chinese_numeral(int(r['number']))}、{r['title_or_summary']}，{r['incentive_content']}。"
                       f"（{r['responsible_department']}负责）" for r in rows)


def test_seed_notice_imports_as_the_fixture_catalogue(administrator):
    plan = plan_notice_text(NOTICE, new_document=new_document_fields(number="穗府办〔2099〕1号", title="重新导入"))
    assert plan.is_valid, plan.all_errors
    document = catalogue_import(actor=administrator, plan=plan)
    assert document.issuer == "广州市人民政府办公厅" and str(document.issued_on) == "2022-12-03"
    assert str(document.printed_on) == "2022-12-06"
    imported = {m.number: m for m in Measure.objects.filter(document=document)}
    fixture = {m.number: m for m in Measure.objects.filter(document=seed())}
    assert sorted(imported) == sorted(fixture) == list(range(1, 33))
    for number, original in fixture.items():
        mine = imported[number]
        assert (mine.numeral, mine.text, mine.responsibility_clause) == (original.numeral, original.text, original.responsibility_clause)
        # The fixture splits 16, 25, 26, 30 and 32 by kind of subject, repeating the same bureaus in each
        # category; the notice's text cannot know those splits, so its one category carries the same roles.
        expected = []
        for category in roles_by_category(original):
            if category not in expected:
                expected.append(category)
        assert roles_by_category(mine) == expected, number
    # 19 is split by the clause itself (按职责分别负责): one category per bureau, as in the fixture.
    assert [c.code for c in imported[19].categories.order_by("order")] == ["19-1", "19-2"]
    assert IncentiveCategory.objects.filter(measure__document=document).count() == 33  # the fixture has 39


def test_notice_import_grants_the_bureaus_their_permissions(administrator, clerk_water):
    document = catalogue_import(actor=administrator, plan=plan_notice_text(NOTICE, new_document=new_document_fields(number="X-1")))
    river = IncentiveCategory.objects.get(measure__document=document, code="19-1")
    assert CategoryGroupObjectPermission.objects.filter(content_object=river, group__bureau__short_name="市水务局",
                                                        permission__codename="nominate_incentivecategory").exists()
    assert clerk_water.has_perm("measures.nominate_incentivecategory", river)


def test_state_council_measures_every_department_recognised_or_flagged_by_name(administrator):
    text = state_council_notice()
    plan = plan_notice_text(text, new_document=new_document_fields(number="国办发〔2018〕117号"))
    assert len(plan.rows) == 30
    flagged = set(plan.unknown_bureaus)
    assert {"市场监管总局", "商务部", "国家发展改革委", "财政部", "人民银行", "银保监会", "证监会", "国务院办公厅"} <= flagged
    assert "有关部门" not in flagged  # 会同有关部门 names no bureau
    messages = " ".join(e.message for e in plan.all_errors)
    for name in flagged:
        assert f"“{name}”" in messages
    assert "市发展改革委" in plan.unknown_bureaus["国家发展改革委"]  # the closest Guangzhou bureau is suggested
    assert not PolicyDocument.objects.filter(number="国办发〔2018〕117号").exists()

    plan = plan_notice_text(text, new_document=new_document_fields(number="国办发〔2018〕117号"), create_bureaus=True)
    assert plan.is_valid
    document = catalogue_import(actor=administrator, plan=plan)
    assert Measure.objects.filter(document=document).count() == 30
    created = Bureau.objects.get(short_name="银保监会")
    assert not created.full_name_confirmed
    eighth = Measure.objects.get(document=document, number=8)
    assert roles_by_category(eighth) == [[("人民银行", "joint"), ("银保监会", "joint"), ("证监会", "joint")]]
    sixteenth = Measure.objects.get(document=document, number=16)
    assert roles_by_category(sixteenth) == [[("国家发展改革委", "lead")]]


def test_export_then_import_changes_nothing(administrator):
    before = catalogue_state()
    audit_before = AuditEntry.objects.count()
    plan = plan_catalogue_file(export_csv(seed()), filename="catalogue.csv", document=seed())
    assert plan.is_valid
    assert plan.counts() == {"new": 0, "changed": 0, "unchanged": 39, "invalid": 0}
    catalogue_import(actor=administrator, plan=plan)
    assert catalogue_state() == before
    assert AuditEntry.objects.count() == audit_before


def test_export_xlsx_imports_into_a_new_document_with_the_same_catalogue(administrator, tmp_path):
    target = tmp_path / "catalogue.xlsx"
    call_command("export_measures", "--format", "xlsx", "--output", str(target))
    plan = plan_catalogue_file(target.read_bytes(), filename="catalogue.xlsx",
                               new_document=new_document_fields(number="X-2", title="copy"))
    assert plan.counts()["new"] == 39
    document = catalogue_import(actor=administrator, plan=plan)
    copy = list(catalogue_rows(document))
    original = list(catalogue_rows(seed()))
    assert copy == original


def test_a_change_is_previewed_then_applied_and_audited(administrator, category):
    rows = list(csv.reader(io.StringIO(export_csv(seed()).decode())))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("类别编号")] == "6":
            row[header.index("配合单位")] = "广州市财政局"  # by its full name
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    plan = plan_catalogue_file(buffer.getvalue().encode(), filename="c.csv", document=seed())
    counts = plan.counts()
    assert counts["changed"] == 1 and counts["unchanged"] == 38
    changed = next(r for r in plan.rows if r.status == "changed")
    assert changed.key == "6" and "市财政局" in " ".join(changed.changes)
    catalogue_import(actor=administrator, plan=plan)
    assert [(r.bureau.short_name, r.role) for r in category("6").responsibilities.order_by("order")] == [
        ("市水务局", "lead"), ("市财政局", "co")]
    entry = AuditEntry.objects.filter(action="catalogue.imported").latest("at")
    assert entry.actor == administrator and entry.data["changed"] == 1


def test_responsibility_as_a_clause_column_instead_of_role_columns(administrator):
    data = ("measure_number,category_code,category_name,responsibility_clause\n"
            "1,1,新类别,牵头单位：市水务局；配合单位：市发展改革委\n"
            "2,2-1,河湖,市水务局、林业园林局按职责分别负责\n").encode()
    plan = plan_catalogue_file(data, filename="c.csv", new_document=new_document_fields(number="X-3"))
    assert plan.is_valid, plan.all_errors
    document = catalogue_import(actor=administrator, plan=plan)
    first = Measure.objects.get(document=document, number=1)
    assert roles_by_category(first) == [[("市水务局", "lead"), ("市发展改革委", "co")]]
    second = Measure.objects.get(document=document, number=2)
    assert roles_by_category(second) == [[("市水务局", "separate")]]


def test_one_bad_row_changes_nothing(administrator):
    rows = export_csv(seed()).decode() + "33,三十三,新,33,新,市不存在局,,,,,区,,3\n"
    plan = plan_catalogue_file(rows.encode(), filename="c.csv", document=seed())
    assert not plan.is_valid
    error = plan.all_errors[0]
    assert error.row == 41 and error.column == "lead" and "市不存在局" in error.message
    before = catalogue_state()
    with pytest.raises(DomainError):
        catalogue_import(actor=administrator, plan=plan)
    assert catalogue_state() == before


def test_only_administrators_import(clerk_water, reviewer):
    plan = plan_catalogue_file(export_csv(seed()), filename="c.csv", new_document=new_document_fields(number="X-4"))
    for person in (clerk_water, reviewer):
        with pytest.raises(PermissionDeniedError):
            catalogue_import(actor=person, plan=plan)
    assert not PolicyDocument.objects.filter(number="X-4").exists()


# --- commands -------------------------------------------------------------------------------------------------


def test_import_measures_command_dry_run_and_real(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(export_csv(seed()))
    out = io.StringIO()
    call_command("import_measures", str(path), "--dry-run", "--new-document", "X-5", stdout=out)
    assert "39 new" in out.getvalue() and "Dry run" in out.getvalue()
    assert not PolicyDocument.objects.filter(number="X-5").exists()
    call_command("import_measures", str(path), "--new-document", "X-5", stdout=io.StringIO())
    assert IncentiveCategory.objects.filter(measure__document__number="X-5").count() == 39


def test_import_measures_command_prints_every_error_and_exits_non_zero(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("measure_number,category_code,lead\nsix,6,市水务局\n7,7,市无名局\n", encoding="utf-8")
    out = io.StringIO()
    before = catalogue_state()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_measures", str(path), stdout=out)
    text = out.getvalue()
    assert "row 2, column measure_number" in text and "row 3, column lead" in text
    assert catalogue_state() == before


def test_import_notice_command(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE, encoding="utf-8")
    out = io.StringIO()
    call_command("import_notice", str(path), "--number", "X-6", "--dry-run", stdout=out)
    assert "32 new" in out.getvalue() and not PolicyDocument.objects.filter(number="X-6").exists()
    call_command("import_notice", str(path), "--number", "X-6", "--supersedes", SEED, stdout=io.StringIO())
    document = PolicyDocument.objects.get(number="X-6")
    assert document.supersedes == seed() and document.measures.count() == 32


def test_import_notice_command_fails_on_unknown_departments(tmp_path):
    path = tmp_path / "national.txt"
    path.write_text(state_council_notice(), encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_notice", str(path), "--number", "X-7", stdout=out)
    assert "Bureau 银保监会: unknown" in out.getvalue()
    assert not PolicyDocument.objects.filter(number="X-7").exists()


def test_notice_styles_and_duplicates():
    text = "（一）对甲的区予以支持。（市水务局负责）\n（二）对乙的区予以支持。\n（市财政局负责）\n（二）重复。（市财政局负责）\n"
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-8"))
    assert any("twice" in e.message for e in plan.all_errors)
    text = "1. 对甲的区予以支持。(市水务局负责)\n2. 对乙的区予以支持，\n继续一行。(市财政局会市水务局负责)\n"
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-8"))
    assert plan.is_valid
    assert [m.number for m in plan.measures] == [1, 2]
    assert plan.measures[1].text == "对乙的区予以支持，继续一行。(市财政局会市水务局负责)"


def test_docx_notice(tmp_path):
    import zipfile

    from measures.importing.text import notice_text_from_bytes

    body = "".join(f'<w:p><w:r><w:t>{line}</w:t></w:r></w:p>' for line in NOTICE.splitlines() if line.strip())
    xml = f'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", xml)
    text = notice_text_from_bytes(buffer.getvalue(), filename="notice.docx")
    plan = plan_notice_text(text, new_document=new_document_fields(number="X-9"))
    assert plan.is_valid and len(plan.measures) == 32


# --- admin ----------------------------------------------------------------------------------------------------


def test_admin_preview_then_confirm(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:measures_measure_import")
    changelist = client.get(reverse("admin:measures_measure_changelist")).content.decode()
    assert url in changelist and reverse("admin:measures_measure_exports") in changelist
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("catalogue.csv", export_csv(seed()), content_type="text/csv")
    response = client.post(url, {"file": upload, "new_number": "X-10", "new_title": "copy"})
    assert response.status_code == 200
    assert response.context["counts"]["new"] == 39
    token = response.context["token"]
    assert not PolicyDocument.objects.filter(number="X-10").exists()  # the preview writes nothing
    response = client.post(url, {"token": token, "confirm": "1"})
    assert response.status_code == 302
    assert IncentiveCategory.objects.filter(measure__document__number="X-10").count() == 39


def test_admin_preview_shows_invalid_rows_with_reasons_and_cancel(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:measures_measure_import")
    data = "measure_number,category_code,lead\n6,6,市水务局\nsix,7,市水务局\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", data), "document": seed().pk})
    assert response.context["counts"]["invalid"] == 1
    assert "token" not in response.context
    assert b'data-row="3" data-column="measure_number"' in response.content
    data = "measure_number,category_code,category_name,lead\n6,6,renamed,市水务局\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", data), "document": seed().pk})
    token = response.context["token"]
    response = client.post(url, {"token": token, "cancel": "1"})
    assert response.status_code == 302
    assert IncentiveCategory.objects.get(measure__document=seed(), code="6").name != "renamed"


def test_admin_notice_import_from_pasted_text(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:measures_measure_import_notice")
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": NOTICE, "new_number": "X-11", "new_title": "t"})
    assert response.context["counts"]["new"] == 32
    client.post(url, {"token": response.context["token"], "confirm": "1"})
    assert PolicyDocument.objects.get(number="X-11").measures.count() == 32


def test_admin_refuses_a_bad_file_with_a_message(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("admin:measures_measure_import"),
                           {"file": SimpleUploadedFile("c.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "document": seed().pk})
    assert response.status_code == 200
    assert "设有密码" in " ".join(str(e) for e in response.context["file_errors"])


def test_template_has_the_catalogue_header(client, administrator):
    from openpyxl import load_workbook

    from measures.exports import CATALOGUE_HEADER

    client.force_login(administrator)
    response = client.get(reverse("admin:measures_measure_import_template", args=["xlsx"]))
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert list(rows[0]) == CATALOGUE_HEADER and len(rows) == 2
    plan = plan_catalogue_file(response.content, filename="t.xlsx", document=seed())
    assert plan.is_valid  # the example row itself imports


def test_non_administrators_cannot_reach_the_import(client, reviewer, clerk_water):
    for person in (reviewer, clerk_water):
        client.force_login(person)
        response = client.get(reverse("admin:measures_measure_import"))
        assert response.status_code in (302, 403)


def test_seed_notice_with_the_fixture_as_category_split_spec_gives_the_same_catalogue(administrator, tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE, encoding="utf-8")
    call_command("import_notice", str(path), "--number", "X-12", "--categories-from", SEED, stdout=io.StringIO())
    columns = ["measure_number", "measure_numeral", "category_code", "category_name", "lead", "co_responsible",
               "separately_responsible", "joint", "responsibility_clause", "subject_kinds", "cap"]

    def table(document):
        rows = list(catalogue_rows(document))
        header = rows[0]
        from measures.exports import CATALOGUE_LABELS

        return [[row[header.index(CATALOGUE_LABELS[c])] for c in columns] for row in rows[1:]]

    assert table(PolicyDocument.objects.get(number="X-12")) == table(seed())  # 39 categories, row for row


def test_the_template_has_chinese_headers_and_english_ones_are_still_accepted(administrator):
    from measures.exports import CATALOGUE_HEADER

    assert CATALOGUE_HEADER[:5] == ["序号", "中文序号", "措施名称", "类别编号", "类别名称"]
    english = ("measure_number,category_code,category_name,lead,support_forms\n"
               "6,6,水务建设投资,市水务局,commendation、Tilted funding\n").encode()
    chinese = "序号,类别编号,类别名称,牵头单位,支持方式\n6,6,水务建设投资,市水务局,通报表扬、资金倾斜支持\n".encode()
    plans = [plan_catalogue_file(data, filename="c.csv", document=seed()) for data in (english, chinese)]
    assert all(plan.is_valid for plan in plans), [plan.errors for plan in plans]
    forms = [next(m.support_forms for m in plan.measures if m.number == 6) for plan in plans]
    assert forms == [["commendation", "funding"], ["commendation", "funding"]]   # codes, whatever was written
