"""The report as one self-contained HTML page, to forward or mail.

Everything is inline: the CSS in a ``<style>`` element, the charts as SVG drawn here,
no script, no image, no font or anything else fetched from the network. The text is
UTF-8 with a font stack that covers Thai on every common system. The layout is one
column that fits a phone; wide tables scroll sideways on their own.

The tables are the text report's own blocks (:mod:`.report_views`), so the page and
the terminal say the same things in the same words. Each bar of a chart is a
``<rect class="bar" data-value="…">`` whose height is its value over the chart's
largest value times the chart's height (docs/forecasting.md).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from salespipe.core import fmt, i18n
from salespipe.core.i18n import _
from salespipe.present import daily_views, report_views, textwidth
from salespipe.present.render import Block, Fields, Table, Text

if TYPE_CHECKING:
    from salespipe.core.tally import Totals
    from salespipe.reports.agenda import Agenda
    from salespipe.reports.alerts import StaleList
    from salespipe.reports.forecast import Forecast, ForecastRow
    from salespipe.reports.summary import Summary

CHART_HEIGHT = 200  # the plot area's height in SVG units: a bar of the largest value
CHART_TOP = 28  # room above the plot for the numbers
CHART_BOTTOM = 40  # room below it for the labels
BAR_SLOT = 90  # width per bar, gap included
LABEL_CELLS = 11  # a bar's label is clipped to this many character cells
STALE_SHOWN = 20
AGENDA_SHOWN = 20  # of each part of the week's next actions

FONTS = (
    'system-ui, -apple-system, "Segoe UI", "Noto Sans Thai", "Noto Sans Thai UI", '
    '"Leelawadee UI", "Sarabun", Tahoma, "Noto Sans", Roboto, Arial, sans-serif'
)

STYLE = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f4f5f7;color:#1d2330;font-family:{FONTS};
  font-size:16px;line-height:1.6;-webkit-text-size-adjust:100%}}
main{{max-width:960px;margin:0 auto;padding:16px}}
h1{{font-size:1.5rem;margin:0 0 4px}}
h2{{font-size:1.15rem;margin:0 0 8px}}
.sub{{color:#5b6475;margin:0 0 16px}}
section{{background:#fff;border-radius:10px;padding:14px 16px;margin:0 0 16px;
  box-shadow:0 1px 2px rgba(0,0,0,.08)}}
.cards{{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}}
.card{{background:#fff;border-radius:10px;padding:10px 12px;
  box-shadow:0 1px 2px rgba(0,0,0,.08)}}
.card b{{display:block;font-size:1.2rem;overflow-wrap:anywhere}}
.card b bdi{{display:inline-block;overflow-wrap:normal}}
.card span{{color:#5b6475;font-size:.85rem}}
.scroll{{overflow-x:auto;-webkit-overflow-scrolling:touch}}
table{{border-collapse:collapse;width:100%;font-size:.9rem}}
caption{{text-align:left;font-weight:600;padding:0 0 6px}}
th,td{{padding:5px 8px;border-bottom:1px solid #e3e6eb;vertical-align:top}}
th{{text-align:left;background:#f8f9fb;white-space:nowrap}}
td.r,th.r{{text-align:right;white-space:nowrap}}
.note{{color:#5b6475;font-size:.8rem;margin:6px 0 0}}
td:first-child{{white-space:nowrap}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}}
dt{{color:#5b6475}}dd{{margin:0}}
svg{{width:100%;height:auto;display:block}}
svg text{{font-family:{FONTS};font-size:13px;fill:#1d2330}}
svg text.label{{font-size:12px}}
.bar{{fill:#3b6fd8}}.range{{stroke:#1d2330;stroke-width:2}}
.axis{{stroke:#9aa3b2;stroke-width:1}}
.overdue{{color:#b3261e;font-weight:600}}
@media (max-width:480px){{main{{padding:10px}}section{{padding:10px}}body{{font-size:15px}}}}
"""


