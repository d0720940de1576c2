"""Reports on the pipeline: pure functions from deals and stages to result objects.

Nothing here reads the store or prints. Each result has ``to_dict()`` (the JSON a
script gets); ``report_views`` turns results into what a person sees. The history
reports live beside this module: ``durations``, ``outcomes`` (funnel, win rate),
``forecast`` and ``alerts`` (stale deals, check).

Definitions (the README repeats them):

- Weighted value = value × probability / 100, the probability being the deal's own
  if set, else its stage's; a won deal counts 100 %, a lost one 0 %.
- Money of different currencies is never added together: totals are per currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from salespipe.core.model import Record, Stage
from salespipe.core.tally import (
    CENT,
    Period,
    Totals,
    add_money,
    currency_of,
    main_first,
    rate,
    rounded,
    totals_json,
    value_of,
    value_rates,
    weighted_of,
)
from salespipe.reports.scope import Placed, with_placed

if TYPE_CHECKING:
    from salespipe.reports.durations import StageDurations
    from salespipe.reports.scope import OpenDeals, Scope
    from salespipe.storage.history import Asks
    from salespipe.storage.history import Totals as HistoryTotals
    from salespipe.storage.port import ReadView
    from salespipe.storage.queries import StageSum

ChartBy = Literal["count", "value", "weighted"]
CHART_BY: tuple[ChartBy, ...] = ("count", "value", "weighted")


@dataclass
class StageTotals:
    """The open deals in one stage: how many, their value and weighted value per currency."""

    key: str
    name: str
    enabled: bool = True
    count: int = 0
    value: Totals = field(default_factory=dict)
    weighted_value: Totals = field(default_factory=dict)

    def add(self, record: Record, stage: Stage) -> None:
        """One open deal, from its stored record."""
        code = currency_of(record)
        self.count += 1
        add_money(self.value, code, value_of(record))
        add_money(self.weighted_value, code, weighted_of(record, stage))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "count": self.count,
            "value": totals_json(self.value),
            "weighted_value": totals_json(self.weighted_value),
        }


def stage_rows(
    sums: Iterable[StageSum], stages: Sequence[Stage], *, all_stages: bool = False
) -> list[StageTotals]:
    """The open deals' totals per stage and currency as a row per stage, in pipeline
    order.

    Disabled stages are left out unless ``all_stages`` (or, defensively, when open deals
    still sit in them); so are deals in a stage not among ``stages``.
    """
    ordered = sorted(stages, key=lambda s: s.position)
    rows = {s.key: StageTotals(s.key, s.name, s.enabled) for s in ordered}
    for part in sums:
        row = rows.get(part.stage)
        if row is not None:
            row.count += part.deals
            add_money(row.value, part.currency, part.value)
            add_money(row.weighted_value, part.currency, part.weighted)
    return [row for row in rows.values() if row.enabled or all_stages or row.count]


def _sum_rows(rows: Iterable[StageTotals], attribute: str) -> Totals:
    totals: Totals = {}
    for row in rows:
        for currency, amount in getattr(row, attribute).items():
            add_money(totals, currency, amount)
    return totals


@dataclass
class PipelineChart:
    """The data behind ``chart``: open deals per stage, as of a day."""

    by: ChartBy
    as_of: date
    stages: list[StageTotals]
    # Open deals counted in a stage only because the import put them there (--as-of).
    placed: list[Placed] = field(default_factory=list)
    currency: str = ""  # the config's: its chart is drawn first

    def currencies(self) -> list[str]:
        """Its currencies, in the order of its charts: the main one first."""
        return main_first((c for row in self.stages for c in row.value), self.currency)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "by": self.by,
            "as_of": self.as_of.isoformat(),
            "stages": [row.to_dict() for row in self.stages],
        }
        return with_placed(data, self.placed)


def chart(
    deals: OpenDeals,
    stages: Sequence[Stage],
    *,
    by: ChartBy,
    as_of: date,
    all_stages: bool = False,
    placed: Sequence[Placed] = (),
    currency: str = "",
) -> PipelineChart:
    """The open deals per stage; ``placed``: those of them in a stage only because the
    import put them there (:meth:`~salespipe.reports.scope.Scope.placed`); ``currency``:
    the config's, whose chart is drawn first."""
    rows = stage_rows(deals.stage_totals(), stages, all_stages=all_stages)
    return PipelineChart(by, as_of, rows, list(placed), currency)


@dataclass
class Outcome:
    """Deals closed one way (won or lost): how many and their value per currency."""

    count: int = 0
    value: Totals = field(default_factory=dict)
    count_by_currency: dict[str, int] = field(default_factory=dict)

    def add(self, code: str, value: Decimal, deals: int = 1) -> None:
        """Deals of this currency, and their value."""
        self.count += deals
        add_money(self.value, code, value)
        self.count_by_currency[code] = self.count_by_currency.get(code, 0) + deals

    def average(self) -> Totals:
        """The average deal value, per currency."""
        return {
            currency: (amount / self.count_by_currency[currency]).quantize(CENT)
            for currency, amount in self.value.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "value": totals_json(self.value)}


