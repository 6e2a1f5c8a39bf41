"""Checks on evidence files: the extension says what the file claims to be, the first bytes say what it is.

A file is accepted only when both agree, so a renamed executable or HTML page ("report.pdf") is refused. Office
files that can carry macros are refused (.docm, .xlsm, .pptm, and a .docx/.xlsx/.pptx holding a VBA project or a
.doc/.xls/.ppt holding macro streams), and an Office Open XML file is opened as the spreadsheet import opens one
(``measures.importing.reading.check_zip``): a zip bomb or an XML part declaring entities is refused unopened.
"""

import hashlib
import os
import posixpath
import secrets
import zipfile

import olefile
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from measures.importing.reading import ImportFileError, check_zip

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
GIF = (b"GIF87a", b"GIF89a")
ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# extension → (MIME type, check of the content)
OOXML_FOLDERS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
ALLOWED = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
ACCEPT_ATTRIBUTE = ",".join(ALLOWED)
MACRO_EXTENSIONS = (".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm")
# Where macros live: the VBA project part of an OOXML file, the storages of a .doc/.xls/.ppt.
OOXML_MACRO_PART = "vbaproject.bin"
OLE_MACRO_STORAGES = {"macros", "_vba_project_cur", "_vba_project", "vba"}


def _is_ooxml(uploaded, extension: str) -> bool:
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        uploaded.seek(0)
    return "[Content_Types].xml" in names and any(n.startswith(OOXML_FOLDERS[extension]) for n in names)


def _content_matches(uploaded, extension: str, head: bytes) -> bool:
    if extension == ".pdf":
        return head.startswith(PDF)
    if extension == ".png":
        return head.startswith(PNG)
    if extension in (".jpg", ".jpeg"):
        return head.startswith(JPEG)
    if extension == ".gif":
        return head.startswith(GIF)
    if extension in OOXML_FOLDERS:
        return head.startswith(ZIP) and _is_ooxml(uploaded, extension)
    if extension in (".doc", ".xls", ".ppt"):
        return head.startswith(OLE2)
    return False


def _macros_inside(uploaded, extension: str) -> bool:
    """Whether the office file holds macros (a VBA project), whatever its extension says."""
    uploaded.seek(0)
    try:
        if extension in OOXML_FOLDERS:
            with zipfile.ZipFile(uploaded) as archive:
                return any(posixpath.basename(n).lower() == OOXML_MACRO_PART for n in archive.namelist())
        with olefile.OleFileIO(uploaded) as ole:
            return any(part.lower() in OLE_MACRO_STORAGES for entry in ole.listdir(streams=True, storages=True)
                       for part in entry)
    except (zipfile.BadZipFile, OSError, ValueError, IndexError, TypeError):
        return False  # not readable as such: _content_matches has refused it already
    finally:
        uploaded.seek(0)


def _zip_refusal(uploaded, extension: str) -> str | None:
    """Why an Office Open XML file is refused (a zip bomb, an XML part declaring entities), or None."""
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    try:
        check_zip(data, kind="workbook" if extension == ".xlsx" else "document").close()
    except ImportFileError as error:
        return error.message
    return None


def safe_original_name(name: str) -> str:
    """The person's file name, kept only for display and download: no directories, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return (name.strip() or "evidence")[-200:]


def evidence_check(uploaded) -> dict:
    """Validate one uploaded file; return what to store about it. Raises DomainError with a clear message."""
    original = safe_original_name(uploaded.name)
    extension = os.path.splitext(original)[1].lower()
    if extension in MACRO_EXTENSIONS:
        raise DomainError(_("“%(name)s” is an office file with macros, which could run code on the reader's computer: "
                            "save it without macros (as .docx, .xlsx or .pptx) or as PDF.") % {"name": original})
    if extension not in ALLOWED:
        raise DomainError(_("“%(name)s”: only PDF, images (PNG, JPEG, GIF) and office documents (Word, Excel, "
                            "PowerPoint) are accepted.") % {"name": original})
    limit = settings.EVIDENCE_MAX_BYTES
    if uploaded.size > limit:
        raise DomainError(_("“%(name)s” is larger than %(limit)s.") % {"name": original, "limit": filesizeformat(limit)})
    if uploaded.size == 0:
        raise DomainError(_("“%(name)s” is empty.") % {"name": original})
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if not _content_matches(uploaded, extension, head):
        raise DomainError(_("“%(name)s” is not really a %(extension)s file.") % {"name": original, "extension": extension})
    if extension in OOXML_FOLDERS:
        refusal = _zip_refusal(uploaded, extension)
        if refusal:
            raise DomainError(_("“%(name)s”: %(reason)s") % {"name": original, "reason": refusal})
    if extension in OOXML_FOLDERS or head.startswith(OLE2):
        if _macros_inside(uploaded, extension):
            raise DomainError(_("“%(name)s” contains macros, which could run code on the reader's computer: save it "
                                "without macros (as .docx, .xlsx or .pptx) or as PDF.") % {"name": original})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return {
        "original_name": original,
        "extension": extension,
        "content_type": ALLOWED[extension],
        "size": uploaded.size,
        "sha256": digest.hexdigest(),
        "token": secrets.token_hex(16),
    }
