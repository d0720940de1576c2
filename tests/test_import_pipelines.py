"""Importing a file with a Pipeline column (docs/import.md, docs/pipelines.md): each row
goes into the pipeline its label names, mapped with --pipeline-map or created with
--create-stages; an unknown label stops the import before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Cli

pytestmark = pytest.mark.usefixtures("each_backend")

TWO = Path(__file__).parent / "fixtures" / "hubspot-two-pipelines.csv"


@pytest.fixture
def two(cli: Cli) -> Cli:
    """Sales and Renewals, both with the default stages (Quoted, Negotiating, …)."""
    assert cli("init").exit_code == 0
    assert cli("pipeline", "add", "Renewals", "--stages", "copy-of", "Sales").exit_code == 0
    return cli


def _placed(cli: Cli) -> dict[str, tuple[str, str, str]]:
    deals = cli.json("list", "--status", "all", "--pipeline", "sales")
    deals += cli.json("list", "--status", "all", "--pipeline", "renewals")
    return {d["title"]: (d.get("pipeline", ""), d["stage"], d["status"]) for d in deals}


def test_rows_go_into_the_pipeline_of_their_label_and_its_stages(two: Cli) -> None:
    report = two.json("import", str(TWO))
    assert (report["imported"], report["new_stages"]) == (6, [])
    assert "new_pipelines" not in report
    assert _placed(two) == {
        # HubSpot's default pipeline is the one imported into; "Quoted" is found within
        # each row's own pipeline.
        "ERP rollout": ("sales", "quoted", "open"),
        "Warehouse scanners": ("sales", "presented", "lost"),
        "Intro call follow-up": ("sales", "negotiating", "open"),
        "ERP renewal 2027": ("renewals", "renewals-quoted", "open"),
        "Helpdesk renewal, 20 seats": ("renewals", "renewals-negotiating", "open"),
        "Cloud backup renewal": ("renewals", "renewals-approved", "won"),
    }
    again = two.json("import", str(TWO))
    assert (again["imported"], again["duplicates"]) == (0, 6)


def test_export_writes_the_pipeline_and_the_backup_round_trip_is_exact(
    two: Cli, tmp_path: Path
) -> None:
    assert two("import", str(TWO)).exit_code == 0
    lines = two("export").stdout.splitlines()
    assert lines[0].split(",")[-1] == "pipeline"
    assert sorted(line.rsplit(",", 1)[1] for line in lines[1:]) == ["Renewals"] * 3 + ["Sales"] * 3
    backup = tmp_path / "backup.json"
    first = two("export", "--format", "json").stdout
    backup.write_text(first, encoding="utf-8")
    other = str(tmp_path / "restored" / "pipeline.json")
    assert two("--db", other, "import", str(backup)).exit_code == 0
    assert two("--db", other, "export", "--format", "json").stdout == first


def test_our_csv_export_is_read_back_into_its_pipelines(two: Cli, tmp_path: Path) -> None:
    """The `pipeline` column of our own export: into a new database (the pipeline is
    created there), and into the same one (nothing new)."""
    assert two("import", str(TWO)).exit_code == 0
    exported = tmp_path / "deals.csv"
    exported.write_text(two("export").stdout, encoding="utf-8")
    other = str(tmp_path / "other" / "pipeline.json")
    refused = two("--db", other, "import", str(exported))
    assert refused.exit_code == 1
    assert "--pipeline-map Renewals=PIPELINE" in refused.stderr
    made = two.json("--db", other, "import", str(exported), "--create-stages")
    assert (made["imported"], made["new_pipelines"]) == (6, ["Renewals"])
    renewals = two.json("--db", other, "list", "--status", "all", "--pipeline", "Renewals")
    assert sorted(d["title"] for d in renewals) == [
        "Cloud backup renewal",
        "ERP renewal 2027",
        "Helpdesk renewal, 20 seats",
    ]
    assert {d["stage_name"] for d in renewals} == {"Quoted", "Negotiating", "Approved"}
    again = two.json("import", str(exported))
    assert (again["imported"], again["duplicates"]) == (0, 6)


def test_an_unknown_pipeline_is_refused_mapped_or_created(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    for dry in ((), ("--dry-run",)):
        refused = cli("import", str(TWO), *dry)
        assert refused.exit_code == 1
        assert '"Renewals"' in refused.stderr
        assert "--pipeline-map Renewals=PIPELINE" in refused.stderr
        assert "--create-stages" in refused.stderr
    assert cli.json("list", "--status", "all") == []

    would = cli.json("import", str(TWO), "--create-stages", "--dry-run")
    assert (would["imported"], would["new_pipelines"]) == (6, ["Renewals"])
    assert "would create pipelines" in cli("import", str(TWO), "--create-stages", "-n").stdout
    assert [p["key"] for p in cli.json("pipeline", "list")] == ["sales"]

    mapped = cli.json("import", str(TWO), "--pipeline-map", "renewals=Sales")
    assert mapped["imported"] == 6
    assert {d["stage"] for d in cli.json("list", "--status", "all")} >= {"quoted"}
    assert [p["key"] for p in cli.json("pipeline", "list")] == ["sales"]
    cli("undo")

    made = cli.json("import", str(TWO), "--create-stages")
    assert made["new_pipelines"] == ["Renewals"]
    stages = cli.json("stage", "list", "--pipeline", "Renewals")
    assert [s["name"] for s in stages] == ["Quoted", "Negotiating"]
    renewals = cli.json("list", "--status", "all", "--pipeline", "Renewals")
    assert len(renewals) == 3
    assert cli.json("undo")["undid"]["command"] == "import"
    assert [p["key"] for p in cli.json("pipeline", "list")] == ["sales"]


def test_a_pipeline_an_import_creates_has_stage_keys_like_pipeline_add_makes(
    cli: Cli, tmp_path: Path
) -> None:
    """Its stages get the pipeline's key in front (renewals-quoted, as `pipeline add
    --stages copy-of` makes them), not a number after a key Sales has (quoted-2)."""
    assert cli("init").exit_code == 0
    made = cli.json("import", str(TWO), "--create-stages")
    assert made["new_pipelines"] == ["Renewals"]
    imported = [s["key"] for s in cli.json("stage", "list", "--pipeline", "Renewals")]
    assert imported == ["renewals-quoted", "renewals-negotiating"]
    cli("undo")
    assert cli("pipeline", "add", "Renewals", "--stages", "copy-of", "Sales").exit_code == 0
    copied = [s["key"] for s in cli.json("stage", "list", "--pipeline", "Renewals")]
    assert set(imported) < set(copied)
    path = tmp_path / "new-stage.csv"  # a stage no pipeline has yet: a key of its own
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Pipeline\n1,Audit,Fieldwork,Audits\n", encoding="utf-8"
    )
    assert cli.json("import", str(path), "--create-stages")["new_stages"] == ["Fieldwork"]
    keys = [s["key"] for s in cli.json("stage", "list", "--pipeline", "Audits")]
    assert keys == ["audits-fieldwork"]


def test_a_pipeline_map_must_name_a_pipeline(two: Cli) -> None:
    result = two("import", str(TWO), "--pipeline-map", "Renewals=nowhere")
    assert result.exit_code == 1
    assert '--pipeline-map "Renewals=nowhere"' in result.stderr
    bad = two("import", str(TWO), "--pipeline-map", "Renewals")
    assert bad.exit_code == 1
    assert "LABEL=PIPELINE" in bad.stderr


def test_a_label_is_a_pipelines_key_or_name_not_a_part_or_a_number(
    cli: Cli, tmp_path: Path
) -> None:
    """A file's "Renewals" went into "Renewals 2027" here, and a label "2" into the
    second pipeline, without a word: found as --pipeline finds one, by a unique part of
    the name or a number."""
    assert cli("init").exit_code == 0
    cli("pipeline", "add", "Renewals 2027", "--stages", "copy-of", "Sales")
    rows = tmp_path / "labels.csv"
    rows.write_text(
        "Record ID,Deal Name,Deal Stage,Pipeline\n1,A,Quoted,Renewals\n2,B,Quoted,2\n",
        encoding="utf-8",
    )
    refused = cli("import", str(rows))
    assert refused.exit_code == 1
    assert 'pipelines "Renewals", "2", which are not here' in refused.stderr
    exact = tmp_path / "exact.csv"
    exact.write_text(
        "Record ID,Deal Name,Deal Stage,Pipeline\n1,A,Quoted,renewals  2027\n"
        "2,B,Quoted,renewals-2027\n",
        encoding="utf-8",
    )
    assert cli.json("import", str(exact))["imported"] == 2
    placed = cli.json("list", "--pipeline", "Renewals 2027")
    assert sorted(d["title"] for d in placed) == ["A", "B"]


def test_a_pipeline_map_entry_no_row_has_is_named(two: Cli) -> None:
    """A misspelt --pipeline-map label mapped nothing without a word (--stage-map's are
    named): its rows went where their label alone sent them."""
    maps = ["--pipeline-map", "Renewal=Sales", "--pipeline-map", "renewals=Renewals"]
    would = two.json("import", str(TWO), *maps, "--dry-run")
    assert would["unused_pipeline_maps"] == ["Renewal=Sales"]
    said = two("import", str(TWO), "--pipeline-map", "Renewal=Sales", "--create-stages")
    assert said.exit_code == 0
    assert said.stderr.splitlines()[-1] == (
        'Warning: --pipeline-map "Renewal=Sales": no row has the pipeline "Renewal", '
        "so it mapped nothing."
    )
    two("undo")
    used = two.json("import", str(TWO), "--pipeline-map", "RENEWALS=Sales", "--dry-run")
    assert "unused_pipeline_maps" not in used


def test_a_pipedrive_file_puts_rows_into_the_pipeline_its_column_names(
    two: Cli, tmp_path: Path
) -> None:
    """Pipedrive's Pipeline column is read; its own first pipeline ("Pipeline") is the one
    imported into."""
    exported = tmp_path / "deals.csv"
    exported.write_text(
        "Deal - Title,Deal - Value,Deal - Stage,Deal - Status,Deal - Pipeline\n"
        "Service renewal,1000,Quoted,Open,Renewals\n"
        "New rollout,2000,Quoted,Open,Pipeline\n",
        encoding="utf-8",
    )
    report = two.json("import", str(exported))
    assert (report["format"], report["imported"]) == ("Pipedrive", 2)
    assert _placed(two) == {
        "Service renewal": ("renewals", "renewals-quoted", "open"),
        "New rollout": ("sales", "quoted", "open"),
    }


RENAMED = (
    "Record ID,Deal Name,Deal Stage,Pipeline\n"
    "1,A,Contract sent,Sales Pipeline\n"
    "2,B,Contract sent (legal),Sales Pipeline\n"
    "3,C,Renewal due,{second}\n"
)


@pytest.mark.parametrize(
    ("second", "refusal", "pipeline"),
    [
        (
            "Renewals",
            'none of the pipelines the rows go into ("Sales", "Renewals") has the stage '
            '"Contract sent". ',
            "PIPELINE",
        ),
        ("Sales Pipeline", 'There is no stage "Contract sent"; the stages are ', "sales"),
    ],
)
def test_a_map_into_a_label_of_the_file_says_to_add_that_stage_first(
    cli: Cli, tmp_path: Path, second: str, refusal: str, pipeline: str
) -> None:
    """A stage renamed in the CRM midway ("Contract sent (legal)") cannot be mapped into
    the file's other name of it, a stage --create-stages would make: the refusal named no
    way past it (and with rows going into several pipelines, not even the stage)."""
    assert cli("init").exit_code == 0
    rows = tmp_path / "renamed.csv"
    rows.write_text(RENAMED.format(second=second), encoding="utf-8")
    mapped = ("--create-stages", "-m", "Contract sent (legal)=Contract sent")
    refused = cli("import", str(rows), *mapped, "--dry-run")
    assert refused.exit_code == 1
    assert refusal in refused.stderr
    command = f"salespipe stage add 'Contract sent' --pipeline {pipeline}"
    assert f"add it first with `{command}`." in refused.stderr
    assert cli("stage", "add", "Contract sent", "--pipeline", "sales").exit_code == 0
    assert cli.json("import", str(rows), *mapped)["imported"] == 3
    placed = {d["title"]: d["stage"] for d in cli.json("list", "--pipeline", "sales")}
    assert placed["A"] == placed["B"] == "contract-sent"
