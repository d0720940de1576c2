"""Files whose shape could change a deal without a word: the decimal mark of a file,
rows wider than the header, a header naming two columns alike, a products report, a
workbook given for CSV. Each is read right or refused, never guessed."""

from __future__ import annotations

import pytest
from tests.checks import written


def _values(cli) -> dict[str, float]:
    return {d["title"]: d["value"] for d in cli.json("list", "--status", "all")}


def test_a_semicolon_file_reads_dot_grouped_amounts_as_thousands(cli, tmp_path) -> None:
    """12.500 in a file of decimal commas is twelve thousand five hundred, whether a
    number shows the comma or not (it was twelve and a half, silently)."""
    shown = written(tmp_path, "de.csv", "Deal;Betrag\nA;1.234,56\nB;12.500\nC;2.000.000\nE;1.234\n")
    cli.json("import", shown, "--column", "title=Deal", "--column", "value=Betrag")
    assert _values(cli) == {"A": 1234.56, "B": 12500, "C": 2000000, "E": 1234}


def test_a_pipedrive_export_in_french_keeps_its_thousands(cli, tmp_path) -> None:
    french = written(
        tmp_path,
        "affaires.csv",
        "Affaire - Titre;Affaire - Valeur;Affaire - Devise de la valeur;Affaire - Statut\n"
        '"Toit";"12.500";"EUR";"Ouvert"\n',
    )
    assert cli.json("import", french, "--create-stages")["format"] == "Pipedrive"
    assert _values(cli) == {"Toit": 12500}


def test_an_amount_either_mark_reads_differently_is_refused_until_the_mark_is_named(
    cli, tmp_path
) -> None:
    """A tab-separated file shows no decimal mark of its own: 12.500 is refused, naming
    the option that settles it, and nothing is imported until then."""
    cli("init")
    tabbed = written(tmp_path, "sheet.tsv", "Deal\tAmount\nRoof\t12.500\nDoor\t300\n")
    refused = cli("import", tabbed, "--column", "title=Deal", "--column", "value=Amount")
    assert refused.exit_code == 1
    assert '"12.500": 12.500 may be 12.5 or 12500' in refused.stderr
    assert "--decimal-mark" in refused.stderr
    assert cli.json("list", "--status", "all") == []
    cli.json(
        "import", tabbed, "--column", "title=Deal", "--column", "value=Amount",
        "--decimal-mark", ",",
    )  # fmt: skip
    assert _values(cli) == {"Roof": 12500, "Door": 300}
    wrong = cli("import", tabbed, "--decimal-mark", "x")
    assert wrong.exit_code == 1
    assert '--decimal-mark "x" is not , (comma) or . (dot).' in wrong.stderr


def test_a_semicolon_file_s_1_500_is_not_taken_for_one_and_a_half(cli, tmp_path) -> None:
    """A trial: in a ";" file whose numbers show no decimal mark, "1,500" and "$22,700"
    (Zoho's form) were read as 1.50 and 22.70 by the decimal comma the separator implies,
    without a word. Such an amount is refused with how to say the mark; a file whose
    numbers show the comma still reads it so."""
    zoho = written(
        tmp_path,
        "zoho.csv",
        "Deal Name;Stage;Amount;Closing Date\n"
        "A;Qualification;1,500;2026-12-31\n"
        "B;Qualification;$22,700;2026-12-31\n"
        "C;Qualification;900;2026-12-31\n",
    )
    refused = cli("import", zoho, "--create-stages")
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert (
        'line 2, column Amount "1,500": 1,500 may be 1.5 or 1500; name the file\'s decimal '
        "mark with --decimal-mark , or --decimal-mark ."
    ) in said
    assert 'line 3, column Amount "$22,700": 22,700 may be 22.7 or 22700' in said
    assert cli.json("import", zoho, "--create-stages", "--decimal-mark", ".")["imported"] == 3
    assert _values(cli) == {"A": 1500, "B": 22700, "C": 900}
    shown = written(
        tmp_path,
        "shown.csv",
        "Deal Name;Stage;Amount\nD;Qualification;12,50\nE;Qualification;1,500\n",
    )
    cli.json("import", shown, "--create-stages")
    assert _values(cli) == {"A": 1500, "B": 22700, "C": 900, "D": 12.5, "E": 1.5}


