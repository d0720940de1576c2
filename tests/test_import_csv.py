"""Importing salespipe's own CSV, and what every import guarantees: one change for undo,
all-or-nothing, no duplicates, unknown stages stopped, history that replays."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from tests import replayed

from salespipe.app.pipeline import Pipeline
from salespipe.core import clock

pytestmark = pytest.mark.usefixtures("each_backend")

FIXTURES = Path(__file__).parent / "fixtures"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _build_history(cli) -> None:
    """A small pipeline with every field a deal can have, open and closed."""
    assert (
        cli(
            "add",
            "ERP ให้สยามฟู้ดส์",
            "-c",
            "Siam Foods",
            "-p",
            "คุณสมชาย",
            "-v",
            "1.5m",
            "--tag",
            "vip",
            "--tag",
            "erp, phase 1",
            "--close",
            "2026-12-31",
            "--prob",
            "35",
            "--at",
            "2026-10-01 09:00",
        ).exit_code
        == 0
    )
    assert (
        cli("move", "1", "quoted", "-r", "sent the quote", "--at", "2026-10-05 10:00").exit_code
        == 0
    )
    assert cli("next", "1", "call back", "--due", "2026-12-02").exit_code == 0
    assert (
        cli(
            "quote",
            "1",
            "--amount",
            "1,450,000",
            "--valid-until",
            "2026-12-15",
            "--note",
            "incl. training",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "add", "Cold room", "-v", "480000", "--currency", "USD", "--at", "2026-09-01 08:00"
        ).exit_code
        == 0
    )
    assert cli("won", "2", "--at", "2026-11-01 16:00").exit_code == 0
    assert cli("add", "Printers", "-v", "90000", "--at", "2026-09-10 08:00").exit_code == 0
    assert (
        cli(
            "lost",
            "3",
            "-r",
            'chose the "cheap" offer\nwill retry in 2027',
            "--at",
            "2026-10-20 12:00",
        ).exit_code
        == 0
    )
    assert cli("stage", "add", "Site visit", "--after", "presented").exit_code == 0
    assert (
        cli("add", "Solar roof", "--stage", "Site visit", "--at", "2026-11-20 09:00").exit_code == 0
    )


def test_csv_round_trip_is_identical(cli, tmp_path: Path) -> None:
    """export CSV → import into an empty database → export CSV gives the same bytes."""
    _build_history(cli)
    first = tmp_path / "first.csv"
    assert cli("export", "-o", str(first)).exit_code == 0
    other = str(tmp_path / "other" / "pipeline.json")
    result = cli("--db", other, "import", str(first), "--create-stages")
    assert result.exit_code == 0, result.stderr
    second = tmp_path / "second.csv"
    assert cli("--db", other, "export", "-o", str(second)).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    stages = cli.json("--db", other, "stage", "list")
    assert [s["key"] for s in stages][-1] == "site-visit"
    assert stages[-1]["name"] == "Site visit"


def test_import_is_one_change_that_undo_takes_back(cli, tmp_path: Path) -> None:
    """An import of several open deals is one undo step."""
    cli("add", "Already here", "-q")
    csv = _write(
        tmp_path, "d.csv", "title,value,stage\nA,100,Presented\nB,200,Quoted\nC,300,considering\n"
    )
    assert cli("import", str(csv)).exit_code == 0
    assert len(cli.json("list")) == 4
    undo = cli("undo")
    assert undo.exit_code == 0
    assert "Undid: import of" in undo.stdout
    assert [d["title"] for d in cli.json("list", "--status", "all")] == ["Already here"]


def test_undo_of_import_removes_closed_deals_too(cli) -> None:
    """Undo of an import removes the imported won and lost deals as well."""
    assert cli("import", str(FIXTURES / "pipedrive-deals.csv"), "--create-stages").exit_code == 0
    assert cli("undo").exit_code == 0
    assert cli.json("list", "--status", "all") == []


def test_imported_history_replays_to_the_deals(cli, db_path: Path) -> None:
    """add at creation, won/lost at closing: replaying the events rebuilds every record."""
    assert cli("import", str(FIXTURES / "pipedrive-deals.csv"), "--create-stages").exit_code == 0
    snapshot = Pipeline.open(db_path).read()
    events = snapshot.events()
    rebuilt = replayed.deal_records_as_of(events, clock.now())
    for deal in snapshot.all_deals():
        assert rebuilt[deal.id] == deal.to_record()
    won = next(d for d in snapshot.all_deals() if d.status == "won")
    kinds = [(e.type, e.at.isoformat()) for e in events if e.deal_id == won.id]
    assert kinds == [("add", "2026-06-10T08:00:00+07:00"), ("won", "2026-08-20T16:30:00+07:00")]
    assert won.stays[-1].left == won.closed_at
    assert len({e.change for e in events}) == 1


def test_events_record_the_command_and_who(cli, db_path: Path) -> None:
    """Every imported event says it came from import, by the configured owner."""
    cli("import", str(FIXTURES / "spreadsheet-values.csv"))
    events = Pipeline.open(db_path).read().events()
    assert {(e.command, e.who) for e in events} == {("import", "tester")}


def test_reimport_skips_deals_already_imported(cli, snapshot_files) -> None:
    """Importing the same file twice adds nothing the second time and writes nothing."""
    path = str(FIXTURES / "pipedrive-deals.csv")
    assert cli("import", path, "--create-stages").exit_code == 0
    before = snapshot_files()
    again = cli.json("import", path, "--create-stages")
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert snapshot_files() == before


def test_reimport_of_a_file_without_ids_skips_duplicates(cli) -> None:
    """Rows without an id are recognised again by their title, customer and creation."""
    path = str(FIXTURES / "spreadsheet-values.csv")
    assert cli.json("import", path)["imported"] == 3
    assert cli.json("import", path)["duplicates"] == 3
    assert len(cli.json("list")) == 3


def test_one_bad_row_refuses_the_whole_file(cli, snapshot_files) -> None:
    """All or nothing: every bad row is named by line, column and reason; nothing is written."""
    cli("add", "Keep me", "-q")
    before = snapshot_files()
    result = cli("import", str(FIXTURES / "bad-rows.csv"))
    assert result.exit_code == 1
    assert "4 rows of bad-rows.csv cannot be imported, so nothing was imported" in result.stderr
    assert 'line 3, column value "lots": not an amount' in result.stderr
    assert 'line 4, column expected_close "2026-02-30": not a real date' in result.stderr
    assert "line 5, column title: the title is empty" in result.stderr
    assert 'line 6, column value "-50": the amount is negative' in result.stderr
    assert "--skip-invalid to import the other 2" in result.stderr
    assert snapshot_files() == before


def test_the_refusal_says_what_skip_invalid_would_import_of_a_file_imported_before(
    cli, tmp_path
) -> None:
    """Imported again with one new row and one bad row, the refusal offered "to import
    the other 1" of four valid rows (three imported before, skipped again): it says the
    new deals and the rows they come from, and --skip-invalid does that. Where every
    other row is a new deal it still says "the other N"."""
    before = "title,customer,value\nA,Acme,1\nB,Beta,2\nC,Gamma,3\n"
    first, again = tmp_path / "first.csv", tmp_path / "again.csv"
    first.write_text(before, encoding="utf-8")
    again.write_text(before + "D,Delta,4\nE,Eps,lots\n", encoding="utf-8")
    assert cli.json("import", str(first))["imported"] == 3
    refused = cli("import", str(again))
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert "add --skip-invalid to import 1 new deal from the other 4 rows:" in said
    thai = " ".join(cli("--lang", "th", "import", str(again)).stderr.split())
    assert "--skip-invalid เพื่อนำเข้าดีลใหม่ 1 ดีลจาก 4 แถวที่เหลือ:" in thai
    skipped = cli.json("import", str(again), "--skip-invalid")
    assert (skipped["imported"], skipped["duplicates"], skipped["skipped"]) == (1, 3, 1)


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(cli) -> None:
    """--skip-invalid writes the 2 good rows and lists the 4 skipped ones."""
    result = cli("import", str(FIXTURES / "bad-rows.csv"), "--skip-invalid")
    assert result.exit_code == 0
    assert "imported 2 deals" in result.stdout
    assert result.stderr.count("Warning: skipped line") == 4
    assert sorted(d["title"] for d in cli.json("list")) == ["Good one", "Good two"]


def test_skip_invalid_json_report_lists_problems(cli) -> None:
    """The JSON report gives each skipped row's line, column, value and reason."""
    report = cli.json("import", str(FIXTURES / "bad-rows.csv"), "--skip-invalid")
    assert report["skipped"] == 4
    assert report["problems"][0] == {
        "line": 3,
        "column": "value",
        "value": "lots",
        "reason": "not an amount; if it stands for no amount, add --null lots",
    }


