"""Where each deal's lines are in a journal, so that ``show`` reads a few lines rather
than the whole history: its events in the events journal, its latest record in the
closed-deals journal.

Two files beside the journal (see docs/data-format.md), e.g. for the events:

``pipeline.events.idx``
    Append-only, like the journals, and committed the same way (the main file
    records its committed size, ``event_index_size``; a writer cuts off a tail a
    killed writer left). One fixed-size record per line of a deal, in journal
    order: the deal id, where the line starts and its size, and the number (plus
    one) of the deal's previous record, so each deal's records form a chain from
    its newest back to its first.
``pipeline.events.heads``
    Where each deal's chain starts: the newest record number (plus one) of every
    deal, at a place computed from the deal id, and ``covered``, how many index
    records these heads take into account. It lags behind the index: a writer
    brings it up to date only once the records past ``covered`` are many, so a
    reader also looks through those few. It is only ever moved forward, to records
    already committed, so a reader holding an older main file follows the chain back
    past the records it does not know yet. It is derived data: a missing or damaged
    one costs time, never correctness (``doctor --fix`` rebuilds it).
"""

from __future__ import annotations

import contextlib
import os
import struct
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from salespipe.storage import safe_files
from salespipe.storage.jsonl.files import DatabasePaths, Spool, damaged, shortened

# deal id, offset of the line, its size without the newline, previous record + 1
RECORD = struct.Struct("<QQIQ")
# "SPHEADS1", then how many index records the heads cover
HEADER = struct.Struct("<8sQ")
MAGIC = b"SPHEADS1"
HEAD = struct.Struct("<Q")

# A writer brings the heads up to date once this many index records are past them.
HEADS_LAG = 2048
# Deals numbered above this (an import may keep large numbers) get no head: the heads
# file stays at most 8 bytes a number below it, and their newest record is searched for.
MAX_HEADED = 1 << 24


@dataclass(frozen=True)
class Indexed:
    """One indexed journal: its files, and the main file's count of its index."""

    journal: Path
    index: Path
    heads: Path
    size_key: str


def indexed_journals(paths: DatabasePaths) -> dict[str, Indexed]:
    """The journals that have an index: the events, the closed deals."""
    return {
        "events": Indexed(paths.events, paths.event_index, paths.event_heads, "event_index_size"),
        "closed": Indexed(
            paths.closed, paths.closed_index, paths.closed_heads, "closed_index_size"
        ),
    }


class IndexDamaged(Exception):
    """The index disagrees with itself: the reader falls back to searching the journal."""


def count_of(size: int) -> int:
    return size // RECORD.size


def check_index(path: Path, committed_size: int) -> None:
    """Refuse to append to an index cut short or not made of whole records."""
    if committed_size % RECORD.size:
        raise damaged(path)
    if committed_size == 0:
        return
    try:
        actual = os.stat(path).st_size
    except FileNotFoundError:
        actual = 0
    if actual < committed_size:
        raise shortened(path, actual, committed_size)


