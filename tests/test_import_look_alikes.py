"""A team imports a new export every week (a re-import trial): rows without an id are
the deals imported before by what they hold, a new look-alike among them included; a
file whose columns changed keeps its deals, or the new deals that look like deals here
are named; a spreadsheet's shortened id is refused, not taken for a new deal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.checks import written

HEADER = "Title,Customer,Value,Stage\n"


def _deals(cli: Any) -> list[tuple[str, str, float]]:
    return sorted(
        (d["title"], d["customer"], d["value"]) for d in cli.json("list", "--status", "all")
    )


def test_a_new_look_alike_before_an_old_one_is_added_and_the_old_one_kept(
    cli: Any, tmp_path: Path
) -> None:
    """Keyed by place alone, the new 33,000 row took the old deal's key (skipped, so never
    imported) and the old row a new one (the deal twice), both without a word."""
    week1 = written(tmp_path, "w1.csv", HEADER + "Renewal 2027,Siam Foods,110500,Negotiation\n")
    week2 = written(
        tmp_path,
        "w2.csv",
        HEADER
        + "Renewal 2027,Siam Foods,33000,Qualification\n"
        + "Renewal 2027,Siam Foods,110500,Negotiation\n",
    )
    cli.json("import", week1, "--create-stages")
    report = cli.json("import", week2, "--create-stages")
    assert (report["imported"], report["duplicate_lines"]) == (1, [3])
    assert "look_alikes" not in report  # the deal it looks like is line 3's
    assert _deals(cli) == [
        ("Renewal 2027", "Siam Foods", 33000),
        ("Renewal 2027", "Siam Foods", 110500),
    ]
    again = cli.json("import", week2, "--create-stages")
    assert (again["imported"], again["duplicates"]) == (0, 2)


def test_look_alike_rows_are_paired_with_their_deals_by_value_then_in_order(
    cli: Any, tmp_path: Path
) -> None:
    """Three identical rows are three deals, a fourth adds one; reordered look-alikes
    with different values add nothing."""
    rows = ["Support,Acme,1000,Proposal\n", "Support,Acme,2000,Proposal\n"]
    cli.json("import", written(tmp_path, "a.csv", HEADER + "".join(rows)), "--create-stages")
    reordered = written(tmp_path, "b.csv", HEADER + "".join(reversed(rows)))
    assert cli.json("import", reordered)["imported"] == 0
    same = "Same,Acme,5,Proposal\n"
    assert cli.json("import", written(tmp_path, "c.csv", HEADER + same * 3))["imported"] == 3
    assert cli.json("import", written(tmp_path, "d.csv", HEADER + same * 4))["imported"] == 1
    assert [t for t, _c, _v in _deals(cli)].count("Same") == 4


def test_a_column_that_makes_the_sheet_another_crms_keeps_its_deals(
    cli: Any, tmp_path: Path
) -> None:
    """An "Organization" column added makes the sheet read as Pipedrive's: its rows' keys
    named another CRM, and every deal came in again."""
    week1 = written(tmp_path, "w1.csv", HEADER + "ERP rollout,Siam Foods,100000,Proposal\n")
    week2 = written(
        tmp_path,
        "w2.csv",
        "Title,Customer,Value,Stage,Organization\n"
        "ERP rollout,Siam Foods,100000,Proposal,Siam Foods\n",
    )
    cli.json("import", week1, "--create-stages")
    report = cli.json("import", week2, "--create-stages")
    assert (report["format"], report["imported"], report["duplicates"]) == ("Pipedrive", 0, 1)
    assert len(_deals(cli)) == 1


def test_new_deals_with_the_title_and_customer_of_deals_here_are_named(
    cli: Any, tmp_path: Path
) -> None:
    """A renamed customer column (or a contact column added, a customer in capitals)
    changes a row's key: the deal comes in again, and the import says which."""
    week1 = written(
        tmp_path,
        "w1.csv",
        HEADER + "ERP rollout,Siam Foods,100000,Proposal\nCCTV,Acme,5000,Proposal\n",
    )
    week2 = written(
        tmp_path,
        "w2.csv",
        "Title,Customer,Value,Stage,Contact\n"
        "ERP rollout,SIAM FOODS,100000,Proposal,Somchai\n"
        "CCTV,Globex,5000,Proposal,Nok\n"
        "Website,Acme,100,Proposal,Nok\n",
    )
    cli.json("import", week1, "--create-stages")
    report = cli.json("import", week2, "--create-stages")
    assert report["imported"] == 3
    assert report["look_alikes"] == [{"line": 2, "deal": 1}]  # Globex's CCTV is another deal
    undone = cli("undo")
    assert undone.exit_code == 0
    dry = cli("import", week2, "--create-stages", "--dry-run")
    assert "it would come in a second time." in dry.stderr
    printed = cli("import", week2, "--create-stages")
    assert printed.exit_code == 0
    assert (
        "Warning: 1 new deal has the title of a deal here, and its customer or none (line 2 "
        "like deal 1): if it is that deal under a key the file changed (a renamed or added "
        "column, a customer in other capitals), it came in a second time, and `salespipe "
        "undo` takes the import back." in printed.stderr
    )


