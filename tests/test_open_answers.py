"""The board, chart and stale answers a salesperson reads, at the edges their arithmetic
has: weighted values to the cent deal by deal (own probability or the stage's, several
currencies), whole days at the day boundary, and ties by id (the clock is fixed at
2026-11-27 10:00 +07:00, see conftest)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("each_backend")


def _ok(cli: Any, *args: str) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr


def test_weighted_value_is_each_deals_to_the_cent(cli: Any) -> None:
    """Presented weighs 10%: two deals of 0.05 weigh 0.005 each, 0.00 to the cent (their
    sum weighted once would be 0.01); whole numbers with their own 33% weigh 1.65 each;
    dollars are totalled apart from baht."""
    for value in ("0.05", "0.05", "1000"):
        _ok(cli, "add", f"Deal of {value}", "-v", value)
    for _ in range(2):
        _ok(cli, "add", "Own odds", "-v", "5", "--prob", "33")
    _ok(cli, "add", "In dollars", "-v", "250.5", "--currency", "USD")
    _ok(cli, "add", "Own odds in cents", "-v", "100.15", "--prob", "33")
    presented = cli.json("chart")["stages"][0]
    assert presented["count"] == 7
    assert presented["value"] == {"THB": 1110.25, "USD": 250.5}
    # 0 + 0 + 100 + 1.65 + 1.65 + 33.05 (33.0495 to the cent)
    assert presented["weighted_value"] == {"THB": 136.35, "USD": 25.05}
    lane = cli.json("board")["stages"][0]
    assert (lane["count"], lane["value"]) == (7, {"THB": 1110.25, "USD": 250.5})


def test_days_in_stage_turn_at_the_same_moment_of_the_day(cli: Any) -> None:
    """Presented's target is 7 days: 8 whole days is stale, one second less is 7 days
    and not stale, whatever offset the time was written with."""
    _ok(cli, "add", "Eight days", "--at", "2026-11-19T10:00:00+07:00")
    _ok(cli, "add", "A second short", "--at", "2026-11-19T10:00:01+07:00")
    _ok(cli, "add", "Seven in UTC", "--at", "2026-11-20T03:00:00+00:00")
    _ok(cli, "add", "Just now", "--at", "2026-11-27T09:59:59+07:00")
    cards = cli.json("board")["stages"][0]["deals"]
    assert [(c["deal_id"], c["days_in_stage"], c["stale"]) for c in cards] == [
        (1, 8, True),
        (2, 7, False),
        (3, 7, False),
        (4, 0, False),
    ]
    assert [(d["id"], d["days_over"]) for d in cli.json("stale")] == [(1, 1)]
    by_days = cli.json("list", "--sort", "days")
    assert [d["id"] for d in by_days] == [1, 2, 3, 4]


def test_urgency_overdue_longest_first_then_stale_then_due_then_ties_by_id(cli: Any) -> None:
    """Next actions overdue the longest first (the same day: by id), then the stale deals
    (the most days over first), then by due day, then the longest in the stage; equal
    deals by id; a limited board keeps the first of that order and counts them all."""
    _ok(cli, "add", "Due in 3 days", "--next", "Call", "--due", "2026-11-30")  # 1
    _ok(cli, "add", "Late 2 days", "--next", "Call", "--due", "2026-11-25")  # 2
    _ok(cli, "add", "Stale 3 days", "--at", "2026-11-17T10:00:00+07:00")  # 3
    _ok(cli, "add", "Late 5 days", "--next", "Call", "--due", "2026-11-22")  # 4
    _ok(cli, "add", "Late 2 days too", "--next", "Call", "--due", "2026-11-25")  # 5
    _ok(cli, "add", "Stale 1 day", "--at", "2026-11-19T10:00:00+07:00")  # 6
    _ok(cli, "add", "Due today", "--next", "Call", "--due", "2026-11-27")  # 7
    _ok(cli, "add", "Nothing planned", "--at", "2026-11-24T10:00:00+07:00")  # 8
    _ok(cli, "add", "Nothing planned either", "--at", "2026-11-24T10:00:00+07:00")  # 9
    _ok(cli, "add", "Stale 1 day too", "--at", "2026-11-19T10:00:00+07:00")  # 10
    expected = [4, 2, 5, 3, 6, 10, 7, 1, 8, 9]
    cards = cli.json("board", "--limit", "0")["stages"][0]["deals"]
    assert [c["deal_id"] for c in cards] == expected
    first = cli.json("board", "--limit", "4")["stages"][0]
    assert [c["deal_id"] for c in first["deals"]] == expected[:4]
    assert first["count"] == 10


def test_equal_values_go_by_id_on_the_board_by_value(cli: Any) -> None:
    for value in ("10k", "20k", "10k", "20k"):
        _ok(cli, "add", "Deal", "-v", value)
    cards = cli.json("board", "--by", "value")["stages"][0]["deals"]
    assert [c["deal_id"] for c in cards] == [2, 4, 1, 3]
