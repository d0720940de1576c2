"""Display width of text in a terminal cell grid, without importing a library.

Thai vowel and tone marks above and below the line take no cell; East Asian wide
characters take two. This is what Rich and wcwidth count too (tests compare them).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from salespipe.core.fmt import MONTHS

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


# Text of only Latin and Thai letters, common punctuation, currency signs and arrows (most
# of what salespipe shows) is measured by counting its few zero-width marks, without
# looking each character up; every other character of these ranges takes one cell.
_ONE_CELL_RANGES = "\x00-\xac\xae-\u024f\u0e01-\u0e30\u0e32\u0e33\u0e3f-\u0e46\u0e4f-\u0e5b"
_ONE_CELL_RANGES += "\u2010-\u2027\u2030-\u205e\u20a0-\u20c0\u2190-\u21ff"
_ZERO_WIDTH_RANGES = "\xad\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_ONE_CELL_EACH = re.compile(f"[{_ONE_CELL_RANGES}]*")
_MEASURABLE = re.compile(f"[{_ONE_CELL_RANGES}{_ZERO_WIDTH_RANGES}]*")
_ZERO_WIDTH = re.compile(f"[{_ZERO_WIDTH_RANGES}]")


def one_cell_each(text: str) -> bool:
    """Whether every character of ``text`` takes exactly one cell: then its width is its
    length, and slicing it cuts it at a width (tables use this for whole columns)."""
    return text.isascii() or _ONE_CELL_EACH.fullmatch(text) is not None


def width(text: str) -> int:
    return len(text) if text.isascii() else _width(text)


@lru_cache(maxsize=65536)  # words of wrapped text come back often
def _width(text: str) -> int:
    if _MEASURABLE.fullmatch(text):
        return len(text) - len(_ZERO_WIDTH.findall(text))
    return sum(map(char_width, text))


def block_width(text: str) -> int:
    """The width of the widest line of a text that may have several."""
    if "\n" in text:
        return max(map(width, text.split("\n")))
    return len(text) if text.isascii() else _width(text)


def pad(text: str, size: int, *, right: bool = False) -> str:
    """``text`` with spaces before (``right``) or after it to fill ``size`` cells."""
    length = size + len(text) - width(text)  # the length that fills size cells
    return text.rjust(length) if right else text.ljust(length)


def fit(text: str, size: int, *, right: bool = False) -> str:
    """``text`` cut to at most ``size`` cells (see :func:`clip`), then padded to fill them."""
    if text.isascii():
        if len(text) > size:
            text = shortened(text, size)
        return text.rjust(size) if right else text.ljust(size)
    cells = width(text)
    if cells > size:
        text = clip(text, size)
        cells = width(text)
    length = size + len(text) - cells  # the length that fills size cells
    return text.rjust(length) if right else text.ljust(length)


@lru_cache(maxsize=64)
def _prefix_of(cells: int) -> re.Pattern[str]:
    """The start of a measurable text that takes at most ``cells`` cells, with the
    zero-width marks that sit on its last character."""
    zero = f"[{_ZERO_WIDTH_RANGES}]*"
    return re.compile(f"{zero}(?:[^{_ZERO_WIDTH_RANGES}]{zero}){{0,{cells}}}")


# Thai vowels written before the consonant they follow in speech (เ แ โ ใ ไ): a cut
# right after one leaves it hanging before the ellipsis, so the cut goes before it.
_LEADING_VOWELS = "\u0e40\u0e41\u0e42\u0e43\u0e44"


def cut(kept: str) -> str:
    """The start ``kept`` of a longer text, marked as cut with an ellipsis (after its last
    letter: not after a space, nor after a vowel written before its consonant)."""
    return kept.rstrip(_LEADING_VOWELS + " ") + "…"


# A cut inside a Thai word ends at the end of the word before, where that gives up at
# most this many cells (and no more than it keeps): "เครื่องถ่าย…" reads, where
# "เครื่องถ่ายเอกสา…" is a word the reader has to guess; a long word is cut as it is.
# A cut inside a Latin word is left where it falls: its start still reads.
WORD_ROOM = 5
_THAI_RUN = "\u0e01-\u0e4e"
_THAI_RUN_END = re.compile(f"[{_THAI_RUN}]+$")
_NOT_THAI = re.compile(f"[^{_THAI_RUN}]")


def _at_word_end(kept: str, text: str) -> str:
    """The start ``kept`` of ``text``, or its start to the end of the word ``kept`` cuts
    (libthai's words) where that loses at most WORD_ROOM cells; a cut at a space drops
    the space and a dash or comma before it."""
    rest = text[len(kept) :]
    if not kept or not rest:
        return kept
    if rest[0] == " " or kept[-1] == " ":
        end = len(kept)
    elif (thai := _THAI_RUN_END.search(kept)) and "\u0e01" <= rest[0] <= "\u0e4e":
        from salespipe.present import thaibreak

        start = thai.start()
        more = _NOT_THAI.search(rest)
        run = text[start : len(kept) + (more.start() if more else len(rest))]
        ends = [start]
        for word in thaibreak.words(run):
            if ends[-1] + len(word) > len(kept):
                break
            ends.append(ends[-1] + len(word))
        end = ends[-1]
    else:  # a Latin word cut keeps its start, which tells titles apart at narrow widths
        return kept  # ("Sales te…", "Sales tr…": cut at the space, both read "Sales…")
    # (nor a dash or a comma that joined it to the next word: "Solar rooftop…")
    word_end = kept[:end].rstrip(" –—-,;:/·")
    if not word_end:
        return kept
    lost = width(kept[len(word_end) :])
    return word_end if lost <= min(WORD_ROOM, width(word_end)) else kept


def shortened(text: str, size: int) -> str:
    """``text``, wider than ``size`` cells, cut to at most ``size`` with an ellipsis."""
    if size < 1:
        return "…"
    if text.isascii():
        return cut(_at_word_end(text[: size - 1], text))
    if _MEASURABLE.fullmatch(text):
        found = _prefix_of(size - 1).match(text)
        assert found is not None  # the pattern matches at least the empty string
        return cut(_at_word_end(found.group(), text))
    out, used = [], 0
    for char in text:
        cells = char_width(char)
        if used + cells > size - 1:
            break
        out.append(char)
        used += cells
    return cut(_at_word_end("".join(out), text))


def clip(text: str, size: int) -> str:
    """Cut text to at most ``size`` cells, marking the cut with an ellipsis (at the end
    of a word where that loses little: see WORD_ROOM)."""
    if text.isascii():
        return text if len(text) <= size else shortened(text, size)
    if width(text) <= size:
        return text
    return shortened(text, size)


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


_THAI = re.compile("[\u0e01-\u0e5b]")


def is_thai(text: str) -> bool:
    """Whether ``text`` holds Thai letters (written without spaces between words)."""
    return _THAI.search(text) is not None


def _split_word(word: str, size: int) -> list[str]:
    """A word wider than ``size`` cut into pieces that fit: Thai between its words where
    the system's word breaker finds them, else never inside a cluster."""
    if _THAI.search(word):
        from salespipe.present import thaibreak

        parts = thaibreak.words(word)
        if len(parts) > 1:
            return _pack(parts, size)
    return _split_clusters(word, size)


def _pack(parts: tuple[str, ...], size: int) -> list[str]:
    """Words written without spaces put on lines of at most ``size`` cells, as many on
    each as fit; a word wider than a line is cut as :func:`_split_clusters` cuts it."""
    lines: list[str] = []
    current, used = "", 0
    for part in parts:
        cells = width(part)
        if used + cells <= size:
            current, used = current + part, used + cells
            continue
        if current:
            lines.append(current)
        *full, current = _split_clusters(part, size) if cells > size else [part]
        lines.extend(full)
        used = width(current)
    return [*lines, current]


def _split_clusters(word: str, size: int) -> list[str]:
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


def _alone(line: str) -> bool:
    """Whether a line would hold only a mark ("!" of an overdue next action), which reads
    as nothing away from the text it marks."""
    return len(line) == 1 and _MARK.fullmatch(line) is not None


_MARK = re.compile(r"[^\w\s]")


def _leading_part(word: str, space: int, whole: bool) -> tuple[str, str]:
    """What of ``word`` fits in ``space`` cells beside a mark, and the rest: Thai between
    its words, other text between its characters (unless ``whole``: none of it)."""
    if _THAI.search(word):
        return _leading_words(word, space)
    if whole or space < 1:
        return "", word
    head = _split_clusters(word, space)[0]
    return head, word[len(head) :]


def _wrap_words(body: str, room: int, whole: bool = False) -> list[str]:
    """Lines of at most ``room`` cells, as many words on each as fit (``whole``: a word
    wider than a line and not Thai, such as a path, on a line of its own, uncut)."""
    lines: list[str] = []
    current, used = "", 0
    for word in body.split(" "):
        cells = width(word)
        gap = 1 if current else 0
        if used + gap + cells <= room:
            current = f"{current} {word}" if current else word
            used += gap + cells
            continue
        if current and ((cells > room and _THAI.search(word)) or _alone(current)):
            # Cut anyway: its first words go on this line rather than leave it short
            # ("!" alone, the action on the lines under it).
            head, word = _leading_part(word, room - used - 1, whole)
            if head:
                current = f"{current} {head}"
                cells = width(word)
        if current:
            lines.append(current)
        long = cells > room and not (whole and not _THAI.search(word))
        *full, current = _split_word(word, room) if long else [word]
        lines.extend(full)
        used = width(current)
    lines.append(current)
    return lines


def _leading_words(word: str, space: int) -> tuple[str, str]:
    """The Thai words ``word`` begins with that fit in ``space`` cells, and the rest."""
    from salespipe.present import thaibreak

    used, count = 0, 0
    parts = thaibreak.words(word)
    for part in parts[:-1]:
        if used + width(part) > space:
            break
        used += width(part)
        count += 1
    head = "".join(parts[:count])
    return head, word[len(head) :]


def _wrap_measured(body: str, room: int) -> list[str] | None:
    """:func:`_wrap_words` of text measured without looking up each character (see
    ``_MEASURABLE``) whose words are separated by single spaces: each line ends at the last
    space before the longest start of the rest that fits. None for other text, or when a
    word is wider than a line (that is cut as :func:`_split_word` cuts it)."""
    if one_cell_each(body):
        prefix = None  # the start that fits is ``room`` characters long
    elif _MEASURABLE.fullmatch(body):
        prefix = _prefix_of(room)
    else:
        return None
    lines: list[str] = []
    start = 0
    while True:
        fits = prefix.match(body, start) if prefix is not None else None
        end = fits.end() if fits is not None else start + room
        if end >= len(body):
            lines.append(body[start:])
            return lines
        cut = end if body[end] == " " else body.rfind(" ", start, end)
        if cut <= start or _alone(body[start:cut]):
            return None
        lines.append(body[start:cut])
        start = cut + 1


# A currency code and the amount after it ("USD 25,000.00"), and a count and the word
# after it ("3 days late", "3 วัน") are not broken apart, when the two fit on one line
# (else the amount would be cut instead).
_KEPT_TOGETHER = re.compile(
    r"(?<![A-Za-z])([A-Z]{3}) (-?[0-9]\S*)"  # (250k, 1.2M)
    # a count of up to four digits (not a reference number), then a word that is no
    # currency's code ("2 USD 25,000.00" keeps the code with its amount)
    r"|(?<!\S)\(?[0-9]{1,4} (?![A-Z]{3}\b)[A-Za-z\u0e01-\u0e2e\u0e40-\u0e44][^\s,;]*"
)
# A date as titles write it ("7 Dec 2026", "7 ธ.ค. 2569") is not broken either, when it
# fits on a line: "(as of 7 Dec" above "2026)" read as two things.
_MONTH_NAMES = "|".join(re.escape(name) for names in MONTHS.values() for name in names)
_LONG_DATE = re.compile(rf"(?<!\S)\(?[0-9]{{1,2}} (?:{_MONTH_NAMES}) [0-9]{{4}}(?![0-9])")
_GLUE = "\xa0"  # a space no line is broken at, put back as a space


def _glued(body: str, room: int, kept: re.Pattern[str] = _KEPT_TOGETHER) -> str:
    """``body`` with the spaces it must not be broken at (see _KEPT_TOGETHER and
    _LONG_DATE) made _GLUE, where what they hold together fits in ``room`` cells."""

    def glue(found: re.Match[str], count: int) -> str:
        if width(found.group(0)) > room:
            return found.group(0)
        return found.group(0).replace(" ", _GLUE, count)

    body = _LONG_DATE.sub(lambda found: glue(found, -1), body)
    return kept.sub(lambda found: glue(found, 1), body)


# Thai text is kept apart by these rules instead of _KEPT_TOGETHER's (its counts stand
# after what they count, "ปิดได้ 86 หลุด 200", so the word after one is often another's
# label): a currency code and its amount, a count and the Latin word after it.
_KEPT_TOGETHER_IN_THAI = re.compile(
    r"(?<![A-Za-z])([A-Z]{3}) (-?[0-9]\S*)|(?<!\S)\(?[0-9]{1,4} (?![A-Z]{3}\b)[A-Za-z][^\s,;]*"
)
# Thai words a count is written before ("318 ดีล", "3 วัน"), and units of a number
# ("10 เท่า", "1.5 ล้าน"): the number is not parted from them. Other Thai words after a
# count begin what comes next ("เปิดอยู่ 32 อัตรา…").
_COUNTED = frozenset(
    [
        "ดีล",
        "รายการ",
        "วัน",
        "แถว",
        "ครั้ง",
        "จุด",
        "ตัวอักษร",
        "เหตุการณ์",
        "เรื่อง",
        "บรรทัด",
        "ขั้น",
        "คน",
        "เดือน",
        "ปี",
        "สัปดาห์",
        "ชั่วโมง",
        "นาที",
        "ไฟล์",
        "ช่อง",
        "ข้อ",
        "ฉบับ",
        "ตัว",
        "ไปป์ไลน์",
        "คอลัมน์",
        "วินาที",
        "ไบต์",
        "หลัก",
        # units of a number ("10 เท่า", "1.5 ล้าน", "5 %")
        "เท่า",
        "บาท",
        "พัน",
        "หมื่น",
        "แสน",
        "ล้าน",
        "%",
    ]
)
_COUNT = re.compile(r"\(?[0-9]{1,4}(?:\.[0-9]+)?")
_THAI_LETTERS = re.compile("[\u0e01-\u0e3a\u0e40-\u0e5b]")  # (not the baht sign, ฿)
_STARTS_WITH_NUMBER = re.compile(r"\(?[0-9]")
_ENDS_THAI = re.compile("[\u0e01-\u0e4e]$")
_WORDLIKE = re.compile(r"\w")


def _thai_words(token: str) -> tuple[str, ...]:
    """The words of a piece of text between spaces, where a Thai line may break (see
    :mod:`salespipe.present.thaibreak`); a piece held together (_GLUE) is one word."""
    if _GLUE in token or not _THAI.search(token):
        return (token,)
    from salespipe.present import thaibreak

    return thaibreak.words(token)


def _kept_after(before: str, token: str, word: str, first: bool) -> bool:
    """Whether no line may break at the space between ``before`` and ``token`` (whose
    first word is ``word``): after a mark that begins the text (``first``: "!" of an
    overdue action), between a Thai word and a number after it (its label: "เปิดอยู่ 32",
    "ณ 8 ธ.ค. 2569"), and between a count and the Thai word it counts ("318 ดีล")."""
    if first and _alone(before):
        return True
    if _STARTS_WITH_NUMBER.match(token) and _ENDS_THAI.search(before):
        return True
    return _COUNT.fullmatch(before) is not None and word.strip("():,;.") in _COUNTED


def _thai_units(body: str, room: int) -> list[tuple[str, str]]:
    """``body`` as the pieces a line may break between, each with the gap before it (a
    space, or none between Thai words): broken at spaces and between Thai words, except
    where :func:`_kept_after` keeps two together, and inside a term (a run of Thai
    between spaces at most ``TERM`` of ``room`` or ``TERM_CELLS`` wide: "อัตราปิดการขาย",
    "เลยกำหนด"), when what is kept together fits in ``room``. A longer run (a clause) is
    broken between its words to fill a line."""
    term = max(room * TERM, TERM_CELLS)
    pieces: list[tuple[str, str, bool]] = []  # gap before it, text, may break before it
    before = ""
    for number, token in enumerate(body.split(" ")):
        words = _thai_words(token)
        whole = width(token) <= term
        for place, word in enumerate(words):
            if place:
                after = words[place - 1]
                apart = not whole and bool(_WORDLIKE.search(after) and _WORDLIKE.search(word))
                pieces.append(("", word, apart))
            else:
                apart = number > 0 and not _kept_after(before, token, word, number == 1)
                pieces.append((" " if number else "", word, apart))
        before = token
    units: list[tuple[str, str]] = []
    group: list[tuple[str, str, bool]] = []
    for piece in [*pieces, ("", "", True)]:
        if piece[2] and group:
            text = "".join(gap + text for gap, text, _apart in group)[len(group[0][0]) :]
            if len(group) == 1 or width(text) <= room:
                units.append((group[0][0], text))
            else:  # too wide to keep together: broken as anywhere else
                units.extend((gap, text) for gap, text, _apart in group)
            group = []
        group.append(piece)
    return units


TERM, TERM_CELLS = 1 / 3, 12


def _wrap_thai(body: str, room: int, whole: bool) -> list[str]:
    """Lines of at most ``room`` cells of text with Thai in it, as many of its pieces
    (:func:`_thai_units`) on each as fit; a piece wider than a line is cut as
    :func:`_split_word` cuts it (``whole``: one not Thai is left whole)."""
    lines: list[str] = []
    current: str | None = None  # (the line being filled)
    used = 0
    for gap, text in _thai_units(body, room):
        cells = width(text)
        if current is not None and used + len(gap) + cells <= room:
            current, used = current + gap + text, used + len(gap) + cells
            continue
        if current is not None:
            lines.append(current)
        long = cells > room and not (whole and not _THAI.search(text))
        *full, current = _split_word(text, room) if long else [text]
        lines.extend(full)
        used = width(current)
    lines.append(current or "")
    return lines


def _wrap_paragraph(paragraph: str, size: int, whole: bool) -> list[str]:
    body = paragraph.lstrip(" ")
    indent = paragraph[: len(paragraph) - len(body)]
    room = max(1, size - len(indent))
    thai = _THAI_LETTERS.search(body) is not None
    kept = _KEPT_TOGETHER_IN_THAI if thai else _KEPT_TOGETHER
    glued = _GLUE not in body and (
        kept.search(body) is not None or _LONG_DATE.search(body) is not None
    )
    if glued:
        body = _glued(body, room, kept)
    lines = None
    if thai:
        lines = _wrap_thai(body, room, whole)
    elif "  " not in body and not body.endswith(" "):
        lines = _wrap_measured(body, room)
    if lines is None:
        lines = _wrap_words(body, room, whole)
    if glued:
        lines = [line.replace(_GLUE, " ") for line in lines]
    return [indent + line if line else line for line in lines]


def wrap(text: str, size: int, *, whole_words: bool = False) -> list[str]:
    """Lines of at most ``size`` cells: broken at spaces, a long word (Thai is written
    without spaces) between its characters but never between a letter and its marks.
    With ``whole_words`` a long word that is not Thai (a path, an address) is left
    whole on a line of its own, so that it can still be copied."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if width(paragraph) <= size:
            lines.append(paragraph)
        else:
            lines.extend(_wrap_paragraph(paragraph, size, whole_words))
    return lines


def hanging(text: str, size: int, hang: int) -> list[str]:
    """:func:`wrap` with ``whole_words`` for a line whose first ``hang`` cells label it
    (a time): the first line as wide as ``size``, the rest under the text after the
    label, ``size - hang`` wide."""
    first = wrap(text, size, whole_words=True)[0]
    rest = text[len(first) :].lstrip(" ")
    if not rest:
        return [first]
    return [first, *(" " * hang + line for line in wrap(rest, size - hang, whole_words=True))]
