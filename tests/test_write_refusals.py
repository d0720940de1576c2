"""A write the operating system refuses: the sentence names the file (or folder) that
refused and why, in words that fit the refusal, and nothing is changed (exit 4).

A hostile trial made the main file immutable (``chattr +i``, as root) and read
``Cannot write imm, of the data file imm/base.json: permission was denied``: the folder's
name stood where a word belongs, the folder was named instead of the file, and root was
told that permission was denied.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from salespipe.storage import safe_files
from salespipe.storage.jsonl.files import DatabasePaths

REASONS = {
    errno.EACCES: "permission was denied",
    errno.EPERM: "the system does not permit it (is it marked immutable or append-only? "
    "see lsattr)",
    errno.EROFS: "the file system is read-only",
}


@pytest.fixture
def started(db_path: Path, cli: Any) -> Path:
    assert cli("init").exit_code == 0
    assert cli("add", "First", "--value", "100").exit_code == 0
    return db_path


@pytest.mark.parametrize("number", sorted(REASONS))
def test_the_main_file_refusing_its_replacement_is_named_with_the_reason(
    started: Path,
    cli: Any,
    snapshot_files: Callable[[], dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    number: int,
) -> None:
    before = snapshot_files()

    def refused(source: Path, target: Path) -> None:
        if target == started:  # as os.replace says it: the temp file, then the target
            raise OSError(number, os.strerror(number), str(source), None, str(target))
        os.replace(source, target)

    monkeypatch.setattr(safe_files, "rename", refused)
    result = cli("add", "Second", "--value", "5")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: Cannot write the data file {started}: {REASONS[number]}; nothing was changed.\n"
    )
    assert snapshot_files() == before


@pytest.mark.parametrize("number", sorted(REASONS))
def test_a_journal_refusing_is_named_as_a_file_of_the_data_file(
    started: Path,
    cli: Any,
    snapshot_files: Callable[[], dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    number: int,
) -> None:
    before = snapshot_files()
    events = DatabasePaths.for_main(started).events
    real_open = os.open

    def refused(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(events) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(number, os.strerror(number), str(events))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    result = cli("add", "Second", "--value", "5")
    monkeypatch.setattr(os, "open", real_open)
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: Cannot write the file {events}, part of the data file {started}: "
        f"{REASONS[number]}; nothing was changed.\n"
    )
    assert snapshot_files() == before


def test_a_folder_refusing_a_new_file_is_named_as_the_folder(
    started: Path,
    cli: Any,
    snapshot_files: Callable[[], dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = snapshot_files()

    def refused(folder: Path, prefix: str) -> tuple[int, Path]:
        raise PermissionError(errno.EACCES, "Permission denied", str(folder / f"{prefix}x1"))

    monkeypatch.setattr(safe_files, "temp_file", refused)
    result = cli("add", "Second", "--value", "5")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: Cannot write in the folder {started.parent} of the data file {started}: "
        "permission was denied; nothing was changed.\n"
    )
    assert snapshot_files() == before


# -- the real thing: chattr +i, where the test runs as root and chattr is there ----------


def _can_chattr(folder: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        return False
    probe = folder / "probe"
    probe.write_bytes(b"")
    try:
        made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
    finally:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        probe.unlink()
    return made


@pytest.fixture
def immutable(started: Path) -> Iterator[Callable[[Path], None]]:
    """Mark a file immutable for the test; the flag is always taken off again."""
    if not _can_chattr(started.parent):
        pytest.skip("needs root, chattr and a file system with the immutable flag")
    marked: list[Path] = []

    def mark(path: Path) -> None:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        marked.append(path)

    try:
        yield mark
    finally:
        for path in marked:
            subprocess.run(["chattr", "-i", str(path)], check=False)


def test_an_immutable_main_file_is_named_not_its_folder(
    started: Path,
    cli: Any,
    immutable: Callable[[Path], None],
    snapshot_files: Callable[[], dict[str, bytes]],
) -> None:
    before = snapshot_files()
    immutable(started)
    result = cli("add", "Second", "--value", "5")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: Cannot write the data file {started}: {REASONS[errno.EPERM]}; "
        "nothing was changed.\n"
    )
    assert snapshot_files() == before


def test_an_immutable_lock_file_is_named_with_the_reason(
    started: Path,
    cli: Any,
    immutable: Callable[[Path], None],
    snapshot_files: Callable[[], dict[str, bytes]],
) -> None:
    before = snapshot_files()
    lock = DatabasePaths.for_main(started).lock
    immutable(lock)
    result = cli("add", "Second", "--value", "5")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: Cannot open the lock file {lock}: {REASONS[errno.EPERM]}; "
        "the data file was not changed.\n"
    )
    assert snapshot_files() == before
