"""The data file's change log: every write keeps it in step with the events journal,
an older file gets it from its first write, a killed writer's tail is cut off, and
doctor finds and rebuilds a damaged one; slips and the backtest read the same with or
without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Cli
from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.change_rows import change_row
from salespipe.core.errors import WriteFailed
from salespipe.storage.jsonl import change_log
from salespipe.storage.jsonl.database import MIGRATIONS, schema_version
from salespipe.storage.jsonl.snapshot import Snapshot

# The schema of a file written before the change log.
BEFORE = 1 + [step.__name__ for step in MIGRATIONS].index("keep_change_log")

REPORTS = [
    ["forecast", "--backtest"],
    ["forecast", "--backtest", "--json"],
    ["forecast", "--backtest", "--months", "3", "--owner", "alice"],
    ["slips", "--json"],
    ["--lang", "th", "slips"],
]


def _meta(db_path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads(db_path.read_bytes())["_meta"]["1"]
    return meta


def _edit_meta(db_path: Path, **values: Any) -> None:
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"].update(values)
    db_path.write_bytes(orjson.dumps(document))


def _log(db_path: Path) -> Path:
    return db_path.with_name("pipeline.changes.jsonl")


def _in_step(db_path: Path, pipeline: Pipeline) -> None:
    """The committed log is the change rows of the committed events, and the view
    reads exactly those."""
    snapshot = pipeline.read()
    assert isinstance(snapshot, Snapshot)
    size = _meta(db_path)[change_log.SIZE_KEY]
    expected = change_log.derive(snapshot.event_lines())
    assert _log(db_path).read_bytes()[:size] == expected
    assert list(snapshot.change_records()) == [change_row(e) for e in snapshot.event_records()]


def _differences(cli: Cli) -> list[dict[str, str]]:
    result = cli("doctor", "--json")
    differences: list[dict[str, str]] = orjson.loads(result.stdout)["differences"]
    assert result.exit_code == (1 if differences else 0)
    return differences


def _outputs(cli: Cli) -> list[str]:
    return [cli(*argv).stdout for argv in REPORTS]


@pytest.fixture
def demo(cli: Cli, db_path: Path) -> Path:
    assert cli("demo", "--db", str(db_path), "--seed", "7").exit_code == 0
    return db_path


def test_every_kind_of_write_keeps_the_log_in_step(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    for title in ("Alpha", "Bravo", "Charlie"):
        pipeline.add(title, DealFields())
    pipeline.move(1, "quoted")
    pipeline.note(2, "called")
    pipeline.close(2, "won")
    pipeline.close(3, "lost", reason="price")
    pipeline.undo()
    pipeline.delete(1)
    assert cli("stage", "rename", "quoted", "Offer sent").exit_code == 0
    _in_step(db_path, pipeline)
    kinds = [row[1] for row in pipeline.read().change_records()]
    assert kinds[:3] == ["add", "add", "add"]
    assert {"move", "note", "won", "lost", "undo", "delete", "stage-rename"} <= set(kinds)


def test_the_demo_writes_the_log_and_the_reports_read_it(demo: Path, cli: Cli) -> None:
    """The reports give the same bytes whether they read the log or derive the rows
    from the events (a file whose log is not built yet)."""
    assert _meta(demo)[change_log.SIZE_KEY] == _log(demo).stat().st_size > 0
    from_log = _outputs(cli)
    _edit_meta(demo, schema=BEFORE)
    document = orjson.loads(demo.read_bytes())
    del document["_meta"]["1"][change_log.SIZE_KEY]
    demo.write_bytes(orjson.dumps(document))
    _log(demo).unlink()
    assert _outputs(cli) == from_log
    assert "Backtest" in from_log[0]


def test_an_older_file_gets_its_log_from_its_first_write(
    demo: Path, pipeline: Pipeline, cli: Cli
) -> None:
    """A file from before the log is read as it is (nothing written); the first write
    keeps a backup, builds the log from the journal and appends its own rows."""
    document = orjson.loads(demo.read_bytes())
    meta = document["_meta"]["1"]
    del meta[change_log.SIZE_KEY]
    meta["schema"] = BEFORE
    original = orjson.dumps(document)
    demo.write_bytes(original)
    _log(demo).unlink()
    outputs = _outputs(cli)
    assert demo.read_bytes() == original
    assert not _log(demo).exists()
    pipeline.note(1, "first write of the new salespipe")
    assert demo.with_name(f"pipeline.json.schema{BEFORE}.bak").exists()
    assert _meta(demo)["schema"] == schema_version()
    assert "keep_change_log" in _meta(demo)["migrations"]
    _in_step(demo, pipeline)
    assert _outputs(cli) == outputs


def test_a_tail_left_by_a_killed_writer_is_not_read_and_is_cut_off(
    pipeline: Pipeline, db_path: Path
) -> None:
    pipeline.add("Alpha", DealFields())
    with _log(db_path).open("ab") as handle:
        handle.write(b'[99,"move",1,"2026-01-01T00:00:00+07:00","=",{"stage":"lost')
    rows = list(pipeline.read().change_records())
    assert [row[1] for row in rows] == ["add"]
    pipeline.move(1, "quoted")
    _in_step(db_path, pipeline)


def test_a_change_that_fails_leaves_the_log_as_it_was(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.add("Alpha", DealFields())
    before = _log(db_path).read_bytes()

    def fail(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("salespipe.storage.jsonl.database.write_atomically", fail)
    with pytest.raises(WriteFailed, match="the disk is full"):
        pipeline.move(1, "quoted")
    monkeypatch.undo()
    assert _log(db_path).read_bytes() == before
    pipeline.move(1, "quoted")
    _in_step(db_path, pipeline)


def test_doctor_finds_a_damaged_log_and_rebuilds_it(demo: Path, cli: Cli) -> None:
    outputs = _outputs(cli)
    lines = _log(demo).read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b'"=",', b'"+",', 1)
    _log(demo).write_bytes(b"".join(lines))
    assert _differences(cli) == [
        {"check": "change log", "text": "the change log differs from the events at line 5"}
    ]
    assert cli("doctor", "--fix").exit_code == 0
    assert _differences(cli) == []
    assert _outputs(cli) == outputs


def test_a_missing_log_is_read_around_and_reported(demo: Path, cli: Cli) -> None:
    outputs = _outputs(cli)
    _log(demo).unlink()
    assert _outputs(cli) == outputs
    texts = [d["text"] for d in _differences(cli)]
    assert texts == ["the change log is missing or shorter than the main file records"]
    assert cli("doctor", "--fix").exit_code == 0
    assert _log(demo).exists()
    assert _differences(cli) == []


def test_a_log_that_is_not_rows_is_refused_as_damaged(demo: Path, cli: Cli) -> None:
    data = _log(demo).read_bytes()
    _log(demo).write_bytes(b"{" + data[1:])
    result = cli("slips")
    assert result.exit_code != 0
    assert "pipeline.changes.jsonl holds data salespipe cannot read" in result.output
