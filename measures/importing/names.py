"""Recognise a bureau however a notice or a spreadsheet writes it.

``市水务局``, ``水务局``, ``广州市水务局``, `` 市水务局 `` and ``市水务局`` with full-width characters all name the same
bureau. A name is reduced to a key: NFKC (full-width → half-width), every space removed, a leading 广州 and then a
leading 市 removed. Short names and full names of every bureau are indexed under their keys.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from organisation.models import Bureau

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = "()[]<>{}\"'“”‘’「」《》.,;:!?、，。；：．"


def clean_name(name: str) -> str:
    """NFKC, no spaces, no punctuation around it: how a name is shown back and stored when created."""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", name or ""))
    return text.strip(_EDGE_PUNCTUATION)


def name_keys(name: str) -> list[str]:
    """The keys a name is looked up under, most exact first: without 广州, then also without 市.
    (Both are needed: 市场监管局 written without its 市 prefix starts with 市 itself.)"""
    text = clean_name(name).removeprefix("广州")
    keys = [text] if text else []
    if text.startswith("市") and len(text) > 1:
        keys.append(text[1:])
    return keys


def name_key(name: str) -> str:
    keys = name_keys(name)
    return keys[-1] if keys else ""


class BureauMatcher:
    """Index of the bureaus by every way of writing them. Built once per import (one query)."""

    def __init__(self, bureaus=None):
        bureaus = list(Bureau.objects.all() if bureaus is None else bureaus)
        self._by_key: dict[str, Bureau] = {}
        for bureau in bureaus:
            self.add(bureau)

    def add(self, bureau: Bureau) -> None:
        for name in (bureau.short_name, bureau.full_name):
            for key in name_keys(name):
                self._by_key.setdefault(key, bureau)

    def match(self, name: str) -> Bureau | None:
        for key in name_keys(name):
            if key in self._by_key:
                return self._by_key[key]
        return None

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The closest short names, for an error message."""
        key = name_key(name)
        keys = difflib.get_close_matches(key, list(self._by_key), n=n * 2, cutoff=0.5)
        if not keys:
            # A shared distinctive word helps where difflib does not (发改委 → 市发展改革委).
            keys = [k for k in self._by_key if key and (key[:2] in k or k[:2] in key)]
        seen: list[str] = []
        for k in keys:
            short = self._by_key[k].short_name
            if short not in seen:
                seen.append(short)
        return seen[:n]

    def unknown_message(self, name: str) -> str:
        from django.utils.translation import gettext as _

        close = self.suggestions(name)
        if close:
            return _("Unknown bureau “%(name)s”. Did you mean: %(close)s?") % {"name": name, "close": "、".join(close)}
        return _("Unknown bureau “%(name)s”: no bureau has a similar name. Add it under Bureaus first.") % {"name": name}
