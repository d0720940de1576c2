"""Writing a report page (``--html FILE``): gather its parts and write the file whole.

FILE ``-`` writes the page to stdout (for a mail pipe); any other FILE is replaced
only once the page is completely written, and never a file of the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from salespipe.core.tally import Period

if TYPE_CHECKING:
    from salespipe.present import html
    from salespipe.present.transfer_views import PageShown, PageWritten
    from salespipe.reports.scope import Scope
    from salespipe.storage.port import Storage


def report_page(scope: Scope, *, period: Period, months: int = 3, method: str = "stage") -> str:
    """The whole report page of a report's deals (every deal, open and closed)."""
    from salespipe.present import html

    return html.report_page(_parts(scope, period=period, months=months, method=method))


def per_pipeline_report_page(pipelines: Iterable[tuple[str, Scope]], *, period: Period) -> str:
    """The report page of each pipeline (its name and its deals), as one page."""
    from salespipe.present import html

    return html.per_pipeline_report_page(
        [_parts(scope, period=period, name=name) for name, scope in pipelines]
    )


def _parts(
    scope: Scope, *, period: Period, months: int = 3, method: str = "stage", name: str = ""
) -> html.ReportPage:
    """The parts of the page, from one question of the history (one pass over the
    records, or totals the database adds up) and the open deals' questions."""
    from salespipe.present import html
    from salespipe.reports import agenda, alerts, summary
    from salespipe.reports import forecast as forecasting
    from salespipe.reports.scope import OpenDeals

    now, stages = scope.now, scope.stages
    chosen: forecasting.Method = method  # type: ignore[assignment]
    asks = summary.summary_asks(now, period).merged(forecasting.forecast_asks(now, months, chosen))
    totals = scope.totals(asks, keep_open=True)
    deals = scope.open if totals.open_records is None else OpenDeals.of(totals.open_records, stages)
    placed = scope.placed()  # (--as-of: deals in a stage only because the import put them)
    shown = summary.summary_of(totals, deals, stages, period=period, now=now)
    shown.placed = placed
    forecast = forecasting.forecast_of(totals, stages, months=months, now=now, method=chosen)
    forecast.placed = placed
    forecast.currency = scope.currency  # (the config's: its chart first)
    return html.ReportPage(
        summary=shown,
        forecast=forecast,
        stale=alerts.stale(deals, stages, now, html.STALE_SHOWN, placed=placed),
        agenda=agenda.agenda(deals, stages, now, limit=html.AGENDA_SHOWN),
        pipeline=name or scope.pipeline_name,
    )


def write_page(target: str, page: str, database: Storage) -> PageWritten | PageShown:
    """Write ``page`` to the file ``target`` (``-``: it goes to stdout as the result)."""
    from salespipe.present.transfer_views import PageShown, PageWritten

    if target == "-":
        return PageShown(page)
    from salespipe.cli.transfer import refuse_database_target
    from salespipe.transfer.target import export_target

    path = Path(target)
    refuse_database_target(path, database, "--html")
    with export_target(path) as handle:  # the export's rules: private, links followed
        handle.write(page.encode("utf-8"))
    return PageWritten(str(path))
