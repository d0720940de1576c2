"""What a person sees of the reports: results turned into render blocks and charts.

Charts come back as text (from :mod:`salespipe.present.charts`, imported only when a chart
is drawn); tables and fields as :mod:`salespipe.present.render` blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, cast

from salespipe.core import fmt, i18n
from salespipe.core.i18n import N_, _, ngettext
from salespipe.present.parts import Noted, Part
from salespipe.present.render import Block, Column, Fields, Table, Text, stage_names

if TYPE_CHECKING:  # result types only: a command imports just the report it runs
    from salespipe.core.tally import Period, Totals
    from salespipe.present.parts import Part
    from salespipe.reports.alerts import CheckResult, StaleDeal, StaleList
    from salespipe.reports.durations import Durations
    from salespipe.reports.forecast import AheadTotal, Forecast, ForecastRow
    from salespipe.reports.outcomes import Funnel, WinGroup, WinRate
    from salespipe.reports.scope import Placed
    from salespipe.reports.summary import PipelineChart, StageTotals, Summary

BY_TITLES = {
    "count": N_("number of open deals"),
    "value": N_("value"),
    "weighted": N_("weighted value"),
}
FORECAST_ROWS = {"past_due": N_("past due"), "later": N_("later"), "undated": N_("no date")}
ALERT_KINDS = {
    "stale": N_("stale"),
    "next_action_overdue": N_("next action overdue"),
    "next_action_due_today": N_("next action due today"),
    "past_expected_close": N_("past expected close"),
    "quote_expired": N_("quote expired"),
    "quote_expiring": N_("quote expiring"),
}
NONE = "—"
OVERDUE_MARK = "!"


def money(totals: Totals) -> str:
    """Totals per currency on one line: ``฿1,500.00, USD 20.00``."""
    return fmt.money_by_currency(totals) if totals else NONE


def money_cell(totals: Totals) -> str:
    """Totals per currency for a table cell: one line per currency."""
    return "\n".join(fmt.money(v, c) for c, v in sorted(totals.items())) if totals else NONE


def percent(value: float | None) -> str:
    return fmt.percent(value) if value is not None else NONE


def value_percents(rates: dict[str, float | None], separator: str = ", ") -> str:
    """A rate per currency: ``40%`` for one currency, ``40% (THB), 100% (USD)`` for more."""
    if not rates:
        return NONE
    if len(rates) == 1:
        return percent(next(iter(rates.values())))
    return separator.join(f"{percent(r)} ({c})" for c, r in rates.items())


def period_text(period: Period) -> str:
    text = _days_text(period)
    if period.as_of is None:
        return text
    return _("{period}, as of {date}").format(period=text, date=fmt.long_day(period.as_of))


def _days_text(period: Period) -> str:
    if period.since and period.until:
        return _("{since} to {until}").format(
            since=fmt.day(period.since), until=fmt.day(period.until)
        )
    if period.since:
        return _("since {since}").format(since=fmt.day(period.since))
    if period.until:
        return _("until {until}").format(until=fmt.day(period.until))
    return _("all history")


def _open_deals(count: int) -> str:
    return ngettext("{count} open deal", "{count} open deals", count).format(count=count)


def _placed_stages(placed: Sequence[Placed]) -> str:
    """Each stage with its deals: 'Presented (1) and Approved (1)'."""
    named = [_("{stage} ({count})").format(stage=p.name, count=p.deals) for p in placed]
    if len(named) == 1:
        return named[0]
    return _("{earlier} and {last}").format(earlier=", ".join(named[:-1]), last=named[-1])


def placed_line(placed: Sequence[Placed]) -> str:
    """Which of the deals a view counts in a stage as of a past day are there only
    because the import put them there ("" when none)."""
    if not placed:
        return ""
    count = sum(p.deals for p in placed)
    return ngettext(
        "{count} of these deals was imported closed without the stage it closed from; it "
        "is counted in {stages}, where the import put it.",
        "{count} of these deals were imported closed without the stage they closed from; "
        "they are counted in {stages}, where the import put them.",
        count,
    ).format(count=count, stages=_placed_stages(placed))


def _weighed_placed_line(placed: Sequence[Placed]) -> str:
    """:func:`placed_line` for the forecast, which weighs deals by their stage."""
    if not placed:
        return ""
    count = sum(p.deals for p in placed)
    return ngettext(
        "{count} of these deals was imported closed without the stage it closed from; it "
        "is weighed as a deal of {stages}, where the import put it.",
        "{count} of these deals were imported closed without the stage they closed from; "
        "they are weighed as deals of {stages}, where the import put them.",
        count,
    ).format(count=count, stages=_placed_stages(placed))


def _stale_placed_line(placed: Sequence[Placed]) -> str:
    """:func:`placed_line` for ``check``, whose alerts are not all of stale deals."""
    if not placed:
        return ""
    count = sum(p.deals for p in placed)
    return ngettext(
        "{count} of the stale deals was imported closed without the stage it closed from; "
        "it is stale in {stages}, where the import put it.",
        "{count} of the stale deals were imported closed without the stage they closed "
        "from; they are stale in {stages}, where the import put them.",
        count,
    ).format(count=count, stages=_placed_stages(placed))


def _with_line(footer: str | None, line: str) -> str | None:
    """A table's footer with one more sentence (when there is one)."""
    if not line:
        return footer
    return f"{footer} {line}" if footer else line


