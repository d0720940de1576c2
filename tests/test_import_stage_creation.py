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
    assert deals["Acme - 1,200 Widgets"]["stage_name"] == stages[-1]  # won
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
    the import created others after it."""
    ok(cli("import", SALESFORCE, "--create-stages"))
    deals = deals_by_title(cli)
    assert deals["Acme - 1,200 Widgets"]["stage_name"] == _stage_names(cli)[-1]
    assert deals["Dock Doors"]["stage_name"] == _stage_names(cli)[0]
