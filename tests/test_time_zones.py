"""A team in several time zones (or a cron machine on UTC): every report reads a stored
time in the reader's zone, so one win is in one month and one day, whoever wrote it.

A time is stored with its writer's offset; these deals are written in New York and
read in Bangkok, twelve hours ahead, where a win on 31 January at 23:30 in New York is
on 1 February at 11:30."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.usefixtures("each_backend")


def _in_zone(monkeypatch: pytest.MonkeyPatch, zone: str, now: str) -> None:
    monkeypatch.setenv("TZ", zone)
    monkeypatch.setenv("SALESPIPE_NOW", now)
    time.tzset()


@pytest.fixture
def won_in_new_york(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deal 1 made on 10 January and won at 23:30 on 31 January, New York time; the
    reader is then in Bangkok on 15 February."""
    _in_zone(monkeypatch, "America/New_York", "2026-01-10T12:00:00+00:00")
    assert cli("init", "--lang", "en").exit_code == 0
    assert cli("add", "Ny1", "--value", "100k", "-q").exit_code == 0
    _in_zone(monkeypatch, "America/New_York", "2026-02-10T12:00:00+00:00")
    assert cli("won", "1", "--at", "2026-01-31 23:30").exit_code == 0
    _in_zone(monkeypatch, "Asia/Bangkok", "2026-02-15T12:00:00+00:00")


def test_a_win_is_in_the_readers_month_in_every_report(cli, won_in_new_york) -> None:
    by_month = cli.json("winrate", "--by", "month")
    assert [(g["group"], g["won"]) for g in by_month["groups"]] == [("2026-02", 1)]
    february = cli.json("winrate", "--since", "2026-02-01", "--until", "2026-02-28")
    january = cli.json("winrate", "--since", "2026-01-01", "--until", "2026-01-31")
    assert (february["won"], january["won"]) == (1, 0)
    rows = {row["period"]: row for row in cli.json("forecast", "--months", "2")["rows"]}
    assert (rows["2026-02"]["won_count"], rows["2026-02"]["won_value"]) == (1, {"THB": 100000})
    assert rows["2026-01"]["won_count"] == 0


def test_show_and_log_give_times_where_the_reader_is(cli, won_in_new_york) -> None:
    shown = cli("show", "1").stdout
    assert "2026-01-10 19:00" in shown  # made at 07:00 in New York
    assert "2026-02-01 11:30" in shown  # won at 23:30 on 31 January there
    logged = cli("log", "--since", "2026-02-01").stdout
    assert "2026-02-01 11:30" in logged
    assert " won " in logged


def test_the_backtest_counts_the_win_in_the_readers_month(
    cli, won_in_new_york, monkeypatch: pytest.MonkeyPatch
) -> None:
    _in_zone(monkeypatch, "Asia/Bangkok", "2026-03-20T12:00:00+00:00")
    months = cli.json("forecast", "--backtest", "--months", "2")["by_month"]
    assert [(m["month"], m["deals"], m["won"]) for m in months] == [
        ("2026-01", 0, 0),
        ("2026-02", 1, 100000),
    ]
