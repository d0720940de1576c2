"""Importing other CRMs' exports: Pipedrive, HubSpot, Salesforce, and spreadsheets,
with the quirks of real files (encodings, delimiters, prefixes, dates, footers)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from tests.checks import deals_by_title

from salespipe.app.pipeline import Pipeline

pytestmark = pytest.mark.usefixtures("each_backend")

FIXTURES = Path(__file__).parent / "fixtures"
# Exports written by real CRMs, kept outside the repository (they are other people's
# files): a folder of them named by SALESPIPE_REAL_EXPORTS, or these tests skip.
REAL_EXPORTS = Path(os.environ.get("SALESPIPE_REAL_EXPORTS") or "/nonexistent")
NO_REAL_EXPORTS = "SALESPIPE_REAL_EXPORTS names no folder of real exports"


def test_pipedrive_export_with_quoting_currencies_and_statuses(cli) -> None:
    """Every field quoted, "" inside a lost reason, Currency of Value, Open/Won/Lost."""
    report = cli.json("import", str(FIXTURES / "pipedrive-deals.csv"), "--create-stages")
    assert report["format"] == "Pipedrive"
    assert report["by_status"] == {"open": 2, "won": 1, "lost": 1}
    deals = deals_by_title(cli)
    racking = deals["Warehouse racking"]
    assert racking["customer"] == "Chao Phraya Logistics"
    assert racking["contact"] == "Somchai Deemak"
    assert racking["owner"] == "Nok Saelim"
    assert racking["tags"] == ["Hot"]
    assert racking["stage_name"] == "Proposal Made"
    assert racking["stage_entered_at"] == "2026-10-02T11:00:00+07:00"
    assert racking["source"] == "pipedrive:101"
    lease = deals["Forklift fleet lease"]
    assert (lease["value"], lease["currency"], lease["status"]) == (1200000.5, "THB", "won")
    assert lease["closed_at"] == "2026-08-20T16:30:00+07:00"
    assert lease["stage_name"] == "Negotiations Started"
    cold = deals["Cold room"]
    assert (cold["currency"], cold["status"]) == ("USD", "lost")
    assert cold["lost_reason"] == 'Chose the "cheaper" offer, said maybe next year'
    # Its Pipeline column is read: the row of "Renewals" goes into a pipeline of that name.
    assert "Annual service plan" not in deals
    assert report["new_pipelines"] == ["Renewals"]
    (renewal,) = cli.json("list", "--status", "all", "--pipeline", "renewals")
    assert renewal["title"] == "Annual service plan"
    assert renewal["probability"] == 80
    assert renewal["probability_override"] is None


def test_pipedrive_prefixed_headers(cli) -> None:
    """ "Deal - Title" headers are read; other entities' columns are ignored."""
    report = cli.json("import", str(FIXTURES / "pipedrive-prefixed.csv"), "--create-stages")
    assert report["format"] == "Pipedrive"
    deals = deals_by_title(cli)
    assert deals["Backup generator"]["status"] == "won"
    assert deals["Backup generator"]["closed_at"] == "2026-10-30T17:00:00+07:00"
    assert deals["Solar rooftop"]["contact"] == "Pim Chai"
    assert deals["Solar rooftop"]["source"] == "pipedrive:7"


def test_pipedrive_in_french_with_semicolons_and_decimal_commas(cli) -> None:
    """ "Affaire - " prefix, ';' delimiter, "12 500,50", day-first dates, Ouvert/Perdu."""
    cli("import", str(FIXTURES / "pipedrive-french.csv"), "--create-stages")
    deals = deals_by_title(cli)
    bread = deals["Pains pour la cantine"]
    assert (bread["value"], bread["currency"]) == (12500.5, "EUR")
    assert bread["created_at"] == "2026-09-03T09:30:00+07:00"
    assert bread["expected_close"] == "2026-11-15"
    assert bread["contact"] == "Claire Durand"
    ovens = deals["Fours à sole"]
    assert (ovens["status"], ovens["lost_reason"]) == ("lost", "Trop cher")
    keys = [s["key"] for s in cli.json("stage", "list")]
    assert "negociation" in keys


