"""Revenue forecast by month: the open pipeline by expected close, beside what was won.

Rows, in time order: the last N months (what was won in each), deals past their
expected close ("past due"), this month and the next N-1 (open deals expected to
close then, and what was won so far this month), deals expected after that
("later") and deals without an expected close ("no date").

Two methods weigh the open deals (docs/forecasting.md):

- ``stage``: each deal's probability (its own, else its stage's) in the month of its
  expected close.
- ``history``: the probability learned for its stage (:mod:`.calibrate`); a deal
  with an expected close still ahead stays in that month, one past due or without a
  date is spread over the months by how long deals in its stage took to be won,
  given how long it has already been there.

*Expected* = won value of the month + weighted value of the open deals placed in it;
every row also has the P10/P50/P90 of its won value (:mod:`.ranges`). Each figure is
per currency.

Beside the rows, the months ahead together (:class:`AheadTotal`): their Expected is the
sum of theirs, but their range is worked out anew, from each open deal's chance to be
won within any of them (percentiles do not add).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from salespipe.core.model import Record, Stage, record_probability
from salespipe.core.tally import (
    CENT,
    Totals,
    add_money,
    currency_of,
    main_first,
    moment,
    totals_json,
    value_of,
    weighted_of,
)
from salespipe.reports.calibrate import Calibration, StageOdds, counts_of
from salespipe.reports.ranges import Chance, percentiles
from salespipe.reports.scope import Placed, with_placed
from salespipe.storage.history import Asks

if TYPE_CHECKING:
    from salespipe.reports.scope import Scope
    from salespipe.storage.history import Totals as HistoryTotals

RowKind = Literal["month", "past_due", "later", "undated", "ahead"]
Method = Literal["stage", "history"]
METHODS: tuple[Method, ...] = ("stage", "history")
PAST_DUE, LATER, UNDATED = "past due", "later", "no date"
HUNDRED = Decimal(100)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
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
    chances: dict[str, list[Chance]] = field(default_factory=dict, repr=False)
    p10: Totals = field(default_factory=dict)
    p50: Totals = field(default_factory=dict)
    p90: Totals = field(default_factory=dict)

    @property
    def expected(self) -> Totals:
        totals = dict(self.won_value)
        for currency, amount in self.weighted_value.items():
            add_money(totals, currency, amount)
        return totals

    def place(
        self, code: str, value: Decimal, chance: float, weighted: Decimal | None = None
    ) -> None:
        """An open deal of ``value`` in currency ``code`` expected in this row with
        ``chance`` (0-1); its weighted value is ``weighted`` when given (the stage
        method's, exact), else value x chance."""
        if chance <= 0:
            return
        if weighted is None:
            weighted = (value * Decimal(chance)).quantize(CENT)
        add_money(self.weighted_value, code, weighted)
        self.chances.setdefault(code, []).append((int(value * 100), chance))

    def settle(self) -> None:
        """Work out the range of the row's won value."""
        for code in sorted({*self.won_value, *self.chances}):
            won = int(self.won_value.get(code, Decimal(0)) * 100)
            spread = percentiles(self.chances.get(code, []), seed=f"{self.period}:{code}")
            self.p10[code] = Decimal(won + spread.p10) / HUNDRED
            self.p50[code] = Decimal(won + spread.p50) / HUNDRED
            self.p90[code] = Decimal(won + spread.p90) / HUNDRED
        self.chances = {}

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
            "p10": totals_json(self.p10),
            "p50": totals_json(self.p50),
            "p90": totals_json(self.p90),
        }


