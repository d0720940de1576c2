"""Writing a report page (``--html FILE``): gather its parts and write the file whole.

FILE ``-`` writes the page to stdout (for a mail pipe); any other FILE is replaced
only once the page is completely written, and never a file of the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from salespipe.cli import output
from salespipe.core.i18n import _
from salespipe.core.model import Record, Stage
from salespipe.core.tally import Period

if TYPE_CHECKING:
    from salespipe.present import html
    from salespipe.storage.port import Storage


def report_page(
    records: Iterable[Record],
    stages: list[Stage],
    now: datetime,
    *,
    period: Period,
    months: int = 3,
    method: str = "stage",
    pipeline: str = "",
) -> str:
    """The whole report page for the given deals (every deal, open and closed), of the
    pipeline named ``pipeline`` (when the database has several)."""
    from salespipe.present import html

    return html.report_page(
        _parts(records, stages, now, period=period, months=months, method=method, name=pipeline)
    )


def per_pipeline_report_page(
    pipelines: Iterable[tuple[str, Iterable[Record], list[Stage]]], now: datetime, *, period: Period
) -> str:
    """The report page of each pipeline (its name, deals and stages), as one page."""
    from salespipe.present import html

    return html.per_pipeline_report_page(
        [_parts(deals, stages, now, period=period, name=name) for name, deals, stages in pipelines]
    )


def _parts(
    records: Iterable[Record],
    stages: list[Stage],
    now: datetime,
    *,
    period: Period,
    months: int = 3,
    method: str = "stage",
    name: str = "",
) -> html.ReportPage:
    from salespipe.present import html
    from salespipe.reports import agenda, alerts, summary
    from salespipe.reports import forecast as forecasting
    from salespipe.reports.scope import OpenDeals

    deals = list(records)
    open_deals = OpenDeals.of(deals, stages)
    return html.ReportPage(
        summary=summary.summary(deals, stages, period=period, now=now),
        forecast=forecasting.forecast(
            deals,
            stages,
            months=months,
            now=now,
            method=method,  # type: ignore[arg-type]
        ),
        stale=alerts.stale(open_deals, stages, now, html.STALE_SHOWN),
        agenda=agenda.agenda(open_deals, stages, now),
        pipeline=name,
    )


def write_page(target: str, page: str, database: Storage) -> None:
    """Write ``page`` to the file ``target`` (``-``: stdout) and say where it went."""
    if target == "-":
        output.say(page.rstrip("\n"))
        return
    from salespipe.cli.transfer import _refuse_database_target
    from salespipe.transfer.target import export_target

    path = Path(target)
    _refuse_database_target(path, database)
    with export_target(path) as handle:  # the export's rules: private, links followed
        handle.write(page.encode("utf-8"))
    output.say(_("Wrote the report page to {path}.").format(path=path))
