"""The escape hatches for files nobody recognises: date forms and --dates, --map,
--ignore, --column FIELD= and FIELD=N, --null, --no-header (issue 10)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.checks import deals_by_title, written

from salespipe.transfer.dates import DateReader
from salespipe.transfer.values import BadValue

BANGKOK = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("order", "raw", "expected"),
    [
        ("dmy", "15/04/2021", date(2021, 4, 15)),
        ("dmy", "15-04-2021", date(2021, 4, 15)),
        ("dmy", "15.04.21", date(2021, 4, 15)),
        ("mdy", "04/15/21", date(2021, 4, 15)),
        ("mdy", "04-15-2021", date(2021, 4, 15)),
        ("ymd", "21/04/15", date(2021, 4, 15)),
        (None, "Apr 15 2021", date(2021, 4, 15)),
        (None, "15-Apr-21", date(2021, 4, 15)),
        (None, "Thursday, April 15, 2021", date(2021, 4, 15)),
    ],
)
def test_day_forms(order, raw: str, expected: date) -> None:
    assert DateReader(order).day(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15 Apr, 2021 00:02:00", datetime(2021, 4, 15, 0, 2, tzinfo=BANGKOK)),
        ("2021-04-15T10:20:30+03:00", datetime(2021, 4, 15, 14, 20, 30, tzinfo=BANGKOK)),
        ("2021-04-15 10:20:30 +0300", datetime(2021, 4, 15, 14, 20, 30, tzinfo=BANGKOK)),
        ("Thu, 15 Apr 2021 10:20:30 GMT", datetime(2021, 4, 15, 17, 20, 30, tzinfo=BANGKOK)),
    ],
)
def test_moment_forms(raw: str, expected: datetime) -> None:
    assert DateReader().moment(raw) == expected


def test_a_date_with_a_part_missing_is_not_filled_in() -> None:
    with pytest.raises(BadValue, match="--dates"):
        DateReader().day("April 2021")


def test_a_strptime_format_reads_the_dates_in_it(cli, tmp_path: Path) -> None:
    """Other columns in the usual forms (ISO here) are still read."""
    path = written(
        tmp_path, "file.csv", "title,created_at,expected_close\nA,2021|15|04 10h20,2021-06-30\n"
    )
    refused = cli("import", path)
    assert refused.exit_code != 0
    assert "--dates" in refused.stderr
    cli.json("import", path, "--dates", "%Y|%d|%m %Hh%M")
    deal = deals_by_title(cli)["A"]
    assert deal["created_at"] == "2021-04-15T10:20:00+07:00"
    assert deal["expected_close"] == "2021-06-30"


def test_a_date_in_no_form_names_the_format_it_was_given(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "file.csv", "title,created_at\nA,someday\n")
    result = cli("import", path, "--dates", "%d.%m.%Y")
    assert "not a date in the form %d.%m.%Y given with --dates" in result.stderr


def test_dates_ymd_reads_year_first_short_dates(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "file.csv", "title,expected_close\nA,21/04/15\n")
    cli.json("import", path, "--dates", "ymd")
    assert deals_by_title(cli)["A"]["expected_close"] == "2021-04-15"


def test_an_unknown_dates_value_names_the_choices(cli, tmp_path: Path) -> None:
    result = cli("import", written(tmp_path, "file.csv", "title\nA\n"), "--dates", "yesterday")
    assert result.exit_code != 0
    assert "dmy, mdy, ymd or a format" in result.stderr


def test_map_reads_values_of_any_field(cli, tmp_path: Path) -> None:
    path = written(
        tmp_path,
        "file.csv",
        "title,status,currency,value\nA,Ganha,US Dollar,10\nB,Perdida,Dólar,20\nC,Aberta,R$,30\n",
    )
    refused = cli("import", path)
    assert refused.exit_code != 0
    assert "--map status:Perdida=STATUS (won, lost or open)" in refused.stderr
    cli.json(
        "import",
        path,
        "--map",
        "status:Ganha=won",
        "--map",
        "status:Perdida=lost",
        "--map",
        "status:aberta=open",
        "--map",
        "currency:Dólar=USD",
    )
    deals = deals_by_title(cli)
    assert (deals["A"]["status"], deals["A"]["currency"]) == ("won", "USD")
    assert (deals["B"]["status"], deals["B"]["currency"]) == ("lost", "USD")
    assert (deals["C"]["status"], deals["C"]["currency"]) == ("open", "BRL")


def test_map_that_is_not_field_label_value_is_refused(cli, tmp_path: Path) -> None:
    result = cli("import", written(tmp_path, "file.csv", "title\nA\n"), "--map", "colour:red=blue")
    assert result.exit_code != 0
    assert "FIELD:LABEL=VALUE" in result.stderr


def test_ignore_and_an_empty_column_leave_a_column_unread(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "file.csv", "title,value,owner\nA,not money,Nok\n")
    assert cli("import", path, "--dry-run").exit_code != 0
    cli.json("import", path, "--ignore", "value", "--column", "owner=")
    deal = deals_by_title(cli)["A"]
    assert (deal["value"], deal["owner"]) == (0, "tester")


def test_a_sheet_read_by_column_names_the_columns_it_did_not_read(cli, tmp_path: Path) -> None:
    """A user's own sheet named by --column is "the CSV file", and its columns that no
    field reads are listed, not dropped without a word ("Phase" held the stage)."""
    path = written(tmp_path, "file.csv", "Name,Amount,Phase,Extra\nA,100,quoted,x\n")
    result = cli("import", path, "--column", "title=Name", "--column", "value=Amount", "-n")
    assert result.exit_code == 0, result.stderr
    assert "Read 1 row of the CSV file: would import 1 deal" in result.stdout
    assert 'Not read: the columns "Phase", "Extra" (read one with --column' in result.stdout
    ignored = cli.json(
        "import", path, "--column", "title=Name", "--column", "value=Amount", "--ignore", "Extra"
    )
    assert (ignored["format"], ignored["unread_columns"]) == ("CSV", ["Phase"])
    read = cli.json("import", path, "-n", "--column", "title=Name", "--column", "value=Amount",
                    "--column", "stage=Phase", "--ignore", "Extra")  # fmt: skip
    assert "unread_columns" not in read
    by_number = written(tmp_path, "file.csv", "A,100,x\n")
    numbered = cli("import", by_number, "--no-header", "--column", "title=1", "-n")
    assert "Not read: the columns 2, 3 (" in numbered.stdout


def test_a_crms_columns_not_read_are_listed_in_json_only(cli, tmp_path: Path) -> None:
    path = written(
        tmp_path, "file.csv", "Deal Name,Stage,Amount,Deal Type\nA,Qualification,10,New\n"
    )
    report = cli.json("import", path, "--create-stages", "-n")
    assert report["unread_columns"] == ["Deal Type"]
    assert "Not read" not in cli("import", path, "--create-stages", "-n").stdout


def test_null_markers_read_as_empty(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "file.csv", "title,value,customer\nA,\\N,N/A\n")
    cli.json("import", path, "--null", "\\N", "--null", "N/A")
    deal = deals_by_title(cli)["A"]
    assert (deal["value"], deal["customer"]) == (0, "")


def test_a_file_without_a_header_is_read_by_position(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "file.csv", "x1,Printer lease,Acme,12000\nx2,Scanner,Beta,800\n")
    report = cli.json(
        "import",
        path,
        "--no-header",
        "--column",
        "title=2",
        "--column",
        "customer=3",
        "--column",
        "value=4",
        "--column",
        "source_id=1",
    )
    assert report["rows"] == 2
    deals = deals_by_title(cli)
    assert (deals["Printer lease"]["customer"], deals["Printer lease"]["value"]) == ("Acme", 12000)
    assert deals["Scanner"]["source"] == "csv:x2"
    missing = cli("import", path, "--no-header", "--column", "title=9")
    assert "--column title=9: the file has no column 9 (it has 4)" in missing.stderr
    unnamed = cli("import", path, "--no-header")
    assert "--column title=N" in unnamed.stderr


def test_column_overrides_what_a_recogniser_picked(cli, tmp_path: Path) -> None:
    """Odoo's id is picked by name; --column redirects it, and Currency too."""
    path = written(
        tmp_path,
        "file.csv",
        '"id","name","stage_id","expected_revenue","currency_id","ref","Devise"\n'
        '"__export__.crm_lead_1","A","New","10","EUR","CRM-1","THB"\n',
    )
    cli.json(
        "import",
        path,
        "--create-stages",
        "--column",
        "source_id=ref",
        "--column",
        "currency=Devise",
    )
    deal = deals_by_title(cli)["A"]
    assert (deal["source"], deal["currency"]) == ("odoo:CRM-1", "THB")


