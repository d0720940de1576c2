"""What a member of a team cannot do, on PostgreSQL with real login roles over TCP: reach
another pipeline's team through a group role of the same name, set the shared counters
back, write an event as someone else (docs/team.md, "What the database enforces")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from tests.conftest import pg_admin, pg_target, release_roles
from tests.test_team import SECRET, Team, own, team

pytestmark = pytest.mark.postgres
__all__ = ["own", "team"]


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[1].split("?")[0]


def _as(role: str, database: str, schema: str | None = None) -> str:
    """``database`` (and ``schema``) as ``role`` sees it, over TCP with its password."""
    options = f"?options=-csearch_path%3D{schema}" if schema else ""
    return f"postgresql://{role}:{SECRET}@127.0.0.1/{database}{options}"


class Pipelines:
    """Databases (and schemas) made for one test, and the group roles their teams made:
    all dropped after it, as the logins are by ``Team``."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.databases: list[str] = []
        self.groups: set[str] = set()
        self.elsewhere: list[str] = []  # databases not made here where groups own things

    def database(self, name: str) -> str:
        pg_admin(self.server, f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return pg_target(self.server, name)

    def note_groups(self, target: str) -> None:
        """Remember the group roles the pipeline at ``target`` records."""
        import psycopg

        with psycopg.connect(target, autocommit=True) as connection:
            rows = connection.execute("SELECT role FROM salespipe_team").fetchall()
        self.groups.update(str(role) for (role,) in rows)

    def drop(self) -> None:
        import psycopg

        for name in self.databases:
            pg_admin(self.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for target in self.elsewhere:
            with psycopg.connect(target, autocommit=True) as connection:
                release_roles(connection, sorted(self.groups))
        for group in sorted(self.groups):
            pg_admin(self.server, f'DROP ROLE IF EXISTS "{group}"')


@pytest.fixture
def pipelines(pg_server: str) -> Iterator[Pipelines]:
    made = Pipelines(pg_server)
    try:
        yield made
    finally:
        made.drop()


def _reads(cli: Any, uri: str) -> Any:
    return cli("--db", uri, "list", "--status", "all", "--json")


# -- finding 1 and 2: each pipeline's team is its own -------------------------------------


def test_a_database_and_a_schema_whose_names_join_alike_have_separate_teams(
    cli, team: Team, pipelines: Pipelines, pg_server: str
) -> None:
    """Database D with schema ``north`` and database ``D_north`` made their group roles
    under one name, ``salespipe_D_north_rep``: bob, put on the second team only, was on
    the first too and read its deals. Now the second team gets roles of its own."""
    import psycopg

    alice, bob = team.login("alice"), team.login("bob")
    first = _name(team.database)
    pg_admin(team.database, "CREATE SCHEMA north")
    north = pg_target(pg_server, first) + "?options=-csearch_path%3Dnorth"
    other = pipelines.database(f"{first}_north")
    pipelines.elsewhere.append(team.database)
    try:
        assert cli("--db", north, "init").exit_code == 0
        assert cli("--db", north, "team", "add", alice).exit_code == 0
        added = cli("--db", _as(alice, first, "north"), "add", "North secret", "--value", "123456")
        assert added.exit_code == 0, added.stderr
        assert cli("--db", other, "init").exit_code == 0
        assert cli("--db", other, "team", "add", bob).exit_code == 0
    finally:
        pipelines.note_groups(north)
        pipelines.note_groups(other)

    # Without the schema's use, bob's salespipe finds no pipeline there: no deal.
    shut_out = _reads(cli, _as(bob, first, "north"))
    assert "North secret" not in shut_out.stdout + shut_out.stderr
    assert shut_out.exit_code == 4
    assert json.loads(shut_out.stdout)["error"]["code"] == "no_data_file"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        team.sql(bob, "SELECT count(*) FROM north.salespipe_deals")
    assert {m["user"] for m in cli.json("--db", north, "team", "list")} == {
        alice,
        pg_role_of(north),
    }
    assert cli.json("--db", _as(bob, _name(other)), "list") == []
    # Each pipeline has three roles of its own, none shared.
    assert len(pipelines.groups) == 6


def test_a_database_made_again_under_an_old_name_gets_a_new_team(
    cli, team: Team, pipelines: Pipelines
) -> None:
    """A team's group roles outlive its database: one made again under the same name
    took them over, and with them the old team's members, silently."""
    alice, carol = team.login("alice"), team.login("carol")
    name = f"salespipe_test_{uuid4().hex[:16]}"
    old = pipelines.database(name)
    assert cli("--db", old, "init").exit_code == 0
    assert cli("--db", old, "team", "add", alice).exit_code == 0
    pipelines.note_groups(old)
    pg_admin(pipelines.server, f'DROP DATABASE "{name}" WITH (FORCE)')

    new = pipelines.database(name)
    try:
        assert cli("--db", new, "init").exit_code == 0
        assert cli("--db", new, "team", "add", carol).exit_code == 0
        assert cli("--db", new, "add", "New team secret", "--value", "42").exit_code == 0
    finally:
        pipelines.note_groups(new)

    assert {m["user"] for m in cli.json("--db", new, "team", "list")} == {carol, pg_role_of(new)}
    refused = _reads(cli, _as(alice, name))
    assert refused.exit_code == 4, refused.stdout
    assert "it is not on its team" in refused.stderr
    assert [d["title"] for d in cli.json("--db", _as(carol, name), "list")] == ["New team secret"]
    assert len(pipelines.groups) == 6


def test_a_team_made_before_keeps_the_roles_it_records(cli, team: Team) -> None:
    """The roles ``salespipe_team`` records are the team's whatever their names: a later
    `team add` uses them and makes none."""
    alice, bob = team.login("alice"), team.login("bob")
    db = team.database
    assert cli("--db", db, "team", "add", alice).exit_code == 0
    import psycopg

    with psycopg.connect(db, autocommit=True) as connection:
        before = connection.execute("SELECT kind, role FROM salespipe_team ORDER BY 1").fetchall()
    assert cli("--db", db, "team", "add", bob, "--role", "manager").exit_code == 0
    with psycopg.connect(db, autocommit=True) as connection:
        after = connection.execute("SELECT kind, role FROM salespipe_team ORDER BY 1").fetchall()
        held = connection.execute(
            "SELECT g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid"
            " JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s",
            (bob,),
        ).fetchall()
    assert after == before
    assert held == [(dict(before)["manager"],)]


def pg_role_of(uri: str) -> str:
    from tests.conftest import pg_role

    return pg_role(uri)


# -- finding 3c: the counters never go back ---------------------------------------------


def _counters(team: Team, role: str) -> list[tuple[Any, ...]]:
    return team.sql(role, "SELECT next_deal_id, next_seq, next_change FROM salespipe_pipeline")


def test_a_rep_cannot_set_the_counters_back(cli, team: Team, own) -> None:
    """A rep may move the counters on (every change does), and set them back with a SQL
    client: a teammate's next `add` failed, and an `undo` wrote a second event numbered
    1. The database refuses it, for the tables' owner too."""
    import psycopg

    alice, maria = own["alice"], own["maria"]
    before = _counters(team, alice)
    for statement in (
        "UPDATE salespipe_pipeline SET next_deal_id = 3",
        "UPDATE salespipe_pipeline SET next_deal_id = 100, next_seq = 1, next_change = 1",
        "UPDATE salespipe_pipeline SET next_change = next_change - 1",
    ):
        for role in (alice, maria):
            with pytest.raises(psycopg.errors.CheckViolation, match="never go back"):
                team.sql(role, statement)
        with (
            pytest.raises(psycopg.errors.CheckViolation),
            psycopg.connect(team.database, autocommit=True) as connection,
        ):
            connection.execute(statement)  # the superuser who owns the pipeline
    assert _counters(team, alice) == before
    # On, as every change moves them, is still allowed.
    team.sql(alice, "UPDATE salespipe_pipeline SET next_seq = next_seq + 1")

    as_maria = team.uri(maria)
    assert cli("--db", as_maria, "add", "after the tries", "--owner", maria).exit_code == 0
    assert cli("--db", as_maria, "note", "6", "a note").exit_code == 0
    assert cli("--db", as_maria, "undo").exit_code == 0
    unique = team.sql(own["adam"], "SELECT count(DISTINCT seq) = count(*) FROM salespipe_events")
    assert unique == [(True,)]


def test_the_migrations_are_applied_by_an_admins_write(cli, team: Team, own) -> None:
    """On a database made before m011 (the counters), m012 (events as oneself), m013
    (undos), m016 (asked of oneself) and m017 (slips of open deals): a rep reads as
    before, a rep's change is told that an admin's next change applies the upgrade (it
    needs the tables' owner), and after an admin's change all five hold."""
    import psycopg
    from tests.migrations_undone import (
        m011_undone,
        m012_undone,
        m013_undone,
        m016_undone,
        m017_undone,
    )

    for undone in (m017_undone, m016_undone, m013_undone, m012_undone, m011_undone):
        undone(team.database)
    alice = team.uri(own["alice"])
    assert len(cli.json("--db", alice, "list")) == 2
    refused = cli("--db", alice, "add", "before the upgrade")
    assert refused.exit_code == 4
    assert "only an admin of the team may apply" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert cli("--db", team.uri(own["adam"]), "add", "the admin's").exit_code == 0
    assert cli("--db", alice, "add", "after the upgrade").exit_code == 0
    with pytest.raises(psycopg.errors.CheckViolation):
        team.sql(own["alice"], "UPDATE salespipe_pipeline SET next_deal_id = 1")
    owners = team.sql(
        own["adam"],
        "SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc"
        " WHERE proname IN ('salespipe_counters_forward', 'salespipe_numbers_used')",
    )
    groups = dict(team.sql(own["adam"], "SELECT kind, role FROM salespipe_team"))
    assert owners == [(groups["admin"],)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="events_as_self"):
        _forge(team, own["alice"], role=own["bob"], who=own["bob"])
    [(bobs,)] = team.sql(
        own["bob"], "SELECT min(change) FROM salespipe_events WHERE role = current_user"
    )
    asked = f"SELECT salespipe_change_seen({bobs}, '{own['bob']}')"
    assert team.sql(own["bob"], asked) == [(True,)]
    assert team.sql(own["alice"], asked) == [(False,)]
    policy = team.sql(
        own["adam"],
        "SELECT qual FROM pg_policies WHERE policyname = 'salespipe_own_events'",
    )
    assert "salespipe_change_seen" in policy[0][0]
    migrated = "SELECT count(*) FROM salespipe_migrations WHERE name = 'm017_slips_while_open'"
    assert team.sql(own["adam"], migrated) == [(1,)]


# -- finding 3a: nobody but the owner writes an event as someone else ----------------------

# An event as psql can write one: the next numbers, ``role`` and the record's author,
# deal and undone change as given.
_FORGE = """
INSERT INTO salespipe_events (seq, change, deal_id, type, at, at_date, undid, role, record)
SELECT p.next_seq, p.next_change, %(column_deal)s::bigint, %(type)s::text, now(), current_date,
    %(undid)s::bigint, coalesce(%(role)s::text, current_user),
    json_build_object('seq', p.next_seq, 'change', p.next_change, 'type', %(type)s::text,
        'deal_id', %(deal)s::bigint, 'at', '2026-12-06T08:00:01+00:00',
        'recorded_at', '2026-12-06T08:00:01+00:00', 'who', %(who)s::text,
        'command', 'note', 'reason', null, 'text', 'FORGED', 'before', null,
        'after', CASE WHEN %(undid)s::bigint IS NULL THEN null
                      ELSE json_build_object('undid', %(undid)s::bigint) END)
FROM salespipe_pipeline p
"""


def _forge(
    team: Team,
    as_: str,
    *,
    who: str,
    role: str | None = None,
    deal: int | None = None,
    column_deal: int | None = None,
    type: str = "note",
    undid: int | None = None,
) -> None:
    import psycopg

    with psycopg.connect(team.uri(as_), autocommit=True) as connection:
        connection.execute(
            _FORGE,
            {
                "role": role,
                "who": who,
                "deal": deal,
                "column_deal": column_deal,
                "type": type,
                "undid": undid,
            },
        )


def test_a_member_cannot_write_an_event_as_someone_else(cli, team: Team, own) -> None:
    """A rep (or a manager) with a SQL client wrote events whose role named a colleague,
    or whose record did (``log`` shows the record's author), or whose record named a
    colleague's deal while the column said none: ``log`` showed them by the colleague,
    to everyone. Refused, whoever the member; one as themselves still goes in, theirs."""
    import psycopg

    alice, bob, maria = own["alice"], own["bob"], own["maria"]
    for member in (alice, maria):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="events_as_self"):
            _forge(team, member, role=bob, who=bob, deal=2, column_deal=2)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="events_as_self"):
            _forge(team, member, role=bob, who=bob)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="events_as_self"):
            _forge(team, member, who=bob)  # the role is the member's, the record says bob
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="events_as_self"):
            _forge(team, member, who=member, deal=4)  # bob's deal 4, though the column says none
    bobs = [c["change"] for c in cli.json("--db", team.uri(bob), "undo", "--list")]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="events_as_self"):
        _forge(team, alice, who=alice, type="undo", undid=bobs[-1])  # take back bob's change

    everything = cli.json("--db", team.uri(maria), "log", "-n", "0")
    assert not [e for e in everything if e["text"] == "FORGED"]
    assert {e["who"] for e in everything} <= {
        alice,
        bob,
        maria,
        own["adam"],
        pg_role_of(team.database),
    }

    _forge(team, alice, who=alice, deal=2, column_deal=2)  # as herself, on her deal: hers
    forged = [e for e in cli.json("--db", team.uri(maria), "log") if e["text"] == "FORGED"]
    assert [(e["who"], e["deal_id"]) for e in forged] == [(alice, 2)]