def test_pipedrive_in_czech(cli) -> None:
    """ "Obchod - Název" and "Obchod - Měna hodnoty" are Pipedrive's title and currency."""
    cli("import", str(FIXTURES / "pipedrive-czech.csv"), "--create-stages")
    deal = cli.json("list")[0]
    assert (deal["title"], deal["value"], deal["currency"]) == ("Dodávka regálů", 99000, "CZK")
    assert deal["customer"] == "Sklady Brno"
    assert deal["stage_name"] == "Kvalifikace"


def test_hubspot_closing_comes_from_stage_labels(cli) -> None:
    """Closed: won/lost close the deal; Close Date is when; the owner's suffix is dropped."""
    report = cli.json(
        "import",
        str(FIXTURES / "hubspot-deals.csv"),
        "--create-stages",
        "--stage-map",
        "Closed: abandoned=lost",
    )
    assert report["format"] == "HubSpot"
    deals = deals_by_title(cli)
    assert "Website redesign – phase 2" in deals  # trailing spaces gone, en dash kept
    helpdesk = deals["Helpdesk, 20 seats"]
    assert (helpdesk["status"], helpdesk["owner"]) == ("won", "bob@example.com")
    assert helpdesk["closed_at"] == "2026-09-30T15:00:00+07:00"
    # the pipeline's last stage of a known probability: not "Presentation scheduled",
    # put after the others as the file gives it none
    assert helpdesk["stage"] == "approved"
    migration = deals["Data migration"]
    assert (migration["status"], migration["value"]) == ("lost", 0)
    assert migration["lost_reason"] == "Budget moved to next year"
    assert migration["stage"] == "presented"
    follow_up = deals["Intro call follow-up"]
    assert (follow_up["status"], follow_up["stage"]) == ("open", "presented")


def test_hubspot_abandoned_stage_must_be_mapped(cli) -> None:
    """A closing label salespipe cannot read stops the import and is guessed as lost."""
    result = cli("import", str(FIXTURES / "hubspot-deals.csv"), "--create-stages")
    assert result.exit_code == 1
    assert "--stage-map 'Closed: abandoned=lost'" in result.stderr


def test_salesforce_report_with_footer_and_dollar_amounts(cli) -> None:
    """Report exports: "$48,000.00", month-first dates, footer lines ignored."""
    report = cli.json("import", str(FIXTURES / "salesforce-report.csv"), "--create-stages")
    assert (report["format"], report["rows"]) == ("Salesforce report", 3)
    deals = deals_by_title(cli)
    dock = deals["Dock scheduling"]
    assert (dock["value"], dock["currency"], dock["status"]) == (48000, "USD", "won")
    assert dock["closed_at"] == "2026-09-30T23:59:59+07:00"
    assert dock["created_at"] == "2026-07-01T00:00:00+07:00"
    assert dock["customer"] == "Bangna Ports"
    assert dock["owner"] == "Dana Lee"
    assert deals["Fleet telematics"]["expected_close"] == "2026-12-31"


