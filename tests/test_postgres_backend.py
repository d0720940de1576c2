"""The PostgreSQL backend as a team meets it: the schema made by ``init``, databases
that are not ours refused, failures in one sentence (exit 4, password hidden), and
writers in parallel that lose nothing (docs/team.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from tests.conftest import pg_admin, pg_target
from tests.migrations_undone import m006_undone, m010_undone, m014_undone

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import DatabaseBusy, DatabaseUnreachable

pytestmark = pytest.mark.postgres

SECRET = "Tr0ub4dor&3"


def _one_sentence(stderr: str) -> str:
    """The error line, after checking it is alone and no traceback came with it."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_init_creates_the_schema_on_an_empty_database(cli, pg_empty_database: str) -> None:
    """init on an empty database makes the pipeline; a second init changes nothing."""
    first = cli("--db", pg_empty_database, "init")
    assert first.exit_code == 0, first.stderr
    assert cli("--db", pg_empty_database, "add", "ERP", "--value", "1m").exit_code == 0
    again = cli("--db", pg_empty_database, "init")
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert [d["title"] for d in cli.json("--db", pg_empty_database, "list")] == ["ERP"]


def test_the_first_write_says_it_made_the_pipeline_in_the_database(
    cli, pg_empty_database: str
) -> None:
    """The note of the first write names the database, not a "data file"; the next
    write says nothing."""
    first = cli("--db", pg_empty_database, "add", "ERP")
    assert first.exit_code == 0, first.stderr
    assert f"Created the pipeline in {pg_empty_database}." in first.stderr
    assert "data file" not in first.stderr
    assert cli("--db", pg_empty_database, "add", "CRM").stderr == ""


def test_a_read_only_command_creates_nothing(cli, pg_empty_database: str) -> None:
    """A command that reads, on a database without the pipeline's tables, is refused with
    exit 4 (it said all was well: a cron `check` on the wrong database never alerted), and
    leaves no table behind; `init` makes the empty pipeline they then read."""
    for args in (("list",), ("check",), ("log",), ("chart",), ("team", "list")):
        refused = cli("--db", pg_empty_database, *args, "--json")
        assert refused.exit_code == 4, args
        assert json.loads(refused.stdout)["error"]["code"] == "no_data_file", args
        assert "There is no pipeline in postgresql://" in refused.stderr
        assert "yet; check --db or SALESPIPE_DB, or start one there with" in refused.stderr
    with _connection(pg_empty_database) as connection:
        count = connection.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchone()
    assert count == (0,)
    assert cli("--db", pg_empty_database, "init").exit_code == 0
    assert cli.json("--db", pg_empty_database, "list") == []
    assert cli("--db", pg_empty_database, "check").exit_code == 0
    assert cli.json("--db", pg_empty_database, "team", "list") == []


def test_a_database_of_another_program_is_refused(cli, pg_empty_database: str) -> None:
    """Tables of another program: refused with exit 4, and nothing is added to it."""
    pg_admin(pg_empty_database, "CREATE TABLE invoices (id int)")
    for args in (("list",), ("add", "ERP"), ("init",)):
        result = cli("--db", pg_empty_database, *args)
        assert result.exit_code == 4, args
        assert "another program" in _one_sentence(result.stderr)
    with _connection(pg_empty_database) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    assert tables == [("invoices",)]


def test_a_deal_number_set_back_by_hand_never_replaces_a_deal(cli, pg_database: str) -> None:
    """The counter lives in a row every writer may update (a rep with a SQL client
    too); set back, the next add replaced deal 1 with the new one. The database refuses
    to set it back (m011, tests/test_team_security.py); with its trigger switched off
    by the owner, every write is refused in one sentence, exit 4, and deal 1 stays."""
    import psycopg

    assert cli("--db", pg_database, "add", "ERP", "--value", "1m").exit_code == 0
    with pytest.raises(psycopg.errors.CheckViolation):
        pg_admin(pg_database, "UPDATE salespipe_pipeline SET next_deal_id = 1")
    pg_admin(
        pg_database,
        "ALTER TABLE salespipe_pipeline DISABLE TRIGGER salespipe_counters_forward;"
        " UPDATE salespipe_pipeline SET next_deal_id = 1",
    )
    refused = cli("--db", pg_database, "add", "Intruder")
    assert refused.exit_code == 4
    assert "holds deals numbered 1 or more, though 1 is the number its next deal" in (
        _one_sentence(refused.stderr)
    )
    assert [d["title"] for d in cli.json("--db", pg_database, "list")] == ["ERP"]


