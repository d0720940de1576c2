"""The journals' per-deal indexes: `show` reads a deal's lines where the index says,
and every way the index can be old, behind or damaged still shows the right history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Cli
from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.storage.jsonl import line_index
from salespipe.storage.jsonl.database import schema_version
from salespipe.storage.jsonl.snapshot import Snapshot
from test_open_index import as_index_in_main


def _meta(db_path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads(db_path.read_bytes())["_meta"]["1"]
    return meta


def _busy_pipeline(pipeline: Pipeline) -> None:
    """Deals with interleaved histories: open, won, lost, deleted, and an undone change."""
    for title in ("Alpha", "Bravo", "Charlie", "Delta"):
        pipeline.add(title, DealFields(value=Decimal(1000)))
    for round_ in range(3):
        for deal_id in (1, 2, 3, 4):
            pipeline.note(deal_id, f"call {round_} about deal {deal_id}")
    pipeline.move(1, "quoted")
    pipeline.close(2, "won")
    pipeline.close(3, "lost", reason="price")
    pipeline.note(1, "a note to take back")
    pipeline.undo()
    pipeline.delete(4)


def _scanned(snapshot: Snapshot, deal_id: int) -> list[bytes]:
    """A deal's event lines as the journal holds them, found without the index."""
    return list(snapshot._event_lines_with(b'"deal_id":%d,' % deal_id))


def test_show_gives_each_deal_exactly_its_events_from_the_index(
    pipeline: Pipeline, cli: Cli
) -> None:
    """Every deal's events through the index are the ones a search of the whole
    journal finds, in recorded order; the undone change is marked."""
    _busy_pipeline(pipeline)
    snapshot = pipeline.read()
    assert isinstance(snapshot, Snapshot)
    for deal_id in (1, 2, 3, 4):
        indexed = snapshot._indexed_event_lines(deal_id)
        assert indexed is not None
        assert indexed == _scanned(snapshot, deal_id)
        assert len(indexed) >= 4
    shown = cli.json("show", "1")
    assert [e["type"] for e in shown["events"]].count("note") == 4
    assert snapshot.undone_changes() == {orjson.loads(_scanned(snapshot, 1)[-1])["change"]}


def test_a_closed_deal_is_found_through_the_closed_index(pipeline: Pipeline, cli: Cli) -> None:
    """A won, a lost (closed, changed again) and a deleted deal read back as they are."""
    _busy_pipeline(pipeline)
    pipeline.note(3, "after losing")
    assert cli.json("show", "2")["status"] == "won"
    lost = cli.json("show", "3")
    assert (lost["status"], lost["lost_reason"]) == ("lost", "price")
    assert cli("show", "4").exit_code != 0
    assert cli("show", "99").exit_code != 0