def test_dry_run_reports_and_writes_nothing(cli, db_path: Path) -> None:
    """--dry-run says what would be imported and creates no file at all."""
    result = cli("import", str(FIXTURES / "pipedrive-deals.csv"), "--create-stages", "--dry-run")
    assert result.exit_code == 0
    assert "would import 4 deals (2 open, 1 won, 1 lost)" in result.stdout
    assert 'would create pipelines "Renewals"' in result.stdout
    assert 'would create stages "Contact Made", "Proposal Made"' in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert not db_path.parent.exists()


def test_dry_run_refuses_like_the_real_run(cli, db_path: Path) -> None:
    """A dry run of a file with bad rows exits 1 with the same report."""
    result = cli("import", str(FIXTURES / "bad-rows.csv"), "--dry-run")
    assert result.exit_code == 1
    assert "line 3, column value" in result.stderr
    assert not db_path.exists()


def test_unknown_stages_stop_the_import_with_a_ready_to_paste_map(cli, snapshot_files) -> None:
    """Unknown stage names are listed with counts; the suggested --stage-map line works."""
    cli("init")
    before = snapshot_files()
    path = str(FIXTURES / "pipedrive-deals.csv")
    result = cli("import", path, "--pipeline-map", "Renewals=sales")
    assert result.exit_code == 1
    assert '"Proposal Made" (1 deal)' in result.stderr
    assert "nothing was imported" in result.stderr
    assert snapshot_files() == before
    suggestion = result.stderr.strip().splitlines()[-1]
    assert suggestion.strip().startswith("--stage-map")
    pasted = cli("import", path, "--pipeline-map", "Renewals=sales", *shlex.split(suggestion))
    assert pasted.exit_code == 0, pasted.stderr
    assert len(cli.json("list", "--status", "all")) == 4


