"""undo reverts the most recent change exactly, whatever made it, 50 steps back and more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.checks import ok

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import NothingToUndo
from salespipe.core.model import NextAction

pytestmark = pytest.mark.usefixtures("each_backend")


def state_of(pipeline: Pipeline) -> dict[str, Any]:
    """Everything a user can see, apart from the history itself."""
    snapshot = pipeline.read()
    undone = snapshot.undone_changes()
    return {
        "deals": sorted((d.to_record() for d in snapshot.all_deals()), key=lambda r: r["id"]),
        "stages": [s.to_record() for s in snapshot.stages()],
        "config": snapshot.config(),
        "history": [
            (e.type, e.deal_id, e.text)
            for e in snapshot.events()
            if e.change not in undone and e.type != "undo"
        ],
    }


def seeded(pipeline: Pipeline) -> None:
    pipeline.add("Open one", DealFields(value=Decimal("100"), customer="A"))
    pipeline.add("Closed one", DealFields(value=Decimal("200")))
    pipeline.close(2, "won", reason="signed")


CHANGES: dict[str, Callable[[Pipeline], object]] = {
    "add": lambda p: p.add("New", DealFields(value=Decimal("5"))),
    "edit": lambda p: p.edit(1, DealFields(value=Decimal("150"), add_tags=("x",))),
    "edit closed": lambda p: p.edit(2, DealFields(title="Renamed")),
    "move": lambda p: p.move(1, "quoted", reason="r"),
    "won": lambda p: p.close(1, "won"),
    "lost": lambda p: p.close(1, "lost", reason="price"),
    "reopen": lambda p: p.reopen(2),
    "note": lambda p: p.note(1, "called"),
    "next": lambda p: p.set_next(1, NextAction("call", date(2026, 12, 1))),
    "quote": lambda p: p.quote(1, valid_until=date(2026, 12, 5), amount=Decimal("90")),
    "delete open": lambda p: p.delete(1),
    "delete closed": lambda p: p.delete(2),
    "config": lambda p: p.set_config("currency", "USD"),
    "stage add": lambda p: p.stage_add("Demo", after="presented"),
    "stage rename": lambda p: p.stage_rename("quoted", "Proposal"),
    "stage set": lambda p: p.stage_set("quoted", probability=55, guide="g"),
    "stage order": lambda p: p.stage_order(["approved", "presented"]),
    "stage disable with move": lambda p: p.stage_disable("presented", move_to="considering"),
    "stage remove": lambda p: p.stage_remove("approved"),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_undo_restores_the_state_exactly(pipeline: Pipeline, name: str) -> None:
    """After any change, undo gives back exactly the state before it."""
    seeded(pipeline)
    before = state_of(pipeline)
    CHANGES[name](pipeline)
    assert state_of(pipeline) != before
    pipeline.undo()
    assert state_of(pipeline) == before


def test_undo_walks_back_more_than_50_steps(pipeline: Pipeline) -> None:
    """Sixty changes can be undone one by one back to the start."""
    states = [state_of(pipeline)]
    pipeline.add("Deal", DealFields(value=Decimal("1")))
    states.append(state_of(pipeline))
    for step in range(59):
        pipeline.edit(1, DealFields(value=Decimal(step + 2)))
        states.append(state_of(pipeline))
    for expected in reversed(states[:-1]):
        pipeline.undo()
        assert state_of(pipeline) == expected


def test_undo_is_recorded_and_is_not_itself_undone(pipeline: Pipeline) -> None:
    """undo leaves an 'undo' event naming the change; a second undo goes further back."""
    pipeline.add("One", DealFields())
    pipeline.add("Two", DealFields())
    change = pipeline.undo()
    undo_event = change.events[-1]
    assert undo_event.type == "undo"
    made = change.undone[0]
    assert undo_event.after == {
        "undid": 2,
        "command": "add",
        "deal": 2,
        "deal_count": 1,
        # whose change it took back, and when (a hook and watch --exec are told)
        "by": made.who,
        "made_at": made.recorded_at.isoformat(timespec="seconds"),
    }
    pipeline.undo()
    assert pipeline.read().all_deals() == []
    with pytest.raises(NothingToUndo):
        pipeline.undo()


def test_an_undone_change_can_be_followed_by_new_changes(pipeline: Pipeline) -> None:
    """After undo, new changes stack normally and undo again in order."""
    pipeline.add("One", DealFields())
    pipeline.move(1, "quoted")
    pipeline.undo()
    pipeline.move(1, "negotiating")
    assert pipeline.read().open_deals()[0].stage == "negotiating"
    pipeline.undo()
    assert pipeline.read().open_deals()[0].stage == "presented"


def test_an_import_that_made_stages_is_listed_as_an_import(cli, tmp_path) -> None:
    """An import with --create-stages was listed as "stage add: Lead In, … (6 deals
    moved)": the deals were created, not moved."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,stage\nA,Lead In\nB,Lead In\nC,Demo\n", encoding="utf-8")
    assert cli("import", str(sheet), "--create-stages").exit_code == 0
    listed = cli("undo", "--list").stdout
    assert "import of 3 deals" in listed
    assert "moved" not in listed
    assert "import of 3 deals" in cli("undo").stdout


