"""Display width of text in a terminal cell grid, without importing a library.

Thai vowel and tone marks above and below the line take no cell; East Asian wide
characters take two. This is what Rich and wcwidth count too (tests compare them).
"""

from __future__ import annotations

import re
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


# Text of only Latin and Thai letters (most of what salespipe shows) is measured by
# counting its few zero-width marks, without looking each character up.
_LATIN_OR_THAI = re.compile(r"[\x00-\u024f\u0e01-\u0e3a\u0e3f-\u0e5b]*")
_ZERO_WIDTH_LATIN_OR_THAI = re.compile(r"[\u00ad\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


@lru_cache(maxsize=65536)  # a table measures each cell several times
def width(text: str) -> int:
    if text.isascii():
        return len(text)
    if _LATIN_OR_THAI.fullmatch(text):
        return len(text) - len(_ZERO_WIDTH_LATIN_OR_THAI.findall(text))
    return sum(char_width(c) for c in text)


def block_width(text: str) -> int:
    """The width of the widest line of a text that may have several."""
    return max(map(width, text.split("\n"))) if "\n" in text else width(text)


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


def _clusters(text: str) -> list[str]:
    """Characters with the marks that sit on them (a Thai consonant and its vowel and tone)."""
    clusters: list[str] = []
    for char in text:
        if clusters and char_width(char) == 0:
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


_STARTS_SYLLABLE = frozenset("เแโใไ")  # Thai vowels written before their consonant
_ENDS_SYLLABLE = frozenset("ะๆฯ")


def _break_at(clusters: list[str]) -> int:
    """Where to cut a run of clusters that is too wide: at the last Thai syllable boundary
    past its first third (so words are cut between syllables), else at its end."""
    for index in range(len(clusters) - 1, len(clusters) // 3, -1):
        if clusters[index][0] in _STARTS_SYLLABLE or clusters[index - 1][-1] in _ENDS_SYLLABLE:
            return index
    return len(clusters)


def _split_word(word: str, size: int) -> list[str]:
    """A word wider than ``size`` cut into pieces that fit, never inside a cluster."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0  # cells of ``current``, kept as we go: measuring it again is quadratic
    for cluster in _clusters(word):
        cells = width(cluster)
        if current and used + cells > size:
            cut = _break_at(current)
            pieces.append("".join(current[:cut]))
            current = current[cut:]
            used = sum(width(c) for c in current)
        current.append(cluster)
        used += cells
    return [*pieces, "".join(current)]


def _wrap_paragraph(paragraph: str, size: int) -> list[str]:
    body = paragraph.lstrip(" ")
    indent = paragraph[: len(paragraph) - len(body)]
    room = max(1, size - len(indent))
    lines: list[str] = []
    current, used = "", 0
    for word in body.split(" "):
        cells = width(word)
        gap = 1 if current else 0
        if used + gap + cells <= room:
            current = f"{current} {word}" if current else word
            used += gap + cells
            continue
        if current:
            lines.append(current)
        *full, current = _split_word(word, room) if cells > room else [word]
        lines.extend(full)
        used = width(current)
    lines.append(current)
    return [indent + line if line else line for line in lines]


def wrap(text: str, size: int) -> list[str]:
    """Lines of at most ``size`` cells: broken at spaces, a long word (Thai is written
    without spaces) between its characters but never between a letter and its marks."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if width(paragraph) <= size:
            lines.append(paragraph)
        else:
            lines.extend(_wrap_paragraph(paragraph, size))
    return lines
