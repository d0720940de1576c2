"""Several pipelines in one database (docs/pipelines.md): the upgrade of a file made
before them, the pipeline commands, stages and moves within and across pipelines,
and reports per pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from tests.conftest import Cli

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.cli import complete
from salespipe.cli.app import app
from salespipe.storage.jsonl.database import MIGRATIONS, schema_version
from test_open_index import as_index_in_main

# What a one-pipeline user reads; none of it may change when the file is upgraded.
READS = [
    ["list", "--status", "all"],
    ["show", "7"],
    ["chart"],
    ["report"],
    ["forecast"],
    ["log", "--limit", "500"],
    ["stage", "list", "--all"],
    ["board"],
    ["funnel"],
    ["config", "list"],
]


def _outputs(cli: Cli, db: Path) -> list[str]:
    return [cli("--db", str(db), *argv, "--json").stdout for argv in READS]


# the schema of a file written before pipelines
BEFORE = 1 + [step.__name__ for step in MIGRATIONS].index("stages_into_pipelines")


def _as_before_pipelines(db: Path) -> bytes:
    """Rewrite a database as salespipe kept it just before pipelines."""
    as_index_in_main(db)
    document = orjson.loads(db.read_bytes())
    meta = document["_meta"]["1"]
    del meta["pipelines"]
    meta["schema"] = BEFORE
    raw = orjson.dumps(document)
    db.write_bytes(raw)
    return raw


def _files(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(db.parent.iterdir()) if p.is_file()}


def test_a_file_from_before_pipelines_reads_the_same_and_upgrades_with_a_backup(
    cli: Cli, db_path: Path
) -> None:
    """A file from before pipelines holds one pipeline, Sales, with its stages; reading it changes
    no byte of the file, the first write keeps a backup and upgrades it, and every
    output a one-pipeline user reads is byte-identical before and after."""
    assert cli("demo", "--db", str(db_path), "--seed", "7").exit_code == 0
    original = _as_before_pipelines(db_path)
    before = _files(db_path)
    outputs = _outputs(cli, db_path)
    assert _files(db_path) == before
    listed = cli.json("--db", str(db_path), "pipeline", "list")
    assert [(p["key"], p["name"], p["stages"]) for p in listed] == [("sales", "Sales", 5)]

    pipeline = Pipeline.open(db_path)
    with pipeline.store.transaction(lambda: 1.0, "test", "2026-11-27T10:00:00+07:00") as tx:
        tx.set_created_at(tx.created_at())  # a write that changes nothing a user sees

    assert db_path.with_name(f"pipeline.json.schema{BEFORE}.bak").read_bytes() == original
    meta = orjson.loads(db_path.read_bytes())["_meta"]["1"]
    assert meta["schema"] == schema_version()
    assert meta["migrations"] == [
        "stages_into_pipelines",
        "open_deal_columns",
        "open_index_out_of_main",
        "keep_change_log",
    ]
    assert _outputs(cli, db_path) == outputs
    thai = cli("--db", str(db_path), "--lang", "th", "pipeline", "list").stdout
    assert "ไปป์ไลน์ขาย" in thai


# -- the pipeline commands ------------------------------------------------------------------
@pytest.fixture
def two(cli: Cli, each_backend: str) -> Cli:
    """A database with Sales (default stages, one deal) and Renewals (a copy of them)."""
    assert cli("add", "New ERP", "--value", "100k").exit_code == 0
    made = cli.json("pipeline", "add", "Renewals", "--stages", "copy-of", "Sales")
    assert (made["key"], made["stages"]) == ("renewals", 5)
    return cli


def test_the_total_of_every_pipeline_names_each_stages_pipeline_in_order(two: Cli) -> None:
    """Both pipelines have a "Presented": the total listed Presented, Presented,
    Considering, Considering… with nothing to say which was which."""
    two("add", "Renewal A", "--value", "300k", "--pipeline", "renewals")
    every = two.json("report", "--pipeline", "all")
    names = [s["name"] for s in every["total"]["open"]["stages"]]
    assert names[:2] == ["Sales: Presented", "Sales: Considering"]
    assert names[5:7] == ["Renewals: Presented", "Renewals: Considering"]
    assert [s["key"] for s in every["total"]["open"]["stages"]][5] == "renewals-presented"
    text = two("report", "--pipeline", "all").stdout.split("All pipelines", 1)[1]
    assert text.index("Sales: Approved") < text.index("Renewals: Presented")


def test_a_report_as_of_a_day_names_the_pipelines_as_they_were_then(
    two: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--as-of showed the stages as they were but the pipelines as they are: renamed
    since, and one made since in a section of its own (a trial)."""
    two("add", "Renewal A", "--value", "300k", "--pipeline", "renewals")
    monkeypatch.setenv("SALESPIPE_NOW", "2026-12-02T10:00:00+07:00")
    two("pipeline", "rename", "renewals", "Renewals 2027")
    two("pipeline", "add", "Later")
    then = two.json("report", "--pipeline", "all", "--as-of", "2026-11-27")
    assert [p["name"] for p in then["pipelines"]] == ["Sales", "Renewals"]
    stages = [s["name"] for s in then["total"]["open"]["stages"]]
    assert "Renewals: Presented" in stages
    assert not any(name.startswith("Later") for name in stages)
    page = two("report", "--html", "-", "--pipeline", "Renewals 2027", "--as-of", "2026-11-27")
    assert "Renewals" in page.stdout
    assert "Renewals 2027" not in page.stdout
    now = two.json("report", "--pipeline", "all")
    assert [p["name"] for p in now["pipelines"]] == ["Sales", "Renewals 2027", "Later"]


