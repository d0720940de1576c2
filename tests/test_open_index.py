"""The open deals' index (storage/jsonl/open_index.py): a write appends to its tail
and leaves the checkpoint alone, the tail is folded into a new checkpoint past its
bound, readers keep their state, a torn tail is cut back, a schema 4 file is upgraded
with nothing else changed, and `doctor` finds and fixes a damaged index."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Cli
from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import StoreError
from salespipe.storage.jsonl import open_index
from salespipe.storage.jsonl.database import schema_version
from salespipe.storage.jsonl.files import DatabasePaths
from salespipe.storage.jsonl.snapshot import Snapshot


def _meta(db_path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads(db_path.read_bytes())["_meta"]["1"]
    return meta


def _index_files(db_path: Path) -> tuple[Path, Path]:
    """The checkpoint and tail the main file names."""
    paths = DatabasePaths.for_main(db_path)
    generation = _meta(db_path)["open_index_generation"]
    return paths.open_checkpoint(generation), paths.open_tail(generation)


def _entries(pipeline: Pipeline) -> dict[str, Any]:
    snapshot = pipeline.read()
    assert isinstance(snapshot, Snapshot)
    return dict(snapshot._open_index.items())


def as_index_in_main(db_path: Path) -> bytes:
    """Rewrite a database the way salespipe kept it at schema 5: the open index in the
    main file's deals table, no checkpoint or tail."""
    snapshot = Pipeline.open(db_path).read()
    assert isinstance(snapshot, Snapshot)
    entries = dict(snapshot._open_index.items())
    document = orjson.loads(db_path.read_bytes())
    meta = document["_meta"]["1"]
    for key in ("open_index_generation", "open_index_size", "open_tail_size", "open_live"):
        del meta[key]
    meta.pop("change_log_size", None)  # the change log came after (schema 7)
    meta["schema"] = 5
    later = ("open_index_out_of_main", "keep_change_log")
    meta["migrations"] = [m for m in meta.get("migrations", []) if m not in later]
    document["deals"] = entries
    paths = DatabasePaths.for_main(db_path)
    for path in paths.open_index_files():
        path.unlink()
    paths.change_log.unlink(missing_ok=True)
    raw = orjson.dumps(document)
    db_path.write_bytes(raw)
    return raw


def _three_deals(pipeline: Pipeline) -> None:
    for title in ("Alpha", "Bravo", "Charlie"):
        pipeline.add(title, DealFields(value=Decimal(300)))


def test_a_write_appends_to_the_tail_and_leaves_the_checkpoint_alone(
    pipeline: Pipeline, db_path: Path
) -> None:
    """The first write makes the checkpoint; later writes append one tail line per
    deal they change (a removal as null); the checkpoint's bytes never change."""
    _three_deals(pipeline)
    checkpoint, tail = _index_files(db_path)
    written = checkpoint.read_bytes()
    first = db_path.with_name("pipeline.open-1.jsonl").read_bytes().splitlines()[0]
    assert written.startswith(b'{\n"1":{')
    assert written.endswith(b"}\n}\n")
    assert written.count(b"\n") == 3  # one entry, one line
    entry = orjson.loads(written)["1"]
    assert (entry["id"], entry["at"], entry["size"]) == (1, 0, len(first))
    pipeline.note(2, "called")
    pipeline.close(3, "won")
    assert checkpoint.read_bytes() == written
    lines = [orjson.loads(line) for line in tail.read_bytes().splitlines()]
    assert [next(iter(line)) for line in lines] == ["2", "3", "2", "3"]
    assert lines[-1] == {"3": None}
    assert _meta(db_path)["open_tail_size"] == tail.stat().st_size
    assert pipeline.read().open_deal_ids() == {1, 2}
    assert pipeline.read().get_deal(3).status == "won"  # type: ignore[union-attr]


