"""The issuing office's electronic seal on the bulletin: a PAdES signature on the PDF and an SM2 signature on the OFD.

Where the keys come from
------------------------
The deployment gives them as files (``deploy/README.md``, "Sealed bulletins"):

* ``BULLETIN_SIGNING_KEY`` / ``BULLETIN_SIGNING_CERT``: the office's key (PEM, PKCS#8; ``BULLETIN_SIGNING_KEY_PASSWORD``
  when it is encrypted) and its X.509 certificate (PEM) for the PDF's PAdES signature (pyHanko);
  ``BULLETIN_TRUST_ROOTS``: the certificates (PEM, one file) a copy's signature is checked against, the signing
  certificate itself when empty (a self-signed certificate);
* ``BULLETIN_SM2_KEY`` / ``BULLETIN_SM2_CERT``: the office's SM2 key (the private scalar, 64 hex digits, one line)
  and its SM2 certificate (DER or PEM) for the OFD's signature (GB/T 33190-2016 §18);
* ``BULLETIN_SEAL_IMAGE``: the seal's picture (PNG with transparency), placed over the signing date.

A key held in a token (PKCS#11, the usual form of a 电子印章 key) is an option of pyHanko
(``pyhanko.sign.pkcs11.PKCS11Signer``) for the PDF; it is documented, not wired: no token was at hand to test it.

``manage.py seal_test_certificate`` writes a self-signed test certificate, both keys and a seal picture under
``var/seal/`` for the demo; a bulletin signed with a self-signed certificate says so on its page (``seal_status``).
With no key configured, bulletins are not signed, as before.

What the OFD signature is
-------------------------
GB/T 33190 puts the signatures inside the package: ``OFD.xml``'s ``DocBody`` names ``Doc_0/Signs/Signatures.xml``,
which lists each ``Signature.xml``; a ``Signature.xml`` holds ``SignedInfo`` (the provider, the method
``1.2.156.10197.1.501`` SM2-with-SM3, the time, ``References`` with the SM3 digest (``CheckMethod``
``1.2.156.10197.1.401``) of every file of the package, and the seal's ``StampAnnot`` on the page) and points at
``SignedValue.dat``: the SM2 signature (DER ``SEQUENCE {r, s}``, GM/T 0009 with the default signer id
``1234567812345678``) over the bytes of ``Signature.xml``. The full GB/T 38540 seal structure (``SES_Signature``
with the seal's picture and the sealing authority's data) is not written: the certificate sits beside the
signature as ``Cert.cer``.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import datetime
import hashlib
import io
import secrets
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from django.conf import settings

from . import ofd

SM2_WITH_SM3 = "1.2.156.10197.1.501"
SM3 = "1.2.156.10197.1.401"
SM2_CURVE = "1.2.156.10197.1.301"
SM2_DEFAULT_ID = b"1234567812345678"
SEAL_DIAMETER_MM = 42.0  # a government office's seal (GB/T 9704: 印章, usually 42 mm)
MM_TO_PT = 72 / 25.4
SIGNATURES_PATH = "Doc_0/Signs/Signatures.xml"
SIGN_DIR = "Doc_0/Signs/Sign_0"


class SealError(Exception):
    """The seal's keys are missing or unreadable (a deployment's mistake, said in words)."""


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def pdf_signing_configured() -> bool:
    return bool(_setting("BULLETIN_SIGNING_KEY") and _setting("BULLETIN_SIGNING_CERT"))


def ofd_signing_configured() -> bool:
    return bool(_setting("BULLETIN_SM2_KEY") and _setting("BULLETIN_SM2_CERT"))


def _read(name: str) -> bytes:
    path = Path(_setting(name))
    try:
        return path.read_bytes()
    except OSError as error:
        raise SealError(f"{name}: cannot read {path}: {error.strerror}") from None


# --- certificates ------------------------------------------------------------------------------------------------

def _pem_or_der(data: bytes) -> bytes:
    from asn1crypto import pem

    if pem.detect(data):
        return pem.unarmor(data)[2]
    return data


def signing_certificate():
    """The PDF signing certificate (asn1crypto ``Certificate``)."""
    from asn1crypto import x509

    return x509.Certificate.load(_pem_or_der(_read("BULLETIN_SIGNING_CERT")))


def trust_roots() -> list:
    """The certificates a copy's PDF signature must chain to: ``BULLETIN_TRUST_ROOTS``, else the signing one."""
    from asn1crypto import pem, x509

    if not _setting("BULLETIN_TRUST_ROOTS"):
        return [signing_certificate()]
    data = _read("BULLETIN_TRUST_ROOTS")
    return [x509.Certificate.load(der) for _type, _headers, der in pem.unarmor(data, multiple=True)]


