"""Turning what people type into values: money, dates, text, stage names.

Every parser either returns a value that can be stored and shown back exactly, or
raises InvalidValue / StageNotFound / AmbiguousStage (PipelineNotFound /
AmbiguousPipeline for pipelines) with one sentence that names
the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol, TypeVar

from salespipe.core import clock, collation
from salespipe.core.currencies import ISO_4217
from salespipe.core.currency_names import AMBIGUOUS_DOLLAR, CurrencyClash, split_currency
from salespipe.core.errors import (
    AmbiguousPipeline,
    AmbiguousStage,
    InvalidValue,
    PipelineNotFound,
    StageNotFound,
)
from salespipe.core.i18n import N_, _
from salespipe.core.model import DEFAULT_STAGES, PipelineDef, Stage
from salespipe.core.month_names import day_and_month, named_date
from salespipe.core.weekday_names import named_weekday

MAX_MONEY = Decimal("9999999999999.99")  # 15 significant digits: exact as a JSON number
BUDDHIST_ERA_OFFSET = 543
FIRST_BUDDHIST_ERA_YEAR = 2400

_MULTIPLIERS = {
    "k": Decimal(1_000),
    "m": Decimal(1_000_000),
    "พัน": Decimal(1_000),
    "หมื่น": Decimal(10_000),
    "แสน": Decimal(100_000),
    "ล้าน": Decimal(1_000_000),
}
_MONEY = re.compile(r"^(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>[a-zA-Z\u0e00-\u0e7f]*)$")
_CURRENCY_SYMBOLS = {"฿": "THB", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}


def given_text(value: object, what: str) -> str:
    """``value`` if it is text; a caller of the Python API may pass anything (None, a
    number), which is refused here as the command line would refuse it."""
    if not isinstance(value, str):
        raise InvalidValue(
            _("The {what} must be text, not {kind}.").format(
                what=_(what), kind=type(value).__name__
            )
        )
    return value


def money_and_currency(text: str, *, what: str = N_("value")) -> tuple[Decimal, str | None]:
    """:func:`money`, and the currency the text names, if it does, as an import reads
    it (:mod:`.currency_names`): ``$100``, ``USD 1,200``, ``100 EUR``, ``250,000 บาท``."""
    try:
        body, named = split_currency(given_text(text, what).replace("\u00a0", " "))
    except CurrencyClash as clash:
        raise InvalidValue(
            _('The {what} "{text}": {problem}.').format(what=_(what), text=text, problem=clash)
        ) from None
    if named == AMBIGUOUS_DOLLAR:
        named = "USD"  # typed, not imported: no --currency of a file's to stand for it
    return _amount(body, text, what), named


def money(text: str, *, what: str = N_("value")) -> Decimal:
    """Parse ``150000``, ``150,000``, ``150000.50``, ``150k``, ``1.5m``, ``1.5ล้าน``.

    ``what`` (marked with ``N_``) names the value in the error message.
    """
    raw = given_text(text, what).strip().replace("\u00a0", " ")
    for symbol in _CURRENCY_SYMBOLS:
        raw = raw.removeprefix(symbol).strip()
    return _amount(raw, text, what)


# "1,250,000.-": a whole amount as Thai quotations and invoices write it ("1.250,-" in
# a file of decimal commas).
_WHOLE_MARK = re.compile(r"(?<=\d)[.,]-$")


def without_whole_mark(number: str) -> str:
    """``1,250,000.-`` as ``1,250,000``."""
    return _WHOLE_MARK.sub("", number.strip())


def well_grouped(number: str, grouping: str = ",") -> bool:
    """Whether ``number`` groups its thousands as amounts are written: one to three
    digits, then a ``grouping`` mark before each three digits, then perhaps decimals
    after the other mark (``150,000``, ``1,234,567.89``; with ``grouping`` ``.``:
    ``1.234.567,89``). Not ``1,2,00``, ``12,34.50`` nor ``12,00,000``: the one reading
    of grouped digits, for `add --value` and the import alike."""
    decimal = "," if grouping == "." else "."
    grouped = rf"\d{{1,3}}(?:{re.escape(grouping)}\d{{3}})+(?:{re.escape(decimal)}\d+)?"
    return re.fullmatch(grouped, number) is not None


def misplaced_separators(text: str, *, what: str, grouping: str = ",") -> InvalidValue:
    """The refusal of an amount ``text`` whose digits are not :func:`well_grouped`;
    ``grouping`` is the thousands mark of where it was written (``.`` in a file of
    decimal commas)."""
    if grouping == ".":
        sentence = _(
            'The {what} "{text}" has misplaced thousands separators; a dot goes before '
            "each three digits (150.000) and a comma before decimals (1.234,50)."
        )
    else:
        sentence = _(
            'The {what} "{text}" has misplaced thousands separators; a comma goes before '
            "each three digits (150,000) and a dot before decimals (1.5m)."
        )
    return InvalidValue(sentence.format(what=_(what), text=text))


# A sum of amounts in Thai units, as Thais say one: "1 ล้าน 5 แสน" (1,500,000),
# "1ล้าน2แสน5หมื่น"; each unit once, from the largest down.
_THAI_UNIT_PART = re.compile(r"\s*(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>ล้าน|แสน|หมื่น|พัน)")


def _thai_parts(raw: str) -> list[tuple[str, str]] | None:
    """The (number, unit) parts of a sum of two or more Thai unit amounts; None when
    ``raw`` is not one."""
    parts: list[tuple[str, str]] = []
    at, end = 0, len(raw.rstrip())
    while at < end:
        found = _THAI_UNIT_PART.match(raw, at)
        if found is None:
            return None
        parts.append((found["number"], found["unit"]))
        at = found.end()
    return parts if len(parts) > 1 else None


def _thai_sum(parts: list[tuple[str, str]], text: str, what: str) -> Decimal:
    """The amount of a sum of Thai unit amounts: each unit smaller than the one before
    it, and each part less than the unit before it ("1 ล้าน 15 แสน" reads two ways)."""
    total = Decimal(0)
    above: Decimal | None = None
    for number, unit in parts:
        size = _MULTIPLIERS[unit]
        if "," in number and not well_grouped(number):
            raise misplaced_separators(text, what=what)
        if above is not None and size >= above:
            raise InvalidValue(
                _(
                    'The {what} "{text}" repeats a Thai unit or has a smaller one before a '
                    "larger; write each unit once, from the largest down (1 ล้าน 5 แสน)."
                ).format(what=_(what), text=text)
            )
        part = Decimal(number.replace(",", "")) * size
        if above is not None and part >= above:
            raise InvalidValue(
                _(
                    'The {what} "{text}" has a part as large as the unit before it; '
                    "write it with that unit (1 ล้าน 5 แสน, not 1 ล้าน 15 แสน)."
                ).format(what=_(what), text=text)
            )
        total += part
        above = size
    return total


def _amount(raw: str, text: str, what: str) -> Decimal:
    parts = _thai_parts(without_whole_mark(raw))
    if parts is not None:
        return _checked(_thai_sum(parts, text, what), text, what)
    match = _MONEY.match(without_whole_mark(raw))
    if not match:
        raise InvalidValue(
            _(
                'The {what} "{text}" is not an amount; use a number like 150000, 150,000, '
                "150k or 1.5m (never negative)."
            ).format(what=_(what), text=text)
        )
    number, unit = match["number"], match["unit"].lower()
    if "," in number and not well_grouped(number):
        raise misplaced_separators(text, what=what)
    if unit and unit not in _MULTIPLIERS:
        raise InvalidValue(
            _(
                'The {what} "{text}" has an unknown unit "{unit}"; the units are k, m, พัน, '
                "หมื่น, แสน and ล้าน (150k, 1.5m, 1.5 ล้าน)."
            ).format(what=_(what), text=text, unit=match["unit"])
        )
    try:
        amount = Decimal(number.replace(",", "")) * _MULTIPLIERS.get(unit, Decimal(1))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise InvalidValue(
            _('The {what} "{text}" is not an amount.').format(what=_(what), text=text)
        ) from None
    return _checked(amount, text, what)


def _checked(amount: Decimal, text: str, what: str) -> Decimal:
    """``amount`` as it is stored, once it is no larger than MAX_MONEY and has at most
    two decimals."""
    if amount > MAX_MONEY:  # before quantize, which fails past Decimal's precision
        raise InvalidValue(
            _('The {what} "{text}" is too large (at most 9,999,999,999,999.99).').format(
                what=_(what), text=text
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidValue(
            _('The {what} "{text}" has more than 2 decimal places.').format(what=_(what), text=text)
        )
    # As a stored amount reads back: 1500000, not 1.5E+6 (what normalize() gives) nor
    # 1500000.0; 1000.5, not 1000.50.
    whole = amount.to_integral_value()
    return whole if amount == whole else amount.normalize()


def choice(value: str, allowed: Iterable[str], option: str) -> str:
    """``value`` when it is one of ``allowed``; else an error naming ``option``."""
    choices = tuple(allowed)
    if value not in choices:
        raise InvalidValue(
            _('{option} "{value}" is not one of {choices}.').format(
                option=option, value=value, choices=", ".join(choices)
            )
        )
    return value


# A currency's name as amounts are written with it ("250,000 บาท" is read as THB).
_CURRENCY_WORDS = {"บาท": "THB"}


def currency(text: str) -> str:
    code = given_text(text, N_("currency")).strip().upper()
    code = _CURRENCY_SYMBOLS.get(code, _CURRENCY_WORDS.get(code, code))
    if code not in ISO_4217:
        raise InvalidValue(
            _('The currency "{text}" is not an ISO 4217 code like THB or USD.').format(text=text)
        )
    return code


def probability(text: str, *, none_too: bool = False) -> int:
    """A probability 0–100 (``70``, ``70%``); ``none_too``: the caller also takes
    "none" (a deal's own probability, cleared), which the refusal then names."""
    raw = given_text(text, N_("probability")).strip().removesuffix("%").strip()
    if not raw.isdecimal() or not 0 <= int(raw) <= 100:
        if none_too:
            message = _(
                'The probability "{text}" must be a whole number from 0 to 100, or none '
                "for the stage's."
            )
        else:
            message = _('The probability "{text}" must be a whole number from 0 to 100.')
        raise InvalidValue(message.format(text=text))
    return int(raw)


MAX_TARGET_DAYS = 36_500  # a hundred years: more is a typing mistake


def target_days(text: str) -> int | None:
    raw = given_text(text, N_("target days")).strip().lower()
    if raw in {"none", "-", ""}:
        return None
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_TARGET_DAYS:
        raise InvalidValue(
            _('The target days "{text}" must be a whole number from 1 to {most}, or none.').format(
                text=text, most=MAX_TARGET_DAYS
            )
        )
    return int(raw)


def positive_int(text: str, *, what: str) -> int:
    if not text.strip().isdecimal() or int(text) < 1:
        raise InvalidValue(
            _('The {what} "{text}" must be a positive whole number.').format(
                what=_(what), text=text
            )
        )
    return int(text)


FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years a date may have (CE)

_RELATIVE = re.compile(r"^(?P<sign>[+-])(?P<count>\d{1,9})(?P<unit>[dwm])$")
# The same in Thai words: +7วัน, อีก 2 สัปดาห์ (in 2 weeks), 3 วันก่อน (3 days ago).
_THAI_RELATIVE = re.compile(
    r"^(?:(?P<sign>[+-])|(?P<ahead>อีก)\s*)?(?P<count>\d{1,9})\s*"
    r"(?P<unit>วัน|สัปดาห์|อาทิตย์|เดือน)(?:\s*(?P<ago>ก่อน|ที่แล้ว))?$"
)
_THAI_UNITS = {"วัน": "d", "สัปดาห์": "w", "อาทิตย์": "w", "เดือน": "m"}
# Day first with the same mark twice (15/01/2570, 15.01.2570, 15-01-2570: its year of
# four digits comes last, so a dash cannot be the ISO order), or year first with / or .
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})([/.])(\d{1,2})\2(\d{1,2})")
# Words for days relative to today: (months, days) ahead.
_NAMED_DAYS: dict[str, tuple[int, int]] = {
    "today": (0, 0),
    "yesterday": (0, -1),
    "tomorrow": (0, 1),
    "next week": (0, 7),
    "next month": (1, 0),
    "วันนี้": (0, 0),
    "เมื่อวาน": (0, -1),
    "เมื่อวานนี้": (0, -1),
    "พรุ่งนี้": (0, 1),
    "มะรืน": (0, 2),
    "มะรืนนี้": (0, 2),
    "สัปดาห์หน้า": (0, 7),
    "อาทิตย์หน้า": (0, 7),
    "เดือนหน้า": (1, 0),
}


