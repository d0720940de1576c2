"""The change log: every event's change row (:mod:`salespipe.core.change_rows`) kept
beside the events journal, so that a report replaying the history parses a few
fields per event instead of whole event records (``pipeline.changes.jsonl``, see
docs/data-format.md).

It is kept like the journals' indexes (:mod:`.line_index`): append-only, one JSON
array per line in the order of the events journal, written by the same commit as the
events (the main file records its committed size, ``change_log_size``; a writer cuts
off a tail a killed writer left). A file from before it has no size: its first write
builds the log from the events journal, and until then a reader derives the rows
from the events. It is derived data: ``doctor`` rebuilds it from the journal and
compares.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from salespipe.core.change_rows import ChangeRow, change_row
from salespipe.storage.jsonl.files import Spool, damaged, missing, shortened

if TYPE_CHECKING:
    from salespipe.storage.jsonl.snapshot import Snapshot

SIZE_KEY = "change_log_size"
"""The main file's count of the committed bytes of the log."""

_CHUNK = 64 << 10  # read a few hundred rows at a time, as Snapshot.event_records does


def line_of(event: dict[str, Any]) -> bytes:
    """The log's line of one stored event record, newline included."""
    return orjson.dumps(change_row(event)) + b"\n"


def derive(event_lines: Iterable[bytes]) -> bytes:
    """The whole log of an events journal, given its lines."""
    loads = orjson.loads
    return b"".join(line_of(loads(line)) for line in event_lines)


def build(path: Path, event_lines: Iterable[bytes], main: Path) -> int:
    """Write the whole log of an events journal to ``path``, over what is there (no
    committed state names it yet), a few MB at a time; its size, once it is durable.
    Raises ValueError, KeyError, TypeError or IndexError for a line that is not an
    event record."""
    log = Spool(path, 0, None, main, check=check_log)
    loads = orjson.loads
    try:
        for line in event_lines:
            log.append(line_of(loads(line)))
        log.finish()
    except BaseException:
        log.discard()
        raise
    return len(log)


def check_log(path: Path, committed_size: int) -> None:
    """Refuse to append to a log cut short or not ending in a whole row."""
    if committed_size == 0:
        return
    try:
        with path.open("rb") as handle:
            actual = os.fstat(handle.fileno()).st_size
            handle.seek(committed_size - 2)
            last_two = handle.read(2)
    except FileNotFoundError:
        raise missing(path) from None
    if actual < committed_size:
        raise shortened(path, actual, committed_size)
    if last_two != b"]\n":
        raise damaged(path)


def spool(
    path: Path, meta: dict[str, Any], before_spill: Callable[[], None] | None, main: Path
) -> Spool | None:
    """Where one transaction's new rows go; None for a file whose log is not built."""
    committed = meta.get(SIZE_KEY)
    if committed is None:
        return None
    return Spool(path, committed, before_spill, main, check=check_log)


def stored(path: Path, size: int) -> bytes | None:
    """The committed bytes of the log, or None when the file is missing or short."""
    if not size:
        return b""
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except FileNotFoundError:
        return None
    return data if len(data) == size else None


def rows(snapshot: Snapshot) -> Iterator[ChangeRow]:
    """The change rows of a database state: read from its log, or derived from its
    events when it has none yet (or it is missing or cut short: ``doctor`` says so)."""
    path = snapshot.paths.change_log
    size: int | None = snapshot.meta.get(SIZE_KEY)
    if size == 0:
        return iter(())
    handle = _open_whole(path, size) if size is not None else None
    if handle is None or size is None:
        return map(change_row, snapshot.event_records())
    return _read(handle, path, size)


def _open_whole(path: Path, size: int) -> BinaryIO | None:
    """The log opened, if it holds at least ``size`` bytes."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    if os.fstat(handle.fileno()).st_size < size:
        handle.close()
        return None
    return handle


def _read(handle: BinaryIO, path: Path, size: int) -> Iterator[ChangeRow]:
    loads = orjson.loads
    with handle:
        remaining, pending = size, b""
        while remaining > 0:
            chunk = pending + handle.read(min(remaining, _CHUNK))
            read = len(chunk) - len(pending)
            if not read:
                raise shortened(path, size - remaining, size)
            remaining -= read
            cut = chunk.rfind(b"\n") + 1
            if remaining == 0 and cut != len(chunk):
                raise damaged(path)
            try:
                parsed = [loads(line) for line in chunk[:cut].splitlines()]
            except orjson.JSONDecodeError:
                raise damaged(path) from None
            if parsed and (set(map(len, parsed)) != {6} or type(parsed[0]) is not list):
                raise damaged(path)  # rows are six-item arrays (checked cheaply)
            yield from parsed
            pending = chunk[cut:]
