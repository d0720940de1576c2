"""A second person's backup imported into a pipeline with deals keeps each deal's history
(docs/team.md, "Bringing in several people's files"): its moves with their reasons,
notes, next actions, edits and outcomes, at their times and by their authors, under the
deal's number here, in the import's one change; the stages its history names placed as
the import places stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("each_backend")

# The first person's pipeline: a few deals with moves.
FIRST = [
    ("add", "Solar roof", "-c", "Siam Solar", "-v", "400k", "--at", "2026-09-01 09:00"),
    ("move", "1", "considering", "-r", "site visit done", "--at", "2026-09-08 09:00"),
    ("move", "1", "quoted", "--at", "2026-09-20 09:00"),
    ("add", "Fleet GPS", "-v", "90k", "--at", "2026-09-03 10:00"),
    ("lost", "2", "-r", "budget cut", "--at", "2026-10-01 10:00"),
]

# The second person's: moves with reasons (Thai too), a note, a next action, an edit, a
# win and a loss with reasons, a change undone and a deal deleted.
SECOND = [
    ("add", "ERP ให้สยามฟู้ดส์", "-c", "Siam Foods", "-v", "1.5m", "--at", "2026-08-01 09:00"),
    ("move", "1", "considering", "-r", "ลูกค้าขอข้อมูลเพิ่ม", "--at", "2026-08-10 09:00"),
    ("note", "1", "called the buyer", "--at", "2026-08-12 09:00"),
    ("move", "1", "quoted", "-r", "quote sent, 5% discount", "--at", "2026-08-25 09:00"),
    ("won", "1", "-r", "PO #4411 received", "--at", "2026-09-15 09:00"),
    ("edit", "1", "--value", "1.4m"),
    ("add", "Cold store", "-v", "300k", "--at", "2026-08-05 09:00"),
    ("move", "2", "negotiating", "--at", "2026-08-20 09:00"),
    ("next", "2", "send the drawings", "--due", "2026-12-01"),
    ("add", "Forklifts", "-v", "50k", "--at", "2026-08-07 09:00"),
    ("move", "3", "quoted", "--at", "2026-08-21 09:00"),
    ("lost", "3", "-r", "went with a rival", "--at", "2026-10-02 09:00"),
    ("add", "Dropped idea", "--at", "2026-08-08 09:00"),
    ("delete", "4", "--yes"),
    ("move", "2", "approved"),
]
IDS = ("id", "deal_id", "seq", "change", "source")


def _make(cli, db: str, steps: list[tuple[str, ...]]) -> None:
    for step in steps:
        result = cli("--db", db, *step)
        assert result.exit_code == 0, result.stderr
        if step[0] == "move" and step[2] == "approved":
            assert cli("--db", db, "undo").exit_code == 0  # not history: left out


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in IDS}
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    return value


def _shown(cli, *db: str, deal: int) -> dict[str, Any]:
    shown = cli.json(*db, "show", str(deal))
    shown["events"] = [e for e in shown["events"] if not e["undone"]]
    return _without_ids(shown)


def _log(cli, *db: str, deals: set[int]) -> list[Any]:
    events = cli.json(*db, "log", "--limit", "0")
    return [_without_ids(e) for e in events if e["deal_id"] in deals and not e["undone"]]


def _second_backup(cli, tmp_path: Path) -> tuple[str, Path]:
    second = str(tmp_path / "ploy.json")
    _make(cli, second, SECOND)
    backup = tmp_path / "ploy-backup.json"
    assert cli("--db", second, "export", "--format", "json", "-o", str(backup)).exit_code == 0
    return second, backup


def test_a_second_file_comes_into_a_pipeline_with_deals_with_its_history(
    cli, tmp_path: Path, target: str
) -> None:
    first = str(tmp_path / "somchai.json")
    _make(cli, first, FIRST)
    assert cli("copy", first, target).exit_code == 0
    before = {d: _shown(cli, deal=d) for d in (1, 2)}
    second, backup = _second_backup(cli, tmp_path)

    report = cli.json("import", str(backup))
    titles = {d["title"]: d["id"] for d in cli.json("list", "--status", "all")}
    new = {d["id"]: titles[d["title"]] for d in cli.json("--db", second, "list", "--status", "all")}
    assert set(new.values()) == {3, 4, 5}  # new numbers here
    shown = cli("import", str(backup), "-n").stdout
    assert "nothing new" in shown  # found again as the same deals: duplicates as ever

    # Each merged deal reads as it did in its own file, but for its numbers.
    for theirs, ours in new.items():
        assert _shown(cli, deal=ours) == _shown(cli, "--db", second, deal=theirs)
    assert _log(cli, deals=set(new.values())) == _log(cli, "--db", second, deals=set(new))
    assert {d: _shown(cli, deal=d) for d in (1, 2)} == before  # the deals here untouched
    assert (report["imported"], report.get("with_history")) == (3, 3)
    assert "without_history" not in report
    won = cli.json("show", str(new[1]))["events"]
    assert [(e["type"], e["reason"]) for e in won if e["reason"]] == [
        ("move", "ลูกค้าขอข้อมูลเพิ่ม"),
        ("move", "quote sent, 5% discount"),
        ("won", "PO #4411 received"),
    ]

    # The history reports read what one pipeline of both people's events would give.
    both = str(tmp_path / "both.json")
    _make(cli, both, FIRST)
    # (a deal the second file deleted is not one of its deals: it does not come)
    kept = [step for step in SECOND if "Dropped idea" not in step and step[0] != "delete"]
    _make(cli, both, [_renumbered(step, 2) for step in kept])
    for report_name in ("durations", "funnel"):
        assert cli.json(report_name) == cli.json("--db", both, report_name)
    for report_name in ("durations", "funnel"):  # and as of a day in the middle
        past = (report_name, "--as-of", "2026-08-30")
        assert cli.json(*past) == cli.json("--db", both, *past)

    # undo takes the whole import back, history and all.
    assert cli("undo").exit_code == 0
    assert sorted(d["id"] for d in cli.json("list", "--status", "all")) == [1, 2]
    assert _log(cli, deals=set(new.values())) == []
    assert cli.json("durations") == cli.json("--db", first, "durations")


def _renumbered(step: tuple[str, ...], by: int) -> tuple[str, ...]:
    """A step of the second file in a pipeline where its deals come after ``by`` others."""
    if step[0] == "add" or not step[1].isdigit():
        return step
    return (step[0], str(int(step[1]) + by), *step[2:])


def test_a_stage_of_the_history_alone_is_mapped_as_the_import_maps_stages(
    cli, tmp_path: Path
) -> None:
    """A stage the second file's deals went through, and no deal is in now, that this
    pipeline lacks: refused as a deal's own stage would be, and --stage-map puts the
    events of it into the mapped stage."""
    cli("add", "Here first", "-q")
    second = str(tmp_path / "ploy.json")
    steps = [
        ("stage", "add", "Site survey", "--after", "considering", "--prob", "30"),
        ("add", "Cold store", "-v", "300k", "--at", "2026-08-05 09:00"),
        ("move", "1", "Site survey", "-r", "surveyor booked", "--at", "2026-08-10 09:00"),
        ("move", "1", "quoted", "--at", "2026-08-20 09:00"),
    ]
    _make(cli, second, steps)
    backup = tmp_path / "ploy-backup.json"
    cli("--db", second, "export", "--format", "json", "-o", str(backup))

    refused = cli("import", str(backup))
    assert refused.exit_code == 1
    assert '"Site survey" (1 deal)' in refused.stderr
    assert cli.json("list", "--status", "all")[0]["title"] == "Here first"

    report = cli.json("import", str(backup), "-m", "Site survey=considering")
    moves = [e for e in cli.json("show", "2")["events"] if e["type"] == "move"]
    assert [(e["after"]["stage"], e["reason"]) for e in moves] == [
        ("considering", "surveyor booked"),
        ("quoted", None),
    ]
    assert report.get("with_history") == 1
    assert "unused_stage_maps" not in report
    stays = {s["key"]: s["stays"] for s in cli.json("durations")["stages"]}
    assert (stays["considering"], stays["quoted"]) == (1, 1)
    assert "site-survey" not in {s["key"] for s in cli.json("stage", "list")}


def test_a_stage_of_the_history_alone_is_created_with_create_stages(cli, tmp_path: Path) -> None:
    cli("add", "Here first", "-q")
    second = str(tmp_path / "ploy.json")
    steps = [
        ("stage", "add", "Site survey", "--after", "considering", "--prob", "30"),
        ("add", "Cold store", "-v", "300k", "--at", "2026-08-05 09:00"),
        ("move", "1", "Site survey", "--at", "2026-08-10 09:00"),
        ("move", "1", "quoted", "--at", "2026-08-20 09:00"),
    ]
    _make(cli, second, steps)
    backup = tmp_path / "ploy-backup.json"
    cli("--db", second, "export", "--format", "json", "-o", str(backup))
    report = cli.json("import", str(backup), "--create-stages")
    assert _shown(cli, deal=2) == _shown(cli, "--db", second, deal=1)
    assert (report["new_stages"], report.get("with_history")) == (["Site survey"], 1)


def test_a_deal_whose_stage_is_mapped_to_an_outcome_comes_without_its_history_and_is_named(
    cli, tmp_path: Path
) -> None:
    cli("add", "Here first", "-q")
    second = str(tmp_path / "ploy.json")
    steps = [
        ("stage", "add", "Signed", "--prob", "95"),
        ("add", "Cold store", "-v", "300k", "--at", "2026-08-05 09:00"),
        ("move", "1", "Signed", "--at", "2026-08-10 09:00"),
        ("add", "Forklifts", "--at", "2026-08-06 09:00"),
        ("move", "2", "quoted", "-r", "sent", "--at", "2026-08-11 09:00"),
    ]
    _make(cli, second, steps)
    backup = tmp_path / "ploy-backup.json"
    cli("--db", second, "export", "--format", "json", "-o", str(backup))
    result = cli("import", str(backup), "-m", "Signed=won")
    assert result.exit_code == 0, result.stderr
    assert "1 with its history" in result.stdout
    assert "1 deal of the backup came without its history (its deal 1)" in result.stderr
    report = cli.json("import", str(backup), "-m", "Signed=won", "-n")
    assert report["duplicates"] == 2
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["Cold store"]["status"] == "won"
    moves = cli.json("show", str(deals["Forklifts"]["id"]))["events"]
    assert [e["reason"] for e in moves if e["type"] == "move"] == ["sent"]


def test_two_backups_with_the_same_ids_each_imported_again_add_nothing(
    cli, tmp_path: Path, target: str
) -> None:
    """Two people's backups both number their deals from 1: merged one after the other,
    the merged deals of both carry the keys ``salespipe:1``, ``salespipe:2``. Each
    backup imported again is found as its own deals (id, title and creation), not
    only the backup whose deal came last under a key (a trial added a deal again)."""
    _make(cli, target, FIRST)
    _, ploy = _second_backup(cli, tmp_path)
    nok_db = str(tmp_path / "nok.json")
    nok_steps = [
        ("add", "Office licences", "-v", "300k", "--at", "2026-09-20 09:00"),
        ("add", "IP phones", "-v", "1.2m", "--at", "2026-09-25 10:00"),
        ("lost", "2", "-r", "postponed", "--at", "2026-11-15 10:00"),
        ("reopen", "2", "-r", "back again", "--at", "2026-11-25 10:00"),
        ("won", "1", "-r", "PO", "--at", "2026-11-01 10:00"),
    ]
    _make(cli, nok_db, nok_steps)
    nok = tmp_path / "nok-backup.json"
    assert cli("--db", nok_db, "export", "--format", "json", "-o", str(nok)).exit_code == 0
    assert cli.json("import", str(ploy))["imported"] == 3
    assert cli.json("import", str(nok))["imported"] == 2
    count = len(cli.json("list", "--status", "all"))

    for backup, deals in ((nok, 2), (ploy, 3)):
        report = cli.json("import", str(backup))
        assert (report["imported"], report["duplicates"]) == (0, deals)
        assert "renumbered" not in report or not report["renumbered"]
    assert len(cli.json("list", "--status", "all")) == count


def test_a_stage_a_backup_creates_goes_before_the_first_stage_of_a_higher_probability(
    cli, tmp_path: Path
) -> None:
    """docs/import.md: a created stage goes just before the first stage of a higher
    probability. A backup's own stage (35%, after Considering there) went after the
    last stage here, Approved (90%), and funnel counted the deals in it as past
    Negotiating and Approved (a trial)."""
    cli("add", "Here first", "-q")
    second = str(tmp_path / "ploy.json")
    steps = [
        ("stage", "add", "Site survey", "--after", "considering", "--prob", "35"),
        ("add", "Cold store", "-v", "300k", "--at", "2026-08-05 09:00"),
        ("move", "1", "Site survey", "--at", "2026-08-10 09:00"),
    ]
    _make(cli, second, steps)
    backup = tmp_path / "ploy-backup.json"
    cli("--db", second, "export", "--format", "json", "-o", str(backup))
    assert cli("import", str(backup), "--create-stages").exit_code == 0
    keys = [s["key"] for s in cli.json("stage", "list")]
    assert keys == [s["key"] for s in cli.json("--db", second, "stage", "list")]
    assert keys.index("site-survey") == keys.index("considering") + 1
    funnel = {s["key"]: s for s in cli.json("funnel")["stages"]}
    ours = {s["key"]: s for s in cli.json("--db", second, "funnel")["stages"]}
    assert funnel["approved"] == ours["approved"]