def _from_buddhist_era(year: int) -> int:
    return year - BUDDHIST_ERA_OFFSET if year >= FIRST_BUDDHIST_ERA_YEAR else year


def _calendar_parts(text: str) -> tuple[int, int, int] | None:
    """The year, month and day of ``YYYY-MM-DD``, day first ``DD/MM/YYYY`` (as the import
    reads by default), or a date with the month's name (``15 Jan 2027``, ``15 ม.ค.
    2570``, as long dates are shown); a year from 2400 is Buddhist Era. None when the
    text is none of them; the day may be none of the calendar's."""
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        year, month, day_ = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.fullmatch(text):
        day_, month, year = int(match[1]), int(match[3]), int(match[4])
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day_ = int(match[1]), int(match[3]), int(match[4])
    elif (named := named_date(text)) and named.time is None and len(named.year) == 4:
        day_, month, year = named.day, named.month, int(named.year)
    else:
        return None
    return _from_buddhist_era(year), month, day_


def _calendar_day(text: str) -> date | None:
    """The day :func:`_calendar_parts` reads; None when the text is not one, or no such day."""
    parts = _calendar_parts(text)
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def _no_such_day(text: str, what: str) -> InvalidValue | None:
    """The error for a date written in a known form that names no day of the calendar
    (31/02/2570, 2027-13-01): the form is right, so no list of forms."""
    found = _DAY_AND_CLOCK.fullmatch(text)  # a date and time: the date is what is wrong
    parts = _calendar_parts(text) or (_calendar_parts(found["day"]) if found else None)
    if parts is None:
        return None
    year, month, day_ = parts
    _check_year(year, text, what)  # 0000-01-15: the year is what is wrong
    try:
        date(year, month, day_)
    except ValueError:
        pass
    else:
        return None  # the day is one of the calendar's: something else is wrong
    if not 1 <= month <= 12:
        return InvalidValue(
            _('The {what} "{text}" is not a real date: there is no month {month}.').format(
                what=_(what), text=text, month=month
            )
        )
    return InvalidValue(
        _('The {what} "{text}" is not a real date: that month has no day {day}.').format(
            what=_(what), text=text, day=day_
        )
    )


