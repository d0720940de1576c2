"""A backup merged into a team's pipeline by a manager or a rep: the server records
their changes only as theirs (m012), so a deal whose history holds a colleague's
changes comes without it, said, and the import is not refused (it was, whole)."""

from __future__ import annotations

from pathlib import Path

from tests.test_team import Team, team

__all__ = ["team"]  # (the fixture, used by name)


def test_a_manager_merges_a_backup_of_others_changes_without_their_history(
    cli, team: Team, tmp_path: Path
) -> None:
    db = team.database
    manager = team.login("mia")
    assert cli("--db", db, "add", "Here first", "-q").exit_code == 0
    assert cli("--db", db, "team", "add", manager, "--role", "manager").exit_code == 0
    source = str(tmp_path / "ploy.json")
    cli("--db", source, "add", "Cold store", "--at", "2026-08-05 09:00", "-q")
    cli("--db", source, "move", "1", "quoted", "-r", "sent", "--at", "2026-08-10 09:00")
    backup = tmp_path / "ploy-backup.json"
    cli("--db", source, "export", "--format", "json", "-o", str(backup))

    result = cli("--db", team.uri(manager), "import", str(backup))
    assert result.exit_code == 0, result.stderr
    assert "1 deal of the backup came without its history (its deal 1)" in result.stderr
    assert "only an admin of the team brings in" in result.stderr
    report = cli.json("--db", team.uri(manager), "import", str(backup), "-n")
    assert report["duplicates"] == 1
    assert cli("--db", team.uri(manager), "undo").exit_code == 0

    merged = cli.json("--db", db, "import", str(backup))  # the admin: with its history
    assert merged.get("with_history") == 1
    deal = {d["title"]: d["id"] for d in cli.json("--db", db, "list")}["Cold store"]
    moves = [e for e in cli.json("--db", db, "show", str(deal))["events"] if e["type"] == "move"]
    assert [(e["reason"], e["who"]) for e in moves] == [("sent", "tester")]
