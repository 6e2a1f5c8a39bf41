"""Recognise a bureau however a notice or a spreadsheet writes it.

``市水务局``, ``水务局``, ``广州市水务局``, `` 市水务局 `` and ``市水务局`` with full-width characters all name the same
bureau. A name is reduced to keys: NFKC (full-width → half-width), every space removed, then also without the
government's place name (广州市) and without its level prefix (市). Short names and full names of every bureau are
indexed under their keys.

A ``BureauMatcher`` is built from the bureaus a name may bind to (one government's), and learns from them how that
government writes its bureaus: the level prefix that starts most of their short names (市 for 市水务局, 省 for
省财政厅, none for 财政部) and the place name that starts most of their full names (广州市). Only that prefix and
that place are dropped, so a bare 发展改革委 binds to this government's bureau while 省发展改革委 or 深圳市财政局,
another government's, binds to none of a city's bureaus. Suggestions for an unknown name come from the matcher's
bureaus only.
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


LEVEL_PREFIXES = ("省", "市", "区", "县")
_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{2,8}?(?:自治区|省|市))")


def _most_common(values: list[str], total: int) -> list[str]:
    """The values shared by at least a third of ``total`` (at least two), most frequent first."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    threshold = max(2, total / 3)
    return [value for value, count in sorted(counts.items(), key=lambda item: -item[1]) if count >= threshold]


class BureauMatcher:
    """Index of the bureaus by every way of writing them. Built once per import from an iterable of bureaus
    (all bureaus when none is given: one query)."""

    def __init__(self, bureaus=None, *, levels=(), places=()):
        bureaus = list(Bureau.objects.all() if bureaus is None else bureaus)
        shorts = [clean_name(b.short_name) for b in bureaus]
        learnt = _most_common([s[0] for s in shorts if s[:1] in LEVEL_PREFIXES and len(s) > 2], len(bureaus))
        # What the programme says (its prefix, its place name) comes first; what the bureaus teach is added.
        self.levels = list(dict.fromkeys([*(level for level in levels if level), *learnt]))
        found = [m.group(0) for b in bureaus if (m := _PLACE.match(clean_name(b.full_name)))]
        self.places = list(dict.fromkeys([*(place for place in places if place), *_most_common(found, len(bureaus))]))
        self._by_key: dict[str, Bureau] = {}
        for bureau in bureaus:
            self.add(bureau)

    @classmethod
    def for_programme(cls, programme) -> BureauMatcher:
        """The bureaus of one programme, with the prefix and place name the programme declares (a programme
        with few bureaus yet still reads 发展改革委 as its 省发展改革委)."""
        return cls(programme.bureaus.all(), levels=[programme.bureau_prefix], places=[programme.place_name])

    def keys(self, name: str) -> list[str]:
        """The keys a name is looked up under, most exact first: as written, without this government's place
        name, then without its level prefix. (Both are needed: 市场监管局 written without its 市 prefix starts with
        市 itself.)"""
        text = clean_name(name)
        keys = [text] if text else []
        # 广州市水务局, and 广州水务局 without the place's own 市.
        for place in [variant for known in self.places for variant in (known, known.removesuffix("市").removesuffix("省"))]:
            if len(place) >= 2 and text.startswith(place) and len(text) > len(place):
                text = text[len(place):]
                keys.append(text)
                break
        if text[:1] in self.levels and len(text) > 1:
            keys.append(text[1:])
        return list(dict.fromkeys(keys))

    def add(self, bureau: Bureau) -> None:
        for name in (bureau.short_name, bureau.full_name):
            for key in self.keys(name):
                self._by_key.setdefault(key, bureau)

    def match(self, name: str) -> Bureau | None:
        for key in self.keys(name):
            if key in self._by_key:
                return self._by_key[key]
        return None

    @property
    def bureaus(self) -> list[Bureau]:
        return list({bureau.pk: bureau for bureau in self._by_key.values()}.values())

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The closest short names among this matcher's bureaus, for an error message."""
        keys = self.keys(name)
        key = keys[-1] if keys else ""
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
