"""A pipeline brought into a team's database that keeps `visibility own`, with real login
roles over TCP (docs/team.md, "Moving a pipeline in or out"): whether a rep's backup is
a restore is decided on the whole pipeline, a copy refused says what the target holds,
and a copy says which deals no rep sees (a team lead's trial)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.test_team import Team, own, team

pytestmark = pytest.mark.postgres
__all__ = ["own", "team"]


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _titles(cli: Any, uri: str) -> list[str]:
    return sorted(d["title"] for d in cli.json("--db", uri, "list", "--status", "all"))


def _file_of_others(cli: Any, path: Path, *owned: tuple[str, str]) -> str:
    """A data file of deals (title, owner): the pipeline a team brings in."""
    for title, owner in owned:
        assert cli("--db", str(path), "add", title, "--owner", owner).exit_code == 0
    return str(path)


def test_a_reps_backup_is_imported_as_new_deals_where_the_others_are_hidden(
    cli, team: Team, own, tmp_path, monkeypatch
) -> None:
    """After an admin's `copy --replace`, a rep sees no deal nor event of the pipeline:
    the rep's `import backup.json --dry-run` promised a restore "with their ids", and
    the run was refused as changing deals not theirs. Whether the pipeline is empty is
    the whole pipeline's, whoever asks: both say the deals are given new numbers, and
    the run imports them."""
    alice = team.uri(own["alice"])
    others = _file_of_others(
        cli, tmp_path / "team.json", ("Server room", "สมชาย"), ("Printers", own["bob"])
    )
    copied = cli("copy", others, team.uri(own["adam"]), "--replace")
    assert copied.exit_code == 0, copied.stderr
    assert _titles(cli, alice) == []
    assert cli.json("--db", alice, "log") == []  # nothing of the pipeline shows to her

    monkeypatch.setenv("SALESPIPE_USER", own["alice"])
    mine = _file_of_others(
        cli, tmp_path / "alice.json", ("Alice A", own["alice"]), ("Alice B", own["alice"])
    )
    backup = str(tmp_path / "backup.json")
    assert cli("--db", mine, "export", "--format", "json", "-o", backup).exit_code == 0
    monkeypatch.delenv("SALESPIPE_USER")

    planned = cli.json("--db", alice, "import", backup, "--dry-run")
    assert (planned["restored"], planned["imported"]) == (False, 2)
    said = cli("--db", alice, "import", backup, "--dry-run").stdout
    assert "given new numbers" in said
    assert "Would restore" not in said
    done = cli("--db", alice, "import", backup, "--json")
    assert done.exit_code == 0, done.stderr
    assert _titles(cli, alice) == ["Alice A", "Alice B"]
    assert _titles(cli, team.uri(own["maria"])) == [
        "Alice A", "Alice B", "Printers", "Server room"
    ]  # fmt: skip
    ids = sorted(d["id"] for d in cli.json("--db", alice, "list"))
    assert ids == [3, 4]  # after the copy's 1 and 2, which she cannot see


def test_a_copy_refused_by_a_team_pipeline_of_no_deal_says_what_it_holds(
    cli, team: Team, tmp_path
) -> None:
    """`copy FILE DB` after `config set visibility own` was refused as the target
    "already holds deals or history", though it held no deal: its team's `team add`
    and the setting are the history. The refusal now says so."""
    db = team.database
    alice = team.login("alice")
    assert cli("--db", db, "team", "add", alice, "--role", "rep").exit_code == 0
    assert cli("--db", db, "config", "set", "visibility", "own").exit_code == 0
    source = _file_of_others(cli, tmp_path / "rep.json", ("Server room", alice))
    refused = cli("copy", source, db)
    assert refused.exit_code == 1
    said = _one_line(refused.stderr)
    assert said.endswith(
        " holds no deals, but holds the history of 2 changes (team add (1), config (1)); "
        "nothing was copied (--replace puts the copy in place of everything it holds, "
        "that history too)."
    ), said
    thai = cli("--lang", "th", "copy", source, db)
    assert thai.exit_code == 1
    assert "ไม่มีดีล แต่มีประวัติการเปลี่ยนแปลง 2 ครั้ง (team add (1), config (1))" in (_one_line(thai.stderr))
    assert cli.json("--db", db, "list", "--status", "all") == []
    # A rep who sees none of the deals there is not told it holds none.
    bob = team.login("bob")
    assert cli("--db", db, "team", "add", bob, "--role", "rep").exit_code == 0
    assert cli("--db", db, "add", "Bob's", "--owner", bob).exit_code == 0
    as_alice = cli("copy", source, team.uri(alice))
    assert as_alice.exit_code == 1
    assert " already holds deals and their history; " in _one_line(as_alice.stderr)


def test_a_copy_into_a_team_that_keeps_visibility_own_says_which_deals_no_rep_sees(
    cli, team: Team, own, tmp_path
) -> None:
    """`copy … --replace` keeps `visibility own`, and the demo's owners are no logins of
    the team: every rep's list came up short without a word, which only `config set
    visibility own` said. The copy says it, in the same words."""
    source = _file_of_others(
        cli,
        tmp_path / "demo.json",
        ("Server room", "สมชาย"),
        ("Printers", "สมชาย"),
        ("Laptops", "วิภาวี"),
        ("Hers", own["alice"]),
    )
    copied = cli("copy", source, team.uri(own["adam"]), "--replace")
    assert copied.exit_code == 0, copied.stderr
    assert _one_line(copied.stderr) == (
        'Warning: 3 open deals are owned by people not on the team ("สมชาย" (2), '
        '"วิภาวี" (1)), so no rep sees them; hand them to members with '
        "`salespipe edit ID --owner USER`."
    )
    assert _titles(cli, team.uri(own["alice"])) == ["Hers"]
    told = cli("--db", team.database, "config", "set", "visibility", "own")
    assert _one_line(told.stderr) == _one_line(copied.stderr)
