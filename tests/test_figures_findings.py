"""Figures a figures audit found misleading, though each followed its rule as written:
each now says what a manager acting on it needs."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("each_backend")


def test_a_switched_off_stage_is_never_the_bottleneck(cli: Any) -> None:
    """`report` named a stage switched off since as the bottleneck ("Old (median 49.0
    days, target 1)"): nobody can act on it. It keeps its row in `durations`."""
    assert cli("add", "a", "--at", "2026-10-01").exit_code == 0
    assert cli("stage", "add", "Old", "--after", "presented", "--target-days", "1").exit_code == 0
    assert cli("move", "1", "old", "--at", "2026-10-02").exit_code == 0
    assert cli("move", "1", "quoted", "--at", "2026-11-20").exit_code == 0
    assert cli.json("durations")["bottleneck"] == "old"  # while it is in use
    assert cli("stage", "disable", "old").exit_code == 0
    durations = cli.json("durations")
    assert durations["bottleneck"] != "old"
    assert "old" in [stage["key"] for stage in durations["stages"]]
    assert "Old" not in cli("report").stdout.split("Bottleneck", 1)[1].split("\n", 1)[0]
