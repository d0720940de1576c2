"""The data file layout and its guarantees, tested in-process."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import NewerSchema, NotASalespipeFile, StoreError, WriteFailed
from salespipe.storage import jsonl as store
from salespipe.storage.jsonl.files import DatabasePaths


def files(db_path: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted(db_path.parent.iterdir())
        if not p.name.endswith(".lock")
    }


def test_reading_a_missing_file_creates_nothing(pipeline: Pipeline, db_path: Path) -> None:
    """Read-only commands on a new path show default stages and write no file."""
    assert len(pipeline.read().stages()) == 5
    assert not db_path.exists()


def test_first_write_creates_folder_and_files(pipeline: Pipeline, db_path: Path) -> None:
    """The first change creates the folder, the main file, the events journal, its
    index, its change log, the open-deals journal and the open deals' index with its
    facts."""
    pipeline.add("A", DealFields())
    assert sorted(p.name for p in db_path.parent.iterdir()) == [
        "pipeline.changes.jsonl",
        "pipeline.events.idx",
        "pipeline.events.jsonl",
        "pipeline.json",
        "pipeline.lock",
        "pipeline.open-1.jsonl",
        "pipeline.open-facts-1.json",
        "pipeline.open-index-1.json",
    ]
    meta = orjson.loads(db_path.read_bytes())["_meta"]["1"]
    assert (meta["format"], meta["schema"]) == ("salespipe", store.schema_version())


def test_closed_deals_do_not_stay_in_the_main_file(pipeline: Pipeline, db_path: Path) -> None:
    """Winning a deal moves its record out of the main file into the closed journal."""
    for _ in range(3):
        pipeline.add("Deal", DealFields(value=Decimal(10)))
    for deal_id in (1, 2):
        pipeline.close(deal_id, "won")
    assert pipeline.read().open_deal_ids() == {3}
    assert b"Deal" not in db_path.read_bytes()
    closed = db_path.with_name("pipeline.closed.jsonl").read_text().splitlines()
    assert [orjson.loads(line)["id"] for line in closed] == [1, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "not a salespipe data file"),
        (b'{"_default": {"1": {"title": "x"}}}', "not a salespipe data file"),
    ],
)
def test_foreign_files_are_refused_and_untouched(
    pipeline: Pipeline, db_path: Path, content: bytes, message: str
) -> None:
    """Empty, non-JSON and other JSON files are refused by name and never written."""
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(NotASalespipeFile, match=message) as caught:
        pipeline.add("A", DealFields())
    assert str(db_path) in caught.value.message
    assert db_path.read_bytes() == content
    with pytest.raises(NotASalespipeFile):
        pipeline.read()


def test_a_newer_schema_is_refused(pipeline: Pipeline, db_path: Path) -> None:
    """A file from a newer salespipe is refused with the versions named."""
    pipeline.add("A", DealFields())
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"]["schema"] = store.schema_version() + 1
    db_path.write_bytes(orjson.dumps(document))
    before = files(db_path)
    with pytest.raises(NewerSchema, match="newer salespipe"):
        pipeline.add("B", DealFields())
    assert files(db_path) == before


def test_an_older_schema_is_migrated_with_a_backup(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an older file for writing keeps a backup, applies each later named step in
    order and records its name in the file."""
    pipeline.add("A", DealFields())
    original = db_path.read_bytes()

    def mark_migrated(upgrade: store.database.Upgrade) -> None:
        upgrade.meta["migrated"] = True

    monkeypatch.setattr(store.database, "MIGRATIONS", (*store.database.MIGRATIONS, mark_migrated))
    assert pipeline.read().get_deal(1) is not None  # a read migrates in memory only
    assert db_path.read_bytes() == original
    pipeline.add("B", DealFields())
    backup = db_path.with_name(f"pipeline.json.schema{store.schema_version() - 1}.bak")
    assert backup.read_bytes() == original
    meta = orjson.loads(db_path.read_bytes())["_meta"]["1"]
    assert (meta["schema"], meta["migrated"]) == (store.schema_version(), True)
    assert meta["migrations"] == ["mark_migrated"]
    assert [d.title for d in pipeline.read().open_deals()] == ["A", "B"]


