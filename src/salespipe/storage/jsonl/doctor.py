"""``doctor``: every structure a write keeps beside the journals, recomputed from them
and compared with what is stored; ``--fix`` puts the recomputed ones in place.

Each structure is one :class:`Check`: how to recompute it from the journals, how to
read what is stored, how the two differ (one line per difference) and how to repair
it. Adding a derived structure means adding its check to :func:`checks`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from salespipe.core.errors import StoreError, WriteFailed
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Stage
from salespipe.storage.jsonl import (
    change_log,
    deal_columns,
    journal_end,
    line_index,
    open_facts,
    open_index,
)
from salespipe.storage.jsonl.files import (
    damaged,
    misplaced_record,
    read_data_file,
    read_stamp,
    two_records_claim,
    write_atomically,
    write_failure,
)
from salespipe.storage.jsonl.line_index import RECORD, Indexed
from salespipe.storage.jsonl.snapshot import (
    META,
    Snapshot,
    _claimed_id,
    _latest_lines,
    closed_line,
    deal_record,
)

if TYPE_CHECKING:
    from salespipe.storage.jsonl.transaction import Transaction


@dataclass
class Repair:
    """What a ``--fix`` writes: files replaced whole, then the main file's values."""

    files: dict[Path, bytes] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    open_index: dict[str, Any] | None = None


@dataclass(frozen=True)
class Check:
    name: str
    recompute: Callable[[Snapshot], Any]
    stored: Callable[[Snapshot], Any]
    compare: Callable[[Any, Any], list[str]]
    repair: Callable[[Repair, Any], None]
    fixable: bool = True  # False: what differs is the data itself, not what is derived


# What reading a record that is not what salespipe wrote raises (an amount that is
# not one: decimal's InvalidOperation, an ArithmeticError).
_UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError, ArithmeticError)


# -- the journals' indexes ------------------------------------------------------------------
class _Recomputed:
    """What the journals say, computed once per doctor run."""

    def __init__(self) -> None:
        self._events: tuple[bytes, list[int]] | None = None
        self._closed: bytes | None = None
        self._history: dict[int, list[Any] | None] | None = None

    def history(self, snapshot: Snapshot) -> dict[int, list[Any] | None]:
        """Each deal the events journal knows, with the compared fields it leaves it
        (``_COMPARED``; None: deleted), undone changes never having happened."""
        if self._history is None:
            self._history = _replayed(snapshot)
        return self._history

    def events(self, snapshot: Snapshot) -> tuple[bytes, list[int]]:
        if self._events is None:
            try:
                self._events = line_index.derive_events(snapshot.event_lines())
            except (ValueError, KeyError, TypeError):
                raise damaged(snapshot.paths.events) from None
        return self._events

    def index(self, journal: str, snapshot: Snapshot) -> bytes:
        if journal == "events":
            return self.events(snapshot)[0]
        if self._closed is None:
            data = snapshot._closed()
            try:
                self._closed = line_index.derive_closed(data)
                _read_closed_records(data, snapshot.paths.closed)
            except _UNREADABLE:
                raise damaged(snapshot.paths.closed) from None
            files = line_index.indexed_journals(snapshot.paths)["closed"]
            stored = _stored_index(files, snapshot) or b""
            for (deal, offset, *_r), (claimed, at, *_s) in zip(
                RECORD.iter_unpack(_whole_records(stored)),
                RECORD.iter_unpack(self._closed),
                strict=False,
            ):
                if offset == at and deal != claimed:
                    self.refuse_misplaced(snapshot, snapshot.paths.closed, deal, claimed)
        return self._closed

    def refuse_misplaced(self, snapshot: Snapshot, path: Path, deal: int, claimed: int) -> None:
        """A line at deal ``deal``'s place (by its index) that says it is ``claimed``'s:
        the journal changed by hand where the history knows ``deal`` (a rebuild of the
        index from the journal would lose it for good), else the index is wrong."""
        history = self.history(snapshot)
        if deal not in history:
            return  # the index's damage: its check reports it, and --fix rebuilds it
        if history.get(claimed) is not None:
            raise two_records_claim(path, deal, claimed)
        raise misplaced_record(path, deal, claimed)


