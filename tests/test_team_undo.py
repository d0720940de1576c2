"""Who did what, and undo in a team, on PostgreSQL with two real login roles
(docs/team.md, "Who did what" and "Undo in a team")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.team_roles import Team, team

pytestmark = pytest.mark.postgres
__all__ = ["team"]


@pytest.fixture
def as_(cli: Any, team: Team, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a command as alice or bob: ``as_("bob", "move", "1", "2")``."""

    def run(person: str, *args: str) -> Any:
        monkeypatch.setenv("SALESPIPE_DB", team.target(person))
        return cli(*args)

    return run


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_each_event_names_the_role_that_made_it(as_: Any, team: Team) -> None:
    alice, bob = team.roles["alice"], team.roles["bob"]
    assert as_("alice", "add", "ERP", "--customer", "Siam").exit_code == 0
    assert as_("bob", "move", "1", "2", "--reason", "sent").exit_code == 0

    log = _json(as_("alice", "log", "--json"))
    assert [(e["type"], e["who"]) for e in log] == [("move", bob), ("add", alice)]
    events = _json(as_("bob", "show", "1", "--json"))["events"]
    assert [e["who"] for e in events] == [alice, bob]
    plain = as_("bob", "log").stdout
    assert alice[:11] in plain
    assert bob[:11] in plain


def test_a_setting_cannot_say_who_you_are(as_: Any, team: Team) -> None:
    """`config set owner` on a server was taken (exit 0) and then did nothing: every
    change is by the role that makes it."""
    refused = as_("alice", "config", "set", "owner", "somebody else")
    assert refused.exit_code == 2
    assert "every change is by the database role that makes it" in refused.stderr
    nothing = as_("alice", "log", "--json")  # the refusal did not even make the pipeline
    assert nothing.exit_code == 4
    assert json.loads(nothing.stdout)["error"]["code"] == "no_data_file"


def test_add_without_owner_makes_you_the_owner(as_: Any, team: Team) -> None:
    as_("bob", "add", "Bob's deal")
    as_("bob", "add", "For carol", "--owner", "carol")
    deals = _json(as_("alice", "list", "--json"))
    assert [d["owner"] for d in deals] == [team.roles["bob"], "carol"]


def test_undo_takes_back_your_own_latest_change(as_: Any, team: Team) -> None:
    as_("alice", "add", "Alice's deal")
    as_("bob", "add", "Bob's deal")

    undone = as_("alice", "undo", "--json")

    assert _json(undone)["undid"]["change"] == 1
    titles = [d["title"] for d in _json(as_("bob", "list", "--json"))]
    assert titles == ["Bob's deal"]


def test_undo_list_shows_only_yours(as_: Any, team: Team) -> None:
    as_("alice", "add", "Alice's deal")
    as_("bob", "add", "Bob's deal")
    as_("bob", "note", "2", "called")

    mine = _json(as_("bob", "undo", "--list", "--json"))
    theirs = _json(as_("alice", "undo", "--list", "--json"))

    assert [c["change"] for c in mine] == [3, 2]
    assert [c["change"] for c in theirs] == [1]
    assert [c["who"] for c in mine + theirs] == [team.roles["bob"]] * 2 + [team.roles["alice"]]


def test_undo_on_a_server_takes_back_your_own_so_names_no_author(as_: Any, team: Team) -> None:
    """Undo on a server takes back only your own changes: "made by" (said where a data
    file's undo takes back a colleague's change) never appears."""
    as_("alice", "add", "Alice's deal")
    as_("bob", "add", "Bob's deal")
    as_("alice", "note", "1", "called")
    assert as_("bob", "undo").stdout == 'Undid: new deal 2 "Bob\'s deal" (change 2).\n'
    undid = _json(as_("alice", "undo", "--json"))["undid"]
    assert (undid["change"], undid["by"]) == (3, team.roles["alice"])