def test_undo_list_names_a_deleted_deal_by_its_title(cli) -> None:
    """A deal deleted after an edit and a note was listed as deal 1 "" in each."""
    for argv in (
        ("add", "Fleet GPS"),
        ("edit", "1", "--owner", "malee"),
        ("note", "1", "hi"),
        ("delete", "1", "--yes"),
    ):
        assert cli(*argv).exit_code == 0
    listed = cli.json("undo", "--list")
    assert [c["description"] for c in listed][1:3] == [
        'note on deal 1 "Fleet GPS"',
        'edit on deal 1 "Fleet GPS"',
    ]


def test_undo_names_the_stage_a_change_was_about_in_the_stages_order(cli) -> None:
    """A stage switched off with its deals moved on was "stage disabled of 3 deals"
    (which stage?), and a new order was listed by key, not in the order set."""
    for title in ("a", "b", "c"):
        assert cli("add", title, "--stage", "quoted").exit_code == 0
    assert cli("stage", "disable", "quoted", "--move-to", "negotiating").exit_code == 0
    listed = cli("undo", "--list").stdout
    assert "stage disable: Quoted (3 deals moved)" in listed
    assert "Quoted (3 deals moved)" in cli("undo").stdout
    assert cli("stage", "order", "negotiating", "quoted").exit_code == 0
    said = cli("undo").stdout  # each stage with where it was and where it went
    assert (
        "stage order: Negotiating 4 → 1, Quoted 3 → 2, Presented 1 → 3, Considering 2 → 4" in said
    )


def test_the_log_says_where_a_new_order_moved_each_stage_and_a_pipeline_s_old_name(
    cli, monkeypatch
) -> None:
    """`stage order Presented Quoted Considering` was logged "stage order: Quoted,
    Considering" (where did they go?), and a pipeline rename named only the new name."""
    monkeypatch.setenv("COLUMNS", "200")
    assert cli("init").exit_code == 0
    assert cli("stage", "order", "Presented", "Quoted", "Considering").exit_code == 0
    assert cli("pipeline", "rename", "Sales", "Projects").exit_code == 0
    logged = cli("log", "--limit", "2").stdout
    assert "pipeline rename: Sales → Projects" in logged
    assert "stage order: Quoted 3 → 2, Considering 2 → 3" in logged


def test_a_stage_record_changed_by_hand_in_the_history_is_said_not_a_traceback() -> None:
    """A backup's stage event held a record no stage can be read from: `undo` and
    `undo --list` ended in a ValueError traceback."""
    from datetime import datetime

    from salespipe.app import revert
    from salespipe.core.errors import StoreError
    from salespipe.core.model import Event, Stage

    moment = datetime.fromisoformat("2026-11-27T10:00:00+07:00")
    event = Event(
        seq=9,
        change=4,
        type="stage-set",
        at=moment,
        recorded_at=moment,
        who="somsri",
        command="stage set",
        before={"quoted": {"key": "quoted", "name": "Quoted", "position": 3, "probability": 150}},
        after={"quoted": {"key": "quoted", "name": "Quoted", "position": 3, "probability": 55}},
    )
    with pytest.raises(StoreError, match="Change 4 holds a record of quoted"):
        revert.stages_before(event, [Stage("quoted", "Quoted", 3, 55)])


def test_undo_json_names_the_deals_it_took_away(cli) -> None:
    """`undo --json` of an add printed `"deals": []` and no word of which deal went, where
    hooks get `removed` (a trial)."""
    added = cli.json("add", "Gone soon")
    cli("add", "Stays", "-q")
    cli("note", "2", "called")
    undone_note = cli.json("undo")
    assert (undone_note["removed"], [d["id"] for d in undone_note["deals"]]) == ([], [2])
    cli("undo")  # the second add
    assert cli.json("undo")["removed"] == [added["id"]]


def test_undo_list_limit_0_lists_every_change_kept(cli) -> None:
    """--limit 0 is "all" for list and log; undo --list refused it (a trial)."""
    for n in range(12):
        cli("add", f"Deal {n}", "-q")
    assert len(cli.json("undo", "--list")) == 10
    every = cli.json("undo", "--list", "--limit", "0")
    assert [c["change"] for c in every] == list(range(12, 0, -1))
    assert len(cli.json("undo", "--list", "-n", "3")) == 3


def test_the_log_names_an_undone_stage_disable_as_a_change(cli) -> None:
    """The log said "undo of stage disabled (change 3)" beside "undo of stage order" (a
    team's trial): what was undone is named as a change, "stage disabling"."""
    ok(cli("stage", "disable", "quoted"))
    ok(cli("undo"))
    assert "undo of stage disabling (change " in cli("log", "--limit", "1").stdout