def is_self_signed(certificate) -> bool:
    return certificate.self_signed in ("maybe", "yes")


def sm2_certificate():
    from asn1crypto import x509

    return x509.Certificate.load(_pem_or_der(_read("BULLETIN_SM2_CERT")))


def sm2_public_key_hex(certificate) -> str:
    """The SM2 public key x‖y (128 hex digits) of a certificate."""
    point = certificate["tbs_certificate"]["subject_public_key_info"]["public_key"].native
    if isinstance(point, bytes):
        raw = point
    else:  # asn1crypto decoded the EC point for a known curve
        raw = bytes(certificate["tbs_certificate"]["subject_public_key_info"]["public_key"].contents)[1:]
    return raw[1:].hex() if raw[:1] == b"\x04" else raw.hex()


# --- SM2 (gmssl) -------------------------------------------------------------------------------------------------

_SM2_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


def _sm2(private_hex: str, public_hex: str):
    """gmssl's signer and verifier for the key pair. The key is set after the constructor: gmssl's constructor
    strips a leading "04" with ``lstrip("04")``, every leading 0 and 4, so that a public key whose x begins with
    04 (one key in 256) lost its first digits and every signature made or checked with it was wrong."""
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_hex
    return crypt


def sm2_public_from_private(private_hex: str) -> str:
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    return crypt._kg(int(private_hex, 16), sm2.default_ecc_table["g"])  # noqa: SLF001 - the library's own k·G


def sm2_sign(data: bytes, private_hex: str, public_hex: str) -> bytes:
    """SM2 with SM3 over ``data`` (the digest over Z_A‖M, the default signer id), as DER ``SEQUENCE {r, s}``.

    The per-signature random ``k`` comes from ``secrets`` (gmssl's own default uses ``random``)."""
    from asn1crypto.core import Integer, Sequence

    crypt = _sm2(private_hex, public_hex)
    k = format(secrets.randbelow(_SM2_N - 1) + 1, "064x")
    signature = crypt.sign_with_sm3(data, k)
    r, s = int(signature[:64], 16), int(signature[64:], 16)

    class _Signature(Sequence):
        _fields = [("r", Integer), ("s", Integer)]

    return _Signature({"r": r, "s": s}).dump()


def sm2_signature_rs(der: bytes) -> tuple[int, int]:
    from asn1crypto.core import Integer, Sequence

    class _Signature(Sequence):
        _fields = [("r", Integer), ("s", Integer)]

    parsed = _Signature.load(der)
    return parsed["r"].native, parsed["s"].native


def sm2_self_signed_certificate(private_hex: str, *, common_name: str, days: int = 730) -> bytes:
    """A self-signed SM2 certificate (DER) for the demo: written with asn1crypto, signed with SM2-with-SM3."""
    from asn1crypto import algos, keys, x509

    public_hex = sm2_public_from_private(private_hex)
    name = x509.Name.build({"country_name": "CN", "organization_name": common_name,
                            "common_name": f"{common_name}（测试证书）"})
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    spki = keys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(name="named", value=SM2_CURVE)},
        "public_key": bytes.fromhex("04" + public_hex),
    })
    signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": SM2_WITH_SM3})
    tbs = x509.TbsCertificate({
        "version": "v3", "serial_number": secrets.randbits(63), "signature": signature_algorithm,
        "issuer": name, "subject": name,
        "validity": {"not_before": x509.Time(name="utc_time", value=now - datetime.timedelta(days=1)),
                     "not_after": x509.Time(name="utc_time", value=now + datetime.timedelta(days=days))},
        "subject_public_key_info": spki,
        "extensions": [{"extn_id": "key_usage", "critical": True,
                        "extn_value": x509.KeyUsage({"digital_signature", "non_repudiation"})}],
    })
    signature = sm2_sign(tbs.dump(), private_hex, public_hex)
    return x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": signature_algorithm,
                             "signature_value": signature}).dump()


