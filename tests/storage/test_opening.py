"""Opening a database: the target names the backend, so the app never does."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import WriteFailed
from salespipe.core.model import default_stages
from salespipe.storage import memory, open_storage
from salespipe.storage.jsonl import Store
from salespipe.storage.memory import MemoryStorage
from salespipe.storage.port import Initial


def initial() -> Initial:
    return Initial(default_stages("en"), "2026-01-05T09:00:00+07:00")


@pytest.fixture
def forget_memory() -> Iterator[None]:
    yield
    memory.forget("opening")
    memory.forget("another")


def test_a_path_opens_the_data_file(tmp_path: Path) -> None:
    for target in (tmp_path / "p.json", str(tmp_path / "p.json")):
        storage = open_storage(target, initial)
        assert isinstance(storage, Store)
        assert storage.location == str(tmp_path / "p.json")


def test_a_memory_target_is_one_database_per_name(forget_memory: None) -> None:
    storage = open_storage("memory:opening", initial)
    assert isinstance(storage, MemoryStorage)
    assert storage.location == "memory:opening"
    Pipeline.open("memory:opening").add("Shared", DealFields())
    deals = Pipeline.open("memory:opening").read().open_deals()
    assert [d.title for d in deals] == ["Shared"]
    assert not Pipeline.open("memory:another").read().exists


def test_the_data_file_knows_its_own_files(tmp_path: Path) -> None:
    pipeline = Pipeline.open(tmp_path / "p.json")
    pipeline.add("A", DealFields())
    pipeline.close(1, "won")
    store = pipeline.store
    for name in ("p.json", "p.events.jsonl", "p.closed.jsonl"):
        assert store.holds(str(tmp_path / name))
    assert store.holds(str(tmp_path / "sub" / ".." / "p.json"))
    # The lock and the copies doctor --fix and upgrades keep are its own too: an export
    # written over the lock let a second writer in beside the one holding it (an audit).
    (tmp_path / "p.json.schema5.bak").write_bytes(b"{}")
    for name in ("p.lock", "p.json.doctor.bak", "p.json.schema5.bak"):
        assert store.holds(str(tmp_path / name)), name
    assert not store.holds(str(tmp_path / "backup.json"))
    assert not store.holds(str(tmp_path / "p.csv"))
    assert not open_storage("memory:opening", initial).holds(str(tmp_path / "p.json"))


def test_a_database_is_known_however_it_is_named(tmp_path: Path, forget_memory: None) -> None:
    """``identity`` tells databases apart, not their names (copy refuses one onto itself;
    the server's case is in test_copy)."""
    (tmp_path / "sub").mkdir()
    named = open_storage(tmp_path / "p.json", initial).identity()
    assert open_storage(tmp_path / "sub" / ".." / "p.json", initial).identity() == named
    assert open_storage(tmp_path / "q.json", initial).identity() != named
    memory_one = open_storage("memory:opening", initial).identity()
    assert memory_one == open_storage("memory:opening", initial).identity()
    assert memory_one != open_storage("memory:another", initial).identity()


def test_a_change_is_not_written_once_its_lock_file_was_replaced(tmp_path: Path) -> None:
    """A lock file replaced while a change held it (a file written over it, removed by
    hand) let the next writer lock the new one: both wrote, one change was lost and the
    database was refused after (an audit). The change is refused before it writes."""
    pipeline = Pipeline.open(tmp_path / "p.json")
    pipeline.add("Kept", DealFields())
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.name != "p.lock"}

    def change_while_the_lock_is_replaced() -> None:
        with pipeline.store.transaction(lambda: 1.0, "test", "2026-11-27T10:00:00+07:00") as tx:
            deal = tx.get_deal(1)
            assert deal is not None
            tx.save_deals([dataclasses.replace(deal, title="Lost")])
            (tmp_path / "p.lock").unlink()
            (tmp_path / "p.lock").write_bytes(b"")

    with pytest.raises(WriteFailed, match="was removed or replaced"):
        change_while_the_lock_is_replaced()
    after = {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.name != "p.lock"}
    assert after == before
    assert [d.title for d in Pipeline.open(tmp_path / "p.json").read().open_deals()] == ["Kept"]