# -- chart -------------------------------------------------------------------------------------
def chart_view(result: PipelineChart) -> list[Part]:
    from salespipe.present.parts import Drawing

    drawn = Drawing(lambda width, color: pipeline_charts(result, width=width, color=color))
    line = placed_line(result.placed)
    return [drawn, line] if line else [drawn]


def pipeline_charts(result: PipelineChart, *, width: int, color: bool) -> list[str]:
    """One chart for counts; for value or weighted value, one chart per currency."""
    from salespipe.present.charts import Bar, bar_chart

    measure = _(BY_TITLES[result.by])
    when = fmt.long_day(result.as_of)
    if result.by == "count":
        bars = [Bar(row.name, row.count, str(row.count)) for row in result.stages]
        title = _("Open deals by stage: {measure} (as of {date})").format(
            measure=measure, date=when
        )
        footer = _open_deals(sum(row.count for row in result.stages))
        return [bar_chart(bars, width=width, title=title, footer=footer, color=color)]
    attribute = "value" if result.by == "value" else "weighted_value"
    charts = []
    for currency in result.currencies() or [""]:
        amounts = [getattr(row, attribute).get(currency, Decimal(0)) for row in result.stages]
        bars = [
            Bar(row.name, float(a), fmt.money(a, currency, whole=True))
            for row, a in zip(result.stages, amounts, strict=True)
        ]
        if currency:
            title = _("Open deals by stage: {measure}, {currency} (as of {date})").format(
                measure=measure, currency=fmt.currency_title(currency), date=when
            )
        else:
            title = _("Open deals by stage: {measure} (as of {date})").format(
                measure=measure, date=when
            )
        total = fmt.money(sum(amounts, Decimal(0)), currency)
        footer = _("Total {amount}").format(amount=total)
        charts.append(bar_chart(bars, width=width, title=title, footer=footer, color=color))
    return charts


# -- report ------------------------------------------------------------------------------------
def open_table(rows: Sequence[StageTotals], title: str | None = None) -> Table:
    table = Table(
        columns=[
            Column(_("Stage"), shrink=True),
            Column(_("Deals"), "right"),
            Column(_("Value"), "right"),
            Column(_("Weighted"), "right"),
        ],
        title=title,
    )
    for row in rows:
        table.rows.append(
            [row.name, str(row.count), money_cell(row.value), money_cell(row.weighted_value)]
        )
    return table


def _bottleneck_text(result: Summary) -> str:
    bottleneck = result.bottleneck
    if bottleneck is None:
        return _("none")
    return _("{stage} (median {median} days, target {target})").format(
        stage=bottleneck.name,
        median=fmt.days(bottleneck.median_days),
        target=bottleneck.target_days or NONE,
    )


