"""Where an import's created stages go: into a pipeline without a stage, and among a
pipeline's stages; and where its closed deals of no known stage are put (a trial with
real Salesforce dumps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.checks import deals_by_title, ok

FIXTURES = Path(__file__).parent / "fixtures"
SALESFORCE = str(FIXTURES / "salesforce-stage-probabilities.csv")


def _stage_names(cli: Any, *pipeline: str) -> list[str]:
    return [s["name"] for s in cli.json("stage", "list", *pipeline)]


def test_create_stages_fills_a_pipeline_without_stages(cli: Any) -> None:
    """It failed with "no enabled stage…; `salespipe stage enable` one", and the
    pipeline had no stage to enable."""
    ok(cli("pipeline", "add", "Projects", "--stages", "empty"))
    report = cli.json("import", SALESFORCE, "--pipeline", "Projects", "--create-stages")
    assert report["imported"] == 11
    stages = _stage_names(cli, "--pipeline", "Projects")
    assert "Needs Analysis" in stages
    deals = {d["title"]: d for d in cli.json("list", "--status", "all", "-P", "Projects")}
    # won: the last stage of a known probability ("Discovery", of none, is put last)
    assert stages[-2:] == ["Negotiation", "Discovery"]
    assert deals["Acme - 1,200 Widgets"]["stage_name"] == "Negotiation"
    assert deals["Dock Doors"]["stage_name"] == stages[0]  # lost


def test_an_import_into_a_pipeline_without_stages_names_the_fixes(cli: Any) -> None:
    ok(cli("pipeline", "add", "Projects", "--stages", "empty"))
    refused = cli("import", SALESFORCE, "--pipeline", "Projects")
    assert refused.exit_code == 1
    assert " ".join(refused.stderr.split()) == (
        'Error: The pipeline "Projects" has no stages to import deals into; '
        "`salespipe stage add NAME --pipeline Projects` adds one, or --create-stages "
        "creates the file's."
    )


def test_an_import_into_a_pipeline_of_disabled_stages_names_the_fixes(cli: Any) -> None:
    ok(cli("pipeline", "add", "Projects", "--stages", "empty"))
    ok(cli("stage", "add", "Survey", "--pipeline", "Projects"))
    ok(cli("stage", "disable", "Survey", "--pipeline", "Projects"))
    refused = cli("import", SALESFORCE, "--pipeline", "Projects")
    assert refused.exit_code == 1
    assert "`salespipe stage enable STAGE --pipeline Projects` enables one" in " ".join(
        refused.stderr.split()
    )


def test_created_stages_go_among_the_stages_by_the_files_probability(cli: Any) -> None:
    """They were appended after "Approved" (90%): a created 35% stage goes before an
    existing 50% one; a stage the file gives no probability goes last, as before."""
    ok(cli("import", SALESFORCE, "--create-stages"))
    assert _stage_names(cli) == [
        "Presented",  # 10
        "Qualification",  # 10 in the file
        "Considering",  # 25
        "Needs Analysis",  # 35 in the file
        "Quoted",  # 50
        "Negotiating",  # 70
        "Proposal",  # 75 in the file
        "Approved",  # 90
        "Negotiation",  # 90 in the file
        "Discovery",  # none in the file
    ]


def test_closed_deals_of_no_known_stage_go_to_the_ends_of_the_stages_as_created(
    cli: Any,
) -> None:
    """A won deal of Salesforce's "Closed Won" went to "Approved", the last stage before
    the import created others after it. It goes to the last stage placed by its
    probability: a stage of no known probability ("Discovery") is put last for want of
    a better place, and is no stage deals are won from."""
    ok(cli("import", SALESFORCE, "--create-stages"))
    deals = deals_by_title(cli)
    assert deals["Acme - 1,200 Widgets"]["stage_name"] == "Negotiation"
    assert deals["Dock Doors"]["stage_name"] == _stage_names(cli)[0]


def test_a_created_stage_of_its_crms_default_probability_goes_by_it(
    cli: Any, tmp_path: Path
) -> None:
    """A Salesforce file without a Probability column: "Value Proposition" is 50% by
    Salesforce's default stages, so it goes among the stages by that, not last; a won
    deal goes to the last stage of a known probability, not to "Site visit" (none)."""
    sheet = tmp_path / "opportunities.csv"
    sheet.write_text(
        "Id,Name,StageName,Amount,CloseDate,IsClosed,IsWon\n"
        "006A,Fleet Refresh,Value Proposition,20000,2027-01-10,,\n"
        "006B,Dock Doors,Site visit,5000,2027-01-12,,\n"
        "006C,Warehouse Racks,Closed Won,9000,2026-11-02,1,1\n",
        encoding="utf-8",
    )
    ok(cli("import", str(sheet), "--create-stages"))
    assert _stage_names(cli) == [
        "Presented",  # 10
        "Considering",  # 25
        "Quoted",  # 50
        "Value Proposition",  # 50, Salesforce's default: after an equal one
        "Negotiating",  # 70
        "Approved",  # 90
        "Site visit",  # no known probability
    ]
    assert deals_by_title(cli)["Warehouse Racks"]["stage_name"] == "Approved"
