"""Traditional characters (負責, 牽頭單位) as simplified ones, with OpenCC's own conversion tables (offline).

Reprinted notices and notices of Hong Kong, Macao or Taiwan sources print traditional characters; the reader
matches words (负责, 牵头单位) and bureau names in simplified characters, so every text is converted first.
OpenCC's ``t2s`` leaves simplified text as it is (the 2022 notice converts to itself, character for character).
"""

from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text) if text else text
