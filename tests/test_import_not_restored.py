"""A backup imported into a database that is not empty is imported, not restored, and
says so.

A trial: `add x; undo` left a file with no deals, only history; a backup imported into
it then came as a plain import (its settings, a custom stage's place, a switched-off
stage and the undo list did not come) with nothing saying it was not a restore.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _on(cli: Any, database: str, *args: str) -> Any:
    result = cli("--db", database, *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


@pytest.fixture
def backup(cli: Any, tmp_path: Path) -> str:
    """A backup with its own settings, a custom stage and a switched-off one."""
    source, backup = str(tmp_path / "b.json"), tmp_path / "bkp.json"
    _on(cli, source, "init")
    _on(cli, source, "stage", "add", "Site survey", "--prob", "35")
    _on(cli, source, "stage", "disable", "approved")
    _on(cli, source, "config", "set", "currency", "USD")
    _on(cli, source, "add", "A", "--stage", "site-survey")
    for title in ("B", "C"):
        _on(cli, source, "add", title)
    _on(cli, source, "export", "--format", "json", "-o", str(backup))
    return str(backup)


def _history_only(cli: Any, tmp_path: Path) -> str:
    database = str(tmp_path / "ne2.json")
    _on(cli, database, "add", "x")
    _on(cli, database, "undo")
    return database


NOT_RESTORED = (
    "so importing the backup there is not a restore: its deals come with their history, "
    "but not its settings nor its undo list, and the stages here keep their own setup; "
    "restore it into an empty database (a new file) to have everything."
)


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_backup_into_a_database_with_history_says_it_is_not_restored(
    cli: Any, tmp_path: Path, backup: str, dry_run: bool
) -> None:
    database = _history_only(cli, tmp_path)
    extra = ("--dry-run",) if dry_run else ()
    report = cli.json("--db", database, "import", backup, "--create-stages", "--dry-run")
    assert report["restored"] is False
    assert report["not_restored"] == {"deals": 0, "changes": 2}
    said = _on(cli, database, "import", backup, "--create-stages", *extra).stdout
    expected = f"{database} already holds the history of 2 changes, {NOT_RESTORED}"
    assert expected in said.replace("\n", " ")


def test_a_backup_into_a_database_with_deals_names_them(
    cli: Any, tmp_path: Path, backup: str
) -> None:
    database = str(tmp_path / "ne3.json")
    _on(cli, database, "add", "y")
    report = cli.json("--db", database, "import", backup, "--create-stages")
    assert report["not_restored"] == {"deals": 1, "changes": 1}
    _on(cli, database, "undo")
    text = _on(cli, database, "import", backup, "--create-stages").stdout.replace("\n", " ")
    assert f"{database} already holds 1 deal, {NOT_RESTORED}" in text


def test_a_backup_restored_says_nothing_of_it(cli: Any, tmp_path: Path, backup: str) -> None:
    database = str(tmp_path / "new.json")
    report = cli.json("--db", database, "import", backup)
    assert report["restored"] is True
    assert "not_restored" not in report
    assert "not restored" not in _on(cli, str(tmp_path / "other.json"), "import", backup).stdout


def test_a_csv_says_nothing_of_a_restore(cli: Any, tmp_path: Path) -> None:
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,value\nERP,100\n")
    database = _history_only(cli, tmp_path)
    report = cli.json("--db", database, "import", str(sheet))
    assert "not_restored" not in report
    assert "not restored" not in _on(cli, database, "import", str(sheet), "-n").stdout


def test_a_refused_backup_import_says_first_that_it_is_no_restore(
    cli: Any, tmp_path: Path, backup: str
) -> None:
    """Without --create-stages the only message was about the backup's stages, to one
    who meant to restore it."""
    database = str(tmp_path / "ne3.json")
    _on(cli, database, "add", "y")
    refused = cli("--db", database, "import", backup)
    assert refused.exit_code == 1
    said = refused.stderr.replace("\n", " ")
    assert said.startswith(
        f"Error: {database} already holds 1 deal, {NOT_RESTORED} "
        'The file has stages this pipeline does not have: "Site survey"'
    )
    shown = json.loads(cli("--db", database, "import", backup, "--json").stdout)
    assert shown["error"]["message"].startswith(f"{database} already holds 1 deal, ")
