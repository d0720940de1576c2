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


def test_the_range_table_leaves_out_a_currency_whose_range_is_one_value(cli: Any) -> None:
    """A "USD 5,000 / 5,000 / 5,000" line stood under a month whose baht range differed:
    the table is of the ranges that are not one value."""
    assert cli("add", "A", "-v", "100000", "--close", "2027-01-15").exit_code == 0
    assert cli("add", "B", "-v", "5000", "--currency", "USD", "--close", "2027-01-20",
               "--prob", "100").exit_code == 0  # fmt: skip
    shown = cli("forecast").stdout
    ranges = shown.split("Range of the won value", 1)[1].split("one time in 10", 1)[0]
    assert "฿100,000" in ranges
    assert "USD" not in ranges


def test_a_range_under_one_baht_shows_its_satang(cli: Any) -> None:
    """The range row of deals worth 70 satang read "฿0 ฿0 ฿1", and the chart "฿0 (฿0 /
    ฿0 / ฿1)": an amount under one baht was rounded to nothing (a forecasting trial)."""
    assert cli("add", "A", "-v", "0.40", "--close", "2027-01-10", "--prob", "50").exit_code == 0
    assert cli("add", "B", "-v", "0.30", "--close", "2027-01-12", "--prob", "50").exit_code == 0
    for lang, title in (("en", "Range of the won value"), ("th", "ช่วงของยอดที่ปิดได้")):
        shown = cli("--lang", lang, "forecast", "--width", "100").stdout
        ranges = shown.split(title, 1)[1].split("\n")[2]
        assert ranges.split()[-3:] == ["฿0", "฿0.30", "฿0.70"], shown  # (after the month)
        assert "฿0.35 (฿0 / ฿0.30 / ฿0.70)" in shown


def test_the_backtest_counts_the_open_deals_its_money_columns_count(cli: Any) -> None:
    """Under "Backtest: …, THB" the Open deals column counted the deals of every
    currency, the money columns only the baht ones (a forecasting trial)."""
    for title, value, currency in [("A", "100000", "THB"), ("B", "200000", "THB"),
                                   ("C", "5000", "USD")]:  # fmt: skip
        added = ["--value", value, "--currency", currency, "--close", "2026-10-20"]
        assert cli("add", title, *added, "--at", "2026-09-10 10:00", "-q").exit_code == 0
    assert cli("won", "1", "--at", "2026-10-15 10:00").exit_code == 0
    result = cli.json("forecast", "--backtest", "--months", "2")
    assert result["currency"] == "THB"
    assert [(m["month"], m["deals"]) for m in result["by_month"]] == [
        ("2026-09", 0),
        ("2026-10", 2),
    ]
    shown = cli("forecast", "--backtest", "--months", "2").stdout
    assert "2026-10           2  " in shown, shown
