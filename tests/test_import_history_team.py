"""A backup merged into a team's pipeline by a manager or a rep: the server records
their changes only as theirs (m012), so a backup whose history holds a colleague's
changes is refused to them, whole, before anything is written (its deals would come
without their history: a trial found them merged so, exit 0, with a warning that
blamed the stage mapping); an admin brings it in with its history. A manager's own
backup, whose changes are all theirs, comes with its history."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.test_team import Team, team

__all__ = ["team"]  # (the fixture, used by name)


def _backup(cli, tmp_path: Path, author: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SALESPIPE_USER", author)
    source = str(tmp_path / f"{author}.json")
    cli("--db", source, "add", "Cold store", "--at", "2026-08-05 09:00", "-q")
    cli("--db", source, "move", "1", "quoted", "-r", "sent", "--at", "2026-08-10 09:00")
    backup = tmp_path / f"{author}-backup.json"
    cli("--db", source, "export", "--format", "json", "-o", str(backup))
    monkeypatch.setenv("SALESPIPE_USER", "tester")
    return backup


def test_a_manager_s_import_of_others_changes_is_refused_and_an_admin_s_brings_them(
    cli, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = team.database
    manager = team.login("mia")
    assert cli("--db", db, "add", "Here first", "-q").exit_code == 0
    assert cli("--db", db, "team", "add", manager, "--role", "manager").exit_code == 0
    backup = _backup(cli, tmp_path, "ploy", monkeypatch)
    before = cli.json("--db", db, "log", "--limit", "0")

    for dry_run in ((), ("--dry-run",)):
        refused = cli("--db", team.uri(manager), "import", str(backup), *dry_run)
        assert refused.exit_code == 4, refused.stdout + refused.stderr
        assert refused.stdout == ""
        said = refused.stderr.strip()
        assert said.startswith("Error: Only an admin of the team may import")
        assert "its deal 1 holds changes made by others" in said
        assert said.endswith("run it as an admin of the team; nothing was changed.")
        assert "\n" not in said
        assert "mapped to won or lost" not in said
    assert cli.json("--db", db, "log", "--limit", "0") == before
    assert [d["title"] for d in cli.json("--db", db, "list", "--status", "all")] == ["Here first"]

    merged = cli.json("--db", db, "import", str(backup))  # the admin: with its history
    assert merged.get("with_history") == 1
    deal = {d["title"]: d["id"] for d in cli.json("--db", db, "list")}["Cold store"]
    moves = [e for e in cli.json("--db", db, "show", str(deal))["events"] if e["type"] == "move"]
    assert [(e["reason"], e["who"]) for e in moves] == [("sent", "ploy")]


def test_a_manager_imports_their_own_backup_with_its_history(
    cli, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = team.database
    manager = team.login("mia")
    assert cli("--db", db, "add", "Here first", "-q").exit_code == 0
    assert cli("--db", db, "team", "add", manager, "--role", "manager").exit_code == 0
    backup = _backup(cli, tmp_path, manager, monkeypatch)
    merged = cli.json("--db", team.uri(manager), "import", str(backup))
    assert (merged["imported"], merged.get("with_history")) == (1, 1)
    assert "without_history" not in merged