def test_the_heads_catch_up_and_an_older_reader_still_sees_its_state(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the heads brought up to date every few records, a reader opened before
    a write keeps its history exactly, though the heads now point past it."""
    monkeypatch.setattr(line_index, "HEADS_LAG", 3)
    _busy_pipeline(pipeline)
    heads = db_path.with_name("pipeline.events.heads")
    assert heads.exists()
    before = pipeline.read()
    lines_before = before.events(1)
    for number in range(8):
        pipeline.note(1, f"later {number}")
    _stored, covered = line_index.read_head(heads, 1)
    assert covered > line_index.count_of(before.meta["event_index_size"])
    assert before.events(1) == lines_before
    assert [e.text for e in pipeline.read().events(1)][-1] == "later 7"


@pytest.mark.parametrize("damage", ["missing", "garbage", "foreign"])
def test_heads_lost_or_damaged_cost_time_not_history(
    pipeline: Pipeline,
    db_path: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
) -> None:
    """The heads are derived: without them, or with heads of something else, every
    deal's history is still whole."""
    monkeypatch.setattr(line_index, "HEADS_LAG", 2)
    _busy_pipeline(pipeline)
    expected = {i: cli.json("show", str(i)) for i in (1, 2, 3)}
    for name in ("pipeline.events.heads", "pipeline.closed.heads"):
        heads = db_path.with_name(name)
        if damage == "missing":
            heads.unlink()
        elif damage == "garbage":
            heads.write_bytes(heads.read_bytes()[:16] + b"\xff" * 64)
        else:  # heads pointing each deal at some other deal's records
            table = dict.fromkeys(range(1, 6), 1)
            heads.write_bytes(line_index.heads_bytes(table, 2))
    assert {i: cli.json("show", str(i)) for i in (1, 2, 3)} == expected


def test_a_torn_index_tail_is_cut_off_by_the_next_write(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """Index records a killed writer left past the committed size are never read and
    are cut off before the next write appends."""
    _busy_pipeline(pipeline)
    index = db_path.with_name("pipeline.events.idx")
    committed = index.read_bytes()
    index.write_bytes(committed + line_index.RECORD.pack(1, 0, 10, 1)[:20])
    assert len(cli.json("show", "1")["events"]) == len(pipeline.read().events(1))
    pipeline.note(1, "after the crash")
    data = index.read_bytes()
    assert data.startswith(committed)
    assert len(data) == len(committed) + line_index.RECORD.size
    assert pipeline.read().events(1)[-1].text == "after the crash"


def test_a_deal_numbered_past_the_heads_is_still_found(
    pipeline: Pipeline, cli: Cli, tmp_path: Path
) -> None:
    """An import may keep a very large deal number: it gets no head (the heads file
    would be huge), and its history is searched for in the index instead."""
    big = line_index.MAX_HEADED + 5
    csv = tmp_path / "deals.csv"
    csv.write_text(f"id,title,value\n{big},Huge number,100\n", encoding="utf-8")
    assert cli("import", str(csv)).exit_code == 0
    pipeline.note(big, "still here")
    pipeline.close(big, "won")
    shown = cli.json("show", str(big))
    assert shown["status"] == "won"
    assert "still here" in [e.get("text") for e in shown["events"]]


def _as_schema_two(db_path: Path) -> bytes:
    """The file as salespipe 0.2 left it: no indexes, no undone set in the main file."""
    as_index_in_main(db_path)
    document = orjson.loads(db_path.read_bytes())
    meta = document["_meta"]["1"]
    for key in ("event_index_size", "closed_index_size", "undone"):
        meta.pop(key)
    meta["schema"] = 2
    for name in ("events.idx", "events.heads", "closed.idx", "closed.heads"):
        db_path.with_name(f"pipeline.{name}").unlink(missing_ok=True)
    raw = orjson.dumps(document)
    db_path.write_bytes(raw)
    return raw


def test_a_schema_two_file_is_read_as_it_is_and_indexed_by_the_first_write(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """Reading a file without indexes searches the journals and writes nothing; the
    first write keeps a backup and builds the indexes and the undone set."""
    _busy_pipeline(pipeline)
    expected = {i: cli.json("show", str(i)) for i in (1, 2, 3)}
    original = _as_schema_two(db_path)
    assert {i: cli.json("show", str(i)) for i in (1, 2, 3)} == expected
    assert db_path.read_bytes() == original
    assert not db_path.with_name("pipeline.events.idx").exists()
    pipeline.note(2, "first write of the new salespipe")
    assert db_path.with_name("pipeline.json.schema2.bak").read_bytes() == original
    meta = _meta(db_path)
    assert meta["schema"] == schema_version()
    assert meta["migrations"][-5:] == [
        "index_journals",
        "stages_into_pipelines",
        "open_deal_columns",
        "open_index_out_of_main",
        "keep_change_log",
    ]
    assert len(meta["undone"]) == 1
    snapshot = pipeline.read()
    assert isinstance(snapshot, Snapshot)
    for deal_id in (1, 2, 3):
        assert snapshot._indexed_event_lines(deal_id) == _scanned(snapshot, deal_id)
    assert cli.json("show", "1") == expected[1]