def test_the_suggested_map_closes_a_deal_only_where_the_label_plainly_says_so(
    cli, tmp_path: Path
) -> None:
    """The suggestion sent "Not won", "Won't proceed", "Winback campaign" and "Won back"
    to won (a word search found "won" and "win" in them): pasted, they counted as wins."""
    labels = ["Not won", "Won't proceed", "Winback campaign", "Won back (reactivation)"]
    rows = "".join(f'"Deal {n}","{label}"\n' for n, label in enumerate(labels))
    sheet = _write(tmp_path, "labels.csv", "title,stage\n" + rows + 'Z,"Contract signed"\n')
    refused = cli("import", str(sheet))
    assert refused.exit_code == 1
    pasted = shlex.split(refused.stderr.strip().splitlines()[-1])
    suggested = dict(mapping.rsplit("=", 1) for mapping in pasted[1::2])
    assert [suggested[label] for label in labels] == ["Presented"] * len(labels)  # (by name)
    assert suggested["Contract signed"] == "won"


def test_stage_map_targets_stages_and_outcomes(cli) -> None:
    """--stage-map puts a label in a stage (by name, key or number) or closes as won/lost."""
    report = cli.json(
        "import",
        str(FIXTURES / "hubspot-deals.csv"),
        "--stage-map",
        "Presentation scheduled=2",
        "--stage-map",
        "Closed: abandoned=lost",
    )
    assert report["by_status"] == {"open": 2, "won": 1, "lost": 2}
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["Website redesign – phase 2"]["stage"] == "considering"
    assert deals["Training day"]["status"] == "lost"
    assert deals["Training day"]["lost_reason"] == "No answer"


def test_stage_map_to_an_unknown_stage_is_refused(cli) -> None:
    """A --stage-map target that is not a stage names the candidates."""
    result = cli("import", str(FIXTURES / "hubspot-deals.csv"), "--stage-map", "X=nowhere")
    assert result.exit_code == 1
    assert '--stage-map "X=nowhere": There is no stage "nowhere"' in result.stderr