def _read_closed_records(journal: bytes, path: Path) -> None:
    """Read every line of the closed-deals journal as the commands read it (raising
    one of _UNREADABLE when they could not): each a deal's record or its tombstone,
    and the latest record of each deal a whole deal."""
    latest: dict[int, bytes] = {}
    for line in journal.splitlines():
        record = orjson.loads(line)
        if not isinstance(record, dict) or type(record.get("id")) is not int:
            raise ValueError("not a closed deal's line")
        latest[record["id"]] = line
    for line in latest.values():
        if (record := closed_line(line, path)) is not None:
            Deal.from_record(record)


def _chains(index: bytes) -> dict[int, list[tuple[int, int, int]]]:
    """Each deal's records (line offset, size, previous) in index order."""
    chains: dict[int, list[tuple[int, int, int]]] = {}
    for deal, offset, size, previous in RECORD.iter_unpack(index):
        chains.setdefault(deal, []).append((offset, size, previous))
    return chains


def _whole_records(data: bytes) -> bytes:
    return data[: len(data) // RECORD.size * RECORD.size]


def _index_checks(recomputed: _Recomputed, paths: Any) -> Iterator[Check]:
    names = {"events": _("events"), "closed": _("closed deals")}
    for journal, files in line_index.indexed_journals(paths).items():
        name = names[journal]

        def fresh_index(snapshot: Snapshot, journal: str = journal) -> bytes:
            return recomputed.index(journal, snapshot)

        def fresh_heads(snapshot: Snapshot, journal: str = journal) -> tuple[dict[int, int], int]:
            index = recomputed.index(journal, snapshot)
            return line_index.heads_of(index), len(index) // RECORD.size

        yield Check(
            f"{journal} index",
            fresh_index,
            functools.partial(_stored_index, files),
            functools.partial(_compare_index, name),
            functools.partial(_repair_index, files),
        )
        yield Check(
            f"{journal} heads",
            fresh_heads,
            functools.partial(_effective_heads, files),
            functools.partial(_compare_heads, name),
            functools.partial(_repair_heads, files),
        )


def _stored_index(files: Indexed, snapshot: Snapshot) -> bytes | None:
    size = snapshot.meta.get(files.size_key)
    if size is None:
        return None
    try:
        with files.index.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        return b""


def _compare_index(journal: str, fresh: bytes, stored: bytes | None) -> list[str]:
    if stored is None:
        return [_("the {journal} journal has no index yet").format(journal=journal)]
    if fresh == stored:
        return []
    lines = []
    if len(fresh) != len(stored):
        lines.append(
            _("the index holds {stored} records of the {journal} journal, not {fresh}").format(
                stored=len(stored) // RECORD.size, journal=journal, fresh=len(fresh) // RECORD.size
            )
        )
    want, have = _chains(fresh), _chains(_whole_records(stored))
    for deal in sorted(want.keys() | have.keys()):
        if want.get(deal) != have.get(deal):
            lines.append(
                _("deal {id}: its lines in the {journal} journal are indexed wrongly").format(
                    id=deal, journal=journal
                )
            )
    return lines or [_("the {journal} journal's index is damaged").format(journal=journal)]


def _repair_index(files: Indexed, fix: Repair, fresh: bytes) -> None:
    fix.files[files.index] = fresh
    fix.meta[files.size_key] = len(fresh)
    count = len(fresh) // RECORD.size
    fix.files[files.heads] = line_index.heads_bytes(line_index.heads_of(fresh), count)


def _effective_heads(files: Indexed, snapshot: Snapshot) -> dict[int, int] | str | None:
    """The head of every deal as a reader finds it: the stored heads, overridden by
    the records past what they cover. None without an index (reported with it);
    "unusable" for heads that cover more records than the index has."""
    size = snapshot.meta.get(files.size_key)
    if size is None:
        return None
    count = line_index.count_of(size)
    heads, covered = line_index.stored_heads(files.heads) or ({}, 0)
    if covered > count:
        return "unusable"
    try:
        with files.index.open("rb") as handle:
            handle.seek(covered * RECORD.size)
            tail = _whole_records(handle.read((count - covered) * RECORD.size))
    except FileNotFoundError:
        tail = b""
    return {**heads, **line_index.heads_of(tail, covered)}


def _compare_heads(
    journal: str, fresh: tuple[dict[int, int], int], stored: dict[int, int] | str | None
) -> list[str]:
    heads, _count = fresh
    if stored is None:
        return []
    if isinstance(stored, str):
        return [_("the {journal} index's heads are not this index's").format(journal=journal)]
    return [
        _("deal {id}: the {journal} index's head is {stored}, not {fresh}").format(
            id=deal, journal=journal, stored=stored.get(deal, 0), fresh=heads.get(deal, 0)
        )
        for deal in sorted(heads.keys() | stored.keys())
        if heads.get(deal, 0) != stored.get(deal, 0)
    ]


def _repair_heads(files: Indexed, fix: Repair, fresh: tuple[dict[int, int], int]) -> None:
    heads, count = fresh
    fix.files[files.heads] = line_index.heads_bytes(heads, count)


# -- the undone set ------------------------------------------------------------------------------
def _undone_check(recomputed: _Recomputed) -> Check:
    def fresh(snapshot: Snapshot) -> list[int]:
        return recomputed.events(snapshot)[1]

    def stored(snapshot: Snapshot) -> list[int] | None:
        undone: list[int] | None = snapshot.meta.get("undone")
        return undone

    def compare(fresh: list[int], stored: list[int] | None) -> list[str]:
        if stored is None:
            return [_("the main file does not list the undone changes yet")]
        lines = [
            _("change {change} was undone but is not listed as undone").format(change=change)
            for change in sorted(set(fresh) - set(stored))
        ]
        lines += [
            _("change {change} is listed as undone but no undo took it back").format(change=change)
            for change in sorted(set(stored) - set(fresh))
        ]
        return lines

    def repair(fix: Repair, fresh: list[int]) -> None:
        fix.meta["undone"] = fresh

    return Check("undone changes", fresh, stored, compare, repair)


# -- the open deals' index and their columns ------------------------------------------------
@dataclass(frozen=True)
class _OpenIndexState:
    entries: dict[str, Any] | str  # or why they cannot be read
    live: int | None  # the main file's count of the open records' bytes


def _open_checks(recomputed: _Recomputed) -> list[Check]:
    """Each open deal's entry must point at the last record of that deal in the
    open-deals journal (a write appends the record, then points the entry at it), and
    that record must be the deal's, open; its columns must be that record's (what the
    everyday questions read, deal_columns); the main file's count of those records'
    bytes must be their sum. Which deals are open is the index's to say; of an index
    that cannot be read, the history's (the deals the events leave open): what could
    still be read of it left out the deals of a cut checkpoint, which then were in no
    list at all after the repair."""
    cached: list[_OpenIndexState] = []

    def fresh(snapshot: Snapshot) -> _OpenIndexState:
        if cached:
            return cached[0]
        lines = snapshot._open_lines()
        index: dict[str, Any] = {}
        try:
            latest = _latest_lines(lines)
            for key, entry in _open_deals(snapshot, recomputed).items():
                if _misplaced_in_journal(lines, entry, latest.get(entry["id"])):
                    path, claimed = snapshot._open_journal.path, _claimed_id(lines, entry["at"])
                    recomputed.refuse_misplaced(snapshot, path, entry["id"], claimed or 0)
                start = latest.get(entry["id"])
                if start is not None:
                    end = lines.find(b"\n", start)
                    record = deal_record(lines[start:end], snapshot._open_journal.path)
                    Deal.from_record(record)  # as the commands read it
                    row = deal_columns.columns(record)
                    where = {"id": entry["id"], "at": start, "size": end - start}
                    index[key] = {**where, deal_columns.KEY: row}
        except _UNREADABLE:
            raise damaged(snapshot._open_journal.path) from None
        live = sum(entry["size"] + 1 for entry in index.values())
        cached.append(_OpenIndexState(index, live))
        return cached[0]

    def stored(snapshot: Snapshot) -> _OpenIndexState:
        live = snapshot.meta.get("open_live")
        try:
            entries = dict(snapshot._open_index.items())
        except StoreError as problem:
            return _OpenIndexState(str(problem), live)
        wrong = next((key for key, entry in entries.items() if not _whole_entry(key, entry)), None)
        if wrong is not None:
            return _OpenIndexState(str(damaged(snapshot._open_index.checkpoint.path)), live)
        return _OpenIndexState(entries, live)

    def compare_places(fresh: _OpenIndexState, stored: _OpenIndexState) -> list[str]:
        assert isinstance(fresh.entries, dict)
        if isinstance(stored.entries, str):
            problem = stored.entries
            return [_("the open deals' index cannot be read: {problem}").format(problem=problem)]
        lines = [
            _("open deal {id}: the index points at an older or wrong record").format(id=key)
            if key in fresh.entries
            else _("open deal {id}: no record of it in the open-deals journal").format(id=key)
            for key in sorted(stored.entries, key=int)
            if _place(fresh.entries.get(key)) != _place(stored.entries[key])
        ]
        if stored.live is not None and stored.live != fresh.live and not lines:
            lines.append(
                _("the main file counts {stored} bytes of open deals' records, not {fresh}").format(
                    stored=stored.live, fresh=fresh.live
                )
            )
        return lines

    def compare_columns(fresh: _OpenIndexState, stored: _OpenIndexState) -> list[str]:
        assert isinstance(fresh.entries, dict)
        if isinstance(stored.entries, str):
            return []  # reported by the places
        have = stored.entries
        return [
            _("open deal {id}: its columns are not those of its record").format(id=key)
            for key, entry in sorted(fresh.entries.items(), key=lambda item: int(item[0]))
            if key in have and entry[deal_columns.KEY] != have[key].get(deal_columns.KEY)
        ]

    def repair(fix: Repair, fresh: _OpenIndexState) -> None:
        assert isinstance(fresh.entries, dict)
        fix.open_index = fresh.entries
        fix.meta["open_live"] = fresh.live

    return [
        Check("open index", fresh, stored, compare_places, repair),
        Check("open deal columns", fresh, stored, compare_columns, repair),
    ]


def _misplaced_in_journal(lines: bytes, entry: dict[str, Any], newest: int | None) -> bool:
    """Whether the line an open deal's entry points at is a whole line of the size it
    records, newer than any line of that deal, that says it is another deal's: the
    deal's record with its id changed by hand (an entry pointed elsewhere by hand
    is the index's damage, which --fix mends)."""
    placed, size = entry.get("at"), entry.get("size")
    if type(placed) is not int or type(size) is not int:
        return False
    if newest is not None and newest >= placed:
        return False
    claimed = _claimed_id(lines, placed)
    return claimed not in (None, entry["id"]) and lines[placed + size : placed + size + 1] == b"\n"


def _open_deals(snapshot: Snapshot, recomputed: _Recomputed) -> dict[str, Any]:
    """The open deals' entries, by id: the index's, or the history's if it is damaged."""
    try:
        entries = dict(snapshot._open_index.items())
    except StoreError:
        entries = None
    if entries is None or not all(_whole_entry(key, entry) for key, entry in entries.items()):
        # (an entry edited into another shape: the journal it points into was blamed)
        status = _PLACE["status"]
        return {
            str(deal_id): {"id": deal_id}
            for deal_id, fields in sorted(recomputed.history(snapshot).items())
            if fields is not None and fields[status] == "open"
        }
    return entries


def _whole_entry(key: str, entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("id") == int(key) if key.isdecimal() else False


def _place(entry: dict[str, Any] | None) -> tuple[int, int, int] | None:
    return None if entry is None else (entry["id"], entry["at"], entry["size"])


# -- the open deals' facts ------------------------------------------------------------------
@dataclass(frozen=True)
class _FactsState:
    facts: bytes | None  # what the checkpoint's facts must be; None: it can have none
    entries: dict[str, Any]  # the open index, rewritten by a repair (with new facts)


def _facts_check() -> Check:
    """The facts beside the open index's checkpoint must be those of its entries
    (open_facts.py), weighted with the stage probabilities they say they were kept
    with (facts of other probabilities are not used, not wrong)."""

    def fresh(snapshot: Snapshot) -> _FactsState | None:
        index = snapshot._open_index
        if index.replaced or not index.checkpoint.size:
            return None
        try:
            data = index.checkpoint.read_all()
            entries = open_index.parse_checkpoint(data)
            checkpoint, places = open_index.checkpoint_with_places(entries)
            current = dict(index.items())
        except (StoreError, ValueError):
            return None  # reported by the open index's check
        if checkpoint != data or not all(_whole_entry(k, e) for k, e in entries.items()):
            return None  # likewise
        kept = _kept_probabilities(_stored_facts(snapshot))
        stages = snapshot.stages() if kept is None else _stages_of(kept)
        try:
            facts = open_facts.build(entries, places, len(data), stages)
        except (ValueError, TypeError, KeyError):
            return None  # a damaged entry (an hour of 93): the open index's check names it
        return _FactsState(facts, current)

    def compare(fresh: _FactsState | None, stored: bytes | None) -> list[str]:
        if fresh is None or fresh.facts is None or stored == fresh.facts:
            return []
        if stored is None:
            return [_("the open deals' facts are missing: the questions read the whole index")]
        return [_("the open deals' facts are not those of the open index's checkpoint")]

    def repair(fix: Repair, fresh: _FactsState | None) -> None:
        if fresh is not None and fix.open_index is None:
            fix.open_index = fresh.entries  # a new checkpoint, written with its facts

    return Check("open deals' facts", fresh, _stored_facts, compare, repair)


def _stored_facts(snapshot: Snapshot) -> bytes | None:
    generation = snapshot.meta.get("open_index_generation")
    if not generation:
        return None
    try:
        return snapshot.paths.open_facts(generation).read_bytes()
    except OSError:
        return None


def _stages_of(probabilities: dict[str, int]) -> list[Stage]:
    """Stages with the keys and probabilities, in the order, that facts were kept with:
    all the facts take of the stages. Stages added, removed or moved since (or a
    pipeline added) leave the facts unused until the next fold, not wrong."""
    return [
        Stage(key=key, name=key, position=position, probability=probability)
        for position, (key, probability) in enumerate(probabilities.items())
    ]


def _kept_probabilities(facts: bytes | None) -> dict[str, Any] | None:
    """The stage probabilities stored facts say they were kept with, if readable."""
    if facts is None:
        return None
    with contextlib.suppress(ValueError, TypeError, KeyError):
        kept = orjson.loads(facts.partition(b"\n")[0])["probabilities"]
        if isinstance(kept, dict) and all(type(p) is int for p in kept.values()):
            return kept
    return None


# -- the change log --------------------------------------------------------------------------
def _change_log_check(path: Path) -> Check:
    """The change log must hold the change row of every event, in journal order."""

    def fresh(snapshot: Snapshot) -> bytes:
        try:
            return change_log.derive(snapshot.event_lines())
        except (ValueError, KeyError, TypeError, IndexError):
            raise damaged(snapshot.paths.events) from None

    def stored(snapshot: Snapshot) -> bytes | None:
        size = snapshot.meta.get(change_log.SIZE_KEY)
        if size is None:
            return None
        return change_log.stored(path, size)

    def compare(fresh: bytes, stored: bytes | None) -> list[str]:
        if stored is None:
            return [_("the change log is missing or shorter than the main file records")]
        if stored == fresh:
            return []
        fresh_lines, stored_lines = fresh.splitlines(), stored.splitlines()
        for number, (want, have) in enumerate(zip(fresh_lines, stored_lines, strict=False)):
            if want != have:
                return [
                    _("the change log differs from the events at line {line}").format(
                        line=number + 1
                    )
                ]
        return [
            _("the change log holds {stored} rows for {events} events").format(
                stored=len(stored_lines), events=len(fresh_lines)
            )
        ]

    def repair(fix: Repair, fresh: bytes) -> None:
        fix.files[path] = fresh
        fix.meta[change_log.SIZE_KEY] = len(fresh)

    return Check("change log", fresh, stored, compare, repair)


# -- the deal counter -------------------------------------------------------------------------
def _deal_counter_check(recomputed: _Recomputed) -> Check:
    """The number the next deal gets must be past every deal the journals hold (their
    indexes, recomputed) and every open deal: a counter set back would give a number
    again (the write refuses it)."""

    def fresh(snapshot: Snapshot) -> int:
        indexes = (recomputed.events(snapshot)[0], recomputed.index("closed", snapshot))
        ids = [deal for index in indexes for deal, *_rest in RECORD.iter_unpack(index)]
        salvaged = open_index.salvage(snapshot._open_index).items()
        ids += (entry["id"] for key, entry in salvaged if _whole_entry(key, entry))
        return max(ids, default=0)

    def stored(snapshot: Snapshot) -> int:
        counter: int = snapshot.meta["next_deal_id"]
        return counter

    def compare(highest: int, counter: int) -> list[str]:
        if counter > highest:
            return []
        return [
            _(
                "the next deal would get number {next}, but deal {highest} is already there: "
                "the counter was set back"
            ).format(next=counter, highest=highest)
        ]

    def repair(fix: Repair, highest: int) -> None:
        fix.meta["next_deal_id"] = highest + 1

    return Check("deal counter", fresh, stored, compare, repair)


# -- the main file's age ----------------------------------------------------------------------
def _journal_end_check(stamp: dict[str, Any] | None) -> Check:
    """Past the end of the events journal the main file records there may be the events
    of one killed writer's change, never those of changes committed since by a main
    file no longer in place (journal_end.py). No repair: a write refuses such a file."""

    def fresh(snapshot: Snapshot) -> tuple[list[int], Path | None]:
        """The changes the main file does not record, and the lock file if only its
        stamp tells of them."""
        paths = snapshot.paths
        changes, by_stamp = journal_end.unrecorded(paths.events, snapshot.meta, stamp)
        if changes:
            # Changes committed while doctor ran lie past the end its snapshot records:
            # they count only if the main file in place now does not record them either.
            now = _main_file_now(paths)
            if now is not None and now[0]["events_size"] > snapshot.meta["events_size"]:
                changes, by_stamp = journal_end.unrecorded(paths.events, *now)
        return changes, paths.lock if changes and by_stamp else None

    def compare(fresh: tuple[list[int], Path | None], stored: None) -> list[str]:
        changes, lock = fresh
        if not changes:
            return []
        if lock is not None:  # as a write says it (journal_end.refuse_an_older_main_file)
            return [
                _(
                    "the events journal holds a change the main file does not record, as "
                    "{lock} records: the main file is older than its journals; put back all "
                    "the files of the database from the same copy together, or, if you did "
                    "and the copy was taken while that change was being made, remove {lock} "
                    "while no salespipe runs"
                ).format(lock=lock)
            ]
        return [
            _(
                "the events journal holds changes the main file does not record: the main "
                "file is older than its journals; put back all the files of the database "
                "from the same copy together"
            )
        ]

    def repair(fix: Repair, fresh: tuple[list[int], Path | None]) -> None:
        """Nothing doctor can rebuild: what differs is the main file itself."""

    return Check("events journal end", fresh, lambda snapshot: None, compare, repair, fixable=False)


def _main_file_now(paths: Any) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The meta of the main file in place now and the stamp read just before it, or None
    where it cannot be read as doctor's snapshot was."""
    stamp = read_stamp(paths)
    try:
        meta = orjson.loads(read_data_file(paths.main))[META]["1"]
    except (OSError, StoreError, *_UNREADABLE, orjson.JSONDecodeError):
        return None
    counted = ("next_change", "events_size")  # (what journal_end reads of it)
    if not isinstance(meta, dict) or not all(type(meta.get(key)) is int for key in counted):
        return None
    return meta, stamp


# -- the deals against their history ------------------------------------------------------------
def _history_check(recomputed: _Recomputed) -> Check:
    """Each deal's record must be what the events journal leaves it (undone changes
    never happened): a byte changed by hand in a journal went unseen, and `--fix` then
    rebuilt the open deals' columns from the changed record. A difference means one of
    the two was changed outside salespipe, and which one doctor cannot tell: no
    repair. Only the fields a change sets are compared, a field an older version did
    not write read as its default; a deal the history does not know (written before it
    kept one) is not checked."""

    def stored(snapshot: Snapshot) -> dict[int, list[Any]] | None:
        try:
            return {record["id"]: _compared(record) for record in snapshot.all_records()}
        except StoreError:
            return None  # the open deals' index cannot be read: reported by its check

    def compare(
        fresh: dict[int, list[Any] | None], stored: dict[int, list[Any]] | None
    ) -> list[str]:
        if stored is None:
            return []
        lines = []
        for deal_id in sorted(fresh):  # (only the deals the history knows)
            given, kept = fresh[deal_id], stored.get(deal_id)
            if given == kept:
                continue
            if given is None or kept is None:
                lines.append(
                    _("deal {id}: its record and its history disagree on whether it exists").format(
                        id=deal_id
                    )
                )
                continue
            names = [name for name, a, b in zip(_COMPARED, given, kept, strict=True) if a != b]
            lines.append(
                _("deal {id}: its record and its history disagree on {fields}").format(
                    id=deal_id, fields=", ".join(names)
                )
            )
        return lines

    def repair(fix: Repair, fresh: Any) -> None:
        """Nothing: which of the two was changed, doctor cannot tell."""

    return Check("deals and their history", recomputed.history, stored, compare, repair, False)


# What a change sets, with what a record without the field means (stays and the times
# of a stage are kept by upgrades too, and are not compared).
_COMPARED_DEFAULTS: dict[str, Any] = {
    "title": None,
    "customer": "",
    "contact": "",
    "owner": "",
    "stage": None,
    "status": "open",
    "value": 0,
    "currency": "THB",
    "probability": None,
    "expected_close": None,
    "tags": [],
}
_COMPARED = tuple(_COMPARED_DEFAULTS)
_PLACE = {name: at for at, name in enumerate(_COMPARED)}


def _replayed(snapshot: Snapshot) -> dict[int, list[Any] | None]:
    undone = snapshot.undone_changes()
    deals: dict[int, list[Any] | None] = {}  # None: deleted
    try:
        for event in snapshot.event_records():
            deal_id = event.get("deal_id")
            if deal_id is None or event["type"] == "undo" or event["change"] in undone:
                continue
            before, after = event.get("before"), event.get("after")
            if before is None and after is not None:
                deals[deal_id] = _compared(after)
            elif after is None:
                deals[deal_id] = None
            elif (kept := deals.get(deal_id)) is not None:
                for name, value in after.items():
                    if (at := _PLACE.get(name)) is not None:
                        kept[at] = value
    except _UNREADABLE:
        raise damaged(snapshot.paths.events) from None
    return deals


def _compared(record: dict[str, Any]) -> list[Any]:
    return [record.get(name, default) for name, default in _COMPARED_DEFAULTS.items()]


# -- running them --------------------------------------------------------------------------------
def checks(snapshot: Snapshot, stamp: dict[str, Any] | None = None) -> list[Check]:
    """Every derived structure of the data file, in the order they are reported;
    ``stamp``: the lock file's, read before the snapshot (see :func:`examine`)."""
    recomputed = _Recomputed()
    return [
        *_open_checks(recomputed),
        _facts_check(),
        *_index_checks(recomputed, snapshot.paths),
        _undone_check(recomputed),
        _change_log_check(snapshot.paths.change_log),
        _deal_counter_check(recomputed),
        _journal_end_check(stamp),
        _history_check(recomputed),
    ]


def examine(
    snapshot: Snapshot, stamp: dict[str, Any] | None = None
) -> list[tuple[Check, Any, list[str]]]:
    """Each check with what the journals give and its differences (none: all agree).
    ``stamp`` must be read before the snapshot's main file: a commit replaces the main
    file before it stamps, so a stamp read first is never newer than the main file
    (read after, a commit in between would make the main file look one change old)."""
    snapshot.stages()  # what every command reads first (two stages of one key: damaged)
    found = []
    for check in checks(snapshot, stamp):
        fresh = check.recompute(snapshot)
        found.append((check, fresh, check.compare(fresh, check.stored(snapshot))))
    return found


def repair(tx: Transaction, found: list[tuple[Check, Any, list[str]]], backup: Path) -> None:
    """Put the recomputed structures in place, under the transaction's lock: the
    derived files are replaced whole, then the transaction's commit writes the main
    file (a copy of the old one is kept as ``backup`` first)."""
    fix = Repair()
    for check, fresh, differences in found:
        if differences and check.fixable:
            check.repair(fix, fresh)
    tx.about_to_write()
    prefix = tx.paths.temp_prefix()
    try:
        with contextlib.suppress(FileNotFoundError):
            write_atomically(backup, read_data_file(tx.paths.main), prefix, like=tx.paths.main)
        # (Each derived file is replaced whole; those replaced before a failure hold what
        # the journals say, as the old ones should have: the next run replaces the rest.)
        for path, data in fix.files.items():
            write_atomically(path, data, prefix, like=tx.paths.main)
    except OSError as exc:  # a full disk: one sentence, not a traceback
        raise WriteFailed(write_failure(tx.paths.main, exc)) from None
    if fix.meta:
        tx.set_meta(**fix.meta)
    if fix.open_index is not None:
        tx._open_index.replace_all(fix.open_index)
    tx._storage.dirty = True  # commit, if only the upgrade the transaction made
