"""Who may see what on a shared pipeline: `team add|list|remove`, `config set visibility
own`, and the database enforcing it with real login roles over TCP, through the CLI
and through a plain SQL client (docs/team.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from tests.checks import ok
from tests.conftest import pg_admin, pg_role, release_roles

SECRET = "S3cret-pw!"


def _one_sentence(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# -- on a data file: no users, no team ------------------------------------------------------


def test_team_on_a_data_file_is_one_sentence_exit_2(cli) -> None:
    """A file has no users: each team command says so, exit 2, and creates nothing."""
    for args in (("team", "list"), ("team", "add", "alice"), ("team", "remove", "alice")):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "a team needs a pipeline on PostgreSQL" in _one_sentence(result.stderr)
    result = cli("team", "list", "--json")  # (its own code, as watch's no_live_feed)
    assert json.loads(result.stdout)["error"]["code"] == "no_team"


def test_visibility_on_a_data_file_is_refused(cli) -> None:
    """`config set visibility own` would promise a file what it cannot keep: exit 2."""
    assert cli("add", "ERP").exit_code == 0
    result = cli("config", "set", "visibility", "own")
    assert result.exit_code == 2
    assert "is for a pipeline on PostgreSQL" in _one_sentence(result.stderr)
    assert cli.json("config", "get", "visibility") == {"visibility": "all"}


# -- on PostgreSQL, with real roles -----------------------------------------------------------


class Team:
    """A pipeline on a fresh database, with login roles made for this run (roles are
    the server's, shared by every database: their names are unique to the run)."""

    def __init__(self, server: str, database: str) -> None:
        self.server = server
        self.database = database  # the superuser's URI: the pipeline's owner
        self.tag = uuid4().hex[:8]
        self.logins: list[str] = []

    def login(self, name: str, **options: str) -> str:
        role = f"sp_{name}_{self.tag}"
        pg_admin(self.server, f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'")
        for setting, value in options.items():
            pg_admin(self.server, f"ALTER ROLE {role} SET {setting} = {value}")
        self.logins.append(role)
        return role

    def own_database(self, role: str) -> str:
        """Make ``role`` the database's owner with CREATEROLE, as docs/team.md sets a
        server up; the pipeline as it sees it (the test is marked ``empty_database``,
        so that ``role`` makes the tables)."""
        name = self.database.rsplit("/", 1)[1].split("?")[0]
        pg_admin(self.server, f"ALTER ROLE {role} CREATEROLE")
        pg_admin(self.server, f"ALTER DATABASE {name} OWNER TO {role}")
        return self.uri(role)

    def uri(self, role: str) -> str:
        """The pipeline as ``role`` sees it: over TCP, signing in with its password."""
        return f"postgresql://{role}:{SECRET}@127.0.0.1/{self.database.rsplit('/', 1)[1]}"

    def sql(self, role: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """One statement as ``role`` in a plain SQL client (autocommit)."""
        import psycopg

        with psycopg.connect(self.uri(role), autocommit=True) as connection:
            cursor = connection.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    def drop(self) -> None:
        """Drop the logins and the team's group roles (after their grants in the database)."""
        import psycopg

        # A view the test left open (as the CLI's process would at exit) lets go first.
        pg_admin(
            self.server,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY(%s)",
            self.logins,
        )
        with psycopg.connect(self.database, autocommit=True) as connection:
            known = connection.execute("SELECT to_regclass('salespipe_team') IS NOT NULL")
            row = known.fetchone()
            groups = []
            if row and row[0]:
                groups = [r for (r,) in connection.execute("SELECT role FROM salespipe_team")]
            release_roles(connection, [*groups, *self.logins])
        for role in [*self.logins, *groups]:
            pg_admin(self.server, f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def team(pg_server: str, request: pytest.FixtureRequest) -> Iterator[Team]:
    """The team's database: with salespipe's tables made by the tests' superuser, or,
    for a test marked ``empty_database`` (whose owner makes them), without any."""
    empty = request.node.get_closest_marker("empty_database") is not None
    database = request.getfixturevalue("pg_empty_database" if empty else "pg_database")
    made = Team(pg_server, database)
    try:
        yield made
    finally:
        made.drop()


def test_an_admin_adds_lists_and_removes_people(cli, team: Team) -> None:
    """The pipeline's owner sets the team up; list shows each user once, with its role."""
    alice, bob = team.login("alice"), team.login("bob")
    db = team.database
    assert cli("--db", db, "init").exit_code == 0
    added = cli.json("--db", db, "team", "add", alice, "--role", "rep")
    # The first makes the team, and whoever runs it its admin: said (a team trial).
    maker = pg_role(db)
    assert added == {"user": alice, "role": "rep", "on_team": True, "made_admin": maker}
    members = {m["user"]: m["role"] for m in cli.json("--db", db, "team", "list")}
    assert members == {alice: "rep", maker: "admin"}
    said = cli("--db", db, "team", "add", bob, "--role", "manager")
    assert said.stdout == f"{bob} is on the team as manager.\n"  # (only the first says it)
    again = cli("--db", db, "team", "add", alice, "--role", "rep")
    assert again.stdout.strip() == f"{alice} is on the team as rep already; nothing changed."
    assert cli("--db", db, "team", "add", alice, "--role", "manager").exit_code == 0  # promoted
    members = {m["user"]: m["role"] for m in cli.json("--db", db, "team", "list")}
    assert members[alice] == "manager"
    assert members[bob] == "manager"
    plain = cli("--db", db, "team", "list").stdout
    assert alice in plain
    assert "manager" in plain

    removed = cli("--db", db, "team", "remove", bob)
    assert removed.exit_code == 0
    assert "no longer on the team (was manager)" in removed.stdout
    assert bob not in {m["user"] for m in cli.json("--db", db, "team", "list")}
    again = cli("--db", db, "team", "remove", bob)
    assert again.exit_code == 1
    assert "is not on the team" in _one_sentence(again.stderr)
    # bob cannot read at all now: not "may read but not change"
    shut_out = cli("--db", team.uri(bob), "list")
    assert shut_out.exit_code == 4
    assert "may not read the pipeline at" in _one_sentence(shut_out.stderr)
    assert "it is not on its team" in shut_out.stderr
    for write in (("add", "B"), ("move", "1", "quoted")):  # were "may read but not change"
        refused = cli("--db", team.uri(bob), *write)
        assert refused.exit_code == 4, write
        assert "it is not on its team" in _one_sentence(refused.stderr), write


def test_team_list_by_someone_off_the_team_says_they_are_not_on_it(cli, team: Team) -> None:
    """`team list` only reads: a login not on the team was told it "may read but not
    change" the pipeline, as if it were a read-only member."""
    alice, carol = team.login("alice"), team.login("carol")
    assert cli("--db", team.database, "team", "add", alice, "--role", "rep").exit_code == 0
    for person in (carol, alice):
        if person == alice:
            assert cli("--db", team.database, "team", "remove", alice).exit_code == 0
        refused = cli("--db", team.uri(person), "team", "list")
        assert refused.exit_code == 4
        sentence = _one_sentence(refused.stderr)
        assert "may not read the pipeline at" in sentence
        assert "it is not on its team" in sentence


@pytest.mark.empty_database
def test_team_remove_before_there_is_a_team_says_the_user_is_not_on_it(cli, team: Team) -> None:
    """With no team made yet, the owner's `team remove bob` must say bob is not on the
    team, not that only an admin may change it (there is no admin yet)."""
    alice, bob = team.login("alice"), team.login("bob")
    owner = team.own_database(alice)
    assert cli("--db", owner, "init").exit_code == 0
    refused = cli("--db", owner, "team", "remove", bob)
    assert refused.exit_code == 1
    assert f"{bob} is not on the team" in _one_sentence(refused.stderr)


@pytest.mark.empty_database
def test_the_databases_owner_with_createrole_sets_the_team_up(cli, team: Team) -> None:
    """As docs/team.md sets a server up: a login with CREATEROLE owns the database (so
    its `public` schema, where PostgreSQL 15 lets nobody else create), makes the
    pipeline, and its first `team add` hands the tables to the team's admin group with
    no grant made by hand; a rep then works under `visibility own`."""
    alice, bob = team.login("alice"), team.login("bob")
    owner = team.own_database(alice)
    assert cli("--db", owner, "init").exit_code == 0
    added = cli("--db", owner, "team", "add", bob, "--role", "rep")
    assert added.exit_code == 0, added.stderr
    members = {m["user"]: m["role"] for m in cli.json("--db", owner, "team", "list")}
    assert members == {alice: "admin", bob: "rep"}
    assert cli("--db", owner, "add", "Alice's deal").exit_code == 0
    assert cli("--db", owner, "config", "set", "visibility", "own").exit_code == 0
    mine = cli("--db", team.uri(bob), "add", "Bob's deal")
    assert mine.exit_code == 0, mine.stderr
    assert _titles(cli, team.uri(bob)) == ["Bob's deal"]
    assert _titles(cli, owner) == ["Alice's deal", "Bob's deal"]


def test_the_first_team_add_by_someone_else_says_who_may_make_the_team(cli, team: Team) -> None:
    """Before the team is made, a login that neither owns the tables nor may make roles
    is told who may make it."""
    assert cli("--db", team.database, "init").exit_code == 0
    carol, dave = team.login("carol"), team.login("dave")
    refused = cli("--db", team.uri(carol), "team", "add", dave, "--role", "rep")
    assert refused.exit_code == 4
    assert "the first `team add` needs the tables' owner with CREATEROLE" in _one_sentence(
        refused.stderr
    )


@pytest.mark.empty_database
def test_the_last_admin_may_not_step_down_or_leave(cli, team: Team) -> None:
    """The owner who set the team up is its only admin: adding themself as a rep, or
    removing themself, would leave nobody able to change the team, the stages or the
    settings (it did: only a superuser could mend it). Refused, nothing changed; once
    there is another admin, either may go."""
    alice, adam = team.login("alice"), team.login("adam")
    owner = team.own_database(alice)
    assert cli("--db", owner, "init").exit_code == 0
    first = cli("--db", owner, "team", "add", alice, "--role", "rep")  # makes the team first
    assert first.exit_code == 1
    assert f"{alice} is the last admin of the team" in _one_sentence(first.stderr)
    assert cli("--db", owner, "team", "add", adam, "--role", "manager").exit_code == 0
    for args in (("add", alice, "--role", "rep"), ("remove", alice)):
        refused = cli("--db", owner, "team", *args)
        assert refused.exit_code == 1
        assert f"{alice} is the last admin of the team" in _one_sentence(refused.stderr)
    assert cli.json("--db", owner, "team", "list") == [
        {"user": adam, "role": "manager"},
        {"user": alice, "role": "admin"},
    ]
    assert cli("--db", owner, "team", "add", adam, "--role", "admin").exit_code == 0
    assert cli("--db", owner, "team", "add", alice, "--role", "rep").exit_code == 0
    members = {m["user"]: m["role"] for m in cli.json("--db", team.uri(adam), "team", "list")}
    assert members == {alice: "rep", adam: "admin"}
    # A rep now, though the server would let her CREATEROLE grant herself the admin group.
    for args in (("add", alice, "--role", "admin"), ("remove", adam)):
        refused = cli("--db", owner, "team", *args)
        assert refused.exit_code == 4
        assert "Only an admin of the team may change the team" in _one_sentence(refused.stderr)
    members = {m["user"]: m["role"] for m in cli.json("--db", team.uri(adam), "team", "list")}
    assert members == {alice: "rep", adam: "admin"}


def test_an_admin_steps_down_or_leaves_while_another_admin_stays(cli, team: Team) -> None:
    """An admin without CREATEROLE who made themself a manager, or took themself off the
    team, was refused ("may read but not change", "Only an admin"): their rights were
    revoked before the change's own event and the grant of the new role were written (a
    trial). Each now goes through, recorded as theirs."""
    db = team.database
    adam, bea = team.login("adam"), team.login("bea")
    assert cli("--db", db, "init").exit_code == 0
    for user in (adam, bea):
        assert cli("--db", db, "team", "add", user, "--role", "admin").exit_code == 0
    stepped = cli("--db", team.uri(adam), "team", "add", adam, "--role", "manager")
    assert stepped.exit_code == 0, stepped.stderr
    left = cli("--db", team.uri(bea), "team", "remove", bea)
    assert left.exit_code == 0, left.stderr
    members = {m["user"]: m["role"] for m in cli.json("--db", db, "team", "list")}
    assert (members.get(adam), members.get(bea)) == ("manager", None)
    refused = cli("--db", team.uri(adam), "team", "add", adam, "--role", "admin")
    assert refused.exit_code == 4
    assert "Only an admin of the team may change the team" in _one_sentence(refused.stderr)
    made = [(e["type"], e["who"]) for e in cli.json("--db", db, "log")][:2]
    assert made == [("team-remove", bea), ("team-add", adam)]


def test_deals_no_rep_would_see_are_counted_when_they_are_hidden(cli, team: Team, tmp_path) -> None:
    """`config set visibility own` hid every deal of an owner not on the team (a file
    copied in says "Bao", not a login), and `team remove` a member's deals, without a
    word: the reps' lists came up empty (a trial)."""
    db = team.database
    alice = team.login("alice")
    assert cli("--db", db, "team", "add", alice, "--role", "rep").exit_code == 0
    for title, owner in (("One", "Bao"), ("Two", "Bao"), ("Three", "Chai"), ("Hers", alice)):
        assert cli("--db", db, "add", title, "--owner", owner).exit_code == 0
    assert "own" not in cli("--db", db, "config", "set", "visibility", "all").stderr
    told = cli("--db", db, "config", "set", "visibility", "own")
    assert told.exit_code == 0
    assert _one_sentence(told.stderr) == (
        'Warning: 3 open deals are owned by people not on the team ("Bao" (2), "Chai" (1)), '
        "so no rep sees them; hand them to members with `salespipe edit ID --owner USER`."
    )
    removed = cli("--db", db, "team", "remove", alice)
    assert removed.exit_code == 0
    assert f"{alice} owns 1 open deal, which no rep sees now" in _one_sentence(removed.stderr)
    sheet = tmp_path / "zed.csv"
    sheet.write_text("title,owner\nZ1,Zed\n", encoding="utf-8")
    imported = cli("--db", db, "import", str(sheet))  # as add --owner Zed would not be
    assert imported.exit_code == 0
    assert '"Zed" (1)' in _one_sentence(imported.stderr)


def test_a_user_the_server_does_not_have_needs_create_login(cli, team: Team) -> None:
    """team add does not make logins by accident: only with --create-login."""
    db, newcomer = team.database, f"sp_new_{team.tag}"
    result = cli("--db", db, "team", "add", newcomer)
    assert result.exit_code == 1
    assert f"createuser {newcomer}" in _one_sentence(result.stderr)
    team.logins.append(newcomer)  # dropped after the test
    alice = team.login("alice")
    shouted = cli("--db", db, "team", "add", alice.upper())
    assert shouted.exit_code == 1  # createuser would make a second login for her (a trial)
    assert _one_sentence(shouted.stderr) == (
        f'Error: The database server has no role "{alice.upper()}", but has "{alice}" '
        "(role names are exact); nothing was changed."
    )
    assert cli("--db", db, "team", "add", newcomer, "--create-login").exit_code == 0
    created = cli.json("--db", db, "team", "list")
    assert {"user": newcomer, "role": "rep"} in created


def test_a_bad_role_is_refused(cli, team: Team) -> None:
    alice = team.login("alice")
    result = cli("--db", team.database, "team", "add", alice, "--role", "boss")
    assert result.exit_code == 1
    assert '--role "boss" is not one of rep, manager, admin' in _one_sentence(result.stderr)


@pytest.fixture
def own(cli, team: Team) -> dict[str, str]:
    """visibility own, two reps, a manager and an admin (not a superuser), one deal each
    for the reps and one of the owner's."""
    db = team.database
    people = {
        "alice": team.login("alice"),
        "bob": team.login("bob"),
        "maria": team.login("maria"),
        "adam": team.login("adam"),
    }
    roles = {"alice": "rep", "bob": "rep", "maria": "manager", "adam": "admin"}
    assert cli("--db", db, "add", "Owner's deal", "--value", "1m").exit_code == 0
    for name, role in roles.items():
        assert cli("--db", db, "team", "add", people[name], "--role", role).exit_code == 0
    assert cli("--db", db, "config", "set", "visibility", "own").exit_code == 0
    for name in ("alice", "bob"):
        for title in ("first", "second"):
            added = cli(
                "--db", team.uri(people[name]), "add", f"{name} {title}", "--owner", people[name],
                "--value", "100k",
            )  # fmt: skip
            assert added.exit_code == 0, added.stderr
    return people


def _titles(cli, uri: str, *args: str) -> list[str]:
    return sorted(d["title"] for d in cli.json("--db", uri, "list", "--status", "all", *args))


def test_config_owner_on_a_server_is_the_role_a_new_deal_goes_to(cli, team: Team, own) -> None:
    """`config get owner` and `config list` said the machine's login name (root) on a
    server, where a new deal's owner and a change's author are the database role."""
    alice = team.uri(own["alice"])
    assert cli.json("--db", alice, "config", "get", "owner") == {"owner": own["alice"]}
    assert cli.json("--db", alice, "config", "list")["owner"] == own["alice"]
    added = cli.json("--db", alice, "add", "Whose is it")
    assert added["owner"] == own["alice"]


def test_an_owner_is_spelled_as_the_team_member_and_no_one_is_refused(cli, team: Team, own) -> None:
    """A manager's `add --owner ALICE` kept "ALICE", which row-level security does not take
    for alice: the deal counted in the manager's report of alice and alice never saw it.
    An owner on no one of the team (a typo) made a deal no rep would ever see."""
    maria, alice = team.uri(own["maria"]), team.uri(own["alice"])
    added = cli.json("--db", maria, "add", "Shouted", "--owner", own["alice"].upper())
    assert added["owner"] == own["alice"]
    assert "Shouted" in _titles(cli, alice)
    edited = cli.json("--db", maria, "edit", str(added["id"]), "--owner", own["bob"].upper())
    assert edited["owner"] == own["bob"]
    typo = cli("--db", maria, "add", "Typo", "--owner", "alcie")
    assert typo.exit_code == 1
    assert '"alcie" is not on the team' in _one_sentence(typo.stderr)
    assert "Typo" not in _titles(cli, maria)
    assert cli("--db", team.uri(own["adam"]), "config", "set", "visibility", "all").exit_code == 0
    assert cli.json("--db", maria, "add", "Typo", "--owner", "alcie")["owner"] == "alcie"


def test_an_imports_owners_are_spelled_as_the_team_members(cli, team: Team, own, tmp_path) -> None:
    """A manager's import of a row owned by "ALICE" made a deal alice never saw, while
    the manager's `list --owner` of alice counted it."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text(f"title,owner\nImported,{own['alice'].upper()}\n", encoding="utf-8")
    done = cli("--db", team.uri(own["maria"]), "import", str(sheet))
    assert done.exit_code == 0, done.stderr
    assert "Imported" in _titles(cli, team.uri(own["alice"]))


def test_a_rep_sees_and_reports_only_their_own_deals(cli, team: Team, own) -> None:
    """Through the CLI: list, show, log and the reports of a rep cover their deals only;
    a manager and an admin see everything."""
    alice = team.uri(own["alice"])
    assert _titles(cli, alice) == ["alice first", "alice second"]
    assert _titles(cli, team.uri(own["bob"])) == ["bob first", "bob second"]
    everything = ["Owner's deal", "alice first", "alice second", "bob first", "bob second"]
    assert _titles(cli, team.uri(own["maria"])) == everything
    assert _titles(cli, team.uri(own["adam"])) == everything

    chart = cli.json("--db", alice, "chart")
    assert sum(bar["count"] for bar in chart["stages"]) == 2
    assert {e["deal_id"] for e in cli.json("--db", alice, "log") if e["deal_id"]} == {2, 3}
    bobs = cli("--db", alice, "show", "4")
    assert bobs.exit_code == 1
    assert "There is no deal 4" in _one_sentence(bobs.stderr)


def test_a_rep_cannot_undo_a_change_to_a_deal_given_to_someone_else_since(
    cli, team: Team, own
) -> None:
    """Alice moves her deal; the manager gives it to bob, who moves it on. Alice's undo
    would have said "Undid" and changed nothing (the database hides the deal from her
    now): it is refused in one sentence, exit 1, and her change stays on her list."""
    alice, bob, maria = (team.uri(own[name]) for name in ("alice", "bob", "maria"))
    assert cli("--db", alice, "move", "2", "Quoted").exit_code == 0
    assert cli("--db", maria, "edit", "2", "--owner", own["bob"]).exit_code == 0
    assert cli("--db", bob, "move", "2", "Negotiating").exit_code == 0
    before = cli.json("--db", team.database, "show", "2")
    undone = [c["change"] for c in cli.json("--db", alice, "undo", "--list")]

    refused = cli("--db", alice, "undo")

    assert refused.exit_code == 1
    assert _one_sentence(refused.stderr) == (
        f"Error: Your change {undone[0]} (move) was to a deal you may no longer change (it "
        "is not yours, and reps now change only their own deals); nothing was undone."
    )
    assert cli.json("--db", team.database, "show", "2") == before
    assert [c["change"] for c in cli.json("--db", alice, "undo", "--list")] == undone
    thai = cli("--db", alice, "--lang", "th", "undo")
    assert thai.exit_code == 1
    assert "ไม่ได้ย้อนกลับอะไรเลย" in _one_sentence(thai.stderr)


def test_a_copy_over_a_team_database_keeps_reps_to_their_own_deals(
    cli, team: Team, own, tmp_path
) -> None:
    """`copy FILE DB --replace` put the file's settings in place, and a file's
    visibility is always "all": every rep then saw every deal, without a word."""
    pipeline = str(tmp_path / "pipeline.json")
    for name in ("alice", "bob"):
        assert cli("--db", pipeline, "add", f"{name}'s", "--owner", own[name]).exit_code == 0
    copied = cli("copy", pipeline, team.database, "--replace")
    assert copied.exit_code == 0, copied.stderr
    assert cli.json("--db", team.database, "config", "get", "visibility") == {"visibility": "own"}
    assert _titles(cli, team.uri(own["alice"])) == ["alice's"]
    assert _titles(cli, team.uri(own["maria"])) == ["alice's", "bob's"]


def test_a_reps_deal_deleted_in_the_file_copied_in_is_still_theirs(
    cli, team: Team, own, tmp_path, monkeypatch
) -> None:
    """The copy brought no row for a deal deleted in the file, and a deal's events are
    seen with its row: its rep could not read its history (`log ID`: no deal), the
    undo list named it by no title, and undo refused the deletion as of a deal not
    theirs (a trial). A deal deleted on the server keeps its row; a copied one now too."""
    pipeline = str(tmp_path / "pipeline.json")
    monkeypatch.setenv("SALESPIPE_USER", own["alice"])  # who makes the file's changes
    for title in ("Keep", "Gone"):
        assert cli("--db", pipeline, "add", title, "--owner", own["alice"]).exit_code == 0
    assert cli("--db", pipeline, "delete", "2", "--yes").exit_code == 0
    # a deal whose creation was undone is gone too, its history kept (a review)
    assert cli("--db", pipeline, "add", "Undone", "--owner", own["alice"]).exit_code == 0
    assert cli("--db", pipeline, "undo").exit_code == 0
    copied = cli("copy", pipeline, team.database, "--replace")
    assert copied.exit_code == 0, copied.stderr
    alice = team.uri(own["alice"])
    assert [e["type"] for e in cli.json("--db", alice, "log", "2")] == ["delete", "add"]
    logged = cli.json("--db", alice, "log", "--limit", "0")
    assert [(e["type"], e["undone"]) for e in logged if e["deal_id"] == 3] == [("add", True)]
    listed = cli.json("--db", alice, "undo", "--list")[0]
    assert listed["description"] == 'deletion of deal 2 "Gone"'
    assert listed["refused"] is None
    undone = cli("--db", alice, "undo")
    assert undone.exit_code == 0, undone.stderr
    assert _titles(cli, alice) == ["Gone", "Keep"]
    assert "Gone" not in _titles(cli, team.uri(own["bob"]))


def test_a_copy_of_a_team_database_into_a_file_does_not_carry_visibility(
    cli, team: Team, own, tmp_path
) -> None:
    """The file said `visibility own`, which a file cannot keep, and `config set
    visibility all` there was refused: the setting could not be taken back."""
    copied = str(tmp_path / "copied.json")
    done = cli("copy", team.uri(own["maria"]), copied)
    assert done.exit_code == 0, done.stderr
    assert cli.json("--db", copied, "config", "get", "visibility") == {"visibility": "all"}


def test_a_reps_report_of_a_colleague_says_it_sees_none_of_their_deals(
    cli, team: Team, own
) -> None:
    """A rep's `report --owner bob` warned that no deal has the owner bob: bob has deals,
    the rep cannot see them."""
    shown = cli("--db", team.uri(own["alice"]), "report", "--owner", own["bob"])
    assert f'no deal you may see has the owner "{own["bob"]}"' in shown.stderr
    managed = cli("--db", team.uri(own["maria"]), "report", "--owner", "nobody")
    assert 'no deal has the owner "nobody"' in managed.stderr


def test_a_check_that_sees_no_deal_of_ones_own_says_why(cli, team: Team, own) -> None:
    """A cron `check` as a role that owns no deal under visibility own said "Nothing to
    act on" and exit 0, as if the pipeline were in order (a trial)."""
    carol = team.login("carol")
    assert cli("--db", team.database, "team", "add", carol, "--role", "rep").exit_code == 0
    checked = cli("--db", team.uri(carol), "check")
    assert checked.exit_code == 0
    assert _one_sentence(checked.stderr) == (
        "Warning: You see only the deals you own (visibility own), and own no open deal in "
        "this pipeline."
    )
    assert "visibility own" not in cli("--db", team.uri(own["alice"]), "check").stderr
    assert "visibility own" not in cli("--db", team.uri(own["maria"]), "check").stderr


def test_a_reps_backup_is_refused_and_their_csv_is_theirs(cli, team: Team, own, tmp_path) -> None:
    """A rep's `export --format json` wrote a "backup" of their own deals only and said it
    wrote it: a nightly backup by a rep was partial without a word."""
    alice = team.uri(own["alice"])
    backup = tmp_path / "backup.json"
    refused = cli("--db", alice, "export", "--format", "json", "-o", str(backup))
    assert refused.exit_code == 4
    assert "a backup would not be the whole pipeline" in _one_sentence(refused.stderr)
    assert not backup.exists()
    mine = cli("--db", alice, "export", "--format", "csv")
    assert mine.exit_code == 0
    assert "alice first" in mine.stdout
    assert "bob first" not in mine.stdout


def test_a_rep_may_not_copy_out_the_part_they_see(cli, team: Team, own, tmp_path) -> None:
    """Under `visibility own` a rep's copy out of the database made a file of their own
    deals and said the pipeline was copied "as it was"; it is refused and nothing is
    made. A manager's copy has every deal."""
    alice_copy, maria_copy = tmp_path / "alice.json", tmp_path / "maria.json"
    refused = cli("copy", team.uri(own["alice"]), str(alice_copy))
    assert refused.exit_code == 4
    sentence = _one_sentence(refused.stderr)
    assert "sees only its own deals" in sentence
    assert "nothing was copied" in sentence
    assert not alice_copy.exists()
    assert cli("copy", team.uri(own["maria"]), str(maria_copy)).exit_code == 0
    assert _titles(cli, str(maria_copy)) == _titles(cli, team.database)


def test_only_an_admin_may_replace_the_pipeline(cli, team: Team, own, tmp_path) -> None:
    """A rep's or a manager's `copy … --replace` was told the role "may read but not
    change" the pipeline and to ask for write access, which they have."""
    pipeline = str(tmp_path / "pipeline.json")
    assert cli("--db", pipeline, "add", "From a file").exit_code == 0
    before = cli.json("--db", team.database, "list")
    for name in ("alice", "maria"):
        refused = cli("copy", pipeline, team.uri(own[name]), "--replace", "--json")
        assert refused.exit_code == 4
        assert json.loads(refused.stdout)["error"]["code"] == "not_permitted"
        assert "Only an admin of the team may replace everything" in refused.stderr
    assert cli.json("--db", team.database, "list") == before


def test_a_reps_import_gives_the_rows_without_an_owner_to_the_rep(
    cli, team: Team, own, tmp_path
) -> None:
    """As `add` does: the importing role owns the rows that name no owner (they went to
    the machine's login name, which the database refused for a rep and hid from all)."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,value\nRoof,100\nDoor,200\n", encoding="utf-8")
    alice = team.uri(own["alice"])
    report = cli.json("--db", alice, "import", str(sheet))
    assert report["imported"] == 2
    assert report["filled"]["owner"] == {"count": 2, "value": own["alice"]}
    assert _titles(cli, alice) == ["Door", "Roof", "alice first", "alice second"]


def test_a_rep_imports_a_hundred_rows_and_more(cli, team: Team, own, tmp_path) -> None:
    """From 100 rows on the events go to the server by COPY, which PostgreSQL refuses on
    a table with row-level security: a rep under visibility own could import 99 deals,
    not 100 (a trial)."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text(
        "title,value\n" + "".join(f"Deal {n},{n}\n" for n in range(1, 121)), encoding="utf-8"
    )
    alice = team.uri(own["alice"])
    report = cli.json("--db", alice, "import", str(sheet))
    assert report["imported"] == 120
    events = cli.json("--db", alice, "log", "--limit", "0")
    assert sum(e["type"] == "add" and e["deal_id"] is not None for e in events) >= 120
    assert ok(cli("--db", alice, "undo")).stdout.startswith("Undid: import of 120 deals")
    assert len(_titles(cli, alice)) == 2


def test_a_rep_imports_a_thousand_closed_deals(cli, team: Team, own, tmp_path) -> None:
    """A thousand won rows are 2,000 events, which the server is sent before the last
    deals are: under visibility own an event of a deal not stored yet is refused by the
    row policy, so the import failed (an events' batch must not go ahead of its deals)."""
    sheet = tmp_path / "won.csv"
    sheet.write_text(
        "title,value,stage,status\n" + "".join(f"Won {n},{n},Quoted,won\n" for n in range(1000)),
        encoding="utf-8",
    )
    alice = team.uri(own["alice"])
    report = cli.json("--db", alice, "import", str(sheet))
    assert report["imported"] == 1000
    assert len(_titles(cli, alice)) == 1002
    assert ok(cli("--db", alice, "undo")).stdout.startswith("Undid: import of 1000 deals")
    assert len(_titles(cli, alice)) == 2
    assert cli("--db", team.database, "doctor").exit_code == 0


def test_a_reps_dry_run_refuses_what_the_import_would_be_refused(
    cli, team: Team, own, tmp_path
) -> None:
    """A rep's dry run said it "would import" a row owned by a colleague, which the
    real import was then refused whole for (exit 4)."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text(
        f"title,owner\nBob's,{own['bob']}\nMine,\nBob's too,{own['bob']}\nMine too,\n",
        encoding="utf-8",
    )
    alice = team.uri(own["alice"])
    for dry in (("--dry-run",), ()):
        refused = cli("--db", alice, "import", str(sheet), *dry, "--json")
        assert refused.exit_code == 1, refused.stderr
        problems = json.loads(refused.stdout)["error"]["problems"]
        assert [(p["line"], p["column"], p["value"]) for p in problems] == [
            (2, "owner", own["bob"]),
            (4, "owner", own["bob"]),
        ]
    next_id = cli.json("--db", alice, "add", "Before")["id"] + 1
    report = cli.json("--db", alice, "import", str(sheet), "--skip-invalid")
    assert report["imported"] == 2
    # The rows left out took no deal number and count in no total (they did both).
    assert report["filled"]["owner"]["count"] == 2
    ids = {d["title"]: d["id"] for d in cli.json("--db", alice, "list")}
    assert (ids["Mine"], ids["Mine too"]) == (next_id, next_id + 1)
    assert "Bob's" not in _titles(cli, team.uri(own["maria"]))


def test_a_rep_changes_only_their_own_deals(cli, team: Team, own) -> None:
    """Moving a colleague's deal finds no such deal (exit 1); handing a deal to
    someone else or adding one for them is refused by the database (exit 4)."""
    alice = team.uri(own["alice"])
    before = cli.json("--db", team.database, "show", "2")["stage"]
    assert cli("--db", alice, "move", "2", "2").exit_code == 0
    assert cli.json("--db", team.database, "show", "2")["stage"] != before
    assert cli("--db", alice, "move", "4", "2").exit_code == 1
    given = cli("--db", alice, "edit", "2", "--owner", own["bob"], "--json")
    assert given.exit_code == 4
    assert json.loads(given.stdout)["error"]["code"] == "not_permitted"
    assert "only the deals it owns" in _one_sentence(given.stderr)
    assert SECRET not in given.stderr + given.stdout
    added = cli("--db", alice, "add", "for bob", "--owner", own["bob"])
    assert added.exit_code == 4
    mine = cli.json("--db", alice, "add", "no owner given")  # the role is the owner
    assert mine["owner"] == own["alice"]
    # Nothing of either got through.
    assert _titles(cli, team.uri(own["bob"])) == ["bob first", "bob second"]
    assert cli("--db", alice, "undo").exit_code == 0  # alice's own add
    assert cli("--db", alice, "undo").exit_code == 0  # and her move
    assert cli.json("--db", team.database, "show", "2")["stage"] == before


def test_only_an_admin_changes_stages_and_settings(cli, team: Team, own) -> None:
    """A rep and a manager are told in one sentence (exit 4); an admin who is not a
    superuser may, and may put people on the team."""
    for name in ("alice", "maria"):
        uri = team.uri(own[name])
        for args in (("stage", "add", "Demo"), ("config", "set", "visibility", "all")):
            result = cli("--db", uri, *args)
            assert result.exit_code == 4, (name, args)
            assert "Only an admin of the team" in _one_sentence(result.stderr)
        team_change = cli("--db", uri, "team", "add", own["bob"], "--role", "manager")
        assert team_change.exit_code == 4
        assert "Only an admin of the team" in _one_sentence(team_change.stderr)
        # The team is made: how the first `team add` is done is no help to them.
        assert "first `team add`" not in team_change.stderr
    adam = team.uri(own["adam"])
    assert cli("--db", adam, "stage", "add", "Demo").exit_code == 0
    assert cli("--db", adam, "team", "add", own["bob"], "--role", "manager").exit_code == 0
    assert len(_titles(cli, team.uri(own["bob"]))) == 5  # a manager now
    assert cli("--db", adam, "config", "set", "visibility", "all").exit_code == 0
    assert len(_titles(cli, team.uri(own["alice"]))) == 5


def test_a_rep_cannot_read_around_it_with_sql(team: Team, own) -> None:
    """The database itself keeps a rep to their own rows: a SQL client sees and changes
    only those, and cannot switch the policies off or the visibility back."""
    import psycopg

    alice = own["alice"]
    assert team.sql(alice, "SELECT id FROM salespipe_deals ORDER BY id") == [(2,), (3,)]
    assert {d for (d,) in team.sql(alice, "SELECT DISTINCT deal_id FROM salespipe_events")} <= {
        2,
        3,
        None,
    }
    assert team.sql(alice, "SELECT count(*) FROM salespipe_events WHERE deal_id = 4") == [(0,)]
    assert team.sql(alice, "SELECT DISTINCT role FROM salespipe_undo") == [(alice,)]
    updated = team.sql(alice, "UPDATE salespipe_deals SET stage = 'x' WHERE id = 4 RETURNING id")
    assert updated == []
    refused = [
        "UPDATE salespipe_pipeline SET config = '{}'::json",
        "UPDATE salespipe_deals SET owner = 'nobody' WHERE id = 2",
        "INSERT INTO salespipe_deals (id, status, stage, owner) VALUES (99, 'open', 'a', 'x')",
        "ALTER TABLE salespipe_deals DISABLE ROW LEVEL SECURITY",
        "DELETE FROM salespipe_events",
        "UPDATE salespipe_events SET deal_id = 2",
    ]
    for statement in refused:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            team.sql(alice, statement)
    groups = [r for (r,) in team.sql(alice, "SELECT role FROM salespipe_team WHERE kind <> 'rep'")]
    for group in groups:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            team.sql(alice, f'SET ROLE "{group}"')
    # The owner still sees every deal.
    everyone = team.sql(own["adam"], "SELECT count(*) FROM salespipe_deals")
    assert everyone == [(5,)]


def test_a_reps_slips_are_their_own_and_count_for_the_team(cli, team: Team, own) -> None:
    """A rep's pushes reach the team's slip totals (kept by the server, whoever writes),
    which the rep can neither read nor write with SQL; a rep's `slips` covers their own
    deals (replayed from the events they see), a manager's every deal (the totals)."""
    import psycopg

    alice, bob = team.uri(own["alice"]), team.uri(own["bob"])
    for uri, deal, dates in (
        (alice, "2", ("2027-01-10", "2027-02-10")),
        (bob, "4", ("2027-01-01", "2027-01-08", "2027-03-08")),
    ):
        for day in dates:
            assert cli("--db", uri, "edit", deal, "--close", day).exit_code == 0
    mine = cli.json("--db", alice, "slips")
    assert (mine["total"]["deals"], mine["total"]["slips"], mine["total"]["total_days"]) == (
        1,
        1,
        31,
    )
    assert [o["key"] for o in mine["owners"]] == [own["alice"]]
    everyone = cli.json("--db", team.uri(own["maria"]), "slips")
    assert (everyone["total"]["deals"], everyone["total"]["slips"]) == (2, 3)
    assert everyone["total"]["total_days"] == 31 + 7 + 59
    assert everyone == cli.json("--db", team.database, "slips")
    assert team.sql(own["maria"], "SELECT count(*) > 0 FROM salespipe_slip_groups") == [(True,)]
    assert team.sql(own["alice"], "SELECT count(*) FROM salespipe_slip_groups") == [(0,)]
    assert team.sql(own["alice"], "SELECT count(*) FROM salespipe_slip_days") == [(0,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        team.sql(own["alice"], "UPDATE salespipe_slip_groups SET slipped = 0")


def _no_session_of(team: Team, role: str) -> None:
    """Wait (up to 5 s) until the server has no session of ``role``."""
    import time

    import psycopg

    for _ in range(50):
        with psycopg.connect(team.server) as connection:
            sessions = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)
            ).fetchone()
        if sessions == (0,):
            return
        time.sleep(0.1)
    raise AssertionError(f"{role} still has a session")


def test_a_kept_backtest_is_the_teams_kept_by_a_manager_or_an_admin(cli, team: Team, own) -> None:
    """A backtest kept on the server (m015) is the whole team's: a rep who sees only
    their own deals neither reads it (the CLI replays what they see; SQL shows no row)
    nor keeps one; with visibility all a rep reads the team's but cannot write one,
    which would stand for the team's."""
    import psycopg

    alice, maria = team.uri(own["alice"]), team.uri(own["maria"])
    for person in ("alice", "bob"):
        for value in ("1000", "2000"):
            added = cli(
                "--db", team.uri(own[person]), "add", f"{person} in September",
                "--owner", own[person], "--value", value, "--at", "2026-09-10 10:00",
            )  # fmt: skip
            assert added.exit_code == 0, added.stderr
    kept = "SELECT count(*) FROM salespipe_backtests"
    mine = cli.json("--db", alice, "forecast", "--backtest")
    assert team.sql(own["adam"], kept) == [(0,)]  # a rep keeps none
    # One connection is all a role may be allowed, or all a pool has: keeping a run must
    # not need a second (it failed with exit 4 after working the report out). The
    # server ends a closed connection's session a moment later: waited for first.
    _no_session_of(team, own["maria"])
    pg_admin(team.server, f"ALTER ROLE {own['maria']} CONNECTION LIMIT 1")
    everyone = cli.json("--db", maria, "forecast", "--backtest")
    pg_admin(team.server, f"ALTER ROLE {own['maria']} CONNECTION LIMIT -1")
    assert team.sql(own["adam"], kept) == [(1,)]
    assert (mine["by_month"][-1]["deals"], everyone["by_month"][-1]["deals"]) == (2, 4)
    assert cli.json("--db", alice, "forecast", "--backtest") == mine  # not the team's
    assert team.sql(own["alice"], kept) == [(0,)]
    assert team.sql(own["alice"], "SELECT count(*) FROM salespipe_backtest_rows") == [(0,)]
    forged = "INSERT INTO salespipe_backtests (key, position, kept) VALUES ('x', 0, '{}')"
    by_another = (
        "INSERT INTO salespipe_backtests (key, position, kept, role) VALUES ('y', 0, '{}', %s)"
    )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a run names who kept it
        team.sql(own["maria"], by_another, own["adam"])
    assert cli("--db", team.uri(own["adam"]), "config", "set", "visibility", "all").exit_code == 0
    assert cli.json("--db", alice, "forecast", "--backtest") == everyone
    assert team.sql(own["alice"], kept) == [(1,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        team.sql(own["alice"], forged)
    assert team.sql(own["alice"], "DELETE FROM salespipe_backtests RETURNING run") == []
    # A manager's backtest after a back-dated change keeps a new run in the old one's place.
    (old_run,) = team.sql(own["maria"], "SELECT run FROM salespipe_backtests")
    back = cli("--db", maria, "add", "Back-dated", "--value", "5", "--at", "2026-09-20 10:00")
    assert back.exit_code == 0, back.stderr
    assert cli.json("--db", maria, "forecast", "--backtest")["by_month"][-1]["deals"] == 5
    (new_run,) = team.sql(own["maria"], "SELECT run FROM salespipe_backtests")
    assert new_run != old_run
    rows = "SELECT DISTINCT run FROM salespipe_backtest_rows"
    assert team.sql(own["maria"], rows) == [new_run]


def test_a_reps_backtest_follows_the_deals_they_own_now(cli, team: Team, own) -> None:
    """A deal handed to a rep counts in the rep's backtest at the month starts before,
    when a colleague owned it (the rep sees it, with its whole history); a manager's
    `--owner` of the rep counts it only where the rep owned it (docs/team.md)."""
    bob = team.uri(own["bob"])
    added = cli(
        "--db", bob, "add", "Handed over", "--owner", own["bob"], "--value", "1000",
        "--at", "2026-09-10 10:00", "-q",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    handed = cli(
        "--db", team.uri(own["adam"]), "edit", added.stdout.strip(), "--owner", own["alice"]
    )
    assert handed.exit_code == 0, handed.stderr

    def tested(uri: str, *owner: str) -> int:
        months = cli.json("--db", uri, "forecast", "--backtest", *owner)["by_month"]
        return sum(month["deals"] for month in months)

    maria = team.uri(own["maria"])
    assert tested(team.uri(own["alice"])) == 1  # open at the start of October
    assert tested(maria, "--owner", own["alice"]) == 0
    assert tested(maria, "--owner", own["bob"]) == 1


def test_reps_share_the_counters(cli, team: Team, own) -> None:
    """Deal ids and event numbers stay unique and consecutive whoever writes."""
    for _ in range(3):
        for name in ("alice", "bob"):
            uri = team.uri(own[name])
            assert cli("--db", uri, "add", "more", "--owner", own[name]).exit_code == 0
    ids = [r for (r,) in team.sql(own["adam"], "SELECT id FROM salespipe_deals ORDER BY id")]
    assert ids == list(range(1, 12))
    seqs = team.sql(own["adam"], "SELECT count(DISTINCT seq) = count(*) FROM salespipe_events")
    assert seqs == [(True,)]


@pytest.mark.empty_database
def test_init_by_a_role_that_may_not_create_tables_says_so(cli, team: Team) -> None:
    """It said the role "may read but not change the pipeline" of a database that had
    none yet."""
    stranger = team.login("stranger")
    refused = cli("--db", team.uri(stranger), "init")
    assert refused.exit_code == 4
    assert "may not create the pipeline's tables" in refused.stderr
    assert "salespipe init" in refused.stderr
    assert SECRET not in refused.stderr


def test_a_member_taken_off_the_team_while_watching_is_told_so(cli, team: Team) -> None:
    """The watch of someone taken off the team ended saying the role "may read but not
    change" the pipeline and to ask for write access."""
    from tests.test_team_feed import Watcher

    alice = team.login("alice")
    assert cli("--db", team.database, "team", "add", alice).exit_code == 0
    watcher = Watcher(env={"SALESPIPE_DB": team.uri(alice)})
    try:
        assert cli("--db", team.database, "team", "remove", alice).exit_code == 0
        assert cli("--db", team.database, "add", "After").exit_code == 0
        assert watcher.process.wait(timeout=60) == 4
        said = watcher.note_containing("Error")
    finally:
        watcher.stop()
    assert "it is not on its team" in said


def test_with_visibility_all_a_rep_sees_everything(cli, team: Team) -> None:
    """The default: a team without `visibility own` shares the whole pipeline."""
    alice = team.login("alice")
    assert cli("--db", team.database, "add", "Owner's deal").exit_code == 0
    assert cli("--db", team.database, "team", "add", alice).exit_code == 0
    assert _titles(cli, team.uri(alice)) == ["Owner's deal"]
    assert cli("--db", team.uri(alice), "move", "1", "2").exit_code == 0


# -- the faults of the issue, through the installed command -------------------------------


def test_a_read_only_session_is_one_sentence(run, team: Team) -> None:
    """A role whose sessions are read-only (default_transaction_read_only) tries to
    write: one sentence, exit 4, no traceback, no password; reading works."""
    reader = team.login("reader", default_transaction_read_only="on")
    assert run("--db", team.database, "add", "ERP").returncode == 0
    # Every privilege on the tables: only the session's read-only mode stops it.
    pg_admin(team.database, f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {reader}")
    listed = run("--db", team.uri(reader), "list", "--json")
    assert listed.returncode == 0, listed.stderr
    result = run("--db", team.uri(reader), "add", "CRM", "--json")
    assert result.returncode == 4
    assert "may read but not change" in _one_sentence(result.stderr)
    assert json.loads(result.stdout)["error"]["code"] == "database_read_only"
    assert SECRET not in result.stderr + result.stdout


def test_a_backup_keeps_the_visibility_on_a_server_and_not_in_a_file(
    cli, pg_database: str, second_database: str, tmp_path
) -> None:
    """A server pipeline's backup, with visibility own, restores with it on a server; in
    a data file, which has no users, without it (the file said `own`, and `config set
    visibility all` there was refused)."""
    assert cli("--db", pg_database, "add", "ERP").exit_code == 0
    assert cli("--db", pg_database, "config", "set", "visibility", "own").exit_code == 0
    backup = tmp_path / "backup.json"
    assert cli("--db", pg_database, "export", "-o", str(backup)).exit_code == 0
    done = cli("--db", second_database, "import", str(backup))
    assert done.exit_code == 0, done.stderr
    assert cli.json("--db", second_database, "config", "get", "visibility") == {"visibility": "own"}
    restored = tmp_path / "restored.json"
    done = cli("--db", str(restored), "import", str(backup))
    assert done.exit_code == 0, done.stderr
    assert cli.json("--db", str(restored), "config", "get", "visibility") == {"visibility": "all"}


@pytest.fixture
def second_database(pg_server: str) -> Iterator[str]:
    """Another fresh database on the same server (a copy's target); the group roles a
    team there made are dropped with it (roles outlive databases)."""
    import psycopg
    from tests.conftest import pg_target

    name = f"salespipe_test_{uuid4().hex[:16]}"
    pg_admin(pg_server, f'CREATE DATABASE "{name}"')
    target = pg_target(pg_server, name)
    try:
        yield target
    finally:
        groups: list[str] = []
        with psycopg.connect(target, autocommit=True) as connection:
            if connection.execute("SELECT to_regclass('salespipe_team')").fetchone() != (None,):
                groups = [r for (r,) in connection.execute("SELECT role FROM salespipe_team")]
        pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for group in groups:
            pg_admin(pg_server, f'DROP ROLE IF EXISTS "{group}"')


def test_a_copy_between_servers_keeps_who_made_each_change(
    cli, team: Team, second_database: str
) -> None:
    """Copied by the owner, each change is still its author's: the role of its events,
    and the undo list of each member (who can take back their own change on the copy)."""
    alice, bob = team.login("alice"), team.login("bob")
    source, target = team.database, second_database
    for who in (alice, bob):
        assert cli("--db", source, "team", "add", who).exit_code == 0
    assert cli("--db", team.uri(alice), "add", "Alice's deal").exit_code == 0
    assert cli("--db", team.uri(bob), "add", "Bob's deal").exit_code == 0
    assert cli("--db", team.uri(alice), "move", "1", "2").exit_code == 0

    copied = cli("--db", source, "copy", source, target)
    assert copied.exit_code == 0, copied.stderr

    def authors(database: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(database) as connection:
            return connection.execute(
                "SELECT e.seq, e.role, u.role FROM salespipe_events e"
                " LEFT JOIN salespipe_undo u ON u.change = e.change ORDER BY e.seq"
            ).fetchall()

    assert authors(target) == authors(source)
    assert {role for _seq, role, _undo in authors(target)} >= {alice, bob}
    # On the copy, each member's undo list is theirs, and undo takes back their change.
    target_name = target.rsplit("/", 1)[1]
    for who in (alice, bob):
        assert cli("--db", target, "team", "add", who).exit_code == 0
    as_alice = f"postgresql://{alice}:{SECRET}@127.0.0.1/{target_name}"
    as_bob = f"postgresql://{bob}:{SECRET}@127.0.0.1/{target_name}"
    assert [c["command"] for c in cli.json("--db", as_alice, "undo", "--list")] == ["move", "add"]
    assert [c["command"] for c in cli.json("--db", as_bob, "undo", "--list")] == ["add"]
    assert cli.json("--db", target, "undo", "--list") == []
    undone = cli("--db", as_bob, "undo")
    assert undone.exit_code == 0, undone.stderr
    assert [d["title"] for d in cli.json("--db", as_alice, "list")] == ["Alice's deal"]


def test_a_reps_learning_reports_add_up_only_their_own_deals(cli, team: Team, own) -> None:
    """calibrate, forecast and the report page a rep gets from the server are of the
    deals the rep may read, as a manager's are of all (row-level security holds in
    every total the server adds up for them)."""
    db = team.database
    assert cli("--db", db, "move", "2", "3").exit_code == 0  # alice's
    assert cli("--db", db, "won", "2").exit_code == 0
    assert cli("--db", db, "won", "4").exit_code == 0  # bob's
    assert cli("--db", db, "lost", "1", "--reason", "timing").exit_code == 0  # the owner's
    alice, maria = team.uri(own["alice"]), team.uri(own["maria"])

    def reached(uri: str) -> dict[str, tuple[int, int]]:
        stages = cli.json("--db", uri, "calibrate")["stages"]
        return {s["key"]: (s["deals"], s["won"]) for s in stages if s["deals"]}

    assert reached(alice) == {"presented": (2, 1), "quoted": (1, 1)}
    assert reached(maria) == {"presented": (5, 2), "quoted": (1, 1)}
    for method in ("stage", "history"):
        rows = cli.json("--db", alice, "forecast", "--method", method)["rows"]
        assert sum(row["count"] for row in rows) == 1
        assert sum(row["won_count"] for row in rows) == 1
        everyone = cli.json("--db", maria, "forecast", "--method", method)["rows"]
        assert sum(row["count"] for row in everyone) == 2
        assert sum(row["won_count"] for row in everyone) == 2
    for uri, shown in ((alice, "฿100,000"), (maria, "฿200,000")):
        page = cli("--db", uri, "report", "--html", "-")
        assert page.exit_code == 0, page.stderr
        assert f"<span>Open value</span><b><bdi>{shown}</bdi></b>" in page.stdout


def test_a_reps_history_reports_add_up_only_their_own_deals(cli, team: Team, own) -> None:
    """The totals the server adds up for report, winrate, funnel and durations are of
    the deals the rep may read (row-level security holds in every aggregate)."""
    db = team.database
    assert cli("--db", db, "won", "2").exit_code == 0  # alice's
    assert cli("--db", db, "lost", "4", "--reason", "price").exit_code == 0  # bob's
    assert cli("--db", db, "lost", "1", "--reason", "timing").exit_code == 0  # the owner's
    alice = team.uri(own["alice"])
    winrate = cli.json("--db", alice, "winrate", "--by", "reason")
    assert (winrate["won"], winrate["lost"], winrate["groups"]) == (1, 0, [])
    report = cli.json("--db", alice, "report")
    assert (report["won"]["count"], report["lost"]["count"], report["open"]["count"]) == (1, 0, 1)
    assert cli.json("--db", alice, "funnel")["created"] == 2
    stays = {row["key"]: row["stays"] for row in cli.json("--db", alice, "durations")["stages"]}
    assert stays["presented"] == 2
    everyone = cli.json("--db", team.uri(own["maria"]), "winrate")
    assert (everyone["won"], everyone["lost"]) == (1, 2)


def test_a_rep_reads_only_their_own_stays(cli, team: Team, own) -> None:
    """The stays table (m007) has the deals' policy: a rep's SQL client sees the stays
    of their own deals only, none of the whole team's day totals, and can write none;
    their durations are those of their deals, as a manager asks for them by owner."""
    import psycopg

    alice = own["alice"]
    db = team.database
    assert cli("--db", team.uri(alice), "move", "2", "3").exit_code == 0
    assert cli("--db", db, "won", "4").exit_code == 0  # bob's
    assert team.sql(alice, "SELECT DISTINCT deal_id FROM salespipe_stays ORDER BY 1") == [
        (2,),
        (3,),
    ]
    assert team.sql(alice, "SELECT count(*) FROM salespipe_stay_days") == [(0,)]
    assert team.sql(own["maria"], "SELECT count(DISTINCT deal_id) FROM salespipe_stays") == [(5,)]
    for statement in (
        "INSERT INTO salespipe_stays (deal_id, stay_stage, micros, stage, status, owner)"
        f" VALUES (2, 'presented', 1, 'presented', 'open', '{alice}')",
        "DELETE FROM salespipe_stays",
        "UPDATE salespipe_stay_days SET stays = 0",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            team.sql(alice, statement)
    as_alice = cli.json("--db", team.uri(alice), "durations")
    as_manager = cli.json("--db", team.uri(own["maria"]), "durations", "--owner", alice)
    assert as_alice == as_manager
    assert sum(row["stays"] for row in as_alice["stages"]) == 3
    for who in (db, team.uri(alice)):  # a rep checks the stays they see
        assert cli("--db", who, "doctor").exit_code == 0


def test_doctor_checks_what_the_role_may_read_and_only_an_admin_repairs(
    cli, team: Team, own
) -> None:
    """A rep's doctor checks the stays of their own deals and says which of the team's
    totals it left out; a rep's or a manager's --fix is refused in one sentence (exit 4)
    with nothing changed; an admin's repairs."""
    import psycopg

    with psycopg.connect(team.database) as connection:
        connection.execute("DELETE FROM salespipe_stays WHERE deal_id = 2")  # alice's
    alice, maria, adam = (team.uri(own[name]) for name in ("alice", "maria", "adam"))

    report = json.loads(cli("--db", alice, "doctor", "--json").stdout)
    assert report["checks"] == ["stays"]
    assert report["not_checked"] == ["stay days", "slips", "slip days"]
    assert [d["check"] for d in report["differences"]] == ["stays"]
    shown = cli("--db", alice, "doctor")
    assert shown.exit_code == 1
    assert "Not checked: stay days, slips, slip days (the whole team's" in shown.stdout
    managers = json.loads(cli("--db", maria, "doctor", "--json").stdout)
    assert managers["checks"] == ["stays", "stay days", "slips", "slip days"]
    assert managers["not_checked"] == []
    for uri in (alice, maria):
        refused = cli("--db", uri, "doctor", "--fix")
        assert refused.exit_code == 4
        assert "Only an admin of the team may rebuild what" in _one_sentence(refused.stderr)
        assert "Traceback" not in refused.stderr
    assert cli("--db", maria, "doctor").exit_code == 1  # still different: nothing changed
    thai = cli("--db", alice, "--lang", "th", "doctor", "--fix")
    assert thai.exit_code == 4
    assert "เฉพาะผู้ดูแล (admin) ของทีมเท่านั้นที่สร้างข้อมูล" in _one_sentence(thai.stderr)
    assert (
        "ไม่ได้ตรวจ: stay days, slips, slip days"
        in cli("--db", alice, "--lang", "th", "doctor").stdout
    )

    fixed = cli("--db", adam, "doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stderr
    assert "Fixed 1 difference" in fixed.stdout
    assert cli("--db", alice, "doctor").exit_code == 0
    assert cli.json("--db", adam, "doctor")["differences"] == []


def test_a_file_left_with_visibility_own_can_be_set_back_to_all(cli, db_path) -> None:
    """An older salespipe's copy or restore of a team's database left `visibility own` in
    a file, and `config set visibility all` there was refused: it could not be undone."""
    import json

    assert cli("add", "Roof").exit_code == 0
    document = json.loads(db_path.read_text(encoding="utf-8"))
    document["_meta"]["1"]["config"]["visibility"] = "own"  # as the older copy left it
    db_path.write_text(json.dumps(document), encoding="utf-8")
    assert cli.json("config", "get", "visibility") == {"visibility": "own"}
    assert cli("config", "set", "visibility", "all").exit_code == 0
    assert cli.json("config", "get", "visibility") == {"visibility": "all"}
    assert cli("config", "set", "visibility", "own").exit_code == 2


def test_the_first_team_add_says_who_it_made_the_admin() -> None:
    """The first `team add` makes the team, and whoever runs it its admin, without a word
    of it (a team trial)."""
    from salespipe.present.team_results import TeamChanged, team_changed_view
    from salespipe.storage.port import TeamMember

    first = TeamChanged(TeamMember("alice", "rep"), joined=True, made_admin="somsri")
    assert team_changed_view(first) == (
        "alice is on the team as rep; somsri, who made the team, is its admin."
    )
    later = TeamChanged(TeamMember("bob", "rep"), joined=True)
    assert team_changed_view(later) == "bob is on the team as rep."
    assert "made_admin" not in later.to_dict()
