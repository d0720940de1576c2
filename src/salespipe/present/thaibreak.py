"""Where Thai text may break between words (Thai is written without spaces between them).

The word breaks come from libthai, the system's Thai library (the one terminals and
desktop toolkits use), through ctypes: it is small, fast and needs no Python package.
It is loaded the first time a Thai word has to be wrapped, never at start-up. Without
libthai there are no word breaks and the caller falls back to syllable boundaries.
"""

from __future__ import annotations

import ctypes
import itertools
import unicodedata
from functools import lru_cache
from typing import Any

_LIBRARY_NAMES = ("libthai.so.0", "libthai.so", "libthai.0.dylib", "libthai.dylib")


@lru_cache(maxsize=1)
def _find_breaks() -> Any:
    """libthai's ``th_brk_wc_find_breaks``, or None when the library is not there."""
    for name in _LIBRARY_NAMES:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        function = getattr(library, "th_brk_wc_find_breaks", None)
        if function is None:
            continue
        function.argtypes = [
            ctypes.c_void_p,  # the breaker: NULL asks for libthai's shared default one
            ctypes.c_wchar_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_size_t,
        ]
        function.restype = ctypes.c_int
        return function
    return None


def available() -> bool:
    return _find_breaks() is not None


# Words libthai's dictionary splits into pieces that do not stand for the word alone,
# found by breaking the Thai of salespipe's own catalogue: each holds a piece of one
# syllable that is no word on its own (ผู้, ถัด, ล่า, กู้, คัด, เหล่า, กว่า…) or that
# means something else alone (คอ|ขวด "neck|bottle", ขึ้น|ต้น "rise|tree"), or a term of
# salespipe's (ปิดได้: won) or a set phrase its help writes (ครั้งแรก, เรียงกัน, ไม่ซ้ำ)
# that a line broken inside reads as two things. A line never breaks inside one of
# these where libthai's pieces make it up exactly.
COMPOUNDS = (
    "ผู้ใช้",
    "ผู้ดูแล",
    "ผู้ติดต่อ",
    "ผู้รับผิดชอบ",
    "ผู้สร้าง",
    "ถัดไป",
    "ล่าสุด",
    "คอขวด",
    "กู้คืน",
    "คัดลอก",
    "ฐานข้อมูล",
    "ใบเสนอราคา",
    "หัวตาราง",
    "ยืนราคา",
    "ขึ้นต้น",
    "เหล่านั้น",
    "เหล่านี้",
    "ครั้งแรก",
    "ปิดได้",
    "เรียงกัน",
    "ไม่ซ้ำ",
    "มากกว่า",  # (กว่า: "than", bound to what it compares)
    "น้อยกว่า",
)
_LONGEST_FIRST = sorted(COMPOUNDS, key=len, reverse=True)


def _is_thai(char: str) -> bool:
    return "\u0e01" <= char <= "\u0e4e"


def _merged(text: str, bounds: list[int]) -> list[int]:
    """``bounds`` without those inside a compound (COMPOUNDS) that starts and ends where
    a word does: at one of them, or beside what is not Thai ("ผู้ใช้)")."""
    at = set(bounds)
    inside: set[int] = set()

    def edge(place: int) -> bool:
        return place in at or not (_is_thai(text[place - 1]) and _is_thai(text[place]))

    for compound in _LONGEST_FIRST:
        start = text.find(compound)
        while start != -1:
            end = start + len(compound)
            if edge(start) and edge(end) and not inside & {start, end}:
                inside.update(b for b in bounds if start < b < end)
            start = text.find(compound, start + 1)
    return [b for b in bounds if b not in inside]


@lru_cache(maxsize=1024)
def words(text: str) -> tuple[str, ...]:
    """``text`` cut into its words (the pieces joined give it back); the whole text as
    one piece when libthai is not there."""
    find_breaks = _find_breaks()
    if find_breaks is None or ctypes.sizeof(ctypes.c_wchar) != 4 or not text:
        return (text,)
    positions = (ctypes.c_int * len(text))()
    count = find_breaks(None, text, positions, len(text))
    # (never before a mark, which sits on the letter before it: libthai parts "aิก" so)
    cuts = [
        p
        for p in positions[: max(0, count)]
        if 0 < p < len(text) and unicodedata.category(text[p]) not in ("Mn", "Me")
    ]
    bounds = _merged(text, [0, *cuts, len(text)])
    return tuple(text[start:end] for start, end in itertools.pairwise(bounds))