@dataclass
class Summary:
    """The one-screen ``report``."""

    as_of: date
    period: Period
    open: list[StageTotals]
    won: Outcome
    lost: Outcome
    average_sales_cycle_days: float | None
    bottleneck: StageDurations | None
    stale: int
    # Open deals counted in a stage only because the import put them there (--as-of).
    placed: list[Placed] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(row.count for row in self.open)

    @property
    def open_value(self) -> Totals:
        return _sum_rows(self.open, "value")

    @property
    def open_weighted_value(self) -> Totals:
        return _sum_rows(self.open, "weighted_value")

    @property
    def win_rate(self) -> float | None:
        return rate(self.won.count, self.won.count + self.lost.count)

    @property
    def value_win_rate(self) -> dict[str, float | None]:
        return value_rates(self.won.value, self.lost.value)

    @property
    def average_deal_size(self) -> Totals:
        """Average value of the deals won in the period, per currency."""
        return self.won.average()

    def to_dict(self) -> dict[str, Any]:
        bottleneck = self.bottleneck
        data = {
            "as_of": self.as_of.isoformat(),
            **self.period.to_dict(),
            "open": {
                "count": self.open_count,
                "value": totals_json(self.open_value),
                "weighted_value": totals_json(self.open_weighted_value),
                "stages": [row.to_dict() for row in self.open],
            },
            "won": self.won.to_dict(),
            "lost": self.lost.to_dict(),
            "win_rate": self.win_rate,
            "value_win_rate": self.value_win_rate,
            "average_deal_size": totals_json(self.average_deal_size),
            "average_sales_cycle_days": rounded(self.average_sales_cycle_days),
            "bottleneck": None
            if bottleneck is None
            else {
                "key": bottleneck.key,
                "name": bottleneck.name,
                "median_days": rounded(bottleneck.median_days),
                "target_days": bottleneck.target_days,
            },
            "stale": self.stale,
        }
        return with_placed(data, self.placed)


def summary_asks(now: datetime, period: Period) -> Asks:
    """What ``report`` asks of the deals: those closed in ``period``, and every stay."""
    from salespipe.storage.history import Asks

    return Asks(now, closed=period, cycles=True, stays=True)


def summary(
    records: Iterable[Record], stages: Sequence[Stage], *, period: Period, now: datetime
) -> Summary:
    """The open pipeline now, and what was won and lost in ``period``, in one pass over
    the stored records of every deal (see :mod:`salespipe.core.tally`)."""
    from salespipe.reports.scope import OpenDeals
    from salespipe.storage.history import fold_records

    totals = fold_records(records, stages, summary_asks(now, period), keep_open=True)
    deals = OpenDeals.of(totals.open_records or (), stages)
    return summary_of(totals, deals, stages, period=period, now=now)


def overview(view: ReadView, now: datetime) -> tuple[PipelineChart, Summary]:
    """What the demo shows of a pipeline: its chart by count, and its report of all
    time."""
    from salespipe.reports.scope import OpenDeals
    from salespipe.storage.queries import OpenWhere

    stages = view.stages()
    shown = chart(OpenDeals(view, OpenWhere()), stages, by="count", as_of=now.date())
    return shown, summary(view.all_records(), stages, period=Period(), now=now)


def summary_in(scope: Scope, period: Period) -> Summary:
    """The summary of a report's deals: their totals asked of the database when it adds
    them up (and its open deals asked of it too), else from one pass over the records."""
    from salespipe.reports.scope import OpenDeals

    totals = scope.totals(summary_asks(scope.now, period), keep_open=True)
    deals = (
        scope.open
        if totals.open_records is None
        else OpenDeals.of(totals.open_records, scope.stages)
    )
    found = summary_of(totals, deals, scope.stages, period=period, now=scope.now)
    found.placed = scope.placed()
    return found


def summary_of(
    totals: HistoryTotals,
    deals: OpenDeals,
    stages: Sequence[Stage],
    *,
    period: Period,
    now: datetime,
) -> Summary:
    """The summary from the totals :func:`summary_asks` asks for and the open deals.

    The sales cycle of a won deal runs from its creation to its win.
    """
    # Here, not at the top: `chart`, which uses this module too, needs neither.
    from salespipe.reports.durations import choose_bottleneck, stage_durations

    won, lost = Outcome(), Outcome()
    cycle = timedelta(0)
    for part in totals.closed:
        if part.won:
            won.add(part.currency, part.value, part.deals)
            cycle += part.cycle
        else:
            lost.add(part.currency, part.value, part.deals)
    cycle_days = cycle.total_seconds() / 86400 / won.count if won.count else None
    return Summary(
        as_of=now.date(),
        period=period,
        open=stage_rows(deals.stage_totals(), stages),
        won=won,
        lost=lost,
        average_sales_cycle_days=cycle_days,
        bottleneck=choose_bottleneck(stage_durations(totals.stays, stages)),
        stale=deals.stale(now, 0).matched,  # only how many: no record is read
    )
