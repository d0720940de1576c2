"""The open deals' facts: what the everyday questions need of every open deal, kept
beside each checkpoint of the open index, so that a read need not parse the
checkpoint nor look at every open deal (docs/data-format.md, "The open deals' facts").

``pipeline.open-facts-K.json`` is written with checkpoint K (by the same commit,
before the main file names K) and never changed after; it describes that checkpoint
alone. A reader takes the facts, then corrects them by the few deals the tail of K
changed: their checkpoint entries (found through the facts) are taken out, their
current entries (the tail's) are asked the default way (storage/queries.py). Every
answer equals the default one; facts that are missing, of another checkpoint, or
unreadable send the question the default way.

The file is a JSON header line, then columns of 8-byte integers (native, little
endian), so that a reader uses them where they lie instead of parsing them: finding
a deal or the stale ones among 100k is a binary search. Deals are kept in *groups*,
one per stage and owner (the name folded as names compare). The header holds:

``groups``        ``[stage, folded owner, deals, next, close, quote, unplanned]`` per
                  group: how many deals, and how many of them have a next action's
                  due day, an expected close day, a quote's last valid day, and no
                  next action
``sums``          ``[group, currency, deals, value, weighted]`` per group and
                  currency: the value and weighted value as exact decimals (text),
                  weighted with the header's stage probabilities

and the columns, each one number a deal (``COLUMNS``):

``ids``                  per group in turn, its deal ids ascending (``list``'s order)
``entered_ids``,         per group in turn, its deals by when they entered their stage
``entered_seconds``      (epoch seconds), earliest first: the stale ones are a prefix
``where_ids``,           every deal by id, with where its line is in the checkpoint,
``where_offsets``,       its next action's due day (an ordinal, 0 for none) and when
``where_sizes``,         it entered its stage (epoch seconds)
``where_due``,
``where_seconds``
``positions``            per sums row in turn, where its deals' lines are, ascending
                         (the first is where the row first comes among the deals)

then, per group in turn, of its deals that have the day (``DATED``):

``next_ids``, ``next_days``    by their next action's due day (the day's ordinal),
                               then id: those due in a range of days lie together
``close_ids``, ``close_days``  the same by the expected close day
``quote_ids``, ``quote_days``  the same by the quote's last valid day
``unplanned_ids``,             those without a next action, by when they entered
``unplanned_seconds``          their stage, earliest first (as ``entered_``)
"""

from __future__ import annotations

import heapq
import itertools
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from salespipe.core import parse
from salespipe.core.limits import UNKNOWN_STAGE_POSITION
from salespipe.core.model import Record, Stage
from salespipe.storage.jsonl.deal_columns import light_records

if TYPE_CHECKING:
    from salespipe.storage.jsonl.files import CommittedBytes
    from salespipe.storage.queries import Dated, OpenWhere, StageSum

