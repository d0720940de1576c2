"""The open deals' columns in the data file's open index: kept by every write, read by
the everyday questions (only the records an answer names are parsed), built for an
older file by its first write, checked and repaired by doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Cli
from salespipe.app.pipeline import Pipeline
from salespipe.storage.jsonl import deal_columns
from salespipe.storage.jsonl.database import schema_version
from test_open_index import as_index_in_main

READS = [
    ["list"],
    ["list", "--owner", "somchai", "--sort", "days", "--limit", "7"],
    ["board"],
    ["board", "--by", "value", "--limit", "3"],
    ["chart", "--by", "weighted"],
    ["stale"],
    ["check"],
    ["agenda", "--days", "30"],
]


@pytest.fixture
def demo(db_path: Path, cli: Cli) -> Path:
    assert cli("demo", "--deals", "300", "--seed", "3").exit_code == 0
    return db_path


def _outputs(cli: Cli) -> list[str]:
    return [cli(*argv, "--json").stdout for argv in READS]


def _document(db_path: Path) -> dict[str, Any]:
    """The main document, its deals table holding the open index (read from its own
    files since schema 6)."""
    document: dict[str, Any] = orjson.loads(db_path.read_bytes())
    if "open_index_generation" in document["_meta"]["1"]:
        snapshot = Pipeline.open(db_path).read()
        document["deals"] = dict(snapshot._open_index.items())  # type: ignore[attr-defined]
    return document


def _open_lines(db_path: Path) -> list[bytes]:
    meta = _document(db_path)["_meta"]["1"]
    journal = db_path.with_name(f"pipeline.open-{meta['open_generation']}.jsonl")
    return journal.read_bytes().splitlines()


def test_every_entry_keeps_the_columns_of_its_record(demo: Path, cli: Cli) -> None:
    """After the demo's writes and a few more, each entry's columns are its record's."""
    first, second, third = list(_document(demo)["deals"])[:3]
    assert cli("move", first, "quoted").exit_code == 0
    assert cli("next", second, "Call back", "--due", "+3d").exit_code == 0
    assert cli("quote", third, "--valid-until", "+30d").exit_code == 0
    assert cli("edit", third, "--owner", "Malee", "--value", "12.5k").exit_code == 0
    journal = b"\n".join(_open_lines(demo)) + b"\n"
    entries = _document(demo)["deals"]
    assert len(entries) > 20
    for entry in entries.values():
        record = orjson.loads(journal[entry["at"] : entry["at"] + entry["size"]])
        assert entry["q"] == deal_columns.columns(record)


def test_the_questions_answer_alike_from_the_columns_and_the_records(demo: Path, cli: Cli) -> None:
    """With the columns taken out of the index, every everyday read goes through the whole
    records, and prints the same."""
    from_columns = _outputs(cli)
    as_index_in_main(demo)
    document = _document(demo)
    for entry in document["deals"].values():
        del entry["q"]
    demo.write_bytes(orjson.dumps(document))
    assert _outputs(cli) == from_columns


def test_only_the_records_an_answer_names_are_read(demo: Path, cli: Cli) -> None:
    """A damaged record of a deal the first page does not show is not even parsed for
    it; reading all the open deals reports the damage."""
    listed = [deal["id"] for deal in cli.json("list", "--limit", "5")]
    document = _document(demo)
    unlisted = next(e for e in document["deals"].values() if e["id"] not in listed)
    meta = document["_meta"]["1"]
    journal = demo.with_name(f"pipeline.open-{meta['open_generation']}.jsonl")
    data = bytearray(journal.read_bytes())
    data[unlisted["at"]] = ord("#")  # the same size, no longer JSON
    journal.write_bytes(bytes(data))
    assert [d["id"] for d in cli.json("list", "--limit", "5")] == listed
    assert cli("list", "--limit", "0").exit_code != 0


def test_a_file_from_before_the_columns_reads_the_same_and_the_first_write_builds_them(
    demo: Path, cli: Cli
) -> None:
    """A schema 4 file: reading changes no byte and answers the same; the first write
    keeps a backup, builds every entry's columns, and doctor finds nothing to fix."""
    expected = _outputs(cli)
    as_index_in_main(demo)
    document = _document(demo)
    meta = document["_meta"]["1"]
    meta["schema"] = 4
    meta["migrations"] = [m for m in meta.get("migrations", []) if m != "open_deal_columns"]
    for entry in document["deals"].values():
        del entry["q"]
    original = orjson.dumps(document)
    demo.write_bytes(original)
    assert _outputs(cli) == expected
    assert demo.read_bytes() == original
    assert cli("note", "1", "first write of the new salespipe").exit_code == 0
    assert demo.with_name("pipeline.json.schema4.bak").read_bytes() == original
    upgraded = _document(demo)
    assert upgraded["_meta"]["1"]["schema"] == schema_version()
    assert "open_columns_pending" not in upgraded["_meta"]["1"]
    assert all("q" in entry for entry in upgraded["deals"].values())
    assert cli.json("doctor")["differences"] == []
    assert _outputs(cli) == expected
