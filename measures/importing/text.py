"""Read a notice from an upload: plain text in any encoding a notice is saved in, or a Word document (.docx).

The kind is told by the first bytes, not the file name: ``PK\\x03\\x04`` is a zip (read as .docx,
``measures.importing.docx``), ``D0 CF 11 E0`` an old .doc or a password-protected document (refused). Text is
decoded in this order, and the first that fits is taken:

1. a byte-order mark: UTF-8 (``EF BB BF``), UTF-16 little-endian (``FF FE``) or big-endian (``FE FF``);
2. UTF-16 without a mark: every line of a notice ends in a newline, which UTF-16 writes as ``0A 00`` (LE) or
   ``00 0A`` (BE), and so does every ASCII digit or letter, so a file whose NUL bytes sit (four times out of five
   at least) at odd (LE) or even (BE) offsets is UTF-16. Text in UTF-8 or GB18030 holds no NUL byte at all;
3. UTF-8, strictly;
4. GB18030 (a superset of GBK and GB2312: what Notepad and WPS on a Chinese Windows save as "ANSI"), strictly.

A file that fits none of them is refused with the line where decoding failed; decoded text that still holds
control characters is not text and is refused too.
"""

from __future__ import annotations

import codecs
import re

from django.utils.translation import gettext as _

from .docx import docx_source
from .notice import NoticeSource
from .reading import OLE2_MAGIC, ZIP_MAGIC, ImportFileError, max_bytes, too_big_message

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def notice_source_from_bytes(data: bytes, *, filename: str = "", byte_limit: int | None = None) -> NoticeSource:
    limit = max_bytes() if byte_limit is None else byte_limit
    if len(data) > limit:
        raise ImportFileError(too_big_message(len(data), limit))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(OLE2_MAGIC):
        raise ImportFileError(_("This document is password-protected or in the old .doc format: save it as .docx or .txt."))
    if data.startswith(ZIP_MAGIC):
        return docx_source(data)
    if filename.lower().endswith(".docx"):
        raise ImportFileError(_("This file is named like a Word document but is not one: it may be damaged. Open it "
                                "in Word and save it again as .docx."))
    return NoticeSource.from_text(decode_text(data))


def notice_text_from_bytes(data: bytes, *, filename: str = "", byte_limit: int | None = None) -> str:
    """The notice's text (a Word document's paragraphs separated by blank lines)."""
    return notice_source_from_bytes(data, filename=filename, byte_limit=byte_limit).text


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le-bom"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be-bom"
    sample = data[:65536]
    nul_even = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0)
    nul_odd = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
    # A CJK character whose low byte is 0 (一 is U+4E00) puts a NUL on the other side now and then.
    if nul_odd > 4 * nul_even:
        return "utf-16-le"
    if nul_even > 4 * nul_odd:
        return "utf-16-be"
    if nul_odd or nul_even:
        return "binary"
    return "utf-8"


def _line_of(data: bytes, position: int, *, width: int = 1) -> int:
    newline = b"\n" if width == 1 else (b"\n\x00" if width == 2 else b"\x00\n")
    return data[:position].count(newline) + 1


def decode_text(data: bytes) -> str:
    encoding = detect_encoding(data)
    if encoding == "binary":
        raise ImportFileError(_("This is not a text file: upload the notice as .txt (UTF-8, GB18030 or UTF-16) or .docx."))
    if encoding.startswith("utf-16"):
        codec = "utf-16-le" if "le" in encoding else "utf-16-be"
        payload = data[2:] if encoding.endswith("-bom") else data
        try:
            text = codecs.decode(payload, codec)
        except UnicodeDecodeError as error:
            raise ImportFileError(_("Line %(line)s cannot be read as UTF-16 text: the file is cut or damaged.") % {
                "line": _line_of(payload, error.start, width=2)}) from None
    else:
        try:
            text = codecs.decode(data, encoding)
        except UnicodeDecodeError as first:
            try:
                text = codecs.decode(data, "gb18030")
            except UnicodeDecodeError as second:
                line = _line_of(data, max(first.start, second.start))
                raise ImportFileError(_("Line %(line)s cannot be read: the file is neither UTF-8 nor GB18030 (GBK) "
                                        "text. Save it as UTF-8 text, or upload the .docx.") % {"line": line}) from None
    control = _CONTROL.search(text)
    if control:
        line = text[: control.start()].count("\n") + 1
        raise ImportFileError(_("Line %(line)s holds a control character (U+%(code)04X): this is not a text file. Upload "
                                "the notice as .txt or .docx.") % {"line": line, "code": ord(control.group(0))})
    return text.lstrip("\ufeff")
