"""The history reports' totals added up by the PostgreSQL server
(storage/postgres/history.py) are exactly the default ones (storage/history.py ``fold_records``)
over the same deals: several owners written in other cases and scripts, two pipelines,
currencies, values with cents, lost reasons typed differently, a disabled stage with
history in it, ongoing stays, periods cutting through the history; and the four
reports read the same, ``--json`` and text, on a file and on its copy in a server."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from tests.file_and_server import all_agree, doctor, on, pair_made_once
from tests.migrations_undone import m005_undone, m007_undone

from conftest import NOW  # the tests' clock
from salespipe.app.pipeline import Pipeline
from salespipe.core.tally import Period
from salespipe.storage.history import Asks, Totals, fold_records, stays_in
from salespipe.storage.queries import OpenWhere

pytestmark = pytest.mark.postgres


def _make(cli: Any, database: str) -> None:
    """A demo, then deals of other owners, currencies and a second pipeline, reasons
    typed three ways, and a stage disabled after deals went through it."""
    on(cli, database, "demo", "--seed", "7", "--deals", "120")
    on(cli, database, "pipeline", "add", "Renewals", "--stages", "copy-of", "Sales")
    newest = []
    for title, *options in [
        ("ต่ออายุ", "--owner", "สมชาย", "--value", "99.99", "-P", "Renewals"),
        ("Renewal USD", "--owner", "Émilie", "--value", "2500.5", "--currency", "USD"),
        ("Cents", "--owner", "émilie", "--value", "0.05", "--currency", "USD"),
        ("Big", "--owner", "SOMCHAI", "--value", "1m"),
        ("Lost early", "--owner", "somchai", "--value", "1234.55"),
    ]:
        added = on(cli, database, "add", title, "--at", "2026-09-01 10:15", "-q", *options)
        newest.append(added.stdout.strip())
    first = str(cli.json("--db", database, "list", "--status", "lost", "--sort", "id")[0]["id"])
    on(cli, database, "move", newest[0], "2", "--at", "2026-09-03 08:00")
    on(cli, database, "move", newest[1], "3", "--at", "2026-09-20 17:45")
    on(cli, database, "won", newest[1], "--at", "2026-10-02 11:00")
    on(cli, database, "lost", newest[2], "--reason", "  price   too HIGH ")
    on(cli, database, "lost", newest[4], "--reason", "Price too high", "--at", "2026-11-20")
    on(cli, database, "reopen", first)
    on(cli, database, "lost", first, "--reason", "ราคาสูง")
    on(cli, database, "stage", "disable", "approved", "--move-to", "negotiating")


both = pair_made_once(_make)


WHERES = [
    OpenWhere(),
    OpenWhere(owner="somchai"),
    OpenWhere(owner="ÉMILIE"),
    OpenWhere(owner="สมชาย"),
    OpenWhere(owner="nobody at all"),
    OpenWhere(stages=frozenset({"presented", "considering"})),
    OpenWhere(owner="Somchai", stages=frozenset({"quoted"})),
    OpenWhere(stages=frozenset()),
]
PERIODS = [
    Period(),
    Period(since=date(2026, 9, 1)),
    Period(until=date(2026, 10, 2)),
    Period(since=date(2026, 10, 2), until=date(2026, 11, 20)),
]


def _name(where: OpenWhere) -> str:
    stages = "-" if where.stages is None else "+".join(sorted(where.stages)) or "none"
    return f"{where.owner or '-'}/{stages}"


def _comparable(totals: Totals) -> dict[str, Any]:
    """The totals, in an order that does not depend on how they were added up."""
    return {
        "closed": sorted(totals.closed),
        "closed_repr": sorted(repr(part) for part in totals.closed),  # 0.05, not 0.050
        "stays": totals.stays,
        "cohort": totals.cohort,
    }


@pytest.mark.parametrize("where", WHERES, ids=_name)
def test_the_servers_totals_are_the_folds(both: tuple[str, str], where: OpenWhere) -> None:
    server = Pipeline.open(both[1]).read()
    stages = server.stages()
    test, owners = where.test(), where._replace(stages=None).test()
    every = list(Pipeline.open(both[0]).read().all_records())
    records = [r for r in every if not test or test(r)]
    owned = [r for r in every if not owners or owners(r)]  # the stays: wherever they are now
    ranks = tuple(s.key for s in stages if s.pipeline == stages[0].pipeline)
    for now in (datetime.fromisoformat(NOW), datetime.fromisoformat("2027-03-01T00:00:00+00:00")):
        stays = stays_in(fold_records(owned, stages, Asks(now, stays=True)).stays, where.stages)
        for period in PERIODS:
            for by in (None, "owner", "month", "stage", "reason"):
                asks = Asks(now, period, by, True, True, cohort=period, ranks=ranks)
                got = server.history_totals(where, asks)
                assert got is not None
                expected = replace(fold_records(records, stages, asks), stays=stays)
                assert _comparable(got) == _comparable(expected)


def test_the_median_and_mean_are_the_folds_floats(both: tuple[str, str]) -> None:
    """Bit for bit: the days of odd lengths, of an even and an odd number of stays."""
    server = Pipeline.open(both[1]).read()
    stages = server.stages()
    asks = Asks(datetime.fromisoformat(NOW), stays=True)
    got = server.history_totals(OpenWhere(), asks)
    assert got is not None
    expected = fold_records(Pipeline.open(both[0]).read().all_records(), stages, asks).stays
    assert {key: (s.median_days, s.mean_days) for key, s in got.stays.items()} == {
        key: (s.median_days, s.mean_days) for key, s in expected.items()
    }
    assert {s.stays % 2 for s in got.stays.values()} == {0, 1}
    assert any(s.median_days is not None and s.median_days % 1 for s in got.stays.values())


REPORTS = [
    ("report",),
    ("report", "--since", "2026-09-01", "--until", "2026-11-20"),
    ("report", "--owner", "SOMCHAI"),
    ("report", "--pipeline", "all"),
    ("report", "--pipeline", "renewals"),
    ("winrate",),
    ("winrate", "--by", "owner"),
    ("winrate", "--by", "month", "--since", "2026-10-02"),
    ("winrate", "--by", "stage", "--pipeline", "all"),
    ("winrate", "--by", "reason"),
    ("winrate", "--by", "reason", "--owner", "somchai", "--until", "2026-11-20"),
    ("durations",),
    ("durations", "--owner", "émilie"),
    ("durations", "--pipeline", "all"),
    ("funnel",),
    ("funnel", "--since", "2026-09-01"),
    ("funnel", "--owner", "สมชาย", "--pipeline", "renewals"),
    ("funnel", "--pipeline", "all"),
    ("report", "--owner", "nobody at all"),
]


def test_the_reports_read_the_same_on_the_server(both: tuple[str, str], cli: Any) -> None:
    for args in REPORTS:
        for lang in ("en", "th"):
            for shown in ((), ("--json",)):
                file, server = (
                    cli("--db", database, "--lang", lang, *args, *shown) for database in both
                )
                assert file.exit_code == 0, file.stderr
                assert (server.exit_code, server.stdout, server.stderr) == (
                    file.exit_code,
                    file.stdout,
                    file.stderr,
                ), args


def test_the_server_adds_them_up(
    both: tuple[str, str], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No record of every deal is read: the server answers the reports' questions."""
    from salespipe.storage.postgres.backend import PostgresView

    def no_records(self: Any) -> Any:
        raise AssertionError("every record was read")

    monkeypatch.setattr(PostgresView, "all_records", no_records)
    monkeypatch.setattr(PostgresView, "closed_records", no_records)
    for args in REPORTS:
        assert cli("--db", both[1], *args, "--json").exit_code == 0, args


