"""Putting a JSON backup back: the whole database, exactly, into an empty one.

A restore keeps every id, sequence number, change id and counter of the backup, and
its undo list, so the database behaves afterwards as the one the backup was taken
from (``undo`` right after a restore undoes that database's last change). It writes
through one transaction; the restore itself is not a change to undo (there was
nothing before it).

``export`` writes one record per line, so a backup is read from its file a record at
a time and a large one never has to sit in memory, as bytes or parsed; a backup
reformatted by another tool (``jq .``) is read whole instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeVar

import orjson

from salespipe.app import settings
from salespipe.core.errors import InvalidValue, StoreError
from salespipe.core.i18n import N_, _, ngettext
from salespipe.core.model import Deal, Event, PipelineDef, Record, Stage
from salespipe.storage.port import ReadView, UndoEntry, WriteTransaction
from salespipe.transfer.backup_check import BackupRefused, check_backup
from salespipe.transfer.exporting import BACKUP_FORMAT, BACKUP_VERSION

T = TypeVar("T")
SECTIONS = ("stages", "deals", "events")
# Counters a restore takes from the backup; anything else in "meta" but when the
# database began is a flag, kept as it is.
_COUNTERS = ("next_deal_id", "next_seq", "next_change")
_BATCH = 5000
READ_CHUNK = 1 << 20  # bytes of a backup file read at a time
DAMAGED = {
    "stages": N_(
        "{path}: stage {index} of the backup is damaged ({problem}); nothing was restored."
    ),
    "deals": N_("{path}: deal {index} of the backup is damaged ({problem}); nothing was restored."),
    "events": N_(
        "{path}: event {index} of the backup is damaged ({problem}); nothing was restored."
    ),
}


@dataclass(frozen=True)
class Backup:
    """A backup's head (format, counters, settings, undo list) and its records."""

    path: Path
    head: dict[str, Any]
    sections: Mapping[str, Callable[[], Iterator[Record]]]
    counts: Mapping[str, int]

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.head.get("config") or {})

    def records(self, section: str) -> Iterator[Record]:
        return self.sections[section]()

    def stages(self) -> list[Stage]:
        return list(self._read(section="stages", reader=Stage.from_record))

    def pipelines(self) -> list[PipelineDef]:
        """The backup's pipelines; none where it holds only the first (it names none)."""
        return [PipelineDef.from_record(p) for p in self.head.get("pipelines") or ()]

    def deals(self) -> Iterator[Deal]:
        return self._read(section="deals", reader=Deal.from_record)

    def events(self) -> Iterator[Event]:
        return self._read(section="events", reader=Event.from_record)

    def _read(self, *, section: str, reader: Callable[[Record], T]) -> Iterator[T]:
        for index, record in enumerate(self.records(section), start=1):
            try:
                yield reader(record)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                raise BackupRefused(
                    _(DAMAGED[section]).format(path=self.path, index=index, problem=problem),
                    f"{section}[{index - 1}]",
                    problem,
                ) from None


