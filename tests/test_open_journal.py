"""The open-deals journal: what a write touches, compaction, and the schema 1 upgrade."""

from __future__ import annotations

import dataclasses
import errno
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import StoreError, WriteFailed
from salespipe.core.model import Deal
from salespipe.storage import jsonl as store
from salespipe.storage.jsonl import deal_columns
from salespipe.storage.jsonl import files as store_files
from salespipe.storage.jsonl.database import MIGRATIONS, schema_version
from salespipe.transfer.exporting import backup_head
from test_open_index import as_index_in_main


def _main(db_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(db_path.read_bytes())
    return document


def _journal(db_path: Path, generation: int) -> Path:
    return db_path.with_name(f"pipeline.open-{generation}.jsonl")


def _titles(pipeline: Pipeline) -> dict[int, str]:
    return {d.id: d.title for d in pipeline.read().open_deals()}


def test_a_write_appends_one_record_and_one_index_line(pipeline: Pipeline, db_path: Path) -> None:
    """Moving one deal of three appends exactly its new record to the journal and
    where it is to the open index's tail; the main file holds neither."""
    for title in ("Alpha", "Bravo", "Charlie"):
        pipeline.add(title, DealFields(value=Decimal(100)))
    journal = _journal(db_path, 1)
    before = journal.read_bytes()
    pipeline.move(2, "quoted")
    after = journal.read_bytes()
    assert after.startswith(before)
    added = after[len(before) :].splitlines()
    assert [orjson.loads(line)["id"] for line in added] == [2]
    meta = _main(db_path)["_meta"]["1"]
    tail = db_path.with_name(f"pipeline.open-index-{meta['open_index_generation']}.tail")
    assert tail.stat().st_size == meta["open_tail_size"]
    columns = deal_columns.columns(orjson.loads(added[0]))
    assert columns[:4] == ["quoted", "tester", "THB", 100]  # stage, owner, currency, value
    place = {"id": 2, "at": len(before), "size": len(added[0])}
    assert orjson.loads(tail.read_bytes().splitlines()[-1]) == {"2": {**place, "q": columns}}
    assert _main(db_path)["deals"] == {}
    assert b"Alpha" not in db_path.read_bytes()
    assert _titles(pipeline) == {1: "Alpha", 2: "Bravo", 3: "Charlie"}
    assert pipeline.read().get_deal(2).stage == "quoted"  # type: ignore[union-attr]


def test_a_journal_mostly_superseded_is_compacted_into_a_new_generation(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once superseded records outweigh live ones, the next write rewrites the live
    records as the next generation and removes the old file."""
    monkeypatch.setattr(store.database, "COMPACT_ABOVE", 2000)
    for title in ("Alpha", "Bravo"):
        pipeline.add(title, DealFields())
    generations = set()
    for number in range(12):
        pipeline.note(1, f"call number {number}")
        generations.add(_main(db_path)["_meta"]["1"]["open_generation"])
    assert len(generations) > 1
    current = _main(db_path)["_meta"]["1"]["open_generation"]
    assert [p.name for p in db_path.parent.glob("pipeline.open-*.jsonl")] == [
        f"pipeline.open-{current}.jsonl"
    ]
    assert _journal(db_path, current).stat().st_size < 4000
    assert _titles(pipeline) == {1: "Alpha", 2: "Bravo"}
    assert pipeline.read().get_deal(1).updated_at is not None  # type: ignore[union-attr]


def test_a_reader_keeps_its_state_while_a_writer_compacts(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot taken before a compaction still reads its own open deals after the
    writer removed the journal it was reading."""
    pipeline.add("Alpha", DealFields())
    pipeline.add("Bravo", DealFields())
    reader = pipeline.read()
    monkeypatch.setattr(store.database, "COMPACT_ABOVE", 0)
    pipeline.close(1, "won")
    pipeline.close(2, "lost", reason="budget")
    pipeline.add("Charlie", DealFields())
    assert not _journal(db_path, 1).exists()
    assert [d.title for d in reader.open_deals()] == ["Alpha", "Bravo"]
    assert _titles(pipeline) == {3: "Charlie"}


def test_a_reader_that_finds_the_journal_gone_reads_the_main_file_again(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between reading the main file and opening the journal a compaction may remove
    the journal: the reader starts again and sees the newer state."""
    pipeline.add("Alpha", DealFields())
    real_open = store_files.CommittedBytes.open.__func__  # type: ignore[attr-defined]
    calls = []

    def gone_once(cls: type, path: Path, size: int) -> Any:
        calls.append(path)
        if len(calls) == 1:
            raise FileNotFoundError(path)
        return real_open(cls, path, size)

    monkeypatch.setattr(store_files.CommittedBytes, "open", classmethod(gone_once))
    assert [d.title for d in pipeline.read().open_deals()] == ["Alpha"]
    assert calls.count(calls[0]) == 2  # the journal, once more after reading the main file


def test_a_journal_missing_for_good_is_reported(pipeline: Pipeline, db_path: Path) -> None:
    """A main file naming an open-deals journal that is not there: a clear store error."""
    pipeline.add("Alpha", DealFields())
    _journal(db_path, 1).unlink()
    with pytest.raises(StoreError, match=r"pipeline\.open-1\.jsonl"):
        pipeline.read()
    with pytest.raises(StoreError, match=r"pipeline\.open-1\.jsonl"):
        pipeline.add("Bravo", DealFields())


def _as_schema_one(db_path: Path) -> bytes:
    """Rewrite a database the way salespipe 0.1 kept it: open records in the main file."""
    as_index_in_main(db_path)
    document = _main(db_path)
    meta = document["_meta"]["1"]
    journal = _journal(db_path, meta.pop("open_generation"))
    meta.pop("open_size")
    for key in ("event_index_size", "closed_index_size", "undone"):
        meta.pop(key)
    meta["schema"] = 1
    lines = journal.read_bytes()
    document["deals"] = {
        key: orjson.loads(lines[entry["at"] : entry["at"] + entry["size"]])
        for key, entry in document["deals"].items()
    }
    journal.unlink()
    raw = orjson.dumps(document)
    db_path.write_bytes(raw)
    return raw


def test_a_schema_one_file_is_read_as_it_is_and_upgraded_by_the_first_write(
    pipeline: Pipeline, db_path: Path
) -> None:
    """Reading a 0.1 file changes nothing; the first write keeps a backup, moves the
    open records to the journal, and every deal is still there."""
    for title in ("Alpha", "Bravo", "Charlie"):
        pipeline.add(title, DealFields(value=Decimal("1.5")))
    pipeline.close(3, "lost", reason="price")
    original = _as_schema_one(db_path)
    assert _titles(pipeline) == {1: "Alpha", 2: "Bravo"}
    assert db_path.read_bytes() == original
    assert not list(db_path.parent.glob("pipeline.open-*.jsonl"))
    pipeline.move(1, "quoted")
    assert db_path.with_name("pipeline.json.schema1.bak").read_bytes() == original
    meta = _main(db_path)["_meta"]["1"]
    assert (meta["schema"], meta["open_generation"]) == (schema_version(), 1)
    assert meta["migrations"] == [step.__name__ for step in MIGRATIONS]
    assert meta["migrations"][:6] == [
        "open_deals_to_journal",
        "index_journals",
        "stages_into_pipelines",
        "open_deal_columns",
        "open_index_out_of_main",
        "keep_change_log",
    ]
    head = backup_head(pipeline.read(), datetime.now())
    assert set(head["meta"]) == {"created_at", "next_deal_id", "next_seq", "next_change"}
    deals = {d.id: d for d in pipeline.read().all_deals()}
    assert (deals[1].stage, deals[2].title, deals[3].status) == ("quoted", "Bravo", "lost")
    assert deals[2].value == Decimal("1.5")


def test_a_compaction_that_cannot_be_written_changes_nothing(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while writing the next generation: the write fails as a whole, the
    files stay byte-identical and the half-made generation is gone."""
    pipeline.add("Alpha", DealFields())
    pipeline.add("Bravo", DealFields())
    for text in ("first call", "second call"):
        pipeline.note(1, text)
    before = {p.name: p.read_bytes() for p in db_path.parent.iterdir()}
    real_write = store.database.write_atomically

    def disk_full_for_journals(target: Path, data: bytes, prefix: str, **kwargs: Any) -> None:
        if ".open-" in target.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(target, data, prefix, **kwargs)

    monkeypatch.setattr(store.database, "COMPACT_ABOVE", 0)
    monkeypatch.setattr(store.database, "write_atomically", disk_full_for_journals)
    with pytest.raises(WriteFailed, match="disk is full"):
        pipeline.note(1, "third call")
    assert {p.name: p.read_bytes() for p in db_path.parent.iterdir()} == before


# -- journal lines written ahead of the commit (Spool) ------------------------------------


def _close_many(pipeline: Pipeline, ids: list[int], fail: bool = False) -> None:
    """One transaction closing the given deals (and then failing, if asked)."""
    with pipeline.work("test") as work:
        for deal_id in ids:
            before = work.deal(deal_id)
            after = dataclasses.replace(before, status="won", closed_at=work.now)
            work.save("won", before, after, work.now)
        assert work.tx.get_deal(ids[0]).status == "won"  # type: ignore[union-attr]
        if fail:
            raise RuntimeError("the use case failed after writing ahead")


def test_a_large_change_writes_ahead_unseen_until_it_commits(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the spool limit a transaction writes its journal lines ahead; a reader in the
    meantime sees the committed state, the transaction reads back what it wrote."""
    for n in range(6):
        pipeline.add(f"Deal {n}", DealFields())
    monkeypatch.setattr(store_files, "SPOOL_LIMIT", 200)
    events = db_path.with_name("pipeline.events.jsonl")
    committed = events.stat().st_size
    seen_meanwhile: list[int] = []
    journal_sizes: list[int] = []
    real_save = store.Transaction.save_deals

    def save_and_peek(tx: store.Transaction, deals: Any) -> None:
        real_save(tx, deals)
        seen_meanwhile.append(len(pipeline.read().open_deals()))
        journal_sizes.append(events.stat().st_size)

    monkeypatch.setattr(store.Transaction, "save_deals", save_and_peek)
    _close_many(pipeline, [1, 2, 3, 4])
    assert journal_sizes[-1] > committed, "written ahead before the commit"
    assert seen_meanwhile == [6, 6, 6, 6]
    assert len(pipeline.read().open_deals()) == 2
    assert [e.type for e in pipeline.read().events()].count("won") == 4


def test_a_change_that_fails_after_writing_ahead_leaves_the_files_as_they_were(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Journal lines written ahead of a commit that never comes are taken back."""
    for n in range(6):
        pipeline.add(f"Deal {n}", DealFields())
    before = {p.name: p.read_bytes() for p in db_path.parent.iterdir()}
    monkeypatch.setattr(store_files, "SPOOL_LIMIT", 200)
    with pytest.raises(RuntimeError):
        _close_many(pipeline, [1, 2, 3, 4], fail=True)
    assert {p.name: p.read_bytes() for p in db_path.parent.iterdir()} == before


def test_a_change_refused_for_a_lost_lock_leaves_the_next_writers_change(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large import wrote ahead, its lock file was replaced, a second writer let in by
    the new one committed a deal, and the import, refused at its commit, cut the journals
    back to where it began: the acknowledged deal was lost and every command refused
    the database after (the hostile trial)."""
    for n in range(6):
        pipeline.add(f"Deal {n}", DealFields())
    monkeypatch.setattr(store_files, "SPOOL_LIMIT", 200)
    events = db_path.with_name("pipeline.events.jsonl")
    committed = events.stat().st_size
    other = Pipeline.open(db_path)
    real_save = store.Transaction.save_deals
    let_in: list[int] = []
    replaced: list[bool] = []

    def meanwhile_another_writer(tx: store.Transaction, deals: Any) -> None:
        real_save(tx, deals)
        if not replaced and events.stat().st_size > committed:  # written ahead
            replaced.append(True)
            lock = db_path.with_name("pipeline.lock")
            lock.unlink()
            lock.write_bytes(b"")
            let_in.append(other.add("Acknowledged", DealFields()).deals[0].id)

    monkeypatch.setattr(store.Transaction, "save_deals", meanwhile_another_writer)
    with pytest.raises(WriteFailed, match="was removed or replaced"):
        _close_many(pipeline, [1, 2, 3, 4])
    monkeypatch.setattr(store.Transaction, "save_deals", real_save)
    assert let_in == [7]
    after = Pipeline.open(db_path).read()
    assert _titles(Pipeline.open(db_path))[7] == "Acknowledged"
    assert [d.status for d in after.open_deals()].count("won") == 0
    assert len(after.open_deals()) == 7
    assert Pipeline.open(db_path).add("Next", DealFields()).deals[0].id == 8
    checkup = Pipeline.open(db_path).doctor(False)
    assert not checkup.findings
    assert not checkup.cannot_fix


def _main_file_before_a_compaction(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> bytes:
    """Three deals, then a note whose commit starts a new open-deals generation; the main
    file of before it."""
    for n in range(3):
        pipeline.add(f"Deal {n}", DealFields())
    older = db_path.read_bytes()
    monkeypatch.setattr(store.database, "COMPACT_ABOVE", 0)
    monkeypatch.setattr(store.database, "COMPACT_LIVE_SHARE", 1.1)
    pipeline.note(1, "compacts: the open-deals files start a new generation")
    return older


def test_a_write_on_an_older_main_file_put_back_deletes_none_of_the_newer_files(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync tool put back the main file of before a compaction: the next write took the
    live open-deals files for a killed writer's leftovers and deleted them, before it was
    refused, so putting the right main file back no longer helped (the hostile trial)."""
    older = _main_file_before_a_compaction(pipeline, db_path, monkeypatch)
    newer = db_path.read_bytes()
    files = sorted(p.name for p in db_path.parent.iterdir())
    assert "pipeline.open-2.jsonl" in files
    db_path.write_bytes(older)
    # (Without the last commit's stamp in the lock file, as when the sync tool put back
    # the lock file too: with it, the write is refused earlier, as older than its journals.)
    db_path.with_name("pipeline.lock").write_bytes(b"")

    with pytest.raises(StoreError, match="is missing"):
        pipeline.add("Refused", DealFields())

    assert sorted(p.name for p in db_path.parent.iterdir()) == files
    db_path.write_bytes(newer)
    assert _titles(pipeline) == {1: "Deal 0", 2: "Deal 1", 3: "Deal 2"}
    checkup = pipeline.doctor(False)
    assert not checkup.findings
    assert not checkup.cannot_fix


def test_an_older_main_file_put_back_from_before_a_compaction_is_said_so_by_every_command(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    """With the lock file's stamp there: a write said the main file was older than its
    journals, while doctor and list said an open-deals file was missing and to restore
    from a backup (the third review)."""
    older = _main_file_before_a_compaction(pipeline, db_path, monkeypatch)
    db_path.write_bytes(older)
    for command in (["list"], ["doctor"], ["add", "Refused"]):
        said = cli(*command)
        assert said.exit_code == 4, command
        assert "older than its journals" in said.stderr, command


def test_a_new_database_whose_first_change_fails_after_writing_ahead_leaves_nothing(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing ahead creates the main file first (never a journal without it) and a
    failure removes both, and then the lock file and the folder made for them."""
    monkeypatch.setattr(store_files, "SPOOL_LIMIT", 200)
    created_early: list[bool] = []

    def add_five_then_fail() -> None:
        with pipeline.work("test") as work:
            for n in range(5):
                deal_id = work.tx.allocate_deal_id()
                deal = Deal(deal_id, f"Deal {n}", "presented", work.now, work.now, work.now)
                work.save("add", None, deal, work.now)
            created_early.append(db_path.exists())
            raise RuntimeError("failed")

    with pytest.raises(RuntimeError):
        add_five_then_fail()
    assert created_early == [True]
    assert not db_path.parent.exists()


def test_a_full_disk_while_writing_ahead_changes_nothing(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC in the middle of writing ahead: exit-4 error naming the data file, every
    file byte-identical."""
    for n in range(6):
        pipeline.add(f"Deal {n}", DealFields())
    before = {p.name: p.read_bytes() for p in db_path.parent.iterdir()}
    monkeypatch.setattr(store_files, "SPOOL_LIMIT", 200)
    real_pwrite = os.pwrite

    def half_then_full(fd: int, data: Any, offset: int) -> int:
        if len(data) > 20:
            return real_pwrite(fd, bytes(data[: len(data) // 2]), offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", half_then_full)
    with pytest.raises(WriteFailed, match=r"pipeline\.json: the disk is full"):
        _close_many(pipeline, [1, 2, 3, 4])
    monkeypatch.setattr(os, "pwrite", real_pwrite)
    assert {p.name: p.read_bytes() for p in db_path.parent.iterdir()} == before


def test_a_write_refused_on_a_journal_names_the_journal(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal made read-only (chattr +i) refused the append; the error named the
    main file, which was writable (a scripting trial)."""
    pipeline.add("Deal", DealFields())
    before = {p.name: p.read_bytes() for p in db_path.parent.iterdir()}
    events = store_files.DatabasePaths.for_main(db_path).events
    real_open = os.open

    def refused(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(events) and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(errno.EACCES, "Permission denied", str(events))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(WriteFailed) as failed:
        pipeline.add("Another", DealFields())
    monkeypatch.setattr(os, "open", real_open)
    assert failed.value.message == (
        f"Cannot write the file {events}, part of the data file {db_path}: permission was "
        "denied; nothing was changed."
    )
    assert {p.name: p.read_bytes() for p in db_path.parent.iterdir()} == before