def summary_blocks(result: Summary) -> list[Block]:
    title = _("Open pipeline (as of {date})").format(date=fmt.long_day(result.as_of))
    table = open_table(result.open, title=title)
    table.rows.append(
        [
            _("Total"),
            str(result.open_count),
            money_cell(result.open_value),
            money_cell(result.open_weighted_value),
        ]
    )
    cycle = result.average_sales_cycle_days
    win_rate = _("{by_count} by count, {by_value} by value").format(
        by_count=percent(result.win_rate), by_value=value_percents(result.value_win_rate)
    )
    pairs = [
        (_("Won"), f"{result.won.count} ({money(result.won.value)})"),
        (_("Lost"), f"{result.lost.count} ({money(result.lost.value)})"),
        (_("Win rate"), win_rate),
        (_("Average deal size"), money(result.average_deal_size)),
        (
            _("Average sales cycle"),
            NONE if cycle is None else _("{days} days").format(days=fmt.days(cycle)),
        ),
        (_("Bottleneck"), _bottleneck_text(result)),
        (_("Stale deals"), str(result.stale)),
    ]
    if result.period.since or result.period.until:
        # Neither is of the period (the bottleneck is of every stay, the stale deals are
        # of the open ones): under a period's title each says what it is of.
        pairs[-2:] = [
            (_("Bottleneck (all history)"), _bottleneck_text(result)),
            # (of the report's day: `--as-of` gives one in the past)
            (
                _("Stale deals (open on {date})").format(date=fmt.long_day(result.as_of)),
                str(result.stale),
            ),
        ]
    table.footer = _with_line(table.footer, placed_line(result.placed))
    results = _("Results ({period})").format(period=period_text(result.period))
    return [table, Fields(pairs, title=results)]


# -- forecast ----------------------------------------------------------------------------------
def period_label(row: ForecastRow) -> str:
    if row.kind == "month":
        return fmt.iso_month(row.period)
    if row.kind == "ahead":
        return span_label(cast("AheadTotal", row))
    return _(FORECAST_ROWS[row.kind])


def span_label(total: AheadTotal) -> str:
    """The months a total covers: ``2026-12 – 2027-02`` (in Thai, in Thai years)."""
    return _("{first} – {last}").format(
        first=fmt.iso_month(total.first), last=fmt.iso_month(total.last)
    )


def short_span_label(total: AheadTotal) -> str | None:
    """The months a total covers by their names alone, ``Dec – Feb`` (in Thai, Thai
    names): where the full span would be broken onto two lines, beside the month rows
    that give the years. None when it covers a year or more (Dec – Dec)."""
    first, last = (date.fromisoformat(f"{m}-01") for m in (total.first, total.last))
    if (last.year - first.year) * 12 + last.month - first.month >= 12:
        return None
    names = fmt.MONTHS["th" if i18n.language() == "th" else "en"]
    return _("{first} – {last}").format(first=names[first.month - 1], last=names[last.month - 1])


def shown_rows(rows: Sequence[ForecastRow]) -> list[ForecastRow]:
    """The rows a forecast's tables and charts show: every month (one with nothing won
    or expected is a month of the range asked for), the past-due, later and no-date
    rows only when they hold deals (empty, they said nothing: "past due —")."""
    return [row for row in rows if row.kind in ("month", "ahead") or row.count]


def _may_shorten(table: Table, index: int, row: ForecastRow) -> None:
    """Let the total's span, the ``index``-th row's period, give way to its short label
    rather than wrap."""
    if row.kind == "ahead" and (short := short_span_label(cast("AheadTotal", row))):
        table.shorter[index, 0] = short


def shown_total(result: Forecast) -> AheadTotal | None:
    """The months ahead together, when the tables show them: when there are more than
    one (one month's total is that month's row)."""
    total = result.total
    return total if total is not None and total.first != total.last else None


def table_rows(result: Forecast) -> list[ForecastRow]:
    """The rows of a forecast's tables: its rows, with the months ahead together after
    the last of them."""
    rows = shown_rows(result.rows)
    total = shown_total(result)
    if total is None:
        return rows
    last = max(i for i, row in enumerate(rows) if row.period == total.last)
    return [*rows[: last + 1], total, *rows[last + 1 :]]


_SHORT_UNITS = (
    (10**3, "k", Decimal(1), 1000),
    (10**6, "M", Decimal("0.1"), 1000),
    (10**9, "B", Decimal("0.1"), 1000),
    (10**12, "T", Decimal("0.1"), 1000),
)
"""Each unit of a short amount, its step and the bound under which it is used: the first
under 1000 of them (``฿10000001.8M`` was ten trillion written in millions)."""

