"""Opening a database: the target names the backend, so the app never does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from salespipe.app.pipeline import DealFields, Pipeline
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
    assert not store.holds(str(tmp_path / "backup.json"))
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