def test_a_column_given_to_another_field_is_no_longer_read_for_its_first(
    cli, tmp_path: Path
) -> None:
    path = written(tmp_path, "file.csv", "Deal Name,Stage,Amount,Note\nA,Qualification,10,Big\n")
    result = cli("import", path, "--create-stages", "--column", "customer=Deal Name")
    assert result.exit_code != 0
    assert "--column title=HEADER" in result.stderr


def test_source_id_column_works_for_our_own_csv(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "file.csv", "title,ref\nA,R-1\nA,R-2\n")
    cli.json("import", path, "--column", "source_id=ref")
    assert sorted(d["source"] for d in _deals_list(cli)) == ["csv:R-1", "csv:R-2"]
    assert cli.json("import", path, "--column", "source_id=ref")["duplicates"] == 2


def test_our_id_column_can_be_read_as_another_programs_id(cli, tmp_path: Path) -> None:
    """salespipe's CSV reads "id" as a deal id; --column source_id=id makes it a source."""
    path = written(tmp_path, "file.csv", "title,id\nA,17\n")
    cli.json("import", path, "--column", "source_id=id")
    deal = deals_by_title(cli)["A"]
    assert (deal["id"], deal["source"]) == (1, "csv:17")


def _deals_list(cli) -> list[dict]:
    return list(cli.json("list", "--status", "all"))