def test_undo_refuses_when_a_colleague_changed_the_deal_since(as_: Any, team: Team) -> None:
    as_("alice", "add", "ERP")
    as_("alice", "edit", "1", "--value", "200k")
    assert as_("bob", "move", "1", "Quoted").exit_code == 0
    before = as_("alice", "show", "1", "--json").stdout

    refused = as_("alice", "undo")

    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    message = refused.stderr
    assert team.roles["bob"] in message
    assert "deal 1" in message
    assert "Quoted" in message
    assert "nothing was undone" in message
    assert as_("alice", "show", "1", "--json").stdout == before
    # still on alice's list: once bob takes his move back, hers can go
    assert [c["change"] for c in _json(as_("alice", "undo", "--list", "--json"))] == [2, 1]
    assert as_("bob", "undo").exit_code == 0
    assert as_("alice", "undo").exit_code == 0
    assert _json(as_("alice", "show", "1", "--json"))["value"] == 0


def test_a_colleagues_value_change_is_named_with_its_currency(as_: Any, team: Team) -> None:
    """The refusal said bob's change as "value 200,000.00 → 250,000.00", where log
    says "฿200,000.00 → ฿250,000.00"; in a currency changed later, the one it had then."""
    as_("alice", "add", "ERP", "--value", "200k")
    assert as_("alice", "note", "1", "called").exit_code == 0
    assert as_("bob", "edit", "1", "--value", "250k").exit_code == 0
    assert as_("bob", "edit", "1", "--currency", "USD").exit_code == 0

    refused = as_("alice", "undo")

    assert refused.exit_code == 1
    assert "฿200,000.00 → ฿250,000.00" in refused.stderr, refused.stderr


def test_undo_list_says_which_colleague_holds_the_next_undo_back(as_: Any, team: Team) -> None:
    as_("alice", "add", "ERP")
    as_("alice", "edit", "1", "--value", "200k")
    assert _json(as_("alice", "undo", "--list", "--json"))[0]["refused"] is None
    assert as_("bob", "move", "1", "Quoted").exit_code == 0

    listed = as_("alice", "undo", "--list")
    entries = _json(as_("alice", "undo", "--list", "--json"))

    assert listed.exit_code == 0
    assert "Now `salespipe undo` would answer" in listed.stderr
    assert "takes back the first one" not in listed.stdout  # it would not (a trial)
    assert team.roles["bob"] in listed.stderr
    assert "deal 1" in listed.stderr
    refused = entries[0]["refused"]
    assert refused == as_("alice", "undo").stderr.removeprefix("Error: ").strip()
    assert "Quoted" in refused
    assert [e["refused"] for e in entries[1:]] == [None]
    # once bob takes his move back, nothing holds hers
    assert as_("bob", "undo").exit_code == 0
    assert _json(as_("alice", "undo", "--list", "--json"))[0]["refused"] is None
    listed = as_("alice", "undo", "--list")
    assert "would answer" not in listed.stderr
    assert "takes back the first one" in listed.stdout


def test_undo_refuses_a_setting_a_colleague_changed_since(as_: Any, team: Team) -> None:
    as_("alice", "config", "set", "currency", "USD")
    as_("bob", "config", "set", "currency", "EUR")

    refused = as_("alice", "undo")

    assert refused.exit_code == 1
    assert team.roles["bob"] in refused.stderr
    assert _json(as_("alice", "config", "get", "currency", "--json")) == {"currency": "EUR"}


def test_nothing_of_yours_to_undo(as_: Any, team: Team) -> None:
    as_("alice", "add", "ERP")

    refused = as_("bob", "undo")

    assert refused.exit_code == 1
    assert "nothing to undo" in refused.stderr
    assert len(_json(as_("alice", "list", "--json"))) == 1