def test_a_row_wider_than_the_header_is_refused_not_shifted(cli, tmp_path) -> None:
    """An unquoted 1,200 in a comma file makes five cells under four headers: the row is
    refused by the cell count (its owner would have been "200"), and its other,
    misleading problems are left out."""
    shifted = written(
        tmp_path,
        "hubspot.csv",
        "Deal Name,Deal Stage,Amount,Deal owner\n"
        "Acme,closedwon,1,200,Jane\n"
        "Trailing,closedwon,100,Jane,\n",
    )
    refused = cli("import", shifted)
    assert refused.exit_code == 1
    assert (
        'line 2, column 5 "Jane": the row has 5 cells where the header has 4; a cell holding '
        "the separator must be in quotes"
    ) in " ".join(refused.stderr.split())
    assert "line 3" not in refused.stderr  # an empty cell past the header is no harm
    report = cli.json("import", shifted, "--skip-invalid")
    assert report["imported"] == 1
    assert _values(cli) == {"Trailing": 100}


def test_a_shifted_row_ending_in_an_empty_cell_is_refused_too(cli, tmp_path) -> None:
    """A trial: "Deal B,1,200,Beta Co,Alice," under five headers has its sixth cell empty,
    which passed the count of filled cells: value 1, customer "200", owner "Beta Co",
    Alice gone, without a word. A row longer than the header whose cells hold a number
    cut at its thousands comma is refused, however many rows are so (a review: a vote of
    the rows' lengths let a file of mostly such rows, or of one, through), and before
    its other problems; a row merely ending in a separator is read."""
    shifted = written(
        tmp_path,
        "pipedrive.csv",
        "Title,Value,Currency,Owner,Lost reason\n"
        "Deal A,1,200,THB,Alice,\n"
        "Deal B,2,500,EUR,Bob,\n"
        "Deal C,300,THB,Bob,\n"
        "Deal D,$1,200.00,USD,Bob,\n"
        "Deal E,1200,THB,Bob,Price,\n",
    )
    refused = cli("import", shifted)
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    for line, cut in ((2, "1,200"), (3, "2,500"), (5, "$1,200.00")):
        assert (
            f'line {line}, column 2 "{cut}": the row has 6 cells where the header has 5; '
            "a cell holding the separator must be in quotes"
        ) in said
    assert "line 4" not in said
    assert "line 6" not in said  # (its currency "500" or "EUR" is not what is wrong)
    report = cli.json("import", shifted, "--skip-invalid")
    assert (report["imported"], report["skipped"]) == (2, 3)
    assert _values(cli) == {"Deal C": 300, "Deal E": 1200}
    alone = written(tmp_path, "one.csv", "Title,Value,Customer,Owner\nDeal F,EUR 1,200,Acme,\n")
    assert 'column 2 "EUR 1,200"' in " ".join(cli("import", alone).stderr.split())
    # A separator after the last cell is no harm, numbers side by side included (a review:
    # a quantity 3 before a value 450 was taken for a cut 3,450).
    trailing = written(
        tmp_path,
        "trailing.csv",
        "Title,Qty,Value,Owner\nDeal 5,3,450,Bob,\n#1,12,900,Alice,\nDeal G,900,200,Alice\n",
    )
    cli.json(
        "import", trailing, "--column", "title=Title", "--column", "value=Value", "--ignore", "Qty"
    )
    assert _values(cli) == {
        "Deal C": 300,
        "Deal E": 1200,
        "Deal 5": 450,
        "#1": 900,
        "Deal G": 200,
    }


