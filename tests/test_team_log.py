"""Changes of the team leave a trace: `team add` and `team remove` record an event of no
deal (`team-add`, `team-remove`) in the same transaction as their grants, shown by
`log` and `watch`, carried by `copy`, never taken back by `undo` (docs/team.md, "Who
did what"). With real login roles over TCP, released after each test."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from tests.conftest import pg_admin, pg_target
from tests.test_team import Team, team
from tests.test_team_feed import Watcher, watching

from salespipe.core import clock

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for a whole line of `log` (the team's login names are long)."""
    monkeypatch.setenv("COLUMNS", "200")


__all__ = ["team", "watching"]


def _team_events(cli: Any, db: str) -> list[dict[str, Any]]:
    """The team's events `log --json` shows, oldest first."""
    return [e for e in cli.json("--db", db, "log")[::-1] if e["type"].startswith("team-")]


def _changes(events: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any], Any]]:
    return [(e["type"], e["who"], e["before"], e["after"]) for e in events]


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


@pytest.mark.empty_database
def test_team_add_and_remove_are_in_the_log_with_who_when_and_what(cli, team: Team) -> None:
    """The owner puts bob on the team as admin; bob puts carol on as a rep and takes her
    off again: each is one event of no deal, by the role that made it, saying whose role
    it was before and after; `log` words it, in English and in Thai."""
    alice, bob, carol = team.login("alice"), team.login("bob"), team.login("carol")
    owner = team.own_database(alice)
    _ok(cli("--db", owner, "init"))

    _ok(cli("--db", owner, "team", "add", bob, "--role", "admin"))
    _ok(cli("--db", team.uri(bob), "team", "add", carol, "--role", "rep"))
    _ok(cli("--db", team.uri(bob), "team", "remove", carol))

    events = _team_events(cli, owner)
    assert _changes(events) == [
        ("team-add", alice, {bob: None}, {bob: "admin"}),
        ("team-add", bob, {carol: None}, {carol: "rep"}),
        ("team-remove", bob, {carol: "rep"}, {carol: None}),
    ]
    for event in events:
        assert event["deal_id"] is None
        assert event["command"] in ("team add", "team remove")
        assert event["undone"] is False
        # When: the moment it was made (the tests' clock is pinned, SALESPIPE_NOW).
        assert datetime.fromisoformat(event["at"]) == clock.now()
        assert event["recorded_at"] == event["at"]
    assert [e["change"] for e in events] == sorted({e["change"] for e in events})

    plain = _ok(cli("--db", owner, "log")).stdout.splitlines()
    for what, who in (
        (f"team add: {bob} as admin", alice),
        (f"team add: {carol} as rep", bob),
        (f"team remove: {carol} (was rep)", bob),
    ):
        line = next(line for line in plain if what in line)
        assert line.startswith("2026-11-27 10:00 ")
        assert line.split()[-1] == who

    thai = _ok(cli("--db", owner, "--lang", "th", "log")).stdout
    assert f"เพิ่มเข้าทีม: {bob} ในบทบาท admin" in thai
    assert f"นำออกจากทีม: {carol} (เดิมเป็น rep)" in thai


def test_a_role_change_shows_the_role_before_and_after(cli, team: Team) -> None:
    """A rep made a manager is one `team-add` whose before is rep and after manager;
    adding someone again in the role they have changes nothing and records nothing."""
    bob = team.login("bob")
    db = team.database
    _ok(cli("--db", db, "team", "add", bob, "--role", "rep"))
    _ok(cli("--db", db, "team", "add", bob, "--role", "rep"))  # as it was
    _ok(cli("--db", db, "team", "add", bob, "--role", "manager"))

    events = _team_events(cli, db)
    assert [(e["before"], e["after"]) for e in events] == [
        ({bob: None}, {bob: "rep"}),
        ({bob: "rep"}, {bob: "manager"}),
    ]
    assert f"team add: {bob}, rep → manager" in _ok(cli("--db", db, "log")).stdout
    assert f"{bob}, rep → manager" in _ok(cli("--db", db, "--lang", "th", "log")).stdout


def test_a_refused_team_change_records_nothing(cli, team: Team) -> None:
    """A rep's `team add`, and a `team remove` of someone not on the team, are refused:
    no grant and no event, the log as it was."""
    bob, carol = team.login("bob"), team.login("carol")
    db = team.database
    _ok(cli("--db", db, "team", "add", bob, "--role", "rep"))
    log = cli.json("--db", db, "log")

    by_a_rep = cli("--db", team.uri(bob), "team", "add", carol, "--role", "admin")
    assert by_a_rep.exit_code == 4
    assert "Only an admin of the team may change the team" in by_a_rep.stderr
    not_there = cli("--db", db, "team", "remove", carol)
    assert not_there.exit_code == 1
    not_a_login = cli("--db", db, "team", "add", f"sp_nobody_{team.tag}")
    assert not_a_login.exit_code == 1

    assert cli.json("--db", db, "log") == log
    assert len(_team_events(cli, db)) == 1
    assert carol not in {m["user"] for m in cli.json("--db", db, "team", "list")}


