"""The open deals' index: which deals are open, and an entry for each (where its
current record is in the open-deals journal, and whatever else a write keeps there).

It is kept in two files beside the main file, so that a write appends a line or two
instead of rewriting an index of every open deal (see docs/data-format.md):

``pipeline.open-index-K.json``
    The checkpoint: every entry as of one moment, a JSON object with one member a
    line (``{``, then ``"id":entry`` lines joined by ``,``, then ``}``), so that one
    entry can be found by searching the bytes for its line. Written whole, atomically,
    and never changed after; the main file names it (``open_index_generation`` K) and
    records its size (``open_index_size``).
``pipeline.open-index-K.tail``
    The tail: one line per entry set or removed since the checkpoint, ``{"id":entry}``
    or ``{"id":null}``. Append-only and committed like the journals: the main file
    records its committed size (``open_tail_size``), a reader reads no further and a
    writer cuts off what a killed writer left past it.

A reader takes the checkpoint and then the tail, the last line of a deal winning.
When the tail grows past a share of the checkpoint (:func:`fold_due`), the writer
folds both into the next checkpoint (K+1) with an empty tail; the main file's rename
commits the switch, and the old generation's files are removed after it (a reader
that opened them keeps reading them through its descriptors).

Entries are opaque JSON values here (never null); the transaction decides what they
hold. Keys are deal ids as text, as they were in the main file.
"""

from __future__ import annotations

import contextlib
from collections.abc import ItemsView, Iterator, KeysView, MutableMapping, ValuesView
from pathlib import Path
from typing import Any

import orjson

from salespipe.storage.jsonl.files import CommittedBytes, damaged

Entry = Any

# A tail is folded into a new checkpoint once it is larger than this share of the
# checkpoint (but at most TAIL_MAX bytes), and larger than TAIL_MIN bytes: a reader
# parses at most that share more than the checkpoint, and a writer rewrites the
# checkpoint once every so many writes. TAIL_MAX bounds what a reader of the facts
# (open_facts.py) corrects them by: about 1,500 changed deals.
TAIL_SHARE = 0.25
TAIL_MIN = 64 << 10
TAIL_MAX = 256 << 10

# After this many single-entry look-ups, a writer parses the whole index once instead
# of searching the checkpoint for each (an import or an undo of one changes many).
LOOKUPS_BEFORE_LOADING = 16

_REMOVED = object()


def checkpoint_with_places(entries: dict[str, Entry]) -> tuple[bytes, list[tuple[int, int]]]:
    """A whole checkpoint, and where each entry's line is in it (offset and size of
    ``"id":entry``, in the entries' order: open_facts.py finds them there)."""
    if not entries:
        return b"{\n}\n", []
    dumps = orjson.dumps
    members = [dumps(key) + b":" + dumps(entry) for key, entry in entries.items()]
    places = []
    at = 2  # past "{\n"; each line ends with ",\n" but the last
    for member in members:
        places.append((at, len(member)))
        at += len(member) + 2
    return b"{\n" + b",\n".join(members) + b"\n}\n", places


def tail_lines(changes: dict[str, Entry]) -> bytes:
    """The tail lines of some set or removed (``None``) entries."""
    dumps = orjson.dumps
    return b"".join(dumps({key: entry}) + b"\n" for key, entry in changes.items())


def parse_tail(data: bytes) -> dict[str, Entry | None]:
    """What a tail says, each deal's last line winning (``None``: removed). Raises
    ValueError (orjson's error is one) when it is not a tail.

    Its lines are joined into one JSON object (a line holds no newline, so ``}\\n{``
    only ever joins two lines), parsed in one call; of a key given twice, the
    parser keeps the last value, which is the newest line's.
    """
    if not data:
        return {}
    said = orjson.loads(data.replace(b"}\n{", b","))
    if not isinstance(said, dict):
        raise ValueError("not an open index's tail")
    return said


def parse_checkpoint(data: bytes) -> dict[str, Entry]:
    entries = orjson.loads(data) if data else {}
    if not isinstance(entries, dict):
        raise ValueError("not a checkpoint of the open index")
    return entries


def fold_due(checkpoint_size: int, tail_size: int) -> bool:
    return tail_size > max(TAIL_MIN, min(TAIL_SHARE * checkpoint_size, TAIL_MAX))


