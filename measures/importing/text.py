"""Read a notice's text from an upload: plain text (UTF-8 or GB18030) or a .docx (its paragraphs, no library)."""

from __future__ import annotations

import codecs
from xml.etree.ElementTree import iterparse

from django.utils.translation import gettext as _

from .reading import OLE2_MAGIC, ZIP_MAGIC, ImportFileError, check_zip, max_bytes, too_big_message

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def notice_text_from_bytes(data: bytes, *, filename: str = "", byte_limit: int | None = None) -> str:
    limit = max_bytes() if byte_limit is None else byte_limit
    if len(data) > limit:
        raise ImportFileError(too_big_message(len(data), limit))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(OLE2_MAGIC):
        raise ImportFileError(_("This document is password-protected or in the old .doc format: save it as .docx or .txt."))
    if data.startswith(ZIP_MAGIC):
        return _docx_text(data)
    if b"\x00" in data[:8192]:
        raise ImportFileError(_("This is not a text file: upload the notice as .txt (UTF-8) or .docx."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return codecs.decode(data, encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("This text file is neither UTF-8 nor GB18030 encoded."))


def _docx_text(data: bytes) -> str:
    archive = check_zip_docx(data)
    paragraphs: list[str] = []
    try:
        with archive.open("word/document.xml") as source:
            current: list[str] = []
            for event, element in iterparse(source, events=("start", "end")):
                if event == "end" and element.tag == f"{W}t":
                    current.append(element.text or "")
                elif event == "end" and element.tag == f"{W}tab":
                    current.append("\t")
                elif event == "end" and element.tag == f"{W}p":
                    paragraphs.append("".join(current))
                    current = []
                    element.clear()
    except KeyError:
        raise ImportFileError(_("This zip file is not a Word document (.docx).")) from None
    except Exception:
        raise ImportFileError(_("This Word document is damaged and cannot be read.")) from None
    # A blank line between paragraphs: each paragraph is a measure or a block of its own.
    return "\n\n".join(paragraphs)


def check_zip_docx(data: bytes):
    try:
        return check_zip(data)
    except ImportFileError as error:
        raise ImportFileError(error.message.replace("workbook", "document")) from None