@pytest.mark.parametrize("schema", [True, "7", 7.0, 0, None])
def test_a_schema_that_is_not_a_whole_number_is_damage(
    pipeline: Pipeline, db_path: Path, schema: Any
) -> None:
    """A schema of the wrong type (a bool too, though Python's bool is an int) is
    refused as damaged by a read and a write, and no file changes."""
    pipeline.add("A", DealFields())
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"]["schema"] = schema
    db_path.write_bytes(orjson.dumps(document))
    before = files(db_path)
    for attempt in (pipeline.read, lambda: pipeline.add("B", DealFields())):
        with pytest.raises(StoreError, match=r"wrong value at _meta\.schema"):
            attempt()
    assert files(db_path) == before


@pytest.mark.parametrize("schema", [1, 2, 3, 4, 5, 6])
def test_a_schema_number_lowered_by_hand_is_refused_not_upgraded(
    pipeline: Pipeline, db_path: Path, schema: int
) -> None:
    """A current file whose schema number was lowered keeps the bookkeeping of the later
    schemas: it is refused (upgrading it would lose the open deals), and no file
    changes; put back, it reads as before."""
    pipeline.add("Open", DealFields(value=Decimal(1000)))
    pipeline.add("Won", DealFields())
    pipeline.close(2, "won")
    current = db_path.read_bytes()
    document = orjson.loads(current)
    document["_meta"]["1"]["schema"] = schema
    db_path.write_bytes(orjson.dumps(document))
    before = files(db_path)
    for attempt in (pipeline.read, lambda: pipeline.add("C", DealFields())):
        with pytest.raises(StoreError, match=f"says it is schema {schema},") as refused:
            attempt()
        assert str(db_path) in refused.value.message
    assert files(db_path) == before
    db_path.write_bytes(current)
    assert pipeline.read().open_deal_ids() == {1}


def test_a_torn_journal_tail_is_ignored_and_cut_off(pipeline: Pipeline, db_path: Path) -> None:
    """Bytes a killed writer appended past the committed size are invisible, then removed."""
    pipeline.add("A", DealFields())
    journal = db_path.with_name("pipeline.events.jsonl")
    committed = journal.read_bytes()
    with journal.open("ab") as handle:
        handle.write(b'{"seq": 99, "half a li')
    assert len(pipeline.read().events()) == 1
    pipeline.add("B", DealFields())
    text = journal.read_bytes()
    assert text.startswith(committed)
    assert b"half a li" not in text
    assert len(pipeline.read().events()) == 2


def test_a_killed_writers_whole_change_past_the_end_is_cut_off(
    pipeline: Pipeline, db_path: Path
) -> None:
    """The whole events of the one change a killed writer was making (numbered as the
    main file's next change) are past the end, not committed: the next write cuts them
    off and gives the same numbers again."""
    pipeline.add("A", DealFields())
    lock = db_path.with_name("pipeline.lock")
    before, stamped = db_path.read_bytes(), lock.read_bytes()
    pipeline.add("B", DealFields())  # as if killed just before its main file was in place
    db_path.write_bytes(before)
    lock.write_bytes(stamped)  # (a writer killed before its commit stamped nothing)
    assert pipeline.add("C", DealFields()).deals[0].id == 2
    assert [d.title for d in pipeline.read().all_deals()] == ["A", "C"]


def test_a_main_file_one_change_older_is_refused_not_cut_off(
    pipeline: Pipeline, db_path: Path, cli: Any
) -> None:
    """A main file put back one change older looked like a killed writer's: the next
    write cut the acknowledged change off and gave its deal id again, and doctor said all
    agreed (the hostile trial). The lock file's stamp of the last commit tells them apart."""
    pipeline.add("A", DealFields())
    previous = db_path.read_bytes()
    pipeline.add("Acknowledged", DealFields())
    db_path.write_bytes(previous)
    before = files(db_path)
    with pytest.raises(StoreError, match="older than its journals") as refused:
        pipeline.add("D", DealFields())
    assert files(db_path) == before
    found = cli("doctor")
    assert found.exit_code == 1
    # The lock file alone tells of that change: doctor gives the way out a write gives,
    # for a whole copy taken while the change was being made (it gave none).
    lock = db_path.with_name("pipeline.lock")
    assert f"remove {lock} while no salespipe runs" in refused.value.message
    assert f"remove {lock} while no salespipe runs" in " ".join(found.stdout.split())


def test_a_main_file_older_than_its_journals_is_refused(pipeline: Pipeline, db_path: Path) -> None:
    """A main file put back from an older copy on its own: its journals hold changes it
    does not record, which a write would cut off as a torn tail and whose deal ids it
    would give again. The write is refused, and no file changes."""
    pipeline.add("A", DealFields())
    pipeline.add("B", DealFields())
    nightly = db_path.read_bytes()
    pipeline.add("C", DealFields(value=Decimal(3000)))
    pipeline.close(2, "won")
    db_path.write_bytes(nightly)
    before = files(db_path)
    with pytest.raises(StoreError, match="older than its journals") as refused:
        pipeline.add("D", DealFields())
    assert "pipeline.events.jsonl" in refused.value.message
    assert files(db_path) == before


