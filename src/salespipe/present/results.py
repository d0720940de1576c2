"""The view of each result: one table of which function shows which result.

A command returns a result object; :func:`salespipe.cli.output.result` prints either its
``to_dict()`` (``--json``) or, through :func:`view`, what a person reads. Adding a command
means adding its result type here, not another ``if as_json:`` branch.

A view is a text said as it is (the one sentence a change answers with), or a sequence
of parts printed in order: blocks (laid out for the terminal's width), lines said as they
are, charts drawn for the width and colours of where they go, and warnings on stderr
(:mod:`salespipe.present.parts`). A
``to_dict()`` may return an iterator for a long list: it is written a batch of items at a
time, the same bytes.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from salespipe.present.parts import View


class Result(Protocol):
    """What every command's result offers (a report's, a change's, a listing's): the
    form ``--json`` prints (an object, or a list or an iterator of objects for a
    listing, written out as they come)."""

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
    "salespipe.reports.calibrate.CalibrateRun": "learning_views.calibrate_run_view",
    "salespipe.reports.summary.PipelineChart": "chart_view",
    "salespipe.reports.forecast.Forecast": "forecast_view",
    "salespipe.reports.slips.Slips": "learning_views.slips_blocks",
    "salespipe.reports.backtest.Backtest": "learning_views.backtest_blocks",
    "salespipe.reports.agenda.Agenda": "daily_views.agenda_blocks",
    "salespipe.reports.board.Board": "daily_views.board_blocks",
    "salespipe.present.deal_results.DealChanged": "deal_results.changed_view",
    "salespipe.present.deal_results.DealDeleted": "deal_results.deleted_view",
    "salespipe.present.deal_results.NothingDeleted": "deal_results.nothing_deleted_view",
    "salespipe.present.deal_results.Undone": "deal_results.undone_view",
    "salespipe.present.deal_results.UndoList": "deal_results.undo_list_view",
    "salespipe.present.deal_results.DealList": "deal_results.list_view",
    "salespipe.present.deal_results.DealDetail": "deal_results.detail_view",
    "salespipe.present.deal_results.EventFeed": "deal_results.feed_view",
    "salespipe.present.deal_results.WatchedChange": "deal_results.watched_view",
    "salespipe.present.setup_results.StageList": "setup_results.stage_list_view",
    "salespipe.present.setup_results.StageChanged": "setup_results.stage_changed_view",
    "salespipe.present.setup_results.StageRemoved": "setup_results.stage_removed_view",
    "salespipe.present.pipeline_results.PipelineList": "pipeline_results.pipeline_list_view",
    "salespipe.present.pipeline_results.PipelineChanged": "pipeline_results.pipeline_changed_view",
    "salespipe.present.pipeline_results.PipelineRemoved": "pipeline_results.pipeline_removed_view",
    "salespipe.present.pipeline_results.PerPipeline": "pipeline_results.per_pipeline_view",
    "salespipe.present.setup_results.Setting": "setup_results.setting_view",
    "salespipe.present.setup_results.SettingChanged": "setup_results.setting_changed_view",
    "salespipe.present.setup_results.Settings": "setup_results.settings_view",
    "salespipe.present.setup_results.Initialized": "setup_results.initialized_view",
    "salespipe.present.setup_results.DemoWritten": "setup_results.demo_view",
    "salespipe.present.setup_results.DoctorReport": "setup_results.doctor_view",
    "salespipe.present.team_results.TeamList": "team_results.team_list_view",
    "salespipe.present.team_results.TeamChanged": "team_results.team_changed_view",
    "salespipe.present.transfer_views.ExportWritten": "transfer_views.export_view",
    "salespipe.present.transfer_views.PageWritten": "transfer_views.page_written_view",
    "salespipe.present.transfer_views.PageShown": "transfer_views.page_shown_view",
    "salespipe.transfer.importing.ImportReport": "transfer_views.import_view",
    "salespipe.transfer.copying.CopyReport": "transfer_views.copy_view",
    "salespipe.present.transfer_views.NothingCopied": "transfer_views.nothing_copied_view",
}


def view(result: Result) -> View:
    """What a person reads for this result: blocks, or a text said as it is."""
    kind = type(result)
    name = VIEWS.get(f"{kind.__module__}.{kind.__qualname__}")
    if name is None:
        raise TypeError(f"no view for {kind.__qualname__}")
    module, _, function = name.rpartition(".")
    views = importlib.import_module(f"salespipe.present.{module or 'report_views'}")
    shown: View = getattr(views, function)(result)
    return shown
