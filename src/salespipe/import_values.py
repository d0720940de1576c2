"""Reading the values other programs write into CSV cells: amounts, dates, flags.

CRM exports and spreadsheets write the same value many ways: ``1,234.50``,
``1.234,50``, ``฿1,234``, ``USD 1,234``; ``2024-07-11T21:22:07.000+0000``,
``2025-03-01 14:30``, ``31/12/2025``, an Excel serial day number. Each reader here
returns a value or raises :class:`BadValue` with a short reason that the import
report shows next to the line and column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from salespipe.i18n import _
from salespipe.parse import MAX_MONEY

DateOrder = Literal["dmy", "mdy"]


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


# -- amounts ---------------------------------------------------------------------------------
_SYMBOLS = {
    "฿": "THB",
    "US$": "USD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₫": "VND",
    "₱": "PHP",
    "RM": "MYR",
    "S$": "SGD",
}
_CODE_AROUND = re.compile(
    r"^(?:(?P<pre>[A-Za-z]{3})\s*)?(?P<body>.*?)(?:\s*(?P<post>[A-Za-z]{3}))?$"
)
_THOUSANDS_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
_GROUPED_COMMA = re.compile(r"^\d{1,3}(,\d{3})+$")
_GROUPED_DOT = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")


def _strip_currency(raw: str) -> tuple[str, str | None]:
    text = raw.strip()
    found: str | None = None
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if text.startswith(symbol):
            text, found = text[len(symbol) :].strip(), _SYMBOLS[symbol]
            break
        if text.endswith(symbol):
            text, found = text[: -len(symbol)].strip(), _SYMBOLS[symbol]
            break
    match = _CODE_AROUND.match(text)
    if match and (match["pre"] or match["post"]):
        code = (match["pre"] or match["post"]).upper()
        if found and found != code:
            raise BadValue(
                _("the amount names two currencies ({first} and {second})").format(
                    first=found, second=code
                )
            )
        return match["body"], code
    return text, found


def _unify_separators(number: str) -> str:
    """Remove thousands separators and make the decimal separator a dot."""
    number = _THOUSANDS_SPACES.sub("", number)
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        number = number.replace(grouping, "").replace(decimal_mark, ".")
    elif "," in number:
        if _GROUPED_COMMA.match(number):
            number = number.replace(",", "")
        elif number.count(",") == 1 and re.search(r",\d{1,2}$", number):
            number = number.replace(",", ".")
        else:
            raise BadValue(_("the amount has misplaced separators"))
    elif number.count(".") > 1:
        if not _GROUPED_DOT.match(number):
            raise BadValue(_("the amount has misplaced separators"))
        number = number.replace(".", "")
    return number


def amount(raw: str) -> tuple[Decimal | None, str | None]:
    """An amount and the currency written with it, if any; an empty cell is (None, None)."""
    if not raw.strip():
        return None, None
    body, found_currency = _strip_currency(raw)
    if body.startswith("-") or (body.startswith("(") and body.endswith(")")):
        raise BadValue(_("the amount is negative"))
    number = _unify_separators(body.strip())
    if not _PLAIN_NUMBER.match(number):
        raise BadValue(_("not an amount"))
    try:
        value = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise BadValue(_("not an amount")) from None
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        # 182.31500000000003 is a float artefact of 182.315 written by another program;
        # anything further from whole cents is a real third decimal.
        if abs(cents - value) > Decimal("0.000001"):
            raise BadValue(_("the amount has more than 2 decimal places"))
        value = cents
    if value > MAX_MONEY:
        raise BadValue(_("the amount is too large (at most 9,999,999,999,999.99)"))
    return (value.to_integral_value() if value == value.to_integral_value() else value), (
        found_currency
    )


def currency_code(raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    code = _SYMBOLS.get(text, text.upper())
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise BadValue(_("not a 3-letter currency code like THB or USD"))
    return code


def probability(raw: str, *, fractions: bool = False) -> int | None:
    """``70``, ``70%``, ``70.0``; with ``fractions`` (HubSpot) ``0.7`` is 70 too."""
    text = raw.strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise BadValue(_("not a probability from 0 to 100")) from None
    if fractions and number <= 1 and "." in text:
        number *= 100
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


# -- dates -----------------------------------------------------------------------------------
_ISO = re.compile(
    r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"(?:[T ](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
    r"\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<y>\d{4}|\d{2})"
    r"(?:,?\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<ampm>[AaPp][Mm])?)?$"
)
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_NAMED_MONTH = re.compile(
    r"^(?:(?P<d1>\d{1,2})[\s-](?P<m1>[A-Za-z]{3,9})\.?[\s-](?P<y1>\d{4})"
    r"|(?P<m2>[A-Za-z]{3,9})\.?\s(?P<d2>\d{1,2}),?\s(?P<y2>\d{4}))"
    r"(?:,?\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<ampm>[AaPp][Mm])?)?$"
)
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
BUDDHIST_ERA_OFFSET = 543


def _quick_iso(text: str) -> tuple[date | datetime, bool] | None:
    """The common ISO forms, read by the standard library (fast)."""
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.year >= 2400:
        return None  # a Buddhist Era year: the slow path converts it
    if len(text) == 10:
        return parsed.date(), False
    return parsed.replace(microsecond=0).astimezone(), True


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year - BUDDHIST_ERA_OFFSET if year >= 2400 else year


def _clock(text: str | None, ampm: str | None) -> time:
    if not text:
        return time(0, 0)
    parts = [int(float(p.replace(",", "."))) for p in text.split(":")]
    hour, minute, second = (*parts, 0)[:3]
    if ampm:
        if not 1 <= hour <= 12:
            raise BadValue(_("not a time of day"))
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise BadValue(_("not a time of day")) from None


def slash_order_evidence(raw: str) -> DateOrder | None:
    """Which order a ``03/14/2025``-style date must be read in, if the numbers tell."""
    match = _NUMERIC.match(raw.strip())
    if not match or match["sep"] != "/":
        return None
    first, second = int(match["a"]), int(match["b"])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def infer_order(values: Iterable[str]) -> DateOrder | None:
    """The day/month order the slash dates of a file agree on, if any does."""
    seen = {slash_order_evidence(v) for v in values} - {None}
    if len(seen) == 1:
        return next(iter(seen))
    return None


def infer_order_in_text(text: str) -> DateOrder | None:
    """The day/month order of the slash dates anywhere in a file's text, if they agree."""
    return infer_order(m[0] for m in _SLASH_DATE.finditer(text))