def test_undo_neither_takes_team_changes_back_nor_is_held_back_by_them(cli, team: Team) -> None:
    """A team change is not on anyone's undo list; an undo goes past it to the change
    before, and a colleague's team change keyed like that change (a user named as a
    pipeline's key) does not stop it; the team change stays in the log, not undone."""
    alice = team.login("alice")
    newcomer = f"sp-new-{team.tag}"  # a pipeline named so gets this key
    pg_admin(team.server, f'CREATE ROLE "{newcomer}" LOGIN')
    team.logins.append(newcomer)
    db = team.database
    _ok(cli("--db", db, "team", "add", alice, "--role", "admin"))
    _ok(cli("--db", db, "pipeline", "add", newcomer))
    _ok(cli("--db", team.uri(alice), "team", "add", newcomer, "--role", "rep"))

    listed = cli.json("--db", db, "undo", "--list")
    assert [c["command"] for c in listed] == ["pipeline add"]
    assert cli.json("--db", team.uri(alice), "undo", "--list") == []
    undone = _ok(cli("--db", db, "undo"))
    assert "pipeline" in undone.stdout
    assert cli("--db", team.uri(alice), "undo").exit_code == 1  # nothing of hers to undo

    events = _team_events(cli, db)
    assert [(e["type"], e["after"], e["undone"]) for e in events] == [
        ("team-add", {alice: "admin"}, False),
        ("team-add", {newcomer: "rep"}, False),
    ]
    members = {m["user"]: m["role"] for m in cli.json("--db", db, "team", "list")}
    assert members[newcomer] == "rep"
    assert members[alice] == "admin"


def test_a_rep_under_visibility_own_sees_the_team_changes(cli, team: Team) -> None:
    """Like a stage's or a setting's, a team change is of no deal: every member sees it
    (who is on the team is the server's, seen by every login anyway)."""
    bob, carol = team.login("bob"), team.login("carol")
    db = team.database
    _ok(cli("--db", db, "team", "add", bob, "--role", "rep"))
    _ok(cli("--db", db, "config", "set", "visibility", "own"))
    _ok(cli("--db", db, "team", "add", carol, "--role", "manager"))
    seen = [(e["type"], e["after"]) for e in _team_events(cli, team.uri(bob))]
    assert seen == [("team-add", {bob: "rep"}), ("team-add", {carol: "manager"})]


@pytest.fixture
def second_database(pg_server: str) -> Iterator[str]:
    name = f"salespipe_test_{uuid4().hex[:16]}"
    pg_admin(pg_server, f'CREATE DATABASE "{name}"')
    try:
        yield pg_target(pg_server, name)
    finally:
        pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_copy_to_a_file_and_back_keeps_the_team_changes(
    cli, team: Team, second_database: str, tmp_path: Path
) -> None:
    """PostgreSQL → file → PostgreSQL: the team's events arrive as they were (a file has
    no team, but carries and shows its history), `doctor` finds nothing wrong on either,
    and a JSON backup of the file restores them."""
    bob = team.login("bob")
    db = team.database
    _ok(cli("--db", db, "add", "ERP", "--value", "1m"))
    _ok(cli("--db", db, "team", "add", bob, "--role", "rep"))
    _ok(cli("--db", db, "team", "add", bob, "--role", "manager"))
    _ok(cli("--db", db, "move", "1", "2"))
    _ok(cli("--db", db, "team", "remove", bob))
    log = cli.json("--db", db, "log")
    assert len([e for e in log if e["type"].startswith("team-")]) == 3

    file = str(tmp_path / "pipeline.json")
    _ok(cli("copy", db, file))
    assert cli.json("--db", file, "log") == log
    plain = _ok(cli("--db", file, "log")).stdout
    assert f"team add: {bob}, rep → manager" in plain
    assert f"team remove: {bob} (was manager)" in plain
    _ok(cli("--db", file, "doctor"))

    _ok(cli("copy", file, second_database))
    assert cli.json("--db", second_database, "log") == log
    _ok(cli("--db", second_database, "doctor"))
    _ok(cli("--db", db, "doctor"))

    backup = str(tmp_path / "backup.json")
    _ok(cli("--db", file, "export", "--format", "json", "-o", backup))
    restored = str(tmp_path / "restored.json")
    _ok(cli("--db", restored, "import", backup))
    assert cli.json("--db", restored, "log") == log
    for args in (("show", "1"), ("report", "--as-of", "today"), ("slips",), ("forecast",)):
        assert cli.json("--db", file, *args) == cli.json("--db", db, *args), args


def test_watch_prints_team_changes_as_log_does_and_runs_its_hook(
    run: Any,
    team: Team,
    watching: Callable[..., Watcher],
    tmp_path: Path,
) -> None:
    """`watch` prints a team change in the words of `log`; `--json` the same item as
    `log --json`; a `--exec` hook gets it as an event of no deal."""
    bob = team.login("bob")
    db = team.database
    assert run("--db", db, "init").returncode == 0
    saved = tmp_path / "payloads"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\ncat >> {saved}\n", encoding="utf-8")
    hook.chmod(0o755)
    as_text = watching(SALESPIPE_DB=db)  # the team's database, not the fixture's own
    as_json = watching("--json", "--exec", str(hook), SALESPIPE_DB=db)

    for args in (("add", bob, "--role", "rep"), ("remove", bob)):
        done = run("--db", db, "team", *args)
        assert done.returncode == 0, done.stderr

    texts = [as_text.line() for _ in range(2)]
    lines = [json.loads(as_json.line()) for _ in range(2)]
    log = json.loads(run("--db", db, "log", "--json").stdout)
    assert lines == log[::-1]
    who = log[0]["who"]
    assert texts[0].endswith(f"team add: {bob} as rep (by {who})")
    assert texts[1].endswith(f"team remove: {bob} (was rep) (by {who})")

    for _ in range(100):  # the hook runs after the line is printed
        if saved.exists() and len(saved.read_text().splitlines()) == 2:
            break
        time.sleep(0.1)
    payloads = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [p["event"] for p in payloads] == ["team-add", "team-remove"]
    added = payloads[0]
    assert added["deal_id"] is None
    assert added["before"] is None
    assert added["after"] is None
    assert added["changed"] == {"before": {bob: None}, "after": {bob: "rep"}}
    assert added["message"] == f"{who}: team add: {bob} as rep"
    assert "deals" not in added
    assert as_text.interrupt() == 130
