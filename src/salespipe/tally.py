"""The arithmetic every report shares: money per currency, rates, periods, medians.

Money of different currencies is never added together: a total is a mapping from
currency code to amount.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from salespipe import fmt, parse
from salespipe.errors import InvalidValue
from salespipe.i18n import N_, _
from salespipe.model import Deal, money_to_json

Totals = dict[str, Decimal]
ZERO = Decimal(0)


def add_money(totals: Totals, currency: str, amount: Decimal) -> None:
    totals[currency] = totals.get(currency, ZERO) + amount


def totals_json(totals: Totals) -> dict[str, int | float]:
    """Per-currency money as JSON numbers, currencies in alphabetical order."""
    return {currency: money_to_json(totals[currency]) for currency in sorted(totals)}


def rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    """``part / whole`` as a fraction 0–1, or None when there is nothing to divide."""
    return float(part / whole) if whole else None


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def value_rates(won: Totals, lost: Totals) -> dict[str, float | None]:
    """Per currency: won value / (won value + lost value)."""
    return {
        currency: rate(won.get(currency, ZERO), won.get(currency, ZERO) + lost.get(currency, ZERO))
        for currency in sorted({*won, *lost})
    }


def median_and_mean(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.median(values), statistics.fmean(values)


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

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidValue(
                _("--since {since} is after --until {until}; swap them.").format(
                    since=fmt.day(self.since), until=fmt.day(self.until)
                )
            )

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> Period:
        return cls(
            parse.day(since, what=N_("--since date")) if since is not None else None,
            parse.day(until, what=N_("--until date")) if until is not None else None,
        )

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as [start, end) instants, for fast comparisons."""
        start = start_of_day(self.since) if self.since else None
        end = start_of_day(self.until + timedelta(days=1)) if self.until else None
        return start, end

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


def owned_by(deals: Iterable[Deal], owner: str | None) -> list[Deal]:
    """The deals of one owner (compared as names are: NFC, case ignored), or all."""
    if owner is None:
        return list(deals)
    wanted = parse.fold(owner)
    return [deal for deal in deals if parse.fold(deal.owner) == wanted]


def days(seconds: float) -> float:
    return seconds / 86400