def test_a_header_ending_in_a_separator_names_the_width_of_its_rows(cli, tmp_path) -> None:
    """Under "Title,Value,Customer,Owner," (an empty last name) a row shifted by an
    unquoted 1,200 put its owner under the nameless column: read as worth 1, customer
    "200", owner "Acme", Ann lost; and a note typed into the nameless column was dropped
    without a word (a trial). Both are refused; rows that merely end in a separator, as
    the header does, are read."""
    shifted = written(
        tmp_path,
        "trailing-header.csv",
        "Title,Value,Customer,Owner,\nDeal A,900,Beta,Ann\nDeal B,1,200,Acme,Ann\n"
        "Deal C,300,Gamma,Bob,\nDeal D,450,Delta,Ann,call back Monday\n",
    )
    refused = cli("import", shifted)
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    for line, cell in ((3, "Ann"), (5, "call back Monday")):
        assert (
            f'line {line}, column 5 "{cell}": the row has 5 cells where the header names 4; '
            "a cell holding the separator must be in quotes, and a column of data needs a name"
        ) in said
    assert "line 2," not in said
    assert "line 4," not in said
    report = cli.json("import", shifted, "--skip-invalid")
    assert (report["imported"], report["skipped"]) == (2, 2)
    assert _values(cli) == {"Deal A": 900, "Deal C": 300}
    # The nameless column read or left out by number is no longer past the header (a
    # review: no option got past the refusal).
    noted = written(tmp_path, "noted.csv", "Title,Value,Customer,Owner,\nDeal E,5,Eps,Ann,call\n")
    assert cli.json("import", noted, "--column", "description=5")["imported"] == 1
    # A shifted row is still refused when that column is read (a review).
    shifted_too = written(
        tmp_path, "s2.csv", "Title,Value,Customer,Owner,\nDeal F,1,200,Acme,Ann\n"
    )
    refused_too = cli("import", shifted_too, "--column", "description=5")
    assert 'column 2 "1,200"' in " ".join(refused_too.stderr.split())
    assert cli.json("import", noted, "--ignore", "5")["duplicates"] == 1


def test_a_first_line_with_as_many_commas_as_semicolons_is_read_by_the_lines_after(
    cli, tmp_path
) -> None:
    """A review: a headerless ";" file whose first line is "A;1,500" was taken for a
    comma file (a tie went to the comma): "A;1" worth 500 and "B;300" worth 0."""
    sheet = written(tmp_path, "deals.csv", "A;1,500\nB;300\nC;1.250\n")
    command = ("import", sheet, "--no-header", "--column", "title=1", "--column", "value=2")
    refused = cli(*command)
    assert refused.exit_code == 1
    assert 'line 1, column 2 "1,500": 1,500 may be 1.5 or 1500' in " ".join(refused.stderr.split())
    cli.json(*command, "--decimal-mark", ".")
    assert _values(cli) == {"A": 1500, "B": 300, "C": 1.25}
    # Tied on every line, the comma loses: numbers hold commas (a review: "D;1" worth 500)
    tied = written(tmp_path, "tied.csv", "D;1,500\nE;2,300\n")
    command = ("import", tied, "--no-header", "--column", "title=1", "--column", "value=2")
    cli.json(*command, "--decimal-mark", ".")
    assert {k: v for k, v in _values(cli).items() if k in "DE"} == {"D": 1500, "E": 2300}


def test_a_header_naming_a_read_column_twice_must_be_told_which(cli, tmp_path) -> None:
    twice = written(
        tmp_path,
        "hubspot.csv",
        "Deal Name,Deal Stage,Amount,Close Date,Amount\nDup,closedwon,100,2025-01-01,200\n",
    )
    refused = cli("import", twice)
    assert refused.exit_code == 1
    assert 'The file has 2 columns named "Amount" (columns 3, 5)' in refused.stderr
    assert "--column value=3" in refused.stderr
    assert cli("import", twice, "--column", "value=Amount").exit_code == 1
    cli.json("import", twice, "--column", "value=5")
    assert _values(cli) == {"Dup": 200}