def is_backup(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == BACKUP_FORMAT


def database_is_empty(snapshot: ReadView) -> bool:
    """No deal and no event yet: only then can a backup be restored as it was."""
    return snapshot.is_empty()


class HeldHere(NamedTuple):
    """Why a backup is imported rather than restored: the deals the database holds (that
    the reader sees) and the changes of its history (undone ones and undos too)."""

    deals: int
    changes: int

    def to_dict(self) -> dict[str, int]:
        return {"deals": self.deals, "changes": self.changes}

    def said(self, database: str) -> str:
        """The sentence saying that a backup imported into ``database`` is merged, not
        restored, and what does not come (docs/import.md, a backup into a pipeline with
        deals)."""
        if self.deals:
            text = ngettext(
                "{database} already holds {count} deal, so importing the backup there is not a "
                "restore: its deals come with their history, but not its settings nor its undo "
                "list, and the stages here keep their own setup; restore it into an empty "
                "database (a new file) to have everything.",
                "{database} already holds {count} deals, so importing the backup there is not a "
                "restore: its deals come with their history, but not its settings nor its undo "
                "list, and the stages here keep their own setup; restore it into an empty "
                "database (a new file) to have everything.",
                self.deals,
            )
            return text.format(database=database, count=self.deals)
        text = ngettext(
            "{database} already holds the history of {count} change, so importing the backup "
            "there is not a restore: its deals come with their history, but not its settings "
            "nor its undo list, and the stages here keep their own setup; restore it into an "
            "empty database (a new file) to have everything.",
            "{database} already holds the history of {count} changes, so importing the backup "
            "there is not a restore: its deals come with their history, but not its settings "
            "nor its undo list, and the stages here keep their own setup; restore it into an "
            "empty database (a new file) to have everything.",
            self.changes,
        )
        return text.format(database=database, count=self.changes)


def held_here(snapshot: ReadView) -> HeldHere:
    """What a database that is not empty holds, as the import of a backup names it."""
    deals = len(snapshot.open_deal_ids()) + sum(1 for _record in snapshot.closed_records())
    return HeldHere(deals, snapshot.counters().next_change - 1)


def _check_head(head: Mapping[str, Any], path: Path) -> dict[str, Any]:
    version = head.get("version")
    if not isinstance(version, int) or version < 1:
        raise InvalidValue(
            _("{path} is a salespipe backup without a valid version number.").format(path=path)
        )
    if version > BACKUP_VERSION:
        raise InvalidValue(
            _(
                "{path} is a backup of a newer salespipe (version {version}, this one reads "
                "{readable}); upgrade salespipe to restore it."
            ).format(path=path, version=version, readable=BACKUP_VERSION)
        )
    return {k: v for k, v in head.items() if k not in SECTIONS}


def backup_from_document(document: Mapping[str, Any], path: Path) -> Backup:
    """A backup parsed whole (any JSON layout)."""
    head = _check_head(document, path)
    lists: dict[str, list[Any]] = {}
    for name in SECTIONS:
        raw = document.get(name)
        if not isinstance(raw, list):
            raise InvalidValue(
                _('{path} is a salespipe backup without its "{name}" list.').format(
                    path=path, name=name
                )
            )
        lists[name] = raw

    def reader(items: list[Any]) -> Callable[[], Iterator[Record]]:
        return lambda: iter(items)

    return Backup(
        path,
        head,
        {name: reader(items) for name, items in lists.items()},
        {name: len(items) for name, items in lists.items()},
    )


def backup_from_file(path: Path) -> Backup | None:
    """A backup in export's own layout, read from its file a chunk at a time (a backup of
    a large database is bigger than the memory a command may use); None for any other
    text."""
    return _backup_from(lambda: path.open("rb"), path)


def _backup_from(open_source: Callable[[], BinaryIO], path: Path) -> Backup | None:
    """Find the head and where each section's lines are, one pass; the sections are read
    again, a line at a time, when the restore asks for them."""
    with open_source() as source:
        lines = _Lines(source)
        first = lines.next()
        if not first.startswith(b'{"format":') or not first.endswith(b","):
            return None
        try:
            head = orjson.loads(first[:-1] + b"}")
        except orjson.JSONDecodeError:
            return None
        if not is_backup(head):
            return None
        spans: dict[str, tuple[int, int]] = {}
        counts: dict[str, int] = {}
        for name in SECTIONS:
            if lines.next() != b'"%s":[' % name.encode():
                return None
            start, count = lines.position, 0
            while (line := lines.next()) not in (b"]", b"],", b"]}"):
                if not line.startswith(b"{"):
                    return None
                count += 1
            spans[name], counts[name] = (start, lines.line_start), count
        if not lines.rest_is_blank():
            return None
    head = _check_head(head, path)

    def reader(span: tuple[int, int]) -> Callable[[], Iterator[Record]]:
        return lambda: _records(open_source, span, path)

    return Backup(path, head, {name: reader(span) for name, span in spans.items()}, counts)


class _Lines:
    """The lines of a file, read a chunk at a time, with where each one starts."""

    def __init__(self, source: BinaryIO, start: int = 0) -> None:
        source.seek(start)
        self.source = source
        self.chunk_size = READ_CHUNK
        self.buffer = b""
        self.buffer_start = start  # file offset of buffer[0]
        self.position = start  # file offset of the next line
        self.line_start = start  # file offset of the line last returned
        self.at_end = False

    def next(self) -> bytes:
        """The next line without its line ending (b"" past the end)."""
        self.line_start = self.position
        offset = self.position - self.buffer_start
        end = self.buffer.find(b"\n", offset)
        while end < 0 and not self.at_end:
            self._read_more()
            offset = self.position - self.buffer_start
            end = self.buffer.find(b"\n", offset)
        if end < 0:
            end = len(self.buffer)
        line = self.buffer[offset:end]
        self.position = self.buffer_start + min(end + 1, len(self.buffer))
        return line.rstrip(b"\r")

    def rest_is_blank(self) -> bool:
        while True:
            if self.buffer[self.position - self.buffer_start :].strip():
                return False
            if self.at_end:
                return True
            self._read_more()

    def _read_more(self) -> None:
        chunk = self.source.read(self.chunk_size)
        self.at_end = not chunk
        self.buffer = self.buffer[self.position - self.buffer_start :] + chunk
        self.buffer_start = self.position


def _records(
    open_source: Callable[[], BinaryIO], span: tuple[int, int], path: Path
) -> Iterator[Record]:
    with open_source() as source:
        lines = _Lines(source, start=span[0])
        while lines.position < span[1]:
            line = lines.next().rstrip(b",")
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                raise InvalidValue(
                    _("{path} has a damaged record (byte {byte}); nothing was restored.").format(
                        path=path, byte=lines.line_start
                    )
                ) from None


def _counters(head: Mapping[str, Any], floor: Mapping[str, int]) -> dict[str, int]:
    """The backup's counters, never below what its own records already use."""
    meta = head.get("meta") or {}
    return {k: max(int(meta.get(k) or 1), floor[k]) for k in _COUNTERS}


def _save_deals(tx: WriteTransaction, deals: Iterator[Deal]) -> int:
    highest = 0
    batch: list[Deal] = []
    for deal in deals:
        highest = max(highest, deal.id)
        batch.append(deal)
        if len(batch) >= _BATCH:
            tx.save_deals(batch)
            batch.clear()
    tx.save_deals(batch)
    return highest


def check(backup: Backup) -> None:
    """Check every value of the backup before anything is written (backup_check.py),
    then read every record as a restore would."""
    check_backup(backup.path, backup.head, backup.records)
    backup.stages()
    for _deal in backup.deals():
        pass
    for _event in backup.events():
        pass


def check_written(written: Path, target: Path) -> None:
    """Check a backup ``export`` has just written (to ``written``, before it takes the
    name ``target``) with the restore's own :func:`check`: a backup its restore would
    refuse is a database damaged outside salespipe, and must not take the place of a
    good one (nightly backups rotated by age would otherwise lose the last good one)."""
    try:
        backup = backup_from_file(written)
        if backup is None:  # (export's own layout: always read back)
            layout = _("not export's own layout")
            raise BackupRefused(layout, "format", layout)
        check(backup)
    except BackupRefused as refused:
        raise StoreError(
            _(
                "No backup was written to {path}: its restore would refuse it ({where} is "
                "wrong: {problem}), as the database holds data changed outside salespipe; "
                "run `salespipe doctor` to find it, and keep the backups you have."
            ).format(path=target, where=refused.where, problem=refused.problem)
        ) from None


def restore(tx: WriteTransaction, backup: Backup) -> None:
    """Write the whole backup into the (empty) database of ``tx``."""
    pipelines = backup.pipelines()
    if pipelines:
        tx.save_pipelines(pipelines)
    tx.save_stages(sorted(backup.stages(), key=lambda s: s.position))
    highest_deal = _save_deals(tx, backup.deals())
    changes: set[int] = set()
    highest_seq = 0
    for event in backup.events():
        changes.add(event.change)
        highest_seq = max(highest_seq, event.seq)
        tx.record(event)
    floor = {
        "next_deal_id": highest_deal + 1,
        "next_seq": highest_seq + 1,
        "next_change": max(changes, default=0) + 1,
    }
    meta = backup.head.get("meta") or {}
    for name, value in meta.items():
        if name == "created_at":
            tx.set_created_at(value)
        elif name not in _COUNTERS:
            tx.set_flag(name, value)
    tx.advance_counters(**_counters(backup.head, floor))
    tx.replace_config(settings.kept_by(tx, backup.config))
    tx.set_undo_list(_entries(backup.head.get("changes")))
    tx.not_undoable()


def _entries(raw: Any) -> Sequence[UndoEntry]:
    """The backup's undo list; an entry without a change id is left out."""
    entries = [entry for entry in raw if isinstance(entry, dict)] if isinstance(raw, list) else []
    return [
        UndoEntry(entry["change"], entry.get("command", ""), entry.get("at", ""))
        for entry in entries
        if isinstance(entry.get("change"), int)
    ]
