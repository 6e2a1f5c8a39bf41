"""Office files that can run code or blow up when opened are refused wherever files come in (evidence, the
implementation rules, an objection's evidence: all through ``measures.evidence.evidence_check``), with a message
that names the file and says what to do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incentives.errors import DomainError
from measures.evidence import evidence_check

from .factories import docx_file, ole_file

pytestmark = pytest.mark.django_db

ZEROS = b"\0" * (50 * 1024 * 1024)  # 50 MB of zeros deflate to some 50 KB: a ratio past 1,000


@pytest.mark.parametrize("upload, says", [
    (lambda: docx_file("report.docm"), "macros"),
    (lambda: docx_file("table.xlsm", folder="xl/"), "macros"),
    (lambda: docx_file("slides.pptm", folder="ppt/"), "macros"),
    (lambda: docx_file("report.docx", parts={"word/vbaProject.bin": b"VBA"}), "contains macros"),
    (lambda: docx_file("table.xlsx", folder="xl/", parts={"xl/vbaProject.bin": b"VBA"}), "contains macros"),
    (lambda: ole_file("report.doc", storages=("WordDocument", "Macros")), "contains macros"),
    (lambda: ole_file("table.xls", storages=("Workbook", "_VBA_PROJECT_CUR")), "contains macros"),
    (lambda: docx_file("bomb.docx", parts={"word/media/zeros.bin": ZEROS}), "zip bomb"),
    (lambda: docx_file("bomb.xlsx", folder="xl/", parts={"xl/sharedStrings.xml": ZEROS}), "zip bomb"),
    (lambda: docx_file("entities.docx", parts={"word/styles.xml": '<!DOCTYPE x [<!ENTITY a "b">]><x/>'}), "entities"),
], ids=["docm", "xlsm", "pptm", "docx-vba", "xlsx-vba", "doc-macros", "xls-macros", "docx-bomb", "xlsx-bomb",
        "docx-entities"])
def test_office_files_with_macros_bombs_or_entities_are_refused(upload, says):
    uploaded = upload()
    with pytest.raises(DomainError) as refused:
        evidence_check(uploaded)
    assert uploaded.name in refused.value.message
    with_english = refused.value.message.lower()
    assert says in with_english or {"zip bomb": "压缩炸弹", "entities": "实体"}.get(says, "\0") in with_english


def test_office_files_without_macros_are_still_accepted():
    assert evidence_check(docx_file("summary.docx"))["extension"] == ".docx"
    assert evidence_check(ole_file("old.doc"))["extension"] == ".doc"
    assert evidence_check(ole_file("old.xls", storages=("Workbook",)))["extension"] == ".xls"


def test_the_rules_page_says_why_a_file_with_macros_is_refused(world):
    client = world.clients["water"]
    client.raise_request_exception = False
    measure = world.scopes[1].category.measure_id
    response = client.post(reverse("nominations:rules", kwargs={"measure_id": measure}), {
        "bureau": str(world.extra["rules"].bureau_id), "title": "实施办法", "file": docx_file("rules.docm"),
        "csrfmiddlewaretoken": "matrixCsrfSecret0123456789abcdef"})
    assert response.status_code == 400
    assert "rules.docm" in response.content.decode()
    assert not world.extra["rules"].measure.rules.filter(original_name="rules.docm").exists()
