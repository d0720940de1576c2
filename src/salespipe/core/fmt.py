"""How values look to a person: money, dates, days. JSON never goes through here.

- Dates follow the display era (config ``date_era``): ``ce`` shows 2026-12-31, ``be``
  (Buddhist Era, year + 543) shows 2569-12-31. The long form names the month in the
  language of the messages: ``31 Dec 2026``, ``31 ธ.ค. 2569``.
- Money: Thai baht with its sign, ``฿1,500,000.00``; any other currency by its ISO
  code, ``USD 1,500.00``. Always grouped by thousands, with the currency's minor unit
  (two decimals for most, none for JPY or KRW unless the amount has cents). An amount
  is shown exactly as stored (it has at most two decimals), never rounded, except
  where a caller asks for ``whole`` amounts (the numbers beside chart bars).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from salespipe.core import i18n
from salespipe.core.i18n import N_, _, ngettext
from salespipe.core.model import money_from_json

BUDDHIST_ERA_OFFSET = 543
SYMBOLS = {"THB": "฿"}
# ISO 4217 currencies without a minor unit; every other one is shown with two decimals,
# or three for the few that have three (an amount still never has more than two).
NO_DECIMALS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"}
    | {"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "th": (
        "ม.ค.",
        "ก.พ.",
        "มี.ค.",
        "เม.ย.",
        "พ.ค.",
        "มิ.ย.",
        "ก.ค.",
        "ส.ค.",
        "ก.ย.",
        "ต.ค.",
        "พ.ย.",
        "ธ.ค.",
    ),
}

_era = "ce"


# -- era ---------------------------------------------------------------------------------
def set_era(era: str | None) -> None:
    """Show years as ``ce`` (the default) or ``be`` from now on."""
    global _era
    _era = "be" if era == "be" else "ce"


def era() -> str:
    return _era


@contextlib.contextmanager
def common_era() -> Iterator[None]:
    """Years in CE for a while (what JSON holds, a hook's message too), then as before."""
    before = _era
    set_era("ce")
    try:
        yield
    finally:
        set_era(before)


def year(value: int) -> int:
    """A CE year as the display era counts it."""
    return value + BUDDHIST_ERA_OFFSET if _era == "be" else value


# -- dates -------------------------------------------------------------------------------
def day(value: date | datetime | None) -> str:
    """``2026-12-31`` (or ``2569-12-31`` in the Buddhist Era); empty for no date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return f"{year(value.year):04d}-{value.month:02d}-{value.day:02d}"


def iso_day(text: str) -> str:
    """A stored ISO date (``2026-12-31``) shown as :func:`day` shows dates."""
    return _iso_day(text, _era)


@lru_cache(maxsize=4096)  # a list shows thousands of dates, but few different ones
def _iso_day(text: str, era: str) -> str:  # ``era``: what :func:`day` shows depends on it
    try:
        return day(date.fromisoformat(text))
    except ValueError:
        return text


def next_action(stored: dict[str, str]) -> str:
    """A stored next action (``{"text": ..., "due": ISO day}``): ``2026-12-31 Call them``."""
    return f"{iso_day(stored['due'])} {stored['text']}"


def moment(value: datetime | None, *, seconds: bool = False) -> str:
    """``2026-12-31 14:30`` (``14:30:05`` with ``seconds``) where the reader is (a stored
    time keeps its writer's offset), in the display era; empty for no time."""
    if not value:
        return ""
    local = value.astimezone() if value.tzinfo is not None else value
    return f"{day(local)} {local:%H:%M:%S}" if seconds else f"{day(local)} {local:%H:%M}"


def moments(earlier: datetime, later: datetime) -> tuple[str, str]:
    """Two times as :func:`moment` writes them, to the second when they fall in the
    same minute (else "10:00 is before 10:00" reads as a contradiction)."""
    seconds = moment(earlier) == moment(later)
    return moment(earlier, seconds=seconds), moment(later, seconds=seconds)


def month(value: date) -> str:
    """``2026-12`` (``2569-12`` with ``date_era be``): a month in tables; with Thai
    messages ``ธ.ค. 2569``, as Thai titles write a date (``8 ธ.ค. 2569``)."""
    if i18n.language() == "th":
        return f"{MONTHS['th'][value.month - 1]} {year(value.year)}"
    return f"{year(value.year):04d}-{value.month:02d}"


def iso_month(text: str) -> str:
    """A ``YYYY-MM`` month key shown as :func:`month` shows months."""
    try:
        return month(date.fromisoformat(f"{text}-01"))
    except ValueError:
        return text


def long_day(value: date | datetime) -> str:
    """``31 Dec 2026``, or with Thai messages ``31 ธ.ค. 2569``: a date in titles."""
    if isinstance(value, datetime):
        value = value.date()
    names = MONTHS["th"] if i18n.language() == "th" else MONTHS["en"]
    return f"{value.day} {names[value.month - 1]} {year(value.year)}"


# -- money -------------------------------------------------------------------------------
def _decimals(value: Decimal, currency: str) -> int:
    if currency in NO_DECIMALS:
        return 0 if value == value.to_integral_value() else 2
    return 3 if currency in THREE_DECIMALS else 2


def amount(value: Decimal, currency: str = "", *, whole: bool = False) -> str:
    """The number alone, grouped by thousands: ``1,500,000.00``. ``whole`` rounds it to
    a whole number, but for an amount under one, which keeps its fraction (``0.40``: a
    forecast of 40 satang is not nothing, as a fraction of a yen is never hidden)."""
    places = 0 if whole and not under_one(value) else _decimals(value, currency)
    return f"{value:,.{places}f}"


def under_one(value: Decimal) -> bool:
    """True for an amount that is not zero but less than one (baht, dollar...) either
    way: rounded to a whole number, it would read as nothing, or as a whole one."""
    return 0 < abs(value) < 1


def money(value: Decimal, currency: str, *, whole: bool = False) -> str:
    """``฿1,500,000.00`` for baht, ``USD 1,500.00`` for other currencies."""
    number = amount(value, currency, whole=whole)
    symbol = SYMBOLS.get(currency)
    if symbol is not None:
        return symbol + number
    return f"{currency} {number}" if currency else number


def currency_title(currency: str) -> str:
    """A currency as a chart's title names it: its code (``THB``); with Thai messages as
    Thai tables show its amounts, ``฿`` for baht (``THB`` meant nothing to a Thai rep)."""
    if i18n.language() == "th":
        return SYMBOLS.get(currency, currency)
    return currency


@lru_cache(maxsize=4096)  # a list shows thousands of amounts, many of them alike
def stored_money(amount: int | float, currency: str) -> str:
    """:func:`money` of an amount as the store keeps it (a JSON number, exact to the cent)."""
    return money(money_from_json(amount), currency)


def money_by_currency(totals: dict[str, Decimal]) -> str:
    """Totals per currency, never added together: ``฿1,500.00, USD 20.00``."""
    if not totals:
        return "0"
    return ", ".join(money(v, c) for c, v in sorted(totals.items()))


# -- words -----------------------------------------------------------------------------
STATUS_WORDS = {"open": N_("open"), "won": N_("won"), "lost": N_("lost")}


def status(value: str) -> str:
    """A deal's status as a word of the current language (JSON keeps the key)."""
    return _(STATUS_WORDS[value]) if value in STATUS_WORDS else value


# -- numbers -----------------------------------------------------------------------------
def half_up(value: float, digits: int, *, times: int = 1) -> Decimal:
    """``value`` (× ``times``) rounded as a person rounds the number it prints as: 7.25
    to 7.3 (Python's ``round`` and format take halves to the even digit, and 7.25 to 7.2)."""
    exact = Decimal(repr(value)) * times
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def percent(value: float | None) -> str:
    """A share as a whole percentage, halves up (82.5% is 83%)."""
    return "" if value is None else f"{half_up(value, 0, times=100)}%"


def days_late(count: int) -> str:
    """``3 days late``: how late a next action is (list, board, agenda, show)."""
    return ngettext("{count} day late", "{count} days late", count).format(count=count)


def days(value: float | None) -> str:
    """A number of days with one decimal (``12.5``); a dash for none."""
    return "—" if value is None else f"{half_up(value, 1):.1f}"


def one_line(text: str) -> str:
    """Text kept with its line breaks (a reason, a note) for a one-line message: its
    lines joined by spaces (a confirmation in a pipe stays one line)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