def test_a_replayed_day_is_still_folded(both: tuple[str, str], cli: Any) -> None:
    """--as-of replays the history, on the server as on the file."""
    for args in (("report",), ("winrate", "--by", "owner"), ("durations",), ("funnel",)):
        file, server = (on(cli, d, *args, "--as-of", "2026-10-15", "--json") for d in both)
        assert server.stdout == file.stdout


def test_a_database_before_m005_reads_the_same_and_a_write_upgrades_it(
    both: tuple[str, str], cli: Any
) -> None:
    """A reader of a database no write has migrated yet folds the records; the first
    write adds m005's columns to the deals already there, and the server's totals are
    then the same."""
    file, server = both
    m005_undone(server)
    reports = [("report",), ("winrate", "--by", "reason"), ("durations",), ("funnel",)]
    for args in reports:
        assert on(cli, server, *args, "--json").stdout == on(cli, file, *args, "--json").stdout
    for database in both:
        on(cli, database, "add", "After the upgrade", "--value", "10", "--at", "2026-11-26")
    assert "m005_history_columns" in {
        name for (name,) in _rows(server, "SELECT name FROM salespipe_migrations")
    }
    for args in reports:
        assert on(cli, server, *args, "--json").stdout == on(cli, file, *args, "--json").stdout


def _rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(database) as connection:
        return connection.execute(sql).fetchall()