_THAI_SHORT_UNITS = (
    (10**3, "พัน", Decimal("0.1"), 10),
    (10**4, "หมื่น", Decimal("0.1"), 10),
    (10**5, "แสน", Decimal("0.1"), 10),
    (10**6, "ล้าน", Decimal("0.1"), 1000),
    (10**9, "พันล้าน", Decimal("0.1"), 1000),
    (10**12, "ล้านล้าน", Decimal("0.1"), 1000),
)
"""The same in Thai counting words (3.5แสน, 1.5ล้าน), each with the bound under which it
is used: the words below a million each count ten of the one before."""


def short_money(value: Decimal, currency: str) -> str:
    """An amount in a few characters: ``฿1.2M``, ``฿350k``, ``USD 900``, ``KRW 98.8B``
    (under one, with its fraction: ``฿0.40``)."""
    symbol = fmt.SYMBOLS.get(currency)
    value = Decimal(value)
    number = fmt.amount(value, currency) if fmt.under_one(value) else _short_number(value)
    return f"{symbol}{number}" if symbol is not None else f"{currency} {number}".strip()


def _short_number(value: Decimal) -> str:
    # Halves up, as people round (Decimal's own format rounds 1.45M to half even: 1.4M).
    whole = value.quantize(Decimal(1), ROUND_HALF_UP)
    if abs(whole) < 1000:  # (999.5 is 1k, not 1000; -0 is 0)
        return f"{whole}" if whole else "0"
    thai = i18n.language() == "th"
    units = _THAI_SHORT_UNITS if thai else _SHORT_UNITS
    for size, unit, step, bound in units:
        shown = (value / size).quantize(step, ROUND_HALF_UP)
        if abs(shown) < bound or unit == units[-1][1]:
            break
    return f"{shown.normalize():f}{unit}" if thai else f"{shown}{unit}"  # (Thai: 4ล้าน)


def range_text(row: ForecastRow, currency: str) -> str:
    """``P10 / P50 / P90`` of a row in one currency, or "" when the row holds no doubt."""
    low, middle, high = (p.get(currency) for p in (row.p10, row.p50, row.p90))
    if low is None or middle is None or high is None or low == high:
        return ""
    return " / ".join(short_money(v, currency) for v in (low, middle, high))


def forecast_view(result: Forecast) -> list[Part]:
    """The forecast's tables (the ranges where any row has one), then its charts."""
    from salespipe.present.parts import Drawing

    return [
        forecast_table(result),
        *ranges_of(result),
        "",
        Drawing(lambda width, color: forecast_charts(result, width=width, color=color)),
    ]


def forecast_table(result: Forecast) -> Table:
    title = _("Forecast by expected close month (as of {date})").format(
        date=fmt.long_day(result.as_of)
    )
    if result.method == "history":
        title = _("Forecast from history by month (as of {date})").format(
            date=fmt.long_day(result.as_of)
        )
    footer = _("Expected = won + weighted value of the open deals expected to close then.")
    if result.method == "history":
        footer = _(
            "Expected = won + value x learned probability of the open deals placed in the "
            "month; past-due and undated deals are spread by how long their stage's won "
            "deals took, so a month's Weighted can be more than its Value."
        )
        calibration = result.calibration
        if calibration is not None and not any(s.closed for s in calibration.stages):
            footer += " " + _(
                "None of the deals it learns from has closed yet, so nothing is learned: "
                "each deal counts with its stage's probability as set before any "
                "`calibrate --apply` (not its own)."
            )
    if placed := _weighed_placed_line(result.placed):
        footer += " " + placed
    table = Table(
        columns=[
            Column(_("Period"), max_width=17, wrap=True, min_width=9),
            Column(_("Deals"), "right"),
            Column(_("Value"), "right"),
            Column(_("Weighted"), "right"),
            Column(_("Won"), "right"),
            Column(_("Expected"), "right"),
        ],
        title=title,
        footer=footer,
    )
    rows = table_rows(result)
    for index, row in enumerate(rows):
        _may_shorten(table, index, row)
    for row in rows:
        table.rows.append(
            [
                period_label(row),
                str(row.count) if row.count else "",
                money_cell(row.value) if row.count else "",
                money_cell(row.weighted_value) if row.weighted_value else "",
                money_cell(row.won_value) if row.won_count else "",
                money_cell(row.expected),
            ]
        )
    return table


def ranges_of(result: Forecast) -> list[Table]:
    """The range table, or nothing where no row's range is more than one value (an empty
    pipeline, or nothing open): a header and two notes about rows not there."""
    table = forecast_range_table(result)
    return [table] if table.rows else []