# A day and a month without the year (15/12, 15.12).
_DAY_MONTH = re.compile(r"(\d{1,2})([/.])(\d{1,2})")


def _year_missing(text: str, what: str, today: date, *, ahead: bool) -> InvalidValue | None:
    """The error for a day and month without a year (``15/12``, ``15 ธ.ค.``): which year
    is not guessed (a due date looks ahead, ``--as-of`` back), but the one of the next
    such day from ``today`` (today counts; with ``ahead`` false the last) is shown added,
    in the era a Thai month name is written with. None for other text."""
    if match := _DAY_MONTH.fullmatch(text):
        day_, month, mark = int(match[1]), int(match[3]), match[2]
    elif named := day_and_month(text):
        (day_, month), mark = named, " "
    else:
        return None
    year = _year_of_the_day(day_, month, today, ahead=ahead)
    if year is None:
        return None  # (31/02: no such day in any year)
    if mark == " " and re.search(r"[\u0e00-\u0e7f]", text):
        year += BUDDHIST_ERA_OFFSET
    return InvalidValue(
        _('The {what} "{text}" has no year; add it: "{example}".').format(
            what=_(what), text=text, example=f"{text}{mark}{year}"
        )
    )


def _year_of_the_day(day_: int, month: int, today: date, *, ahead: bool) -> int | None:
    """The year of the next (or with ``ahead`` false, the last) day ``day_``/``month``
    from ``today``, today counting; None when no year has that day."""
    step = 1 if ahead else -1
    for year in range(today.year, today.year + 9 * step, step):  # (29/02: a leap year)
        try:
            found = date(year, month, day_)
        except ValueError:
            continue
        if (found >= today) if ahead else (found <= today):
            return year
    return None


