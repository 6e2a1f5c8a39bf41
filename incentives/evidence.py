"""Checks on evidence files: the extension says what the file claims to be, the first bytes say what it is.

A file is accepted only when both agree, so a renamed executable or HTML page ("report.pdf") is refused.
"""

import hashlib
import os
import secrets
import zipfile

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from incentives.errors import DomainError

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


def safe_original_name(name: str) -> str:
    """The person's file name, kept only for display and download: no directories, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return (name.strip() or "evidence")[-200:]


def evidence_check(uploaded) -> dict:
    """Validate one uploaded file; return what to store about it. Raises DomainError with a clear message."""
    original = safe_original_name(uploaded.name)
    extension = os.path.splitext(original)[1].lower()
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
