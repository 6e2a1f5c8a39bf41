"""Uploaded .xlsx and .docx files are XML in a zip: a part that declares entities or a document type ("billion
laughs", external entities) is refused, naming the part, and nothing is written — whether the declaration sits
at the part's start (found before any parser runs) or after a long comment (refused by defusedxml while parsing)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from measures.importing.organisation import plan_units
from measures.importing.reading import XML_PROLOG_BYTES, ImportFileError, read_table
from measures.importing.text import notice_source_from_bytes
from measures.models import PolicyDocument
from organisation.models import Unit

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
                  '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>\n')
EXTERNAL_ENTITY = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
# A comment longer than the prolog the zip check reads: the declaration is then found by defusedxml.
HIDDEN = "<!-- " + "x" * (XML_PROLOG_BYTES + 100) + " -->\n"


def replaced(data: bytes, part: str, transform) -> bytes:
    """The zip ``data`` with ``part`` rewritten by ``transform`` (str → str)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == part:
                content = transform(content.decode("utf-8")).encode("utf-8")
            target.writestr(member.filename, content)
    return buffer.getvalue()


def units_xlsx(prolog: str) -> bytes:
    """A units workbook whose sheet part starts with ``prolog`` (in place of its XML declaration)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "kind"])
    sheet.append(["XML区", "district"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return replaced(buffer.getvalue(), "xl/worksheets/sheet1.xml", lambda xml: prolog + xml[xml.index("<worksheet"):])


def notice_docx(prolog: str) -> bytes:
    buffer = io.BytesIO()
    namespace = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", f"{prolog}<w:document {namespace}><w:body><w:p><w:r><w:t>一、对&xxe;的区予以支持。"
                                              f"（市水务局负责）</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, EXTERNAL_ENTITY, HIDDEN + BILLION_LAUGHS.split("\n", 1)[1]],
                         ids=["billion-laughs", "external-entity", "after-a-long-comment"])
def test_a_workbook_declaring_entities_is_refused_naming_the_part(prolog):
    with translation.override("en"), pytest.raises(ImportFileError) as refused:
        read_table(units_xlsx(prolog), filename="units.xlsx", max_rows=100)
    assert "refused" in refused.value.message and "entities" in refused.value.message
    assert "xl/worksheets/sheet1.xml" in refused.value.message


@pytest.mark.django_db
def test_an_entity_workbook_through_the_importer_and_the_admin_writes_nothing(client, administrator):
    data = units_xlsx(BILLION_LAUGHS)
    before = Unit.objects.count()
    with translation.override("en"):
        plan = plan_units(data, filename="units.xlsx")
    assert not plan.is_valid and "xl/worksheets/sheet1.xml" in str(plan.errors[0])
    client.force_login(administrator)
    url = reverse("admin:organisation_unit_import")
    response = client.post(url, {"file": SimpleUploadedFile("units.xlsx", data)})
    assert response.status_code == 200 and "token" not in response.context
    assert "xl/worksheets/sheet1.xml" in response.content.decode()
    assert Unit.objects.count() == before


@pytest.mark.parametrize("prolog", [EXTERNAL_ENTITY, BILLION_LAUGHS, HIDDEN + EXTERNAL_ENTITY.split("\n", 1)[1]],
                         ids=["external-entity", "billion-laughs", "after-a-long-comment"])
def test_a_word_document_declaring_entities_is_refused_naming_the_part(prolog):
    with translation.override("en"), pytest.raises(ImportFileError) as refused:
        notice_source_from_bytes(notice_docx(prolog), filename="notice.docx")
    assert "word/document.xml" in refused.value.message and "refused" in refused.value.message


@pytest.mark.django_db
def test_an_entity_notice_through_the_command_writes_nothing(tmp_path):
    path = tmp_path / "notice.docx"
    path.write_bytes(notice_docx(EXTERNAL_ENTITY))
    out = io.StringIO()
    with pytest.raises(CommandError, match="word/document.xml"):
        call_command("import_notice", str(path), "--number", "XXE-1", stdout=out)
    assert not PolicyDocument.objects.filter(number="XXE-1").exists()
