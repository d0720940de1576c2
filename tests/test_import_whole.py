"""A file comes in whole: no row of it is lost quietly (issue 10).

Look-alike rows stay distinct deals, rows that repeat a deal id are line items added up
(or refused by line), whatever stands in for missing data is reported with its count,
and the dry run reports what the real run does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.checks import written

from salespipe.app.pipeline import Pipeline

CRM = Path(__file__).parent / "fixtures" / "crm"


def _deals(cli) -> list[dict]:
    return list(cli.json("list", "--status", "all"))


def test_three_look_alike_rows_are_three_deals_and_a_second_import_adds_none(
    cli, tmp_path: Path
) -> None:
    """The issue's own file: title, customer and value, twice the same row."""
    path = written(
        tmp_path,
        "printers.csv",
        "title,customer,value\nPrinter lease,Acme,12000\nPrinter lease,Acme,15000\n"
        "Printer lease,Acme,12000\n",
    )
    first = cli.json("import", path)
    assert (first["imported"], first["duplicates"]) == (3, 0)
    assert sorted(d["value"] for d in _deals(cli)) == [12000, 12000, 15000]
    again = cli.json("import", path)
    assert (again["imported"], again["duplicates"]) == (0, 3)
    assert len(_deals(cli)) == 3


def test_a_longer_file_with_one_more_look_alike_adds_only_that_row(cli, tmp_path: Path) -> None:
    """The keys are occurrence numbers: the same rows again are known, the new one is not."""
    rows = "title,customer\nVisit,Acme\nVisit,Acme\n"
    cli.json("import", written(tmp_path, "a.csv", rows))
    report = cli.json("import", written(tmp_path, "b.csv", rows + "Visit,Acme\n"))
    assert (report["imported"], report["duplicates"]) == (1, 2)


def test_zoho_potentials_without_ids_keep_every_row(cli) -> None:
    """A Zoho export with no id column: three look-alike potentials are three deals."""
    path = str(CRM / "zoho-potentials.csv")
    report = cli.json("import", path, "--create-stages")
    assert report["imported"] == 3
    assert sorted(d["value"] for d in _deals(cli)) == [12000, 12000, 15000]
    assert cli.json("import", path, "--create-stages")["duplicates"] == 3


def test_line_items_of_a_deal_are_added_up_and_reported(cli) -> None:
    """A Salesforce "Opportunities with Products" report: one row per product."""
    path = str(CRM / "salesforce-line-items.csv")
    report = cli.json("import", path, "--create-stages")
    assert (report["rows"], report["imported"], report["problems"]) == (4, 2, [])
    assert report["line_items"] == {"rows": 2, "deals": ["0065g00000AbCdE"]}
    values = {d["title"]: d["value"] for d in _deals(cli)}
    assert values == {"Acme - 1,200 Widgets": 29500, "Global Media - 400 Widgets": 8000}
    text = cli("import", path, "--create-stages", "--dry-run").stdout
    assert "2 line-item rows" not in text  # nothing new the second time: all known
    assert cli.json("import", path, "--create-stages")["duplicates"] == 4


def test_the_line_item_report_line_names_the_ids(cli) -> None:
    result = cli("import", str(CRM / "salesforce-line-items.csv"), "--create-stages")
    assert result.exit_code == 0, result.stderr
    assert "Added 2 line-item rows into the deals with the same id (0065g00000AbCdE)." in (
        result.stdout
    )


def test_line_items_in_different_currencies_are_refused_by_line(cli, tmp_path: Path) -> None:
    path = written(
        tmp_path,
        "items.csv",
        "Record ID,Deal Name,Deal Stage,Amount,Currency\n"
        "7,Fit-out,qualifiedtobuy,1000,USD\n7,Fit-out,qualifiedtobuy,500,EUR\n",
    )
    cli("init")  # a named data file must exist before it is read
    result = cli("import", path, "--create-stages")
    assert result.exit_code != 0
    assert "line 3, column id" in result.stderr
    assert "currency differs" in result.stderr
    assert _deals(cli) == []


def test_rows_of_one_id_that_differ_in_more_than_the_amount_are_refused_not_added(
    cli, tmp_path: Path
) -> None:
    """Two HubSpot rows of one Record ID at other stages and dates are two versions of
    the deal (files put together), not line items: adding 1000 and 1200 and keeping the
    first row's stage and date would drop the second without a word."""
    path = written(
        tmp_path,
        "repeated.csv",
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount\n"
        "1,Acme,Appointment Scheduled,2026-12-01 10:00,Jane,1000\n"
        "2,Globex,Appointment Scheduled,2026-12-01 10:00,Jane,500\n"
        "1,Acme,Contract Sent,2026-12-15 10:00,Jane,1200\n",
    )
    cli("init")  # a named data file must exist before it is read
    result = cli("import", path, "--create-stages")
    assert result.exit_code != 0
    assert (
        'line 4, column id "1": the id is on line 2 too, with another stage, close date;'
        in result.stderr
    )
    assert _deals(cli) == []
    report = cli.json("import", path, "--create-stages", "--skip-invalid")
    assert report["line_items"] == {"rows": 0, "deals": []}
    assert {d["title"]: d["value"] for d in _deals(cli)} == {"Acme": 1000, "Globex": 500}


