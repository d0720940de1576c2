"""Reading the values other programs write into CSV cells: text, amounts, flags.

CRM exports and spreadsheets write the same value many ways: ``1,234.50``,
``1.234,50``, ``฿1,234``, ``USD 1,234``. Each reader here returns a value or raises
:class:`BadValue` with a short reason that the import report shows next to the line
and column. Dates, which have even more forms, are read by :mod:`import_dates`.
"""

from __future__ import annotations

import html
import itertools
import re
import shlex
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal, NamedTuple

from salespipe.core import parse
from salespipe.core.collation import THAI_DIGITS
from salespipe.core.currencies import ISO_4217
from salespipe.core.currency_names import (
    AMBIGUOUS_DOLLAR,
    CURRENCY_NAMES,
    SYMBOLS,
    CurrencyClash,
    split_currency,
)
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_, _
from salespipe.core.parse import MAX_MONEY
from salespipe.transfer.csvfile import sniff_delimiter


class BadValue(Exception):
    """A cell that cannot be read; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- text ------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def line_text(raw: str, *, what: str, max_length: int = 500) -> str:
    """A one-line field: inner whitespace runs become one space, the ends are trimmed.

    ``what`` (marked with ``N_``) names the field in the reason given for a bad value.
    """
    cleaned = " ".join(_CONTROL.sub(" ", raw).split())
    cleaned = unicodedata.normalize("NFC", cleaned)
    if len(cleaned) > max_length:
        raise BadValue(
            _("the {what} is longer than {count} characters").format(what=_(what), count=max_length)
        )
    return cleaned


def long_text(raw: str, *, what: str, max_length: int = 10_000) -> str:
    """A multi-line field such as a description: line breaks kept, control characters gone."""
    unified = raw.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _CONTROL.sub("", unified).strip()
    if len(cleaned) > max_length:
        raise BadValue(
            _("the {what} is longer than {count} characters").format(what=_(what), count=max_length)
        )
    return unicodedata.normalize("NFC", cleaned)


_LINE_ENDING_TAGS = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def html_text(raw: str) -> str:
    """The text of an HTML fragment (``<p>Call back <b>Monday</b></p>``): tags dropped,
    paragraphs and breaks as lines, entities as their characters. Text that holds no
    tag is returned as it is."""
    if not _TAG.search(raw):
        return raw
    lined = _LINE_ENDING_TAGS.sub("\n", raw)
    text = html.unescape(_TAG.sub("", lined))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- amounts ---------------------------------------------------------------------------------
_THOUSANDS_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
# One separator before three digits: 12,500 or 12.500, a thousands group or three decimals.
_ONE_GROUP = re.compile(r"^[1-9]\d{0,2}[.,]\d{3}$")
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")
# A number with a unit after it, as `add --value` takes it: 150k, 1.2m, 1.5ล้าน.
# (Thai letters, not its digits; "1 ล้าน 5 แสน": a sum of amounts in Thai units)
_WITH_UNIT = re.compile(r"^[\d.,]*\d\s*[a-zA-Z\u0e01-\u0e4f]+(?:\s*[\d.,]*\d\s*[\u0e01-\u0e4f]+)*$")


class Amount(NamedTuple):
    """An amount cell as read; ``unit``: written with a unit (150k), as people type it."""

    value: Decimal | None
    currency: str | None
    unit: bool = False


def _strip_currency(raw: str) -> tuple[str, str | None]:
    try:
        return split_currency(raw)
    except CurrencyClash as clash:
        raise BadValue(str(clash)) from None


DecimalMark = Literal[",", "."]


def _unify_separators(
    number: str,
    mark: DecimalMark | None,
    comma_assumed: bool = False,
    dot_assumed: bool = False,
    *,
    written: str = "",
) -> str:
    """Remove thousands separators and make the decimal separator a dot.

    ``12,500`` and ``12.500`` are read by the file's decimal ``mark``; when it is not
    known they are refused, as either reading may be the wrong one by a thousand. So is
    ``1,500`` where the comma is only ``comma_assumed`` (a ``;`` file whose numbers do
    not show their mark): an amount has two decimals, and ``$22,700`` is how Zoho and
    others write twenty-two thousand seven hundred in such a file. Likewise ``12.500``
    where the dot is only ``dot_assumed`` (a ``,`` file whose numbers do not show their
    mark): twelve and a half, or twelve thousand five hundred as a sheet of EUR amounts
    writes it.

    Thousands separators are where ``add --value`` wants them (:func:`parse.well_grouped`):
    ``5,00.00`` and ``1,2,00.00`` were read as 500 and 1,200, typos taken for smaller
    amounts (a trial); ``written`` is the cell as the refusal names it."""
    number = _THOUSANDS_SPACES.sub("", number)
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        if not parse.well_grouped(number, grouping):
            raise _misplaced(written or number, mark)
        return number.replace(grouping, "").replace(decimal_mark, ".")
    if _ONE_GROUP.match(number):
        separator = "," if "," in number else "."
        assumed = (comma_assumed and separator == ",") or (dot_assumed and separator == ".")
        if mark is None or assumed:
            raise BadValue(
                _(
                    "{number} may be {decimals} or {thousands}; name the file's decimal mark "
                    "with --decimal-mark , or --decimal-mark ."
                ).format(
                    number=number,
                    decimals=_trimmed(number.replace(separator, ".")),
                    thousands=number.replace(separator, ""),
                )
            )
        return number.replace(separator, "." if separator == mark else "")
    if "," in number:
        if number.count(",") > 1 and parse.well_grouped(number, ","):
            return number.replace(",", "")
        if number.count(",") == 1 and re.search(r"^0,\d+$|,\d{1,2}$", number):
            return number.replace(",", ".")
        raise _misplaced(written or number, mark)
    if number.count(".") > 1:
        if not parse.well_grouped(number, "."):
            raise _misplaced(written or number, mark)
        return number.replace(".", "")
    return number


def _misplaced(written: str, mark: DecimalMark | None) -> BadValue:
    """``add --value``'s refusal of misplaced thousands separators, told as the file
    writes its numbers: a dot before each three digits where the comma is decimal."""
    refused = parse.misplaced_separators(
        written, what=N_("amount"), grouping="." if mark == "," else ","
    )
    return BadValue(refused.message.rstrip("."))


# Numbers that show their decimal mark: one or two decimals, perhaps after grouping, or
# two thousands groups or more (then the other mark is the decimal one).
_COMMA_SHOWN = r"\d{1,3}(?:\.\d{3})+,\d{1,2}|[1-9]\d{0,2}(?:\.\d{3}){2,}"
_COMMA_ALONE = r"\d+,\d{1,2}"
_COMMA_QUOTED = r'(?<=")\d+,\d{1,2}(?=")'  # a whole quoted cell: the comma is no delimiter
_DOT_SHOWN = r"\d{1,3}(?:,\d{3})+\.\d{1,2}|\d+\.\d{1,2}"
_DOT_GROUPS = r"[1-9]\d{0,2}(?:,\d{3}){2,}"
_ALONE = r"(?<![\w.,])(?:{})(?![\w.,])"
# In a file separated by commas a number stands between them: 3.25 in "Cents,3.25,x".
_ALONE_IN_CELLS = r"(?<![\w.])(?:{})(?![\w.])"


def _shown(numbers: str, alone: str = _ALONE) -> re.Pattern[str]:
    return re.compile(alone.format(numbers))


# Places a number may show its mark, looked at in a file at the most (per mark): a file
# of 100,000 numbers like 12.500, none showing it, would otherwise take a second.
MARK_PLACES = 5_000


def _shows(
    text: str, near: re.Pattern[str], shown: re.Pattern[str], places: int
) -> tuple[bool, int]:
    """Whether a number in ``text`` matches ``shown``, looked for only around the first
    ``places`` places ``near`` finds (a whole pattern tried at every place of a large
    file is slow); and how many places were looked at."""
    looked = 0
    for place in itertools.islice(near.finditer(text), places):
        looked += 1
        start, end = place.span()
        window_end = min(end + 24, len(text))
        for found in shown.finditer(text, max(start - 24, 0), window_end):
            # One cut by the window's end looks whole to the pattern: 3.750 read as 3.7.
            if found.end() < window_end or window_end == len(text):
                return True, looked
    return False, looked


class ThaiText:
    """Whether a file holds Thai, from its text shown a chunk at a time (its 2-digit
    years may be Buddhist Era, its numbers are written with a dot)."""

    _THAI = re.compile("[\u0e00-\u0e7f]")

    def __init__(self) -> None:
        self.found = False

    def look(self, text: str) -> None:
        self.found = self.found or bool(self._THAI.search(text))


class DecimalMarkClues:
    """The decimal mark of a file's numbers: what its numbers show, else its delimiter's.

    A file shows its mark in numbers with one or two decimals (``1.234,56``, ``12,5``,
    ``1,234.56``, ``12.50``; in a file separated by ``,``, ``12,5`` only quoted as one
    cell) or with two thousands groups (``1.500.000``). Where none
    show it, or both marks are seen, a file separated by ``;`` is taken to use the
    decimal comma (spreadsheets write ``;`` where the comma is the decimal mark), one
    separated by ``,`` the dot, and a tab-separated one the dot if it holds Thai (as
    Thailand writes numbers), else none: its ``12.500`` is refused rather than guessed.
    Like :class:`~.dates.DateOrderClues`, it is shown the text a chunk at a time."""

    def __init__(self, thai: ThaiText | None = None) -> None:
        self.delimiter: str | None = None
        self.seen: set[DecimalMark] = set()
        self._thai = thai if thai is not None else ThaiText()
        # per mark: where a number may show it (a quick search), and what shows it
        self._looks: list[tuple[DecimalMark, re.Pattern[str], re.Pattern[str]]] = []
        self._looked: dict[DecimalMark, int] = {",": 0, ".": 0}

    def look(self, text: str) -> None:
        if self.delimiter is None:
            self.delimiter = sniff_delimiter(text)
            # Where the comma separates cells, 12,50 and 1,500,000 may be several cells,
            # unless quoted as one ("12,50").
            cells = self.delimiter == ","
            comma = f"{_COMMA_SHOWN}|{_COMMA_QUOTED}" if cells else f"{_COMMA_SHOWN}|{_COMMA_ALONE}"
            dot = _DOT_SHOWN if cells else f"{_DOT_SHOWN}|{_DOT_GROUPS}"
            near_comma = r'\.\d{3}[.,]\d|"\d+,\d' if cells else r"\d[.,]\d"
            self._looks = [
                (",", re.compile(near_comma), _shown(comma)),
                (
                    ".",
                    re.compile(r"\d\.\d" if cells else r"\d[.,]\d"),
                    _shown(dot, _ALONE_IN_CELLS if cells else _ALONE),
                ),
            ]
        for mark, near, shown in self._looks:
            left = MARK_PLACES - self._looked[mark]
            if mark in self.seen or not left:
                continue
            found, looked = _shows(text, near, shown, left)
            self._looked[mark] += looked
            if found:
                self.seen.add(mark)
        self._thai.look(text)

    @property
    def mark(self) -> DecimalMark | None:
        if len(self.seen) == 1:
            return next(iter(self.seen))
        if self.delimiter == ";":
            return ","
        return "." if self.delimiter == "," or self._thai.found else None

    @property
    def comma_assumed(self) -> bool:
        """Whether the decimal comma is taken from the ``;`` separator, no number showing
        the file's mark."""
        return len(self.seen) != 1 and self.delimiter == ";"

    @property
    def dot_assumed(self) -> bool:
        """Whether the decimal dot is taken from the ``,`` separator, no number showing
        the file's mark."""
        return len(self.seen) != 1 and self.delimiter == ","