class LineIndex:
    """The committed index of one database state (``count`` records), read lazily."""

    def __init__(self, files: Indexed, size: int) -> None:
        self.path = files.index
        self.heads_path = files.heads
        self.count = count_of(size)
        self._fd: int | None = None
        self._tail: dict[int, int] | None = None  # deal -> newest record past the heads

    def _records(self, first: int, number: int) -> bytes:
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                weakref.finalize(self, os.close, self._fd)
            data = os.pread(self._fd, number * RECORD.size, first * RECORD.size)
        except (OSError, OverflowError):  # gone, or a number no index of ours holds
            raise IndexDamaged from None
        if len(data) != number * RECORD.size:
            raise IndexDamaged
        return data

    def record(self, number: int) -> tuple[int, int, int, int]:
        deal, offset, size, previous = RECORD.unpack(self._records(number, 1))
        return deal, offset, size, previous

    def head(self, deal_id: int) -> int:
        """The newest record of ``deal_id`` in this state, plus one (0: it has none)."""
        if not self.count:
            return 0
        stored, covered = read_head(self.heads_path, deal_id)
        if self._tail is None:
            self._tail = self._tail_heads(min(covered, self.count))
        newest = self._tail.get(deal_id)
        if newest is not None:
            return newest + 1
        if deal_id > MAX_HEADED:
            return self._search(deal_id, min(covered, self.count))
        try:
            while stored > self.count:  # moved on by a later writer: back to this state
                deal, _offset, _size, stored = self.record(stored - 1)
                if deal != deal_id:
                    raise IndexDamaged
            if stored and self.record(stored - 1)[0] != deal_id:
                raise IndexDamaged
        except IndexDamaged:  # heads of something else: slow, still right
            return self._search(deal_id, min(covered, self.count))
        return stored

    def _search(self, deal_id: int, end: int) -> int:
        """The newest record of a deal among the first ``end``, looked for one by one."""
        data = self._records(0, end)
        for number in range(end - 1, -1, -1):
            if RECORD.unpack_from(data, number * RECORD.size)[0] == deal_id:
                return number + 1
        return 0

    def _tail_heads(self, covered: int) -> dict[int, int]:
        data = self._records(covered, self.count - covered)
        return {
            deal: covered + number for number, (deal, *_rest) in enumerate(RECORD.iter_unpack(data))
        }

    def newest_places(self) -> dict[int, int]:
        """Where the newest line of every deal starts, by the committed records (a
        whole pass over the index: a few bytes a line of the journal)."""
        data = self._records(0, self.count)
        return {deal: offset for deal, offset, _size, _previous in RECORD.iter_unpack(data)}

    def latest(self, deal_id: int) -> list[tuple[int, int]]:
        """Where the latest line of ``deal_id`` is (none, or one: offset, size)."""
        head = self.head(deal_id)
        if not head:
            return []
        deal, offset, size, _previous = self.record(head - 1)
        if deal != deal_id:
            raise IndexDamaged
        return [(offset, size)]

    def places(self, deal_id: int) -> list[tuple[int, int]]:
        """Where each line of ``deal_id`` is in the journal (offset, size), in journal
        order. Raises IndexDamaged when the chain is not the deal's."""
        places = []
        following = self.head(deal_id)
        while following:
            deal, offset, size, previous = self.record(following - 1)
            if deal != deal_id or previous >= following:
                raise IndexDamaged
            places.append((offset, size))
            following = previous
        places.reverse()
        return places