def test_a_products_report_adds_up_its_lines_not_the_repeated_amount(cli, tmp_path) -> None:
    """Salesforce's Opportunities with Products repeats the deal's Amount on each line;
    the lines' Total Price add up to it (the deal was worth twice its amount)."""
    products = written(
        tmp_path,
        "products.csv",
        "Opportunity ID,Opportunity Name,Stage,Amount,Product Name,Total Price\n"
        "0065g00000AbCdE,Big,Closed Won,300,Widget,100\n"
        "0065g00000AbCdE,Big,Closed Won,300,Gadget,200\n",
    )
    report = cli.json("import", products, "--create-stages")
    assert report["line_items"] == {"rows": 1, "deals": ["0065g00000AbCdE"]}
    assert _values(cli) == {"Big": 300}


def test_a_workbook_is_refused_as_one_saying_how_to_make_csv(cli, tmp_path) -> None:
    for name, start in (("deals.xlsx", b"PK\x03\x04"), ("deals.xls", b"\xd0\xcf\x11\xe0")):
        path = tmp_path / name
        path.write_bytes(start + b"\xa1\xb1\x1a\xe1" + bytes(200))
        for extra in ((), ("--encoding", "latin-1")):
            refused = cli("import", str(path), *extra)
            assert refused.exit_code == 1
            assert "is a spreadsheet workbook, not CSV text" in refused.stderr
            assert 'save it as "CSV UTF-8"' in refused.stderr


def test_times_the_import_moves_are_reported(cli, tmp_path) -> None:
    """A won deal created after it closed was created at its close, and a close date
    still to come became the time of the import, without a word (filled was all 0)."""
    rows = written(
        tmp_path,
        "sf.csv",
        "Opportunity Name,Stage,Amount,Close Date,Created Date\n"
        "Created late,Closed Won,100,2024-04-02,2024-07-11\n"
        "Future won,Closed Won,100,2099-03-31,2026-11-01\n"
        "In order,Closed Won,100,2024-04-02,2024-03-01\n",
    )
    report = cli.json("import", rows, "--create-stages")
    assert report["filled"]["created_at"] == {"after_close": 1, "missing": 0}
    assert report["filled"]["closed_at"]["after_import"] == 1
    plain = cli("import", rows, "--create-stages", "--dry-run")  # nothing new, nothing said
    assert "created after they closed" not in plain.stdout
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["Created late"]["created_at"].startswith("2024-04-02")


def test_the_report_says_which_times_were_moved(cli, tmp_path) -> None:
    rows = written(
        tmp_path,
        "sf.csv",
        "Opportunity Name,Stage,Amount,Close Date,Created Date\n"
        "Created late,Closed Won,100,2024-04-02,2024-07-11\n"
        "Future won,Closed Won,100,2099-03-31,2026-11-01\n",
    )
    said = " ".join(cli("import", rows, "--create-stages").stdout.split())
    assert "1 deal with a close date still to come: closed at the time of the import." in said
    assert "1 deal created after they closed (or after now): created when they closed" in said


def test_rows_without_a_creation_date_are_said_to_be_created_at_the_import(cli, tmp_path) -> None:
    """A file without a creation column gave every deal the time of the import as its
    creation (a won one its close), without a word: the report then showed sales cycles
    of 0 days. Counted and said, as the other times that stand in for the file's."""
    rows = written(
        tmp_path,
        "hubspot.csv",
        "Deal Name,Deal Stage,Amount,Close Date\n"
        "Open one,Appointment Scheduled,100,2027-01-31\n"
        "Won one,Closed Won,200,2026-10-02\n"
        "Dated,Appointment Scheduled,300,2027-01-31\n",
    )
    report = cli.json("import", rows, "--create-stages", "--dry-run")
    assert report["filled"]["created_at"] == {"after_close": 0, "missing": 3}
    said = " ".join(cli("import", rows, "--create-stages").stdout.split())
    assert "3 deals without a creation date: created when imported (a closed one when it" in said
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["Won one"]["created_at"] == deals["Won one"]["closed_at"]
    assert deals["Open one"]["created_at"].startswith("2026-11-27")  # the tests' today