def test_a_stage_change_names_its_pipeline_in_the_log_and_the_undo_list(
    two: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "stage rename: Quoted → Proposal" did not say which pipeline's Quoted, where both
    have one (a trial)."""
    two("stage", "rename", "quoted", "Proposal", "--pipeline", "renewals")
    two("stage", "rename", "quoted", "Offer")
    listed = [c["description"] for c in two.json("undo", "--list")][:2]
    assert listed == [
        "stage rename: Quoted → Offer (Sales)",
        "stage rename: Quoted → Proposal (Renewals)",
    ]
    monkeypatch.setenv("COLUMNS", "140")
    logged = two("log").stdout
    assert "stage rename: Quoted → Offer (Sales)" in logged
    assert "stage rename: Quoted → Proposal (Renewals)" in logged
    assert two.json("undo")["undid"]["description"] == "stage rename: Quoted → Offer"


def test_pipeline_changes_are_recorded_and_listed_by_their_own_names(two: Cli) -> None:
    """An unarchive was recorded as the command "pipeline archive" (so told to hooks
    and watch --exec), and undo --list called a pipeline's removal "stage remove:
    Presented, …" (a trial)."""
    two("pipeline", "archive", "renewals")
    two("pipeline", "unarchive", "renewals")
    two("pipeline", "add", "Spare")
    two("pipeline", "remove", "Spare")
    logged = [(e["type"], e["command"]) for e in two.json("log", "--limit", "0")]
    assert ("pipeline-unarchive", "pipeline unarchive") in logged
    assert ("pipeline-archive", "pipeline archive") in logged
    listed = [(c["command"], c["description"]) for c in two.json("undo", "--list")][:3]
    assert listed == [
        ("pipeline remove", "pipeline remove: Spare"),
        ("pipeline add", "pipeline add: Spare"),
        ("pipeline unarchive", "pipeline unarchive: Renewals"),
    ]


def test_every_pipelines_json_is_wrapped_as_reports_md_says(two: Cli) -> None:
    """A script following the cron docs (check --pipeline all) met a shape the docs did
    not give (a trial): reports.md now does, and this holds it to it."""
    two("add", "Late", "--next", "Call", "--due", "yesterday", "--pipeline", "renewals")
    checked = two("check", "--pipeline", "all", "--json")
    assert checked.exit_code == 3
    wrapped = json.loads(checked.stdout)
    assert set(wrapped) == {"pipelines", "total"}
    assert wrapped["total"] is None
    assert [(p["key"], p["name"]) for p in wrapped["pipelines"]] == [
        ("sales", "Sales"),
        ("renewals", "Renewals"),
    ]
    alerts = [a for p in wrapped["pipelines"] for a in p["report"]["alerts"]]
    assert [a["kind"] for a in alerts] == ["next_action_overdue"]
    report = two.json("report", "--pipeline", "all")
    assert set(report) == {"pipelines", "total"}
    assert set(report["total"]) == set(report["pipelines"][0]["report"])


def test_the_pipeline_setting_is_named_by_its_pipeline_in_the_log(two: Cli) -> None:
    """undo --list and log said "setting pipeline: — → toayusayya", the key, where a
    person knows the pipeline as ต่ออายุสัญญา (a trial)."""
    two("pipeline", "add", "ต่ออายุสัญญา")
    two("use", "ต่ออายุสัญญา")
    [latest] = two.json("undo", "--list")[:1]
    assert latest["description"] == "setting pipeline: — → ต่ออายุสัญญา"
    assert "setting pipeline: — → ต่ออายุสัญญา" in two("log").stdout


def test_stage_names_are_cut_only_when_the_terminal_has_no_room(
    two: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The total's "Renewals 2027: Negotiating" was cut to 24 cells at any width (a
    trial: at 140 columns, in a table 64 wide); it is cut only where it does not fit."""
    two("pipeline", "rename", "renewals", "Renewals 2027")
    monkeypatch.setenv("COLUMNS", "100")
    wide = two("report", "--pipeline", "all").stdout.split("All pipelines", 1)[1]
    assert "Renewals 2027: Negotiating " in wide
    two("add", "Big", "--value", "123,456,789.00", "--pipeline", "renewals")
    monkeypatch.setenv("COLUMNS", "50")
    narrow = two("report", "--pipeline", "all").stdout.split("All pipelines", 1)[1]
    assert "Renewals 2027: Negotiating " not in narrow
    assert "฿123,456,789.00" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 50


def test_an_owner_of_nothing_is_warned_of_in_every_pipeline_too(two: Cli, tmp_path: Path) -> None:
    """`stale --owner nobody` warns of a likely typo; with --pipeline all it said nothing
    (nor did `report --html FILE --pipeline all`). An owner of deals in one pipeline only
    is not warned of."""
    two("add", "Renewal A", "--owner", "ploy", "--pipeline", "renewals")
    page = str(tmp_path / "page.html")
    for command in ("stale", "report", "winrate", ("report", "--html", page)):
        command = (command,) if isinstance(command, str) else command
        one = two(*command, "--owner", "nobody")
        every = two(*command, "--owner", "nobody", "--pipeline", "all")
        assert one.exit_code == every.exit_code == 0, every.stderr
        assert 'has the owner "nobody"' in one.stderr, command
        assert every.stderr == one.stderr, command
        owned = two(*command, "--owner", "ploy", "--pipeline", "all")
        assert "has the owner" not in owned.stderr, command


def test_check_of_every_pipeline_keeps_each_pipeline_apart(two: Cli, run: Any) -> None:
    """Each pipeline's alerts under its name, a blank line around it (a review: alerts
    printed as lines ran the sections together, the name read as one more alert)."""
    two("add", "Renewal A", "--pipeline", "renewals", "--next", "Call", "--due", "2026-11-01")
    assert two("next", "1", "Call", "--due", "2026-11-02").exit_code == 0
    piped = run("check", "--pipeline", "all")
    assert piped.returncode == 3, piped.stderr
    sections = piped.stdout.split("\n\n")
    assert [s.splitlines()[0] for s in sections[::2]] == ["Sales", "Renewals"]
    assert all(s.splitlines()[0].split() == ["Kind", "What"] for s in sections[1::2]), sections


def test_a_deal_moved_to_another_pipeline_keeps_its_stays_in_the_first(two: Cli) -> None:
    """Its three days in Sales' Presented and five in Quoted were dropped from Sales'
    durations once it moved to Renewals (the "All pipelines" total kept them, so one
    report gave Presented two medians)."""
    assert two("add", "Moves on", "--at", "2026-11-01 09:00").exit_code == 0
    assert two("move", "2", "quoted", "--at", "2026-11-04 09:00").exit_code == 0
    moved = two(
        "move", "2", "presented", "-P", "renewals", "-r", "renewal", "--at", "2026-11-09 09:00"
    )
    assert moved.exit_code == 0, moved.stderr
    # On the 26th, deal 1 (made today) was not there yet.
    for extra, presented in (((), 2), (("--as-of", "2026-11-26"), 1)):
        sales = {s["key"]: s for s in two.json("durations", "-P", "sales", *extra)["stages"]}
        assert (sales["presented"]["stays"], sales["quoted"]["stays"]) == (presented, 1), extra
        assert sales["quoted"]["median_days"] == 5.0
    renewals = {s["key"]: s for s in two.json("durations", "-P", "renewals")["stages"]}
    assert renewals["renewals-presented"]["stays"] == 1
    assert "quoted" not in renewals


def test_pipelines_are_listed_named_and_resolved_like_stages(two: Cli) -> None:
    listed = two.json("pipeline", "list")
    assert [(p["key"], p["position"], p["current"]) for p in listed] == [
        ("sales", 1, True),
        ("renewals", 2, False),
    ]
    assert [p["open_deals"] for p in listed] == [1, 0]
    for name in ("renewals", "Renewals", "2", "ren", "REN"):
        assert two.json("pipeline", "use", name)["current"] is True
    assert two.json("config", "get", "pipeline") == {"pipeline": "renewals"}
    assert two.json("use", "ไปป์ไลน์ขาย")["key"] == "sales"  # the default name, in Thai
    renamed = two.json("pipeline", "rename", "sales", "ขายใหม่")
    assert renamed["name"] == "ขายใหม่"
    assert two.json("use", "ขาย")["key"] == "sales"  # a part of a Thai name
    missing = two("pipeline", "use", "nothing")
    assert missing.exit_code == 1
    assert '"ขายใหม่", "Renewals"' in missing.stderr


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("stage", "add", "2024"), 'The stage name "2024" cannot be only digits'),
        (("stage", "add", "Won"), 'The stage name "Won" is reserved for deal statuses.'),
        (("stage", "add", "QUOTED"), 'There is already a stage "Quoted" (quoted).'),
        (("stage", "add", "negotiating"), 'There is already a stage "Negotiating"'),
        (("stage", "rename", "quoted", "Approved"), 'There is already a stage "Approved"'),
        (("stage", "add", " "), "stage name"),
        (("pipeline", "add", "2024"), 'The pipeline name "2024" cannot be only digits'),
        (("pipeline", "add", "all"), 'The pipeline name "all" is reserved.'),
        (("pipeline", "add", "renewals"), 'There is already a pipeline "Renewals" (renewals).'),
        (("pipeline", "add", "sales"), 'There is already a pipeline "Sales" (sales).'),
        (("pipeline", "rename", "2", "Sales"), 'There is already a pipeline "Sales"'),
        # Sales answers to its Thai name too: a second pipeline of that name took -P from it
        (("pipeline", "add", "ไปป์ไลน์ขาย"), 'There is already a pipeline "ไปป์ไลน์ขาย" (sales).'),
        (("pipeline", "rename", "2", "ไปป์ไลน์ขาย"), 'There is already a pipeline "ไปป์ไลน์ขาย"'),
        (("pipeline", "add", " "), "pipeline name"),
    ],
)
def test_stage_and_pipeline_names_are_checked_alike_each_in_its_own_words(
    two: Cli, argv: tuple[str, ...], said: str
) -> None:
    refused = two(*argv)
    assert refused.exit_code == 1
    assert said in refused.stderr


def test_a_name_may_be_kept_and_thai_refusals_name_their_kind(two: Cli) -> None:
    """Renaming to its own name (another case) is no clash with itself."""
    assert two.json("stage", "rename", "quoted", "QUOTED")["name"] == "QUOTED"
    assert two.json("pipeline", "rename", "renewals", "RENEWALS")["name"] == "RENEWALS"
    stage = two("--lang", "th", "stage", "add", "123").stderr
    pipeline = two("--lang", "th", "pipeline", "add", "123").stderr
    assert "ขั้น" in stage
    assert "ไปป์ไลน์" in pipeline
    assert stage != pipeline


def test_each_pipeline_has_its_own_stages(two: Cli) -> None:
    """The same stage name in two pipelines: each command finds the one of its pipeline."""
    sales = two.json("stage", "list")
    renewals = two.json("stage", "list", "--pipeline", "renewals")
    assert [s["name"] for s in sales] == [s["name"] for s in renewals]
    assert {s["key"] for s in sales}.isdisjoint(s["key"] for s in renewals)
    assert {s.get("pipeline") for s in renewals} == {"renewals"}
    two("stage", "rename", "quoted", "Offer", "--pipeline", "renewals")
    assert [s["name"] for s in two.json("stage", "list")][2] == "Quoted"
    deal = two.json("add", "Renewal 2027", "--pipeline", "renewals", "--stage", "Offer")
    assert (deal["stage"], deal["pipeline"]) == ("renewals-quoted", "renewals")
    moved = two.json("move", str(deal["id"]), "Negotiating")  # within its own pipeline
    assert (moved["stage"], moved["pipeline"]) == ("renewals-negotiating", "renewals")
    assert two("move", str(deal["id"]), "Offer").exit_code == 0
    sales_deal = two.json("move", "1", "quoted")
    assert (sales_deal["stage"], sales_deal["pipeline"]) == ("quoted", "sales")
    assert two("move", "1", "Offer").exit_code == 1  # not a stage of Sales
    listed = two.json("list", "--pipeline", "renewals")
    assert [d["id"] for d in listed] == [deal["id"]]
    assert [d["id"] for d in two.json("list")] == [1]


def test_a_move_across_pipelines_is_one_event_and_undone_as_one(two: Cli) -> None:
    moved = two.json(
        "move", "1", "presented", "--pipeline", "Renewals", "--reason", "became a renewal"
    )
    assert (moved["stage"], moved["pipeline"]) == ("renewals-presented", "renewals")
    events = two.json("show", "1")["events"]
    assert [(e["type"], e["reason"]) for e in events][-1] == ("move", "became a renewal")
    assert events[-1]["before"]["stage"] == "presented"
    assert two.json("list", "--pipeline", "sales") == []
    undone = two.json("undo")
    assert [d["stage"] for d in undone["deals"]] == ["presented"]
    assert [d["id"] for d in two.json("list", "--pipeline", "sales")] == [1]


def test_a_move_across_pipelines_names_the_pipeline_it_went_into(two: Cli) -> None:
    across = two("move", "1", "quoted", "--pipeline", "Renewals", "--reason", "renewal")
    assert across.stdout == "Deal 1 moved to Quoted (Renewals).\n"
    within = two("move", "1", "approved", "--reason", "signed")
    assert within.stdout == "Deal 1 moved to Approved.\n"  # its own pipeline: not named
    back = two("--lang", "th", "move", "1", "1", "--pipeline", "sales", "--reason", "x")
    assert back.stdout == "ย้ายดีล 1 ไปขั้น Presented (ไปป์ไลน์ขาย) แล้ว\n"
    shown = two("show", "1").stdout
    assert "Quoted → Approved  " in shown  # the move within says no pipeline
    assert "moved: Presented → Quoted (Renewals)" in shown
    assert "moved: Approved → Presented (Sales)" in two("log").stdout


def test_a_pipeline_is_removed_only_if_no_deal_ever_lived_in_it(two: Cli) -> None:
    two("move", "1", "1", "--pipeline", "renewals")
    two("move", "1", "1", "--pipeline", "sales")
    refused = two("pipeline", "remove", "renewals")
    assert refused.exit_code == 1
    assert "pipeline archive" in refused.stderr
    archived = two.json("pipeline", "archive", "renewals")
    assert archived["archived"] is True
    assert two("add", "X", "--pipeline", "renewals").exit_code == 1
    two.json("pipeline", "add", "Test", "--stages", "empty")
    assert two.json("pipeline", "remove", "test")["removed"]["key"] == "test"
    assert [p["key"] for p in two.json("pipeline", "list")] == ["sales", "renewals"]
    two("undo")
    assert [p["key"] for p in two.json("pipeline", "list")] == ["sales", "renewals", "test"]


def test_archiving_the_first_pipeline_while_it_is_current_by_default_keeps_the_next(
    two: Cli,
) -> None:
    """With no pipeline chosen (the first current by default), archiving it and bringing
    it back made it current again, away from the one worked in since (a review)."""
    assert two("pipeline", "archive", "sales").stdout.strip() == (
        'Archived pipeline "Sales". Commands now act on the pipeline "Renewals".'
    )
    assert two.json("config", "get", "pipeline")["pipeline"] == "renewals"
    assert two("pipeline", "unarchive", "sales").stdout.strip() == 'Pipeline "Sales" is back.'
    added = two.json("add", "Since")
    assert two.json("show", str(added["id"]))["pipeline"] == "renewals"
    for _step in range(3):
        two("undo")
    assert two.json("config", "get", "pipeline")["pipeline"] is None
    assert [p["key"] for p in two.json("pipeline", "list") if p["current"]] == ["sales"]


def test_a_stage_that_cannot_be_removed_is_hidden_by_a_command_naming_its_pipeline(
    two: Cli,
) -> None:
    """The hint left out --pipeline: pasted, it disabled the current pipeline's stage of
    that name, not the one refused (a trial)."""
    added = two.json("add", "Renewal", "--pipeline", "renewals", "--stage", "negotiating")
    two("won", str(added["id"]))
    refused = two("stage", "remove", "negotiating", "--pipeline", "renewals")
    assert refused.exit_code == 1
    hint = '`salespipe stage disable "Negotiating" --pipeline renewals` hides it instead.'
    assert refused.stderr.strip().endswith(hint)
    assert two("stage", "disable", "Negotiating", "--pipeline", "renewals").exit_code == 0
    listed = {s["name"]: s["enabled"] for s in two.json("stage", "list", "--all")}
    assert listed["Negotiating"] is True  # the current pipeline's (Sales) is untouched
    renewals = two.json("stage", "list", "--all", "--pipeline", "renewals")
    assert {s["name"]: s["enabled"] for s in renewals}["Negotiating"] is False


def test_archiving_the_current_pipeline_makes_the_first_one_current(two: Cli) -> None:
    """Archiving the pipeline `use` chose left every command refused in it ("is
    archived"), with no word of how to go on (a trial)."""
    two("use", "renewals")
    archived = two("pipeline", "archive", "renewals")
    assert archived.stdout.strip() == (
        'Archived pipeline "Renewals". Commands now act on the pipeline "Sales".'
    )
    added = two.json("add", "New lead")
    assert two.json("show", str(added["id"]))["pipeline"] == "sales"
    current = [p["key"] for p in two.json("pipeline", "list") if p["current"]]
    assert current == ["sales"]
    refused = two("use", "renewals")
    assert refused.exit_code == 1
    assert 'The pipeline "Renewals" is archived' in refused.stderr
    # The setting names Sales from then on: bringing Renewals back made it current again,
    # away from the pipeline everyone had worked in since (a trial).
    assert two.json("config", "get", "pipeline")["pipeline"] == "sales"
    back = two("pipeline", "unarchive", "renewals")
    assert back.stdout.strip() == 'Pipeline "Renewals" is back.'
    assert [p["key"] for p in two.json("pipeline", "list") if p["current"]] == ["sales"]
    two("undo")
    two("undo")
    assert two.json("config", "get", "pipeline")["pipeline"] == "sales"
    two("undo")  # the archive, with the setting it changed
    assert two.json("config", "get", "pipeline")["pipeline"] == "renewals"
    assert [p["key"] for p in two.json("pipeline", "list") if p["current"]] == ["renewals"]


# -- reports per pipeline ----------------------------------------------------------------------
def test_reports_read_one_pipeline_or_each_with_all(two: Cli) -> None:
    two("add", "Renewal A", "--value", "300k", "--pipeline", "renewals")
    two("add", "Renewal B", "--value", "50k", "--pipeline", "renewals", "--currency", "USD")
    sales = two.json("report")
    renewals = two.json("report", "--pipeline", "renewals")
    assert sales["open"]["count"] == 1
    assert renewals["open"]["count"] == 2
    assert renewals["open"]["value"] == {"THB": 300000, "USD": 50000}
    assert renewals["open"]["stages"][0]["key"] == "renewals-presented"
    every = two.json("report", "--pipeline", "all")
    assert [p["key"] for p in every["pipelines"]] == ["sales", "renewals"]
    assert every["pipelines"][1]["report"] == renewals
    assert every["total"]["open"]["count"] == 3
    for command in ("chart", "forecast", "funnel", "durations", "winrate", "stale"):
        shown = two.json(command, "--pipeline", "all")
        assert [p["key"] for p in shown["pipelines"]] == ["sales", "renewals"], command
    text = two("report", "--pipeline", "all").stdout
    assert text.index("Sales") < text.index("Renewals") < text.index("All pipelines")
    board = two.json("board", "--pipeline", "renewals")
    assert "Renewal A" in str(board)
    assert "New ERP" not in str(board)
    two("next", "1", "Call", "--due", "2026-11-01")  # overdue: check flags deal 1 in Sales
    assert "New ERP" in two("check", "--json").stdout
    assert "New ERP" not in two("check", "--pipeline", "renewals", "--json").stdout


def test_a_stale_deal_names_its_pipeline_as_show_does(two: Cli) -> None:
    """``stale --json`` left out the ``pipeline`` key every other deal object has once
    there are several pipelines (docs/pipelines.md)."""
    two("add", "Quiet renewal", "--pipeline", "renewals", "--at", "2026-10-01")
    stale = two.json("stale", "--pipeline", "renewals")
    assert [d["title"] for d in stale] == ["Quiet renewal"]
    assert stale[0]["pipeline"] == "renewals"
    shown = two.json("show", str(stale[0]["id"]))
    assert {k: v for k, v in stale[0].items() if k != "days_over"} == {
        k: v for k, v in shown.items() if k in stale[0]
    }
    every = two.json("stale", "--pipeline", "all")
    assert every["pipelines"][1]["report"][0]["pipeline"] == "renewals"


def test_slips_name_a_stage_of_another_pipeline_with_its_pipeline(two: Cli) -> None:
    """A deal pushed in Sales and moved to Renewals: Renewals' slips listed the Sales
    stage by its key ("presented") beside its own "Presented"."""
    two("edit", "1", "--close", "2026-12-10")
    two("edit", "1", "--close", "2026-12-20")
    two("move", "1", "renewals-presented", "--pipeline", "renewals")
    two("edit", "1", "--close", "2026-12-30")
    stages = two.json("slips", "--pipeline", "renewals")["stages"]
    named = [(s["key"], s["name"]) for s in stages if s["slips"]]
    assert named == [("renewals-presented", "Presented"), ("presented", "Presented (Sales)")]


def _open_count(cli: Cli, *argv: str) -> int:
    return sum(row["count"] for row in cli.json("chart", *argv)["stages"])


def test_as_of_knows_which_pipeline_a_deal_was_in(two: Cli) -> None:
    """A deal moved across later counts in its old pipeline as of a day before."""
    two("add", "Old deal", "--at", "2026-11-20")
    two("move", "2", "presented", "--pipeline", "renewals")
    assert _open_count(two, "--pipeline", "renewals") == 1
    assert _open_count(two) == 1  # deal 1 only
    assert _open_count(two, "--as-of", "2026-11-22") == 1  # deal 2, still in Sales
    assert _open_count(two, "--pipeline", "renewals", "--as-of", "2026-11-22") == 0
    assert _open_count(two, "--pipeline", "renewals", "--as-of", "2026-11-27") == 1


# -- backup and export -------------------------------------------------------------------------
def test_a_two_pipeline_backup_restores_exactly(two: Cli, tmp_path: Path) -> None:
    two("move", "1", "quoted", "--pipeline", "renewals", "--reason", "renewal")
    two("pipeline", "archive", "renewals")
    two("use", "sales")
    first = two("export", "--format", "json").stdout
    assert '"pipelines":[' in first
    backup = tmp_path / "backup.json"
    backup.write_text(first, encoding="utf-8")
    other = str(tmp_path / "restored" / "pipeline.json")
    assert two("--db", other, "import", str(backup)).exit_code == 0
    assert two("--db", other, "export", "--format", "json").stdout == first
    restored = two.json("--db", other, "pipeline", "list")
    assert [(p["key"], p["archived"]) for p in restored] == [
        ("sales", False),
        ("renewals", True),
    ]
    assert two.json("--db", other, "show", "1")["pipeline"] == "renewals"
    undone = two.json("--db", other, "undo")  # the undo list came along: `use` goes back
    assert undone["undid"]["command"] == "config"


def test_the_csv_export_names_each_deal_s_pipeline_when_there_are_several(two: Cli) -> None:
    header = two("export").stdout.splitlines()[0].split(",")
    assert header[-1] == "pipeline"
    two("pipeline", "remove", "renewals")
    assert "pipeline" not in two("export").stdout.splitlines()[0].split(",")


def test_import_goes_into_the_pipeline_named(two: Cli, tmp_path: Path) -> None:
    """A file's stages are those of the pipeline it is imported into; new ones are made
    there, with keys no other pipeline's stage has."""
    csv = tmp_path / "renewals.csv"
    csv.write_text("title,stage,value\nRenew A,Quoted,1000\nRenew B,Proposal,2000\n")
    refused = two("import", str(csv), "--pipeline", "renewals")
    assert refused.exit_code == 1  # "Proposal" is no stage of Renewals
    done = two("import", str(csv), "--pipeline", "renewals", "--create-stages")
    assert done.exit_code == 0, done.stderr
    deals = {d["title"]: d for d in two.json("list", "--pipeline", "renewals")}
    assert deals["Renew A"]["stage"] == "renewals-quoted"
    assert deals["Renew B"]["pipeline"] == "renewals"
    assert "Proposal" in [s["name"] for s in two.json("stage", "list", "-P", "renewals")]
    assert "Proposal" not in [s["name"] for s in two.json("stage", "list")]


# -- completion --------------------------------------------------------------------------------
def _completing(db: Path, command: str, **params: object) -> typer.Context:
    """A context as Typer builds it while completing `salespipe --db DB <command> …`."""
    root = typer.Context(typer.main.get_command(app), info_name="salespipe")
    root.params = {"db": str(db), "lang": None}
    context = typer.Context(typer.main.get_command(app), parent=root, info_name=command)
    context.params = params
    return context


def test_stage_completion_offers_the_stages_of_the_deal_s_pipeline(cli: Cli, db_path: Path) -> None:
    cli("add", "A")
    cli("pipeline", "add", "Projects", "--stages", "empty")
    cli("stage", "add", "Scoping", "--pipeline", "projects")
    cli("add", "B", "--pipeline", "projects")

    def offered(**params: object) -> set[str]:
        return {
            v for v, _about in complete.enabled_stages(_completing(db_path, "move", **params), "")
        }

    assert "Scoping" in offered(deal_id=2)
    assert "presented" not in offered(deal_id=2)
    assert "presented" in offered(deal_id=1)
    assert "Scoping" in offered(deal_id=1, into="projects")
    pipelines = {v for v, _about in complete.pipelines(_completing(db_path, "use"), "")}
    assert {"projects", "Projects", "sales", "Sales"} <= pipelines


def _title(page: str) -> str:
    return page.split("<title>", 1)[1].split("</title>", 1)[0]


def test_the_html_report_names_its_pipeline(two: Cli) -> None:
    page = two("report", "--pipeline", "renewals", "--html", "-").stdout
    assert _title(page).startswith("Sales pipeline report – Renewals – ")
    two("pipeline", "remove", "renewals")  # one pipeline again: the page as it always was
    assert _title(two("report", "--html", "-").stdout).count(" – ") == 1


def test_the_html_forecast_of_all_pipelines_has_a_section_each_then_every_deal(
    two: Cli, tmp_path: Path
) -> None:
    """forecast --html FILE --pipeline all writes what report --html does: each
    pipeline's forecast under its name, then (as the terminal's) the one of all deals."""
    two("add", "Renewal A", "--value", "300k", "--pipeline", "renewals", "--close", "2026-12-20")
    page = tmp_path / "forecast.html"
    written = two("forecast", "--html", str(page), "--pipeline", "all")
    assert written.exit_code == 0, written.stderr
    text = page.read_text(encoding="utf-8")
    headings = [
        text.index(f'<h2 class="pipeline">{name}</h2>')
        for name in ("Sales", "Renewals", "All pipelines")
    ]
    assert headings == sorted(headings)
    assert "฿300,000.00" in text[headings[1] :]  # Renewal A: in its pipeline and the total
    assert "฿300,000.00" not in text[headings[0] : headings[1]]
    assert _title(text).startswith("Forecast – ")
    thai = two("--lang", "th", "forecast", "--html", "-", "--pipeline", "all").stdout
    assert '<h2 class="pipeline">ทุกไปป์ไลน์</h2>' in thai
    one = two("forecast", "--pipeline", "renewals", "--html", "-").stdout
    assert _title(one).startswith("Forecast – Renewals – ")


@pytest.mark.postgres
def test_a_postgres_database_from_before_pipelines_is_migrated_by_its_first_write(
    pg_empty_database: str,
) -> None:
    """A database set up by m001 alone reads as one pipeline; the first write applies
    m003_pipelines, and its stages and deals are all still there."""
    import psycopg

    from salespipe.core.model import default_stages, first_pipeline
    from salespipe.storage.postgres import schema

    stages = orjson.dumps([s.to_record() for s in default_stages("en")]).decode()
    with psycopg.connect(pg_empty_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE salespipe_migrations (applied_order serial PRIMARY KEY,"
            " name text NOT NULL UNIQUE, applied_at timestamptz NOT NULL DEFAULT now(),"
            " role text NOT NULL DEFAULT current_user)"
        )
        schema.m001_pipeline(cursor)
        cursor.execute("INSERT INTO salespipe_migrations (name) VALUES ('m001_pipeline')")
        cursor.execute(
            "INSERT INTO salespipe_pipeline (created_at, config, flags, stages, next_deal_id,"
            " next_seq, next_change) VALUES ('2026-11-01T09:00:00+07:00', '{}', '{}', %s,"
            " 1, 1, 1)",
            (stages,),
        )
    pipeline = Pipeline.open(pg_empty_database)
    assert pipeline.read().pipelines() == [first_pipeline()]
    pipeline.add("After the upgrade", DealFields())
    assert pipeline.read().pipelines() == [first_pipeline()]
    assert [d.title for d in pipeline.read().open_deals()] == ["After the upgrade"]
    assert len(pipeline.read().stages()) == 5
    with psycopg.connect(pg_empty_database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name FROM salespipe_migrations ORDER BY applied_order")
        assert [name for (name,) in cursor.fetchall()] == list(schema.KNOWN)


def test_a_copy_carries_the_pipelines(two: Cli, tmp_path: Path) -> None:
    two("move", "1", "quoted", "--pipeline", "renewals")
    target = str(tmp_path / "copy" / "pipeline.json")
    import os

    done = two("copy", os.environ["SALESPIPE_DB"], target)
    assert done.exit_code == 0, done.stderr
    assert two.json("--db", target, "pipeline", "list") == two.json("pipeline", "list")
    assert two.json("--db", target, "show", "1")["pipeline"] == "renewals"


def test_calibrate_slips_check_and_the_html_report_take_all(two: Cli, tmp_path: Path) -> None:
    """--pipeline all: one section per pipeline; check exits 3 when any pipeline has
    something to act on; calibrate --apply needs one pipeline (a usage error)."""
    two(
        "add",
        "Renewal X",
        "--value",
        "5000",
        "-P",
        "renewals",
        "--next",
        "call",
        "--due",
        "2020-01-01",
    )
    for command in ("calibrate", "slips", "check"):
        result = two(command, "--pipeline", "all", "--json")
        assert result.exit_code == (3 if command == "check" else 0), result.stderr
        sections = orjson.loads(result.stdout)["pipelines"]
        assert [s["key"] for s in sections] == ["sales", "renewals"]
    checked = orjson.loads(two("check", "--pipeline", "all", "--json").stdout)
    overdue = checked["pipelines"][1]["report"]["alerts"]
    assert [a["deal_id"] for a in overdue] == [2]
    assert two("check", "--pipeline", "sales", "--quiet").stdout == ""
    refused = two("calibrate", "--apply", "--pipeline", "all")
    assert refused.exit_code == 2
    assert "no pipeline" not in refused.stderr.casefold()
    page = tmp_path / "report.html"
    assert two("report", "--html", str(page), "--pipeline", "all").exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert text.index('<h2 class="pipeline">Sales</h2>') < text.index(
        '<h2 class="pipeline">Renewals</h2>'
    )


def test_show_and_log_name_the_pipeline_by_its_name(two: Cli) -> None:
    """With several pipelines, show's Pipeline line and log's move across give the name
    (the first pipeline's default name in the reader's language), not the key."""
    two("pipeline", "rename", "renewals", "Repeat")
    two("move", "1", "quoted", "--pipeline", "renewals", "--reason", "renewal")
    assert "Pipeline        Repeat" in two("show", "1").stdout
    assert "→ Quoted (Repeat)" in two("log", "--limit", "1").stdout
    two("move", "1", "quoted", "--pipeline", "sales")
    assert "→ Quoted (Sales)" in two("log", "--limit", "1").stdout
    assert "(ไปป์ไลน์ขาย)" in two("--lang", "th", "log", "--limit", "1").stdout
    assert "ไปป์ไลน์ขาย" in two("--lang", "th", "show", "1").stdout


def test_a_pipeline_given_must_exist_even_when_there_is_one(cli: Cli) -> None:
    """A one-pipeline user's typo is an error, not silently the whole file."""
    cli("add", "One")
    for command in ("list", "board", "agenda", "chart", "report"):
        wrong = cli(command, "--pipeline", "renewal")
        assert wrong.exit_code == 1, command
        assert 'There is no pipeline "renewal"' in wrong.stderr
    assert cli("list", "--pipeline", "sales").exit_code == 0


def test_all_on_a_listing_is_a_usage_error_naming_the_reports(two: Cli) -> None:
    for command in ("list", "board", "agenda"):
        refused = two(command, "--pipeline", "all")
        assert refused.exit_code == 2, command
        assert "one section per pipeline on the reports" in refused.stderr
    thai = two("--lang", "th", "list", "--pipeline", "all")
    assert thai.exit_code == 2
    assert "แยกส่วนตามไปป์ไลน์" in thai.stderr


def test_every_pipeline_of_a_database_with_one_is_its_report_alone(cli: Cli) -> None:
    """The cron example checks `--pipeline all`: with one pipeline its mail began with a
    "Sales" heading, and `report` printed the same tables twice (Sales, All pipelines)."""
    assert cli("add", "ERP", "--value", "100k").exit_code == 0
    for command in ("report", "check", "stale", "forecast"):
        assert cli(command, "--pipeline", "all").stdout == cli(command).stdout, command
    for command in ("report", "forecast"):  # the page too (it had "Sales", "All pipelines")
        every = cli(command, "--html", "-", "--pipeline", "all").stdout
        assert every == cli(command, "--html", "-").stdout, command
    assert [p["key"] for p in cli.json("report", "--pipeline", "all")["pipelines"]] == ["sales"]