def test_a_main_file_put_back_before_its_first_event_is_refused_too(
    pipeline: Pipeline, db_path: Path
) -> None:
    """The main file of a database that recorded no event yet, put back after its first
    change: that change was cut off and its deal id given again (a review)."""
    pipeline.init()
    fresh = db_path.read_bytes()
    assert orjson.loads(fresh)["_meta"]["1"]["events_size"] == 0
    pipeline.add("Acknowledged", DealFields())
    db_path.write_bytes(fresh)
    with pytest.raises(StoreError, match="older than its journals"):
        pipeline.add("Other", DealFields())


def test_a_backup_with_a_killed_writers_leftovers_is_not_refused(
    pipeline: Pipeline, db_path: Path
) -> None:
    """All the files but the lock put back from a copy that caught a writer before its
    commit: the lock file's stamp, from later commits of the files replaced, is no
    evidence about that copy, whose leftovers are cut off as a killed writer's (a
    review: the database was refused for good, and only removing the lock mended it)."""
    pipeline.add("A", DealFields())
    before_commit = db_path.read_bytes()
    pipeline.add("In flight", DealFields())
    committed = db_path.read_bytes()
    db_path.write_bytes(before_commit)  # as the copy caught it: its journals ran ahead
    copy = files(db_path)
    db_path.write_bytes(committed)
    pipeline.add("Later 1", DealFields())
    pipeline.add("Later 2", DealFields())
    for path in db_path.parent.iterdir():
        if not path.name.endswith(".lock"):
            path.unlink()
    for name, data in copy.items():
        (db_path.parent / name).write_bytes(data)
    assert pipeline.add("After the restore", DealFields()).deals[0].id == 2
    assert [d.title for d in pipeline.read().all_deals()] == ["A", "After the restore"]


def test_a_restore_then_a_killed_writer_is_not_taken_for_a_main_file_put_back(
    pipeline: Pipeline, db_path: Path
) -> None:
    """All the files but the lock put back from a copy one change old, then a writer
    killed before its commit: its leftovers began where the stamped change had, and the
    next write was refused for good (the second review). The stamp's fingerprint of the
    change's events tells them apart."""
    pipeline.add("A", DealFields())
    copy = files(db_path)
    pipeline.add("Deal 4", DealFields())
    for name, data in copy.items():
        (db_path.parent / name).write_bytes(data)
    lock = db_path.with_name("pipeline.lock")
    before_kill, stamp = db_path.read_bytes(), lock.read_bytes()
    pipeline.add("Killed before its commit", DealFields(value=Decimal(7)))
    db_path.write_bytes(before_kill)
    lock.write_bytes(stamp)  # (a killed writer stamps nothing)
    assert pipeline.add("Next", DealFields()).deals[0].id == 2
    assert [d.title for d in pipeline.read().all_deals()] == ["A", "Next"]


def test_a_main_file_put_back_from_before_a_copy_into_it_is_refused(
    pipeline: Pipeline, db_path: Path, tmp_path: Path, cli: Any
) -> None:
    """A copy keeps its source's counters, so the change it made was no "next change" of
    the main file before it: put back, that empty main file let the next write drop the
    whole copied history (the second review)."""
    source = tmp_path / "source.json"
    for title in ("One", "Two"):
        assert cli("--db", str(source), "add", title).exit_code == 0
    pipeline.init()
    empty = db_path.read_bytes()
    assert cli("copy", str(source), str(db_path)).exit_code == 0
    db_path.write_bytes(empty)
    with pytest.raises(StoreError, match="older than its journals"):
        pipeline.add("Other", DealFields())
    assert cli("doctor").exit_code == 1