@dataclass(frozen=True)
class ReportPage:
    """What the page shows; each part is the result of its report."""

    summary: Summary
    forecast: Forecast
    stale: StaleList
    agenda: Agenda  # the next actions due in the week ahead
    pipeline: str = ""  # the pipeline's name, when the database has several


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: float  # the number the bar's height stands for
    text: str  # the number as shown above the bar
    low: float | None = None  # a range drawn over the bar (P10 to P90)
    high: float | None = None


def bar_chart_svg(bars: Sequence[ChartBar], title: str) -> str:
    """Vertical bars whose heights are in proportion to their values (none below 0)."""
    top = max([0.0, *(b.value for b in bars), *(b.high or 0.0 for b in bars)])
    scale = CHART_HEIGHT / top if top > 0 else 0.0
    width = max(1, len(bars)) * BAR_SLOT
    height = CHART_TOP + CHART_HEIGHT + CHART_BOTTOM
    base = CHART_TOP + CHART_HEIGHT
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'data-scale="{scale!r}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="0" y1="{base}" x2="{width}" y2="{base}"/>',
    ]
    for index, bar in enumerate(bars):
        size = round(max(0.0, bar.value) * scale, 2)
        x = index * BAR_SLOT + 12
        middle = x + (BAR_SLOT - 24) / 2
        parts.append(
            f'<rect class="bar" x="{x}" y="{round(base - size, 2)}" width="{BAR_SLOT - 24}" '
            f'height="{size}" data-value="{bar.value!r}"><title>{escape(bar.label)}: '
            f"{escape(bar.text)}</title></rect>"
        )
        if bar.low is not None and bar.high is not None and bar.high > bar.low:
            low, high = base - bar.low * scale, base - bar.high * scale
            parts.append(
                f'<line class="range" x1="{middle}" x2="{middle}" y1="{low:.2f}" y2="{high:.2f}"/>'
            )
            for y in (low, high):
                parts.append(
                    f'<line class="range" x1="{middle - 8}" x2="{middle + 8}" '
                    f'y1="{y:.2f}" y2="{y:.2f}"/>'
                )
        label_y = base - max(size, (bar.high or 0.0) * scale) - 6
        parts.append(
            f'<text class="num" x="{middle}" y="{label_y:.2f}" text-anchor="middle">'
            f"{escape(bar.text)}</text>"
        )
        parts.append(
            f'<text class="label" x="{middle}" y="{base + 20}" text-anchor="middle">'
            f"{escape(textwidth.clip(bar.label, LABEL_CELLS))}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _whole_money(totals: Totals) -> str:
    """Per-currency totals without the satang, what fits a card on a phone, as HTML: a
    line breaks between two amounts, never inside one (it broke "฿17,880,00" / "0"). Each
    amount holds its comma (on a line of its own else) and is a block of its own that
    breaks only at its space ("EUR" / "12,345,678"), where it is wider than its card: kept
    on one line, it ran over the next card at 1000 pixels and out of the page at 360."""
    if not totals:
        return "0"
    amounts = [escape(fmt.money(v, c, whole=True)) for c, v in sorted(totals.items())]
    return " ".join(
        f"<bdi>{amount}{',' if i < len(amounts) - 1 else ''}</bdi>"
        for i, amount in enumerate(amounts)
    )


def _short(value: Decimal, currency: str) -> str:
    return report_views.short_money(value, currency)


def stage_chart(summary: Summary) -> str:
    rows = [row for row in summary.open if row.enabled]
    bars = [ChartBar(row.name, float(row.count), str(row.count)) for row in rows]
    title = _("Open deals by stage")
    return _section(title, bar_chart_svg(bars, title))


def forecast_charts(forecast: Forecast) -> str:
    """One chart per currency: expected value per month (and past due, later, no date,
    as the terminal's chart and the table have them) with its P10-P90 range."""
    charts = []
    for currency in forecast.currencies():
        bars = [_forecast_bar(row, currency) for row in report_views.shown_rows(forecast.rows)]
        title = _("Expected by month: won + weighted open, {currency}").format(
            currency=fmt.currency_title(currency)
        )
        charts.append(bar_chart_svg(bars, title))
    note = _(
        "The line over a bar runs from P10 to P90: the month's won value lies in it 8 times in 10."
    )
    body = "\n".join(charts) + f'\n<p class="note">{escape(note)}</p>'
    return _section(_("Forecast"), body)


def _forecast_bar(row: ForecastRow, currency: str) -> ChartBar:
    """A row's bar; nothing expected then reads "—" as in the table (not "฿0", a trial)."""
    expected = row.expected.get(currency, Decimal(0))
    low, high = row.p10.get(currency), row.p90.get(currency)
    return ChartBar(
        report_views.period_label(row),
        float(expected),
        _short(expected, currency) if currency in row.expected else report_views.NONE,
        float(low) if low is not None else None,
        float(high) if high is not None else None,
    )


def _cards(summary: Summary, forecast: Forecast) -> str:
    this_month = forecast.ahead()[0] if forecast.ahead() else None
    bottleneck = summary.bottleneck
    cards = [  # (label, the value as HTML)
        (_("Open deals"), str(summary.open_count)),
        (_("Open value"), _whole_money(summary.open_value)),
        (_("Weighted"), _whole_money(summary.open_weighted_value)),
        (_("Win rate"), escape(report_views.percent(summary.win_rate))),
        (_("Bottleneck"), escape(bottleneck.name if bottleneck else _("none"))),
        (_("Stale deals"), str(summary.stale)),
    ]
    if this_month is not None:
        cards.insert(3, (_("Expected this month"), _whole_money(this_month.expected)))
    return (
        '<div class="cards">\n'
        + "\n".join(
            f'<div class="card"><span>{escape(label)}</span><b>{value}</b></div>'
            for label, value in cards
        )
        + "\n</div>"
    )


def _blocks(blocks: Sequence[Block]) -> str:
    return "\n".join(_block(block) for block in blocks)


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Fields):
        title = f"<h2>{escape(block.title)}</h2>\n" if block.title else ""
        pairs = "\n".join(
            f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in block.pairs
        )
        return f"{title}<dl>\n{pairs}\n</dl>"
    assert isinstance(block, Text)
    return f"<p>{_prose(block.text)}</p>"