_DAY_AND_CLOCK = re.compile(
    r"(?P<day>.+?)[\s,]+(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\s*น\.)?"
)


def _day_and_clock(text: str) -> datetime | None:
    """A day as :func:`_calendar_day` reads it, or a relative one (``yesterday``,
    ``เมื่อวาน``, ``-2d``, ``friday``: the last one), then a time of day (``14:30``, or
    ``14.30 น.`` as Thai write it): local time. None when the text is not that."""
    match = _DAY_AND_CLOCK.fullmatch(text)
    if match is None or re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", match["day"]):
        return None  # an ISO day with a time is read with its offset, below
    today = clock.today()
    found = (
        _calendar_day(match["day"])
        or _relative_day(match["day"], today)
        or named_weekday(match["day"], today, looking_back=True)
    )
    if found is None:
        return None
    try:
        clock_time = time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
    except ValueError:
        return None
    return datetime.combine(found, clock_time)


def months_later(start: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or the month's last day if it is shorter."""
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    following = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month + 1, min(start.day, last))


def _relative_day(text: str, today: date) -> date | None:
    """``today``, ``next week``, ``+3d``, ``-2w``, ``+1m`` and their Thai words, from ``today``."""
    named = _NAMED_DAYS.get(" ".join(text.lower().split()))
    if named is not None:
        months, days = named
    elif match := _RELATIVE.match(text.lower()):
        count = int(match["count"]) * (1 if match["sign"] == "+" else -1)
        months, days = _months_and_days(count, match["unit"])
    elif thai := _thai_relative(text):
        months, days = thai
    else:
        return None
    try:
        return months_later(today, months) + timedelta(days=days)
    except (ValueError, OverflowError):
        return date.min  # far outside the years allowed: refused as such


def _thai_relative(text: str) -> tuple[int, int] | None:
    """(months, days) of ``+7วัน``, ``อีก 2 สัปดาห์``, ``3 วันก่อน``; None for other text,
    or a count that says no direction (``7 วัน``) or both (``+3 วันก่อน``)."""
    match = _THAI_RELATIVE.match(text)
    if match is None:
        return None
    ahead = match["sign"] == "+" or match["ahead"] is not None
    back = match["sign"] == "-" or match["ago"] is not None
    if ahead == back:
        return None
    count = int(match["count"]) * (-1 if back else 1)
    return _months_and_days(count, _THAI_UNITS[match["unit"]])


def _months_and_days(count: int, unit: str) -> tuple[int, int]:
    """``count`` of the unit ``d``, ``w`` or ``m`` as (months, days)."""
    return (count, 0) if unit == "m" else (0, count * (7 if unit == "w" else 1))


def given_day(found: date, *, what: str = N_("date")) -> date:
    """A date given as a date (the Python API's), checked as a typed one is: in the years
    1900–2200 (a close date of year 1 was kept, and the CSV export then refused it)."""
    _within_years(found, found.isoformat(), what)
    return found


def _within_years(found: date, text: str, what: str) -> None:
    _check_year(found.year, text, what)


def _check_year(year: int, text: str, what: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue(
            _(
                'The {what} "{text}" is outside the years {first}–{last} '
                "({first_be}–{last_be} in the Buddhist Era)."
            ).format(
                what=_(what),
                text=text,
                first=FIRST_YEAR,
                last=LAST_YEAR,
                first_be=FIRST_YEAR + BUDDHIST_ERA_OFFSET,
                last_be=LAST_YEAR + BUDDHIST_ERA_OFFSET,
            )
        )


def day(text: str, *, what: str = N_("date"), none_clears: bool = False) -> date:
    """Parse a DATE: YYYY-MM-DD or DD/MM/YYYY (CE or Buddhist Era year), today, tomorrow,
    next week, next month, a weekday (friday, next friday; and all in Thai), +3d, -2w,
    +1m; in the years 1900–2200. ``none_clears``: the caller (a deal's close date) also
    takes "none", which clears it; the refusal of a text that is no date then names it."""
    raw = given_text(text, what).strip()
    today = clock.today()
    parsed = _relative_day(raw, today) or named_weekday(raw, today) or _calendar_day(raw)
    if parsed is None and (no_such_day := _no_such_day(raw, what)) is not None:
        raise no_such_day
    if parsed is None and (no_year := _year_missing(raw, what, today, ahead=True)):
        raise no_year
    if parsed is None and none_clears:
        raise InvalidValue(
            _(
                'The {what} "{text}" is not a date; use YYYY-MM-DD, DD/MM/YYYY or 15 Jan 2027 '
                "(a year of four digits; from 2400 it is read as Buddhist Era), today, "
                "tomorrow, next week, next month, friday, next friday, +3d, -2w or +1m; "
                "or none to clear the close date."
            ).format(what=_(what), text=text)
        )
    if parsed is None:
        raise InvalidValue(
            _(
                'The {what} "{text}" is not a date; use YYYY-MM-DD, DD/MM/YYYY or 15 Jan 2027 '
                "(a year of four digits; from 2400 it is read as Buddhist Era), today, "
                "tomorrow, next week, next month, friday, next friday, +3d, -2w or +1m."
            ).format(what=_(what), text=text)
        )
    _within_years(parsed, text, what)
    return parsed


def moment(text: str, *, what: str = N_("time")) -> datetime:
    """Parse a WHEN, which is never later than now: a day (meaning the end of that day, or
    now for today), written as a date or relative to today (``yesterday``, ``-3d``,
    ``friday``: the last Friday, today included), or a day and a time. A time without an
    offset is local time."""
    raw = given_text(text, what).strip()
    now = clock.now()
    # (A relative day kept the clock time: `--at yesterday` after `--at 2026-12-05` on
    # the 6th was refused as before the deal's previous event, 23:59:59.)
    as_date = (
        _relative_day(raw, now.date())
        or named_weekday(raw, now.date(), looking_back=True)
        or _calendar_day(raw)
    )
    if as_date is not None:
        _within_years(as_date, text, what)
        if as_date > now.date():
            raise InvalidValue(
                _('The {what} "{text}" is in the future.').format(what=_(what), text=text)
            )
        return min(datetime.combine(as_date, time(23, 59, 59)).astimezone(), now)
    dated = _day_and_clock(raw)
    if dated is not None:
        _within_years(dated.date(), text, what)
        return dated.astimezone()
    match = re.fullmatch(r"(\d{4})(-\d{1,2}-\d{1,2}[T ].+)", raw)
    if match:
        raw = f"{_from_buddhist_era(int(match[1])):04d}{match[2]}"
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None:
            _within_years(parsed.date(), text, what)
            return parsed.astimezone().replace(microsecond=0)
    if (no_such_day := _no_such_day(raw, what)) is not None:
        raise no_such_day
    if (no_year := _year_missing(raw, what, now.date(), ahead=False)) is not None:
        raise no_year
    raise InvalidValue(
        _(
            'The {what} "{text}" is not a date or time; use YYYY-MM-DD, DD/MM/YYYY, '
            '"YYYY-MM-DD HH:MM", "DD/MM/YYYY HH:MM", today, yesterday, friday, -3d or -2w.'
        ).format(what=_(what), text=text)
    )


# Control characters, and the bidirectional overrides and isolates, which reverse how a
# terminal shows the rest of a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\n\r\t\u2028\u2029\x85]")


def _shows_something(value: str) -> bool:
    """Whether ``value`` has a character that is seen: not only spaces, nor only a
    zero-width space (which made a deal titled with nothing to see)."""
    return any(c.isprintable() and not c.isspace() for c in value)


def text(
    value: str,
    *,
    what: str,
    required: bool = False,
    multiline: bool = False,
    max_length: int = 500,
    exact: bool = False,
) -> str:
    """Check a free-text field; it is kept as given, but for the spaces around a one-line
    text (`add "  Siam  "` kept them, and an owner " Bob " was another Bob), which
    ``exact`` keeps too: salespipe's own CSV gives back what it holds, and its rows are
    known again by their text.

    ``what`` (marked with ``N_``) names the field in the error message.
    """
    given_text(value, what)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(
            _("The {what} contains bytes that are not valid text.").format(what=_(what))
        ) from None
    if required and not value.strip():
        raise InvalidValue(_("The {what} must not be empty.").format(what=_(what)))
    if required and not _shows_something(value):
        raise InvalidValue(
            _("The {what} has no character that is shown, only spaces or invisible ones.").format(
                what=_(what)
            )
        )
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        raise InvalidValue(
            _("The {what} contains a control character or line break.").format(what=_(what))
        )
    if len(value) > max_length:
        raise InvalidValue(
            _("The {what} is longer than {count} characters.").format(
                what=_(what), count=max_length
            )
        )
    return value if multiline or exact else value.strip(" ")


def fold(name: str) -> str:
    """The form in which names are compared: NFC (Thai look-alikes made alike), case-folded."""
    return collation.fold(name)


# Each default stage name -> the stage's key, and its Thai and English names.
_DEFAULT_NAMES = {
    name: (key, (thai, english))
    for key, thai, english, _p, _t in DEFAULT_STAGES
    for name in (thai, english)
}


def stage_names(stage: Stage) -> tuple[str, ...]:
    """The names a stage answers to: its own, and for a default stage still under its
    default name, both its Thai and its English name. A default stage has the default
    key, or in a pipeline made with them the pipeline's key before it ("renewals-quoted");
    a stage a user made under such a name is not one (a Thai "เสนอราคา" added to a
    pipeline does not answer to "quoted", which may be another pipeline's stage)."""
    default = _DEFAULT_NAMES.get(stage.name)
    if default is None:
        return (stage.name,)
    key, names = default
    return names if stage.key == key or stage.key.endswith("-" + key) else (stage.name,)


def _names(stage: Stage) -> tuple[str, ...]:
    return tuple(fold(name) for name in stage_names(stage))


def stage(stages: Iterable[Stage], name: str | int, *, enabled_only: bool = True) -> Stage:
    """Find a stage by key, name, position among enabled stages, or a unique part of its name.

    A default stage still under its default name answers to its Thai and its English name.
    Tried in turn: the key; the whole name (NFC, case ignored); the default name in the
    other language; the position; the
    beginning of the name or key; the beginning of a later word of the name; any part of
    the name (Thai writes words without spaces: ``พิจารณา`` finds ``กำลังพิจารณา``).
    The first of these that finds one stage wins; one that finds several is ambiguous.
    """
    if isinstance(name, int) and not isinstance(name, bool):  # a position, from the API
        name = str(name)
    name = given_text(name, N_("stage"))
    every = list(stages)
    candidates = [s for s in every if s.enabled or not enabled_only]
    ordered = sorted(candidates, key=lambda s: s.position)
    if not fold(name):
        raise StageNotFound(_("A stage name must not be empty."))
    found, matches = _resolve(ordered, name, _names, lambda s: s.enabled)
    if found is not None:
        return found
    if matches:
        raise AmbiguousStage(
            _('The stage "{name}" could mean {stages}; give more of the name.').format(
                name=name, stages=_quoted_names(matches)
            )
        )
    # A switched-off stage the name finds as it would find it switched on (its key, its
    # name, or a unique beginning or part of it): said so, not "there is no stage".
    off = sorted((s for s in every if not s.enabled), key=lambda s: s.position)
    found_off, _several = _resolve(off, name, _names, lambda s: False)
    switched_off = [found_off] if found_off is not None else []
    if enabled_only and switched_off:
        raise StageNotFound(
            _(
                'The stage "{name}" is switched off; switch it on with `salespipe stage '
                "enable {key}`, or choose one of {stages}."
            ).format(
                name=switched_off[0].name, key=switched_off[0].key, stages=_quoted_names(ordered)
            )
        )
    meant = _stage_meant(ordered, name)
    if meant is not None:
        raise StageNotFound(
            _(
                'There is no stage "{name}"; did you mean "{meant}"? The stages are {stages}.'
            ).format(name=name, meant=meant.name, stages=_quoted_names(ordered))
        )
    raise StageNotFound(
        _('There is no stage "{name}"; the stages are {stages}.').format(
            name=name, stages=_quoted_names(ordered) or _("none")
        )
    )


def _stage_meant(stages: Sequence[Stage], typed: str) -> Stage | None:
    """The stage whose key or a name ``typed`` is most like, as a typo of it ("negotiatng",
    "เจรจาต่อรง"), or None where none is near enough to say so."""
    import difflib

    by_spelling = {key: s for s in reversed(stages) for key in (s.key, *_names(s))}
    near = difflib.get_close_matches(fold(typed), list(by_spelling), n=1, cutoff=0.75)
    return by_spelling[near[0]] if near else None


def pipeline(
    pipelines: Iterable[PipelineDef], name: str, *, with_archived: bool = True
) -> PipelineDef:
    """Find a pipeline exactly as :func:`stage` finds a stage: by key, name, position
    among the pipelines not archived, or a unique part of its name (Thai too). The first
    pipeline under its default name answers to "Sales" and to its Thai name."""
    candidates = [p for p in pipelines if with_archived or not p.archived]
    ordered = sorted(candidates, key=lambda p: p.position)
    if not fold(name):
        raise PipelineNotFound(_("A pipeline name must not be empty."))
    found, matches = _resolve(ordered, name, _pipeline_names, lambda p: not p.archived)
    if found is not None:
        return found
    names = ", ".join(f'"{pipeline_name(p)}"' for p in matches or ordered) or _("none")
    if matches:
        raise AmbiguousPipeline(
            _('The pipeline "{name}" could mean {pipelines}; give more of the name.').format(
                name=name, pipelines=names
            )
        )
    raise PipelineNotFound(
        _('There is no pipeline "{name}"; the pipelines are {pipelines}.').format(
            name=name, pipelines=names
        )
    )


def pipeline_named_exactly(pipelines: Iterable[PipelineDef], label: str) -> PipelineDef | None:
    """The pipeline whose key or name (any it answers to) ``label`` is, spaces and case
    aside; None when none is, or several are. Not by number or part of the name, as
    ``--pipeline`` finds one: a file's "Renewals" is not the "Renewals 2027" here."""
    exact = _named_exactly(list(pipelines), label, _pipeline_names)
    return exact[0] if len(exact) == 1 else None


def pipeline_name(found: PipelineDef) -> str:
    """A pipeline's name as a person reads it: the first pipeline's default name is
    "Sales" in the reader's language."""
    return found.name or _(FIRST_PIPELINE_NAME)


FIRST_PIPELINE_NAME = N_("Sales")
_FIRST_PIPELINE_NAMES = ("Sales", "ไปป์ไลน์ขาย")


def pipeline_names(found: PipelineDef) -> tuple[str, ...]:
    """Every name a pipeline answers to: its own, or the first pipeline's default name in
    either language."""
    if found.name:
        return (found.name,)
    return tuple(dict.fromkeys((*_FIRST_PIPELINE_NAMES, pipeline_name(found))))


def _pipeline_names(found: PipelineDef) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fold(n) for n in pipeline_names(found)))


