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
    bounds = [0, *cuts, len(text)]
    return tuple(text[start:end] for start, end in itertools.pairwise(bounds))
