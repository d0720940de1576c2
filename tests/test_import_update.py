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


# A Thai sheet of one's own: day-first dates in Buddhist Era years.
THAI = "ชื่อดีล,ลูกค้า,มูลค่า,ขั้นตอน,สถานะ,วันปิดการขาย,วันที่สร้าง\n"


def _thai(status: str, close: str) -> str:
    return THAI + f"Servers,Acme,3300000,Quoted,{status},{close},15/1/2569\n"


def _fresh(cli: Any, tmp_path: Path, sheet: str) -> dict[str, Any]:
    """The deal a fresh import of ``sheet`` (into a data file of its own) makes."""
    fresh = str(tmp_path / "fresh.json")
    cli.json("--db", fresh, "import", sheet)
    [deal] = cli.json("--db", fresh, "list", "--status", "all")
    return dict(deal)


def _closing_events(cli: Any, change: int) -> list[tuple[str, str]]:
    """The update's events, oldest first, by type and time."""
    events = [e for e in cli.json("log") if e["change"] == change]
    return [(e["type"], e["at"]) for e in reversed(events)]


def test_a_win_update_makes_is_dated_at_its_rows_close_date_as_a_fresh_import_dates_it(
    cli: Any, tmp_path: Path
) -> None:
    """A Thai sheet's row changed to won with close date 1/2/2569 (2026-02-01) closed the
    deal at the time of the import (a trial): `winrate --by month` counted the win in
    the import's month, and the same file gave another history than a fresh import of
    it. The win is dated as the fresh import dates it; the edit of the close date that
    comes with it keeps the import's time, after the win, so the deal's events stay in
    time order."""
    cli.json("import", written(tmp_path, "week1.csv", _thai("เปิดอยู่", "28/2/2569")))
    week2 = written(tmp_path, "week2.csv", _thai("ปิดได้", "1/2/2569"))

    report = cli.json("import", week2, "--update")

    assert report["updated"] == [{"line": 2, "deal": 1, "fields": ["expected_close", "status"]}]
    assert "dated_at_import" not in report
    [deal] = cli.json("list", "--status", "all")
    assert (deal["status"], deal["closed_at"]) == ("won", "2026-02-01T23:59:59+07:00")
    assert deal["closed_at"] == _fresh(cli, tmp_path, week2)["closed_at"]
    assert _closing_events(cli, report["change"]) == [
        ("won", "2026-02-01T23:59:59+07:00"),
        ("edit", "2026-11-27T10:00:00+07:00"),
    ]
    [month] = cli.json("winrate", "--by", "month")["groups"]
    assert (month["group"], month["won"]) == ("2026-02", 1)
    before = cli.json("report", "--as-of", "2026-01-31")
    assert (before["open"]["count"], before["won"]["count"]) == (1, 0)
    on_the_day = cli.json("report", "--as-of", "2026-02-01")
    assert (on_the_day["open"]["count"], on_the_day["won"]["count"]) == (0, 1)

    assert cli("undo").exit_code == 0
    [deal] = cli.json("list", "--status", "all")
    assert (deal["status"], deal["closed_at"], deal["expected_close"]) == (
        "open",
        None,
        "2026-02-28",
    )


def test_a_close_date_before_the_deals_last_change_dates_the_win_at_the_import(
    cli: Any, tmp_path: Path
) -> None:
    """A win dated before the deal's last change here would put its events out of time
    order (`--at` refuses it so): it is dated at the import's time, and the summary says
    so, in `--json` too, a dry run as well."""
    cli.json("import", written(tmp_path, "week1.csv", _thai("เปิดอยู่", "28/2/2569")))
    assert cli("note", "1", "Called them", "--at", "2026-03-01 09:00").exit_code == 0
    week2 = written(tmp_path, "week2.csv", _thai("ปิดได้", "1/2/2569"))

    printed = " ".join(cli("import", week2, "--update", "-n").stdout.split())
    assert (
        "1 of them would close its deal at the time of the import, not at its row's close "
        "date, which comes before the deal's last change or is in the future (line 2: "
        "deal 1)."
    ) in printed
    report = cli.json("import", week2, "--update")

    assert report["dated_at_import"] == [{"line": 2, "deal": 1}]
    [deal] = cli.json("list", "--status", "all")
    assert (deal["status"], deal["closed_at"]) == ("won", "2026-11-27T10:00:00+07:00")
    assert _closing_events(cli, report["change"]) == [
        ("edit", "2026-11-27T10:00:00+07:00"),
        ("won", "2026-11-27T10:00:00+07:00"),
    ]


