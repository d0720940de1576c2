"""Display width: the fast path for Latin and Thai text agrees with the per-character rule."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe import textwidth

LATIN_AND_THAI = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x24F),
        st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),
    ),
    max_size=60,
)


def slow_width(text: str) -> int:
    return sum(textwidth.char_width(c) for c in text)


@settings(max_examples=300, deadline=None)
@given(text=LATIN_AND_THAI)
def test_fast_width_equals_the_per_character_width(text: str) -> None:
    """Counting zero-width marks gives what looking up every character gives."""
    assert textwidth.width(text) == slow_width(text)


def test_every_latin_and_thai_code_point_agrees() -> None:
    """Each code point of the fast ranges, beside a Thai letter, measures as it should."""
    for code in [*range(0x20, 0x250), *range(0x0E00, 0x0E80)]:
        text = chr(code) + "ก"
        assert textwidth.width(text) == slow_width(text), hex(code)


def test_thai_marks_take_no_cell_and_wide_characters_two() -> None:
    """Known widths: Thai vowels and tones above/below are 0, CJK is 2, others 1."""
    assert textwidth.width("เจรจาต่อรอง") == 10
    assert textwidth.width("อนุมัติซื้อ") == 6
    assert textwidth.width("株式会社") == 8
    assert textwidth.width("Café") == 4