def _refused_and_unchanged(as_: Any, person: str, said: str) -> None:
    before = [
        _json(as_(person, *view, "--json")) for view in (["list"], ["stage", "list", "--all"])
    ]
    foreseen = _json(as_(person, "undo", "--list", "--json"))[0]["refused"]  # said before
    assert foreseen is not None
    assert said in foreseen
    refused = as_(person, "undo")
    assert refused.exit_code == 1
    assert said in refused.stderr
    assert "nothing was undone" in refused.stderr
    after = [_json(as_(person, *view, "--json")) for view in (["list"], ["stage", "list", "--all"])]
    assert after == before


def test_undo_of_a_stage_add_is_refused_once_a_colleague_put_a_deal_in_it(
    as_: Any, team: Team
) -> None:
    """The stage went, and bob's deal stayed in it: in no total, under its key."""
    as_("alice", "stage", "add", "Pilot", "--after", "presented")
    as_("bob", "add", "ERP")
    assert as_("bob", "move", "1", "pilot", "--reason", "trial").exit_code == 0

    _refused_and_unchanged(as_, "alice", 'Deal 1 has been in the stage "Pilot"')
    assert as_("bob", "undo").exit_code == 0  # bob's move back: now hers can go
    assert as_("alice", "undo").exit_code == 0
    assert "pilot" not in [s["key"] for s in _json(as_("alice", "stage", "list", "--json"))]


def test_undo_of_a_pipeline_add_is_refused_once_a_colleague_added_a_deal_to_it(
    as_: Any, team: Team
) -> None:
    as_("alice", "pipeline", "add", "Renewals")
    assert as_("bob", "add", "Renewal X", "--pipeline", "Renewals").exit_code == 0

    # both pipelines have a "Presented": the sentence says whose
    _refused_and_unchanged(as_, "alice", 'Deal 1 has been in the stage "Presented (renewals)"')


def test_undo_of_a_stage_enable_is_refused_while_a_colleagues_deal_is_open_in_it(
    as_: Any, team: Team
) -> None:
    as_("alice", "stage", "disable", "considering")
    as_("alice", "stage", "enable", "considering")
    as_("bob", "add", "ERP", "--stage", "considering")

    _refused_and_unchanged(as_, "alice", "which taking it back would switch off")


def test_undo_of_a_move_is_refused_when_its_stage_was_switched_off_since(
    as_: Any, team: Team
) -> None:
    as_("alice", "add", "ERP", "--stage", "quoted")
    as_("alice", "move", "1", "negotiating")
    assert as_("bob", "stage", "disable", "quoted").exit_code == 0

    _refused_and_unchanged(as_, "alice", 'back in the stage "Quoted", which is switched off')


def test_undo_of_a_stage_add_is_refused_once_a_colleagues_deal_passed_through_it(
    as_: Any, team: Team
) -> None:
    """bob's deal went into Pilot and on: alice's undo took Pilot away, and his deal's
    history named a stage that was not there (as `stage remove` refuses)."""
    as_("alice", "stage", "add", "Pilot", "--after", "presented")
    as_("bob", "add", "ERP")
    assert as_("bob", "move", "1", "pilot").exit_code == 0
    assert as_("bob", "move", "1", "quoted").exit_code == 0

    _refused_and_unchanged(as_, "alice", 'Deal 1 has been in the stage "Pilot"')


def test_a_deleted_deal_is_not_brought_back_into_a_stage_taken_away_since(
    as_: Any, team: Team
) -> None:
    """bob's deal passed through Trial and was deleted; alice took Trial away; bob's
    undo of the delete brought the deal back with a history naming a stage not there."""
    as_("alice", "stage", "add", "Trial", "--after", "presented")
    as_("bob", "add", "ERP")
    assert as_("bob", "move", "1", "trial").exit_code == 0
    assert as_("bob", "move", "1", "quoted").exit_code == 0
    assert as_("bob", "delete", "1", "--yes").exit_code == 0
    assert as_("alice", "undo").exit_code == 0  # no deal there now: the stage goes

    _refused_and_unchanged(as_, "bob", "whose history names a stage that is not there")