def test_the_tail_is_folded_into_a_new_checkpoint_past_its_bound(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the tail outgrows its share of the checkpoint, the next write starts a new
    generation holding every entry, with no tail; the old files are removed, and a
    reader opened before keeps its own state."""
    monkeypatch.setattr(open_index, "TAIL_MIN", 300)
    _three_deals(pipeline)
    first = _meta(db_path)["open_index_generation"]
    reader = pipeline.read()
    generations = set()
    for number in range(8):
        pipeline.note(1 + number % 3, f"call {number}")
        generations.add(_meta(db_path)["open_index_generation"])
    pipeline.close(2, "lost", reason="price")
    assert len(generations) > 1
    checkpoint, tail = _index_files(db_path)
    paths = DatabasePaths.for_main(db_path)
    facts = paths.open_facts(_meta(db_path)["open_index_generation"])
    assert set(paths.open_index_files()) <= {checkpoint, tail, facts}
    assert not DatabasePaths.for_main(db_path).open_checkpoint(first).exists()
    assert set(_entries(pipeline)) == {"1", "3"}
    assert [d.title for d in reader.open_deals()] == ["Alpha", "Bravo", "Charlie"]
    assert sorted(d.title for d in pipeline.read().open_deals()) == ["Alpha", "Charlie"]


def test_a_reader_that_finds_the_checkpoint_gone_reads_the_main_file_again(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold between reading the main file and opening the checkpoint removes it: the
    reader starts again and sees the newer state."""
    _three_deals(pipeline)
    monkeypatch.setattr(open_index, "TAIL_MIN", 0)
    monkeypatch.setattr(open_index, "TAIL_SHARE", 0.0)
    from salespipe.storage.jsonl import database

    real = database.Store._open_files
    folded: list[bool] = []

    def fold_first(store: Any, upgrade: Any, **options: Any) -> Any:
        if not folded:
            folded.append(True)
            pipeline.note(1, "meanwhile")  # a writer folds: the named checkpoint goes
        return real(store, upgrade, **options)

    monkeypatch.setattr(database.Store, "_open_files", fold_first)
    snapshot = pipeline.read()
    assert [e.type for e in snapshot.events(1)][-1] == "note"
    assert snapshot.open_deal_ids() == {1, 2, 3}


def test_a_torn_tail_left_by_a_killed_writer_is_cut_off(pipeline: Pipeline, db_path: Path) -> None:
    """Bytes past the committed size of the tail are never read, and the next write
    cuts them off before appending."""
    _three_deals(pipeline)
    _checkpoint, tail = _index_files(db_path)
    committed = tail.read_bytes()
    with tail.open("ab") as handle:
        handle.write(b'{"3":{"torn')  # half a line: a writer killed mid-append
    assert pipeline.read().open_deal_ids() == {1, 2, 3}
    pipeline.note(3, "still open")
    data = tail.read_bytes()
    assert data.startswith(committed)
    assert b"torn" not in data
    assert data[len(committed) :].count(b"\n") == 1
    assert pipeline.read().get_deal(3).status == "open"  # type: ignore[union-attr]


def test_a_changed_tail_cut_short_outside_salespipe_is_refused(
    pipeline: Pipeline, db_path: Path
) -> None:
    _three_deals(pipeline)
    _checkpoint, tail = _index_files(db_path)
    tail.write_bytes(tail.read_bytes()[:-5])
    with pytest.raises(StoreError, match=r"open-index-1\.tail"):
        pipeline.read().open_deals()
    with pytest.raises(StoreError, match=r"open-index-1\.tail"):
        pipeline.add("Delta", DealFields())


def test_one_entry_is_read_without_parsing_the_checkpoint(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`show` and a write of one deal search the checkpoint for that deal's line."""
    monkeypatch.setattr(open_index, "TAIL_MIN", 0)
    monkeypatch.setattr(open_index, "TAIL_SHARE", 0.0)
    _three_deals(pipeline)  # each write folds: every entry is in the checkpoint
    snapshot = pipeline.read()
    assert isinstance(snapshot, Snapshot)
    assert snapshot.get_deal(2).title == "Bravo"  # type: ignore[union-attr]
    assert snapshot.get_deal(7) is None
    assert snapshot._open_index._committed is None  # never parsed whole


# -- the upgrade from schema 4 -----------------------------------------------------------------
def _views(cli: Cli) -> list[Any]:
    return [
        cli.json(*args)
        for args in (
            ["list"],
            ["list", "--status", "all"],
            ["show", "1"],
            ["show", "2"],
            ["chart"],
            ["board"],
        )
    ]


def test_a_schema_five_file_reads_the_same_and_is_upgraded_by_the_first_write(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    """Reading a schema 5 file changes nothing; the first write keeps a backup, moves
    the index out of the main file, and every view is byte for byte what it was."""
    _three_deals(pipeline)
    pipeline.note(1, "called")
    pipeline.close(2, "won")
    before = _views(cli)
    original = as_index_in_main(db_path)
    assert orjson.loads(original)["deals"]
    assert _views(cli) == before
    assert db_path.read_bytes() == original
    assert not DatabasePaths.for_main(db_path).open_index_files()
    assert cli("config", "set", "lock_timeout", "30").exit_code == 0
    assert db_path.with_name("pipeline.json.schema5.bak").read_bytes() == original
    meta = _meta(db_path)
    assert meta["schema"] == schema_version()
    assert meta["migrations"] == ["open_index_out_of_main", "keep_change_log"]
    assert orjson.loads(db_path.read_bytes())["deals"] == {}
    checkpoint, _tail = _index_files(db_path)
    assert set(orjson.loads(checkpoint.read_bytes())) == {"1", "3"}
    assert _views(cli) == before
    assert cli.json("doctor")["differences"] == []


# -- doctor ------------------------------------------------------------------------------------
def _differences(cli: Cli) -> list[dict[str, str]]:
    differences: list[dict[str, str]] = orjson.loads(cli("doctor", "--json").stdout)["differences"]
    return differences


def _garble_last_line_of(db_path: Path, key: str) -> None:
    """Overwrite a tail line of ``key`` with bytes of the same length."""
    _checkpoint, tail = _index_files(db_path)
    lines = tail.read_bytes().splitlines(keepends=True)
    where = max(i for i, line in enumerate(lines) if line.startswith(b'{"%s":' % key.encode()))
    lines[where] = b"{" + b"#" * (len(lines[where]) - 3) + b"}\n"
    tail.write_bytes(b"".join(lines))


def _point_elsewhere(db_path: Path, key: str) -> None:
    """Make the last tail line of ``key`` point at the journal's first record."""
    _checkpoint, tail = _index_files(db_path)
    lines = tail.read_bytes().splitlines(keepends=True)
    where = max(i for i, line in enumerate(lines) if line.startswith(b'{"%s":' % key.encode()))
    entry = orjson.loads(lines[where])[key]
    lines[where] = orjson.dumps({key: {**entry, "at": 0}}) + b"\n"
    tail.write_bytes(b"".join(lines))
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"]["open_tail_size"] = tail.stat().st_size
    db_path.write_bytes(orjson.dumps(document))


def _miscount_live(db_path: Path, key: str) -> None:
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"]["open_live"] += 17
    db_path.write_bytes(orjson.dumps(document))


@pytest.mark.parametrize(
    ("damage", "check", "words"),
    [
        (_garble_last_line_of, "open index", "cannot be read"),
        (_point_elsewhere, "open index", "open deal 3: the index points at an older"),
        (_miscount_live, "open index", "bytes of open deals' records"),
    ],
)
def test_doctor_finds_and_fixes_a_damaged_open_index(
    pipeline: Pipeline, db_path: Path, cli: Cli, damage: Any, check: str, words: str
) -> None:
    """A damaged tail is reported; --fix writes a new checkpoint from what can be read
    (each entry pointed at its deal's latest record) and every view is as before."""
    _three_deals(pipeline)
    pipeline.note(3, "first call")
    pipeline.note(3, "second call")
    pipeline.close(2, "won")
    before = _views(cli)
    damage(db_path, "3")
    result = cli("doctor")
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"{check}: ") and words in line for line in lines), lines
    fixed = cli("doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    assert _differences(cli) == []
    assert _views(cli) == before
    assert set(_entries(pipeline)) == {"1", "3"}
    if damage is not _miscount_live:  # rebuilt as a new checkpoint, the damaged tail gone
        checkpoint, tail = _index_files(db_path)
        assert set(orjson.loads(checkpoint.read_bytes())) == {"1", "3"}
        assert not tail.exists()


def test_doctor_names_an_unreadable_open_index_in_thai(
    pipeline: Pipeline, db_path: Path, cli: Cli
) -> None:
    _three_deals(pipeline)
    pipeline.note(3, "a call")
    _garble_last_line_of(db_path, "3")
    result = cli("--lang", "th", "doctor")
    assert result.exit_code == 1
    assert "open index: อ่านดัชนีของดีลที่เปิดอยู่ไม่ได้: " in result.stdout
    assert "open-index-1.tail" in result.stdout