def _open_ids(cli: Any, database: str) -> list[str]:
    return [str(d["id"]) for d in cli.json("--db", database, "list", "--sort", "id")]


def _stays_are_the_folds(database: str) -> None:
    """The server's stays per stage, of every deal and of some picked, are the fold's
    over the server's own records."""
    server = Pipeline.open(database).read()
    stages = server.stages()
    records = list(server.all_records())
    for where in WHERES:
        # Every stay in the stages asked, of the owner's deals wherever they are now.
        test = where._replace(stages=None).test()
        asks = Asks(datetime.fromisoformat(NOW), stays=True)
        got = server.history_totals(where, asks)
        assert got is not None
        expected = fold_records([r for r in records if not test or test(r)], stages, asks)
        assert got.stays == stays_in(expected.stays, where.stages), where


def test_a_database_before_m007_reads_the_same_and_a_write_upgrades_it(
    both: tuple[str, str], cli: Any
) -> None:
    """Before m007 the server adds the stays up from m005's columns; the first write
    makes the stays of the deals already there, with the same answers."""
    file, server = both
    m007_undone(server)
    assert doctor(cli, server)["checks"] == ["slips", "slip days"]  # no stays kept yet
    _stays_are_the_folds(server)
    reports = [("report",), ("durations",), ("durations", "--owner", "émilie")]
    for args in reports:
        assert on(cli, server, *args, "--json").stdout == on(cli, file, *args, "--json").stdout
    newest = _open_ids(cli, server)[-1]
    for database in both:
        on(cli, database, "move", newest, "3", "--at", "2026-11-26")
    assert "m007_stays" in {
        name for (name,) in _rows(server, "SELECT name FROM salespipe_migrations")
    }
    assert _rows(server, "SELECT count(*) > 100 FROM salespipe_stays") == [(True,)]
    assert doctor(cli, server)["differences"] == []
    _stays_are_the_folds(server)
    for args in reports:
        assert on(cli, server, *args, "--json").stdout == on(cli, file, *args, "--json").stdout


def test_the_stays_follow_every_kind_of_write(both: tuple[str, str], cli: Any) -> None:
    """Moves, closes, reopens, edits, deletions, undo and a copy over it all keep the
    stays table as the deals are (doctor finds nothing), and its totals the fold's."""
    file, server = both
    first, second, third, fourth, fifth, sixth, *_ = _open_ids(cli, server)
    for args in [
        ("move", first, "4"),
        ("won", second),
        ("lost", third, "--reason", "timing"),
        ("reopen", third),
        ("edit", fourth, "--owner", "somchai"),
        ("delete", fifth, "--yes"),
        ("undo",),
        ("delete", sixth, "--yes"),
        ("add", "Fresh", "--value", "5"),
    ]:
        on(cli, server, *args)
        assert doctor(cli, server)["differences"] == [], args
    _stays_are_the_folds(server)
    on(cli, server, "copy", file, server, "--replace")
    assert doctor(cli, server) == all_agree(server)
    _stays_are_the_folds(server)


def test_doctor_finds_stays_that_differ_and_rebuilds_them(both: tuple[str, str], cli: Any) -> None:
    _, server = both
    one = "WHERE ctid = (SELECT min(ctid) FROM {table}) RETURNING 1"
    changed = _rows(
        server, "UPDATE salespipe_stays SET owner = 'x' " + one.format(table="salespipe_stays")
    )
    changed += _rows(
        server,
        "UPDATE salespipe_stay_days SET stays = stays + 1 "
        + one.format(table="salespipe_stay_days"),
    )
    assert changed == [(1,), (1,)]
    found = doctor(cli, server)
    assert found["differences"] == [
        {"check": "stays", "text": "1 stay of the deals is not in the stays table"},
        {"check": "stays", "text": "1 stay in the stays table is of no deal as it is now"},
        {"check": "stay days", "text": "1 day total of the stays differs from them"},
    ]
    text = cli("--db", server, "doctor")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[-1] == (
        "3 differences; salespipe doctor --fix rebuilds them from the deals."
    )
    thai = cli("--db", server, "--lang", "th", "doctor")
    assert "สร้างใหม่จากดีลได้" in thai.stdout
    fixed = cli("--db", server, "doctor", "--fix")
    assert fixed.exit_code == 0
    assert fixed.stdout.splitlines()[-1] == "Fixed 3 differences: rebuilt from the deals."
    clean = cli("--db", server, "doctor")
    assert clean.stdout.strip() == (
        f"{server}: 4 derived structures checked, all agree with the deals."
    )
    _stays_are_the_folds(server)