def test_create_stages_places_them_by_the_files_probability(cli) -> None:
    """--create-stages puts a new stage among the others by the probability the file
    gives it: Prospecting (10) after Presented (10), before Considering (25)."""
    cli("import", str(FIXTURES / "salesforce-report.csv"), "--create-stages")
    names = [s["name"] for s in cli.json("stage", "list")]
    assert names == ["Presented", "Prospecting", "Considering", "Quoted", "Negotiating", "Approved"]
    prospecting = cli.json("stage", "list")[1]
    assert prospecting["probability"] == 10


def test_our_ids_are_kept_in_an_empty_database(cli, tmp_path: Path) -> None:
    """Rows of our CSV keep their deal ids where those ids were never used."""
    csv = _write(tmp_path, "d.csv", "id,title,stage\n7,Seven,presented\n3,Three,quoted\n")
    cli("import", str(csv))
    assert [(d["id"], d["title"]) for d in cli.json("list")] == [(7, "Seven"), (3, "Three")]
    assert cli("add", "Next", "-q").stdout.strip() == "8"


def test_reimport_of_our_csv_with_ids_does_not_duplicate(cli, tmp_path: Path) -> None:
    """Rows with kept ids are recognised by id and title the second time."""
    csv = _write(tmp_path, "d.csv", "id,title,stage\n7,Seven,presented\n")
    cli("import", str(csv))
    assert cli.json("import", str(csv))["duplicates"] == 1
    assert len(cli.json("list")) == 1


def test_our_ids_already_used_get_new_ids_and_remember_the_old(cli, tmp_path: Path) -> None:
    """An id taken by another deal gets a new id; the row stays recognised on re-import."""
    cli("add", "Mine", "-q")
    csv = _write(tmp_path, "d.csv", "id,title,stage\n1,Theirs,presented\n")
    cli("import", str(csv))
    deals = cli.json("list")
    assert [(d["id"], d["title"], d["source"]) for d in deals] == [
        (1, "Mine", None),
        (2, "Theirs", "salespipe:1"),
    ]
    assert cli.json("import", str(csv))["duplicates"] == 1


def test_a_header_nobody_knows_is_refused_with_the_fix(cli, tmp_path: Path) -> None:
    """A CSV without a known header says which formats are read and how to map columns."""
    csv = _write(tmp_path, "x.csv", "Opportunity,Money\nA,1\n")
    result = cli("import", str(csv))
    assert result.exit_code == 1
    assert "not one salespipe knows" in result.stderr
    assert "--column title=HEADER" in result.stderr


def test_a_title_line_above_the_header_is_not_taken_for_it(cli, tmp_path: Path) -> None:
    """A board export's title line ("Deals") was taken for the header, and the advice
    (--column title=Name) then said the file had no column Name: a circle. The header
    under the titles is read as the header; past three titles the first line is still
    refused, saying what to do."""
    board = _write(
        tmp_path, "board.csv", "Deals\n\nActive deals\nName,Owner,Deal Value\nA,bob,100\n"
    )
    refused = cli("import", str(board))  # its header is none salespipe knows
    assert refused.exit_code == 1
    assert 'first line has a single cell ("Deals")' in refused.stderr
    read = cli.json("import", str(board), "--column", "title=Name")
    assert (read["imported"], read["left_out"]) == (1, {"title": [1, 3]})
    assert [d["owner"] for d in cli.json("list")] == ["bob"]
    titles = "Deals\nQ1\nActive deals\nHot\nName,Owner\nA,bob\n"
    many = cli("import", str(_write(tmp_path, "many.csv", titles)))
    assert many.exit_code == 1
    assert 'first line has a single cell ("Deals")' in many.stderr
    assert "name the header's columns with --column" in many.stderr


def test_column_option_reads_a_field_from_any_header(cli, tmp_path: Path) -> None:
    """--column FIELD=HEADER names the columns of an unknown file."""
    csv = _write(tmp_path, "x.csv", 'Opportunity,Money,Phase\nPumps,"2,500",Quoted\n')
    result = cli(
        "import",
        str(csv),
        "--column",
        "title=Opportunity",
        "--column",
        "value=Money",
        "--column",
        "stage=Phase",
    )
    assert result.exit_code == 0, result.stderr
    deal = cli.json("list")[0]
    assert (deal["title"], deal["value"], deal["stage"]) == ("Pumps", 2500, "quoted")