# --- the PDF (PAdES, pyHanko) -----------------------------------------------------------------------------------

@dataclasses.dataclass
class SealPlace:
    """Where the seal goes: the page (0-based) and the centre of the seal, in mm from the page's top left."""

    page: int
    x: float
    y: float
    page_height: float


def seal_place(pages: list[ofd.Page], date_text: str) -> SealPlace | None:
    """Over the signing date, as GB/T 9704-2012 §7.3.5.1 places a seal: centred on the issuer's name and the date,
    pressing down on them (端正、居中下压发文机关署名和成文日期), the two at the seal's centre and below it.
    The date is found in the laid-out pages (the last page that holds it); None when it is not there."""
    for number in range(len(pages) - 1, -1, -1):
        for text in pages[number].texts:
            if text.text.strip() == date_text:
                # The issuer's name is the line above the date: the seal's centre sits on it.
                centre_y = text.baseline - 0.75 * text.size * 15 / 8
                return SealPlace(page=number, x=text.x + text.width / 2, y=centre_y,
                                 page_height=pages[number].height)
    return None


def _seal_image():
    from PIL import Image

    return Image.open(io.BytesIO(_read("BULLETIN_SEAL_IMAGE"))).convert("RGBA")


def _outside_event_loop(call):
    """``call()``, which runs pyHanko's synchronous API (itself ``asyncio.run``), in a thread of its own when this
    thread already runs an event loop (an asynchronous worker, or a browser driven from the same process), where
    ``asyncio.run`` refuses to start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def sign_pdf(pdf: bytes, *, place: SealPlace | None, reason: str, location: str) -> bytes:
    """The PDF with the office's PAdES signature (B-B), its seal's picture over the date when ``place`` is known
    and a seal picture is configured (an invisible signature otherwise)."""
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    key_password = _setting("BULLETIN_SIGNING_KEY_PASSWORD").encode() or None
    try:
        signer = signers.SimpleSigner.load(_setting("BULLETIN_SIGNING_KEY"), _setting("BULLETIN_SIGNING_CERT"),
                                           key_passphrase=key_password)
    except Exception as error:  # noqa: BLE001 - pyHanko raises several kinds; the deployment reads one message
        raise SealError(f"BULLETIN_SIGNING_KEY/CERT cannot be loaded: {error}") from None
    if signer is None:
        raise SealError("BULLETIN_SIGNING_KEY/CERT cannot be loaded")
    field_spec, style = fields.SigFieldSpec(sig_field_name="Seal"), None
    if place is not None and _setting("BULLETIN_SEAL_IMAGE"):
        half = SEAL_DIAMETER_MM / 2
        x1, x2 = (place.x - half) * MM_TO_PT, (place.x + half) * MM_TO_PT
        y1 = (place.page_height - place.y - half) * MM_TO_PT
        y2 = (place.page_height - place.y + half) * MM_TO_PT
        field_spec = fields.SigFieldSpec(sig_field_name="Seal", on_page=place.page,
                                         box=(round(x1), round(y1), round(x2), round(y2)))
        # The picture fills the seal's square (pyHanko's default layout keeps a margin and shrinks it).
        fill = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                   margins=Margins(), inner_content_scaling=InnerScaling.SHRINK_TO_FIT)
        style = StaticStampStyle(background=PdfImage(_seal_image()), background_opacity=1.0, border_width=0,
                                 background_layout=fill)
    metadata = signers.PdfSignatureMetadata(field_name="Seal", reason=reason, location=location,
                                            subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = _outside_event_loop(lambda: signers.PdfSigner(metadata, signer=signer, stamp_style=style,
                                                            new_field_spec=field_spec).sign_pdf(writer))
    return output.getvalue()


@dataclasses.dataclass
class Verdict:
    """What the check of one copy found: ``valid`` only when every signature is intact, covers the whole file,
    and chains to a trusted certificate."""

    kind: str  # "pdf" or "ofd"
    signed: bool
    valid: bool
    signer: str = ""
    signed_at: str = ""
    self_signed: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)


def verify_pdf(data: bytes) -> Verdict:
    """Check a PDF copy's signatures with pyHanko's validator against the deployment's trust roots."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as error:  # noqa: BLE001 - a damaged copy is a failed check, said in words
        return Verdict("pdf", signed=False, valid=False, problems=[f"unreadable PDF: {error}"])
    if not signatures:
        return Verdict("pdf", signed=False, valid=False, problems=["no signature"])
    roots = trust_roots()
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    verdict = Verdict("pdf", signed=True, valid=True)
    for signature in signatures:
        try:
            status = _outside_event_loop(lambda signature=signature: validate_pdf_signature(signature, context))
        except Exception as error:  # noqa: BLE001
            verdict.valid = False
            verdict.problems.append(f"signature {signature.field_name}: {error}")
            continue
        certificate = status.signing_cert
        verdict.signer = certificate.subject.human_friendly if certificate else ""
        verdict.self_signed = bool(certificate and is_self_signed(certificate))
        verdict.signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
        if not status.intact:
            verdict.problems.append(f"signature {signature.field_name}: the signed bytes were changed")
        if not status.valid:
            verdict.problems.append(f"signature {signature.field_name}: the signature does not match")
        if not status.trusted:
            verdict.problems.append(f"signature {signature.field_name}: the certificate is not trusted")
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            verdict.problems.append(f"signature {signature.field_name}: the file was changed after signing")
    verdict.valid = not verdict.problems
    return verdict