def forecast_range_table(result: Forecast) -> Table:
    """P10 / P50 / P90 of the won value of every row whose range is not one value."""
    table = Table(
        columns=[
            Column(_("Period"), max_width=17, wrap=True, min_width=9),
            Column("P10", "right"),
            Column("P50", "right"),
            Column("P90", "right"),
        ],
        title=_("Range of the won value (P10 / P50 / P90)"),
        footer=_(
            "The won value is below P10 one time in 10, and above P90 one time in 10; P50 "
            "is the middle. The chart shows the three in brackets."
        ),
    )
    total = shown_total(result)
    if total is not None:
        table.footer = f"{table.footer}\n" + _(
            "{span} is the months ahead together: the range of their sum, not their "
            "ranges added up (all of them falling short at once is rarer than one)."
        ).format(span=span_label(total))
    for row in table_rows(result):
        # Each currency whose range is more than one value (a "USD 0 / 0 / 0" line stood
        # under a month whose baht range differed).
        doubtful = sorted(c for c in row.p90 if row.p10.get(c) != row.p90.get(c))
        if not doubtful:
            continue
        _may_shorten(table, len(table.rows), row)
        table.rows.append(
            [
                period_label(row),
                *(_whole_cell(p, doubtful) for p in (row.p10, row.p50, row.p90)),
            ]
        )
    return table


def _whole_cell(totals: Totals, currencies: list[str]) -> str:
    return "\n".join(fmt.money(totals.get(c, Decimal(0)), c, whole=True) for c in currencies)


def _shown(row: ForecastRow, currency: str) -> str:
    """The expected value beside a forecast's bar (its range goes too where it fits)."""
    if currency not in row.expected:  # nothing expected then: as the table shows it
        return NONE
    return fmt.money(row.expected[currency], currency, whole=True)


def forecast_charts(result: Forecast, *, width: int, color: bool) -> list[str]:
    from salespipe.present.charts import Bar, bar_chart

    charts = []
    for currency in result.currencies() or [""]:

        def amount(row: ForecastRow, currency: str = currency) -> Decimal:
            return row.expected.get(currency, Decimal(0))

        def text(row: ForecastRow, currency: str = currency) -> str:
            shown = _shown(row, currency)
            spread = range_text(row, currency) if currency in row.expected else ""
            return f"{shown} ({spread})" if spread else shown

        bars = [
            Bar(period_label(row), float(amount(row)), text(row), _shown(row, currency))
            for row in shown_rows(result.rows)
        ]
        if currency:
            title = _("Expected by month: won + weighted open, {currency}").format(
                currency=fmt.currency_title(currency)
            )
        else:
            title = _("Expected by month: won + weighted open")
        charts.append(bar_chart(bars, width=width, title=title, color=color))
    return charts


# -- funnel ------------------------------------------------------------------------------------
def funnel_blocks(result: Funnel) -> list[Block]:
    to_next = _("To next")
    summary = _("{created} created: {won} won, {lost} lost, {open} open; win rate {rate}.").format(
        created=result.created,
        won=result.won,
        lost=result.lost,
        open=result.open,
        rate=percent(result.win_rate),
    )
    note = _('"{column}" of the last stage is the share won.').format(column=to_next)
    if result.lost_in_no_stage:
        note += " " + ngettext(
            "{count} lost deal was imported without the stage it was lost in: it is lost "
            "in no stage's row.",
            "{count} lost deals were imported without the stage they were lost in: they "
            "are lost in no stage's row.",
            result.lost_in_no_stage,
        ).format(count=result.lost_in_no_stage)
    table = Table(
        columns=[
            Column(_("Stage"), shrink=True),
            Column(_("Reached"), "right"),
            Column(_("Of created"), "right"),
            Column(to_next, "right"),
            Column(_("Lost here"), "right"),
        ],
        title=_("Funnel of the deals created ({period})").format(period=period_text(result.period)),
        footer=f"{summary} {note}",
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
            Column(_("Stage"), shrink=True),
            Column(_("Stays"), "right"),
            Column(_("Ongoing"), "right"),
            Column(_("Median"), "right"),
            Column(_("Mean"), "right"),
            Column(_("Target"), "right"),
            Column(_("Over"), "right"),
            Column("", drop=1),  # the marker repeats what the footer says
        ],
        title=_("Days in each stage (finished and ongoing stays, as of {date})").format(
            date=fmt.long_day(result.as_of)
        ),
    )
    key = result.bottleneck.key if result.bottleneck else None
    for row in result.stages:
        table.rows.append(
            [
                row.name,
                str(row.stays),
                str(row.ongoing),
                fmt.days(row.median_days),
                fmt.days(row.mean_days),
                str(row.target_days or NONE),
                str(row.over_target),
                _("◀ bottleneck") if row.key == key else "",
            ]
        )
    table.footer = _bottleneck_line(result)
    return [table]


