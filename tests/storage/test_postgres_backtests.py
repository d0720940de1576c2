"""The backtests the PostgreSQL server keeps (m015: storage/postgres/backtests.py) give
exactly what replaying the history gives (reports/backtest.py): a kept run is read
without replaying, the outcomes of its deals are read afresh (won, lost, reopened,
deleted since), a change written or undone before the last month start makes the next
backtest replay and keep again, and a backtest of one owner, of one pipeline of
several, or of a role that sees only its own deals replays and keeps nothing. A
database before m015 reads the same and its first write makes the tables."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from tests.file_and_server import on, pair_made_once
from tests.migrations_undone import m015_undone

from salespipe.storage.postgres.backend import PostgresView

pytestmark = pytest.mark.postgres


def _make(cli: Any, database: str) -> None:
    """A demo of one pipeline, then deals in another currency, made around a month's
    start, moved back and forth, lost and won again."""
    on(cli, database, "demo", "--seed", "7", "--deals", "150")
    newest = []
    for title, at, *options in [
        ("Just before", "2026-09-30 23:30", "--value", "99.99", "--close", "2026-10-15"),
        ("Just after", "2026-10-01 00:30", "--value", "2500.5", "--currency", "USD"),
        ("Lost then won", "2026-09-01 10:15", "--value", "1m", "--owner", "SOMCHAI"),
        ("Open, no date", "2026-09-03 09:00", "--value", "1234.55", "--prob", "35"),
    ]:  # fmt: skip
        newest.append(on(cli, database, "add", title, "--at", at, "-q", *options).stdout.strip())
    before, after, again, _undated = newest
    on(cli, database, "move", before, "3", "--at", "2026-10-05 08:00")
    on(cli, database, "won", before, "--at", "2026-10-20 12:00")
    on(cli, database, "move", after, "4", "--at", "2026-10-10 08:00")
    on(cli, database, "move", after, "2", "--at", "2026-10-20 17:45")
    on(cli, database, "lost", again, "--reason", "price", "--at", "2026-09-15 12:00")
    on(cli, database, "reopen", again, "--at", "2026-10-01 09:00")
    on(cli, database, "won", again, "--at", "2026-11-02 16:00")


both = pair_made_once(_make)


def _backtest(cli: Any, database: str, *extra: str) -> str:
    return on(cli, database, "forecast", "--backtest", "--json", *extra).stdout


def _runs(database: str) -> list[tuple[int, str]]:
    with psycopg.connect(database) as connection:
        return connection.execute(
            "SELECT run, key FROM salespipe_backtests ORDER BY run"
        ).fetchall()


def _same(cli: Any, file: str, server: str, *extra: str) -> str:
    """The server's backtest is the file's, to the byte; that JSON."""
    expected = _backtest(cli, file, *extra)
    assert _backtest(cli, server, *extra) == expected
    return expected


def test_a_kept_backtest_is_the_replay(both: tuple[str, str], cli: Any, monkeypatch) -> None:
    file, server = both
    assert _runs(server) == []
    first = _same(cli, file, server)
    assert json.loads(first)["scored_deals"] >= 20  # a verdict, from a replay worth keeping
    runs = _runs(server)
    assert len(runs) == 1
    with monkeypatch.context() as patched:
        patched.setattr(PostgresView, "change_records", _refused)
        assert _backtest(cli, server) == first
        # Text too: what a person reads is made from the same result.
        text = on(cli, server, "forecast", "--backtest").stdout
    assert text == on(cli, file, "forecast", "--backtest").stdout
    assert _runs(server) == runs


def _refused(self: PostgresView) -> Any:
    raise AssertionError("the history was replayed")


def test_outcomes_since_are_read_afresh(both: tuple[str, str], cli: Any, monkeypatch) -> None:
    """Deals open at a month start that are won, lost, reopened or deleted today change
    the scores, not what was forecast: the kept run stays and gives the replay's."""
    file, server = both
    before = _same(cli, file, server)
    (run,) = _runs(server)
    # Open now and made before October: open at the last two month starts.
    won, lost, deleted = [
        str(d["id"]) for d in cli.json("--db", file, "list") if d["created_at"] < "2026-10"
    ][:3]
    for database in both:
        on(cli, database, "won", won)
        on(cli, database, "lost", lost, "--reason", "price")
        on(cli, database, "delete", deleted, "--yes")
    with monkeypatch.context() as patched:
        patched.setattr(PostgresView, "change_records", _refused)
        after = _same(cli, file, server)
    assert after != before  # the outcomes counted
    assert _runs(server) == [run]
    for database in both:
        on(cli, database, "undo")  # the deletion, brought back today
        on(cli, database, "reopen", won)
    with monkeypatch.context() as patched:
        patched.setattr(PostgresView, "change_records", _refused)
        _same(cli, file, server)
    assert _runs(server) == [run]