# --- the OFD (GB/T 33190 §18, SM2) -------------------------------------------------------------------------------

def _ofd_element(tag: str, parent=None, text: str | None = None, **attributes):
    element = ET.Element(ofd._q(tag), **attributes) if parent is None else ET.SubElement(parent, ofd._q(tag),
                                                                                         **attributes)
    if text is not None:
        element.text = text
    return element


def sign_ofd(package: bytes, *, place: SealPlace | None, when: datetime.datetime | None = None) -> bytes:
    """The OFD with the office's SM2 signature inside it (``Doc_0/Signs``), over the SM3 digest of every file."""
    private_hex = _read("BULLETIN_SM2_KEY").decode().strip()
    certificate = sm2_certificate()
    public_hex = sm2_public_key_hex(certificate)
    if sm2_public_from_private(private_hex) != public_hex:
        raise SealError("BULLETIN_SM2_KEY does not belong to BULLETIN_SM2_CERT")
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    root = ET.fromstring(files["OFD.xml"])
    body = root.find(ofd._q("DocBody"))
    _ofd_element("Signatures", body, SIGNATURES_PATH)
    files["OFD.xml"] = ofd._xml(root)

    when = when or datetime.datetime.now(datetime.UTC)
    signature = _ofd_element("Signature")
    info = _ofd_element("SignedInfo", signature)
    _ofd_element("Provider", info, ProviderName="incentives", Version="1.0", Company="")
    _ofd_element("SignatureMethod", info, SM2_WITH_SM3)
    _ofd_element("SignatureDateTime", info, when.strftime("%Y%m%d%H%M%SZ"))
    references = _ofd_element("References", info, CheckMethod=SM3)
    for name in sorted(files):
        digest = hashlib.new("sm3", files[name]).digest()
        reference = _ofd_element("Reference", references, FileRef=f"/{name}")
        _ofd_element("CheckValue", reference, base64.b64encode(digest).decode())
    if place is not None:
        half = SEAL_DIAMETER_MM / 2
        _ofd_element("StampAnnot", info, ID="1", PageRef=str(place.page),
                     Boundary=f"{ofd._mm(place.x - half)} {ofd._mm(place.y - half)} "
                              f"{ofd._mm(SEAL_DIAMETER_MM)} {ofd._mm(SEAL_DIAMETER_MM)}")
    _ofd_element("SignedValue", signature, f"/{SIGN_DIR}/SignedValue.dat")
    signature_xml = ofd._xml(signature)

    signatures = _ofd_element("Signatures")
    _ofd_element("MaxSignId", signatures, "1")
    _ofd_element("Signature", signatures, ID="1", Type="Seal", BaseLoc=f"/{SIGN_DIR}/Signature.xml")
    files[SIGNATURES_PATH] = ofd._xml(signatures)
    files[f"{SIGN_DIR}/Signature.xml"] = signature_xml
    files[f"{SIGN_DIR}/SignedValue.dat"] = sm2_sign(signature_xml, private_hex, public_hex)
    files[f"{SIGN_DIR}/Cert.cer"] = certificate.dump()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return output.getvalue()