def read_head(heads: Path, deal_id: int) -> tuple[int, int]:
    """The stored head of ``deal_id`` and how many records the heads cover; (0, 0)
    when there are no usable heads."""
    try:
        fd = os.open(heads, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return 0, 0
    try:
        header = os.pread(fd, HEADER.size, 0)
        if len(header) != HEADER.size:
            return 0, 0
        magic, covered = HEADER.unpack(header)
        if magic != MAGIC:
            return 0, 0
        entry = os.pread(fd, HEAD.size, HEADER.size + HEAD.size * deal_id)
        stored = HEAD.unpack(entry)[0] if len(entry) == HEAD.size else 0
        return stored, covered
    finally:
        os.close(fd)


# -- building and bringing up to date (writers and doctor) ------------------------------
_DEAL_ID = b'"deal_id":'
_UNDO = b'"type":"undo"'


def deal_of_event(line: bytes) -> int | None:
    """The deal id of one stored event line (``Event.to_record()``: ``deal_id`` comes
    before any text a person typed, so its first occurrence is the key)."""
    start = line.find(_DEAL_ID) + len(_DEAL_ID)
    if start < len(_DEAL_ID):
        raise ValueError("an event line without deal_id")
    end = line.find(b",", start)
    value = line[start:end]
    return None if value == b"null" else int(value)


def derive_events(lines: Iterator[bytes]) -> tuple[bytes, list[int]]:
    """The index of a whole events journal, given its lines (without newlines), and
    the changes its undo events took back."""
    undone: set[int] = set()
    index = bytearray()
    heads: dict[int, int] = {}
    offset = 0
    pack = RECORD.pack
    for line in lines:
        deal_id = deal_of_event(line)
        if deal_id is not None:
            number = len(index) // RECORD.size
            index += pack(deal_id, offset, len(line), heads.get(deal_id, 0))
            heads[deal_id] = number + 1
        if _UNDO in line:
            record = orjson.loads(line)
            undid = (record["after"] or {}).get("undid")
            if record["type"] == "undo" and undid is not None:
                undone.add(undid)
        offset += len(line) + 1
    return bytes(index), sorted(undone)


def derive_closed(journal: bytes) -> bytes:
    """The index of a whole closed-deals journal (each line starts with its deal id,
    see ``Transaction._append_closed``)."""
    index = bytearray()
    heads: dict[int, int] = {}
    start, end = 0, journal.find(b"\n")
    while end >= 0:
        comma = journal.find(b",", start, end)
        if comma < 0 or not journal.startswith(b'{"id":', start):
            raise ValueError(f"no deal id at byte {start}")
        deal_id = int(journal[start + 6 : comma])
        index += RECORD.pack(deal_id, start, end - start, heads.get(deal_id, 0))
        heads[deal_id] = len(index) // RECORD.size
        start, end = end + 1, journal.find(b"\n", end + 1)
    return bytes(index)


class IndexWriter:
    """The index records one transaction adds, past the committed ``index``."""

    def __init__(self, index: LineIndex | None, spool: Spool) -> None:
        self.index = index
        self.spool = spool
        self._heads: dict[int, int] = {}

    def add(self, deal_id: int, offset: int, size: int) -> int:
        """Index one new line of ``deal_id``; returns the deal's newest earlier record
        plus one (0: this is its first)."""
        if self.index is None:
            return 0
        previous = self._heads.get(deal_id)
        if previous is None:
            previous = self.index.head(deal_id)
        number = self.index.count + len(self.spool) // RECORD.size
        self.spool.append(RECORD.pack(deal_id, offset, size, previous))
        self._heads[deal_id] = number + 1
        return previous


def heads_of(index: bytes, first: int = 0) -> dict[int, int]:
    """Every deal's newest record (plus one) among index records from number ``first``
    on (``index`` starting there), deals too large for a head left out."""
    return {
        deal: first + n + 1
        for n, (deal, *_rest) in enumerate(RECORD.iter_unpack(index))
        if deal <= MAX_HEADED
    }


def heads_bytes(heads: dict[int, int], covered: int) -> bytes:
    """A whole heads file."""
    size = max(heads, default=-1) + 1
    table = bytearray(HEADER.pack(MAGIC, covered) + bytes(HEAD.size * size))
    for deal, head in heads.items():
        HEAD.pack_into(table, HEADER.size + HEAD.size * deal, head)
    return bytes(table)


def stored_heads(heads: Path) -> tuple[dict[int, int], int] | None:
    """Every stored head and what they cover, or None without usable heads."""
    try:
        data = heads.read_bytes()
    except OSError:
        return None
    if len(data) < HEADER.size:
        return None
    magic, covered = HEADER.unpack_from(data)
    if magic != MAGIC:
        return None
    table = data[HEADER.size : HEADER.size + (len(data) - HEADER.size) // HEAD.size * HEAD.size]
    return {deal: head for deal, (head,) in enumerate(HEAD.iter_unpack(table)) if head}, covered


def catch_up(
    index: Path, heads: Path, count: int, temp_prefix: str, like: Path, *, force: bool = False
) -> None:
    """Bring the heads up to the first ``count`` (committed) index records, if more
    than HEADS_LAG of them are past what the heads cover (or ``force``).

    Heads already in use are only moved forward, to committed records, and what they
    cover is written after them (fsynced in between): a reader never sees a head it
    cannot use. Heads made from nothing replace the file whole. Failing here changes
    nothing a reader relies on, so errors are left for the next writer.
    """
    with contextlib.suppress(OSError):
        _stored, covered = read_head(heads, 0)
        if covered > count:
            covered = 0  # not heads of this index: start again
        if count - covered <= (0 if force else HEADS_LAG):
            return
        with index.open("rb") as handle:
            handle.seek(covered * RECORD.size)
            data = handle.read((count - covered) * RECORD.size)
        if len(data) != (count - covered) * RECORD.size:
            return
        newest = heads_of(data, covered)
        if not covered:
            data = heads_bytes(newest, count)
            safe_files.replace_atomically(heads, data, temp_prefix, like=like)
            return
        fd = os.open(heads, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            for deal, head in newest.items():
                safe_files.write_all(fd, HEAD.pack(head), HEADER.size + HEAD.size * deal)
            safe_files.fsync(fd)
            safe_files.write_all(fd, HEADER.pack(MAGIC, count), 0)
            safe_files.fsync(fd)
        finally:
            os.close(fd)
