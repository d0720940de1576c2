"""Revenue forecast by month: the open pipeline by expected close, beside what was won.

Rows, in time order: the last N months (what was won in each), deals past their
expected close ("past due"), this month and the next N-1 (open deals expected to
close then, and what was won so far this month), deals expected after that
("later") and deals without an expected close ("no date").

*Expected* = won value of the month + weighted value of the open deals expected in
it; each figure is per currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from salespipe.core.model import Record, Stage
from salespipe.core.tally import (
    Totals,
    add_money,
    currency_of,
    moment,
    status_of,
    totals_json,
    value_of,
    weighted_of,
)

RowKind = Literal["month", "past_due", "later", "undated"]
PAST_DUE, LATER, UNDATED = "past due", "later", "no date"


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class ForecastRow:
    period: str
    kind: RowKind
    count: int = 0
    value: Totals = field(default_factory=dict)
    weighted_value: Totals = field(default_factory=dict)
    won_count: int = 0
    won_value: Totals = field(default_factory=dict)

    @property
    def expected(self) -> Totals:
        totals = dict(self.won_value)
        for currency, amount in self.weighted_value.items():
            add_money(totals, currency, amount)
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "kind": self.kind,
            "count": self.count,
            "value": totals_json(self.value),
            "weighted_value": totals_json(self.weighted_value),
            "won_count": self.won_count,
            "won_value": totals_json(self.won_value),
            "expected": totals_json(self.expected),
        }


@dataclass
class Forecast:
    as_of: date
    months: int
    rows: list[ForecastRow]

    def currencies(self) -> list[str]:
        return sorted({c for row in self.rows for c in (*row.value, *row.won_value)})

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "months": self.months,
            "rows": [row.to_dict() for row in self.rows],
        }


def forecast(
    records: Iterable[Record], stages: Sequence[Stage], *, months: int, now: datetime
) -> Forecast:
    """The forecast from the stored records of every deal (see :mod:`salespipe.core.tally`)."""
    today = now.date()
    this_month = _month_start(today)
    history = [_add_months(this_month, -n) for n in range(months, 0, -1)]
    ahead = [_add_months(this_month, n) for n in range(months)]
    by_month = {m: ForecastRow(m.strftime("%Y-%m"), "month") for m in (*history, *ahead)}
    past_due = ForecastRow(PAST_DUE, "past_due")
    later = ForecastRow(LATER, "later")
    undated = ForecastRow(UNDATED, "undated")
    horizon = _add_months(this_month, months)
    by_key = {s.key: s for s in stages}

    def expected_in(close: str | None) -> ForecastRow:
        day = date.fromisoformat(close) if close else None
        if day is None:
            return undated
        if day < today:
            return past_due
        if day >= horizon:
            return later
        return by_month[_month_start(day)]

    for record in records:
        outcome = status_of(record)
        if outcome == "open":
            row = expected_in(record.get("expected_close"))
            code = currency_of(record)
            row.count += 1
            add_money(row.value, code, value_of(record))
            add_money(row.weighted_value, code, weighted_of(record, by_key.get(record["stage"])))
        elif outcome == "won" and record.get("closed_at"):
            won_in = by_month.get(_month_start(moment(record["closed_at"]).date()))
            if won_in is not None:
                won_in.won_count += 1
                add_money(won_in.won_value, currency_of(record), value_of(record))
    rows = [
        *(by_month[m] for m in history),
        past_due,
        *(by_month[m] for m in ahead),
        later,
        undated,
    ]
    return Forecast(today, months, rows)
