"""Zoho CRM, Dynamics 365, Odoo and Bitrix24 exports, recognised by their headers, and
each CRM's default stages created in its own order (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.checks import deals_by_title, written

from salespipe.app.pipeline import Pipeline

CRM = Path(__file__).parent / "fixtures" / "crm"


def _new_stages(cli, before: list[str]) -> list[tuple[str, int]]:
    return [
        (s["name"], s["probability"]) for s in cli.json("stage", "list") if s["key"] not in before
    ]


def test_zoho_deals_with_dollar_amounts_and_named_month_times(cli) -> None:
    report = cli.json("import", str(CRM / "zoho-deals.csv"), "--create-stages")
    assert report["format"] == "Zoho CRM"
    assert (report["rows"], report["imported"], report["problems"]) == (9, 9, [])
    assert report["by_status"] == {"open": 6, "won": 1, "lost": 2}
    deals = deals_by_title(cli)
    fit_out = deals["Benton Office Fit-out"]
    assert (fit_out["value"], fit_out["currency"]) == (22700, "USD")
    assert (fit_out["owner"], fit_out["customer"], fit_out["contact"]) == (
        "Kris Marrier",
        "Benton",
        "John Butt",
    )
    assert fit_out["created_at"] == "2021-04-15T00:02:00+07:00"
    assert fit_out["expected_close"] == "2021-05-30"
    assert fit_out["source"] == "zoho:zcrm_4150868000000224005"
    renewal = deals["Chemel Renewal"]
    assert (renewal["status"], renewal["closed_at"]) == ("won", "2021-04-28T23:59:59+07:00")
    assert deals["Dorothy Fleet"]["status"] == "lost"  # Closed-Lost to Competition, no -m


def test_zoho_stages_are_created_in_zohos_order_with_its_probabilities(cli) -> None:
    cli("init")  # a named data file must exist before it is read
    before = [s["key"] for s in cli.json("stage", "list")]
    cli.json("import", str(CRM / "zoho-deals.csv"), "--create-stages")
    assert _new_stages(cli, before) == [
        ("Qualification", 10),
        ("Needs Analysis", 20),
        ("Value Proposition", 40),
        ("Id. Decision Makers", 60),
        ("Proposal/Price Quote", 75),
        ("Negotiation/Review", 90),
    ]


def test_stages_that_are_not_a_crms_defaults_come_in_file_order_not_by_count(
    cli, tmp_path: Path
) -> None:
    path = tmp_path / "custom.csv"
    path.write_text(
        "Deal Name,Stage,Amount\nA,Site visit,1\nB,Pitch,1\nC,Pitch,1\nD,Pitch,1\nE,Trial,1\n",
        encoding="utf-8",
    )
    cli("init")  # a named data file must exist before it is read
    before = [s["key"] for s in cli.json("stage", "list")]
    cli.json("import", str(path), "--create-stages")
    assert [name for name, _p in _new_stages(cli, before)] == ["Site visit", "Pitch", "Trial"]


def test_a_crms_own_stages_come_in_its_order_before_the_files_others(cli, tmp_path: Path) -> None:
    """A Salesforce file whose first rows are its latest deals, without probabilities
    (with them, each goes where its probability puts it): Qualification and Needs
    Analysis (Salesforce's own) come first in Salesforce's order, then Negotiation and
    Proposal (this org's) as the file first shows them, not the funnel backwards."""
    path = tmp_path / "sf.csv"
    path.write_text(
        "Id,Name,StageName\n006A,A,Negotiation\n006B,B,Needs Analysis\n"
        "006C,C,Proposal\n006D,D,Qualification\n006E,E,Negotiation\n",
        encoding="utf-8",
    )
    cli("init")  # a named data file must exist before it is read
    before = [s["key"] for s in cli.json("stage", "list")]
    report = cli.json("import", str(path), "--create-stages")
    expected = [
        ("Qualification", 10),
        ("Needs Analysis", 20),
        ("Negotiation", 50),
        ("Proposal", 50),
    ]
    assert _new_stages(cli, before) == expected
    assert report["new_stages"] == [name for name, _p in expected]


def test_dynamics_opportunities_with_currency_names_and_status(cli) -> None:
    path = str(CRM / "dynamics-opportunities.csv")
    report = cli.json("import", path, "--create-stages")
    assert report["format"] == "Dynamics 365"
    assert (report["imported"], report["problems"]) == (6, [])
    assert report["by_status"] == {"open": 3, "won": 2, "lost": 1}
    deals = cli.json("list", "--status", "all")
    cooling = [d for d in deals if d["title"] == "Server room cooling"]
    assert sorted(d["value"] for d in cooling) == [18000, 22700, 22700]  # look-alikes kept
    by_title = {d["title"]: d for d in deals}
    pos = by_title["Bangkok branch POS"]
    assert (pos["value"], pos["currency"], pos["status"]) == (150000, "THB", "won")
    assert pos["created_at"] == "2021-03-02T14:30:00+07:00"
    assert pos["closed_at"] == "2021-04-28T23:59:59+07:00"
    scanners = by_title["Warehouse scanners"]
    assert (scanners["currency"], scanners["status"]) == ("EUR", "lost")
    assert scanners["lost_reason"] == "Out-Sold"
    assert by_title["Kiosk pilot"]["closed_at"] == "2021-04-20T00:00:00+07:00"
    assert cli.json("import", path, "--create-stages")["duplicates"] == 6


def test_dynamics_sales_stages_in_dynamics_order(cli) -> None:
    cli("init")  # a named data file must exist before it is read
    before = [s["key"] for s in cli.json("stage", "list")]
    cli.json("import", str(CRM / "dynamics-opportunities.csv"), "--create-stages")
    assert [name for name, _p in _new_stages(cli, before)] == ["Develop", "Propose", "Close"]


def test_odoo_leads_with_xml_ids_notes_and_archived_lost(cli, db_path: Path) -> None:
    report = cli.json("import", str(CRM / "odoo-crm-lead.csv"), "--create-stages")
    assert report["format"] == "Odoo"
    assert report["by_status"] == {"open": 2, "won": 1, "lost": 1}
    deals = deals_by_title(cli)
    chairs = deals["Office chairs for Deco Addict"]
    assert chairs["source"] == "odoo:__export__.crm_lead_17_5f1e2a3b"
    assert chairs["id"] == 1  # a source id, never taken as ours
    assert (chairs["customer"], chairs["contact"], chairs["value"]) == (
        "Deco Addict",
        "Douglas Fletcher",
        12000,
    )
    assert chairs["expected_close"] == "2021-06-30"
    assert deals["Distributor contract"]["status"] == "won"
    assert deals["Need 20 desks"]["status"] == "lost"
    notes = [e.text for e in Pipeline.open(db_path).read().events() if e.type == "note"]
    # Odoo's editor writes HTML: a note is its text (it was "<p>…</p>")
    assert notes == [
        "Wants 40 chairs.\nSamples first, then the order.",
        "Call back Monday\nPrice & terms first",
    ]


def test_odoo_export_with_field_labels_is_odoo(cli, tmp_path: Path) -> None:
    """Odoo's default export (not "import-compatible") heads its columns with the
    fields' labels and writes names, percentages and month-first dates."""
    path = tmp_path / "crm.lead.csv"
    path.write_text(
        "Opportunity,Customer,Contact Name,Email,Expected Revenue,Probability,Stage,"
        "Salesperson,Expected Closing,Created on,Last Updated on,Closed Date,Tags,"
        "Lost Reason,Active\n"
        'Office chairs,Deco Addict,Douglas Fletcher,d@example.com,"12,000.00",60%,'
        "Proposition,Mitchell Admin,12/20/2026,10/01/2026 09:00:00,10/05/2026 10:00:00,,"
        '"Product,Services",,True\n'
        'Desks,Azure Interior,,,"4,500.50",100%,Won,Mitchell Admin,06/20/2026,'
        "03/01/2026 09:00:00,06/20/2026 16:00:00,06/20/2026 16:00:00,,,True\n"
        "Lamps,Gemini,,,800.00,0%,Qualified,Marc Demo,06/20/2026,03/01/2026 09:00:00,,,,"
        "Too expensive,False\n",
        encoding="utf-8",
    )
    report = cli.json("import", str(path), "--create-stages")
    assert report["format"] == "Odoo"
    assert (report["imported"], report["problems"]) == (3, [])
    assert report["by_status"] == {"open": 1, "won": 1, "lost": 1}
    # Lamps is archived: lost, in the stage it was lost in (it was lost in the first
    # stage, and Qualified was never made)
    assert report["new_stages"] == ["Qualified", "Proposition"]
    lamps = deals_by_title(cli)["Lamps"]
    assert (lamps["status"], lamps["stage_name"]) == ("lost", "Qualified")
    chairs = deals_by_title(cli)["Office chairs"]
    assert (chairs["customer"], chairs["contact"], chairs["owner"]) == (
        "Deco Addict",
        "Douglas Fletcher",
        "Mitchell Admin",
    )
    assert (chairs["value"], chairs["probability"], chairs["stage_name"]) == (
        12000,
        60,
        "Proposition",
    )
    assert (chairs["expected_close"], chairs["tags"]) == ("2026-12-20", ["Product", "Services"])
    assert chairs["created_at"] == "2026-10-01T09:00:00+07:00"
    assert deals_by_title(cli)["Lamps"]["lost_reason"] == "Too expensive"


def test_a_sheet_headed_opportunity_and_stage_alone_is_not_taken_for_odoo(
    cli, tmp_path: Path
) -> None:
    """Odoo's labels are told by Salesperson, Expected Revenue or Expected Closing: a
    sheet of one's own with an Opportunity and a Stage column is still read by hand."""
    path = tmp_path / "mine.csv"
    path.write_text("Opportunity,Stage,Amount\nA,Lead,1\n", encoding="utf-8")
    cli("init")  # a named data file must exist before it is read
    refused = cli("import", str(path))
    assert refused.exit_code == 1
    assert "is not one salespipe knows" in refused.stderr
    report = tmp_path / "report.csv"  # a Salesforce report has an Expected Revenue too
    report.write_text(
        "Opportunity Name,Stage,Amount,Expected Revenue,Opportunity Owner\n"
        "A,Prospecting,10,1,Jane\n",
        encoding="utf-8",
    )
    assert cli.json("import", str(report), "-n", "--create-stages")["format"] == (
        "Salesforce report"
    )


def test_bitrix24_deals_with_stage_ids_closed_flag_and_offsets(cli) -> None:
    report = cli.json("import", str(CRM / "bitrix24-deals.csv"), "--create-stages")
    assert report["format"] == "Bitrix24"
    assert (report["imported"], report["problems"]) == (6, [])
    assert report["by_status"] == {"open": 4, "won": 1, "lost": 1}
    deals = deals_by_title(cli)
    conditioners = deals["Поставка кондиционеров"]
    assert (conditioners["value"], conditioners["currency"]) == (250000, "RUB")
    assert conditioners["created_at"] == "2021-04-15T14:20:30+07:00"  # +03:00 read
    assert conditioners["stage_name"] == "New"
    assert deals["Second pipeline lead"]["stage"] == conditioners["stage"]  # C1:NEW is New
    licence = deals["Annual licence"]
    assert (licence["status"], licence["source"]) == ("won", "bitrix24:103")
    assert deals["Office move"]["status"] == "lost"
    assert deals["Server rack for Orion"]["value"] == 1200.5


def test_bitrix24_stages_in_bitrix_order(cli) -> None:
    cli("init")  # a named data file must exist before it is read
    before = [s["key"] for s in cli.json("stage", "list")]
    cli.json("import", str(CRM / "bitrix24-deals.csv"), "--create-stages")
    names = [name for name, _p in _new_stages(cli, before)]
    assert names == ["New", "Preparing documents", "In progress"]


def test_bitrix24_russian_closing_stages_need_no_map(cli) -> None:
    report = cli.json("import", str(CRM / "bitrix24-names.csv"))
    assert report["by_status"] == {"open": 0, "won": 1, "lost": 2}


def test_hubspot_internal_stage_ids_get_hubspots_names_order_and_probabilities(
    cli, tmp_path: Path
) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Amount\n1,A,contractsent,5\n2,B,appointmentscheduled,5\n"
        "3,C,closedwon,5\n",
        encoding="utf-8",
    )
    cli("init")  # a named data file must exist before it is read
    before = [s["key"] for s in cli.json("stage", "list")]
    report = cli.json("import", str(path), "--create-stages")
    assert report["by_status"] == {"open": 2, "won": 1, "lost": 0}
    assert _new_stages(cli, before) == [("Appointment Scheduled", 20), ("Contract Sent", 90)]


def test_dynamics_hidden_guid_column_is_the_source(cli, tmp_path: Path) -> None:
    """An export from Dynamics' own Excel button keeps "(Do Not Modify)" columns."""
    path = tmp_path / "dynamics.csv"
    path.write_bytes(
        "\ufeff(Do Not Modify) Opportunity,(Do Not Modify) Row Checksum,"
        "(Do Not Modify) Modified On,Topic,Status,Est. revenue,Currency\r\n"
        "9f2c1e4a-0b5d-eb11-a812-000d3a8b2c1f,abc=,2021-04-16T09:00:00Z,Lease,Open,"
        '"1,000.00",Thai Baht\r\n'.encode()
    )
    report = cli.json("import", str(path))
    assert report["format"] == "Dynamics 365"
    deal = deals_by_title(cli)["Lease"]
    assert deal["source"] == "dynamics:9f2c1e4a-0b5d-eb11-a812-000d3a8b2c1f"
    assert (deal["value"], deal["currency"]) == (1000, "THB")


# Each CRM's file with rows whose status flag and stage say otherwise (a won or lost stage
# with the deal open, and an open stage with the deal closed), as exports do write them:
# by title, the status the import gives each.
_CONTRADICTING: dict[str, tuple[str, dict[str, str]]] = {
    "salespipe": (
        "title,customer,stage,status\n"
        "Won stage open,c,Won,open\nLost stage open,c,Lost,open\nOpen stage won,c,presented,won\n",
        {"Won stage open": "won", "Lost stage open": "lost", "Open stage won": "won"},
    ),
    "pipedrive": (
        "Deal - ID,Deal - Title,Deal - Stage,Deal - Status,Deal - Value\n"
        "1,Won stage open,Won,open,10\n2,Lost stage open,Lost,open,20\n"
        "3,Open stage won,Qualified,won,30\n",
        {"Won stage open": "won", "Lost stage open": "lost", "Open stage won": "won"},
    ),
    "salesforce": (
        "Id,Name,StageName,IsClosed,IsWon,Amount\n"
        "006A,Won stage open,Closed Won,false,false,10\n"
        "006B,Lost stage open,Closed Lost,false,false,20\n"
        "006C,Open stage won,Prospecting,true,true,30\n"
        "006D,Open stage lost,Prospecting,true,false,40\n",
        {
            "Won stage open": "won",
            "Lost stage open": "lost",
            "Open stage won": "won",
            "Open stage lost": "lost",
        },
    ),
    "salesforce-report": (
        "Opportunity ID,Opportunity Name,Stage,Closed,Won,Amount\n"
        "006A,Won stage open,Closed Won,0,0,10\n006B,Lost stage open,Closed Lost,0,0,20\n"
        "006C,Open stage won,Prospecting,1,1,30\n",
        {"Won stage open": "won", "Lost stage open": "lost", "Open stage won": "won"},
    ),
    "dynamics": (
        "Opportunity ID,Topic,Status,Sales Stage,Est. Revenue\n"
        "a1,Won stage open,Open,Won,10\na2,Lost stage open,Open,Lost,20\n"
        "a3,Open stage won,Won,Develop,30\n",
        {"Won stage open": "won", "Lost stage open": "lost", "Open stage won": "won"},
    ),
    "odoo": (
        "id,name,stage_id,active,expected_revenue\n"
        "x.1,Won stage archived,Won,False,10\nx.2,Open stage archived,Qualified,False,20\n",
        {"Won stage archived": "won", "Open stage archived": "lost"},
    ),
    "bitrix24": (
        "ID,TITLE,STAGE_ID,CLOSED,OPPORTUNITY,CURRENCY_ID\n"
        "1,Won stage open,WON,N,10,THB\n2,Lost stage open,LOSE,N,20,THB\n"
        "3,Open stage closed,EXECUTING,Y,30,THB\n",
        {"Won stage open": "won", "Lost stage open": "lost", "Open stage closed": "lost"},
    ),
}


@pytest.mark.parametrize("crm", sorted(_CONTRADICTING))
def test_a_row_whose_flag_and_stage_disagree_has_one_status_on_every_import(
    cli, tmp_path: Path, crm: str
) -> None:
    """A Bitrix24 row with STAGE_ID=WON and CLOSED=N (a trial) was imported won, then
    named on each import of the same file as differing from its deal in its status, and
    --update left it so: the import and the comparison each decided the row's status.
    The same row now says the same status to both, in every CRM's file."""
    text, statuses = _CONTRADICTING[crm]
    path = written(tmp_path, f"{crm}.csv", text)
    first = cli.json("import", path, "--create-stages")
    assert first["problems"] == []
    assert {t: d["status"] for t, d in deals_by_title(cli).items()} == statuses
    for again in ((), ("--update",)):
        printed = cli("import", path, "--create-stages", *again)
        assert printed.exit_code == 0, printed.stderr
        assert ": nothing new." in printed.stdout
        assert not re.search(r"differs? from", printed.stdout), printed.stdout
        assert {t: d["status"] for t, d in deals_by_title(cli).items()} == statuses


def test_bitrix24_bi_builder_deals_keep_their_company_and_contact(cli) -> None:
    """BI Builder's crm_deal dataset names the company and contact (COMPANY_NAME,
    CONTACT_NAME) beside their ids: a trial's 16 deals came in without either, said only
    in a count of columns not read. The names are read; the responsible's id is named as
    not read, as Salesforce's OwnerId is, with how to give names."""
    path = str(CRM / "bitrix24-bi-deals.csv")
    printed = cli("import", path, "--create-stages", "--dry-run")
    assert printed.exit_code == 0, printed.stderr
    assert (
        'Not read: the column "ASSIGNED_BY_ID" (owner), which holds Bitrix24 record ids, '
        "not names; BI Builder's crm_deal dataset gives the names (COMPANY_NAME, "
        'CONTACT_NAME), or --column owner=ASSIGNED_BY_ID --map "owner:ID=NAME" reads each '
        "id as the name given." in printed.stdout
    )
    report = cli.json("import", path, "--create-stages")
    assert (report["imported"], report["problems"]) == (4, [])
    assert report["ids_not_read"] == {"owner": "ASSIGNED_BY_ID"}
    assert {"ASSIGNED_BY_ID", "COMPANY_ID", "CONTACT_ID"} <= set(report["unread_columns"])
    deals = deals_by_title(cli)
    assert {t: (d["customer"], d["contact"]) for t, d in deals.items()} == {
        "ERP for Phuket Resort": ("Phuket Resort Co., Ltd.", "Khun Dao"),
        "Hotel Wi-Fi": ("โรงแรมเซ็นทารา", ""),
        "POS for 5 shops": ("Lotus's", "Khun Anan"),
        "Walk-in enquiry": ("", ""),
    }
    importer = report["filled"]["owner"]["value"]
    assert {d["owner"] for d in deals.values()} == {importer}  # not "1" and "7"


def test_bitrix24_rest_ids_are_named_not_read(cli) -> None:
    """A REST dump gives the company and the responsible only as ids (COMPANY_ID,
    ASSIGNED_BY_ID): they became customers "12" and owners "7"."""
    report = cli.json("import", str(CRM / "bitrix24-deals.csv"), "--create-stages")
    assert report["ids_not_read"] == {"customer": "COMPANY_ID", "owner": "ASSIGNED_BY_ID"}
    deals = deals_by_title(cli).values()
    assert {(d["customer"], d["owner"]) for d in deals} == {
        ("", report["filled"]["owner"]["value"])
    }


def test_odoo_owner_external_ids_are_named_not_read(cli) -> None:
    """An import-compatible Odoo export's ``user_id/id`` holds external ids
    (``base.user_admin``): they were read as the owners."""
    path = str(CRM / "odoo-crm-lead.csv")
    printed = cli("import", path, "--create-stages", "--dry-run")
    assert printed.exit_code == 0, printed.stderr
    assert (
        'Not read: the column "user_id/id" (owner), which holds Odoo external ids, not '
        "names; the fields themselves (user_id, partner_id) give the names, or --column "
        'owner=user_id/id --map "owner:ID=NAME" reads each id as the name given.' in printed.stdout
    )
    report = cli.json(
        "import",
        path,
        "--create-stages",
        "--column",
        "owner=user_id/id",
        "--map",
        "owner:base.user_admin=Mitchell Admin",
        "--map",
        "owner:base.user_demo=Marc Demo",
    )
    assert "ids_not_read" not in report
    owners = {t: d["owner"] for t, d in deals_by_title(cli).items()}
    assert owners["Office chairs for Deco Addict"] == "Mitchell Admin"
    assert owners["Quote for 150 carpets"] == "Marc Demo"