@dataclass
class AheadTotal(ForecastRow):
    """This month and the next ones shown, together: the figure a quarter is committed
    by. Its counts and sums are those of the month rows; its range is of their sum, from
    each open deal's chance to be won in any of the months (the sum of the chances it
    was placed with in them: a deal is won in one month at most, so they add). Its
    ``period`` (the seed of its range) is its first month alone when it covers one, so
    it then has that month's range."""

    first: str = ""
    last: str = ""
    deals: dict[int, tuple[str, int, float]] = field(default_factory=dict, repr=False)

    def join(self, deal: int, code: str, value: Decimal, chance: float) -> None:
        """Deal number ``deal``, of ``value`` in ``code``, placed in one of the months
        with ``chance``."""
        if chance <= 0:
            return
        _code, cents, before = self.deals.get(deal, (code, int(value * 100), 0.0))
        self.deals[deal] = (code, cents, min(1.0, before + chance))

    def add(self, row: ForecastRow) -> None:
        """Count one month row's deals and sums in."""
        self.count += row.count
        self.won_count += row.won_count
        for mine, theirs in (
            (self.value, row.value),
            (self.weighted_value, row.weighted_value),
            (self.won_value, row.won_value),
        ):
            for code, amount in theirs.items():
                add_money(mine, code, amount)

    def settle(self) -> None:
        self.chances = {}
        for code, cents, chance in self.deals.values():
            self.chances.setdefault(code, []).append((cents, chance))
        self.deals = {}
        super().settle()

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        del data["period"], data["kind"]
        return {"first": self.first, "last": self.last, **data}


def ahead_total(months: Sequence[date]) -> AheadTotal:
    """The (empty) total of the month rows starting on ``months``."""
    first, last = (m.strftime("%Y-%m") for m in (months[0], months[-1]))
    period = first if first == last else f"{first}..{last}"
    return AheadTotal(period, "ahead", first=first, last=last)


@dataclass
class Forecast:
    as_of: date
    months: int
    rows: list[ForecastRow]
    method: Method = "stage"
    calibration: Calibration | None = None
    total: AheadTotal | None = None
    # Open deals weighed as deals of a stage only because the import put them there
    # (--as-of a day before they closed).
    placed: list[Placed] = field(default_factory=list)
    currency: str = ""  # the config's: its chart is drawn first

    def currencies(self) -> list[str]:
        """Its currencies, in the order of its charts: the main one first."""
        return main_first(
            (c for row in self.rows for c in (*row.value, *row.won_value)), self.currency
        )

    def ahead(self) -> list[ForecastRow]:
        """This month and the months after it."""
        months = [row for row in self.rows if row.kind == "month"]
        return months[self.months :]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "months": self.months,
            "method": self.method,
            "rows": [row.to_dict() for row in self.rows],
        }
        if self.total is not None:
            data["ahead"] = self.total.to_dict()
        if self.calibration is not None:
            # Unrounded: the weighted values are worked out with them (the table rounds).
            data["probabilities"] = {s.key: s.win_probability for s in self.calibration.stages}
        return with_placed(data, self.placed)


def timing_shares(days_to_won: Sequence[float], age: float, edges: Sequence[float]) -> list[float]:
    """How a deal's win is spread over periods, by how long the won deals of its stage
    took: of those that took longer than the ``age`` the deal already has, the share
    won within each span ``edges[i]`` to ``edges[i + 1]`` days from now, then the share
    after the last edge. ``days_to_won`` is in ascending order; ``edges`` starts at 0.
    When no won deal took that long, history has nothing to spread by, and the whole
    chance falls in the first period."""
    spans = len(edges) - 1
    first = bisect.bisect_right(days_to_won, age)
    alive = len(days_to_won) - first
    if alive == 0:
        return [1.0] + [0.0] * spans
    shares, previous = [], first
    for edge in edges[1:]:
        upto = bisect.bisect_left(days_to_won, age + edge, lo=previous)
        shares.append((upto - previous) / alive)
        previous = upto
    shares.append((len(days_to_won) - previous) / alive)
    return shares


def win_chance(record: Record, stage: Stage | None, odds: StageOdds | None) -> float:
    """An open deal's chance to be won: by ``odds`` when given (the history method),
    else its own or its stage's probability."""
    if odds is not None:
        return odds.win_probability
    return record_probability(record, stage) / 100


def age_in_stage(record: Record, now: datetime) -> float:
    """Days since the deal entered its current stage."""
    return max(0.0, (now - moment(record["stage_entered_at"])).total_seconds() / 86400)


def _months(now: datetime, months: int) -> tuple[list[date], list[date]]:
    """The first days of the last ``months`` months, and of this one and the next
    ``months`` - 1."""
    this_month = month_start(now.date())
    history = [add_months(this_month, -n) for n in range(months, 0, -1)]
    return history, [add_months(this_month, n) for n in range(months)]


