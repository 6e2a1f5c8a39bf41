"""Values longer than their database column are row errors in the preview, never cut and never a 500 on confirm.

The limits are read from the model fields themselves, so a column widened in a model is widened here too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _

from .reading import RowError


def max_length(model: type[models.Model], field_name: str) -> int | None:
    return model._meta.get_field(field_name).max_length


def too_long(row: int, column: str, value: str | None, model: type[models.Model], field_name: str) -> RowError | None:
    """A RowError when ``value`` does not fit ``model.field_name``; None when it does (or the field has no limit)."""
    limit = max_length(model, field_name)
    if value is None or limit is None or len(value) <= limit:
        return None
    return RowError(row, column, _("“%(value)s…” has %(length)s characters; at most %(limit)s fit in %(column)s.") % {
        "value": value[:20], "length": len(value), "limit": limit, "column": column or field_name})


def length_errors(row: int, checks: list[tuple[str, str | None, type[models.Model], str]]) -> list[RowError]:
    """``checks`` is a list of (column, value, model, field name); the errors of those that do not fit."""
    errors = []
    for column, value, model, field_name in checks:
        error = too_long(row, column, value, model, field_name)
        if error is not None:
            errors.append(error)
    return errors