def test_our_own_csv_with_one_id_twice_is_refused_naming_both_lines(cli, tmp_path: Path) -> None:
    """In salespipe's CSV an id is one deal: two rows with it are a mistake, not items."""
    path = written(tmp_path, "ours.csv", "id,title,value\n40,Alpha,10\n40,Beta,20\n")
    result = cli("import", path)
    assert result.exit_code != 0
    assert "line 3" in result.stderr
    assert "the id is on line 2 too" in result.stderr
    report = cli.json("import", path, "--skip-invalid")
    assert report["imported"] == 1
    assert [p["line"] for p in report["problems"]] == [3]


def test_defaults_that_stand_in_are_reported_with_their_counts(cli, tmp_path: Path) -> None:
    path = written(
        tmp_path,
        "bare.csv",
        "title,value,currency,owner\nA,10,,\nB,20,USD,\nC,30,,Nok\n",
    )
    text = cli("import", path, "--dry-run").stdout
    assert "2 deals without a currency: THB (from the config)." in text
    assert "2 deals without an owner: tester (the importing user)." in text
    report = cli.json("import", path, "--currency", "EUR")
    assert report["filled"]["currency"] == {"count": 2, "value": "EUR", "from": "option"}
    assert report["filled"]["owner"] == {"count": 2, "value": "tester"}
    currencies = {d["title"]: d["currency"] for d in _deals(cli)}
    assert currencies == {"A": "EUR", "B": "USD", "C": "EUR"}


def test_a_dollar_sign_is_usd_unless_currency_says_otherwise(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "dollars.csv", 'title,value\nA,"$1,000.00"\nB,"S$2,000"\n')
    text = cli("import", path, "--dry-run").stdout
    assert '1 deal in "$": read as USD; say otherwise with --currency.' in text
    report = cli.json("import", path, "--currency", "SGD")
    assert report["filled"]["dollar"] == {"count": 1, "value": "SGD"}
    assert {d["title"]: d["currency"] for d in _deals(cli)} == {"A": "SGD", "B": "SGD"}


def test_values_with_a_unit_import_as_add_value_reads_them_and_are_counted(
    cli, tmp_path: Path
) -> None:
    """A sheet people typed: 1k, 150k, 1.2m, 2.5ล้าน are the amounts `add --value` makes
    of them, the report counts those deals, and a unit nobody knows is refused by line."""
    path = written(
        tmp_path,
        "typed.csv",
        'Deal,Baht\nA,1k\nB,150k\nC,1.2m\nD,2.5ล้าน\nE,"12,000"\nF,1.5x\n',
    )
    columns = ("--column", "title=Deal", "--column", "value=Baht")
    refused = cli("import", path, *columns)
    assert refused.exit_code != 0
    assert 'line 7, column Baht "1.5x": The amount "1.5x" has an unknown unit "x"' in (
        refused.stderr
    )
    assert "line 2" not in refused.stderr  # 1k is an amount
    text = cli("import", path, *columns, "--skip-invalid", "--dry-run").stdout
    assert "4 deals with a value like 150k or 1.2m: read as add --value reads it." in text
    thai = cli("--lang", "th", "import", path, *columns, "--skip-invalid", "--dry-run").stdout
    assert "4 ดีล มีมูลค่าแบบ 150k, 1.2m หรือ 1.2ล้าน: อ่านแบบเดียวกับ add --value" in thai
    report = cli.json("import", path, *columns, "--skip-invalid")
    assert (report["imported"], report["filled"]["value_unit"]) == (5, {"count": 4})
    values = {d["title"]: d["value"] for d in _deals(cli)}
    assert values == {"A": 1000, "B": 150000, "C": 1200000, "D": 2500000, "E": 12000}
    added = cli.json("add", "Typed", "--value", "1.2m")
    assert added["value"] == values["C"]


def test_an_import_without_units_reports_none(cli, tmp_path: Path) -> None:
    """The count is in the JSON only when some value had a unit: reports stay as they were."""
    path = written(tmp_path, "plain.csv", "title,value\nA,1000\nB,1.2\n")
    text = cli("import", path, "--dry-run").stdout
    assert "imported 2 deals" in text or "would import 2 deals" in text, text
    assert "like 150k" not in text
    report = cli.json("import", path)
    assert report["imported"] == 2
    assert "value_unit" not in report["filled"]


