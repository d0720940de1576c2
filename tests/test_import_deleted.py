"""A deal deleted here does not come back with the next export that still holds it (a
re-import trial: it came back as a plain new deal, without a word); the import names
its rows, and --restore-deleted brings them back (docs/import.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.checks import ok, written

pytestmark = pytest.mark.usefixtures("each_backend")

PIPEDRIVE = "Deal - ID,Deal - Title,Deal - Value,Organization - Name\n"
SHEET = "Title,Customer,Value\n"


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        (PIPEDRIVE, "101,ERP,1000,Siam\n102,CRM,2000,Thai Co\n"),
        (SHEET, "ERP,Siam,1000\nCRM,Thai Co,2000\n"),  # keyed by what they hold
    ],
    ids=["pipedrive-ids", "sheet-without-ids"],
)
def test_a_deleted_deal_is_left_out_and_named(
    cli: Any, tmp_path: Path, header: str, rows: str
) -> None:
    export = written(tmp_path, "export.csv", header + rows)
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    dry = cli.json("import", export, "--dry-run")
    assert (dry["imported"], dry["deleted_here"]) == (0, [{"line": 2, "deal": 1}])
    again = cli("import", export)
    assert again.exit_code == 0
    assert "1 row is of a deal deleted here (line 2: deal 1)" in again.stderr
    assert "--restore-deleted" in again.stderr
    assert [d["title"] for d in cli.json("list", "--status", "all")] == ["CRM"]
    restored = cli.json("import", export, "--restore-deleted")
    assert (restored["imported"], restored.get("deleted_here")) == (1, None)
    assert sorted(d["title"] for d in cli.json("list", "--status", "all")) == ["CRM", "ERP"]


def test_an_undone_deletion_is_a_deal_here_again(cli: Any, tmp_path: Path) -> None:
    export = written(tmp_path, "export.csv", PIPEDRIVE + "101,ERP,1000,Siam\n")
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    ok(cli("undo"))
    report = cli.json("import", export)
    assert (report["imported"], report["duplicates"], report.get("deleted_here")) == (0, 1, None)


def test_a_thai_import_names_the_deleted_deals_rows_in_thai(cli: Any, tmp_path: Path) -> None:
    export = written(tmp_path, "export.csv", PIPEDRIVE + "101,ระบบ ERP,1000,สยาม\n")
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    thai = cli("--lang", "th", "import", export)
    assert "แถวเป็นของดีลที่ถูกลบไปแล้วที่นี่ (บรรทัด 2: ดีล 1)" in thai.stderr


def test_a_deal_whose_deletion_and_import_were_undone_comes_with_the_next_import(
    cli: Any, tmp_path: Path
) -> None:
    """Import, delete, undo the deletion, undo the import: nobody deleted the deal in
    the end, yet the next import left its row out as "deleted here" (a review)."""
    export = written(tmp_path, "export.csv", PIPEDRIVE + "101,ERP,1000,Siam\n102,CRM,2000,X\n")
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    ok(cli("undo"))
    ok(cli("undo"))
    report = cli.json("import", export)
    assert (report["imported"], report.get("deleted_here")) == (2, None)


@pytest.mark.parametrize("how", ["copy", "restore"])
def test_a_deal_deleted_before_a_copy_or_restore_stays_deleted(
    cli: Any, tmp_path: Path, target: str, how: str
) -> None:
    """A file written by `copy` or by restoring a JSON backup holds the deletions in
    its history only: the next import brought the deleted deal back (a review)."""
    export = written(tmp_path, "export.csv", PIPEDRIVE + "101,ERP,1000,Siam\n102,CRM,2000,X\n")
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    copied = str(tmp_path / "copied.json")
    if how == "copy":
        ok(cli("copy", target, copied))
    else:
        backup = str(tmp_path / "backup.json")
        ok(cli("export", "-o", backup))
        ok(cli("--db", copied, "import", backup))
    report = cli.json("--db", copied, "import", export)
    assert (report["imported"], report.get("deleted_here")) == (0, [{"line": 2, "deal": 1}])


def test_the_line_items_of_a_deleted_deal_are_left_out_with_it(cli: Any, tmp_path: Path) -> None:
    """An "Opportunities with Products" export: the deleted deal's three rows were left
    out, but the report named one of them and said two line items were added into the
    deal, which was not there (a review)."""
    export = written(
        tmp_path,
        "export.csv",
        "Opportunity ID,Opportunity Name,Account Name,Stage,Product Name,Total Price\n"
        "006A,ERP,Siam,Prospecting,Licence,1000\n"
        "006A,ERP,Siam,Prospecting,Support,500\n"
        "006A,ERP,Siam,Prospecting,Training,250\n"
        "006B,CRM,Thai Co,Prospecting,Licence,2000\n",
    )
    ok(cli("import", export, "--create-stages"))
    ok(cli("delete", "1", "--yes"))
    report = cli.json("import", export)
    assert report["imported"] == 0
    assert report["deleted_here"] == [{"line": n, "deal": 1} for n in (2, 3, 4)]
    assert report.get("line_items", {"rows": 0})["rows"] == 0
    again = cli("import", export)
    words = again.stdout + again.stderr
    assert "line-item" not in words
    assert "3 rows are of deals deleted here" in words


def test_a_deleted_look_alike_is_paired_and_left_out(cli: Any, tmp_path: Path) -> None:
    """Rows without an id that hold the same are paired with the deals imported from such
    rows; a deleted one was not among them, so the spare row took a new key and came in
    again without a word (a review). It takes the deleted deal's key, and is named."""
    sheet = written(tmp_path, "sheet.csv", SHEET + "ERP,Siam,1000\n" * 3 + "CRM,Thai Co,2000\n")
    ok(cli("import", sheet))
    ok(cli("delete", "2", "--yes"))
    report = cli.json("import", sheet)
    assert (report["imported"], report["deleted_here"]) == (0, [{"line": 3, "deal": 2}])
    assert len(cli.json("list", "--status", "all")) == 3
    restored = cli.json("import", sheet, "--restore-deleted")
    assert restored["imported"] == 1
    assert len(cli.json("list", "--status", "all")) == 4


