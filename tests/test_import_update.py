"""``import --update``: a newer export of the same deals changes the deals here as it
says (docs/import.md), in the import's one change, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.checks import deals_by_title, written

pytestmark = pytest.mark.usefixtures("each_backend")

HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Pipeline,Create Date,"
    "Closed Lost Reason,Last Modified Date\n"
)


def _row(record: int, title: str, stage: str, amount: int, reason: str = "") -> str:
    return (
        f"{record},{title},{stage},2026-12-20 00:00,ann,{amount},Sales Pipeline,"
        f"2026-10-01 09:30,{reason},2026-11-02 10:00\n"
    )


def _weeks(tmp_path: Path) -> tuple[str, str]:
    """A first HubSpot export, and the next week's: one value changed, one deal moved on
    a stage, one won and one lost (with the CRM's reason); one row as it was."""
    week1 = written(
        tmp_path,
        "week1.csv",
        HUBSPOT
        + _row(9001, "Website", "Presentation scheduled", 45000)
        + _row(9002, "Helpdesk", "Presentation scheduled", 120000)
        + _row(9003, "Migration", "Presentation scheduled", 30000)
        + _row(9004, "Training", "Presentation scheduled", 10000)
        + _row(9005, "Audit", "Presentation scheduled", 5000)
        + _row(9006, "Seed", "Decision maker bought-in", 1),
    )
    week2 = written(
        tmp_path,
        "weekly.csv",
        HUBSPOT
        + _row(9001, "Website", "Presentation scheduled", 50000)
        + _row(9002, "Helpdesk", "Decision maker bought-in", 120000)
        + _row(9003, "Migration", "Closed won", 30000)
        + _row(9004, "Training", "Closed lost", 10000, "Went with a rival")
        + _row(9005, "Audit", "Presentation scheduled", 5000)
        + _row(9006, "Seed", "Decision maker bought-in", 1),
    )
    return week1, week2


def _state(cli: Any) -> dict[str, tuple[Any, ...]]:
    return {
        title: (deal["value"], deal["stage"], deal["status"], deal["lost_reason"])
        for title, deal in deals_by_title(cli).items()
    }


def test_update_applies_what_the_newer_export_says_and_undo_takes_it_all_back(
    cli: Any, tmp_path: Path
) -> None:
    """A weekly export's changes were named but never applied: 40 changed deals were 40
    commands by hand, and the pipeline drifted from the CRM."""
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    before = _state(cli)

    report = cli.json("import", week2, "--update")

    assert report["updated"] == [
        {"line": 2, "deal": 1, "fields": ["value"]},
        {"line": 3, "deal": 2, "fields": ["stage"]},
        {"line": 4, "deal": 3, "fields": ["status"]},
        {"line": 5, "deal": 4, "fields": ["status"]},
    ]
    assert "differing" not in report  # all of it was changed
    assert (report["imported"], report["events"]) == (0, 4)
    after = _state(cli)
    assert after["Website"][0] == 50000
    assert after["Helpdesk"][1] == "decision-maker-bought-in"
    assert after["Migration"][2] == "won"
    assert after["Training"][2:] == ("lost", "Went with a rival")
    assert after["Audit"] == before["Audit"]
    assert after["Seed"] == before["Seed"]

    # The events the commands write, each with the import's reason and time.
    events = [e for e in cli.json("log") if e["change"] == report["change"]]
    assert [(e["type"], e["deal_id"], e["reason"]) for e in events] == [
        ("lost", 4, "Went with a rival"),
        ("won", 3, "import of weekly.csv, line 4"),
        ("move", 2, "import of weekly.csv, line 3"),
        ("edit", 1, "import of weekly.csv, line 2"),
    ]
    assert {e["command"] for e in events} == {"import"}
    assert all(e["at"] == e["recorded_at"] for e in events)

    # Imported again, the file says nothing new of them.
    assert "updated" not in cli.json("import", week2, "--update")

    assert cli("undo").exit_code == 0
    assert _state(cli) == before


def test_without_update_the_deals_stay_and_the_summary_suggests_it(
    cli: Any, tmp_path: Path
) -> None:
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    before = _state(cli)
    report = cli.json("import", week2)
    assert "updated" not in report
    assert [d["deal"] for d in report["differing"]] == [1, 2, 3, 4]
    assert report["change"] is None
    assert _state(cli) == before
    printed = cli("import", week2).stdout
    assert "change those with edit, move, won, lost or reopen, or import again with --update" in (
        " ".join(printed.split())
    )


def test_a_dry_run_says_what_would_change_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    before = _state(cli)
    log = cli.json("log")
    report = cli.json("import", week2, "--update", "--dry-run")
    assert [u["deal"] for u in report["updated"]] == [1, 2, 3, 4]
    assert (report["events"], report["change"]) == (4, None)
    printed = " ".join(cli("import", week2, "--update", "-n").stdout.split())
    assert (
        "Would update 4 deals here as their rows say (line 2 (deal 1): value; line 3 (deal 2): "
        "stage; line 4 (deal 3): status; line 5 (deal 4): status)."
    ) in printed
    assert _state(cli) == before
    assert cli.json("log") == log


def test_a_deal_closed_here_is_reopened_or_closed_otherwise_as_its_row_says(
    cli: Any, tmp_path: Path
) -> None:
    """Won here and open in the file: reopened into the row's stage; won here and lost in
    the file: reopened and lost, as `reopen` then `lost` would."""
    week1, _week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    assert cli("won", "1").exit_code == 0
    assert cli("won", "2").exit_code == 0
    sheet = written(
        tmp_path,
        "again.csv",
        HUBSPOT
        + _row(9001, "Website", "Decision maker bought-in", 45000)
        + _row(9002, "Helpdesk", "Closed lost", 120000),
    )
    report = cli.json("import", sheet, "--update")
    assert report["updated"] == [
        {"line": 2, "deal": 1, "fields": ["status", "stage"]},
        {"line": 3, "deal": 2, "fields": ["status"]},
    ]
    after = _state(cli)
    assert after["Website"][1:3] == ("decision-maker-bought-in", "open")
    assert after["Helpdesk"][2:] == ("lost", "import of again.csv, line 3")
    events = [e for e in cli.json("log") if e["change"] == report["change"]]
    assert [(e["type"], e["deal_id"]) for e in events] == [
        ("lost", 2),
        ("reopen", 2),
        ("reopen", 1),
    ]


def test_a_deal_deleted_here_stays_deleted_with_update(cli: Any, tmp_path: Path) -> None:
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    assert cli("delete", "1", "--yes").exit_code == 0
    report = cli.json("import", week2, "--update")
    assert [u["deal"] for u in report["updated"]] == [2, 3, 4]
    assert report["deleted_here"] == [{"line": 2, "deal": 1}]
    assert "Website" not in deals_by_title(cli)


def test_the_keys_of_an_update_are_on_the_import_page(cli: Any, tmp_path: Path) -> None:
    """docs/import.md's table of keys names what `--json` of an update holds."""
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    report = cli.json("import", week2, "--update", "--dry-run")
    page = (Path(__file__).parent.parent / "docs" / "import.md").read_text(encoding="utf-8")
    assert "| `updated` |" in page
    assert set(report["updated"][0]) == {"line", "deal", "fields"}
    assert '`{"line", "deal", "fields"}`' in page


def test_an_update_runs_no_hooks_as_an_import_runs_none(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/hooks-and-cron.md: an import runs no hooks (a bulk load would flood the
    channel); the deals --update changes are of the import's change, so neither."""
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    ran = tmp_path / "ran.log"
    hook = hooks / "on-change"
    hook.write_text(f'#!/bin/sh\necho "$SALESPIPE_EVENT" >> "{ran}"\n', encoding="utf-8")
    hook.chmod(0o755)
    monkeypatch.setenv("SALESPIPE_HOOKS", str(hooks))
    assert cli.json("import", week2, "--update")["updated"]
    assert not ran.exists()
    assert cli("reopen", "3").exit_code == 0  # a command's change runs it
    assert ran.read_text().split() == ["reopen"]


def test_a_row_mapped_into_a_switched_off_stage_is_named_as_differing(
    cli: Any, tmp_path: Path
) -> None:
    """A row whose stage --stage-map puts into a switched-off stage was neither moved nor
    named (a trial): the comparison read the map as the import does, which leaves out a
    stage switched off, so the row said no stage at all. The move is not made (`move`
    refuses it), and the row stays named, with --update and without."""
    week1, _week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    assert cli("stage", "disable", "negotiating").exit_code == 0
    sheet = written(
        tmp_path,
        "week3.csv",
        HUBSPOT
        + _row(9001, "Website", "Contract sent", 45000)
        + _row(9002, "Helpdesk", "Presentation scheduled", 130000),
    )
    mapped = ("--stage-map", "Contract sent=Negotiating")
    before = _state(cli)

    report = cli.json("import", sheet, "--update", *mapped)
    assert report["updated"] == [{"line": 3, "deal": 2, "fields": ["value"]}]
    assert report["differing"] == [{"line": 2, "deal": 1, "fields": ["stage"]}]
    assert _state(cli)["Website"] == before["Website"]
    printed = " ".join(cli("import", sheet, "--update", "-n", *mapped).stdout.split())
    assert "1 of them differs from its deal here now (line 2 (deal 1): stage)" in printed

    without = cli.json("import", sheet, *mapped)
    assert without["differing"] == [{"line": 2, "deal": 1, "fields": ["stage"]}]


def test_an_import_that_updated_deals_is_worded_as_what_it_did(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`undo --list` and `undo` called an import that added 1 deal and updated 4 "import
    of 5 deals" (a trial): its undo read as taking 5 deals away, 4 of which were here
    before it and stay. Each place an import is worded says how many it added and how
    many it updated, in either language; `log` says it of the undo too."""
    monkeypatch.setenv("COLUMNS", "200")  # (each sentence on one line of its table)
    week1, week2 = _weeks(tmp_path)
    cli.json("import", week1, "--create-stages")
    sheet = written(
        tmp_path,
        "week2.csv",
        Path(week2).read_text(encoding="utf-8") + _row(9007, "Backup", "Closed won", 8000),
    )
    change = cli.json("import", sheet, "--update")["change"]
    worded = "import of 1 new deal and 4 updates"
    [listed] = [c for c in cli.json("undo", "--list") if c["change"] == change]
    assert listed["description"] == worded
    assert worded in " ".join(cli("undo", "--list").stdout.split())
    thai = "การนำเข้าดีลใหม่ 1 ดีล และอัปเดต 4 ดีล"
    assert thai in " ".join(cli("--lang", "th", "undo", "--list").stdout.split())

    undone = cli.json("undo")
    assert undone["undid"]["description"] == worded
    [event] = cli.json("log", "--limit", "1")
    assert event["after"]["new_deal_count"] == 1
    said = f"undo of {worded} (change {change})"
    assert said in " ".join(cli("log", "--limit", "1").stdout.split())
    assert thai in " ".join(cli("--lang", "th", "log", "--limit", "1").stdout.split())

    # Updates alone: how many, not "deals" it would take away.
    again = written(tmp_path, "week2b.csv", Path(week2).read_text(encoding="utf-8"))
    cli.json("import", again, "--update")
    assert cli.json("undo", "--list")[0]["description"] == "import of 4 updates"
    assert cli.json("undo")["undid"]["description"] == "import of 4 updates"


def test_the_undone_edits_of_a_deal_taken_away_keep_its_currency_in_the_log(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`log` showed an undone edit of a deal an undone import had taken away as
    "edited: value 1,200,000.00 → 1,100,000.00 (undone)" (a trial), where it had shown the
    deal's currency: the currency was read from the deal, which is no longer here; it is
    the one the deal's events left it in, its add listed or not."""
    monkeypatch.setenv("COLUMNS", "200")
    sheet = written(tmp_path, "deals.csv", "title,value,currency\nServers,1200000,USD\n")
    cli.json("import", sheet)
    assert cli("edit", "1", "--value", "1.1m").exit_code == 0
    edited = "edited: value USD 1,200,000.00 → USD 1,100,000.00"
    assert edited in cli("log", "--limit", "1").stdout
    assert cli("undo").exit_code == 0
    assert cli("undo").exit_code == 0
    assert f"{edited} (undone)" in cli("log").stdout
    assert f"{edited} (undone)" in cli("log", "--limit", "3").stdout  # (not its add)