def test_a_line_item_with_a_unit_counts_its_deal(cli, tmp_path: Path) -> None:
    path = written(
        tmp_path,
        "items.csv",
        "Opportunity ID,Opportunity Name,Stage,Product Name,Total Price\n"
        "7,Fit-out,Qualification,Desks,1000\n7,Fit-out,Qualification,Chairs,1.5k\n",
    )
    report = cli.json("import", path, "--create-stages")
    assert report["filled"]["value_unit"] == {"count": 1}
    assert [d["value"] for d in _deals(cli)] == [2500]


def test_a_closed_row_without_a_close_date_closes_at_its_latest_date(cli, tmp_path: Path) -> None:
    """Modified, expected close or created (the latest not in the future), never now."""
    path = written(
        tmp_path,
        "closed.csv",
        "title,status,created_at,updated_at,expected_close\n"
        "Modified,won,2026-03-01 09:00,2026-04-02 10:00,2026-03-20\n"
        "Expected,lost,2026-03-01 09:00,,2026-03-20\n"
        "Created only,won,2026-03-01 09:00,,\n"
        "Future expected,won,2026-03-01 09:00,,2027-01-31\n"
        "Open one,open,2026-03-01 09:00,,\n",
    )
    report = cli.json("import", path)
    assert report["filled"]["closed_at"] == {
        "from_updated": 1,
        "from_expected": 1,
        "from_created": 2,
        "at_import": 0,
        "after_import": 0,
    }
    closed = {d["title"]: d["closed_at"] for d in _deals(cli)}
    assert closed["Modified"] == "2026-04-02T10:00:00+07:00"
    assert closed["Expected"] == "2026-03-20T00:00:00+07:00"
    assert closed["Created only"] == "2026-03-01T09:00:00+07:00"
    assert closed["Future expected"] == "2026-03-01T09:00:00+07:00"
    assert closed["Open one"] is None


def test_a_closed_row_with_no_date_at_all_says_it_closes_at_the_import(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "bare.csv", "title,status\nNo dates,won\n")
    result = cli("import", path)
    assert "1 deal closed without a close date: closed at the time of the import" in (result.stdout)


def test_the_dry_run_reports_the_numbers_of_the_real_run(cli) -> None:
    path = str(CRM / "dynamics-opportunities.csv")
    dry = cli.json("import", path, "--create-stages", "--dry-run")
    real = cli.json("import", path, "--create-stages")
    for report in (dry, real):
        report.pop("dry_run")
        report.pop("change")
    assert dry == real
    assert real["events"] > real["imported"]


def test_the_events_a_real_import_reports_are_the_ones_it_wrote(cli, db_path: Path) -> None:
    report = cli.json("import", str(CRM / "odoo-crm-lead.csv"), "--create-stages")
    events = [e for e in Pipeline.open(db_path).read().events() if e.type != "stage-add"]
    assert report["events"] == len(events) == 4 + 2 + 2  # adds, two notes, two closings


def test_the_stage_refusal_counts_labels_of_rows_invalid_for_other_reasons(
    cli, tmp_path: Path
) -> None:
    path = written(
        tmp_path,
        "stages.csv",
        "title,stage,value\nA,Pitch,10\nB,Pitch,oops\nC,Demo,oops\nD,Pitch,5\n",
    )
    result = cli("import", path)
    assert result.exit_code != 0
    assert '"Pitch" (3 deals)' in result.stderr
    assert '"Demo" (1 deal)' in result.stderr


def _accounted(report: dict) -> int:
    return (
        report["imported"] + report["duplicates"] + report["line_items"]["rows"] + report["skipped"]
    )


@pytest.mark.parametrize("name", sorted(p.name for p in CRM.glob("*.csv")))
def test_every_row_of_a_file_is_accounted_for(cli, name: str) -> None:
    """Imported, known from before, added into its deal as a line item, or named as
    skipped: the report's numbers always add up to the rows of the file."""
    path = str(CRM / name)
    for _time in ("first", "again"):
        report = cli.json("import", path, "--create-stages", "--skip-invalid")
        assert _accounted(report) == report["rows"] > 0


def test_skipped_rows_are_accounted_for_too(cli, tmp_path: Path) -> None:
    path = written(tmp_path, "mixed.csv", "title,value\nA,1\nB,oops\nA,1\n")
    report = cli.json("import", path, "--skip-invalid")
    assert (report["imported"], report["skipped"], _accounted(report)) == (2, 1, 3)
