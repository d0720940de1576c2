"""Comparing and sorting text the way Thai (and English) readers expect, without ICU.

- :func:`normalize`: Unicode NFC, plus the spellings of Thai that look the same on
  screen but differ in code points: ``ํ`` + ``า`` typed for ``ำ`` (SARA AM), a
  tone mark typed before the vowel above it (``ก่ี`` for ``กี่``), and one typed after
  ``ำ`` (``นำ้`` for ``น้ำ``).
- :func:`fold`: normalized, case ignored (Latin, Greek, Cyrillic…), ends trimmed:
  the form names are matched in; :func:`look`, also without full-width forms and
  invisible characters: the form in which a new name must differ from the others.
- :func:`sort_key`: Thai dictionary order. Thai writes the vowels เ แ โ ใ ไ before
  the consonant they follow in speech, and dictionaries file a word under that
  consonant (เสนอ under ส); tone marks only break ties (กา, ก่า, ก้า). Thai digits
  sort as the digits they are. Latin text sorts before Thai, case ignored.
"""

from __future__ import annotations

import unicodedata

LEADING_VOWELS = frozenset("เแโใไ")
TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b")  # ่ ้ ๊ ๋
# Signs that do not change which word it is: they only break ties in sorting.
TIE_BREAKERS = TONE_MARKS | frozenset("\u0e4c\u0e47\u0e4e\u0e3a")  # ์ ็ ๎ ฺ
# Vowels written above or below a consonant: typed after it, before any tone mark.
_VOWELS_ON_TOP = frozenset("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39")  # ั ิ ี ึ ื ุ ู
NIKHAHIT, SARA_AA, SARA_AM = "\u0e4d", "\u0e32", "\u0e33"
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def is_thai_consonant(char: str) -> bool:
    return "\u0e01" <= char <= "\u0e2e"


def _has_thai(text: str) -> bool:
    return any("\u0e00" <= c <= "\u0e7f" for c in text)


def _repair_thai(text: str) -> str:
    chars = list(text)
    out: list[str] = []
    for char in chars:
        if char == SARA_AA and out and out[-1] == NIKHAHIT:
            out[-1] = SARA_AM  # ํ + า → ำ
        elif char == SARA_AA and len(out) > 1 and out[-2] == NIKHAHIT and out[-1] in TONE_MARKS:
            out[-2:] = [out[-1], SARA_AM]  # ํ + ่ + า → ่ + ำ
        elif char in TONE_MARKS and out and out[-1] == SARA_AM:
            out[-1:] = [char, SARA_AM]  # น + ำ + ้ typed for น้ำ: the tone goes first
        elif char in _VOWELS_ON_TOP and out and out[-1] in TONE_MARKS:
            out[-1:] = [char, out[-1]]  # tone typed before the vowel above: swap them
        elif out and char == out[-1] and unicodedata.category(char) == "Mn":
            continue  # the same mark typed twice shows once
        else:
            out.append(char)
    return "".join(out)


def normalize(text: str) -> str:
    """NFC, with the Thai spellings that look alike made alike."""
    text = unicodedata.normalize("NFC", text)
    return _repair_thai(text) if _has_thai(text) else text


def fold(text: str) -> str:
    """The form in which names are compared: normalized, case-folded, trimmed."""
    return normalize(text).casefold().strip()


def look(text: str) -> str:
    """The form in which names that look the same are the same name: :func:`fold`, after
    compatibility forms made plain (full-width ``Ｑｕｏｔｅｄ``, ligatures) and invisible
    format characters (a zero-width space, a soft hyphen) taken out, and a run of spaces
    read as one. For telling a new name from the ones there are; names are stored, shown
    and matched as typed."""
    plain = unicodedata.normalize("NFKC", text)
    return " ".join(fold("".join(c for c in plain if unicodedata.category(c) != "Cf")).split())


def matches(needle: str, haystack: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as people read them (see :func:`fold`).

    Thai is written without spaces between words, so any part of the text matches:
    the beginning of a word (``เสนอ`` in ``ใบเสนอราคา``) as well as a whole one.
    """
    return searched(needle) in searched(haystack)


def searched(text: str) -> str:
    """The form text is searched in: :func:`fold`, Thai digits as the digits they are
    ("พระราม ๙" is found by "พระราม 9")."""
    return fold(text).translate(THAI_DIGITS)


def _dictionary_order(text: str) -> str:
    """Each leading vowel moved after the consonant it is filed under."""
    chars = list(text)
    index = 0
    while index < len(chars) - 1:
        if chars[index] in LEADING_VOWELS and is_thai_consonant(chars[index + 1]):
            chars[index], chars[index + 1] = chars[index + 1], chars[index]
            index += 2
        else:
            index += 1
    return "".join(chars)


def sort_key(text: str) -> tuple[str, str, str]:
    """A key that puts text in dictionary order (Thai rules for Thai text)."""
    folded = fold(text).translate(THAI_DIGITS)
    if not _has_thai(folded):
        return folded, "", text
    ordered = _dictionary_order(folded)
    primary = "".join(c for c in ordered if c not in TIE_BREAKERS)
    return primary, ordered, text