def _delete_the_deal_won_in_october(cli: Any, both: tuple[str, str]) -> None:
    """Delete "Just before" (open on 1 October, won on the 20th) on the file and server."""
    file, _server = both
    won = next(
        str(d["id"])
        for d in cli.json("--db", file, "list", "--status", "won")
        if d["title"] == "Just before"
    )
    for database in both:
        on(cli, database, "delete", won, "--yes")


def test_a_deal_won_in_a_month_and_deleted_since_still_counts_its_win(
    both: tuple[str, str], cli: Any, monkeypatch
) -> None:
    """A deal open at a month start and won within the month, deleted since, was in the
    month's forecast and in what the history method learned, but its win was not
    counted (an audit): the month's won, MAE and Brier scores changed with a deletion
    made weeks later. Deleting it now changes nothing, on the replay and on the kept run."""
    file, server = both
    before = _same(cli, file, server)
    (run,) = _runs(server)
    _delete_the_deal_won_in_october(cli, both)
    with monkeypatch.context() as patched:
        patched.setattr(PostgresView, "change_records", _refused)
        assert _same(cli, file, server) == before
    assert _runs(server) == [run]


def test_a_deletion_takes_nothing_back_in_a_pipeline_of_several(
    both: tuple[str, str], cli: Any
) -> None:
    """With a second pipeline, a pipeline's backtest read only the deals now in it: a
    deal won in October and deleted since left the forecast and the outcomes both (a
    review of 64fa447). A pipeline's slips still leave it out, alike on both."""
    file, server = both
    for database in both:
        on(cli, database, "pipeline", "add", "Renewals")
    before = _same(cli, file, server)
    _delete_the_deal_won_in_october(cli, both)
    assert _same(cli, file, server) == before
    assert on(cli, file, "slips", "--json").stdout == on(cli, server, "slips", "--json").stdout


@pytest.mark.parametrize(
    "change",
    [
        ("add", "Back-dated", "--at", "2026-09-15 09:00", "--value", "70000", "-q"),
        ("move", "154", "4", "--at", "2026-09-28 10:00"),  # "Open, no date"
        ("import", "{csv}"),
    ],
    ids=["add", "move", "import"],
)
def test_a_change_before_the_last_month_start_is_replayed_and_kept_again(
    both: tuple[str, str], cli: Any, tmp_path, change: tuple[str, ...]
) -> None:
    file, server = both
    _same(cli, file, server)
    (first,) = _runs(server)
    csv = tmp_path / "deals.csv"
    csv.write_text("title,value,stage,created\nImported,5000,quoted,2026-09-10\n")
    for database in both:
        on(cli, database, *(a.format(csv=csv) for a in change))
    _same(cli, file, server)
    (second,) = _runs(server)
    assert second[0] != first[0]  # replayed, and kept again
    for database in both:
        on(cli, database, "undo")
    _same(cli, file, server)
    (third,) = _runs(server)
    assert third[0] != second[0]  # the undo took back events before it: replayed again