def test_misplaced_thousands_separators_are_refused_and_skipped_with_their_cell(cli) -> None:
    """ "1,2,00.00", "5,00.00" and "12,34.50" were imported as 1,200, 500 and 1,234.50
    with no word (a trial): a typo became a smaller amount. They are refused as
    `add --value` refuses them, nothing imported; --skip-invalid skips and names them."""
    path = str(FIXTURES / "salesforce-misgrouped-amounts.csv")
    cli("init")
    refused = cli("import", path, "-m", "Proposal=Quoted")
    assert refused.exit_code == 1
    assert "4 rows of salesforce-misgrouped-amounts.csv cannot be imported" in refused.stderr
    for line, cell in [(2, "1,2,00.00"), (3, "5,00.00"), (4, "12,34.50"), (5, "1,2,00")]:
        assert (
            f'line {line}, column Amount "{cell}": The amount "{cell}" has misplaced '
            "thousands separators; a comma goes before each three digits (150,000)"
        ) in refused.stderr
    assert cli.json("list", "--status", "all") == []
    skipped = cli("import", path, "-m", "Proposal=Quoted", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.stderr
    assert skipped.stderr.count("Warning: skipped line") == 4
    assert 'skipped line 3, column Amount "5,00.00": The amount "5,00.00" has misplaced' in (
        skipped.stderr
    )
    deals = deals_by_title(cli)
    assert list(deals) == ["Lobby furniture"]
    assert deals["Lobby furniture"]["value"] == 1234567.89


def test_a_reports_total_row_goes_with_its_footer(cli, tmp_path: Path) -> None:
    """A report's "Total" row (the sum, no Opportunity Name) is no deal: dropped with
    the footer after it, not refused as a row without a title."""
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Amount Currency\n"
        'Jane Doe,Acme,Acme widgets,Prospecting,"12,500.00",USD\n'
        'Bob Smith,Initech,Initech pilot,Closed Lost,"5,000.00",USD\n'
        ",,,,,\n"
        'Total,,,,"17,500.00",\n'
        "Grand Totals (2 records)\n\n"
        "Confidential Information - Do Not Distribute\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(path), "--create-stages")
    assert (report["rows"], report["imported"], report["problems"]) == (2, 2, [])
    assert sorted(deals_by_title(cli)) == ["Acme widgets", "Initech pilot"]


def test_a_total_row_among_deals_is_left_out_and_a_row_without_title_refused(
    cli, tmp_path: Path
) -> None:
    """A total row (its first cell says so, the rest are sums) is no deal wherever it
    stands, as a report's group subtotals; a row without a title is never dropped."""
    path = tmp_path / "report.csv"
    path.write_text(
        "Opportunity Owner,Opportunity Name,Stage,Amount\n"
        "Jane,A,Prospecting,1\nTotal,,,1\nJane,B,Prospecting,2\nJane,,Prospecting,3\n",
        encoding="utf-8",
    )
    cli("init")  # a named data file must exist before it is read
    result = cli("import", str(path), "--create-stages")
    assert result.exit_code == 1
    assert "1 row of report.csv cannot be imported" in result.stderr
    assert "line 5, column Opportunity Name: the title is empty" in result.stderr
    report = cli.json("import", str(path), "--create-stages", "--skip-invalid")
    assert report["left_out"] == {"footer": [3]}
    assert sorted(deals_by_title(cli)) == ["A", "B"]


def test_utf16_tab_separated_spreadsheet_with_thai(cli, thai_pipeline) -> None:
    """UTF-16 with BOM, tabs, Thai stage names matching a Thai pipeline, ฿ amounts."""
    cli("init", "--lang", "th")
    report = cli.json("import", str(FIXTURES / "spreadsheet-utf16.csv"))
    assert report["imported"] == 2
    deals = deals_by_title(cli)
    erp = deals["ระบบบัญชี ERP"]
    assert (erp["customer"], erp["value"], erp["stage"]) == ("บริษัท สยามฟู้ดส์ จำกัด", 1500000, "quoted")
    assert erp["owner"] == "สมศรี"
    assert deals["กล้องวงจรปิด"]["value"] == 85000
    assert deals["กล้องวงจรปิด"]["currency"] == "THB"


def test_spreadsheet_symbols_separators_serial_dates_and_buddhist_years(cli) -> None:
    """฿ and "USD"/"EUR" codes, "3 400.50", Excel serial 46387, year 2569 = 2026."""
    cli("import", str(FIXTURES / "spreadsheet-values.csv"))
    deals = deals_by_title(cli)
    fleet = deals["Printer fleet"]
    assert (fleet["value"], fleet["currency"], fleet["expected_close"]) == (
        1250000,
        "THB",
        "2026-12-31",
    )
    labels = deals["Label printers"]
    assert (labels["value"], labels["currency"], labels["expected_close"]) == (
        3400.5,
        "USD",
        "2026-12-31",
    )
    assert labels["created_at"] == "2026-10-02T14:00:00+07:00"
    toner = deals["Toner contract"]
    assert (toner["value"], toner["currency"]) == (12000, "EUR")
    assert toner["created_at"] == "2025-10-20T00:00:00+07:00"


def test_currency_option_for_files_without_one(cli) -> None:
    """--currency sets the currency of amounts the file does not name."""
    cli(
        "import",
        str(FIXTURES / "hubspot-deals.csv"),
        "--create-stages",
        "--stage-map",
        "Closed: abandoned=lost",
        "--currency",
        "usd",
    )
    assert {d["currency"] for d in cli.json("list", "--status", "all")} == {"USD"}


def test_ambiguous_slash_dates_need_an_order(cli) -> None:
    """03/04/2026 is refused with the fix; --dates dmy reads it as 3 April."""
    refused = cli("import", str(FIXTURES / "ambiguous-dates.csv"))
    assert refused.exit_code == 1
    assert "add --dates dmy or --dates mdy" in refused.stderr
    assert cli("import", str(FIXTURES / "ambiguous-dates.csv"), "--dates", "dmy").exit_code == 0
    assert deals_by_title(cli)["First"]["expected_close"] == "2026-04-03"


def test_not_utf8_names_the_encoding_option(cli, tmp_path: Path) -> None:
    """A Western Windows file (cp1252) is refused with --encoding as the fix, then read
    with it; read as Thai Windows' code page, its José would have been "Jos้"."""
    path = tmp_path / "western.csv"
    path.write_bytes("title,customer\nCafé machine,José à la carte\n".encode("cp1252"))
    refused = cli("import", str(path))
    assert refused.exit_code == 1
    assert "--encoding" in refused.stderr
    assert cli("import", str(path), "--encoding", "cp1252").exit_code == 0
    assert deals_by_title(cli)["Café machine"]["customer"] == "José à la carte"


def test_a_thai_windows_file_is_read_as_such_and_said(cli, tmp_path: Path) -> None:
    """A sheet saved by Excel on Thai Windows (cp874) was refused until --encoding cp874
    was given (a Thai trial); it is read as that, and the report says so."""
    path = tmp_path / "thai.csv"
    path.write_bytes("ชื่อดีล,ลูกค้า\nกล้อง,บริษัท น้ำใส จำกัด\n".encode("cp874"))
    imported = cli("import", str(path))
    assert imported.exit_code == 0, imported.stderr
    assert "Read as Thai Windows text (cp874), as it is not UTF-8" in imported.stdout
    assert deals_by_title(cli)["กล้อง"]["customer"] == "บริษัท น้ำใส จำกัด"
    again = cli.json("import", str(path), "--dry-run")
    assert again["encoding"] == "cp874"
    named = cli.json("import", str(path), "--dry-run", "--encoding", "cp874")
    assert "encoding" not in named  # (given, not guessed)


def test_salesforce_closed_stage_names_need_no_map(cli, tmp_path: Path) -> None:
    """IsClosed/IsWon decide the outcome; a closed deal's own stage name needs no map."""
    path = tmp_path / "sf.csv"
    path.write_text(
        "Id,Name,StageName,Amount,IsClosed,IsWon,CloseDate,CreatedDate\n"
        "006A,Alpha,Closed - Paid,100,1,1,2026-05-01,2026-01-01T00:00:00.000+0000\n"
        "006B,Beta,Closed - Gone,200,1,,2026-05-02,2026-01-01T00:00:00.000+0000\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(path))
    assert report["by_status"] == {"open": 0, "won": 1, "lost": 1}


def test_salesforce_deleted_records_are_invalid_rows(cli, tmp_path: Path) -> None:
    """IsDeleted=1 rows are reported, not imported."""
    path = tmp_path / "sf.csv"
    path.write_text(
        "Id,IsDeleted,Name,StageName\n006A,1,Gone,Prospecting\n006B,,Here,Prospecting\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(path), "--skip-invalid", "--create-stages")
    assert report["imported"] == 1
    assert report["problems"][0]["reason"] == "the record is deleted"


def test_salesforce_record_ids_are_not_read_as_customer_and_owner(cli) -> None:
    """A raw Opportunity export gives the account and owner only as record ids (AccountId,
    OwnerId): they were read as the customer and owner without a word (a trial), so
    `list --owner NAME` left out a rep's imported deals and `winrate --by owner` listed
    ids. They are left unread and named, with how to give names."""
    path = str(FIXTURES / "crm" / "salesforce-opportunity-ids.csv")
    printed = cli("import", path, "--create-stages", "--dry-run")
    assert printed.exit_code == 0, printed.stderr
    assert (
        'Not read: the columns "AccountId" (customer), "OwnerId" (owner), which hold '
        "Salesforce record ids, not names; a Salesforce report gives the names (Account Name, "
        'Opportunity Owner), or --column owner=OwnerId --map "owner:ID=NAME" reads each id '
        "as the name given." in printed.stdout
    )
    assert "3 deals without an owner: " in printed.stdout
    report = cli.json("import", path, "--create-stages")
    assert report["ids_not_read"] == {"customer": "AccountId", "owner": "OwnerId"}
    assert {"AccountId", "OwnerId"} <= set(report["unread_columns"])
    importer = report["filled"]["owner"]
    assert importer["count"] == 3
    deals = deals_by_title(cli).values()
    assert {(d["customer"], d["owner"]) for d in deals} == {("", importer["value"])}


def test_the_keys_of_the_import_json_are_in_import_md(cli) -> None:
    """A script reads the report by its keys: each is named in docs/import.md, the one
    naming the columns of ids in its key table."""
    path = str(FIXTURES / "crm" / "salesforce-opportunity-ids.csv")
    report = cli.json("import", path, "--create-stages", "--dry-run")
    docs = (Path(__file__).parents[1] / "docs" / "import.md").read_text(encoding="utf-8")
    table = docs.partition("## The report as JSON")[2].partition("\n## ")[0]
    assert "| `ids_not_read` |" in table
    plain = {"file", "format", "dry_run", "restored"}  # said by their names
    assert {key for key in report if f"`{key}`" not in docs} - plain == set()


def test_salesforce_owner_ids_read_by_hand_take_the_names_mapped_to_them(cli) -> None:
    """--column owner=OwnerId with --map, as the import's line says: each id a name."""
    path = str(FIXTURES / "crm" / "salesforce-opportunity-ids.csv")
    report = cli.json(
        "import",
        path,
        "--create-stages",
        "--column",
        "owner=OwnerId",
        "--map",
        "owner:005Tq00000BX3pLIAT=Pim Srisuk",
        "--map",
        "owner:005Tq00000BX3pMIAT=Somchai Jaidee",
    )
    assert report["ids_not_read"] == {"customer": "AccountId"}
    mine = cli.json("list", "--owner", "Pim Srisuk", "--status", "all")
    assert sorted(d["title"] for d in mine) == [
        "Doi Chang Cafe - chairs",
        "Riverside Hotel - 40 teak beds",
    ]


REAL_FILES = [
    # file, rows, (open, won, lost), a title, its amount
    (
        "salesforce-opportunity-SFDC-Assets-gen-ai-demo.csv",
        58,
        (24, 34, 0),
        "Acme - 1,200 Widgets (Sample)",
        110000,
    ),
    (
        "salesforce-opportunity-SFDC-Assets-data-cloud-workshop.csv",
        50,
        (35, 12, 3),
        "Patterson-Hansen - Merchant Services - November 2024",
        1124741.15,
    ),
    (
        "salesforce-opportunity-stomita-salesforce-migration-app-pack-first200.csv",
        200,
        (72, 106, 22),
        "System Assessment",
        24710,
    ),
]


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason=NO_REAL_EXPORTS)
@pytest.mark.parametrize(("name", "rows", "statuses", "title", "amount"), REAL_FILES)
def test_real_salesforce_exports_import(
    cli,
    db_path: Path,
    name: str,
    rows: int,
    statuses: tuple[int, int, int],
    title: str,
    amount: float,
) -> None:
    """Each real Salesforce dump imports whole: every record, with status from IsClosed/IsWon."""
    path = REAL_EXPORTS / name
    report = cli.json("import", str(path), "--create-stages", "--currency", "USD")
    assert (report["rows"], report["imported"], report["problems"]) == (rows, rows, [])
    assert tuple(report["by_status"].values()) == statuses
    found = [d for d in cli.json("list", "--status", "all") if d["title"] == title]
    assert amount in {d["value"] for d in found}
    assert found[0]["source"].startswith("salesforce:006")
    # AccountId and OwnerId hold record ids, no names: neither became a customer or owner
    assert report["ids_not_read"] == {"customer": "AccountId", "owner": "OwnerId"}
    assert not {d["customer"] for d in found} - {""}
    assert cli.json("import", str(path), "--create-stages")["duplicates"] == rows
    events = Pipeline.open(db_path).read().events()
    assert sum(1 for e in events if e.type == "add") == rows


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason=NO_REAL_EXPORTS)
def test_real_salesforce_descriptions_become_notes(cli, db_path: Path) -> None:
    """Description and NextStep are kept as notes; escaped quotes come out right."""
    cli("import", str(REAL_EXPORTS / REAL_FILES[2][0]), "--create-stages")
    notes = [e.text or "" for e in Pipeline.open(db_path).read().events() if e.type == "note"]
    assert any('Requires "super users" to learn' in n for n in notes)
    assert "Next step: Closed Won.  Paperwork attached." in notes


def test_a_row_a_stage_map_closes_is_closed_when_it_was_created(cli, tmp_path: Path) -> None:
    """A trial: `-m Signed=won` on a Pipedrive row whose Status says Open closed it at the
    moment of the import, and the summary counted only the other deal closed without a
    date. Both are closed at their creation date, and both are counted."""
    path = tmp_path / "deals.csv"
    path.write_text(
        '"ID","Title","Value","Currency of Value","Stage","Status","Deal created"\n'
        '"1","A","10","THB","Signed","Open","2026-03-01 10:00:00"\n'
        '"2","B","20","THB","Signed","Won","2026-03-01 10:00:00"\n',
        encoding="utf-8",
    )
    report = cli.json("import", str(path), "--stage-map", "Signed=won")
    assert report["by_status"] == {"open": 0, "won": 2, "lost": 0}
    assert report["filled"]["closed_at"]["from_created"] == 2
    closed = {title: deal["closed_at"] for title, deal in deals_by_title(cli).items()}
    assert closed == {"A": "2026-03-01T10:00:00+07:00", "B": "2026-03-01T10:00:00+07:00"}


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason=NO_REAL_EXPORTS)
def test_real_salesforce_stages_are_suggested_in_the_funnels_order(cli) -> None:
    """The suggestion for each real dump: its labels in Salesforce's order (the file's
    own where Salesforce has no such default) go to stages in the pipeline's order."""
    funnel = ["Presented", "Considering", "Quoted", "Negotiating", "Approved"]
    salesforce = [
        "Prospecting|Qualification|Needs Analysis|Value Proposition|Id. Decision Makers",
        "Perception Analysis|Proposal/Price Quote|Negotiation/Review",
    ]
    expected = {
        REAL_FILES[0][0]: "Qualification|Needs Analysis|Proposal|Negotiation",
        REAL_FILES[1][0]: "Qualification|Discovery|Proposal/Quote|Negotiation",
        REAL_FILES[2][0]: "|".join(salesforce),
    }
    for name, order in expected.items():
        refused = cli("import", str(REAL_EXPORTS / name))
        suggestion = refused.stderr.strip().splitlines()[-1].strip()
        suggested = dict(e.rpartition("=")[::2] for e in shlex.split(suggestion)[1::2])
        places = [funnel.index(suggested[label]) for label in order.split("|")]
        assert places == sorted(places), (name, suggested)
