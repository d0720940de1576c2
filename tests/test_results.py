"""Results rendered in one place: every report result type has its view, and the CLI's
text for a report is that view of the same result its --json prints."""

from __future__ import annotations

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


def test_every_result_type_in_the_table_has_its_view(filled: salespipe.Pipeline) -> None:
    """Each view named in VIEWS exists and turns its result into blocks with text."""
    shown = [
        *_all_results(filled),
        filled.check(),
        filled.calibrate(),
        filled.slips(),
        filled.backtest(months=2),
    ]
    assert len({type(r) for r in shown}) == len(results.VIEWS)
    for result in shown:
        text = render.plain(results.view(result))
        assert text.strip()


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
