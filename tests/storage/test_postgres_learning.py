"""The learning reports' totals added up by the PostgreSQL server
(storage/postgres/learning.py) are exactly the default ones (storage/history.py
``fold_records``) over the same deals: the deals won per month, the walks through the stages,
the days from each stage to the win (bit for bit), the open deals a forecast reads;
of several owners written in other cases and scripts, two pipelines, currencies,
a disabled stage, moves back, a deal lost and then won, deals made around a day's
start. ``forecast``, ``calibrate`` and ``report --html`` read the same, ``--json``,
text and page, on a file and on its copy in a server, and read no deal's record."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.file_and_server import on, pair_made_once
from tests.migrations_undone import m008_undone
from tests.test_learning_cli import CLOSED_WITHOUT_STAGE

from conftest import NOW  # the tests' clock
from salespipe.app.pipeline import Pipeline
from salespipe.core.model import Record
from salespipe.core.tally import value_of
from salespipe.storage.history import FORECAST_FIELDS, Asks, Totals, fold_records
from salespipe.storage.queries import OpenWhere

pytestmark = pytest.mark.postgres


def _make(cli: Any, database: str) -> None:
    """A demo, then deals of other owners, currencies and a second pipeline that move
    back, are lost and won again, or are made just before and after a day began; and a
    stage disabled after deals went through it."""
    on(cli, database, "demo", "--seed", "11", "--deals", "150")
    on(cli, database, "pipeline", "add", "Renewals", "--stages", "copy-of", "Sales")
    newest = []
    for title, at, *options in [
        ("ต่ออายุ", "2026-08-31 23:30", "--owner", "สมชาย", "--value", "99.99", "-P", "Renewals"),
        ("Back and forth", "2026-09-01 00:30", "--owner", "Émilie", "--value", "2500.5",
         "--currency", "USD"),
        ("Lost then won", "2026-09-01 10:15", "--owner", "SOMCHAI", "--value", "1m"),
        ("Won at once", "2026-09-02 09:00", "--owner", "somchai", "--value", "0.05",
         "--currency", "USD", "--close", "2026-12-15"),
        ("Open, no date", "2026-09-03 09:00", "--owner", "émilie", "--value", "1234.55",
         "--prob", "35"),
    ]:  # fmt: skip
        added = on(cli, database, "add", title, "--at", at, "-q", *options)
        newest.append(added.stdout.strip())
    renewal, back, again, once, _undated = newest
    on(cli, database, "move", renewal, "3", "--at", "2026-09-05 08:00")
    on(cli, database, "won", renewal, "--at", "2026-10-01 00:10")
    on(cli, database, "move", back, "4", "--at", "2026-09-10 08:00")
    on(cli, database, "move", back, "2", "--at", "2026-09-20 17:45")
    on(cli, database, "move", back, "4", "--at", "2026-10-02 11:00")
    on(cli, database, "won", back, "--at", "2026-10-30 23:59")
    on(cli, database, "move", again, "3", "--at", "2026-09-11 12:00")
    on(cli, database, "lost", again, "--reason", "price", "--at", "2026-09-15 12:00")
    on(cli, database, "reopen", again, "--at", "2026-10-01 09:00")
    on(cli, database, "won", again, "--at", "2026-11-02 16:00")
    on(cli, database, "won", once, "--at", "2026-09-02 09:00")
    on(cli, database, "stage", "disable", "approved", "--move-to", "negotiating")
    # Deals imported closed from a stage not known (as Salesforce writes "Closed Won"):
    # they walk no stage, and win no days from one (m018); one reopened walks from then.
    sheet = Path(database).with_name("closed.csv")
    sheet.write_text(CLOSED_WITHOUT_STAGE, encoding="utf-8")
    on(cli, database, "import", str(sheet))
    reopened = str(
        max(
            d["id"]
            for d in json.loads(on(cli, database, "list", "--json", "--status", "lost").stdout)
        )
    )
    on(cli, database, "reopen", reopened, "--stage", "quoted", "--reason", "back")
    on(cli, database, "won", reopened)


both = pair_made_once(_make)


WHERES = [
    OpenWhere(),
    OpenWhere(owner="somchai"),
    OpenWhere(owner="ÉMILIE"),
    OpenWhere(owner="สมชาย"),
    OpenWhere(owner="nobody at all"),
    OpenWhere(stages=frozenset({"presented", "considering", "negotiating"})),
    OpenWhere(owner="Somchai", stages=frozenset({"quoted"})),
    OpenWhere(stages=frozenset()),
]
# The first day of the history, the days around the made-just-before-and-after deals,
# one after all of them.
SINCE = [None, date(2026, 9, 1), date(2026, 9, 2), date(2027, 1, 1)]
MONTHS = frozenset({"2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"})


def _name(where: OpenWhere) -> str:
    stages = "-" if where.stages is None else "+".join(sorted(where.stages)) or "none"
    return f"{where.owner or '-'}/{stages}"


def _forecast_fields(record: Record) -> dict[str, Any]:
    """What a forecast reads of an open deal (its value as the number it is)."""
    kept = {key: record[key] for key in FORECAST_FIELDS if record.get(key) is not None}
    kept["value"] = value_of(record)
    return kept


def _comparable(totals: Totals) -> dict[str, Any]:
    """The totals, in an order that does not depend on how they were added up."""
    return {
        "won": sorted(repr(part) for part in totals.won),  # 0.05, not 0.050
        "walks": totals.walks,
        "days_to_won": totals.days_to_won,  # floats compared bit for bit
        "pipeline": [_forecast_fields(record) for record in totals.pipeline],
    }


@pytest.mark.parametrize("where", WHERES, ids=_name)
def test_the_servers_learning_totals_are_the_folds(both: tuple[str, str], where: OpenWhere) -> None:
    server = Pipeline.open(both[1]).read()
    stages = server.stages()
    test = where.test()
    records = [r for r in Pipeline.open(both[0]).read().all_records() if not test or test(r)]
    now = datetime.fromisoformat(NOW)
    for since in SINCE:
        asks = Asks(
            now,
            won_months=MONTHS,
            walks=True,
            days_to_won=True,
            open_deals=True,
            made_since=since,
        )
        got = server.history_totals(where, asks)
        assert got is not None
        assert _comparable(got) == _comparable(fold_records(records, stages, asks)), since


def test_the_data_has_what_the_comparison_needs(both: tuple[str, str]) -> None:
    """Moves back, a stay continued after a reopen, days with a fraction, and deals
    made on either side of the start of 2026-09-01 by the time as written."""
    file = Pipeline.open(both[0]).read()
    asks = Asks(datetime.fromisoformat(NOW), walks=True, days_to_won=True)
    totals = fold_records(file.all_records(), file.stages(), asks)
    assert any(len(set(path)) < len(path) for path, _status in totals.walks)
    assert any(days % 1 for lengths in totals.days_to_won.values() for days in lengths)
    assert {((), "won"), ((), "lost")} <= set(totals.walks)  # of no known stage
    made = {r["title"]: r["created_at"] for r in file.all_records()}
    assert made["ต่ออายุ"][:10] == "2026-08-31"
    assert made["Back and forth"][:10] == "2026-09-01"
    # The two are less than a day apart: only their text tells them apart.
    apart = datetime.fromisoformat(made["Back and forth"]) - datetime.fromisoformat(made["ต่ออายุ"])
    assert apart.days == 0


REPORTS = [
    ("forecast",),
    ("forecast", "--months", "2"),
    ("forecast", "--method", "history"),
    ("forecast", "--method", "history", "--months", "5", "--owner", "ÉMILIE"),
    ("forecast", "--owner", "somchai", "--pipeline", "renewals"),
    ("forecast", "--method", "history", "--pipeline", "all"),
    ("calibrate",),
    ("calibrate", "--since", "2026-09-01"),
    ("calibrate", "--since", "2026-09-02", "--owner", "somchai"),
    ("calibrate", "--pipeline", "all"),
    ("calibrate", "--pipeline", "renewals"),
    ("forecast", "--owner", "nobody at all"),
]
# Besides: what else counts deals per stage, and the backtest's chain (which replays
# the events rather than adding up totals).
PER_STAGE = [
    ("forecast", "--backtest"),
    ("winrate", "--by", "stage", "--since", "2026-01-01"),
    ("funnel", "--since", "2026-01-01"),
]
PAGES = [
    ("report", "--html", "-"),
    ("report", "--html", "-", "--since", "2026-09-01", "--owner", "SOMCHAI"),
    ("report", "--html", "-", "--pipeline", "all"),
    ("forecast", "--html", "-", "--method", "history"),
    ("forecast", "--html", "-", "--pipeline", "all"),
]


def test_the_reports_read_the_same_on_the_server(both: tuple[str, str], cli: Any) -> None:
    for args in [*REPORTS, *PER_STAGE]:
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


def test_the_pages_are_the_same_bytes(both: tuple[str, str], cli: Any) -> None:
    for args in PAGES:
        for lang in ("en", "th"):
            file, server = (cli("--db", database, "--lang", lang, *args) for database in both)
            assert file.exit_code == 0, file.stderr
            assert "<html" in file.stdout
            assert (server.exit_code, server.stdout) == (file.exit_code, file.stdout), args


def test_the_server_adds_them_up(
    both: tuple[str, str], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No deal's record is read for the totals: the server answers the questions."""
    from salespipe.storage.postgres.backend import PostgresView

    def no_records(self: Any) -> Any:
        raise AssertionError("every record was read")

    for method in ("all_records", "closed_records", "open_records"):
        monkeypatch.setattr(PostgresView, method, no_records)
    for args in [*REPORTS, *PAGES]:
        assert cli("--db", both[1], *args, "--json").exit_code == 0, args


