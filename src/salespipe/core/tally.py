"""The arithmetic every report shares: money per currency, rates, periods, medians,
and reading the fields of stored deal records.

Money of different currencies is never added together: a total is a mapping from
currency code to amount.

Every report works on stored deal records (``Deal.to_record()`` form) rather than on
``Deal`` objects: the history reports read a few fields of every deal ever made, and
building 100k deals costs more than the reports themselves. They take any iterable of
records and go through it once (:mod:`salespipe.reports.scope` chooses them). Times stay ISO strings
until a report needs one as a ``datetime``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from salespipe.core import fmt, parse
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import N_, _
from salespipe.core.model import Record, Stage, money_from_json, money_to_json, record_probability

Totals = dict[str, Decimal]
ZERO = Decimal(0)
CENT = Decimal("0.01")


def add_money(totals: Totals, currency: str, amount: Decimal) -> None:
    totals[currency] = totals.get(currency, ZERO) + amount


def totals_json(totals: Totals) -> dict[str, int | float]:
    """Per-currency money as JSON numbers, currencies in alphabetical order."""
    return {currency: money_to_json(totals[currency]) for currency in sorted(totals)}


def rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    """``part / whole`` as a fraction 0–1, or None when there is nothing to divide."""
    return float(part / whole) if whole else None


def rounded(value: float | None, digits: int = 1) -> float | None:
    """``value`` to ``digits`` decimals, halves up (as :func:`.fmt.half_up`), for JSON."""
    return None if value is None else float(fmt.half_up(value, digits))


def value_rates(won: Totals, lost: Totals) -> dict[str, float | None]:
    """Per currency: won value / (won value + lost value)."""
    return {
        currency: rate(won.get(currency, ZERO), won.get(currency, ZERO) + lost.get(currency, ZERO))
        for currency in sorted({*won, *lost})
    }


def median_and_mean(values: Sequence[float]) -> tuple[float | None, float | None]:
    """The median and mean, computed as ``statistics.median`` and ``fmean`` compute them
    (without importing ``statistics``, which pulls in ``fractions`` and ``random``)."""
    if not values:
        return None, None
    ordered = sorted(values)
    middle = len(ordered) // 2
    odd = len(ordered) % 2
    median = ordered[middle] if odd else (ordered[middle - 1] + ordered[middle]) / 2
    return median, math.fsum(ordered) / len(ordered)


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min).astimezone()


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in local time."""
    return datetime.combine(day, time(23, 59, 59)).astimezone()


@dataclass(frozen=True)
class Period:
    """Days from ``since`` to ``until``, both included; either end may be open."""

    since: date | None = None
    until: date | None = None
    as_of: date | None = field(default=None, compare=False)
    """The day the deals are seen as of (``--as-of``), if not today: said, not filtered by."""

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidValue(
                _("--since {since} is after --until {until}; swap them.").format(
                    since=fmt.day(self.since), until=fmt.day(self.until)
                )
            )

    @classmethod
    def parse(cls, since: str | None, until: str | None, as_of: str | None = None) -> Period:
        return cls(
            parse.day(since, what=N_("--since date")) if since is not None else None,
            parse.day(until, what=N_("--until date")) if until is not None else None,
            parse.day(as_of, what=N_("--as-of date")) if as_of is not None else None,
        )

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as [start, end) instants, for fast comparisons."""
        start = start_of_day(self.since) if self.since else None
        end = start_of_day(self.until + timedelta(days=1)) if self.until else None
        return start, end

    def holds_stored(self) -> Callable[[str | None], bool]:
        """A test of a stored time (ISO 8601 text, or None): is it in the period? The
        text is parsed only when the period has an end; a missing time is in no period."""
        if self.since is None and self.until is None:
            return bool
        bounds = self.bounds()

        def holds(stored: str | None) -> bool:
            return within(moment(stored), bounds) if stored else False

        return holds

    def to_dict(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def within(moment: datetime | None, bounds: tuple[datetime | None, datetime | None]) -> bool:
    if moment is None:
        return False
    start, end = bounds
    return (start is None or moment >= start) and (end is None or moment < end)


def days(seconds: float) -> float:
    return seconds / 86400


# -- stored deal records (missing fields read as ``Deal.from_record`` reads them) -------------

moment = datetime.fromisoformat
"""A stored time (ISO 8601 with its offset) as an aware datetime."""


def local_month(stored: str) -> str:
    """The month (``YYYY-MM``) of a stored time where the reader is: a time is stored
    with the offset of whoever wrote it, and a team's members (or its cron machine) may
    be in other zones. Offsets are at most 26 hours apart, so a time written on days 3
    to 26 of a month is in that month everywhere; only the others are converted."""
    if "03" <= stored[8:10] <= "26":
        return stored[:7]
    local = moment(stored).astimezone()
    return f"{local.year:04d}-{local.month:02d}"


def local_day(stored: str) -> date:
    """The day of a stored time where the reader is (see :func:`local_month`)."""
    return moment(stored).astimezone().date()


def local_month_starts(first: date, last: date) -> list[tuple[date, datetime]]:
    """Each month from the one of ``first`` to the one after ``last``, with the local
    midnight it starts at."""
    months = []
    month = date(first.year, first.month, 1)
    end = _next_month(date(last.year, last.month, 1))
    while month <= end:
        months.append((month, start_of_day(month)))
        month = _next_month(month)
    return months


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def status_of(record: Record) -> str:
    """``open``, ``won`` or ``lost``."""
    value: str = record.get("status", "open")
    return value


def value_of(record: Record) -> Decimal:
    """The deal's value, exact (the Decimal ``Deal.from_record`` would hold)."""
    raw = record.get("value", 0)
    # Decimal(int) is Decimal(str(int)), without the string.
    return Decimal(raw) if type(raw) is int else money_from_json(raw)


def weighted_of(record: Record, stage: Stage | None) -> Decimal:
    """``weighted_value`` of the deal: value x probability / 100, to the cent."""
    return (value_of(record) * record_probability(record, stage) / 100).quantize(CENT)


def main_first(codes: Iterable[str], main: str) -> list[str]:
    """The currencies in the order a report draws one chart of each: the main one (the
    config's) first, then the others as a table's cell lists them (the alphabet's)."""
    found = set(codes)
    return [*([main] if main in found else []), *sorted(found - {main})]


def currency_of(record: Record) -> str:
    code: str = record.get("currency", "THB")
    return code


def owned_by(records: Iterable[Record], owner: str | None) -> Iterable[Record]:
    """The records of one owner's deals (names compared as names are: NFC, case
    ignored), or all."""
    if owner is None:
        return records
    wanted = parse.fold(owner)
    return (record for record in records if parse.fold(record.get("owner", "")) == wanted)


def open_only(records: Iterable[Record]) -> list[Record]:
    """The records of the open deals."""
    return [record for record in records if status_of(record) == "open"]
