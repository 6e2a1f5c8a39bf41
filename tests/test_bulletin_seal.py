"""The issuing office's electronic seal on the bulletin (reviews/seal.py): a PAdES signature on the PDF, checked by
pyHanko's validator against the test certificate; an SM2 signature inside the OFD (GB/T 33190 §18), checked here
with an SM2 implementation other than the one that signed it (snowland-smx's ``pysmx``; the application signs with
gmssl); a changed byte fails both; a download checks the stored copy first."""

import base64
import hashlib
import io
import zipfile
from xml.etree import ElementTree as ET

import pytest
from asn1crypto import pem, x509
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from nominations.models import Cycle
from organisation.audit import AuditAction
from organisation.models import AuditEntry
from reviews import seal
from reviews.bulletins import bulletin_context, bulletin_files
from reviews.models import Bulletin

from .factories import make_awarded_cycle

OFD = "{http://www.ofdspec.org/2016}"


@pytest.fixture(scope="module")
def seal_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seal")
    out = io.StringIO()
    call_command("seal_test_certificate", dir=str(folder), stdout=out)
    return dict(line.split("=", 1) for line in out.getvalue().split())


@pytest.fixture
def sealed(settings, seal_files, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, path in seal_files.items():
        setattr(settings, name, path)
    return seal_files


@pytest.fixture(scope="module")
def rendered(django_db_blocker, seal_files, tmp_path_factory):
    """One bulletin rendered and sealed for the module's checks (rendering is the slow part)."""
    from django.test import override_settings

    from tests.conftest import _load_catalogue

    with django_db_blocker.unblock(), override_settings(**seal_files):
        from django.db import transaction

        from measures.models import IncentiveCategory
        from organisation.models import Bureau

        with transaction.atomic():
            if not IncentiveCategory.objects.exists():
                _load_catalogue()
            cycle = make_awarded_cycle(
                lambda code: IncentiveCategory.objects.get(code=code, measure__document__in_force=True),
                lambda name: Bureau.objects.get(short_name=name, programme__is_default=True))
            context = bulletin_context(cycle)
            files = bulletin_files(context)
            transaction.set_rollback(True)
    folder = tmp_path_factory.mktemp("copies")
    (folder / "bulletin.pdf").write_bytes(files.pdf)
    (folder / "bulletin.ofd").write_bytes(files.ofd)
    return files, context, folder


def test_the_pdf_is_signed_by_the_office_with_its_seal_over_the_date(rendered, sealed):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    files, context, folder = rendered
    certificate = x509.Certificate.load(pem.unarmor(open(sealed["BULLETIN_SIGNING_CERT"], "rb").read())[2])
    reader = PdfFileReader(io.BytesIO(files.pdf))
    [signature] = reader.embedded_signatures
    context_of_trust = ValidationContext(trust_roots=[certificate], allow_fetching=False)
    status = seal._outside_event_loop(lambda: validate_pdf_signature(signature, context_of_trust))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert "测试证书" in status.signing_cert.subject.human_friendly
    # The seal's picture: a 42 mm square on the page of the date, centred on the date's line of text.
    place = seal.seal_place(files.pages, context.date)
    widget = signature.sig_field["/Kids"][0] if "/Kids" in signature.sig_field else signature.sig_field
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert abs((x2 - x1) - seal.SEAL_DIAMETER_MM * seal.MM_TO_PT) < 2
    date_text = next(t for t in files.pages[place.page].texts if t.text.strip() == context.date)
    assert x1 < date_text.x * seal.MM_TO_PT < x2
    assert y1 < (place.page_height - date_text.baseline) * seal.MM_TO_PT < y2

    call_command("verify_bulletin", str(folder / "bulletin.pdf"), stdout=io.StringIO())
    # A byte changed inside what was signed: the check fails, and so does the command.
    start, length = signature.byte_range[0], signature.byte_range[1]
    changed = bytearray(files.pdf)
    offset = start + length // 2
    changed[offset] = changed[offset] ^ 0x01
    verdict = seal.verify_pdf(bytes(changed))
    assert not verdict.valid and verdict.problems
    (folder / "changed.pdf").write_bytes(bytes(changed))
    with pytest.raises(CommandError, match="NOT valid"):
        call_command("verify_bulletin", str(folder / "changed.pdf"), stdout=io.StringIO())


def test_the_ofd_carries_an_sm2_signature_another_sm2_implementation_accepts(rendered, sealed):
    from pysmx.SM2 import Verify  # snowland-smx: not gmssl, which signed

    files, _context, folder = rendered
    with zipfile.ZipFile(io.BytesIO(files.ofd)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    root = ET.fromstring(entries["OFD.xml"])
    assert root.find(f"{OFD}DocBody/{OFD}Signatures").text == "Doc_0/Signs/Signatures.xml"
    listing = ET.fromstring(entries["Doc_0/Signs/Signatures.xml"])
    location = listing.find(f"{OFD}Signature").get("BaseLoc").lstrip("/")
    signed_xml = entries[location]
    info = ET.fromstring(signed_xml).find(f"{OFD}SignedInfo")
    assert info.findtext(f"{OFD}SignatureMethod") == "1.2.156.10197.1.501"
    references = info.find(f"{OFD}References")
    assert references.get("CheckMethod") == "1.2.156.10197.1.401"
    digests = {r.get("FileRef").lstrip("/"): r.findtext(f"{OFD}CheckValue") for r in references}
    assert {"OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml"} <= set(digests)
    for name, value in digests.items():
        assert base64.b64decode(value) == hashlib.new("sm3", entries[name]).digest(), name
    # The signature over Signature.xml, checked by pysmx with the public key of the office's SM2 certificate.
    certificate = x509.Certificate.load(open(sealed["BULLETIN_SM2_CERT"], "rb").read())
    point = bytes(certificate["tbs_certificate"]["subject_public_key_info"]["public_key"].contents)[1:]
    assert point[:1] == b"\x04"
    value = entries[location.rsplit("/", 1)[0] + "/SignedValue.dat"]
    r, s = seal.sm2_signature_rs(value)
    signature_hex = f"{r:064x}{s:064x}"
    assert Verify(signature_hex, signed_xml, point[1:].hex(), 64, uid=b"1234567812345678")
    assert not Verify(signature_hex, signed_xml + b" ", point[1:].hex(), 64, uid=b"1234567812345678")
    call_command("verify_bulletin", str(folder / "bulletin.ofd"), stdout=io.StringIO())

    # A page changed after signing: its digest no longer matches.
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data.replace("通报".encode(), "通告".encode()) if name.endswith("Content.xml")
                             else data)
    verdict = seal.verify_ofd(output.getvalue())
    assert not verdict.valid and any("changed" in problem for problem in verdict.problems)


def test_a_download_checks_the_stored_copy_first(client, rendered, sealed, category, bureau, reviewer):
    files = rendered[0]
    cycle = make_awarded_cycle(category, bureau, state=Cycle.State.PUBLISHED, published_at=timezone.now(),
                               published_by=reviewer)
    bulletin = Bulletin(cycle=cycle, version=1, status=Bulletin.Status.DONE, sha256=hashlib.sha256(files.pdf).hexdigest(),
                        size=len(files.pdf), requested_by=reviewer, finished_at=timezone.now())
    bulletin.file.save("bulletin.pdf", ContentFile(files.pdf), save=False)
    bulletin.ofd_file.save("bulletin.ofd", ContentFile(files.ofd), save=False)
    bulletin.save()
    assert client.get(reverse("bulletins:download_ofd", args=[bulletin.pk])).status_code == 200
    assert client.get(reverse("bulletins:download", args=[bulletin.pk])).status_code == 200
    page = client.get(reverse("results:cycle", args=[cycle.year]))
    assert b'id="seal-test-certificate"' in page.content

    data = bytearray(bulletin.file.read())
    bulletin.file.close()
    data[len(data) // 3] ^= 0x01
    with open(bulletin.file.path, "wb") as handle:
        handle.write(bytes(data))
    response = client.get(reverse("bulletins:download", args=[bulletin.pk]))
    assert response.status_code == 409 and b'id="seal-invalid"' in response.content
    assert AuditEntry.objects.filter(action=AuditAction.BULLETIN_SIGNATURE_INVALID).count() == 1


def test_an_sm2_key_whose_public_x_begins_with_04_signs_what_another_implementation_accepts():
    """gmssl's constructor strips every leading 0 and 4 of a public key that starts with "04": one office key in 256
    made a certificate whose signing failed (an odd-length key) or signatures nobody could check."""
    from pysmx.SM2 import Verify  # snowland-smx: not gmssl, which signs

    private_hex = "0" * 56 + "010ebc8a"
    public_hex = seal.sm2_public_from_private(private_hex)
    assert public_hex.startswith("0442") and len(public_hex) == 128
    r, s = seal.sm2_signature_rs(seal.sm2_sign(b"<SignedInfo/>", private_hex, public_hex))
    assert Verify(f"{r:064x}{s:064x}", b"<SignedInfo/>", public_hex, 64, uid=b"1234567812345678")
    # And the office's own check (verify_ofd's) takes it.
    assert seal._sm2("", public_hex).verify_with_sm3(f"{r:064x}{s:064x}", b"<SignedInfo/>")


def test_a_copy_with_entities_or_without_its_signed_files_is_refused_by_name(rendered, sealed):
    """A copy to check comes from anyone: XML declaring entities is not expanded (defusedxml), a signature naming
    no signed files is reported, neither is a crash."""
    files, _context, _folder = rendered
    with zipfile.ZipFile(io.BytesIO(files.ofd)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}

    def copy(name, data):
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as archive:
            for entry, content in {**entries, name: data}.items():
                archive.writestr(entry, content)
        return output.getvalue()

    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              b"<Signatures>&b;</Signatures>")
    verdict = seal.verify_ofd(copy("Doc_0/Signs/Signatures.xml", laughs))
    assert not verdict.valid and any("unreadable OFD" in problem for problem in verdict.problems)
    listing = ET.fromstring(entries["Doc_0/Signs/Signatures.xml"])
    location = listing.find(f"{OFD}Signature").get("BaseLoc").lstrip("/")
    verdict = seal.verify_ofd(copy(location, b'<Signature xmlns="http://www.ofdspec.org/2016"/>'))
    assert not verdict.valid and any("names no signed files" in problem for problem in verdict.problems)
    assert seal.verify_ofd(files.ofd).valid