def test_a_german_pipedrive_file_keeps_its_creation_update_and_close_times(cli, tmp_path) -> None:
    """Pipedrive in German names them "Deal erstellt", "Aktualisiert am" and "Deal
    geschlossen am" (after its "Deal - " prefix): they were left unread, and every deal
    was created when imported."""
    rows = tmp_path / "deals-de.csv"
    rows.write_bytes(
        "Deal - ID;Deal - Titel;Deal - Wert;Deal - Währung des Werts;Deal - Phase;"
        "Deal - Status;Deal - Deal erstellt;Deal - Aktualisiert am;Deal - Gewonnen am;"
        "Deal - Deal geschlossen am\n"
        "201;Neue Website;1.234,56;EUR;Qualifiziert;Offen;01.09.2026 10:00;"
        "30.11.2026 09:00;;\n"
        "202;ERP-Einführung;125.000,00;EUR;Angebot erstellt;Gewonnen;15.08.2026 08:00;"
        "02.11.2026 16:40;02.11.2026 16:40;02.11.2026 16:40\n".encode("cp1252")
    )
    report = cli.json("import", str(rows), "--create-stages", "--encoding", "cp1252")
    assert report.get("unread_columns", []) == []
    assert report["filled"]["created_at"]["missing"] == 0
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["Neue Website"]["created_at"].startswith("2026-09-01T10:00")
    assert deals["Neue Website"]["value"] == 1234.56
    assert deals["ERP-Einführung"]["created_at"].startswith("2026-08-15T08:00")
    assert deals["ERP-Einführung"]["closed_at"].startswith("2026-11-02T16:40")


def test_an_import_that_brings_nothing_says_why(cli, tmp_path) -> None:
    """A file with only its header, and one whose every row was skipped, were both
    reported as "nothing new", which reads as if they had been imported before."""
    header = "Deal Name,Deal Stage,Amount,Close Date\n"
    empty = written(tmp_path, "empty.csv", header)
    said = cli("import", empty)
    assert said.exit_code == 0
    assert (
        said.stdout.strip()
        == "The HubSpot file has no rows under its header: nothing was imported."
    )
    bad = written(
        tmp_path, "bad.csv", header + "A,Closed Won,-5,2026-10-02\nB,Closed Won,x,2026-10-02\n"
    )
    skipped = cli("import", bad, "--skip-invalid")
    assert skipped.exit_code == 0
    assert skipped.stdout.startswith(
        "Read 2 rows of the HubSpot file: every one was skipped (see below), so nothing was"
    )
    assert skipped.stderr.count("skipped line") == 2
    good = written(tmp_path, "good.csv", header + "C,Closed Won,5,2026-10-02\n")
    assert cli("import", good, "--create-stages").exit_code == 0
    again = cli("import", good, "--create-stages")
    assert again.stdout.startswith("Read 1 row of the HubSpot file: nothing new.")


