"""The view of each report result: one table of which function shows which result.

A report returns a result object; :func:`salespipe.cli.output.result` prints either its
``to_dict()`` (``--json``) or, through :func:`view`, the blocks a person reads. Adding a
report means adding its result type here, not another ``if as_json:`` branch.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from salespipe.present.render import Block


class Result(Protocol):
    """What every report result offers: its JSON form (an object, or a list for stale)."""

    def to_dict(self) -> Any: ...


# result type (module.qualname) -> the function of present.report_views that shows it
# (or, as "module.function", of another module of present)
VIEWS = {
    "salespipe.reports.summary.Summary": "summary_blocks",
    "salespipe.reports.outcomes.Funnel": "funnel_blocks",
    "salespipe.reports.outcomes.WinRate": "winrate_blocks",
    "salespipe.reports.durations.Durations": "durations_blocks",
    "salespipe.reports.alerts.StaleList": "stale_blocks",
    "salespipe.reports.alerts.CheckResult": "check_blocks",
    "salespipe.reports.calibrate.Calibration": "learning_views.calibration_blocks",
    "salespipe.reports.slips.Slips": "learning_views.slips_blocks",
    "salespipe.reports.backtest.Backtest": "learning_views.backtest_blocks",
}


def view(result: Result) -> list[Block]:
    """The blocks a person reads for this result."""
    from salespipe.present import report_views

    kind = type(result)
    name = VIEWS.get(f"{kind.__module__}.{kind.__qualname__}")
    if name is None:
        raise TypeError(f"no view for {kind.__qualname__}")
    module, _, function = name.rpartition(".")
    views = importlib.import_module(f"salespipe.present.{module}") if module else report_views
    blocks: list[Block] = getattr(views, function)(result)
    return blocks