def _bottleneck_line(result: Durations) -> str:
    """Why the bottleneck is the one it is, by the rule that chose it (docs/reports.md)."""
    if result.bottleneck is None:
        if not any(row.stays for row in result.stages):
            return _("No bottleneck: no deal has been in a stage yet.")
        if any(not row.enabled and (row.excess_days or 0.0) > 0 for row in result.stages):
            return _(
                "No bottleneck: every stage in use has its median within its target "
                "(a switched-off stage is never the bottleneck)."
            )
        return _("No bottleneck: every stage's median is within its target.")
    if not any(row.target_days and row.median_days is not None for row in result.stages):
        # (reports/durations.choose_bottleneck: of the stages with stays, none has a target)
        return _(
            "Bottleneck: {stage}, the longest median (no stage with stays has target days)."
        ).format(stage=result.bottleneck.name)
    return _("Bottleneck: {stage}, the median most over its target.").format(
        stage=result.bottleneck.name
    )


# -- win rate ----------------------------------------------------------------------------------
# The first column's heading by --by; without --by its one row, "All", needs none ("Deals"
# above "All" read as a count of deals, a trial).
WINRATE_HEADINGS = {
    "owner": N_("Owner"),
    "month": N_("Month"),
    "stage": N_("Closed in stage"),
    "reason": N_("Lost because"),
}


def _win_row(group: WinGroup, label: str) -> list[str]:
    return [
        label,
        str(group.won),
        str(group.lost),
        percent(group.rate),
        value_percents(group.value_rate, separator="\n"),
        money_cell(group.won_value),
    ]


def _group_label(group: WinGroup, by: str | None) -> str:
    if by == "month" and group.group:
        return fmt.iso_month(group.group)
    if by == "stage" and not group.group:  # closed from a stage not known (imported)
        return _("(stage not known)")
    return group.name or group.group or NONE


def lost_reasons_table(result: WinRate) -> Table:
    """``winrate --by reason``: the lost deals per reason, most frequent first."""
    table = Table(
        columns=[
            Column(_(WINRATE_HEADINGS["reason"]), max_width=40, wrap=True),
            Column(_("Lost"), "right"),
            Column(_("Share"), "right"),
            Column(_("Lost value"), "right"),
        ],
        title=_("Why deals were lost ({period})").format(period=period_text(result.period)),
        footer=_("Share: of the {count} deals lost; won {won}, win rate {rate}.").format(
            count=result.total.lost, won=result.total.won, rate=percent(result.total.rate) or NONE
        ),
    )
    for group in result.groups:
        table.rows.append(
            [
                group.name or _("(no reason given)"),
                str(group.lost),
                percent(group.lost / result.total.lost if result.total.lost else None),
                money_cell(group.lost_value),
            ]
        )
    return table


def winrate_blocks(result: WinRate) -> list[Block]:
    if result.by == "reason":
        return [lost_reasons_table(result)]
    table = Table(
        columns=[
            Column(_(WINRATE_HEADINGS[result.by]) if result.by else "", max_width=24),
            Column(_("Won"), "right"),
            Column(_("Lost"), "right"),
            Column(_("Rate"), "right"),
            Column(_("By value"), "right"),
            Column(_("Won value"), "right"),
        ],
        title=_("Win rate of the deals closed ({period})").format(
            period=period_text(result.period)
        ),
        footer=_("Rate = won / (won + lost); by value, per currency."),
    )
    for group in result.groups:
        table.rows.append(_win_row(group, _group_label(group, result.by)))
    table.rows.append(_win_row(result.total, _("All")))
    return [table]


