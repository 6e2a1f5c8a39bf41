"""Values read from a request outside Django's forms: integers, ids, years, dates, decimals, choices and text.

One place decides what such a value may be, so that no value a form or a link can carry reaches ``int()``, the
database or a date computation unchecked:

* digits are ASCII digits only (``str.isdigit()`` also accepts "²" and "１", which ``int()`` refuses or reads);
* an integer stays within the column's range (64-bit signed: PostgreSQL's ``bigint`` and SQLite's integer alike);
* a date lies between ``DATE_MIN`` and ``DATE_MAX`` (a day after 9999-12-31 or a time zone shift before 0001-01-01
  overflows);
* a decimal is finite and has at most the field's digits;
* a text holds no NUL (PostgreSQL refuses one in a text value).

Each parser returns ``None`` for a value it refuses (the caller then answers with its default, a field error or
404: ``or_404`` raises Http404). Django form fields get the same date bounds through ``DATE_VALIDATORS``.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Iterable

from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import Http404
from django.utils.translation import gettext_lazy as _

ID_MAX = 2**63 - 1  # the largest value a 64-bit signed column holds (PostgreSQL bigint, SQLite integer)
YEAR_MIN, YEAR_MAX = 1900, 2999
DATE_MIN = datetime.date(YEAR_MIN, 1, 1)
DATE_MAX = datetime.date(YEAR_MAX, 12, 31)
_DIGITS = re.compile(r"[0-9]+")

# For Django DateFields: the same range as ``date_from``.
DATE_VALIDATORS = [
    MinValueValidator(DATE_MIN, message=_("Enter a date from %(limit_value)s on.")),
    MaxValueValidator(DATE_MAX, message=_("Enter a date up to %(limit_value)s.")),
]


def int_from(value, *, minimum: int = 0, maximum: int = ID_MAX) -> int | None:
    """ASCII digits (spaces around allowed) within [minimum, maximum], else None. A minus sign is read when
    ``minimum`` is negative."""
    if value is None:
        return None
    text = str(value).strip()
    negative = minimum < 0 and text.startswith("-")
    digits = text[1:] if negative else text
    if not _DIGITS.fullmatch(digits) or len(digits) > 19:
        return None
    number = -int(digits) if negative else int(digits)
    return number if minimum <= number <= maximum else None


def id_from(value) -> int | None:
    """An object's id: 1 … 2**63-1."""
    return int_from(value, minimum=1)


def ids_from(values: Iterable) -> list[int]:
    """The valid ids among ``values`` (the others dropped)."""
    return [number for number in (id_from(v) for v in values) if number is not None]


def year_from(value) -> int | None:
    return int_from(value, minimum=YEAR_MIN, maximum=YEAR_MAX)


def date_from(value) -> datetime.date | None:
    """An ISO date (YYYY-MM-DD, ASCII digits) between DATE_MIN and DATE_MAX."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value if DATE_MIN <= value <= DATE_MAX else None
    text = str(value or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


def decimal_from(value, *, max_length: int = 40) -> decimal.Decimal | None:
    """A decimal written plainly (ASCII digits, an optional sign and point; no exponent, no "NaN"), at most
    ``max_length`` characters, else None. Whether it fits a column is ``decimal_fits``."""
    text = str(value if value is not None else "").strip()
    if len(text) > max_length or not re.fullmatch(r"[-+]?[0-9]+(\.[0-9]+)?|[-+]?\.[0-9]+", text):
        return None
    return decimal.Decimal(text)


def decimal_fits(number: decimal.Decimal, *, max_digits: int, decimal_places: int) -> bool:
    """``number`` has at most ``decimal_places`` decimals and ``max_digits`` digits in all (a DecimalField's)."""
    if not number.is_finite():
        return False
    _sign, digits, exponent = number.normalize().as_tuple()
    decimals = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    return decimals <= decimal_places and whole <= max_digits - decimal_places


def choice_from(value, choices: Iterable[str]) -> str | None:
    """``value`` if it is one of ``choices``, else None."""
    text = str(value) if value is not None else None
    return text if text in set(choices) else None


def text_from(value, *, max_length: int = 1000) -> str:
    """A text parameter without NULs, cut to ``max_length`` characters."""
    return str(value or "").replace("\x00", "")[:max_length]


def or_404(value):
    """The parsed value, or Http404 when the parser refused it."""
    if value is None:
        raise Http404
    return value