def test_a_look_alike_brought_back_is_no_longer_named_as_deleted(cli: Any, tmp_path: Path) -> None:
    """Of three identical rows whose second deal was deleted and then brought back with
    --restore-deleted, the next import paired a row with the deleted deal before the deal
    that came back, and said on every import that it was of a deal deleted here (a
    review). The deals here are paired first."""
    sheet = written(tmp_path, "sheet.csv", SHEET + "ERP,Siam,1000\n" * 3 + "CRM,Thai Co,2000\n")
    ok(cli("import", sheet))
    ok(cli("delete", "2", "--yes"))
    assert cli.json("import", sheet, "--restore-deleted")["imported"] == 1
    again = cli.json("import", sheet)
    assert (again["imported"], again.get("deleted_here")) == (0, None)
    assert len(cli.json("list", "--status", "all")) == 4


def test_a_look_alike_deleted_restored_and_deleted_again_holds_back_one_row(
    cli: Any, tmp_path: Path
) -> None:
    """--restore-deleted gave a brought-back look-alike a new key, so once it was deleted
    again two deleted deals stood for one row, and a new identical row of the next
    export was left out as the second (a weekly re-import trial). It comes back under
    the deleted deal's key, and is named as brought back."""
    rows = "ERP,Siam,1000\n" * 3 + "CRM,Thai Co,2000\n"
    sheet = written(tmp_path, "sheet.csv", SHEET + rows)
    ok(cli("import", sheet))
    ok(cli("delete", "2", "--yes"))
    restored = cli.json("import", sheet, "--restore-deleted")
    assert (restored["imported"], restored["brought_back"]) == (1, [{"line": 3, "deal": 2}])
    told = cli("import", sheet, "--restore-deleted")  # (nothing deleted now: nothing said)
    assert "brings" not in told.stdout + told.stderr
    ok(cli("delete", "5", "--yes"))
    grown = written(tmp_path, "grown.csv", SHEET + "ERP,Siam,1000\n" * 4 + "CRM,Thai Co,2000\n")
    report = cli.json("import", grown)
    assert (report["imported"], report["deleted_here"]) == (1, [{"line": 3, "deal": 5}])
    shown = cli("import", grown, "--restore-deleted", "--dry-run")
    assert "1 row is of a deal deleted here (line 3: deal 5); it is imported again" in (
        shown.stdout
    )