def test_a_lock_lost_during_the_commit_leaves_the_next_writers_change(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock lost while the commit itself wrote (a slow disk): its own clean-up cut
    the journals back over the change of a writer let in meanwhile (the second review)."""
    from salespipe.storage.jsonl.files import Spool

    pipeline.add("A", DealFields())
    other = Pipeline.open(db_path)
    real_finish = Spool.finish
    let_in: list[int] = []

    def meanwhile_another_writer(spool: Spool) -> None:
        # (after this commit appended to the open-deals journal and its index, before
        # its events reach their journal)
        if not let_in:
            let_in.append(0)
            lock = db_path.with_name("pipeline.lock")
            lock.unlink()
            lock.write_bytes(b"")
            let_in.append(other.add("Acknowledged", DealFields()).deals[0].id)
        real_finish(spool)

    monkeypatch.setattr(Spool, "finish", meanwhile_another_writer)
    with pytest.raises(WriteFailed, match="was removed or replaced"):
        pipeline.add("Refused", DealFields())
    monkeypatch.setattr(Spool, "finish", real_finish)
    assert let_in == [0, 2]
    assert [d.title for d in pipeline.read().all_deals()] == ["A", "Acknowledged"]
    checkup = pipeline.doctor(False)
    assert checkup.findings == []
    assert checkup.cannot_fix == ()


def test_a_main_file_put_back_one_change_older_after_a_write_without_it_is_refused(
    pipeline: Pipeline, db_path: Path
) -> None:
    """A write refused because the main file was gone removed the lock file, and with it
    the stamp of the last commit: the main file then put back one change older was taken
    for a killed writer's, the acknowledged deal 2 cut off and its id given again."""
    pipeline.add("A", DealFields())
    previous = db_path.read_bytes()
    pipeline.add("Acknowledged", DealFields())
    db_path.unlink()
    with pytest.raises(StoreError, match="does not"):
        pipeline.add("While it was gone", DealFields())
    assert db_path.with_name("pipeline.lock").read_bytes()  # the stamp is kept
    db_path.write_bytes(previous)
    before = files(db_path)
    with pytest.raises(StoreError, match="older than its journals"):
        pipeline.add("D", DealFields())
    assert files(db_path) == before


def test_a_main_file_put_back_from_before_a_doctor_fix_is_still_refused(
    pipeline: Pipeline, db_path: Path, cli: Any
) -> None:
    """doctor --fix commits no event: its stamp wrote over the last change's, and a main
    file put back from before that change went unseen again (the third review)."""
    pipeline.add("A", DealFields())
    previous = db_path.read_bytes()
    pipeline.add("Acknowledged", DealFields())
    db_path.with_name("pipeline.changes.jsonl").unlink()
    assert cli("doctor", "--fix").exit_code == 0
    db_path.write_bytes(previous)
    with pytest.raises(StoreError, match="older than its journals"):
        pipeline.add("Other", DealFields())


def test_a_lock_losers_leftovers_past_a_later_commit_are_cut_off(
    pipeline: Pipeline, db_path: Path
) -> None:
    """A writer that lost its lock left the lines it had written ahead past the end of
    the change the writer let in made, numbered as that change was (both began from the
    same main file): every later write took them for changes an older main file did not
    record, and refused the database for good (the third review)."""
    pipeline.add("A", DealFields())
    before = db_path.read_bytes()
    size = orjson.loads(before)["_meta"]["1"]["events_size"]
    journal = db_path.with_name("pipeline.events.jsonl")
    pipeline.add("The loser's", DealFields())
    losers_lines = journal.read_bytes()[size:]
    db_path.write_bytes(before)  # as if it never committed, the lock lost to another
    db_path.with_name("pipeline.lock").write_bytes(b"")
    with journal.open("r+b") as cut:
        cut.truncate(size)
    pipeline.add("The winner's", DealFields())  # numbered as the loser's change was
    with journal.open("ab") as tail:
        tail.write(losers_lines)  # left past the winner's end by the refused loser
    assert pipeline.add("Next", DealFields()).deals[0].id == 3
    assert [d.title for d in pipeline.read().all_deals()] == ["A", "The winner's", "Next"]


def test_doctor_reads_the_stamp_before_a_commit_can_make_it_newer(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit between doctor's reading the main file and the lock file's stamp made a
    healthy database look one change old: a cron job's doctor raised false alarms while
    people worked (a review)."""
    pipeline.add("A", DealFields())
    other = Pipeline.open(db_path)
    real_read = store.Store.read
    committed: list[int] = []

    def a_commit_right_after(self: store.Store) -> Any:
        snapshot = real_read(self)
        if not committed:
            committed.append(other.add("Meanwhile", DealFields()).deals[0].id)
        return snapshot

    monkeypatch.setattr(store.Store, "read", a_commit_right_after)
    checkup = pipeline.doctor(False)
    assert committed == [2]
    assert checkup.findings == []


def test_doctor_counts_changes_committed_while_it_ran_as_committed(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two commits while doctor ran left two changes past the end its snapshot records,
    one of them not the next: it said the main file was older than its journals."""
    pipeline.add("A", DealFields())
    other = Pipeline.open(db_path)
    real_read = store.Store.read
    committed: list[int] = []

    def two_commits_right_after(self: store.Store) -> Any:
        snapshot = real_read(self)
        while len(committed) < 2:
            committed.append(other.add("Meanwhile", DealFields()).deals[0].id)
        return snapshot

    monkeypatch.setattr(store.Store, "read", two_commits_right_after)
    checkup = pipeline.doctor(False)
    assert committed == [2, 3]
    assert checkup.findings == []


def test_a_lock_path_that_cannot_be_looked_at_is_a_lost_lock(tmp_path: Path) -> None:
    """A lock file replaced by a link to itself: checking whether it was still held
    raised inside the refusal's own clean-up, and nothing was taken back (a review)."""
    from salespipe.storage.jsonl.files import HeldLock

    lock = tmp_path / "p.lock"
    lock.write_bytes(b"")
    fd = os.open(lock, os.O_RDONLY)
    try:
        held = HeldLock(fd, lock)
        assert held.still_held()
        lock.unlink()
        lock.symlink_to(lock)
        assert not held.still_held()
        with pytest.raises(WriteFailed, match="was removed or replaced"):
            held.check()
    finally:
        os.close(fd)


@pytest.mark.parametrize("taken", ["open", "closed", "deleted"])
def test_a_deal_counter_set_back_by_hand_never_gives_a_number_again(
    pipeline: Pipeline, db_path: Path, tmp_path: Path, cli: Any, taken: str
) -> None:
    """With `next_deal_id` lowered by hand, the next add or import would replace a deal
    (open, closed or deleted, whose history stays): both are refused, no file changes."""
    pipeline.add("A", DealFields())
    pipeline.add("B", DealFields())
    if taken == "closed":
        pipeline.close(1, "won")
    elif taken == "deleted":
        pipeline.delete(1)
    document = orjson.loads(db_path.read_bytes())
    document["_meta"]["1"]["next_deal_id"] = 1
    db_path.write_bytes(orjson.dumps(document))
    before = files(db_path)
    with pytest.raises(StoreError, match="already holds deal 1,"):
        pipeline.add("C", DealFields())
    csv = tmp_path / "deals.csv"
    csv.write_text("title\nD\n", encoding="utf-8")
    imported = cli("import", str(csv))
    assert imported.exit_code == 4
    assert "counter was set back" in imported.stderr
    assert files(db_path) == before


def test_a_shortened_journal_is_reported(pipeline: Pipeline, db_path: Path) -> None:
    """A journal cut below its committed size is damage outside salespipe: exit-4 error."""
    pipeline.add("A", DealFields())
    journal = db_path.with_name("pipeline.events.jsonl")
    journal.write_bytes(journal.read_bytes()[:10])
    with pytest.raises(StoreError, match="shorter than the data file records"):
        pipeline.read().events()


def test_journals_without_their_main_file_are_refused(db_path: Path, pipeline: Pipeline) -> None:
    """A journal whose main file is missing is never overwritten."""
    db_path.parent.mkdir(parents=True)
    journal = db_path.with_name("pipeline.events.jsonl")
    journal.write_bytes(b'{"seq":1}\n')
    with pytest.raises(NotASalespipeFile, match="exists but its data file"):
        pipeline.add("A", DealFields())
    assert journal.read_bytes() == b'{"seq":1}\n'


def test_journals_without_their_main_file_are_named_all_at_once(
    db_path: Path, pipeline: Pipeline, cli: Any
) -> None:
    """A main file moved away with three journals left: the error named one journal,
    then, once that was moved, the next; one sentence names them all, so one round of
    work mends it."""
    pipeline.add("A", DealFields())
    pipeline.add("B", DealFields())
    cli("won", "1")
    paths = DatabasePaths.for_main(db_path)
    journals = [paths.events, paths.closed, *paths.open_journals()]
    assert len(journals) == 3
    assert all(journal.stat().st_size > 0 for journal in journals)
    db_path.unlink()
    before = files(db_path)
    for command in (["add", "C"], ["list"]):
        refused = cli(*command)
        assert refused.exit_code == 4
        assert refused.stderr == (
            f"Error: The journals {paths.events}, {paths.closed}, {paths.open_journals()[0]} "
            f"exist but their data file {db_path} does not; restore the data file or move "
            "the journals away.\n"
        )
    assert files(db_path) == before


def test_read_only_data_file_is_refused(pipeline: Pipeline, db_path: Path) -> None:
    """A data file without write permission is not replaced, even by root."""
    pipeline.add("A", DealFields())
    before = files(db_path)
    db_path.chmod(0o444)
    try:
        with pytest.raises(WriteFailed, match="read-only"):
            pipeline.add("B", DealFields())
    finally:
        db_path.chmod(0o644)
    assert files(db_path) == before


def test_a_failed_write_leaves_every_file_as_it_was(
    pipeline: Pipeline, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the disk fills during the commit, journals are cut back and the main file kept."""
    pipeline.add("A", DealFields())
    pipeline.add("B", DealFields())
    before = files(db_path)
    real_replace = os.replace

    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(WriteFailed, match="the disk is full"):
        pipeline.close(1, "won")
    monkeypatch.setattr(os, "replace", real_replace)
    assert files(db_path) == before


def test_stale_temp_files_are_removed_by_the_next_write(pipeline: Pipeline, db_path: Path) -> None:
    """A temp file left by a killed writer disappears with the next change."""
    pipeline.add("A", DealFields())
    leftover = db_path.with_name(".pipeline.json.tmp-12345")
    leftover.write_bytes(b"partial")
    pipeline.add("B", DealFields())
    assert not leftover.exists()


def test_a_reader_sees_only_what_its_main_file_committed(pipeline: Pipeline, db_path: Path) -> None:
    """A snapshot taken before a write does not see the journal lines that write added."""
    pipeline.add("A", DealFields())
    pipeline.close(1, "won")
    old = pipeline.read()
    pipeline.add("B", DealFields())
    pipeline.close(2, "lost", reason="x")
    assert [d.id for d in old.closed_deals()] == [1]
    assert len(old.events()) == 2


def test_the_feed_keeps_the_newest_events_even_when_backdated(
    pipeline: Pipeline, db_path: Path
) -> None:
    """log's one pass finds the newest by when they happened, not by journal order, and
    reports a damaged line in the middle of the journal as damage, by file."""
    from datetime import date, datetime

    pipeline.add("A", DealFields(), at=datetime.fromisoformat("2026-11-20T09:00:00+07:00"))
    pipeline.add("B", DealFields(), at=datetime.fromisoformat("2026-11-25T09:00:00+07:00"))
    pipeline.note(1, "backdated", at=datetime.fromisoformat("2026-11-21T09:00:00+07:00"))
    pipeline.note(2, "latest")
    snapshot = pipeline.read()
    newest = snapshot.newest_events(3)
    assert [(e.type, e.deal_id) for e in newest] == [("note", 2), ("add", 2), ("note", 1)]
    since = snapshot.newest_events(10, since=date(2026, 11, 21))
    assert [(e.type, e.deal_id) for e in since] == [("note", 2), ("add", 2), ("note", 1)]
    assert [e.text for e in snapshot.newest_events(5, deal_id=1)] == ["backdated", None]
    journal = db_path.with_name("pipeline.events.jsonl")
    lines = journal.read_bytes().splitlines(keepends=True)
    garbage = b'{"seq":2,"no time":"'.ljust(len(lines[1]) - 3, b"x") + b'"}\n'
    journal.write_bytes(lines[0] + garbage + b"".join(lines[2:]))
    with pytest.raises(StoreError, match=r"events\.jsonl holds data salespipe cannot read"):
        pipeline.read().newest_events(3)


def test_a_restore_takes_flags_but_never_the_files_own_bookkeeping(
    cli: Any, pipeline: Pipeline, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup's meta names flags to keep; a name the data file uses for its own sizes
    and offsets is not taken from it, so the restored file still reads."""
    pipeline.add("A", DealFields())
    backup = tmp_path / "backup.json"
    assert cli("export", "-o", str(backup)).exit_code == 0
    text = backup.read_text()
    head, rest = text.split("\n", 1)
    meta = '"meta":{"events_size":999999,"open_generation":7,"demo":true,'
    backup.write_text(head.replace('"meta":{', meta, 1) + "\n" + rest)
    restored = tmp_path / "restored.json"
    monkeypatch.setenv("SALESPIPE_DB", str(restored))
    assert cli("import", str(backup)).exit_code == 0
    snapshot = Pipeline.open(restored).read()
    assert snapshot.flags() == {"demo": True}
    assert [e.type for e in snapshot.events()] == ["add"]
    assert [d.title for d in snapshot.open_deals()] == ["A"]