@dataclasses.dataclass
class OfdSignature:
    """An OFD's signature as found in its package: what was signed, the signature, the certificate."""

    signed_xml: bytes
    value: bytes
    certificate: bytes
    problems: list[str]


def ofd_signature(package: bytes) -> OfdSignature | None:
    """Read the package's first signature and check its references (each file's SM3 digest, every file but the
    signature's own covered); None when the package has no signature."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, ValueError) as error:
        return OfdSignature(b"", b"", b"", [f"unreadable OFD: {error}"])
    if SIGNATURES_PATH not in files:
        return None
    problems = []
    # A copy to check comes from anyone: its XML is parsed by defusedxml (no entities, no document type).
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        listing = fromstring(files[SIGNATURES_PATH])
        entry = listing.find(ofd._q("Signature"))
        location = (entry.get("BaseLoc") if entry is not None else "").lstrip("/")
        signed_xml = files.get(location, b"")
        if not signed_xml:
            return OfdSignature(b"", b"", b"", [f"{location or 'Signature.xml'} is missing"])
        element = fromstring(signed_xml)
    except (ET.ParseError, DefusedXmlException) as error:
        return OfdSignature(b"", b"", b"", [f"unreadable OFD: {type(error).__name__}: {error}"])
    references = element.find(f'{ofd._q("SignedInfo")}/{ofd._q("References")}')
    if references is None:
        return OfdSignature(b"", b"", b"", [f"{location} names no signed files"])
    covered = set()
    for reference in references.findall(ofd._q("Reference")):
        name = reference.get("FileRef", "").lstrip("/")
        covered.add(name)
        try:
            expected = base64.b64decode(reference.findtext(ofd._q("CheckValue"), ""), validate=True)
        except ValueError:
            expected = b""
        if name not in files:
            problems.append(f"{name} is missing")
        elif hashlib.new("sm3", files[name]).digest() != expected:
            problems.append(f"{name} was changed after signing")
    own = {SIGNATURES_PATH, location, f"{SIGN_DIR}/SignedValue.dat", f"{SIGN_DIR}/Cert.cer"}
    uncovered = sorted(set(files) - covered - own)
    if uncovered:
        problems.append(f"not covered by the signature: {', '.join(uncovered)}")
    value_location = element.findtext(ofd._q("SignedValue"), "").lstrip("/")
    folder = location.rsplit("/", 1)[0]
    return OfdSignature(signed_xml=signed_xml, value=files.get(value_location, b""),
                        certificate=files.get(f"{folder}/Cert.cer", b""), problems=problems)


def verify_ofd(package: bytes) -> Verdict:
    """Check an OFD copy: its references' SM3 digests and the SM2 signature over ``Signature.xml`` (gmssl), with
    the public key of the deployment's SM2 certificate (a copy's own ``Cert.cer`` must be that certificate)."""
    found = ofd_signature(package)
    if found is None:
        return Verdict("ofd", signed=False, valid=False, problems=["no signature"])
    verdict = Verdict("ofd", signed=True, valid=False, problems=list(found.problems))
    if not found.signed_xml:
        return verdict
    certificate = sm2_certificate()
    verdict.signer = certificate.subject.human_friendly
    verdict.self_signed = is_self_signed(certificate)
    if found.certificate and found.certificate != certificate.dump():
        verdict.problems.append("signed with another certificate than the office's")
    public_hex = sm2_public_key_hex(certificate)
    try:
        r, s = sm2_signature_rs(found.value)
        matches = _sm2("", public_hex).verify_with_sm3(f"{r:064x}{s:064x}", found.signed_xml)
    except Exception:  # noqa: BLE001 - a malformed value is a failed check
        matches = False
    if not matches:
        verdict.problems.append("the SM2 signature does not match")
    verdict.valid = not verdict.problems
    return verdict


def verify_copy(data: bytes) -> Verdict:
    """A PDF or OFD copy of a bulletin, told apart by its first bytes."""
    if data[:5] == b"%PDF-":
        return verify_pdf(data)
    if data[:4] == b"PK\x03\x04":
        return verify_ofd(data)
    return Verdict("?", signed=False, valid=False, problems=["neither a PDF nor an OFD file"])