def test_a_stage_map_entry_no_row_has_is_named(cli, tmp_path) -> None:
    """A misspelt --stage-map label mapped nothing without a word; with --create-stages
    the label it meant quietly became a stage of its own."""
    rows = written(
        tmp_path,
        "hubspot.csv",
        "Deal Name,Deal Stage,Amount,Close Date\n"
        "A,Appointment Scheduled,100,2027-01-31\n"
        "B,ประชุมแล้ว,100,2027-01-31\n",
    )
    maps = ["-m", "Apointment Scheduled=quoted", "-m", "ประชุมแล้ว=negotiating"]
    report = cli.json("import", rows, *maps, "--create-stages", "--dry-run")
    assert report["unused_stage_maps"] == ["Apointment Scheduled=quoted"]
    said = cli("import", rows, *maps, "--create-stages")
    assert said.exit_code == 0
    assert said.stderr.splitlines()[-1] == (
        'Warning: --stage-map "Apointment Scheduled=quoted": no row has the stage '
        '"Apointment Scheduled", so it mapped nothing.'
    )
    assert "unused_stage_maps" not in cli.json(
        "import", rows, "-m", "Appointment Scheduled=quoted", "--dry-run"
    )


MONDAY_HEADER = (
    "Name,Subitems,Owner,Stage,Deal Value,Expected Close Date,Item ID (auto generated)\n"
)


def test_a_grouped_export_leaves_out_its_group_titles_and_repeated_headers(cli, tmp_path) -> None:
    """monday.com writes each group's title, then the header again, then its items: the
    titles ("Closed Won") came in as open deals of no value, and the repeated headers
    were refused cell by cell. Both are left out and said, with their lines; a row with
    only its name elsewhere (at the end too) is still a deal."""
    rows = written(
        tmp_path,
        "monday.csv",
        MONDAY_HEADER
        + "Lighthouse rollout,,Maya,Proposal,12000,2027-01-20,1001\n"
        + "Only a name\n"
        + "Harbor analytics,,Maya,Negotiation,8500,2026-12-28,1002\n"
        + "\nClosed Won\n"
        + MONDAY_HEADER
        + "Orbit renewal,,Eli,Won,20000,2026-11-18,1003\n"
        + "\nClosed Lost\n"
        + MONDAY_HEADER.upper()
        + "Vega expansion,,Maya,Lost,15000,2026-10-05,1004\n"
        + "Last with a name only\n",
    )
    named = ["--column", "title=Name", "--column", "stage=Stage", "--column", "value=Deal Value"]
    named += ["-m", "Won=won", "-m", "Lost=lost", "--create-stages"]
    report = cli.json("import", rows, *named, "--dry-run")
    assert report["left_out"] == {"group_title": [6, 10], "header": [7, 11]}
    assert report["problems"] == []
    said = cli("import", rows, *named)
    assert said.exit_code == 0, said.stderr
    text = " ".join(said.stdout.split())
    assert "Left out 2 group titles above a repeated header (lines 6, 10)." in text
    assert "Left out 2 rows repeating the header (lines 7, 11)." in text
    titles = sorted(d["title"] for d in cli.json("list", "--status", "all"))
    assert titles == [
        "Harbor analytics",
        "Last with a name only",
        "Lighthouse rollout",
        "Only a name",
        "Orbit renewal",
        "Vega expansion",
    ]


def test_a_boards_name_and_first_group_above_the_header_are_left_out(cli, tmp_path) -> None:
    """A monday.com board saved as CSV begins with the board's name and its first
    group's title, a cell each: the import was refused at its first line."""
    rows = written(
        tmp_path,
        "board.csv",
        "Deals pipeline,,,,,,\n"
        + "Active deals\n"
        + MONDAY_HEADER
        + "Lighthouse rollout,,Maya,Proposal,12000,2027-01-20,1001\n"
        + "\nClosed Won\n"
        + MONDAY_HEADER
        + "Orbit renewal,,Eli,Won,20000,2026-11-18,1003\n",
    )
    named = ["--column", "title=Name", "--column", "stage=Stage", "--column", "value=Deal Value"]
    named += ["-m", "Won=won", "--create-stages"]
    report = cli.json("import", rows, *named, "--dry-run")
    assert report["left_out"] == {"title": [1, 2], "group_title": [6], "header": [7]}
    assert (report["rows"], report["imported"]) == (2, 2)
    said = cli("import", rows, *named)
    assert said.exit_code == 0, said.stderr
    assert "Left out 2 title lines above the header (lines 1, 2)." in " ".join(said.stdout.split())
    deals = {d["title"]: d["value"] for d in cli.json("list", "--status", "all")}
    assert deals == {"Lighthouse rollout": 12000, "Orbit renewal": 20000}


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("Title\nDeal A\nDeal B\n", []),  # a header salespipe knows
        ("Project\nDeal A\nDeal B, Inc\n", ["--column", "title=Project"]),  # one named
        ("Name,\nAcme,\nBeta,\n", ["--column", "title=Name"]),  # its one name, then a comma
    ],
)
def test_a_file_of_one_column_keeps_its_first_line_as_its_header(
    cli, tmp_path, text: str, column: list[str]
) -> None:
    rows = written(tmp_path, "one.csv", text)
    report = cli.json("import", rows, *column, "--skip-invalid", "--dry-run")
    assert "title" not in report.get("left_out", {})
    assert report["imported"] >= 1