class _Named(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...


_T = TypeVar("_T", bound=_Named)


def _named_exactly(
    ordered: Sequence[_T], name: str, names: Callable[[_T], tuple[str, ...]]
) -> list[_T]:
    """The items ``name`` is the key or a name of (case and spaces aside), by the first
    rule that finds any: key, own name, another name it answers to."""
    wanted, key = fold(name), name.strip()
    spaced = " ".join(wanted.split())  # "Renewal  due" is "Renewal due", as when named
    for rule in (
        lambda item: item.key == key,
        lambda item: fold(item.name) == wanted,
        lambda item: wanted in names(item),
        lambda item: spaced in (" ".join(n.split()) for n in names(item)),
    ):
        exact = [item for item in ordered if rule(item)]
        if exact:
            return exact
    return []


def _resolve(
    ordered: Sequence[_T],
    name: str,
    names: Callable[[_T], tuple[str, ...]],
    chosen_by_number: Callable[[_T], bool],
) -> tuple[_T | None, list[_T]]:
    """The one item ``name`` finds (by key, own name, another name it answers to,
    position among those ``chosen_by_number``, then beginnings and parts of names), else
    None and the several items the first rule that found any found (empty: none).

    A key always means its own item, and an item's own name comes before the other
    language's default name another item answers to: a stage named "เจรจาต่อรอง" beside
    the default "Negotiating" is found by its name, and "negotiating" stays the default's
    key."""
    exact = _named_exactly(ordered, name, names)
    if exact:
        return (exact[0], []) if len(exact) == 1 else (None, exact)
    wanted = fold(name)
    if wanted.isdecimal():
        numbered = [item for item in ordered if chosen_by_number(item)]
        index = int(wanted)
        if 1 <= index <= len(numbered):
            return numbered[index - 1], []

    def name_starts(item: _T) -> bool:
        return any(n.startswith(wanted) for n in names(item)) or item.key.startswith(wanted)

    def word_starts(item: _T) -> bool:
        return any(word.startswith(wanted) for n in names(item) for word in n.split()[1:])

    def name_contains(item: _T) -> bool:
        return len(wanted) > 1 and any(wanted in n for n in names(item))

    for finds in (name_starts, word_starts, name_contains):
        matches = [item for item in ordered if finds(item)]
        if len(matches) == 1:
            return matches[0], []
        if matches:
            return None, matches
    return None, []


def _quoted_names(stages: Iterable[Stage]) -> str:
    return ", ".join(f'"{s.name}"' for s in stages)
