"""Latin letters for names in other scripts, so that stage keys stay readable.

A light, deterministic transcription, letter by letter: Thai after the Royal Thai
General System's consonant and vowel values (a leading vowel such as เ is read after
its consonant; tone marks and silent letters are dropped), Cyrillic after the usual
scientific-style table, other letters without their accents. It is not a
pronunciation guide; it gives the same key for the same name in every file.
"""

from __future__ import annotations

import unicodedata

_THAI_LETTERS = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรฤลฦวศษสหฬอฮ"
_THAI_SOUNDS = (
    "k kh kh kh kh kh ng ch ch ch s ch y d t th th th n d t th th th n b p ph f ph f "
    "ph m y r rue l lue w s s s h l o h"
)


def _table(letters: str, sounds: str) -> dict[str, str]:
    return dict(zip(letters, sounds.split(), strict=True))


_THAI_CONSONANTS = _table(_THAI_LETTERS, _THAI_SOUNDS)
_THAI_VOWELS = {
    "ะ": "a",
    "ั": "a",
    "า": "a",
    "ำ": "am",
    "ิ": "i",
    "ี": "i",
    "ึ": "ue",
    "ื": "ue",
    "ุ": "u",
    "ู": "u",
    "ๅ": "",
}
_THAI_LEADING = {"เ": "e", "แ": "ae", "โ": "o", "ใ": "ai", "ไ": "ai"}
_THAI_SILENT = set("่้๊๋็์ํฯๆ")
_CYRILLIC = _table(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya i yi ye g",
)


def _thai(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        if char in _THAI_LEADING and following in _THAI_CONSONANTS:
            # เส is written vowel first, said consonant first: "se".
            out.append(_THAI_CONSONANTS[following].replace("o", "") + _THAI_LEADING[char])
            index += 2
            continue
        if char == "อ" and (following in _THAI_VOWELS or following in _THAI_SILENT):
            out.append("")  # อ carrying a vowel is silent
        elif char in _THAI_CONSONANTS:
            out.append(_THAI_CONSONANTS[char])
        elif char in _THAI_VOWELS:
            out.append(_THAI_VOWELS[char])
        elif char in _THAI_LEADING:
            out.append(_THAI_LEADING[char])
        elif "๐" <= char <= "๙":
            out.append(str(ord(char) - ord("๐")))
        elif char not in _THAI_SILENT:
            out.append(char)
        index += 1
    return "".join(out)


def romanise(name: str) -> str:
    """``ใบเสนอราคา`` → ``baisenorakha``, ``Переговоры`` → ``Peregovory``, accents dropped."""
    text = _thai(unicodedata.normalize("NFC", name))
    latin = []
    for char in text:
        lower = char.lower()
        if lower in _CYRILLIC:
            letters = _CYRILLIC[lower].strip("-")
            latin.append(letters.capitalize() if char != lower else letters)
        else:
            latin.append(char)
    plain = unicodedata.normalize("NFKD", "".join(latin))
    return "".join(c for c in plain if c.isascii())