def test_a_newer_schema_is_refused(cli, pg_database: str) -> None:
    """A migration this salespipe does not know: a newer one made it; exit 4."""
    assert cli("--db", pg_database, "add", "ERP").exit_code == 0
    pg_admin(pg_database, "INSERT INTO salespipe_migrations (name) VALUES ('m999_future')")
    for args in (("list",), ("add", "CRM")):
        result = cli("--db", pg_database, *args)
        assert result.exit_code == 4
        assert "newer salespipe" in _one_sentence(result.stderr)


def test_postgres_url_in_the_environment_selects_the_server(
    cli, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SALESPIPE_DB=postgres://… (the short scheme too) is a server, not a file name."""
    monkeypatch.setenv("SALESPIPE_DB", pg_database.replace("postgresql://", "postgres://", 1))
    assert cli("add", "ERP").exit_code == 0
    assert [d["title"] for d in cli.json("--db", pg_database, "list")] == ["ERP"]


# -- failures: one sentence, exit 4 --------------------------------------------------------


@pytest.fixture
def reader_role(pg_server: str, pg_database: str) -> Iterator[str]:
    """A role that logs in with a password and may read, not change, the pipeline."""
    name = f"salespipe_reader_{uuid4().hex[:8]}"
    pg_admin(pg_server, f"CREATE ROLE {name} LOGIN PASSWORD '{SECRET}'")
    try:
        yield name
    finally:
        pg_admin(pg_database, f"DROP OWNED BY {name}")
        pg_admin(pg_server, f"DROP ROLE IF EXISTS {name}")


def _as(role: str, database: str, password: str = SECRET) -> str:
    return f"postgresql://{role}:{password}@127.0.0.1/{database.rsplit('/', 1)[1]}"


def test_a_wrong_password_is_one_sentence_without_the_password(
    run, pg_database: str, reader_role: str
) -> None:
    """The installed command, wrong password: exit 4, one line, the password never shown."""
    wrong = "not-" + SECRET
    result = run("--db", _as(reader_role, pg_database, wrong), "list")
    assert result.returncode == 4
    line = _one_sentence(result.stderr)
    assert "refused the login" in line
    assert wrong not in result.stderr + result.stdout
    assert ":***@" in line


def test_a_missing_database_is_one_sentence(run, pg_server: str) -> None:
    """A database name the server does not have: exit 4, one line naming it."""
    result = run("--db", pg_target(pg_server, "salespipe_nowhere"), "list", "--json")
    assert result.returncode == 4
    assert "salespipe_nowhere" in _one_sentence(result.stderr)
    assert json.loads(result.stdout)["error"]["code"] == "database_missing"


def test_an_unreachable_server_is_one_sentence(run) -> None:
    """Nothing listening: exit 4, one line, no traceback."""
    result = run("--db", f"postgresql://a:{SECRET}@127.0.0.1:1/sales", "add", "ERP")
    assert result.returncode == 4
    assert "cannot be reached" in _one_sentence(result.stderr)
    assert SECRET not in result.stderr


def test_a_read_only_role_reads_but_may_not_change(cli, pg_database: str, reader_role: str) -> None:
    """A role granted SELECT only: `list` works; `add` is one sentence, exit 4."""
    assert cli("--db", pg_database, "add", "ERP").exit_code == 0
    pg_admin(pg_database, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader_role}")
    as_reader = _as(reader_role, pg_database)
    assert [d["title"] for d in cli.json("--db", as_reader, "list")] == ["ERP"]
    result = cli("--db", as_reader, "add", "CRM")
    assert result.exit_code == 4
    assert "may read but not change" in _one_sentence(result.stderr)
    assert SECRET not in result.stderr
    assert [d["title"] for d in cli.json("--db", pg_database, "list")] == ["ERP"]


def test_a_role_granted_the_tables_before_an_upgrade_still_gets_its_backtest(
    cli, pg_database: str, reader_role: str
) -> None:
    """A role given SELECT on every table before m015 made the kept backtests' tables has
    no right to read them: its backtest replays, as before the upgrade (a review found
    exit 4, "may read but not change"), and keeps nothing."""
    from tests.migrations_undone import m015_undone

    assert (
        cli(
            "--db", pg_database, "add", "ERP", "--value", "1000", "--at", "2026-08-03 10:00"
        ).exit_code
        == 0
    )
    assert cli("--db", pg_database, "won", "1", "--at", "2026-09-10 10:00").exit_code == 0
    m015_undone(pg_database)
    pg_admin(pg_database, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader_role}")
    assert cli("--db", pg_database, "add", "After the upgrade", "--value", "5").exit_code == 0
    owners = cli.json("--db", pg_database, "forecast", "--backtest", "--months", "3")
    as_reader = _as(reader_role, pg_database)
    assert cli.json("--db", as_reader, "forecast", "--backtest", "--months", "3") == owners


def test_a_connection_lost_mid_write_changes_nothing(pg_server: str, pg_database: str) -> None:
    """The server ends the session inside a change: DatabaseUnreachable, and the
    pipeline is as the last commit left it."""
    pipeline = Pipeline.open(pg_database, "en")
    pipeline.add("ERP", DealFields())
    store = pipeline.store

    def change_cut_short() -> None:
        with store.transaction(lambda: 5.0, "add", "2026-11-27T10:00:00+07:00") as tx:
            tx.set_flag("half", True)
            tx.allocate_deal_id()
            pid = tx._connection.info.backend_pid  # type: ignore[attr-defined]
            pg_admin(pg_server, "SELECT pg_terminate_backend(%s)", pid)
            tx.open_records()

    with pytest.raises(DatabaseUnreachable):
        change_cut_short()
    view = store.read()
    assert [r["title"] for r in view.open_records()] == ["ERP"]
    assert "half" not in view.flags()
    assert view.counters().next_deal_id == 2


def _cut_off(pg_server: str, connection: Any) -> None:
    """End the server's session of ``connection`` and wait until it is gone, so that
    the next thing the client sends finds no one to answer."""
    import time

    import psycopg

    pid = connection.info.backend_pid
    pg_admin(pg_server, "SELECT pg_terminate_backend(%s)", pid)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        for _ in range(200):
            alive = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
            if alive.fetchone() is None:
                return
            time.sleep(0.05)
    pytest.fail(f"the server's session {pid} did not end")


@pytest.mark.parametrize(
    ("cut", "code", "said"),
    [
        ("before COMMIT", "database_unreachable", "the change in progress was not saved."),
        (
            "at COMMIT",
            "commit_outcome_unknown",
            "it may have been saved or not; `salespipe log` shows whether it was",
        ),
    ],
)
def test_a_connection_lost_at_commit_says_the_change_may_have_been_saved(
    cli,
    pg_server: str,
    pg_database: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    cut: str,
    code: str,
    said: str,
) -> None:
    """Cut off once everything but the COMMIT was sent: the server may have committed
    before it went, and "not saved" sent users to make the change (a deal) twice.
    Cut off before that, it was not saved, and says so; both exit 4."""
    from salespipe.storage.postgres.backend import PostgresTransaction

    assert cli("--db", pg_database, "add", "ERP", "-q").exit_code == 0
    finish = PostgresTransaction.finish

    def finish_cut_off(tx: PostgresTransaction, command: str, now_iso: str) -> None:
        if cut == "before COMMIT":
            _cut_off(pg_server, tx._connection)
        finish(tx, command, now_iso)
        if cut == "at COMMIT":
            _cut_off(pg_server, tx._connection)

    with monkeypatch.context() as patched:
        patched.setattr(PostgresTransaction, "finish", finish_cut_off)
        result = cli("--db", pg_database, "add", "CRM", "--json")
    assert result.exit_code == 4
    error = json.loads(result.stdout)["error"]
    assert error["code"] == code
    assert said in error["message"]
    assert said in _one_sentence(result.stderr)
    assert [d["title"] for d in cli.json("--db", pg_database, "list")] == ["ERP"]


def test_a_writer_waits_its_turn_then_is_told_the_database_is_busy(pg_database: str) -> None:
    """While one change holds the pipeline, another waits lock_timeout, then gives up
    with DatabaseBusy (exit 75, try again) and changes nothing."""
    first = Pipeline.open(pg_database, "en")
    first.add("ERP", DealFields())
    second = Pipeline.open(pg_database, "en").store
    asked: list[bool] = []

    def short() -> float:
        asked.append(True)
        return 0.2

    with first.store.transaction(lambda: 5.0, "edit", "2026-11-27T10:00:00+07:00") as held:
        held.set_flag("holder", True)
        with (
            pytest.raises(DatabaseBusy) as caught,
            second.transaction(short, "add", "2026-11-27T10:00:00+07:00") as tx,
        ):
            tx.allocate_deal_id()
    assert asked == [True]
    assert caught.value.exit_code == 75  # EX_TEMPFAIL, not the damaged file's 4
    # (the holder may be a SQL client: it said "another salespipe process" of psql)
    assert "another session (salespipe, or a SQL client)" in caught.value.message
    assert second.read().flags() == {"holder": True}


def test_a_read_view_keeps_its_snapshot_during_a_write(pg_database: str) -> None:
    """A view opened before a change does not see it; one opened after does."""
    pipeline = Pipeline.open(pg_database, "en")
    pipeline.add("ERP", DealFields())
    before = pipeline.store.read()
    assert len(before.open_records()) == 1
    pipeline.add("CRM", DealFields())
    assert len(before.open_records()) == 1
    assert len(before.events()) == 1
    assert len(pipeline.store.read().open_records()) == 2


# -- writers in parallel ----------------------------------------------------------------------

STRESS = Path(__file__).resolve().parent.parent / "bench" / "stress"


def test_a_team_writing_at_once_loses_nothing(
    pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4 login roles, two writer processes each, mixed writes (add, import of a pair, move,
    note, edit) with `chart` running beside them: ids are unique and complete, every event
    names the role that wrote it, each role has as many changes and events as its
    processes committed, chart agrees with list, and no chart saw half an import.
    The short version of bench/stress/team_writers.py (8 processes x 200 writes)."""
    monkeypatch.syspath_prepend(str(STRESS))
    import team_writers

    with team_writers.team_database(pg_server, 4) as targets:
        figures = team_writers.run(targets, per_role=2, writes=6)
    assert figures["problems"] == []
    assert figures["writes"] == 4 * 2 * 6
    assert figures["reads"] > 0


def _connection(target: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(target)


def test_the_python_api_opens_a_postgres_uri(pg_database: str) -> None:
    """salespipe.open("postgresql://…") works on the server as on a file."""
    import salespipe

    pipeline = salespipe.open(pg_database)
    deal = pipeline.add("ERP", value="1.5m")
    assert salespipe.open(pg_database).get(deal.id).title == "ERP"


HALF_WRITER = textwrap.dedent(
    """
    import sys, time
    from salespipe.app.pipeline import Pipeline
    store = Pipeline.open(sys.argv[1], "en").store
    with store.transaction(lambda: 5.0, "add", "2026-11-27T10:00:00+07:00") as tx:
        tx.set_flag("half", True)
        tx.save_records([dict(tx.open_records()[0], title="half-written")])
        tx.open_records()  # the change is on the server, not committed
        print("ready", flush=True)
        time.sleep(600)
    """
)


def test_a_client_killed_mid_write_leaves_the_last_commit(pg_database: str) -> None:
    """kill -9 of a client inside a change: the server rolls it back, its lock goes with
    it, and the next writer carries on."""
    import signal

    pipeline = Pipeline.open(pg_database, "en")
    pipeline.add("ERP", DealFields())
    process = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITER, pg_database],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)  # and close its pipes
    pipeline.add("CRM", DealFields())  # waits for the server to notice, then writes
    view = Pipeline.open(pg_database, "en").store.read()
    assert [r["title"] for r in view.open_records()] == ["ERP", "CRM"]
    assert "half" not in view.flags()


def test_a_demo_larger_than_a_batch_keeps_every_deal(cli, pg_database: str, tmp_path) -> None:
    """``demo`` records each deal's events while it hands the deals over: the flushes
    those events cause must not lose the deals still coming (they did, past the first
    batch of events). The same demo then reads the same on a file and on the server."""
    from salespipe.storage.postgres import backend

    file = str(tmp_path / "demo.json")
    assert backend.ITER_SIZE < 1000 * 5  # events of the demo: several batches
    for database in (file, pg_database):
        done = cli("--db", database, "demo", "--deals", "1000", "--seed", "3")
        assert done.exit_code == 0, done.stderr
    listed = cli.json("--db", pg_database, "list", "--status", "all", "--limit", "0")
    assert sorted(deal["id"] for deal in listed) == list(range(1, 1001))
    for args in (("list", "--status", "all", "--limit", "0"), ("chart",), ("report",)):
        on_file = cli("--db", file, *args, "--json")
        assert cli("--db", pg_database, *args, "--json").stdout == on_file.stdout, args


def test_a_database_from_before_m004_reads_the_same_and_is_migrated_by_a_write(
    cli, pg_database: str
) -> None:
    """Before its first write a database without the columns of m004 is answered the
    default way; the first write adds them (filled for every deal already there), and
    the everyday reports read the same before and after."""
    import psycopg

    assert cli("--db", pg_database, "demo", "--deals", "60", "--seed", "4").exit_code == 0
    reports = [
        ("chart",),
        ("stale",),
        ("check",),
        ("agenda",),
        ("list",),
        ("list", "--sort", "value"),
    ]

    def read() -> list[str]:
        return [cli("--db", pg_database, *args, "--json").stdout for args in reports]

    expected = read()
    with psycopg.connect(pg_database) as connection:
        connection.execute(
            "ALTER TABLE salespipe_deals DROP COLUMN value, DROP COLUMN whole_value,"
            " DROP COLUMN currency, DROP COLUMN probability, DROP COLUMN entered,"
            " DROP COLUMN next_due, DROP COLUMN close_due, DROP COLUMN quote_due"
        )
        connection.execute("DELETE FROM salespipe_migrations WHERE name = 'm004_open_columns'")
    assert read() == expected
    assert cli("--db", pg_database, "config", "set", "lock_timeout", "7").exit_code == 0
    assert read() == expected
    with psycopg.connect(pg_database) as connection:
        missing = connection.execute(
            "SELECT count(*) FROM salespipe_deals WHERE NOT deleted AND value IS NULL"
        ).fetchone()
        assert missing == (0,)


def test_a_database_from_before_m006_reads_the_same_and_a_write_builds_its_indexes(
    cli, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before its first write a database without the indexes of m006 is answered from
    the stored times; the first write builds them, and the everyday reports read the
    same before and after."""
    m006 = {"salespipe_deals_open_entered", "salespipe_deals_open_quote"}
    m006.add("salespipe_deals_open_close")
    expected = _reads_the_same_before_and_after(
        cli,
        pg_database,
        monkeypatch,
        seed="4",
        reports=[
            ("stale",),
            ("check",),
            ("agenda",),
            ("board",),
            ("list",),
            ("list", "--sort", "days"),
            ("list", "--stale", "--sort", "days", "--limit", "3"),
        ],
        indexes=m006,
        undone=m006_undone,
    )
    assert '"id"' in expected[0]  # some deals are stale at that moment

    # m006 was applied after m007 here: the database is up to date all the same, and
    # the next writes do not look for migrations to apply.
    def no_migration(*args: object) -> None:
        raise AssertionError("migrated again")

    monkeypatch.setattr("salespipe.storage.postgres.schema.migrate", no_migration)
    done = cli("--db", pg_database, "config", "set", "lock_timeout", "8")
    assert done.exit_code == 0, done.stderr


def test_a_database_from_before_m010_learns_the_same_and_a_write_builds_its_indexes(
    cli, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The learning reports read the same without m010's indexes as with them, and the
    first write builds them."""
    expected = _reads_the_same_before_and_after(
        cli,
        pg_database,
        monkeypatch,
        seed="5",
        reports=[
            ("calibrate",),
            ("forecast",),
            ("forecast", "--method", "history"),
            ("forecast", "--method", "history", "--owner", "somchai"),
        ],
        indexes={"salespipe_deals_walks", "salespipe_deals_won_closed"},
        undone=m010_undone,
    )
    assert '"won_value": {\n        "THB"' in expected[1]  # some months have wins


def _reads_the_same_before_and_after(
    cli: Any,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    seed: str,
    reports: list[tuple[str, ...]],
    indexes: set[str],
    undone: Callable[[str], None],
) -> list[str]:
    """A demo at a pinned moment; with a migration's ``indexes`` taken back out
    (``undone``) the ``reports`` read the same, and the first write builds them again.
    The reports' JSON."""
    monkeypatch.setenv("SALESPIPE_NOW", "2026-12-05T10:00:00+07:00")
    assert cli("--db", database, "demo", "--deals", "300", "--seed", seed).exit_code == 0

    def read() -> list[str]:
        return [cli("--db", database, *args, "--json").stdout for args in reports]

    expected = read()
    assert indexes <= _deal_indexes(database)
    undone(database)
    assert not indexes & _deal_indexes(database)
    assert read() == expected
    assert cli("--db", database, "config", "set", "lock_timeout", "7").exit_code == 0
    assert indexes <= _deal_indexes(database)
    assert read() == expected
    return expected


def _deal_indexes(database: str) -> set[str]:
    """The names of the indexes on the deals table."""
    import psycopg

    with psycopg.connect(database) as connection:
        found = connection.execute(
            "SELECT indexrelid::regclass::text FROM pg_index"
            " WHERE indrelid = 'salespipe_deals'::regclass"
        ).fetchall()
    return {name for (name,) in found}


def test_the_upgrade_counts_days_to_won_from_a_reopen(cli, pg_database: str) -> None:
    """m014: the won deals of a database made before it, reopened into the stage they
    had closed in, count their days to the win from the reopen once it is upgraded (the
    columns m008 made counted the days they lay closed)."""

    def approved_days() -> float:
        stages = cli.json("--db", pg_database, "calibrate")["stages"]
        return next(s["median_days_to_won"] for s in stages if s["key"] == "approved")

    for args in (
        ("add", "R1", "--value", "1000", "--at", "2026-10-01 09:00", "-q"),
        ("move", "1", "approved", "--at", "2026-10-02 09:00"),
        ("won", "1", "--at", "2026-10-03 09:00"),
        ("reopen", "1", "--at", "2026-10-20 09:00"),
        ("won", "1", "--at", "2026-10-30 09:00"),
    ):
        assert cli("--db", pg_database, *args).exit_code == 0
    assert approved_days() == 10.0
    m014_undone(pg_database)
    assert approved_days() == 28.0  # as the database was before it
    assert cli("--db", pg_database, "add", "Next", "-q").exit_code == 0  # the upgrade
    assert approved_days() == 10.0