def decimal_mark_option(given: str | None) -> DecimalMark | None:
    """``--decimal-mark``: ``,`` or ``.`` (or ``comma``, ``dot``, ``point``)."""
    if given is None:
        return None
    words: dict[str, DecimalMark] = {",": ",", "comma": ",", ".": ".", "dot": ".", "point": "."}
    found = words.get(given.strip().casefold())
    if found is None:
        raise InvalidValue(
            _('--decimal-mark "{given}" is not , (comma) or . (dot).').format(given=given)
        )
    return found


def _trimmed(number: str) -> str:
    """``12.500`` as people say it: ``12.5``."""
    return number.rstrip("0").rstrip(".")


def amount(
    raw: str,
    mark: DecimalMark | None = ".",
    *,
    comma_assumed: bool = False,
    dot_assumed: bool = False,
) -> Amount:
    """An amount and the currency written with it, if any; an empty cell is (None, None).

    ``mark`` is the file's decimal mark (:class:`DecimalMarkClues`), None if unknown;
    ``comma_assumed``: the comma taken from the file's ``;`` separator. A
    number with a unit (``150k``, ``1.2m``, ``1.5ล้าน``) is read as ``add --value`` reads
    it, so a sheet people typed imports as they typed it."""
    if not raw.strip():
        return Amount(None, None)
    body, found_currency = _strip_currency(raw)
    body = parse.without_whole_mark(body.translate(THAI_DIGITS))  # (๑,๒๐๐ as 1,200)
    if not any(c.isdigit() for c in body):
        raise _not_an_amount(raw)
    if body.startswith("-") or (body.startswith("(") and body.endswith(")")):
        raise BadValue(_("the amount is negative"))
    if _WITH_UNIT.match(body.strip()):
        return Amount(_with_unit(body), found_currency, unit=True)
    if _NOT_A_NUMBER.search(body.strip()):  # "96,000 บาท/ปี": words, not separators
        raise BadValue(_("not an amount"))
    number = _unify_separators(body.strip(), mark, comma_assumed, dot_assumed, written=raw.strip())
    if not _PLAIN_NUMBER.match(number):
        raise BadValue(_("not an amount"))
    try:
        value = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise BadValue(_("not an amount")) from None
    if value > MAX_MONEY:  # before quantize, which cannot hold 27 digits and cents
        raise BadValue(_("the amount is too large (at most 9,999,999,999,999.99)"))
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        # 182.31500000000003 is a float artefact of 182.315 written by another program;
        # anything further from whole cents is a real third decimal.
        if abs(cents - value) > Decimal("0.000001"):
            if _THOUSANDS_BY_DOTS.fullmatch(body.strip()):
                raise BadValue(
                    _(
                        "the amount has more than 2 decimal places; if its dot groups "
                        "thousands, import with --decimal-mark ,"
                    )
                )
            raise BadValue(_("the amount has more than 2 decimal places"))
        value = cents
    if value > MAX_MONEY:
        raise BadValue(_("the amount is too large (at most 9,999,999,999,999.99)"))
    whole = value == value.to_integral_value()
    return Amount(value.to_integral_value() if whole else value, found_currency)