_SLASH_DATE = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}/\d{2,4}(?![\d/])")


@dataclass(frozen=True)
class DateReader:
    """Reads the date forms of one file; ``order`` settles ``01/02/2025``.

    Exports repeat the same timestamps many times, so each distinct cell is parsed once.
    """

    order: DateOrder | None = None
    _seen: dict[tuple[str, bool], datetime | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def moment(self, raw: str, *, end_of_day: bool = False) -> datetime | None:
        """A local, timezone-aware moment; a bare date means its start (or end)."""
        key = (raw, end_of_day)
        if key in self._seen:
            return self._seen[key]
        text = raw.strip()
        if not text:
            return None
        parsed, has_time = self._parse(text)
        if isinstance(parsed, datetime):
            found = parsed
        else:
            clock_time = time(23, 59, 59) if end_of_day and not has_time else time(0, 0)
            found = datetime.combine(parsed, clock_time).astimezone()
        self._seen[key] = found
        return found

    def day(self, raw: str) -> date | None:
        text = raw.strip()
        if not text:
            return None
        parsed, _has_time = self._parse(text)
        return parsed.date() if isinstance(parsed, datetime) else parsed

    def _parse(self, text: str) -> tuple[date | datetime, bool]:
        quick = _quick_iso(text)
        if quick is not None:
            return quick
        for reader in (self._iso, self._numeric, self._named, self._excel):
            found = reader(text)
            if found is not None:
                return found
        raise BadValue(_("not a date (use YYYY-MM-DD, 'YYYY-MM-DD HH:MM' or 31/12/2025)"))

    @staticmethod
    def _build(year: int, month: int, day: int) -> date:
        try:
            return date(year, month, day)
        except ValueError:
            raise BadValue(_("not a real date")) from None

    def _iso(self, text: str) -> tuple[date | datetime, bool] | None:
        match = _ISO.match(text)
        if not match:
            return None
        day = self._build(_year(match["y"]), int(match["m"]), int(match["d"]))
        if not match["time"]:
            return day, False
        moment = datetime.combine(day, _clock(match["time"], None))
        zone = match["zone"]
        if zone:
            iso_zone = "+00:00" if zone.upper() in {"Z", "UTC"} else zone
            if ":" not in iso_zone:
                iso_zone = f"{iso_zone[:3]}:{iso_zone[3:]}"
            moment = datetime.fromisoformat(f"{moment.isoformat()}{iso_zone}")
            return moment.astimezone(), True
        return moment.astimezone(), True

    def _numeric(self, text: str) -> tuple[date | datetime, bool] | None:
        match = _NUMERIC.match(text)
        if not match:
            return None
        first, second = int(match["a"]), int(match["b"])
        if match["sep"] == ".":
            day, month = first, second  # dotted dates are day-first everywhere
        else:
            order = self.order or slash_order_evidence(text)
            if order is None and first != second:
                raise BadValue(
                    _("the date could be day/month or month/day; add --dates dmy or --dates mdy")
                )
            day, month = (first, second) if order in (None, "dmy") else (second, first)
        found = self._build(_year(match["y"]), month, day)
        if not match["time"]:
            return found, False
        return datetime.combine(found, _clock(match["time"], match["ampm"])).astimezone(), True

    def _named(self, text: str) -> tuple[date | datetime, bool] | None:
        match = _NAMED_MONTH.match(text)
        if not match:
            return None
        month_name = (match["m1"] or match["m2"]).casefold()
        if month_name not in _MONTHS:
            return None
        found = self._build(
            _year(match["y1"] or match["y2"]), _MONTHS[month_name], int(match["d1"] or match["d2"])
        )
        if not match["time"]:
            return found, False
        return datetime.combine(found, _clock(match["time"], match["ampm"])).astimezone(), True

    @staticmethod
    def _excel(text: str) -> tuple[date | datetime, bool] | None:
        """A spreadsheet's serial day number (days since 1899-12-30), from 1954 to 2119."""
        if not _EXCEL_SERIAL.match(text):
            return None
        serial = float(text)
        if not 20_000 <= serial <= 80_000:
            return None
        moment = datetime.combine(_EXCEL_EPOCH, time(0, 0)) + timedelta(days=serial)
        if serial == int(serial):
            return moment.date(), False
        return moment.replace(microsecond=0).astimezone(), True
