"""Display width: the fast path for Latin and Thai text agrees with the per-character rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe.present import textwidth, thaibreak

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


# -- fast paths: each agrees with looking up every character ---------------------------------
# Letters, marks and signs of every kind the fast paths treat differently: ASCII, Latin,
# Thai with its marks, dashes and currency signs, a soft hyphen, CJK, an emoji.
MIXED = st.text(alphabet=st.sampled_from("ab Zé-–€→…\xadกเไะ่้ิีั株会🚀"), max_size=40)
WORD = st.text(alphabet=st.sampled_from("abcdeกขเไะ่้ิ–"), min_size=1, max_size=12)
SPACED_WORDS = st.one_of(
    st.lists(WORD, max_size=12).map(" ".join),  # single spaces: the fast way
    st.text(alphabet=st.sampled_from("abcde กขเไะ่้ิ–"), max_size=80),  # any spacing
)


def slow_clip(text: str, size: int) -> str:
    """Clipping character by character, as textwidth did before its fast paths."""
    if slow_width(text) <= size:
        return text
    out, used = [], 0
    for char in text:
        cells = textwidth.char_width(char)
        if used + cells > size - 1:
            break
        out.append(char)
        used += cells
    # at the end of a word where that loses little (see test_a_cut_ends_at_a_word)
    kept = textwidth._at_word_end("".join(out), text)
    return kept.rstrip("เแโใไ ") + "…"  # (nor a vowel written before its consonant)


def word_by_word(text: str, size: int) -> list[str]:
    """Wrapping a word at a time, measuring each word, as textwidth did before its fast paths."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if slow_width(paragraph) <= size:
            lines.append(paragraph)
            continue
        body = paragraph.lstrip(" ")
        indent = paragraph[: len(paragraph) - len(body)]
        room = max(1, size - len(indent))
        wrapped = textwidth._wrap_words(body, room)
        lines.extend(indent + line if line else line for line in wrapped)
    return lines


def test_one_cell_ranges_take_one_cell_each() -> None:
    """Every character the fast paths count as one cell takes one cell by the per-character
    rule, and the zero-width marks among them take none."""
    for code in range(0x2200):
        char = chr(code)
        if textwidth.one_cell_each(char):
            assert textwidth.char_width(char) == 1, hex(code)
        if textwidth._MEASURABLE.fullmatch(char):
            assert textwidth.width(char + "ก") == slow_width(char + "ก"), hex(code)


def test_punctuation_and_currency_are_measured_without_lookups() -> None:
    """Dashes, the ellipsis, euro and baht signs and arrows are one cell each."""
    assert textwidth.one_cell_each("Siam – Foods… €5 ฿6 → done")
    assert not textwidth.one_cell_each("ไก่")  # the tone mark takes no cell
    assert not textwidth.one_cell_each("株式")
    assert textwidth.width("ERP – Siam Foods…") == 17


def test_a_cut_never_leaves_a_thai_vowel_before_the_ellipsis() -> None:
    """เ, แ, โ, ใ and ไ are written before the consonant they follow: "ระบบ HR และเ…" left
    one hanging; the cut goes before it, in every path that cuts."""
    assert textwidth.clip("ระบบ HR และเงินเดือน", 13) == "ระบบ HR และ…"  # (a word's end)
    assert textwidth.clip("ระบบ HR แและ", 10) == "ระบบ HR…"  # (nor a space: "ระบบ HR …")
    assert textwidth.clip("Office air", 8) == "Office…"
    assert textwidth.fit("Office air", 8) == "Office… "
    assert textwidth.clip("ไม่มีใครโทรมา", 5) == "ไม่มี…"  # (marks: the measured path)
    assert textwidth.fit("ระบบ HR และเงินเดือน", 13) == "ระบบ HR และ… "


