"""Display width of text in a terminal cell grid, without importing a library.

Thai vowel and tone marks above and below the line take no cell; East Asian wide
characters take two. This is what Rich and wcwidth count too (tests compare them).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_ZERO_WIDTH_CATEGORIES = {"Mn", "Me", "Cf"}


@lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    if char in "\u200b\u200c\u200d\u2060\ufeff":
        return 0
    if unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES:
        return 0
    if 0x1160 <= ord(char) <= 0x11FF:  # Hangul medial vowels and final consonants
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(char_width(c) for c in text)


def pad(text: str, size: int, *, right: bool = False) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def clip(text: str, size: int) -> str:
    """Cut text to at most ``size`` cells, marking the cut with an ellipsis."""
    if width(text) <= size:
        return text
    out, used = [], 0
    for char in text:
        cells = char_width(char)
        if used + cells > size - 1:
            break
        out.append(char)
        used += cells
    return "".join(out) + "…"
