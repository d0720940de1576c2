"""A data file's change is made whole or not at all, also when the commit is interrupted
or a write fails around it: Ctrl-C after the commit point, a full disk on a new file, a
damaged index, a failed ``copy --replace``."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import salespipe
from salespipe.core.errors import WriteFailed
from salespipe.storage.interrupts import HeldInterrupts, InterruptedAfterCommit
from salespipe.storage.jsonl import database
from salespipe.transfer.copying import copy_pipeline


@pytest.fixture
def sigint_as_a_terminal_sends_it() -> Iterator[None]:
    """A run started in the background ignores SIGINT; these tests need Ctrl-C heard."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _titles(cli) -> list[str]:
    return [deal["title"] for deal in cli.json("list")]


@pytest.mark.usefixtures("sigint_as_a_terminal_sends_it")
def test_ctrl_c_while_a_commit_tidies_up_keeps_the_change_and_says_so(
    cli, db_path: Path, monkeypatch
) -> None:
    """Ctrl-C after the main file's rename took back the journals it counts on: the
    command said "nothing was changed", the deal was listed, and every later command
    found the file damaged."""
    assert cli("add", "First").exit_code == 0
    tidy = database.Store._remove_other_open_journals

    def ctrl_c_then_tidy(self: database.Store, current: Path) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        tidy(self, current)

    with monkeypatch.context() as patched:
        patched.setattr(database.Store, "_remove_other_open_journals", ctrl_c_then_tidy)
        stopped = cli("add", "Second")
    assert stopped.exit_code == 130
    assert "Interrupted after the change was made" in stopped.stderr
    assert _titles(cli) == ["First", "Second"]
    assert cli("doctor").exit_code == 0
    assert cli("add", "Third").exit_code == 0


def test_an_exception_after_the_commit_point_leaves_the_change_whole(
    cli, db_path: Path, monkeypatch
) -> None:
    """Whatever ends the tidying up after the rename, the committed journals stay."""
    assert cli("add", "First").exit_code == 0

    def interrupted(self: database.Store, current: Path) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(database.Store, "_remove_other_open_journals", interrupted)
        assert cli("add", "Second").exit_code == 130
    assert _titles(cli) == ["First", "Second"]
    assert cli("doctor").exit_code == 0


@pytest.mark.usefixtures("sigint_as_a_terminal_sends_it")
def test_held_interrupts_act_once_the_block_ends() -> None:
    """SIGINT during the held part is raised at the end, as an interrupt after commit."""
    reached: list[str] = []

    def held_block() -> None:
        with HeldInterrupts() as held:
            held.hold()
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("the end of the block")

    with pytest.raises(InterruptedAfterCommit):
        held_block()
    assert reached == ["the end of the block"]


def test_held_interrupts_stay_ignored_where_sigint_is_ignored() -> None:
    """A job started in the background ignores SIGINT; holding must not turn it on."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with HeldInterrupts() as held:
            held.hold()
            os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_full_disk_on_a_new_file_is_one_sentence(cli, tmp_path: Path, monkeypatch) -> None:
    """The first add on a full disk ended in an OSError traceback."""

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(database, "write_atomically", disk_full)
    new = tmp_path / "new" / "p.json"
    result = cli("--db", str(new), "add", "x")
    assert result.exit_code == 4
    assert "the disk is full; nothing was changed." in result.stderr
    assert "Traceback" not in result.stderr
    assert not new.exists()


def test_a_shortened_events_index_refuses_writes_in_one_sentence(cli, db_path: Path) -> None:
    """A cut index file ended every write in an IndexDamaged traceback (exit 1)."""
    for title in ("a", "b", "c"):
        assert cli("add", title).exit_code == 0
    index = db_path.with_name(db_path.stem + ".events.idx")
    before = db_path.read_bytes()
    os.truncate(index, 28)
    refused = cli("add", "d")
    assert refused.exit_code == 4
    assert "salespipe doctor --fix" in refused.stderr
    assert db_path.read_bytes() == before
    assert cli("doctor", "--fix").exit_code == 0
    assert cli("add", "d").exit_code == 0
    assert _titles(cli) == ["a", "b", "c", "d"]


def test_a_failed_copy_replace_leaves_the_target_as_it_was(tmp_path: Path, monkeypatch) -> None:
    """copy --replace moved the new journals over the target's before writing its main
    file: a failure there left the old main file pointing into the new journals."""
    target = salespipe.open(str(tmp_path / "p.json"))
    for n in range(5):
        target.add(f"old deal {n}", value="100")
    source = salespipe.open(str(tmp_path / "q.json"))
    source.add("new deal", value="5")
    real = database.write_atomically

    def main_file_fails(path: Path, data: bytes, prefix: str, like: Path | None = None) -> None:
        if path == tmp_path / "p.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data, prefix, like)

    with monkeypatch.context() as patched:
        patched.setattr(database, "write_atomically", main_file_fails)
        with pytest.raises(WriteFailed, match="nothing was changed"):
            copy_pipeline(source._app, target._app, replace=True)
    again = salespipe.open(str(tmp_path / "p.json"))
    assert [d.title for d in again.deals()] == [f"old deal {n}" for n in range(5)]
    assert all(len(again.events(d.id)) == 1 for d in again.deals())