def test_a_close_date_in_the_future_dates_the_win_at_the_import(cli: Any, tmp_path: Path) -> None:
    """As a fresh import closes such a deal now ("closed at the time of the import")."""
    cli.json("import", written(tmp_path, "week1.csv", _thai("เปิดอยู่", "28/2/2569")))
    week2 = written(tmp_path, "week2.csv", _thai("ปิดได้", "15/12/2569"))
    report = cli.json("import", week2, "--update")
    assert report["dated_at_import"] == [{"line": 2, "deal": 1}]
    [deal] = cli.json("list", "--status", "all")
    assert (deal["status"], deal["closed_at"]) == ("won", "2026-11-27T10:00:00+07:00")
    assert deal["closed_at"] == _fresh(cli, tmp_path, week2)["closed_at"]
    printed = " ".join(cli("import", week2, "--update").stdout.split())
    assert "closed its deal at the time of the import" not in printed  # (nothing new now)


BITRIX = "ID,TITLE,STAGE_ID,OPPORTUNITY,CURRENCY_ID,CLOSEDATE,DATE_CREATE,DATE_MODIFY,CLOSED\n"


def test_a_row_without_a_close_date_closes_its_deal_as_a_fresh_import_would(
    cli: Any, tmp_path: Path
) -> None:
    """docs/import.md: a closed row without a close date closes at the latest date it
    gives that is not in the future (here its last-modified time), and at the time of
    the import only when it gives none; the latter is no row's date passed over."""
    week1 = written(
        tmp_path,
        "week1.csv",
        BITRIX
        + "101,Servers,EXECUTING,3300000,THB,,2026-01-05,2026-01-10,N\n"
        + "102,Racks,EXECUTING,500000,THB,,2026-01-05,2026-01-10,N\n",
    )
    cli.json("import", week1, "--create-stages")
    week2 = written(
        tmp_path,
        "week2.csv",
        BITRIX
        + "101,Servers,WON,3300000,THB,,2026-01-05,2026-03-10 14:30,Y\n"
        + "102,Racks,LOSE,500000,THB,,,,Y\n",
    )
    report = cli.json("import", week2, "--update")
    assert [u["fields"] for u in report["updated"]] == [["status"], ["status"]]
    assert "dated_at_import" not in report
    closed = {d["title"]: (d["status"], d["closed_at"]) for d in deals_by_title(cli).values()}
    assert closed == {
        "Servers": ("won", "2026-03-10T14:30:00+07:00"),
        "Racks": ("lost", "2026-11-27T10:00:00+07:00"),
    }
    fresh = str(tmp_path / "fresh.json")
    cli.json("--db", fresh, "import", week2, "--create-stages")
    made = {d["title"]: d["closed_at"] for d in cli.json("--db", fresh, "list", "--status", "all")}
    assert made == {title: at for title, (_status, at) in closed.items()}


def test_a_win_after_a_move_or_a_reopen_of_the_update_is_dated_at_the_import(
    cli: Any, tmp_path: Path
) -> None:
    """A move and a reopen keep the import's time, so the win or loss after them cannot
    be dated earlier (the deal's events stay in time order): it is at the import's time,
    and said so."""
    cli.json(
        "import",
        written(
            tmp_path,
            "week1.csv",
            THAI
            + "Servers,Acme,3300000,Quoted,เปิดอยู่,1/2/2569,15/1/2569\n"
            + "Racks,Acme,500000,Quoted,เปิดอยู่,1/2/2569,15/1/2569\n",
        ),
    )
    assert cli("won", "2", "--at", "2026-01-20 10:00").exit_code == 0
    week2 = written(
        tmp_path,
        "week2.csv",
        THAI
        + "Servers,Acme,3300000,Negotiating,ปิดได้,1/2/2569,15/1/2569\n"
        + "Racks,Acme,500000,Quoted,หลุด,1/2/2569,15/1/2569\n",
    )
    report = cli.json("import", week2, "--update")
    assert report["updated"] == [
        {"line": 2, "deal": 1, "fields": ["status", "stage"]},
        {"line": 3, "deal": 2, "fields": ["status"]},
    ]
    assert report["dated_at_import"] == [{"line": 2, "deal": 1}, {"line": 3, "deal": 2}]
    now = "2026-11-27T10:00:00+07:00"
    assert _closing_events(cli, report["change"]) == [
        ("move", now),
        ("won", now),
        ("reopen", now),
        ("lost", now),
    ]
