"""Results rendered in one place: every report result type has its view, and the CLI's
text for a report is that view of the same result its --json prints."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import salespipe
from salespipe.present import render, results

pytestmark = pytest.mark.usefixtures("each_backend")


@pytest.fixture
def filled(db_path: Path) -> salespipe.Pipeline:
    api = salespipe.open(db_path)
    erp = api.add("ERP", value="1.5m", owner="alice", at="2026-10-01")
    api.move(erp.id, "quoted", reason="sent", at="2026-10-20")
    racks = api.add("Racking", value="250k", owner="bao", at="2026-10-02")
    api.lost(racks.id, "too expensive", at="2026-11-01")
    return api


def _all_results(api: salespipe.Pipeline) -> list[results.Result]:
    return [api.report(), api.funnel(), api.durations(), api.winrate("owner"), api.stale()]


def test_every_report_result_has_its_view(filled: salespipe.Pipeline) -> None:
    """Each report the API returns has a view in VIEWS that turns it into blocks with text."""
    shown = [
        *_all_results(filled),
        filled.check(),
        filled.calibrate(),
        filled.slips(),
        filled.backtest(months=2),
    ]
    for result in shown:
        seen = results.view(result)
        assert not isinstance(seen, str)
        assert render.plain(seen).strip()


def test_every_entry_of_the_table_names_a_real_type_and_view() -> None:
    """A renamed result type or view function fails here, not in front of a user."""
    for kind, name in results.VIEWS.items():
        module, _, qualname = kind.rpartition(".")
        assert hasattr(importlib.import_module(module), qualname), kind
        where, _, function = name.rpartition(".")
        views = importlib.import_module(f"salespipe.present.{where or 'report_views'}")
        assert callable(getattr(views, function)), name


def test_a_result_without_a_view_is_a_programming_error() -> None:
    """A new result type must be added to the table, not silently printed as nothing."""

    class Unknown:
        def to_dict(self) -> dict[str, int]:
            return {}

    with pytest.raises(TypeError, match="no view for"):
        results.view(Unknown())


def test_the_command_prints_the_view_of_its_result(filled: salespipe.Pipeline, cli) -> None:
    """`report` without --json prints exactly the view of the result the API returns."""
    printed = cli("report").stdout
    assert printed == render.plain(results.view(filled.report()))
    assert "Bottleneck" in printed