def test_an_undo_in_the_log_names_the_deal_it_took_back(cli, tmp_path) -> None:
    """`log` showed "undo of stage move (change 24)" with its Deal column empty (a team
    lead's trial): an undo of one deal's change names that deal, in the Deal column, in
    its words and in --json (the undo event's "after"); of several deals, how many."""
    ok(cli("add", "A", "-q"))
    ok(cli("add", "B", "-q"))
    ok(cli("move", "2", "quoted"))
    ok(cli("undo"))
    line = cli("log", "--limit", "1").stdout.splitlines()[1]
    assert line.split()[2:3] == ["2"], line  # When (day, time), then the Deal column
    assert "undo of stage move of deal 2 (change 3)" in line, line
    [undo] = cli.json("log", "--limit", "1")
    assert undo["deal_id"] is None  # an undo is an event of no deal, as before
    assert undo["after"] | {"by": None, "made_at": None} == {
        "undid": 3,
        "command": "move",
        "deal": 2,
        "deal_count": 1,
        "by": None,
        "made_at": None,
    }
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,value\nX,1\nY,2\n", encoding="utf-8")
    ok(cli("import", str(sheet)))
    ok(cli("undo"))
    line = cli("log", "--limit", "1").stdout.splitlines()[1]
    assert "undo of import of 2 deals (change 5)" in line, line
    assert cli.json("log", "--limit", "1")[0]["after"]["deal_count"] == 2
    assert "ย้อนกลับ การนำเข้า 2 ดีล (การเปลี่ยนแปลงที่ 5)" in cli("--lang", "th", "log", "-n", "1").stdout


@pytest.mark.file_only
def test_an_undo_on_a_file_says_whose_change_it_took_back(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a shared data file undo takes back the latest change whoever made it; three
    writers' trial saw 22 of 26 undos take back another's change (some deleting another
    writer's new deal) and the message never said whose it was."""
    monkeypatch.setenv("SALESPIPE_USER", "w2")
    cli("add", "w2-30", "-q")
    cli("add", "w2-31", "-q")
    monkeypatch.setenv("SALESPIPE_USER", "w1")
    listed = cli("undo", "--list")
    assert "Who" in listed.stdout
    rows = [line.split() for line in listed.stdout.splitlines() if '"w2-3' in line]
    assert [row[-1] for row in rows] == ["w2", "w2"], listed.stdout  # each row's author
    assert [c["who"] for c in cli.json("undo", "--list")] == ["w2", "w2"]
    undone = cli("undo")
    assert undone.exit_code == 0
    assert (
        undone.stdout == 'Undid: new deal 2 "w2-31" (change 2, made by w2 at 2026-11-27 10:00).\n'
    )
    as_json = cli.json("undo")["undid"]
    assert (as_json["change"], as_json["by"], as_json["at"]) == (
        1,
        "w2",
        "2026-11-27T10:00:00+07:00",
    )


def test_an_undo_of_your_own_change_names_no_author(cli: Any) -> None:
    """Your own change taken back is said as before; --json gives its author all the same."""
    cli("add", "Mine", "-q")
    cli("add", "Mine too", "-q")
    me = cli.json("undo", "--list")[0]["who"]
    assert cli("undo").stdout == 'Undid: new deal 2 "Mine too" (change 2).\n'
    assert cli.json("undo")["undid"]["by"] == me


def test_setting_a_next_action_and_finishing_it_read_differently(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`undo --list` read `งานถัดไปของดีล 3` of `next 3 … --due …` and of `next 3 --done`
    alike (English "next action on deal 3" too): a Thai rep could not tell which undo
    would take back. Each says which, in undo --list, undo and the log's undo line."""
    monkeypatch.setenv("COLUMNS", "140")  # (the log's lines unwrapped)
    ok(cli("add", "ERP", "-q"))
    ok(cli("next", "1", "Call", "--due", "tomorrow"))
    ok(cli("next", "1", "--done"))
    listed = [c["description"] for c in cli.json("undo", "--list")[:2]]
    assert listed == [
        'finishing the next action on deal 1 "ERP"',
        'setting the next action on deal 1 "ERP"',
    ]
    thai = cli("--lang", "th", "undo", "--list").stdout
    assert 'ทำงานถัดไปของดีล 1 "ERP" เสร็จ' in thai, thai
    assert 'ตั้งงานถัดไปของดีล 1 "ERP"' in thai, thai
    undone = cli("--lang", "th", "undo")
    assert 'ย้อนกลับแล้ว: ทำงานถัดไปของดีล 1 "ERP" เสร็จ (การเปลี่ยนแปลงที่ 3)' in undone.stdout
    logged = cli("log", "-n", "1").stdout
    assert "undo of finishing the next action of deal 1 (change 3)" in logged, logged
    undone = cli("undo")
    assert undone.stdout == 'Undid: setting the next action on deal 1 "ERP" (change 2).\n'
    thai_log = cli("--lang", "th", "log", "-n", "2").stdout
    assert "ย้อนกลับ: ตั้งงานถัดไปของดีล 1 (การเปลี่ยนแปลงที่ 2)" in thai_log, thai_log
    assert "ย้อนกลับ: ทำงานถัดไปของดีล 1 เสร็จ (การเปลี่ยนแปลงที่ 3)" in thai_log, thai_log
