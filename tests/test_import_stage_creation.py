"""Where an import's created stages go: into a pipeline without a stage, and among a
pipeline's stages; and where its closed deals of no known stage are put (a trial with
real Salesforce dumps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.checks import ok

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