def forecast_asks(now: datetime, months: int, method: Method) -> Asks:
    """What a forecast asks of the deals: those won in the months it shows, the open
    ones and, for the history method, what :mod:`.calibrate` learns from."""
    history, ahead = _months(now, months)
    learns = method == "history"
    return Asks(
        now,
        won_months=frozenset(m.strftime("%Y-%m") for m in (*history, *ahead)),
        open_deals=True,
        walks=learns,
        days_to_won=learns,
    )


def forecast(
    records: Iterable[Record],
    stages: Sequence[Stage],
    *,
    months: int,
    now: datetime,
    method: Method = "stage",
) -> Forecast:
    """The forecast from the stored records of every deal (see :mod:`salespipe.core.tally`),
    in one pass over them; the history method learns its probabilities from the same
    records."""
    from salespipe.storage.history import fold_records

    totals = fold_records(records, stages, forecast_asks(now, months, method))
    return forecast_of(totals, stages, months=months, now=now, method=method)


def forecast_in(scope: Scope, *, months: int, method: Method = "stage") -> Forecast:
    """The forecast of a report's deals: its totals asked of the database when it adds
    them up, else from one pass over the records."""
    totals = scope.totals(forecast_asks(scope.now, months, method))
    found = forecast_of(totals, scope.stages, months=months, now=scope.now, method=method)
    found.placed = scope.placed()
    found.currency = scope.currency
    return found


def forecast_of(
    totals: HistoryTotals,
    stages: Sequence[Stage],
    *,
    months: int,
    now: datetime,
    method: Method = "stage",
) -> Forecast:
    """The forecast from the totals :func:`forecast_asks` asks for."""
    today = now.date()
    history, ahead = _months(now, months)
    by_month = {m: ForecastRow(m.strftime("%Y-%m"), "month") for m in (*history, *ahead)}
    past_due = ForecastRow(PAST_DUE, "past_due")
    later = ForecastRow(LATER, "later")
    undated = ForecastRow(UNDATED, "undated")
    horizon = add_months(month_start(today), months)
    by_key = {s.key: s for s in stages}
    total = ahead_total(ahead)
    ahead_periods = {m.strftime("%Y-%m") for m in ahead}

    def place(
        row: ForecastRow,
        deal: int,
        code: str,
        value: Decimal,
        chance: float,
        weighted: Decimal | None = None,
    ) -> None:
        row.place(code, value, chance, weighted)
        if row.kind == "month" and row.period in ahead_periods:
            total.join(deal, code, value, chance)

    def expected_in(close: str | None) -> ForecastRow:
        day = date.fromisoformat(close) if close else None
        if day is None:
            return undated
        if day < today:
            return past_due
        if day >= horizon:
            return later
        return by_month[month_start(day)]

    by_period = {row.period: row for row in by_month.values()}
    for won in totals.won:
        won_in = by_period.get(won.month)
        if won_in is not None:
            won_in.won_count += won.deals
            add_money(won_in.won_value, won.currency, won.value)

    calibration = counts_of(totals).result(stages, today) if method == "history" else None
    learned = calibration.by_key() if calibration is not None else {}
    spread_rows = [by_month[m] for m in ahead] + [later]
    edges = [0.0] + [(m - today).days for m in (*ahead[1:], horizon)]
    for deal, record in enumerate(totals.pipeline):
        row = expected_in(record.get("expected_close"))
        row.count += 1
        code, value = currency_of(record), value_of(record)
        add_money(row.value, code, value)
        stage = by_key.get(record["stage"])
        if method == "stage":
            chance = win_chance(record, stage, None)
            place(row, deal, code, value, chance, weighted_of(record, stage))
            continue
        odds = learned.get(record["stage"])
        chance = win_chance(record, stage, odds)
        if row.kind in ("past_due", "undated"):
            days = odds.days_to_won if odds is not None else ()
            shares = timing_shares(days, age_in_stage(record, now), edges)
            for target, share in zip(spread_rows, shares, strict=True):
                place(target, deal, code, value, chance * share)
        else:
            place(row, deal, code, value, chance)

    rows = [
        *(by_month[m] for m in history),
        past_due,
        *(by_month[m] for m in ahead),
        later,
        undated,
    ]
    for month in ahead:
        total.add(by_month[month])
    for row in (*rows, total):
        row.settle()
    return Forecast(today, months, rows, method, calibration, total)