def test_status_column_is_read_whatever_the_format(cli, tmp_path: Path) -> None:
    """A Zoho file given a status column by hand: --column status= is read, not ignored."""
    path = written(tmp_path, "file.csv", "Deal Name,Stage,Outcome\nA,Qualification,won\n")
    cli.json("import", path, "--create-stages", "--column", "status=Outcome")
    assert deals_by_title(cli)["A"]["status"] == "won"


def test_an_unknown_header_names_the_column_option(cli, tmp_path: Path) -> None:
    result = cli("import", written(tmp_path, "file.csv", "Deal,Baht\nA,1\n"))
    assert result.exit_code != 0
    assert "--column title=HEADER" in result.stderr
    assert "Zoho CRM" in result.stderr


def test_the_python_api_takes_the_same_escape_hatches(tmp_path: Path) -> None:
    import salespipe

    path = written(tmp_path, "file.csv", "Lease;Ganha;15.04.2021;\\N\n")
    api = salespipe.open(tmp_path / "api.json")
    report = api.import_file(
        path,
        no_header=True,
        columns=["title=1", "status=2", "created_at=3", "customer=4"],
        value_maps=["status:Ganha=won"],
        nulls=["\\N"],
        dates="%d.%m.%Y",
    )
    assert report.to_dict()["by_status"]["won"] == 1
    with pytest.raises(salespipe.InvalidValue):
        api.import_file(path, dates="sometimes")


