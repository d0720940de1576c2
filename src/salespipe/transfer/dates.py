"""Reading the dates other programs write into CSV cells, and the day/month order of a file.

Exports write the same moment many ways: ``2024-07-11T21:22:07.000+0000``,
``2025-03-01 14:30``, ``31/12/2025``, ``Mar 1, 2025``, ``1 มี.ค. 2568``, an Excel serial
day number, a Buddhist Era year. :class:`DateReader` reads them all as local, timezone-aware moments
(or days); :class:`DateOrderClues` settles whether ``01/02/2025`` is day- or month-first
from the dates of the whole file, read a piece of text at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from salespipe.core import parse
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _
from salespipe.core.month_names import named_date
from salespipe.transfer.values import BadValue

DateOrder = Literal["dmy", "mdy", "ymd"]
_ORDERS: dict[str, DateOrder] = {"dmy": "dmy", "mdy": "mdy", "ymd": "ymd"}
REMEMBERED_MOMENTS = 4096

_ISO = re.compile(
    r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"(?:[T ](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
    r"\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<y>\d{4}|\d{2})"
    r"(?:,?\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<ampm>[AaPp][Mm])?)?$"
)
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
BUDDHIST_ERA_OFFSET = 543
FIRST_YEAR, LAST_YEAR = parse.FIRST_YEAR, parse.LAST_YEAR  # as everywhere a date is typed


def date_option(text: str | None) -> tuple[DateOrder | None, str | None]:
    """``--dates``: an order (dmy, mdy, ymd) or a strptime format such as ``%d %b %Y``."""
    if text is None:
        return None, None
    order = _ORDERS.get(text.strip().lower())
    if order is not None:
        return order, None
    if "%" in text:
        return None, text
    raise InvalidValue(
        _('--dates "{dates}" is not dmy, mdy, ymd or a format such as "%d.%m.%Y %H:%M".').format(
            dates=text
        )
    )


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadValue(
            _("outside the years {first}–{last}").format(first=FIRST_YEAR, last=LAST_YEAR)
        )


def _quick_iso(text: str) -> tuple[date | datetime, bool] | None:
    """The common ISO forms, read by the standard library (fast)."""
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        return None  # a Buddhist Era year (converted) or one out of range (refused): slow path
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
    if not match or match["sep"] == ".":
        return None
    first, second = int(match["a"]), int(match["b"])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


_SLASH_DATE = re.compile(r"(?<![\d/-])\d{1,2}([/-])\d{1,2}\1\d{2,4}(?![\d/-])")


class DateOrderClues:
    """The day/month order the slash dates anywhere in a file agree on, if they do.

    The file's text is shown a piece at a time, each ending at a line end (no date
    spans two lines), so the whole text is never held at once.
    """

    def __init__(self) -> None:
        self._seen: set[DateOrder] = set()

    def look(self, text: str) -> None:
        for match in _SLASH_DATE.finditer(text):
            found = slash_order_evidence(match[0])
            if found is not None:
                self._seen.add(found)

    @property
    def order(self) -> DateOrder | None:
        return next(iter(self._seen)) if len(self._seen) == 1 else None


@dataclass(frozen=True)
class DateReader:
    """Reads the date forms of one file; ``order`` settles ``01/02/2025``.

    Exports repeat the same timestamps many times, so each distinct cell is parsed once,
    while it is among the last few thousand seen: a file of distinct timestamps would
    otherwise keep every cell and its moment (~90 MB at 100,000 rows).
    """

    order: DateOrder | None = None
    format: str | None = None  # --dates FORMAT: strptime's, tried first
    thai: bool = False  # the file holds Thai: a 2-digit year may be Buddhist Era (69 = 2569)
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
        if len(self._seen) >= REMEMBERED_MOMENTS:
            self._seen.clear()
        self._seen[key] = found
        return found

    def day(self, raw: str) -> date | None:
        text = raw.strip()
        if not text:
            return None
        parsed, _has_time = self._parse(text)
        return parsed.date() if isinstance(parsed, datetime) else parsed

    def _parse(self, text: str) -> tuple[date | datetime, bool]:
        """The form --dates names first (other columns may still be ISO), then the rest."""
        if self.format is not None:
            formatted = self._formatted(text, self.format)
            if formatted is not None and self.thai and "%y" in self.format:
                raise _two_digit_thai_year()  # strptime read 69 as 1969
            if formatted is not None:
                return formatted
        quick = _quick_iso(text)
        if quick is not None:
            return quick
        try:
            for reader in (self._iso, self._numeric, self._named, self._excel, self._other):
                found = reader(text)
                if found is not None:
                    return found
        except BadValue:
            if self.format is None:
                raise
        if self.format is not None:
            raise BadValue(
                _("not a date in the form {form} given with --dates").format(form=self.format)
            )
        raise BadValue(
            _(
                "not a date salespipe can read; name its form with --dates, "
                "e.g. --dates '%d %b %Y %H:%M'"
            )
        )

    @staticmethod
    def _formatted(text: str, form: str) -> tuple[date | datetime, bool] | None:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            return None
        _check_year(parsed.year)
        if not any(code in form for code in ("%H", "%I", "%M", "%S", "%X", "%c", "%z")):
            return parsed.date(), False
        return (parsed if parsed.tzinfo else parsed.astimezone()).astimezone(), True

    def _other(self, text: str) -> tuple[date | datetime, bool] | None:
        """Forms with words in them ("Thursday, 15 April 2021 10:20 AM"), read by
        python-dateutil; only when the text gives a whole date (its year, month and day)."""
        if not any(c.isalpha() for c in text) or not any(c.isdigit() for c in text):
            return None
        from dateutil import parser  # only an import with such dates needs it

        try:
            first = parser.parse(text, default=datetime(2001, 1, 1), dayfirst=self.order == "dmy")
            second = parser.parse(text, default=datetime(2002, 2, 2), dayfirst=self.order == "dmy")
        except (ValueError, OverflowError):
            return None
        if first.date() != second.date():
            return None  # a part of the date is missing: the default filled it in
        _check_year(first.year)
        if ":" not in text:
            return first.date(), False
        return (first if first.tzinfo else first.astimezone()).astimezone(), True

    @staticmethod
    def _build(year: int, month: int, day: int) -> date:
        _check_year(year)
        try:
            return date(year, month, day)
        except ValueError:
            raise BadValue(_("not a real date")) from None

    def _year(self, text: str) -> int:
        """A year as written; in a Thai file a 2-digit one is refused, not guessed: Thai
        sheets write ``31/12/69`` for 2569 (2026), which elsewhere is 2069."""
        if self.thai and len(text) == 2:
            raise _two_digit_thai_year()
        return _year(text)

    def _iso(self, text: str) -> tuple[date | datetime, bool] | None:
        match = _ISO.match(text)
        if not match:
            return None
        day = self._build(self._year(match["y"]), int(match["m"]), int(match["d"]))
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
        if self.order == "ymd":
            year, month, day = self._year(match["a"].zfill(2)), second, int(match["y"])
            found = self._build(year, month, day)
            if not match["time"]:
                return found, False
            moment = datetime.combine(found, _clock(match["time"], match["ampm"]))
            return moment.astimezone(), True
        if match["sep"] == ".":
            day, month = first, second  # dotted dates are day-first everywhere
        else:
            order = self.order or slash_order_evidence(text)
            if order is None and first != second:
                raise BadValue(
                    _("the date could be day/month or month/day; add --dates dmy or --dates mdy")
                )
            day, month = (first, second) if order in (None, "dmy") else (second, first)
        found = self._build(self._year(match["y"]), month, day)
        if not match["time"]:
            return found, False
        return datetime.combine(found, _clock(match["time"], match["ampm"])).astimezone(), True

    def _named(self, text: str) -> tuple[date | datetime, bool] | None:
        named = named_date(text)
        if named is None:
            return None
        found = self._build(self._year(named.year), named.month, named.day)
        if not named.time:
            return found, False
        return datetime.combine(found, _clock(named.time, named.ampm)).astimezone(), True

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


def _two_digit_thai_year() -> BadValue:
    return BadValue(
        _(
            "a 2-digit year in a Thai file may be Buddhist Era (69 = 2569) or not; "
            "write the year in full (31/12/2569)"
        )
    )
