"""A Salesforce user's trial: a dump holding the sample set twice (29 pairs of rows the
same but for their Id) imported as 58 deals without a word, open and won values twice
over. Different ids stay different deals; the rows are named, as the look-alikes are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.checks import written

from salespipe.transfer.same_rows import holds_ids

HEADER = "Id,Name,AccountId,StageName,Amount,CloseDate,OwnerId,CreatedDate\n"
ROW = "{id},Acme - 1200 Widgets,{account},Needs Analysis,{amount},2027-01-31,005A,{created}\n"


def _row(id: str, account: str = "001A", amount: str = "110000", created: str = "") -> str:
    created = created or "2026-07-11T21:22:07.000+0000"
    return ROW.format(id=id, account=account, amount=amount, created=created)


def test_rows_the_same_but_for_their_ids_are_imported_and_named(cli: Any, tmp_path: Path) -> None:
    """The second load gave each record a new Id, a new AccountId (the accounts were
    loaded twice too) and a new CreatedDate: still the same deal."""
    twice = _row("006A1", "001A") + _row("006A2", "001B", created="2026-07-11T22:14:41.000+0000")
    other = _row("006A3", amount="5000")
    path = written(tmp_path, "opportunities.csv", HEADER + twice + other)
    printed = cli("import", path, "--create-stages")
    assert printed.exit_code == 0, printed.stderr
    assert (
        "Warning: 1 row is the same as another row of the file but for its id (line 3 like "
        "line 2): if the file holds its records twice, `salespipe undo` takes the import "
        "back." in printed.stderr
    )
    assert "same_but_id" not in cli.json("import", path)  # nothing new: nothing named
    again = HEADER + (twice + other).replace("006A", "006B")
    report = cli.json("import", written(tmp_path, "again.csv", again))
    assert report["imported"] == 3
    assert report["same_but_id"] == [{"line": 3, "like": 2}]


def test_a_dry_run_says_the_rows_would_come_in_twice(cli: Any, tmp_path: Path) -> None:
    rows = _row("006A1") + _row("006A2") + _row("006A3")
    path = written(tmp_path, "opportunities.csv", HEADER + rows)
    printed = cli("import", path, "--create-stages", "--dry-run")
    assert (
        "Warning: 2 rows are the same as other rows of the file but for their ids (line 3 "
        "like line 2, line 4 like line 2): if the file holds its records twice, the import "
        "would bring them in twice." in printed.stderr
    )


def test_rows_of_customers_by_name_or_without_an_id_are_not_named(cli: Any, tmp_path: Path) -> None:
    """Two customers by name are two deals; rows without an id are look-alikes, three
    identical rows three deals by design (import.md)."""
    header = "Id,Name,AccountName,StageName,Amount\n"
    named = "1,Support,Acme,Qualification,100\n2,Support,Globex,Qualification,100\n"
    report = cli.json("import", written(tmp_path, "a.csv", header + named), "--create-stages")
    assert (report["imported"], "same_but_id" in report) == (2, False)
    same = "Same,Acme,5,Proposal\n"
    no_id = written(tmp_path, "b.csv", "Title,Customer,Value,Stage\n" + same * 3)
    report = cli.json("import", no_id, "--create-stages")
    assert (report["imported"], "same_but_id" in report) == (3, False)


@pytest.mark.parametrize(
    ("header", "ids"),
    [
        ("AccountId", True),
        ("Account ID", True),
        ("account_id", True),
        ("Associated Company IDs", True),
        ("Account Name", False),
        ("Paid", False),
        ("Customer", False),
    ],
)
def test_a_column_of_ids_is_told_by_its_last_word(header: str, ids: bool) -> None:
    assert holds_ids(header) is ids


REAL_EXPORTS = Path(os.environ.get("SALESPIPE_REAL_EXPORTS") or "/nonexistent")


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="SALESPIPE_REAL_EXPORTS names no folder")
def test_the_real_dump_of_the_sample_set_loaded_twice_names_its_29_pairs(cli: Any) -> None:
    names = {
        "salesforce-opportunity-SFDC-Assets-gen-ai-demo.csv": 29,
        "salesforce-opportunity-SFDC-Assets-data-cloud-workshop.csv": 0,
        "salesforce-opportunity-stomita-salesforce-migration-app-pack-first200.csv": 0,
    }
    for name, pairs in names.items():
        path = str(REAL_EXPORTS / name)
        report = cli.json("import", path, "--create-stages", "--dry-run")
        assert len(report.get("same_but_id", [])) == pairs, name
    report = cli.json("import", str(REAL_EXPORTS / next(iter(names))), "--create-stages")
    assert report["same_but_id"][:2] == [{"line": 31, "like": 2}, {"line": 32, "like": 3}]