def test_a_thai_sheet_is_read_by_its_thai_headers(cli, tmp_path: Path) -> None:
    """A Thai sheet's headers name the fields without --column; its stage names are the
    default stages' Thai names, which an English pipeline answers to; its "close date" is
    an open deal's expected close and a won deal's close; a column no field reads is named."""
    csv = _write(
        tmp_path,
        "ดีล.csv",
        "ชื่อดีล,ลูกค้า,มูลค่า,ขั้นตอน,สถานะ,ผู้รับผิดชอบ,วันปิดการขาย,หมายเหตุ,เบอร์โทร\n"
        'ระบบ ERP,บริษัท ก,"฿1,250,000",เสนอราคา,เปิดอยู่,สมชาย,31/01/2570,ด่วน,0812345678\n'
        'เครื่องพิมพ์,บริษัท ข,"250,000 บาท",อนุมัติซื้อ,ปิดได้,สมหญิง,15 ต.ค. 2569,,\n',
    )
    result = cli("import", str(csv))
    assert result.exit_code == 0, result.stderr
    assert 'Not read: the column "เบอร์โทร"' in result.stdout
    fields = ("title", "customer", "value", "stage", "status", "owner", "expected_close")
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert [tuple(deals[t][f] for f in fields) for t in ("ระบบ ERP", "เครื่องพิมพ์")] == [
        ("ระบบ ERP", "บริษัท ก", 1250000, "quoted", "open", "สมชาย", "2027-01-31"),
        ("เครื่องพิมพ์", "บริษัท ข", 250000, "approved", "won", "สมหญิง", "2026-10-15"),
    ]
    assert deals["เครื่องพิมพ์"]["closed_at"].startswith("2026-10-15T23:59:59")
    assert "ด่วน" in cli("show", str(deals["ระบบ ERP"]["id"])).stdout


