"""The bulletin's document number (发文字号), as GB/T 9704-2012 §7.2.4 writes it.

A number is the issuer's code, the year in hexagonal brackets 〔〕 and the serial without leading zeros, followed
by 号: ``穗府办〔2027〕13号``. The year is the year the bulletin is published (issued), which for a performance
year's bulletin is usually the year after it (the 2022 results were announced as 穗府办〔2023〕13号).

The check is written by hand: it is one regular expression and a few messages, and no package on PyPI knows the
number format of Chinese official documents.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Guangzhou's code; a cycle's bulletin is validated with its programme's (``Programme.number_prefix``).
ISSUER_CODE = "穗府办"
# The brackets people type instead of 〔〕 (U+3014/U+3015), said by name in the message.
WRONG_BRACKETS = "[]［］【】()（）〈〉<>"
NUMBER = re.compile(r"^(?P<code>[\u4e00-\u9fff]+)〔(?P<year>\d{4})〕(?P<serial>\d+)号$")


def bulletin_number_validate(value: str, *, year: int, issuer_code: str = ISSUER_CODE) -> str:
    """Return the number, stripped, or raise ``ValidationError`` with a message naming what is wrong.

    ``year`` is the year of publication: the year in 〔〕 must equal it."""
    number = (value or "").strip()
    if not number:
        raise ValidationError(_("Enter the document number, e.g. %(example)s.")
                              % {"example": f"{issuer_code}〔{year}〕13号"}, code="required")
    if any(bracket in number for bracket in WRONG_BRACKETS):
        raise ValidationError(_("Write the year in the brackets 〔〕, e.g. %(example)s.")
                              % {"example": f"{issuer_code}〔{year}〕13号"}, code="brackets")
    match = NUMBER.match(number)
    if match is None:
        raise ValidationError(_("“%(value)s” is not a document number: write the issuer's code, the year in 〔〕 and "
                                "the serial followed by 号, e.g. %(example)s.")
                              % {"value": number, "example": f"{issuer_code}〔{year}〕13号"}, code="format")
    if match["code"] != issuer_code:
        raise ValidationError(_("The issuer's code is %(expected)s, not %(code)s.")
                              % {"expected": issuer_code, "code": match["code"]}, code="issuer")
    if int(match["year"]) != year:
        raise ValidationError(_("The year in 〔〕 must be the year of publication, %(year)s, not %(given)s.")
                              % {"year": year, "given": match["year"]}, code="year")
    serial = match["serial"]
    if serial.startswith("0"):
        raise ValidationError(_("The serial is written without leading zeros: %(serial)s, not %(given)s.")
                              % {"serial": serial.lstrip("0") or "1", "given": serial}, code="leading_zero")
    return number


def awarding_number_validate(value: str) -> str:
    """The number of a higher-level awarding document (国办发〔2022〕21号, 粤府办〔2023〕5号): any issuer's code, the year
    in 〔〕, the serial without leading zeros. Returns it stripped, or raises ``ValidationError`` naming the fault."""
    example = "国办发〔2022〕21号"
    number = (value or "").strip()
    if not number:
        raise ValidationError(_("Enter the document number, e.g. %(example)s.") % {"example": example}, code="required")
    if any(bracket in number for bracket in WRONG_BRACKETS):
        raise ValidationError(_("Write the year in the brackets 〔〕, e.g. %(example)s.") % {"example": example},
                              code="brackets")
    match = NUMBER.match(number)
    if match is None:
        raise ValidationError(_("“%(value)s” is not a document number: write the issuer's code, the year in 〔〕 and "
                                "the serial followed by 号, e.g. %(example)s.") % {"value": number, "example": example},
                              code="format")
    if match["serial"].startswith("0"):
        raise ValidationError(_("The serial is written without leading zeros: %(serial)s, not %(given)s.")
                              % {"serial": match["serial"].lstrip("0") or "1", "given": match["serial"]},
                              code="leading_zero")
    return number