def test_salespipes_own_thai_statuses_are_read_and_no_status_is_guessed(
    cli, tmp_path: Path
) -> None:
    """ปิดได้ and หลุด, the words salespipe shows for won and lost, were refused, and the
    refusal's ready-made --map turned a lost deal into a won one ("=won" every time)."""
    path = written(tmp_path, "file.csv", "title,status\nA,ปิดได้\nB,หลุด\nC,เปิดอยู่\nD,ยังไม่รู้\n")
    refused = cli("import", path)
    assert refused.exit_code == 1
    assert '"ยังไม่รู้"' in refused.stderr
    assert "--map status:ยังไม่รู้=STATUS (won, lost or open)" in refused.stderr
    assert "=won" not in refused.stderr
    cli.json("import", path, "--map", "status:ยังไม่รู้=open")
    statuses = {title: deal["status"] for title, deal in deals_by_title(cli).items()}
    assert statuses == {"A": "won", "B": "lost", "C": "open", "D": "open"}


def test_a_two_digit_year_in_a_thai_file_is_refused_not_guessed(cli, tmp_path: Path) -> None:
    """31/12/69 in a Thai sheet is 31 Dec 2569 (2026); it was read as 2069 (and 15/01/70
    as 1970) without a word. A file without Thai keeps reading them as before."""
    thai = written(
        tmp_path, "file.csv", "title,expected_close\nกล้องวงจรปิด,31/12/69\nถ่ายเอกสาร,15/01/2570\n"
    )
    refused = cli("import", thai)
    assert refused.exit_code == 1
    assert "a 2-digit year in a Thai file may be Buddhist Era" in refused.stderr
    assert "line 3" not in refused.stderr  # the 4-digit Buddhist Era year is read
    by_format = cli("import", thai, "--dates", "%d/%m/%y")  # strptime's %y: 69 is 1969
    assert by_format.exit_code == 1
    assert "a 2-digit year in a Thai file may be Buddhist Era" in by_format.stderr
    latin = tmp_path / "latin.csv"
    latin.write_text("title,expected_close\nCCTV,31/12/26\n", encoding="utf-8")
    cli.json("import", str(latin))
    assert deals_by_title(cli)["CCTV"]["expected_close"] == "2026-12-31"


def test_a_rows_problem_is_said_in_the_pipelines_language(cli, tmp_path: Path) -> None:
    """With `config set lang th`, the refusal's frame was Thai and each row's reason
    English: the file was read before the pipeline's settings were."""
    assert cli("config", "set", "lang", "th").exit_code == 0
    refused = cli("import", written(tmp_path, "file.csv", "title,value\nA,1x\n"))
    assert refused.exit_code == 1
    assert 'จำนวนเงิน "1x" มีหน่วย "x" ที่ไม่รู้จัก' in refused.stderr


def test_a_too_long_note_names_the_ignore_that_imports_every_row(
    cli, tmp_path: Path, snapshot_files
) -> None:
    """A CRM's Notes cell over a note's limit refuses its row; since a deal can do without
    the column, the refusal names the --ignore that imports every row, not only
    --skip-invalid (which would leave the deal out)."""
    path = tmp_path / "notes.csv"
    path.write_text(f"Title,Value,Notes\nLong,100,{'x' * 10_001}\nShort,200,ok\n")
    before = snapshot_files()
    refused = cli("import", str(path))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        "Every refused cell is in a column a deal can do without: "
        "--ignore Notes imports every row without it."
    )
    assert snapshot_files() == before
    assert cli("import", str(path), "--ignore", "Notes").exit_code == 0
    assert sorted(deals_by_title(cli)) == ["Long", "Short"]


def test_a_refused_amount_gives_no_ignore(cli, tmp_path: Path) -> None:
    """A deal cannot do without its value: a bad one beside a long note names no --ignore."""
    path = tmp_path / "notes.csv"
    path.write_text(f"Title,Value,Notes\nLong,100,{'x' * 10_001}\nShort,lots,ok\n")
    refused = cli("import", str(path))
    assert refused.exit_code == 1
    assert "--ignore" not in refused.stderr