class OpenIndex(MutableMapping[str, Entry]):
    """One database state's open index, read lazily; a transaction's changes are kept
    beside it until the store commits them (:meth:`changes`, :meth:`replaced`).

    One entry is found without parsing the checkpoint; iterating, ``len`` and the
    views parse it all once.
    """

    def __init__(self, checkpoint: CommittedBytes, tail: CommittedBytes) -> None:
        self.checkpoint = checkpoint
        self.tail = tail
        self._committed: dict[str, Entry] | None = None  # checkpoint + tail, when parsed
        self._tail_said: dict[str, Entry | None] | None = None
        self._lookups = 0
        self._searched: dict[str, Entry | None] = {}  # the checkpoint's answers so far
        self._changes: dict[str, Entry] = {}  # set, or _REMOVED
        self._replaced = False  # the changes are the whole index
        self._merged: dict[str, Entry] | None = None  # committed + changes, once asked

    @classmethod
    def of(cls, entries: dict[str, Entry], path: Path) -> OpenIndex:
        """An index held in memory (a schema upgrade took it out of the main file), to
        be written whole by the next commit."""
        index = cls(CommittedBytes(path, 0), CommittedBytes(path, 0))
        index.replace_all(entries)
        return index

    # -- the committed state ---------------------------------------------------------
    def committed(self) -> dict[str, Entry]:
        """Every committed entry (checkpoint, then tail): parsed once."""
        if self._committed is None:
            try:
                entries = parse_checkpoint(self.checkpoint.read_all())
            except ValueError:
                raise damaged(self.checkpoint.path) from None
            for key, entry in self._said_by_tail().items():
                if entry is None:
                    entries.pop(key, None)
                else:
                    entries[key] = entry
            self._committed = entries
        return self._committed

    def committed_entry(self, key: str) -> Entry | None:
        """One committed entry, found without parsing the whole checkpoint."""
        if self._committed is None:
            self._lookups += 1
            if self._lookups > LOOKUPS_BEFORE_LOADING:
                self.committed()
        if self._committed is not None:
            return self._committed.get(key)
        said = self._said_by_tail()
        if key in said:
            return said[key]
        return self._search_checkpoint(key)

    def _said_by_tail(self) -> dict[str, Entry | None]:
        if self._tail_said is None:
            try:
                self._tail_said = parse_tail(self.tail.read_all())
            except ValueError:
                raise damaged(self.tail.path) from None
        return self._tail_said

    def _search_checkpoint(self, key: str) -> Entry | None:
        """The checkpoint's entry of ``key``, searched for once a state: at 1M deals a
        search reads up to 15 MB, and a write asks for a deal's entry more than once."""
        if key not in self._searched:
            self._searched[key] = self._checkpoint_line(key)
        return self._searched[key]

    def _checkpoint_line(self, key: str) -> Entry | None:
        data = self.checkpoint.read_all()
        marker = b"\n" + orjson.dumps(key) + b":"
        found = data.find(marker)
        if found < 0:
            return None
        start = found + len(marker)
        end = data.find(b"\n", start)
        line = data[start:end]
        try:
            entry = orjson.loads(line[:-1] if line.endswith(b",") else line)
        except ValueError:
            raise damaged(self.checkpoint.path) from None
        return entry

    # -- the mapping (this state, with the transaction's changes) ----------------------
    def __getitem__(self, key: str) -> Entry:
        if self._merged is not None:
            return self._merged[key]
        entry = self._changes.get(key)
        if entry is None and not self._replaced:
            entry = self.committed_entry(key)
        if entry is None or entry is _REMOVED:
            raise KeyError(key)
        return entry

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __setitem__(self, key: str, entry: Entry) -> None:
        self._changes[key] = entry
        if self._merged is not None:
            self._merged[key] = entry

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def pop(self, key: str, *default: Any) -> Any:
        try:
            entry = self[key]
        except KeyError:
            if default:
                return default[0]
            raise
        self._changes[key] = _REMOVED
        if self._merged is not None:
            del self._merged[key]
        return entry

    def current(self) -> dict[str, Entry]:
        """Every entry of this state, the transaction's changes included (not to be
        changed by the caller)."""
        if self._merged is not None:
            return self._merged
        if not self._changes and not self._replaced:
            return self.committed()
        merged = {} if self._replaced else dict(self.committed())
        for key, entry in self._changes.items():
            if entry is _REMOVED:
                merged.pop(key, None)
            else:
                merged[key] = entry
        self._merged = merged
        return merged

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())

    def keys(self) -> KeysView[str]:
        return self.current().keys()

    def values(self) -> ValuesView[Entry]:
        return self.current().values()

    def items(self) -> ItemsView[str, Entry]:
        return self.current().items()

    # -- what a commit writes ------------------------------------------------------------
    def replace_all(self, entries: dict[str, Entry]) -> None:
        """Make ``entries`` the whole index (a compaction, a repair, an upgrade): the
        commit writes a new checkpoint."""
        self._changes = dict(entries)
        self._replaced = True
        self._merged = None

    @property
    def replaced(self) -> bool:
        return self._replaced

    def changes(self) -> dict[str, Entry | None]:
        """The entries set (or removed: ``None``) since the committed state."""
        return {k: None if e is _REMOVED else e for k, e in self._changes.items()}


# -- what is left of damaged files (doctor) ------------------------------------------------
def salvage(index: OpenIndex) -> dict[str, Entry]:
    """Every entry that can still be read from the committed checkpoint and tail, line
    by line, skipping lines that cannot: the deal numbers ``doctor`` finds in a damaged
    index (which deals are open, it takes from the history then)."""
    if index.replaced:  # held in memory (an upgrade not written yet)
        return dict(index.current())
    entries: dict[str, Entry] = {}
    checkpoint = _readable(index.checkpoint)
    lines = checkpoint.split(b"\n")
    for line in lines[1:-2] if checkpoint.endswith(b"\n}\n") else lines:
        with contextlib.suppress(ValueError):
            member = orjson.loads(b"{" + line.removesuffix(b",") + b"}")
            if isinstance(member, dict):
                entries.update(member)
    for line in _readable(index.tail).split(b"\n"):
        with contextlib.suppress(ValueError):
            said = orjson.loads(line)
            if isinstance(said, dict):
                for key, entry in said.items():
                    if entry is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = entry
    return entries


def _readable(committed: CommittedBytes) -> bytes:
    """As much of the committed bytes as the file still holds."""
    if not committed.size:
        return b""
    try:
        with committed.path.open("rb") as handle:
            return handle.read(committed.size)
    except OSError:
        return b""