def test_rows_without_an_amount_or_a_stage_are_reported(cli, tmp_path: Path) -> None:
    """An empty amount became a value of 0 and an empty stage the first stage, and the
    import said neither: the average deal size fell by a third without a word."""
    sheet = _write(
        tmp_path,
        "gaps.csv",
        "title,value,stage,status\nA,,Quoted,open\nB,100,,open\nC,,,won\nD,5,Quoted,open\n",
    )
    filled = cli.json("import", str(sheet), "--dry-run")["filled"]
    assert (filled["value"], filled["stage"]) == ({"count": 2}, {"count": 2})
    result = cli("import", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert "2 deals without an amount: a value of 0." in result.stdout
    assert "2 deals without a stage: in the pipeline's first stage" in result.stdout
    stages = {d["title"]: d["stage"] for d in cli.json("list", "--status", "all")}
    assert (stages["B"], stages["C"]) == ("presented", "approved")


def test_a_closed_deals_unknown_stay_counts_no_days_in_a_stage(cli, tmp_path: Path) -> None:
    """A closed deal whose file gives no stage it closed in (Salesforce's "Closed Won") or
    no time it entered it was given a stay from its creation to its close: on a real
    Salesforce export `report` named a bottleneck of 1,400 days that no deal spent there.
    Such a deal now has no stay; a stay the file gives still counts, and an open deal in
    its stage since creation for want of that time is reported."""
    sheet = _write(
        tmp_path,
        "closed.csv",
        "title,stage,status,created_at,stage_entered_at,closed_at\n"
        "A,Closed Won,,2020-01-01T09:00:00+07:00,,2023-01-01T09:00:00+07:00\n"
        "B,Quoted,lost,2020-01-01T09:00:00+07:00,,2021-01-01T09:00:00+07:00\n"
        "C,Quoted,won,2020-01-01T09:00:00+07:00,2020-06-01T09:00:00+07:00,"
        "2020-07-01T09:00:00+07:00\n"
        "D,Quoted,open,2020-01-01T09:00:00+07:00,,\n",
    )
    filled = cli.json("import", str(sheet), "--dry-run")["filled"]
    assert (filled["stay"], filled["stage_entered_at"]) == ({"count": 2}, {"creation": 1})
    result = cli("import", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert (
        "2 deals closed without the stage they closed in or when they entered it: left out "
        "of the days in each stage." in result.stdout
    )
    assert "1 deal open without the time they entered their stage" in result.stdout
    stays = {s["key"]: s for s in cli.json("durations")["stages"]}
    assert stays["approved"]["stays"] == 0  # A: placed in the last stage, no days there
    assert (stays["quoted"]["stays"], stays["quoted"]["ongoing"]) == (2, 1)  # C's and D's
    finished = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert (finished["A"]["stage"], finished["A"]["status"]) == ("approved", "won")


def test_column_option_rejects_unknown_fields(cli, tmp_path: Path) -> None:
    """--column with a field salespipe does not have is an error naming the fields."""
    csv = _write(tmp_path, "x.csv", "title\nA\n")
    result = cli("import", str(csv), "--column", "colour=title")
    assert result.exit_code == 1
    assert '--column names the field "colour"' in result.stderr


def test_a_json_list_of_deals_imports(cli, tmp_path: Path) -> None:
    """The output of `list --status all --json` of one database imports into another."""
    _build_history(cli)
    listing = tmp_path / "deals.json"
    listing.write_text(cli("list", "--status", "all", "--json").stdout, encoding="utf-8")
    other = str(tmp_path / "other.json")
    report = cli.json("--db", other, "import", str(listing), "--create-stages")
    assert report["format"] == "salespipe JSON"
    assert report["by_status"] == {"open": 2, "won": 1, "lost": 1}
    first = cli.json("--db", other, "show", "1")
    assert first["probability"] == 35
    assert first["tags"] == ["vip", "erp, phase 1"]
    assert first["next_action"] == {"text": "call back", "due": "2026-12-02"}


def test_missing_file_is_a_clear_error(cli, tmp_path: Path) -> None:
    """A file that does not exist is named in one sentence, exit 1."""
    result = cli("import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert f"There is no file {tmp_path / 'nope.csv'}." in result.stderr


def test_json_error_object_for_refusals(cli) -> None:
    """With --json a refused import prints the error object on stdout."""
    result = cli("import", str(FIXTURES / "bad-rows.csv"), "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "invalid_rows"
    assert "line 3, column value" in error["message"]
    # each refused cell too, as --skip-invalid reports them: no sentence to take apart
    skipped = cli.json("import", str(FIXTURES / "bad-rows.csv"), "--skip-invalid", "--dry-run")
    assert error["problems"] == skipped["problems"]


def test_import_of_an_open_deal_into_a_disabled_stage_is_a_row_problem(cli, tmp_path) -> None:
    """An open row whose stage is switched off is reported, not silently placed."""
    cli("stage", "disable", "quoted")
    csv = _write(tmp_path, "d.csv", "title,stage\nA,quoted\nB,presented\n")
    result = cli("import", str(csv))
    assert result.exit_code == 1
    assert 'line 2, column stage "quoted": the stage "Quoted" is disabled' in result.stderr


def test_progress_bar_only_for_large_files_on_a_terminal(monkeypatch) -> None:
    """No bar below 3000 rows; on a terminal a Rich bar runs and is cleaned up."""
    from salespipe.cli import output, progress

    small = progress.ProgressBar()
    small(100, 100)
    assert small._progress is None
    monkeypatch.setattr(output, "for_terminal", lambda stream=None: True)
    large = progress.ProgressBar()
    large(1000, 5001)  # a file's lines, its header among them
    assert large._progress is not None
    large(4000, 5000)  # the total follows: it showed 50000/50001 at the end
    assert (large._progress.tasks[0].completed, large._progress.tasks[0].total) == (4000, 5000)
    large(5000, 5000)
    assert large._progress is None  # gone once complete, before the report is printed
    large.close()


def test_no_progress_output_when_stderr_is_not_a_terminal(cli, tmp_path: Path) -> None:
    """A large import from a script prints its summary only: no bar on stderr."""
    rows = "".join(f"Deal {i},{i * 10},presented\n" for i in range(3500))
    csv = _write(tmp_path, "big.csv", "title,value,stage\n" + rows)
    cli("init")
    result = cli("import", str(csv))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "imported 3500 deals" in result.stdout