def test_a_new_id_of_the_same_crm_is_no_look_alike(cli: Any, tmp_path: Path) -> None:
    """Two ids of one CRM are two deals by that CRM's word, however alike."""
    header = "Record ID,Deal Name,Deal Stage,Amount,Associated Company\n"
    week1 = written(tmp_path, "w1.csv", header + "1001,Renewal,Proposal,100,Acme\n")
    week2 = written(tmp_path, "w2.csv", header + "1002,Renewal,Proposal,100,Acme\n")
    cli.json("import", week1, "--create-stages")
    report = cli.json("import", week2, "--create-stages")
    assert report["imported"] == 1
    assert "look_alikes" not in report


def test_an_id_a_spreadsheet_shortened_is_refused_not_taken_for_a_new_deal(
    cli: Any, tmp_path: Path, snapshot_files: Any
) -> None:
    """Excel writes 12345678901 as 1.23457E+10: read as an id, it named no deal here,
    and the deal came in a second time."""
    header = "Record ID,Deal Name,Deal Stage,Amount,Associated Company\n"
    cli.json(
        "import",
        written(tmp_path, "h1.csv", header + "12345678901,ERP,Proposal,100,Acme\n"),
        "--create-stages",
    )
    before = snapshot_files()
    shortened = written(tmp_path, "h2.csv", header + "1.23457E+10,ERP,Proposal,100,Acme\n")
    refused = cli("import", shortened, "--create-stages")
    assert refused.exit_code == 1
    assert (
        'line 2, column Record ID "1.23457E+10": the id is a long number a spreadsheet shortened'
        in (refused.stderr)
    )
    assert snapshot_files() == before


PIPEDRIVE = (
    "Deal - ID,Deal - Title,Deal - Organization,Deal - Value,Deal - Currency,Deal - Stage,"
    "Deal - Status,Deal - Expected close date\n"
)


def test_rows_imported_before_that_say_otherwise_now_are_named_not_applied(
    cli: Any, tmp_path: Path
) -> None:
    """Week 2's export has a deal won and another's value and close date changed: they
    were skipped as imported before under one count, and the pipeline drifted from the
    CRM without a word. Each is named with what differs; nothing is changed."""
    week1 = written(
        tmp_path,
        "w1.csv",
        PIPEDRIVE
        + "1001,ERP,Siam Foods,100000,THB,Proposal Made,open,2026-12-31\n"
        + "1002,CCTV,Acme,5000,THB,Proposal Made,open,\n"
        + "1003,POS,Globex,7000,THB,Qualified,open,\n",
    )
    week2 = written(
        tmp_path,
        "w2.csv",
        PIPEDRIVE
        + "1001,ERP,Siam Foods,120000,THB,Qualified,open,2027-01-31\n"
        + "1002,CCTV,Acme,5000,THB,Proposal Made,won,\n"
        + "1003,POS,Globex,7000,THB,Qualified,open,\n",
    )
    cli.json("import", week1, "--create-stages")
    assert "differing" not in cli.json("import", week1)  # the same file: nothing to say
    before = cli.json("list", "--status", "all")
    report = cli.json("import", week2)
    assert report["differing"] == [
        {"line": 2, "deal": 1, "fields": ["value", "expected_close", "stage"]},
        {"line": 3, "deal": 2, "fields": ["status"]},
    ]
    assert cli.json("list", "--status", "all") == before
    printed = cli("import", week2)
    assert (
        "2 of them differ from their deals here now (line 2 (deal 1): value, close date, "
        "stage; line 3 (deal 2): status); where the file is right, change those with edit, "
        "move, won, lost or reopen, or import again with --update."
    ) in printed.stdout