@pytest.mark.skipif(not thaibreak.available(), reason="the system has no libthai")
def test_a_cut_ends_at_a_word() -> None:
    """A Thai trial read titles cut inside a word ("เครื่องถ่ายเอกสา…", "ระบบโทรศัพท์สำนั…",
    "โต๊ะทำงานพร้อมเก้…"): a cut ends where a word does (Thai: libthai's words; other text:
    at a space) when that loses at most WORD_ROOM cells and no more than it keeps; else
    it is cut as before. Latin words are cut where they fall (a Thai-less cut keeps the
    start of the word, which tells titles apart)."""
    assert textwidth.clip("เครื่องถ่ายเอกสาร A3", 12) == "เครื่องถ่าย…"
    assert textwidth.clip("ระบบโทรศัพท์สำนักงาน", 13) == "ระบบโทรศัพท์…"
    assert textwidth.clip("โต๊ะทำงานพร้อมเก้าอี้", 14) == "โต๊ะทำงานพร้อม…"
    assert textwidth.clip("บริษัท ล้านนาคอนสตรัคชั่น", 14) == "บริษัท ล้านนา…"
    # A Latin word is cut where it falls: its start tells "Sales team…" and "Sales
    # training…" apart at 60 columns, where both read "Sales…" cut at the space.
    assert textwidth.clip("Office air conditioning", 14) == "Office air co…"
    assert textwidth.fit("Office air conditioning", 14) == "Office air co…"
    assert textwidth.clip("Sales training for 20 reps", 9) == "Sales tr…"
    assert textwidth.clip("Solar rooftop – Bangkok Plastics", 17) == "Solar rooftop…"
    assert textwidth.clip("กล้องวงจรปิด – ห้างพระราม 9", 14) == "กล้องวงจรปิด…"
    # too much lost (a long word, or more than what is kept): cut inside the word
    assert textwidth.clip("โปรเจกเตอร์ห้องประชุม", 10) == "โปรเจกเตอ…"
    assert textwidth.clip("Supercalifragilistic", 10) == "Supercali…"
    assert textwidth.clip("อบรมพนักงานขาย", 10) == "อบรมพนักงา…"
    assert textwidth.clip("Office conditioning", 14) == "Office condit…"


@settings(max_examples=400, deadline=None)
@given(text=MIXED, size=st.integers(min_value=0, max_value=30))
def test_clip_equals_clipping_character_by_character(text: str, size: int) -> None:
    """Slicing one-cell text and matching Thai marks cut text where the per-character
    walk does."""
    assert textwidth.clip(text, size) == slow_clip(text, size)


@settings(max_examples=400, deadline=None)
@given(text=MIXED, size=st.integers(min_value=0, max_value=30), right=st.booleans())
def test_fit_is_clip_then_pad(text: str, size: int, right: bool) -> None:
    """fit cuts as clip does and pads to exactly the size (or leaves a cut that overflows)."""
    assert textwidth.fit(text, size, right=right) == textwidth.pad(
        slow_clip(text, size), size, right=right
    )


@settings(max_examples=400, deadline=None)
@given(text=SPACED_WORDS, size=st.integers(min_value=1, max_value=30))
def test_wrap_equals_wrapping_word_by_word(text: str, size: int) -> None:
    """Breaking at the last space that fits gives the lines measuring every word gives,
    double spaces, leading spaces and words wider than a line included. (Text with Thai
    letters has lines of its own, between Thai words too: see the next test.)"""
    if textwidth._THAI_LETTERS.search(text) is None:
        assert textwidth.wrap(text, size) == word_by_word(text, size)