@pytest.mark.parametrize(
    "text",
    [
        "Acme big deal\nBeta,5000\nGamma,300\n",  # headerless: --no-header forgotten
        "Opportunity\nDeal A\nDeal B,5000\n",  # one column, a row cut at a comma
        '"Title, Value"\nAcme,5000\n',  # a header quoted whole
    ],
)
def test_a_row_under_a_first_line_of_one_cell_is_not_taken_for_the_header(
    cli, tmp_path, text: str
) -> None:
    """Only a line salespipe reads as a header is one under titles: a data row was,
    and the refusal then named it as "the file's header (Beta, 5000)" (a review)."""
    refused = cli("import", written(tmp_path, "one.csv", text), "--dry-run")
    assert refused.exit_code == 1
    assert "first line has a single cell" in refused.stderr


def test_a_deal_with_only_its_name_just_above_a_repeated_header_stays_a_deal(cli, tmp_path) -> None:
    """Two exports joined with `cat`: the last row of the first, with only its name,
    came right before the second's header and was dropped as a group title (a group's
    title stands after a blank line)."""
    rows = written(
        tmp_path,
        "joined.csv",
        "title,stage,value\nDeal A,Presented,100\nDeal B,,\ntitle,stage,value\nDeal C,Quoted,300\n",
    )
    report = cli.json("import", rows, "--dry-run")
    assert report["left_out"] == {"header": [4]}
    assert report["imported"] == 3


def test_a_reports_total_row_is_counted_as_left_out(cli, tmp_path) -> None:
    """A Thai sheet's total row (รวม) was left out without a word, so the rows read did
    not add up to the lines a user counts."""
    rows = written(
        tmp_path,
        "thai.csv",
        "\ufeffลำดับ,ชื่อดีล,ลูกค้า,มูลค่า,ขั้นตอน\n"
        "1,ระบบบัญชี,บริษัท ก,150000,ติดต่อนำเสนอ\n"
        "2,ระบบ ERP,บริษัท ข,250000,เสนอราคา\n"
        'รวม,,,"400,000",\n',
    )
    report = cli.json("import", rows, "--dry-run")
    assert report["rows"] == 2
    assert report["left_out"] == {"footer": [4]}
    said = " ".join(cli("--lang", "th", "import", rows, "--dry-run").stdout.split())
    assert "ข้ามแถวยอดรวมหรือท้ายรายงาน 1 แถว (บรรทัด 4)" in said


