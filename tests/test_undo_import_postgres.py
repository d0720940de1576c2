"""An import undone on PostgreSQL: its work in a few statements, however many deals it
made (30,000 deals took 30 s, one statement after another, holding the pipeline), and
everything the server keeps derived as it was before the import."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.team_roles import Team, team

pytestmark = pytest.mark.postgres
__all__ = ["team"]

STAGES = ("Presented", "Quoted", "Approved")


def _erp_file(path: Path, count: int, first: int = 1) -> Path:
    rows = [
        f"SO-{i:06d},Order {i},Isan Agro,{i * 1000},{STAGES[i % 3]},2027-05-{1 + i % 28:02d},nok"
        for i in range(first, first + count)
    ]
    path.write_text("erp_no,title,customer,value,stage,close_date,owner\n" + "\n".join(rows))
    return path


def _import(cli: Any, database: str, source: Path) -> None:
    done = cli(
        "--db",
        database,
        "import",
        str(source),
        "--column",
        "source_id=erp_no",
        "--column",
        "expected_close=close_date",
    )
    assert done.exit_code == 0, done.stderr


def _counting_statements(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """The statements the client sends from now on (one per row of an executemany),
    as a function that says how many so far."""
    import psycopg

    sent = 0
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def one(self: Any, query: Any, params: Any = None, **options: Any) -> Any:
        nonlocal sent
        sent += 1
        return execute(self, query, params, **options)

    def many(self: Any, query: Any, params_seq: Any, **options: Any) -> Any:
        nonlocal sent
        rows = list(params_seq)
        sent += len(rows)
        return executemany(self, query, rows, **options)

    monkeypatch.setattr(psycopg.Cursor, "execute", one)
    monkeypatch.setattr(psycopg.Cursor, "executemany", many)
    return lambda: sent


def test_undoing_a_larger_import_sends_no_more_statements(
    cli: Any, pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the deals, checking nobody changed them since and deleting them are a
    statement each for the whole import, not one per deal."""
    sent: dict[int, int] = {}
    for count in (20, 200):
        _import(cli, pg_database, _erp_file(tmp_path / f"erp{count}.csv", count, first=count))
        counted = _counting_statements(monkeypatch)
        assert cli("--db", pg_database, "undo").exit_code == 0
        sent[count] = counted()
        monkeypatch.undo()
    assert cli.json("--db", pg_database, "list", "--status", "all") == []
    # An undo that finds the pipeline row held for an instant waits for it, in three more
    # statements (the savepoint rolled back, the lock timeout set, the locked read): seen
    # once in a full run. A statement per deal would be 180 more.
    assert abs(sent[200] - sent[20]) <= 3, sent


def _derived(cli: Any, database: str) -> dict[str, Any]:
    return {
        command: cli.json("--db", database, command)
        for command in ("report", "slips", "calibrate", "list")
    }


def test_an_undone_import_leaves_every_total_as_before_it(
    cli: Any, pg_database: str, tmp_path: Path
) -> None:
    """The stays, day totals and slips the server keeps, and the reports read off them,
    are those of the pipeline before the import; doctor finds them all agreeing."""
    assert cli("--db", pg_database, "demo", "--deals", "150", "--seed", "5").exit_code == 0
    before = _derived(cli, pg_database)
    _import(cli, pg_database, _erp_file(tmp_path / "erp.csv", 2500))
    assert _derived(cli, pg_database) != before
    assert cli("--db", pg_database, "undo").exit_code == 0
    assert _derived(cli, pg_database) == before
    doctor = cli("--db", pg_database, "doctor")
    assert doctor.exit_code == 0, doctor.stdout + doctor.stderr
    assert "all agree" in doctor.stdout


def test_an_import_is_not_undone_once_a_colleague_changed_one_of_its_deals(
    cli: Any, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def as_(person: str, *args: str) -> Any:
        monkeypatch.setenv("SALESPIPE_DB", team.target(person))
        return cli(*args)

    source = _erp_file(tmp_path / "erp.csv", 30)
    imported = as_("alice", "import", str(source), "--column", "source_id=erp_no", "--json")
    assert imported.exit_code == 0, imported.stderr
    assert as_("bob", "move", "17", "Approved").exit_code == 0
    assert as_("bob", "note", "4", "called").exit_code == 0
    before = as_("alice", "list", "--status", "all", "--json").stdout

    refused = as_("alice", "undo")

    assert refused.exit_code == 1
    assert team.roles["bob"] in refused.stderr
    assert "deal 4" in refused.stderr  # the first deal a colleague changed, by number
    assert "nothing was undone" in refused.stderr
    assert as_("alice", "list", "--status", "all", "--json").stdout == before
    assert len(json.loads(before)) == 30