def test_calibrate_apply_sets_the_same_probabilities(both: tuple[str, str], cli: Any) -> None:
    for database in both:
        on(cli, database, "calibrate", "--since", "2026-09-01", "--apply")
    file, server = (cli.json("--db", database, "stage", "list") for database in both)
    assert server == file
    assert file != cli.json("--db", both[0], "stage", "list", "--pipeline", "renewals")


def test_a_replayed_day_is_still_folded(both: tuple[str, str], cli: Any) -> None:
    """--as-of replays the history, on the server as on the file."""
    for args in (("forecast", "--method", "history"), ("report", "--html", "-")):
        file, server = (on(cli, d, *args, "--as-of", "2026-10-15") for d in both)
        assert server.stdout == file.stdout


def test_a_database_before_m008_reads_the_same_and_a_write_upgrades_it(
    both: tuple[str, str], cli: Any
) -> None:
    """A reader of a database no write has migrated yet folds the records; the first
    write adds m008's columns to the deals already there, and the server's totals are
    then the same."""
    file, server = both
    m008_undone(server)
    reports = [("calibrate",), ("forecast", "--method", "history"), ("forecast",)]
    for args in reports:
        assert on(cli, server, *args, "--json").stdout == on(cli, file, *args, "--json").stdout
    for database in both:
        on(cli, database, "add", "After the upgrade", "--value", "10", "--at", "2026-11-26")
    assert "m008_won_paths" in {
        name for (name,) in _rows(server, "SELECT name FROM salespipe_migrations")
    }
    for args in reports:
        assert on(cli, server, *args, "--json").stdout == on(cli, file, *args, "--json").stdout


def _rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(database) as connection:
        return connection.execute(sql).fetchall()