def test_a_change_of_today_keeps_the_run(both: tuple[str, str], cli: Any) -> None:
    """A deal's change, a setting and their undo, made today: the run holds (a change of
    the stages makes the next backtest replay, as the test above shows)."""
    file, server = both
    _same(cli, file, server)
    runs = _runs(server)
    for database in both:
        on(cli, database, "add", "Today", "--value", "5000", "-q")
        on(cli, database, "config", "set", "currency", "USD")
        on(cli, database, "edit", "1", "--value", "123456")
        on(cli, database, "undo")
    _same(cli, file, server)
    assert _runs(server) == runs


def test_a_change_of_a_stage_made_after_a_month_start_is_replayed(
    both: tuple[str, str], cli: Any
) -> None:
    """A stage made today that back-dated deals were in at a month start is read as it
    is now (timeline.roll_back_stages): its probability set today changes what that
    month start forecast, and so does its undo, and switching it off (a review found
    the kept run read again after each)."""
    file, server = both
    for database in both:
        on(cli, database, "stage", "add", "Pilot", "--prob", "30", "--after", "quoted")
        on(
            cli, database, "add", "Back deal", "--stage", "Pilot", "--value", "5m",
            "--close", "2026-10-20", "--at", "2026-09-15 10:00", "-q",
        )  # fmt: skip
    runs = [_runs(server)]
    for change in (
        ("stage", "set", "Pilot", "--prob", "90"),
        ("undo",),
        ("stage", "disable", "Pilot", "--move-to", "quoted"),
    ):
        _same(cli, file, server, "--months", "2")
        runs.append(_runs(server))
        for database in both:
            on(cli, database, *change)
    _same(cli, file, server, "--months", "2")
    runs.append(_runs(server))
    kept = [run[0][0] for run in runs[1:]]
    assert len(set(kept)) == len(kept)  # each change made the next one replay


def test_each_months_and_time_zone_is_a_run_of_its_own(
    both: tuple[str, str], cli: Any, monkeypatch
) -> None:
    file, server = both
    for months in ("6", "3", "2"):
        _same(cli, file, server, "--months", months)
    assert len(_runs(server)) == 3
    monkeypatch.setenv("TZ", "Europe/Berlin")
    import time

    time.tzset()
    _same(cli, file, server, "--months", "3")
    keys = [key for _, key in _runs(server)]
    assert len(keys) == 3  # at most three kept: the oldest went
    assert any("+01:00" in key or "+02:00" in key for key in keys)


def test_a_run_kept_in_another_time_zone_with_the_same_cutoffs_is_not_read(
    both: tuple[str, str], cli: Any, monkeypatch
) -> None:
    """London and Lagos share every cutoff of these months (+01:00: summer time in
    London) but October ends an hour apart (London is back on +00:00): a deal won at
    00:30 on 1 November in Lagos was won in October in London. A review found Lagos
    reading London's run, with London's October won."""
    import time

    def zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    file, server = both
    zone("Africa/Lagos")
    for database in both:
        added = on(
            cli, database, "add", "Midnight", "--value", "777", "--at", "2026-09-20 10:00", "-q"
        )
        deal = added.stdout.strip()
        on(cli, database, "won", deal, "--at", "2026-11-01 00:30")
    zone("Europe/London")
    london = _same(cli, file, server)
    zone("Africa/Lagos")
    lagos = _same(cli, file, server)
    october = [json.loads(text)["by_month"][-1] for text in (london, lagos)]
    assert october[0]["won"] == october[1]["won"] + 777
    assert len(_runs(server)) == 2