# -- stale and check ---------------------------------------------------------------------------
def stale_blocks(result: StaleList) -> list[Part]:
    """The stale deals shown, and on stderr how to see all when the default cut them."""
    shown, count = len(result.deals), result.count
    if result.by_default and count > shown:
        from salespipe.present.views import how_to_see_all

        return [*stale_table(result), Noted(how_to_see_all(shown, count))]
    return [*stale_table(result)]


def stale_table(result: StaleList) -> list[Block]:
    count = result.count
    if not count:
        return [Text(_("No stale deals: every open deal is within its stage's target days."))]
    table = Table(
        columns=[
            Column(_("ID"), "right"),
            Column(_("Title"), shrink=True),
            Column(_("Owner"), shrink=True),
            stage_names(_("Stage")),
            Column(_("Value"), "right"),
            Column(_("Days"), "right"),
            Column(_("Over"), "right"),
            Column(_("Due"), drop=1),
            Column(_("Next action"), wrap=True, drop=2, min_width=12),
        ],
        title=_("Deals over their stage's target days (as of {date})").format(
            date=fmt.long_day(result.as_of)
        ),
        footer=_with_line(
            ngettext("{count} stale deal.", "{count} stale deals.", count).format(count=count),
            placed_line(result.placed),
        ),
    )
    today = result.as_of.date().isoformat()
    for number, item in enumerate(result.deals):
        record = item.record
        action = record["next_action"]
        due = fmt.iso_day(action["due"]) if action else ""  # as list: none, no column
        if action and action["due"] < today:
            due += OVERDUE_MARK
            table.styles[number, 7] = "overdue"
            table.notes[7] = _("{mark} next action overdue").format(mark=OVERDUE_MARK)
        table.styles[number, 6] = "stale"
        row = [
            str(record["id"]),
            record["title"],
            record["owner"],
            item.stage.name,
            fmt.stored_money(record["value"], record["currency"]),
            str(item.days_in_stage),
            str(item.days_over),
            due,
            action["text"] if action else "",
        ]
        table.rows.append(row)
        table.cards.append(_stale_card(item, row, table.styles.get((number, 7))))
    return [table]


def _stale_card(
    item: StaleDeal, row: list[str], due_style: str | None
) -> list[tuple[str, str | None]]:
    """A stale deal in two lines (three with a next action), where the table does not
    fit: its id and title; its stage, days (and how many over), owner and value."""
    days = ngettext("{count} day", "{count} days", item.days_in_stage).format(
        count=item.days_in_stage
    )
    where = _("{stage} · {days}, {over} over · {owner} · {value}").format(
        stage=row[3], days=days, over=row[6], owner=row[2], value=row[4]
    )
    card: list[tuple[str, str | None]] = [(f"{row[0]}  {row[1]}", None), (where, None)]
    if row[7]:
        card.append((f"{row[7]} {row[8]}", due_style))
    return card


def check_blocks(result: CheckResult) -> list[Part]:
    """The alerts of each kind, a line for those a limit left out, and on stderr how to
    see all when the default cut them."""
    if result.clean:
        return [
            Text(
                _("Nothing to act on ({checked} checked).").format(
                    checked=_open_deals(result.checked)
                )
            )
        ]
    # In a pipe (a cron mail) each alert stays one line, however long: a mail reader
    # wraps it; on a terminal its text wraps within its column.
    table = Table(
        columns=[Column(_("Kind"), wrap=True, min_width=12), Column(_("What"), wrap=True)],
        whole_rows_in_a_pipe=True,
    )
    kinds = {kind: _(label) for kind, label in ALERT_KINDS.items()}
    rows: dict[str, list[list[str]]] = {kind: [] for kind in ALERT_KINDS}
    for alert in result.alerts:
        rows.setdefault(alert.kind, []).append([kinds.get(alert.kind, alert.kind), alert.message])
    for kind, more in result.more.items():
        rows[kind].append([kinds[kind], _("… and {count} more").format(count=more)])
    table.rows = [row for of_kind in rows.values() for row in of_kind]
    count = result.count
    table.footer = ngettext("{count} thing to act on.", "{count} things to act on.", count).format(
        count=count
    )
    table.footer = _with_line(table.footer, _stale_placed_line(result.placed))
    shown = len(result.alerts)
    if result.by_default and count > shown:
        from salespipe.present.views import how_to_see_all

        return [table, Noted(how_to_see_all(shown, count))]
    return [table]