def test_the_owner_still_copies_each_change_by_its_author(
    cli, run, team: Team, own, pipelines: Pipelines
) -> None:
    """A copy by an admin of the team (no superuser) carries every change as its
    author's; a manager's copy of others' changes is refused in one sentence, exit 4.
    (Each copy in a process of its own: its view of the source ends with it.)"""
    import psycopg

    target = pipelines.database(f"salespipe_test_{uuid4().hex[:16]}")
    try:
        assert cli("--db", target, "team", "add", own["adam"], "--role", "admin").exit_code == 0
        assert cli("--db", target, "team", "add", own["maria"], "--role", "manager").exit_code == 0
    finally:
        pipelines.note_groups(target)
    name = _name(target)
    as_maria = _as(own["maria"], name)
    refused = run("copy", team.database, as_maria)
    assert refused.returncode == 4, refused.stderr
    assert "Only an admin of the team may bring changes made by others into" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    copied = run("copy", team.database, _as(own["adam"], name))
    assert copied.returncode == 0, copied.stderr

    def authors(database: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(database) as connection:
            return connection.execute(
                "SELECT seq, role, record::jsonb->>'who' FROM salespipe_events ORDER BY seq"
            ).fetchall()

    source = authors(team.database)
    assert authors(target)[: len(source)] == source
    assert {role for _seq, role, _who in authors(target)} >= {own["alice"], own["bob"]}
    # The target's own history, its team set up, follows the copied history, numbered on.
    with psycopg.connect(target) as connection:
        kept = connection.execute(
            "SELECT seq, type, record::jsonb->'after' FROM salespipe_events"
            " WHERE seq > %s ORDER BY seq",
            (len(source),),
        ).fetchall()
    assert kept == [
        (len(source) + 1, "team-add", {own["adam"]: "admin"}),
        (len(source) + 2, "team-add", {own["maria"]: "manager"}),
    ]


# -- finding 4: an undo is seen by who may see what it undid -------------------------------


def _undos(cli: Any, uri: str) -> list[tuple[Any, Any]]:
    return [
        (e["who"], e["after"]["undid"])
        for e in cli.json("--db", uri, "log", "-n", "0")
        if e["type"] == "undo"
    ]


def test_a_rep_does_not_see_a_colleagues_undo(cli, team: Team, own) -> None:
    """Under visibility own, bob winning his deal and taking it back showed in alice's
    `log` (an undo is of no deal): she learnt that he had won something. Now she sees
    the undos of her own changes, of changes to her deals (a manager's too, so her deal
    shows the change undone) and of stages and settings; a manager sees them all."""
    alice, bob, maria, adam = (team.uri(own[name]) for name in ("alice", "bob", "maria", "adam"))
    assert cli("--db", bob, "won", "4").exit_code == 0
    assert cli("--db", bob, "undo").exit_code == 0
    bobs_won = _undos(cli, maria)[0]
    assert bobs_won[0] == own["bob"]
    assert bobs_won not in _undos(cli, alice)
    assert bobs_won in _undos(cli, bob)

    assert cli("--db", maria, "move", "2", "Quoted").exit_code == 0  # alice's deal
    moved = cli.json("--db", alice, "log", "2")[0]
    assert cli("--db", maria, "undo").exit_code == 0
    assert (own["maria"], moved["change"]) in _undos(cli, alice)
    shown = cli.json("--db", alice, "show", "2")
    assert [e["undone"] for e in shown["events"] if e["change"] == moved["change"]] == [True]
    assert cli.json("--db", alice, "show", "2")["stage"] != "quoted"

    assert cli("--db", adam, "stage", "add", "Pilot").exit_code == 0
    assert cli("--db", adam, "undo").exit_code == 0
    assert _undos(cli, alice)[0][0] == own["adam"]  # a stage's undo: everyone's
    assert cli("--db", alice, "note", "2", "mine").exit_code == 0
    assert cli("--db", alice, "undo").exit_code == 0
    assert _undos(cli, alice)[0][0] == own["alice"]
    assert len(_undos(cli, maria)) == 4


def test_a_rep_cannot_ask_the_server_whose_changes_are_whose(cli, team: Team, own) -> None:
    """salespipe_change_by(c, 'bob') and salespipe_change_seen(c, 'bob') run as the
    tables' owner for the row policies: a rep with a SQL client called them for every
    change number and learnt which changes a colleague made and which touched their
    deals (a team trial). Asked of another role, they say false; of oneself, as before."""
    alice, bob = own["alice"], own["bob"]
    changes = [c for (c,) in team.sql(bob, "SELECT DISTINCT change FROM salespipe_events")]
    bobs = [c for c in changes if team.sql(bob, f"SELECT salespipe_change_by({c}, '{bob}')")[0][0]]
    assert bobs  # bob may ask of himself
    for function in ("salespipe_change_by", "salespipe_change_seen"):
        asked = team.sql(
            alice, f"SELECT {function}(c, '{bob}') FROM unnest(%s::bigint[]) c", changes
        )
        assert {found for (found,) in asked} == {False}, function
        asked = team.sql(
            alice, f"SELECT {function}(c, 'no_such_role') FROM unnest(%s::bigint[]) c", changes
        )
        assert {found for (found,) in asked} == {False}, function
    # Her own undo still goes, as the policies ask of her (m012: an undo of her change).
    assert cli("--db", team.uri(alice), "undo").exit_code == 0