@settings(max_examples=400, deadline=None)
@given(text=SPACED_WORDS, size=st.integers(min_value=2, max_value=30))
def test_wrapped_thai_fits_and_loses_nothing(text: str, size: int) -> None:
    """Each line of wrapped Thai fits, begins with no mark that sits on a letter before
    it (the first line excepted: the text may begin with one), and the lines hold the
    text: its spaces go only where a line breaks."""
    text = text.replace("\n", " ").lstrip(" ")  # (one paragraph, not indented)
    lines = textwidth.wrap(text, size)
    assert all(textwidth.width(line) <= size for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    at = 0  # where each line begins in the text
    for line in lines:
        at = text.index(line, at) if line else at
        if line and at and text[at - 1] != " ":  # (broken between words)
            assert textwidth.char_width(line[0]), lines
        at += len(line)


def test_fit_examples() -> None:
    """Known cuts and paddings: ASCII, Thai marks (no cell), CJK (two cells each)."""
    assert textwidth.fit("abc", 5) == "abc  "
    assert textwidth.fit("abcdef", 4) == "abc…"
    assert textwidth.fit("ไก่", 3, right=True) == " ไก่"
    assert textwidth.fit("株式会社", 5) == "株式…"
    assert textwidth.fit("株式会社", 4) == "株… "


def test_wrap_keeps_thai_words_and_marks_together() -> None:
    """A Thai message wraps at its spaces, each line within the width, marks kept on
    their letters."""
    text = "ดีล 7 ค้างอยู่ในขั้น เสนอราคา มา 43 วัน (เป้าหมาย 14)"
    assert textwidth.wrap(text, 20) == ["ดีล 7 ค้างอยู่ในขั้น", "เสนอราคา มา 43 วัน", "(เป้าหมาย 14)"]


def test_whole_words_keeps_a_long_path_whole_but_still_breaks_thai() -> None:
    """What a terminal shows of a sentence: a path wider than a line stays whole on a
    line of its own (copying it still works); Thai, written without spaces, is still
    broken to fit; without whole_words the path is cut like any long word."""
    path = "SALESPIPE_DB=/home/somchai/.local/share/salespipe/demo.json,"
    sentence = f"Explore it: export {path} then salespipe list"
    kept = textwidth.wrap(sentence, 30, whole_words=True)
    assert kept == ["Explore it: export", path, "then salespipe list"]
    cut = textwidth.wrap(sentence, 30)
    assert path not in cut
    assert all(textwidth.width(line) <= 30 for line in cut)
    thai = "ระบบปรับอากาศสำหรับอาคารสำนักงานสามอาคารและโรงงานผลิตชิ้นส่วนยานยนต์"
    broken = textwidth.wrap(f"เพิ่มดีล {thai} แล้ว", 30, whole_words=True)
    assert len(broken) > 2
    assert all(textwidth.width(line) <= 30 for line in broken)
    assert "".join(broken).replace(" ", "") == f"เพิ่มดีล{thai}แล้ว"


def test_wrap_keeps_a_currency_code_with_its_amount() -> None:
    """A list's summary broke between "USD" and "25,000.00" at 60 columns."""
    text = "4 deals, EUR 98,000.25, JPY 15,000,000, ฿123,456,789.50, USD 25,000.00"
    assert textwidth.wrap(text, 60) == [
        "4 deals, EUR 98,000.25, JPY 15,000,000, ฿123,456,789.50,",
        "USD 25,000.00",
    ]
    assert textwidth.wrap("สร้างในขั้น Presented มูลค่า USD 123,456,789.50", 36) == [
        "สร้างในขั้น Presented มูลค่า",
        "USD 123,456,789.50",
    ]
    assert textwidth.wrap("a\xa0b USD 1", 5) == ["a\xa0b", "USD 1"]  # a space of its own stays


def test_wrap_keeps_a_count_with_the_word_after_it() -> None:
    """A board card broke "0" / "days" and "(3" / "days late)", in Thai "(เลยกำหนด 3" /
    "วัน)"; show at 40 columns "(24" / "days)". A time (14:24) is not a count. In Thai
    the count stays with its label before it too: "(เลยกำหนด" / "3 วัน)" was still
    parted (see test_thai_wrap_keeps_a_number_with_its_label)."""
    assert textwidth.wrap("฿98,765,432,109.12 · 0 days", 25) == ["฿98,765,432,109.12 ·", "0 days"]
    assert textwidth.wrap("! Call (3 days late)", 14) == ["! Call (3 days", "late)"]
    assert textwidth.wrap("! โทร (เลยกำหนด 3 วัน)", 15) == ["! โทร", "(เลยกำหนด 3 วัน)"]
    assert textwidth.wrap("since 2026-11-12 14:24 (24 days)", 26) == [
        "since 2026-11-12 14:24",
        "(24 days)",
    ]
    # Not a count (a review): a currency code keeps its amount, a reference number the
    # word before it, a list's "1," is no count.
    assert textwidth.wrap("price 2 USD 25,000.00 total", 14) == [
        "price 2",
        "USD 25,000.00",
        "total",
    ]
    assert textwidth.wrap("lost 1, EUR 0.10", 8) == ["lost 1,", "EUR 0.10"]
    assert textwidth.wrap("send PO 4500012345 (quote to 2026-12-10)", 18) == [
        "send PO 4500012345",
        "(quote to",
        "2026-12-10)",
    ]


FUNNEL = (
    'สร้าง 318 ดีล: ปิดได้ 154 หลุด 27 เปิดอยู่ 137 อัตราปิดการขาย 85% "ไปขั้นถัดไป" '
    "ของขั้นสุดท้ายคือสัดส่วนที่ปิดได้ ดีลที่หลุด 26 ดีลถูกนำเข้ามาโดยไม่ทราบขั้นที่หลุด "
    "จึงไม่นับในแถวของขั้นใด"
)


def test_thai_wrap_keeps_a_number_with_its_label() -> None:
    """funnel at 45 columns (a Thai trial on a phone) put "สร้าง 318 ดีล: ปิดได้ 154 หลุด
    27 เปิดอยู่" (34 cells) above "137 อัตราปิดการขาย 85% …" (31): a Thai run was broken
    only at its spaces and a count kept with the word after it, which in Thai is the next
    label. Now a count stays with its label before it and with the word it counts
    ("26 ดีล"), a short run ("อัตราปิดการขาย", a term) whole, and a long one (a clause)
    between its words to fill the line."""
    assert textwidth.wrap(FUNNEL, 45) == [
        "สร้าง 318 ดีล: ปิดได้ 154 หลุด 27 เปิดอยู่ 137",
        'อัตราปิดการขาย 85% "ไปขั้นถัดไป" ของขั้นสุดท้ายคือสัดส่วน',
        "ที่ปิดได้ ดีลที่หลุด 26 ดีลถูกนำเข้ามาโดยไม่ทราบขั้นที่หลุด จึง",
        "ไม่นับในแถวของขั้นใด",
    ]
    assert textwidth.wrap(FUNNEL, 60) == [
        "สร้าง 318 ดีล: ปิดได้ 154 หลุด 27 เปิดอยู่ 137 อัตราปิดการขาย 85%",
        '"ไปขั้นถัดไป" ของขั้นสุดท้ายคือสัดส่วนที่ปิดได้ ดีลที่หลุด 26 ดีลถูกนำเข้ามาโดยไม่',
        "ทราบขั้นที่หลุด จึงไม่นับในแถวของขั้นใด",
    ]
    # durations' title: "…และยังอยู่ ณ" above "8 ธ.ค. 2569)"; ณ (as of) goes with its date
    title = "จำนวนวันในแต่ละขั้น (ทั้งที่ผ่านไปแล้วและยังอยู่ ณ 8 ธ.ค. 2569)"
    assert textwidth.wrap(title, 45) == [
        "จำนวนวันในแต่ละขั้น (ทั้งที่ผ่านไปแล้วและยังอยู่",
        "ณ 8 ธ.ค. 2569)",
    ]
    # a count beside a word it does not count is kept with its label only
    assert textwidth.wrap("ปิดได้ 86 หลุด 200 เปิดอยู่ 32", 20) == [
        "ปิดได้ 86 หลุด 200",
        "เปิดอยู่ 32",
    ]
    # text of Latin letters and baht amounts only is wrapped as before, however Thai
    # the sign: "฿" is no Thai letter
    assert textwidth.wrap("฿1,000.00 · 3 days late", 12) == ["฿1,000.00 ·", "3 days late"]


@pytest.mark.skipif(not thaibreak.available(), reason="the system has no libthai")
def test_compounds_libthai_splits_are_kept_whole() -> None:
    """A Thai trial saw lines broken "ผู้" / "ใช้", "ครั้ง" / "แรก", "เหล่า" / "นั้น",
    "คำขึ้น" / "ต้น": libthai's dictionary splits these, each into a piece that is no
    word on its own. They are one word where libthai's pieces make them up exactly,
    and beside punctuation; a word that merely holds one ("เปิดได้") is not joined."""
    assert thaibreak.words("ข้อมูลของผู้ใช้") == ("ข้อมูล", "ของ", "ผู้ใช้")
    assert thaibreak.words("ของผู้ใช้)") == ("ของ", "ผู้ใช้)")
    assert thaibreak.words("ยอดที่ปิดได้") == ("ยอด", "ที่", "ปิดได้")
    assert thaibreak.words("เปิดได้") == ("เปิด", "ได้")
    assert thaibreak.words("คำขึ้นต้นที่ไม่ซ้ำ") == ("คำ", "ขึ้นต้น", "ที่", "ไม่ซ้ำ")
    init = "ในฐานข้อมูล PostgreSQL (ถ้าไม่สั่ง จะสร้างเมื่อมีการเปลี่ยนแปลงครั้งแรก)"
    for size in range(30, 60):
        assert not any(line.endswith("ครั้ง") for line in textwidth.wrap(init, size)), size
    assert "".join(thaibreak.words("ช่วงของยอดรวมของเดือนเหล่านั้น")).endswith("เหล่านั้น")
    assert thaibreak.words("เดือนเหล่านั้น")[-1] == "เหล่านั้น"


def test_thai_wrap_keeps_a_number_with_its_unit() -> None:
    """quote --help at 60 columns broke "10" / "เท่า)" (ten times): a number stays with
    the Thai unit after it, as a count does with what it counts."""
    text = "ยอดในใบเสนอราคา มูลค่าดีลจะเปลี่ยนตาม (มีคำเตือนเมื่อต่างจากเดิมมากกว่าหรือน้อยกว่า 10 เท่า)"
    for size in range(30, 42):
        assert not any(line.endswith("10") for line in textwidth.wrap(text, size)), size


def test_a_code_and_amount_wider_than_the_line_are_not_kept_together() -> None:
    """Glued when they could not fit one line, the amount was cut in its middle
    ("USD 123,456,789" / ".50") and whole-word lines ran past their width."""
    assert textwidth.wrap("Total USD 123,456,789.50", 15) == ["Total USD", "123,456,789.50"]
    lines = textwidth.wrap("x USD 123,456,789.50 y", 15, whole_words=True)
    assert max(map(textwidth.width, lines)) <= 15
    hung = textwidth.hanging("2026-12-06 x USD 123,456.50 y", 20, 7)
    assert max(map(textwidth.width, hung)) <= 20


def test_a_short_amount_is_measured_with_its_suffix() -> None:
    """ "USD 250k" was measured without its "k": cut ("USD 250" / "k b") or too wide."""
    assert textwidth.wrap("a USD 250k b", 8) == ["a", "USD 250k", "b"]
    assert max(map(textwidth.width, textwidth.wrap("a USD 250k b", 7, whole_words=True))) <= 7
    assert "USD 250" not in textwidth.wrap("a USD 250k b", 7)