def test_a_line_item_report_imported_again_says_no_value_differs(cli: Any, tmp_path: Path) -> None:
    """Each line's Total Price is not the deal's value (their sum is): compared with the
    deal, every line of a product report imported again would have said it differs."""
    report = written(
        tmp_path,
        "lines.csv",
        "Opportunity ID,Opportunity Name,Account Name,Stage,Close Date,Product Name,Total Price\n"
        "006A,ERP,Siam Foods,Proposal/Price Quote,2026-12-31,Licence,100\n"
        "006A,ERP,Siam Foods,Proposal/Price Quote,2026-12-31,Support,200\n",
    )
    cli.json("import", report, "--create-stages")
    again = cli.json("import", report)
    assert (again["duplicates"], "differing" in again) == (2, False)


def test_a_key_salespipes_own_csv_gives_is_kept_whatever_its_place(
    cli: Any, tmp_path: Path
) -> None:
    """Two exports pasted together repeat each deal's `source`: read as a look-alike
    pairing, the repeats were given new keys and doubled the deals without a word."""
    cli.json(
        "import",
        written(tmp_path, "a.csv", HEADER + "Support,Acme,1000,Proposal\n"),
        "--create-stages",
    )
    exported = tmp_path / "export.csv"
    assert cli("export", "-o", str(exported)).exit_code == 0
    lines = exported.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,")
    lines = [line.partition(",")[2] for line in lines]  # without the id: by source alone
    twice = written(tmp_path, "twice.csv", "\n".join([*lines, *lines[1:]]) + "\n")
    report = cli.json("import", twice)
    assert (report["imported"], report["duplicates"]) == (0, 2)


def test_a_look_alike_is_named_only_for_the_same_customer_or_a_row_without_one(
    cli: Any, tmp_path: Path
) -> None:
    """A deal typed without a customer, or a customer's name beginning another's ("S",
    "Siam"), is no reason to warn on a first import."""
    assert cli("add", "Website", "--value", "100").exit_code == 0
    assert cli("add", "Renewal", "--customer", "Siam").exit_code == 0
    sheet = written(
        tmp_path,
        "n.csv",
        HEADER
        + "Website,Acme,500,Proposal\n"
        + "Renewal,Siam Cement,1,Proposal\n"
        + "Renewal,S,3,Proposal\n"
        + "renewal, SIAM ,4,Proposal\n"
        + "Renewal,,5,Proposal\n",
    )
    report = cli.json("import", sheet, "--create-stages")
    assert report["look_alikes"] == [{"line": 5, "deal": 2}, {"line": 6, "deal": 2}]


@pytest.mark.parametrize(
    ("before", "options"),
    [
        (["pipeline", "add", "Renewals"], []),  # its stages have the same names
        ([], ["--stage-map", "Presented=quoted", "--stage-map", "Quoted=won"]),
        (["stage", "add", "Closed Won"], []),  # an open stage named as a CRM closes
    ],
    ids=["second-pipeline", "stage-map", "open-stage-named-closed-won"],
)
def test_a_file_imported_again_unchanged_differs_in_nothing(
    cli: Any, tmp_path: Path, before: list[str], options: list[str]
) -> None:
    """A stage name found in another pipeline, a label --stage-map maps, and an open
    stage named "Closed Won" each reported every deal of an unchanged file as differing
    (a review)."""
    assert cli("add", "Seed", "--customer", "X").exit_code == 0
    if before:
        assert cli(*before).exit_code == 0
    sheet = written(
        tmp_path,
        "p.csv",
        "title,customer,value,stage\n"
        "New A,A Co,1000,Quoted\n"
        "New B,B Co,2000,Presented\n"
        "New C,C Co,3000,Closed Won\n",
    )
    first = cli("import", sheet, "--create-stages", *options, "--json")
    assert first.exit_code == 0, first.stderr
    again = cli.json("import", sheet, *options)
    assert again["duplicates"] == 3
    assert "differing" not in again


def test_a_stage_named_in_the_other_language_is_compared_as_the_import_reads_it(
    cli: Any, tmp_path: Path
) -> None:
    """A Thai sheet's เสนอราคา is the English pipeline's Quoted on import; compared by
    name alone, a deal moved on since was not named (a code reading)."""
    assert cli("add", "Seed").exit_code == 0
    sheet = written(tmp_path, "th.csv", "title,customer,value,stage\nERP,Siam,100,เสนอราคา\n")
    cli.json("import", sheet)
    assert "differing" not in cli.json("import", sheet)
    assert cli("move", "2", "negotiating").exit_code == 0
    assert cli.json("import", sheet)["differing"] == [{"line": 2, "deal": 2, "fields": ["stage"]}]