VERSION = 2
COLUMNS = (
    "ids",
    "entered_ids",
    "entered_seconds",
    "where_ids",
    "where_offsets",
    "where_sizes",
    "where_due",
    "where_seconds",
    "positions",
)
# The columns of only some deals of each group: (name, the groups' field that counts them).
DATED = (
    ("next_ids", 3),
    ("next_days", 3),
    ("close_ids", 4),
    ("close_days", 4),
    ("quote_ids", 5),
    ("quote_days", 5),
    ("unplanned_ids", 6),
    ("unplanned_seconds", 6),
)
_DATED_PARTS: dict[Dated, str] = {"next_action": "next", "close": "close", "quote": "quote"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_DAY = date.max.toordinal() + 1  # a deal without the day sorts last
_MICROSECOND = timedelta(microseconds=1)


class NoFacts(Exception):
    """The facts cannot answer (missing, of another checkpoint, unreadable, or kept
    with other stage probabilities): the question goes the default way."""


def probabilities(stages: Iterable[Stage]) -> dict[str, int]:
    return {s.key: s.probability for s in stages}


# -- writing ------------------------------------------------------------------------------
def build(
    entries: Mapping[str, Any],
    places: Sequence[tuple[int, int]],
    checkpoint_size: int,
    stages: Sequence[Stage],
) -> bytes | None:
    """The facts of a checkpoint of ``entries``, whose lines are at ``places`` (offset,
    size, in the entries' order); None when an entry has no columns or a deal entered
    its stage at a time not to the second (the questions then go the default way)."""
    from salespipe.core.tally import value_of, weighted_of

    light = light_records(entries.values())
    if light is None:
        return None
    by_key = {s.key: s for s in stages}
    folded: dict[str, str] = {}
    groups: dict[tuple[str, str], int] = {}
    sums: dict[tuple[int, str], list[Any]] = {}
    ids: list[list[int]] = []
    entered: list[list[tuple[int, int]]] = []
    dated: list[dict[str, list[tuple[int, int]]]] = []  # per group: (day or seconds, id)
    where: list[tuple[int, int, int, int, int]] = []
    for record, (offset, size) in zip(light, places, strict=True):
        deal_id, stage = record["id"], record["stage"]
        owner = folded.get(record["owner"])
        if owner is None:
            owner = folded[record["owner"]] = parse.fold(record["owner"])
        group = groups.get((stage, owner))
        if group is None:
            group = groups[stage, owner] = len(groups)
            ids.append([])
            entered.append([])
            dated.append({part: [] for part in ("next", "close", "quote", "unplanned")})
        moment = datetime.fromisoformat(record["stage_entered_at"])
        if moment.tzinfo is None or moment.microsecond:
            return None
        try:
            days = {part: day_of(record, what) for what, part in _DATED_PARTS.items()}
        except ValueError:
            return None
        for part, day in days.items():
            if day is not None:
                dated[group][part].append((day, deal_id))
        if days["next"] is None:
            dated[group]["unplanned"].append((_seconds(moment), deal_id))
        row = sums.get((group, record["currency"]))
        if row is None:
            row = sums[group, record["currency"]] = [0, Decimal(0), Decimal(0), []]
        row[0] += 1
        row[1] += value_of(record)
        row[2] += weighted_of(record, by_key.get(stage))
        row[3].append(offset)
        ids[group].append(deal_id)
        entered[group].append((_seconds(moment), deal_id))
        where.append((deal_id, offset, size, days["next"] or 0, _seconds(moment)))
    if sys.byteorder != "little":
        return None
    where.sort()
    rows = list(sums.items())
    columns: dict[str, list[int]] = {
        "ids": [deal_id for group_ids in ids for deal_id in sorted(group_ids)],
        "entered_ids": [],
        "entered_seconds": [],
        "where_ids": [w[0] for w in where],
        "where_offsets": [w[1] for w in where],
        "where_sizes": [w[2] for w in where],
        "where_due": [w[3] for w in where],
        "where_seconds": [w[4] for w in where],
        "positions": [position for _key, row in rows for position in row[3]],
    }
    for pairs in entered:
        pairs.sort()
        columns["entered_ids"] += (deal_id for _, deal_id in pairs)
        columns["entered_seconds"] += (seconds for seconds, _ in pairs)
    for name, _field in DATED:
        columns[name] = []
    for parts in dated:
        for part, pairs in parts.items():
            pairs.sort()
            columns[f"{part}_ids"] += (deal_id for _, deal_id in pairs)
            key = "seconds" if part == "unplanned" else "days"
            columns[f"{part}_{key}"] += (day for day, _ in pairs)
    header = orjson.dumps(
        {
            "facts": VERSION,
            "checkpoint_size": checkpoint_size,
            "probabilities": probabilities(stages),
            "groups": [
                [*key, len(ids[number]), *(len(pairs) for pairs in dated[number].values())]
                for key, number in groups.items()
            ],
            "sums": [
                [group, currency, deals, str(value), str(weighted)]
                for (group, currency), (deals, value, weighted, _positions) in rows
            ],
        }
    )
    padding = b" " * (-(len(header) + 1) % 8)  # the columns start 8-byte aligned
    names = (*COLUMNS, *(name for name, _field in DATED))
    body = b"".join(array("q", columns[name]).tobytes() for name in names)
    return header + padding + b"\n" + body


def _seconds(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


def day_of(record: Record, what: Dated) -> int | None:
    """The ordinal of a light record's day ``what`` (storage/queries.py ``Dated``);
    None when it has none. Ordinals order as the stored days (ISO) do."""
    if what == "close":
        day = record["expected_close"]
    else:
        held = record["next_action" if what == "next_action" else "quote"]
        day = held["due" if what == "next_action" else "valid_until"] if held else None
    return None if day is None else date.fromisoformat(day).toordinal()


# -- reading ------------------------------------------------------------------------------
class Facts:
    """The facts of one checkpoint, corrected by its tail as a question asks: one
    database state's answers to the everyday questions."""

    def __init__(
        self,
        data: bytes,
        checkpoint: CommittedBytes,
        tail: dict[str, Any | None],
        stages: Sequence[Stage],
    ) -> None:
        self._checkpoint = checkpoint
        self._tail = tail
        self._stages = stages
        self._sections: dict[str, Any] = {}
        try:
            end = data.index(b"\n")
            header = orjson.loads(data[:end])
            if header["facts"] != VERSION:
                raise NoFacts
            count = sum(group[2] for group in header["groups"])
            lengths = dict.fromkeys(COLUMNS, count)
            for name, field in DATED:
                lengths[name] = sum(group[field] for group in header["groups"])
            if (
                header["checkpoint_size"] != checkpoint.size
                or sys.byteorder != "little"
                or (end + 1) % 8
                or len(data) != end + 1 + 8 * sum(lengths.values())
            ):
                raise NoFacts
        except (ValueError, KeyError, TypeError, IndexError):
            raise NoFacts from None
        if header["probabilities"] != probabilities(stages):
            raise NoFacts
        self._header = header
        self._starts: dict[str, tuple[int, int]] = {}
        start = 0
        for name, length in lengths.items():
            self._starts[name] = (start, start + length)
            start += length
        self._columns = memoryview(data)[end + 1 :].cast("q")
        self._changed_ids = {int(key) for key in tail}
        self._before: list[tuple[Record, int]] | None = None
        self._after: list[Record] | None = None

    def _column(self, name: str) -> memoryview:
        start, end = self._starts[name]
        return self._columns[start:end]

    def _section(self, name: str) -> Any:
        """What the header or the columns say: ``groups`` and ``sums`` as the header
        has them; ``ids`` (per group), ``entered``, ``next``, ``close``, ``quote`` and
        ``unplanned`` (per group, ids and days or seconds), ``positions`` (per sums
        row) and ``where`` (ids, offsets, sizes) as views of the columns."""
        if name not in self._sections:
            self._sections[name] = self._read_section(name)
        return self._sections[name]

    def _read_section(self, name: str) -> Any:
        header = self._header
        if name in ("groups", "sums"):
            return header[name]
        if name == "where":
            return [self._column(f"where_{part}") for part in ("ids", "offsets", "sizes")]
        if name == "lookup":
            return [self._column(f"where_{part}") for part in ("ids", "due", "seconds")]
        if name == "positions":
            return _split(self._column("positions"), [row[2] for row in header["sums"]])
        counts = [group[2] for group in header["groups"]]
        if name == "ids":
            return _split(self._column("ids"), counts)
        if name == "entered":
            ids = _split(self._column("entered_ids"), counts)
            seconds = _split(self._column("entered_seconds"), counts)
            return list(zip(ids, seconds, strict=True))
        field = dict(DATED)[f"{name}_ids"]
        counts = [group[field] for group in header["groups"]]
        key = "seconds" if name == "unplanned" else "days"
        ids = _split(self._column(f"{name}_ids"), counts)
        keys = _split(self._column(f"{name}_{key}"), counts)
        return list(zip(ids, keys, strict=True))

    # -- the tail's corrections ----------------------------------------------------------
    def checkpoint_entry(self, deal_id: int) -> Any | None:
        """A deal's entry in the checkpoint, found through ``where``."""
        ids, offsets, sizes = self._section("where")
        at = bisect_left(ids, deal_id)
        if at == len(ids) or ids[at] != deal_id:
            return None
        line = self._checkpoint.read(offsets[at], sizes[at])
        try:
            member = orjson.loads(b"{" + line + b"}")
            return member[str(deal_id)]
        except (orjson.JSONDecodeError, KeyError):
            raise NoFacts from None

    def entry(self, deal_id: int) -> Any | None:
        """A deal's entry in this state (the tail's, else the checkpoint's)."""
        key = str(deal_id)
        if key in self._tail:
            return self._tail[key]
        return self.checkpoint_entry(deal_id)

    def _replaced(self) -> list[tuple[Record, int]]:
        """The light records the tail took out of the checkpoint (each with where its
        line is), to be taken out of the facts' answers."""
        if self._before is None:
            self._before = []
            ids, offsets, _sizes = self._section("where")
            old = [self.checkpoint_entry(deal_id) for deal_id in sorted(self._changed_ids)]
            kept = [entry for entry in old if entry is not None]
            light = light_records(kept) if kept else []
            if light is None:
                raise NoFacts
            for record in light:
                self._before.append((record, offsets[bisect_left(ids, record["id"])]))
        return self._before

    def _current(self) -> list[Record]:
        """The light records of the deals the tail sets (they are open now)."""
        if self._after is None:
            set_entries = [e for e in self._tail.values() if e is not None]
            light = light_records(set_entries)
            if light is None:
                raise NoFacts
            self._after = light
        return self._after

    def _groups(self, where: OpenWhere, unplanned: bool = False) -> list[int]:
        """The groups of the deals ``where`` asks about; a question about the
        unplanned ones must say it reads them apart (``unplanned``), else it goes
        the default way."""
        if where.unplanned and not unplanned:
            raise NoFacts
        owner = parse.fold(where.owner) if where.owner is not None else None
        keys = where.stages
        return [
            number
            for number, (stage, folded, *_counts) in enumerate(self._section("groups"))
            if (keys is None or stage in keys) and (owner is None or folded == owner)
        ]

    # -- the questions -------------------------------------------------------------------
    def stage_totals(self, where: OpenWhere) -> list[StageSum]:
        from salespipe.core.tally import value_of, weighted_of
        from salespipe.storage.queries import StageSum, chosen

        by_key = {s.key: s for s in self._stages}
        groups = set(self._groups(where))
        rows: dict[tuple[str, str], list[Any]] = {}  # [first, deals, value, weighted, sums rows]
        names, positions = self._section("groups"), self._section("positions")
        for number, (group, currency, deals, value, weighted) in enumerate(self._section("sums")):
            if group in groups:
                first = positions[number][0]
                row = rows.setdefault(
                    (names[group][0], currency), [first, 0, Decimal(0), Decimal(0), []]
                )
                row[0] = min(row[0], first)
                row[1] += deals
                row[2] += Decimal(value)
                row[3] += Decimal(weighted)
                row[4].append(number)
        test = where.test()
        gone: set[int] = set()
        for record, offset in self._replaced():
            if test is not None and not test(record):
                continue
            row = rows[record["stage"], record["currency"]]
            row[1] -= 1
            row[2] -= value_of(record)
            row[3] -= weighted_of(record, by_key.get(record["stage"]))
            gone.add(offset)
        if gone:
            for row in rows.values():
                if row[0] in gone:
                    row[0] = min(
                        (p for n in row[4] for p in positions[n] if p not in gone),
                        default=sys.maxsize,  # none left: it comes where its tail deals do
                    )
        for number, record in enumerate(chosen(self._current(), where)):
            offset = self._position(record["id"], number)
            row = rows.setdefault(
                (record["stage"], record["currency"]), [offset, 0, Decimal(0), Decimal(0), []]
            )
            row[0] = min(row[0], offset)
            row[1] += 1
            row[2] += value_of(record)
            row[3] += weighted_of(record, by_key.get(record["stage"]))
        ordered = sorted((row[0], key, row) for key, row in rows.items() if row[1])
        return [StageSum(stage, currency, *row[1:4]) for _, (stage, currency), row in ordered]

    def _position(self, deal_id: int, number: int) -> int:
        """Where a deal the tail sets comes among the open deals: at its checkpoint
        line if it has one, else after the checkpoint, in the tail's order."""
        ids, offsets, _sizes = self._section("where")
        at = bisect_left(ids, deal_id)
        if at < len(ids) and ids[at] == deal_id:
            return int(offsets[at])
        return self._checkpoint.size + number

    def stage_page(
        self, where: OpenWhere, limit: int, by_stage: bool = True
    ) -> tuple[list[int], int]:
        """The ids of the first ``limit`` open deals in ``list``'s default order (the
        stage's position, then id; or by id alone), and how many match."""
        positions = {s.key: s.position if by_stage else 0 for s in self._stages}
        names, ids = self._section("groups"), self._section("ids")
        groups = self._groups(where)

        def keyed(group: int) -> Iterator[tuple[int, int]]:
            position = positions.get(names[group][0], UNKNOWN_STAGE_POSITION if by_stage else 0)
            return ((position, deal_id) for deal_id in ids[group])

        matched = sum(len(ids[group]) for group in groups)
        unknown = UNKNOWN_STAGE_POSITION if by_stage else 0
        extra = [(positions.get(r["stage"], unknown), r["id"]) for r in self._chosen_current(where)]
        matched += len(extra) - self._replaced_matching(where)
        streams = [keyed(group) for group in groups]
        return self._first(streams, sorted(extra), limit), matched

    def stale_page(self, now: datetime, where: OpenWhere, limit: int) -> tuple[list[int], int]:
        """The ids of the first ``limit`` deals over their stage's target at ``now``
        (the most days over first, then by id), and how many there are."""
        from salespipe.core.model import record_days_in_stage
        from salespipe.storage.queries import over_target

        targets = {s.key: s.target_days for s in self._stages if s.target_days}
        names = self._section("groups")
        entered = self._section("unplanned" if where.unplanned else "entered")
        now_us = (now - _EPOCH) // _MICROSECOND
        streams = []
        matched = 0
        for group in self._groups(where, unplanned=True):
            target = targets.get(names[group][0])
            if target is None:
                continue
            group_ids, seconds = entered[group]
            over = _over_prefix(seconds, now_us, target)
            matched += over
            streams.append(_stale_stream(group_ids, seconds, over, now_us, target))
        by_key = {s.key: s for s in self._stages}
        extra = []
        for record in self._chosen_current(where):
            stage = by_key.get(record["stage"])
            days = record_days_in_stage(record, now)
            if stage is not None and stage.target_days and over_target(days, stage):
                extra.append((stage.target_days - days, record["id"]))
        replaced = 0
        test = where.test()
        for record, _offset in self._replaced():
            stage = by_key.get(record["stage"])
            if stage is None or (test is not None and not test(record)):
                continue
            if over_target(record_days_in_stage(record, now), stage):
                replaced += 1
        matched += len(extra) - replaced
        return self._first(streams, sorted(extra), limit), matched

    def due_page(
        self, what: Dated, until: date, since: date | None, where: OpenWhere, limit: int
    ) -> tuple[list[int], int]:
        """The ids of the first ``limit`` deals whose day ``what`` falls from ``since``
        (or any day) to ``until``, by that day, then by id; and how many there are."""
        first, last = since.toordinal() if since else 0, until.toordinal()
        dated = self._section(_DATED_PARTS[what])
        streams = []
        matched = 0
        for group in self._groups(where):
            ids, days = dated[group]
            low, high = bisect_left(days, first), bisect_right(days, last)
            matched += high - low
            streams.append(zip(days[low:high], ids[low:high], strict=True))

        def falling(records: Iterable[Record]) -> list[tuple[int, int]]:
            days = ((day_of(record, what), record["id"]) for record in records)
            return [
                (day, deal_id) for day, deal_id in days if day is not None and first <= day <= last
            ]

        extra = falling(self._chosen_current(where))
        test = where.test()
        replaced = [record for record, _ in self._replaced() if test is None or test(record)]
        matched += len(extra) - len(falling(replaced))
        return self._first(streams, sorted(extra), limit), matched

    def urgency_page(self, where: OpenWhere, limit: int, now: datetime) -> tuple[list[int], int]:
        """The ids of the first ``limit`` open deals, the most urgent first (as
        storage/queries.py ``urgency_key`` orders them), and how many match.

        That order comes in four parts: the next action overdue, by its day; then
        over the stage's target, the most days first; then by the next action's day;
        then without one, the most days first. Each part is one of a group's columns
        (a range of it), ordered by the part's first key, so a group's first
        ``limit`` are among the whole runs of equal first keys taken part after part
        until there are ``limit``; their exact keys decide."""
        from salespipe.storage.queries import days_in_stage_at

        targets = {s.key: s.target_days for s in self._stages if s.target_days}
        names = self._section("groups")
        now_us = (now - _EPOCH) // _MICROSECOND
        today = now.date().toordinal()
        found: list[tuple[int, ...]] = []
        for group in self._groups(where):
            target = targets.get(names[group][0])
            found += self._most_urgent_of(group, target, limit, now_us, today)
        days_at = days_in_stage_at(now)
        for record in self._chosen_current(where):
            due = day_of(record, "next_action") or _NO_DAY
            target = targets.get(record["stage"])
            found.append(_urgency(record["id"], due, days_at(record), target, today))
        _ids, matched = self.stage_page(where, 0)
        return [key[-1] for key in heapq.nsmallest(limit, found)], matched

    def _most_urgent_of(
        self, group: int, target: int | None, limit: int, now_us: int, today: int
    ) -> list[tuple[int, ...]]:
        """The urgency keys of some of a group's deals, among them its first
        ``limit`` (the tail's changed deals left out)."""
        lookup_ids, dues, entered = self._section("lookup")
        next_ids, next_days = self._section("next")[group]
        entered_ids, entered_seconds = self._section("entered")[group]
        plain_ids, plain_seconds = self._section("unplanned")[group]
        late = bisect_left(next_days, today)
        stale = _over_prefix(entered_seconds, now_us, target) if target else 0
        plain_stale = _over_prefix(plain_seconds, now_us, target) if target else 0

        def days_of(seconds: int) -> int:
            return _days(now_us, seconds)

        def every(due: int, days: int) -> bool:
            return True

        def not_late(due: int, days: int) -> bool:
            return due >= today

        def not_over(due: int, days: int) -> bool:
            return target is None or days <= target

        # (ids, their first keys, from, to, a first key's value, which deals are of the part)
        parts: tuple[tuple[Any, Any, int, int, Callable[[int], int], Callable[..., bool]], ...] = (
            (next_ids, next_days, 0, late, int, every),
            (entered_ids, entered_seconds, 0, stale, days_of, not_late),
            (next_ids, next_days, late, len(next_ids), int, not_over),
            (plain_ids, plain_seconds, plain_stale, len(plain_ids), days_of, every),
        )
        keys: list[tuple[int, ...]] = []
        for ids, firsts, start, end, first_of, of_part in parts:
            for run in _runs(ids, firsts, start, end, first_of):
                for deal_id in run:
                    if deal_id in self._changed_ids:
                        continue
                    at = bisect_left(lookup_ids, deal_id)
                    due, days = dues[at] or _NO_DAY, days_of(entered[at])
                    if of_part(due, days):
                        keys.append(_urgency(deal_id, due, days, target, today))
                if len(keys) >= limit:
                    return keys
        return keys

    def _chosen_current(self, where: OpenWhere) -> list[Record]:
        from salespipe.storage.queries import chosen

        return list(chosen(self._current(), where))

    def _replaced_matching(self, where: OpenWhere) -> int:
        test = where.test()
        return sum(1 for record, _ in self._replaced() if test is None or test(record))

    def _first(
        self,
        streams: Sequence[Iterator[tuple[int, int]]],
        extra: list[tuple[int, int]],
        limit: int,
    ) -> list[int]:
        """The ids of the first ``limit`` items of the sorted ``streams`` of the
        checkpoint (less the deals the tail changed) and the tail's sorted ``extra``."""
        changed = self._changed_ids
        kept = [(item for item in stream if item[1] not in changed) for stream in streams]
        merged = heapq.merge(*kept, extra)
        return [deal_id for _key, deal_id in itertools.islice(merged, limit)]


def _split(column: memoryview, counts: list[int]) -> list[memoryview]:
    """A column's consecutive parts of ``counts`` numbers."""
    parts = []
    start = 0
    for count in counts:
        parts.append(column[start : start + count])
        start += count
    if start != len(column):
        raise NoFacts
    return parts


def _urgency(deal_id: int, due: int, days: int, target: int | None, today: int) -> tuple[int, ...]:
    """storage/queries.py ``urgency_key`` in numbers (days as ordinals)."""
    over = days - target if target is not None and days > target else 0
    return (due if due < today else _NO_DAY, -over, due, -days, deal_id)


def _runs(
    ids: memoryview, firsts: memoryview, start: int, end: int, first_of: Callable[[int], int]
) -> Iterator[list[int]]:
    """The ids from ``start`` to ``end`` in runs of the same ``first_of`` their
    ``firsts``."""
    while start < end:
        first = first_of(firsts[start])
        stop = start + 1
        while stop < end and first_of(firsts[stop]) == first:
            stop += 1
        yield ids[start:stop].tolist()
        start = stop


def _days(now_us: int, seconds: int) -> int:
    """core/model.whole_days of a stage entered at ``seconds`` (epoch), at ``now_us``."""
    return max(0, int((now_us - seconds * 1_000_000) / 1_000_000 / 86400))


def _over_prefix(seconds: list[int], now_us: int, target: int) -> int:
    """How many of the (ascending) ``seconds`` are over ``target`` days at ``now_us``:
    the days only fall along them, so those are a prefix."""
    low, high = 0, len(seconds)
    while low < high:
        middle = (low + high) // 2
        if _days(now_us, seconds[middle]) > target:
            low = middle + 1
        else:
            high = middle
    return low


def _stale_stream(
    ids: list[int], seconds: list[int], over: int, now_us: int, target: int
) -> Iterator[tuple[int, int]]:
    """``(target - days, id)`` of a group's first ``over`` deals, in that order: the
    days fall along them, and those of the same day go by id."""
    start = 0
    while start < over:
        days = _days(now_us, seconds[start])
        end = start + 1
        while end < over and _days(now_us, seconds[end]) == days:
            end += 1
        for deal_id in sorted(ids[start:end]):
            yield target - days, deal_id
        start = end


def read(
    path: Any, checkpoint: CommittedBytes, tail: dict[str, Any | None], stages: Sequence[Stage]
) -> Facts:
    """The facts of ``checkpoint`` (raises NoFacts when they cannot answer)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        raise NoFacts from None
    return Facts(data, checkpoint, tail, stages)