def test_a_run_kept_when_open_deals_counted_every_currency_is_not_read(
    both: tuple[str, str], cli: Any
) -> None:
    """ "Open deals" counted the deals of every currency open at a month start, where
    the money columns count the main currency's (a forecasting trial). A run kept by
    that release (backtest-1) is not read: here its months count every currency's deals
    as the main one's, as its table showed them, and the backtest still gives the
    replay's and keeps a run of its own."""
    from salespipe.reports import backtest

    file, server = both
    for database in both:
        on(cli, database, "add", "Dollars", "--value", "5000", "--currency", "USD",
           "--at", "2026-09-10 10:00", "-q")  # fmt: skip
    replayed = _same(cli, file, server)
    [(run, key)] = _runs(server)
    assert key.startswith(f"{backtest.KEPT_FORMAT} ")
    with psycopg.connect(server) as connection:
        (kept,) = connection.execute(
            "SELECT kept FROM salespipe_backtests WHERE run = %s", (run,)
        ).fetchone() or (None,)
        for month in kept["months"]:
            month["counts"] = {"THB": sum(month["counts"].values())}
        connection.execute(
            "UPDATE salespipe_backtests SET key = %s, kept = %s::json WHERE run = %s",
            ("backtest-1" + key.removeprefix(backtest.KEPT_FORMAT), json.dumps(kept), run),
        )
    assert _backtest(cli, server) == replayed
    assert [key for _, key in _runs(server)][1:] == [key]  # replayed and kept again


def test_one_owner_and_one_pipeline_of_several_are_replayed(
    both: tuple[str, str], cli: Any
) -> None:
    file, server = both
    _same(cli, file, server, "--owner", "SOMCHAI")
    assert _runs(server) == []
    for database in both:
        on(cli, database, "pipeline", "add", "Renewals", "--stages", "copy-of", "Sales")
    _same(cli, file, server)
    _same(cli, file, server, "-P", "Renewals")
    assert _runs(server) == []


def test_a_database_before_m015_reads_the_same_and_a_write_makes_the_tables(
    both: tuple[str, str], cli: Any
) -> None:
    file, server = both
    m015_undone(server)
    _same(cli, file, server)
    for database in both:
        on(cli, database, "add", "After the upgrade", "--value", "100", "-q")
    _same(cli, file, server)
    assert len(_runs(server)) == 1


def test_a_copy_over_the_database_drops_its_kept_runs(
    both: tuple[str, str], cli: Any, tmp_path
) -> None:
    """`copy --replace` puts another pipeline in place: the runs kept of the one before
    go with it, even one whose month starts the new pipeline's events all come after."""
    file, server = both
    _same(cli, file, server)
    other = str(tmp_path / "other.json")
    on(cli, other, "add", "Only today", "--value", "100", "-q")
    on(cli, other, "copy", other, server, "--replace")
    assert _runs(server) == []
    _same(cli, other, server)


def test_a_month_whose_midnight_falls_in_a_clock_change(
    cli: Any, pg_database: str, tmp_path, monkeypatch
) -> None:
    """Asunción moved its clocks at the midnight October 2023 began: Python places that
    midnight at 23:00 the evening before, an hour before the cutoff. A review found a
    deal added at 23:30 that evening left the kept run standing (it counts in the month
    start), and a deal won at 23:30 counted in October by a kept run and in September by
    the replay."""
    import time

    monkeypatch.setenv("TZ", "America/Asuncion")
    monkeypatch.setenv("SALESPIPE_NOW", "2023-11-10T10:00:00-03:00")
    time.tzset()
    file, server = str(tmp_path / "asuncion.json"), pg_database
    on(cli, file, "demo", "--deals", "300", "--seed", "3")
    on(cli, file, "copy", file, server)
    _same(cli, file, server, "--months", "1")
    for database in (file, server):
        on(cli, database, "add", "Late deal", "--value", "5m", "--close", "2023-10-20",
           "--at", "2023-09-30 23:30")  # fmt: skip
    _same(cli, file, server, "--months", "1")
    for database in (file, server):
        on(cli, database, "reopen", "261", "--at", "2023-09-30 22:00")
        on(cli, database, "won", "261", "--at", "2023-09-30 23:30")
    _same(cli, file, server, "--months", "2")
    for database in (file, server):
        on(cli, database, "note", "261", "called")
    kept = _runs(server)
    assert _same(cli, file, server, "--months", "2")
    assert _runs(server) == kept  # read, with deal 261 counted again