def test_a_key_deleted_twice_is_paired_as_the_deal_deleted_last(cli: Any, tmp_path: Path) -> None:
    """A look-alike deleted, brought back with a new value and deleted again was paired
    as the first deal deleted (its old value), so its row came back as a new deal and a
    new row of that old value was held back in its place (a review of weekly imports)."""
    ok(
        cli(
            "import",
            written(tmp_path, "w1.csv", SHEET + "ERP,Siam,100\nERP,Siam,200\nERP,Siam,300\n"),
        )
    )
    ok(cli("delete", "2", "--yes"))
    changed = SHEET + "ERP,Siam,100\nERP,Siam,250\nERP,Siam,300\n"
    restored = cli.json("import", written(tmp_path, "w2.csv", changed), "--restore-deleted")
    assert restored["brought_back"] == [{"line": 3, "deal": 2}]
    ok(cli("delete", "4", "--yes"))
    grown = written(tmp_path, "w3.csv", changed + "ERP,Siam,200\n")  # a new deal of 200
    report = cli.json("import", grown)
    assert (report["imported"], report["deleted_here"]) == (1, [{"line": 3, "deal": 4}])
    values = sorted(d["value"] for d in cli.json("list", "--status", "all"))
    assert values == [100, 200, 300]


def test_restore_deal_brings_back_only_the_deals_it_names(cli: Any, tmp_path: Path) -> None:
    """--restore-deleted brought back every row of a deal deleted here, all or nothing;
    --restore-deal ID brings back the deal the left-out rows name, and leaves the others
    out (and says so)."""
    export = written(tmp_path, "export.csv", PIPEDRIVE + "101,ERP,1000,Siam\n102,CRM,2000,T\n")
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    ok(cli("delete", "2", "--yes"))
    told = cli("import", export, "--dry-run").stderr
    assert "--restore-deal ID one of them" in " ".join(told.split())
    report = cli.json("import", export, "--restore-deal", "2")
    assert report["imported"] == 1
    assert (report["brought_back"], report["deleted_here"]) == (
        [{"line": 3, "deal": 2}],
        [{"line": 2, "deal": 1}],
    )
    assert [d["title"] for d in cli.json("list", "--status", "all")] == ["CRM"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--restore-deal", "2"],
            "--restore-deal 2: no row of export.csv is of deal 2 deleted "
            "here; the rows left out are of deals 1.",
        ),
        (["--restore-deal", "3"], "--restore-deal 3: no row of export.csv is of deal 3 deleted"),
        (["--restore-deal", "1", "--restore-deleted"], "give one of the two."),
        (["--restore-deal", "one"], "Invalid value for '--restore-deal'"),
    ],
)
def test_a_restore_deal_of_no_deleted_row_is_a_usage_error(
    cli: Any, tmp_path: Path, args: list[str], said: str
) -> None:
    """A deal that is not one of the file's rows deleted here (deal 2 is imported before,
    a line number for a deal's), or the option with --restore-deleted: exit 2, one
    sentence, nothing written."""
    export = written(tmp_path, "export.csv", PIPEDRIVE + "101,ERP,1000,Siam\n102,CRM,2000,T\n")
    ok(cli("import", export))
    ok(cli("delete", "1", "--yes"))
    refused = cli("import", export, *args)
    assert refused.exit_code == 2
    assert said in " ".join(refused.stderr.split())
    assert [d["title"] for d in cli.json("list", "--status", "all")] == ["CRM"]
    assert cli.json("undo", "--list")[0]["command"] == "delete"