_THOUSANDS_BY_DOTS = re.compile(r"\d{1,3}(?:\.\d{3})+")
# What no written number holds besides its digits, marks and grouping spaces.
_NOT_A_NUMBER = re.compile(r"[^\d.,'\s\u00a0\u202f]")


def _not_an_amount(raw: str) -> BadValue:
    """A cell without a digit: a placeholder such as ``-`` or ``N/A``, which --null reads
    as an empty cell."""
    return BadValue(
        _("not an amount; if it stands for no amount, add --null {text}").format(
            text=shlex.quote(raw.strip())
        )
    )


def _with_unit(body: str) -> Decimal:
    try:
        return parse.money(body, what=N_("amount"))
    except InvalidValue as exc:  # its sentence, as the import report lists a reason
        raise BadValue(exc.message.rstrip(".")) from None


def currency_code(raw: str) -> str | None:
    """An ISO code from a code, a symbol or an English name; ``$`` stays ambiguous."""
    text = raw.strip()
    if not text:
        return None
    named = CURRENCY_NAMES.get(" ".join(text.casefold().split()))
    code = named or SYMBOLS.get(text, text.upper())
    if code == AMBIGUOUS_DOLLAR:
        return code
    if code not in ISO_4217:  # as --currency: XYZ and XXX were kept, then summed apart
        raise BadValue(
            _(
                "not a currency salespipe knows (a code like THB or USD); "
                "map it with --map currency:{value}=USD"
            ).format(value=text)
        )
    return code


def probability(raw: str, *, fractions: bool = False, shares_refused: bool = False) -> int | None:
    """``70``, ``70%``, ``70.0``; with ``fractions`` (HubSpot) ``0.7`` is 70 too; with
    ``shares_refused`` a number between 0 and 1 without ``%`` is refused (a share, or
    half a percent: rounded, it read as 0 or 1)."""
    percent = raw.strip().endswith("%")
    text = raw.strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise BadValue(_("not a probability from 0 to 100")) from None
    if fractions and number <= 1 and "." in text:
        number *= 100
    elif shares_refused and not percent and 0 < number < 1:
        raise BadValue(
            _("a share of 1 or a percent below 1; write the percent as 0 to 100 (50 for 0.5)")
        )
    if not 0 <= number <= 100 or not number.is_finite():
        raise BadValue(_("not a probability from 0 to 100"))
    return int(number.to_integral_value())


_TRUE = {"1", "true", "yes", "y", "x", "✓", "t"}
_FALSE = {"", "0", "false", "no", "n", "f", "-"}


def flag(raw: str) -> bool:
    text = raw.strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(_("not a yes/no value (1, true, yes or empty)"))
