"""What a person sees of the reports: results turned into render blocks and charts.

Charts come back as text (from :mod:`salespipe.charts`, imported only when a chart
is drawn); tables and fields as :mod:`salespipe.render` blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from salespipe import fmt
from salespipe.alerts import CheckResult, StaleList
from salespipe.durations import Durations
from salespipe.forecast import Forecast, ForecastRow
from salespipe.outcomes import Funnel, WinGroup, WinRate
from salespipe.render import Block, Column, Fields, Table, Text
from salespipe.reports import PipelineChart, StageTotals, Summary
from salespipe.tally import Period, Totals

BY_TITLES = {"count": "number of open deals", "value": "value", "weighted": "weighted value"}


def money(totals: Totals) -> str:
    return fmt.money_by_currency(totals) if totals else "—"


def percent(value: float | None) -> str:
    return fmt.percent(value) if value is not None else "—"


def value_percents(rates: dict[str, float | None]) -> str:
    if not rates:
        return "—"
    if len(rates) == 1:
        return percent(next(iter(rates.values())))
    return ", ".join(f"{percent(r)} ({c})" for c, r in rates.items())


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _whole(amount: Decimal) -> str:
    return f"{amount:,.0f}"


def period_text(period: Period) -> str:
    if period.since and period.until:
        return f"{period.since} to {period.until}"
    if period.since:
        return f"since {period.since}"
    if period.until:
        return f"until {period.until}"
    return "all history"


# -- chart -------------------------------------------------------------------------------------
def pipeline_charts(result: PipelineChart, *, width: int, color: bool) -> list[str]:
    """One chart for counts; for value or weighted value, one chart per currency."""
    from salespipe.charts import Bar, bar_chart

    heading = f"Open deals by stage: {BY_TITLES[result.by]}"
    when = f"as of {result.as_of}"
    count = sum(row.count for row in result.stages)
    if result.by == "count":
        bars = [Bar(row.name, row.count, str(row.count)) for row in result.stages]
        footer = f"{count} open deal{'' if count == 1 else 's'}"
        return [
            bar_chart(bars, width=width, title=f"{heading} ({when})", footer=footer, color=color)
        ]
    attribute = "value" if result.by == "value" else "weighted_value"
    charts = []
    for currency in result.currencies() or [""]:
        amounts = [getattr(row, attribute).get(currency, Decimal(0)) for row in result.stages]
        bars = [
            Bar(row.name, float(a), _whole(a))
            for row, a in zip(result.stages, amounts, strict=True)
        ]
        unit = f", {currency}" if currency else ""
        footer = f"Total {_whole(sum(amounts, Decimal(0)))} {currency}".rstrip()
        charts.append(
            bar_chart(
                bars, width=width, title=f"{heading}{unit} ({when})", footer=footer, color=color
            )
        )
    return charts


# -- report ------------------------------------------------------------------------------------
def open_table(rows: Sequence[StageTotals], title: str | None = None) -> Table:
    table = Table(
        columns=[
            Column("Stage", max_width=24),
            Column("Deals", "right"),
            Column("Value", "right"),
            Column("Weighted", "right"),
        ],
        title=title,
    )
    for row in rows:
        table.rows.append([row.name, str(row.count), money(row.value), money(row.weighted_value)])
    return table


def summary_blocks(result: Summary) -> list[Block]:
    table = open_table(result.open, title=f"Open pipeline (as of {result.as_of})")
    table.rows.append(
        [
            "Total",
            str(result.open_count),
            money(result.open_value),
            money(result.open_weighted_value),
        ]
    )
    cycle = result.average_sales_cycle_days
    bottleneck = result.bottleneck
    pairs = [
        ("Won", f"{result.won.count} ({money(result.won.value)})"),
        ("Lost", f"{result.lost.count} ({money(result.lost.value)})"),
        (
            "Win rate",
            f"{percent(result.win_rate)} by count, "
            f"{value_percents(result.value_win_rate)} by value",
        ),
        ("Average deal size", money(result.average_deal_size)),
        ("Average sales cycle", "—" if cycle is None else f"{days(cycle)} days"),
        (
            "Bottleneck",
            f"{bottleneck.name} (median {days(bottleneck.median_days)} days, "
            f"target {bottleneck.target_days or '—'})"
            if bottleneck
            else "none",
        ),
        ("Stale deals", str(result.stale)),
    ]
    return [table, Fields(pairs, title=f"Results ({period_text(result.period)})")]


# -- forecast ----------------------------------------------------------------------------------
def forecast_table(result: Forecast) -> Table:
    table = Table(
        columns=[
            Column("Period"),
            Column("Open deals", "right"),
            Column("Value", "right"),
            Column("Weighted", "right"),
            Column("Won", "right"),
            Column("Expected", "right"),
        ],
        title=f"Forecast by expected close month (as of {result.as_of})",
        footer="Expected = won + weighted value of the open deals expected to close then.",
    )
    for row in result.rows:
        table.rows.append(
            [
                row.period,
                str(row.count) if row.count else "",
                money(row.value) if row.count else "",
                money(row.weighted_value) if row.count else "",
                money(row.won_value) if row.won_count else "",
                money(row.expected),
            ]
        )
    return table


def forecast_charts(result: Forecast, *, width: int, color: bool) -> list[str]:
    from salespipe.charts import Bar, bar_chart

    charts = []
    for currency in result.currencies() or [""]:

        def amount(row: ForecastRow, currency: str = currency) -> Decimal:
            return row.expected.get(currency, Decimal(0))

        bars = [Bar(row.period, float(amount(row)), _whole(amount(row))) for row in result.rows]
        unit = f", {currency}" if currency else ""
        title = f"Expected by month: won + weighted open{unit}"
        charts.append(bar_chart(bars, width=width, title=title, color=color))
    return charts


# -- funnel ------------------------------------------------------------------------------------
def funnel_blocks(result: Funnel) -> list[Block]:
    table = Table(
        columns=[
            Column("Stage", max_width=24),
            Column("Reached", "right"),
            Column("Of created", "right"),
            Column("To next", "right"),
            Column("Lost here", "right"),
        ],
        title=f"Funnel of the deals created ({period_text(result.period)})",
        footer=(
            f"{result.created} created: {result.won} won, {result.lost} lost, "
            f"{result.open} open; win rate {percent(result.win_rate)}. "
            '"To next" of the last stage is the share won.'
        ),
    )
    for step in result.steps:
        table.rows.append(
            [
                step.name,
                str(step.reached),
                percent(step.reached_rate),
                percent(step.conversion),
                str(step.lost),
            ]
        )
    return [table]


# -- durations ---------------------------------------------------------------------------------
def durations_blocks(result: Durations) -> list[Block]:
    table = Table(
        columns=[
            Column("Stage", max_width=24),
            Column("Stays", "right"),
            Column("Ongoing", "right"),
            Column("Median", "right"),
            Column("Mean", "right"),
            Column("Target", "right"),
            Column("Over", "right"),
            Column(""),
        ],
        title=f"Days in each stage (finished and ongoing stays, as of {result.as_of})",
    )
    key = result.bottleneck.key if result.bottleneck else None
    for row in result.stages:
        table.rows.append(
            [
                row.name,
                str(row.stays),
                str(row.ongoing),
                days(row.median_days),
                days(row.mean_days),
                str(row.target_days or "—"),
                str(row.over_target),
                "◀ bottleneck" if row.key == key else "",
            ]
        )
    table.footer = (
        f"Bottleneck: {result.bottleneck.name}, the median most over its target."
        if result.bottleneck
        else "No bottleneck: every stage's median is within its target."
    )
    return [table]


# -- win rate ----------------------------------------------------------------------------------
def _win_row(group: WinGroup, label: str) -> list[str]:
    return [
        label,
        str(group.won),
        str(group.lost),
        percent(group.rate),
        value_percents(group.value_rate),
        money(group.won_value),
    ]


def winrate_blocks(result: WinRate) -> list[Block]:
    heading = {None: "", "owner": "Owner", "month": "Month", "stage": "Closed in stage"}
    table = Table(
        columns=[
            Column(heading[result.by] or "Deals", max_width=24),
            Column("Won", "right"),
            Column("Lost", "right"),
            Column("Rate", "right"),
            Column("By value", "right"),
            Column("Won value", "right"),
        ],
        title=f"Win rate of the deals closed ({period_text(result.period)})",
        footer="Rate = won / (won + lost); by value, per currency.",
    )
    for group in result.groups:
        table.rows.append(_win_row(group, group.name or group.group or "—"))
    table.rows.append(_win_row(result.total, "All"))
    return [table]


# -- stale and check ---------------------------------------------------------------------------
def stale_blocks(result: StaleList) -> list[Block]:
    table = Table(
        columns=[
            Column("ID", "right"),
            Column("Title", max_width=24),
            Column("Stage", max_width=16),
            Column("Days", "right"),
            Column("Over", "right"),
            Column("Next action", max_width=24),
        ],
        title=f"Deals over their stage's target days (as of {result.as_of.date()})",
    )
    for item in result.deals:
        action = item.deal.next_action
        table.rows.append(
            [
                str(item.deal.id),
                item.deal.title,
                item.stage.name,
                str(item.days_in_stage),
                str(item.days_over),
                f"{fmt.day(action.due)} {action.text}" if action else "—",
            ]
        )
    count = len(result.deals)
    table.footer = f"{count} stale deal{'' if count == 1 else 's'}."
    if not count:
        return [Text("No stale deals: every open deal is within its stage's target days.")]
    return [table]


def check_blocks(result: CheckResult) -> list[Block]:
    if result.clean:
        checked = f"{result.checked} open deal{'' if result.checked == 1 else 's'}"
        return [Text(f"Nothing to act on ({checked} checked).")]
    table = Table(columns=[Column("Kind"), Column("What")])
    for alert in result.alerts:
        table.rows.append([alert.kind.replace("_", " "), alert.message])
    count = len(result.alerts)
    table.footer = f"{count} thing{'' if count == 1 else 's'} to act on."
    return [table]