@pytest.mark.parametrize(
    "total",
    ['"3,000 บาท"', "3000 บาท", "0.003ล้าน", "3k", '"฿3,000.00"', '"3,000 baht"', "3000 thb"],
)
def test_a_thai_total_written_as_an_amount_is_left_out(cli, tmp_path, total: str) -> None:
    """A total whose sum was written with บาท or a unit, as its rows' amounts are, came
    in as an open deal "รวม" of the sum, doubling the pipeline (a trial)."""
    rows = written(
        tmp_path,
        "thai.csv",
        f'ชื่อดีล,ลูกค้า,มูลค่า\nเครื่องชั่ง,สหฟาร์ม,"1,000 บาท"\nเครื่องกรอง,ซีพี,"2,000 บาท"\nรวม,,{total}\n',
    )
    report = cli.json("import", rows, "--dry-run")
    assert (report["rows"], report["imported"]) == (2, 2)
    assert report["left_out"] == {"footer": [4]}


def test_a_thai_close_date_is_an_open_deals_expected_close(cli, tmp_path) -> None:
    """วันที่ปิด was read as the day a deal closed, so an open deal's date was dropped
    without a word; a Thai sheet means its expected close (a trial)."""
    rows = written(
        tmp_path,
        "thai.csv",
        "ชื่อดีล,ลูกค้า,มูลค่า,วันที่ปิด,สถานะ\n"
        "เครื่องชั่ง,สหฟาร์ม,1000,25/12/2569,\n"
        "เครื่องกรอง,ซีพี,2000,01/11/2569,won\n",
    )
    assert cli.json("import", rows)["imported"] == 2
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["เครื่องชั่ง"]["expected_close"] == "2026-12-25"
    assert deals["เครื่องกรอง"]["closed_at"].startswith("2026-11-01T")
    # beside a column of the day a deal should close, it is the day it closed (a review)
    both = written(
        tmp_path,
        "both.csv",
        "ชื่อดีล,มูลค่า,สถานะ,วันปิดการขาย,วันที่ปิด\n"
        "เอ,1000,,31/03/2568,\n"
        "บี,2000,won,31/03/2568,15/03/2568\n",
    )
    report = cli.json("import", both)
    assert "unread_columns" not in report
    deals = {d["title"]: d for d in cli.json("list", "--status", "all")}
    assert deals["เอ"]["expected_close"] == "2025-03-31"
    assert deals["บี"]["closed_at"].startswith("2025-03-15T")


def test_a_report_footer_cut_into_cells_is_still_a_footer(cli, tmp_path) -> None:
    """Unquoted, Salesforce's copyright line is several cells, and its total line has
    its sums beside it: both came in as deals ("Grand Totals (2 records)")."""
    report = written(
        tmp_path,
        "report.csv",
        "Opportunity Name,Stage,Amount\n"
        "Roof,Prospecting,100\n"
        "Door,Prospecting,200\n"
        "\n"
        "Grand Totals (2 records),,300\n"
        "\n"
        "Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.\n"
        "Confidential Information - Do Not Distribute\n",
    )
    assert cli.json("import", report, "--create-stages")["imported"] == 2
    assert _values(cli) == {"Roof": 100, "Door": 200}


def test_a_report_s_generated_by_line_and_the_lines_after_it_are_its_footer(cli, tmp_path) -> None:
    """A review: a report ending with "Generated By: …" and its company's name imported
    both lines as deals. They are left out and named; a one-cell deal before them stays."""
    report = written(
        tmp_path,
        "report.csv",
        "Opportunity Name,Stage,Amount\n"
        "Roof,Prospecting,100\n"
        "Door\n"
        "\n"
        '"Generated By:  Jane Doe  12/5/2024 10:04 AM"\n'
        '"Acme Inc."\n',
    )
    left = cli("import", report, "--create-stages", "--dry-run").stdout
    assert "Left out 2 total or footer rows of a report (lines 5, 6)." in left
    done = cli.json("import", report, "--create-stages")
    assert done["imported"] == 2
    assert sorted(_values(cli)) == ["Door", "Roof"]
    # (a review: a last deal "Generated by referral" with a value was left out)
    referred = written(
        tmp_path, "referred.csv", "Opportunity Name,Stage,Amount\nGenerated by referral,Won,900\n"
    )
    assert cli.json("import", referred)["imported"] == 1