def _prose(text: str) -> str:
    """A sentence of the text views as HTML: escaped, a command it names in backticks
    set as code (the page showed the backticks)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _cell(text: str, tag: str, right: bool, style: str | None = None) -> str:
    classes = " ".join(c for c in ("r" if right else "", style or "") if c)
    klass = f' class="{classes}"' if classes else ""
    body = "<br>".join(escape(line) for line in text.split("\n"))
    return f"<{tag}{klass}>{body}</{tag}>"


def _table(table: Table) -> str:
    rights = [column.align == "right" for column in table.columns]
    head = "".join(
        _cell(column.header, "th", right)
        for column, right in zip(table.columns, rights, strict=True)
    )
    rows = "\n".join(
        "<tr>"
        + "".join(
            _cell(cell, "td", right, _HTML_STYLES.get(table.styles.get((number, at), "")))
            for at, (cell, right) in enumerate(zip(row, rights, strict=True))
        )
        + "</tr>"
        for number, row in enumerate(table.rows)
    )
    caption = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    # What a mark in a column means ("! next action overdue"), as the text view says it;
    # each paragraph of the footer its own, as the text view puts it on a line of its own.
    footer = (table.footer or "").split("\n")
    lines = [*footer, *(text for _at, text in sorted(table.notes.items()))]
    note = "".join(f'\n<p class="note">{_prose(line)}</p>' for line in lines if line)
    return (
        f'<div class="scroll"><table>{caption}\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody></table></div>{note}"
    )


# The styles of the text views a page colours (the mark says it in the text too).
_HTML_STYLES = {"overdue": "overdue"}


def _forecast_tables(forecast: Forecast) -> str:
    tables = (report_views.forecast_table(forecast), *report_views.ranges_of(forecast))
    return "\n".join(_table(table) for table in tables)


def _section(title: str, body: str) -> str:
    heading = f"<h2>{escape(title)}</h2>\n" if title else ""
    return f"<section>\n{heading}{body}\n</section>"


def report_page(page: ReportPage) -> str:
    """The whole report, as text to write to a ``.html`` file."""
    title = _("Sales pipeline report")
    if page.pipeline:
        title = f"{title} – {page.pipeline}"
    return _document(title, page.summary.as_of, _report_sections(page))


def per_pipeline_report_page(pages: Sequence[ReportPage]) -> str:
    """The whole report of each pipeline, one after another under its name, as one page
    (``report --html FILE --pipeline all``); of one pipeline, its page alone."""
    if len(pages) == 1:
        return report_page(dataclasses.replace(pages[0], pipeline=""))
    sections: list[str] = []
    for page in pages:
        sections.append(f'<h2 class="pipeline">{escape(page.pipeline)}</h2>')
        sections.extend(_report_sections(page))
    return _document(_("Sales pipeline report"), pages[0].summary.as_of, sections)


def _report_sections(page: ReportPage) -> list[str]:
    summary, forecast = page.summary, page.forecast
    stale = report_views.stale_table(page.stale)
    shown = len(page.stale.deals)
    if page.stale.count > shown:
        more = _("The {shown} longest over are shown; `salespipe stale --limit 0` lists all.")
        stale.append(Text(more.format(shown=shown)))
    agenda = daily_views.agenda_tables(page.agenda)
    if page.agenda.more:
        first = _(
            "The first {shown} of each part are shown; `salespipe agenda --limit 0` lists all."
        )
        agenda.append(Text(first.format(shown=AGENDA_SHOWN)))
    return [
        _cards(summary, forecast),
        stage_chart(summary),
        forecast_charts(forecast),
        _section("", _forecast_tables(forecast)),
        _section("", "\n".join(_block(b) for b in report_views.summary_blocks(summary))),
        _section(_("Stale deals"), "\n".join(_block(b) for b in stale)),
        _section(_("Next actions this week"), _blocks(agenda)),
    ]


def forecast_page(forecast: Forecast, pipeline: str = "") -> str:
    """The forecast alone (and, by history, the probabilities it learned) as a page, of
    the pipeline named ``pipeline`` (when the database has several)."""
    title = _("Forecast")
    if pipeline:
        title = f"{title} – {pipeline}"
    return _document(title, forecast.as_of, _forecast_sections(forecast))


def per_pipeline_forecast_page(
    forecasts: Sequence[tuple[str, Forecast]], total: Forecast | None = None
) -> str:
    """The forecast of each pipeline (its name and forecast) under its name, then the
    one of every deal, as one page (``forecast --html FILE --pipeline all``); of one
    pipeline, its page alone."""
    if len(forecasts) == 1:
        return forecast_page(forecasts[0][1])
    headed = [*forecasts, *(((_("All pipelines"), total),) if total is not None else ())]
    sections: list[str] = []
    for name, forecast in headed:
        sections.append(f'<h2 class="pipeline">{escape(name)}</h2>')
        sections.extend(_forecast_sections(forecast))
    return _document(_("Forecast"), headed[0][1].as_of, sections)


def _forecast_sections(forecast: Forecast) -> list[str]:
    sections = [
        forecast_charts(forecast),
        _section("", _forecast_tables(forecast)),
    ]
    if forecast.calibration is not None:
        from salespipe.present import learning_views

        blocks = learning_views.calibration_blocks(forecast.calibration)
        sections.append(_section("", "\n".join(_block(b) for b in blocks)))
    return sections


def _document(title: str, as_of: date, sections: Sequence[str]) -> str:
    when = _("As of {date}").format(date=fmt.long_day(as_of))
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(i18n.language())}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} – {escape(when)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f'<h1>{escape(title)}</h1>\n<p class="sub">{escape(when)}</p>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )
