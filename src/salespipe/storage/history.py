"""The totals the history reports ask of every deal, and the default answer: one pass
over the deals' records.

``report``, ``winrate``, ``durations`` and ``funnel`` need only totals of the whole
history: the deals closed in a period tallied per outcome, group and currency; per
stage how many stays and how long; how far the deals made in a period got. The
learning reports (``calibrate``, ``forecast``) need the deals won per month of their
close, how many deals walked each path through the stages, how long the won deals
took from each stage to the win, and the open deals. A read
view answers them (the storage port's history seam, docs/storage.md) when it can do
so faster than by reading every record (a server adding them up, see
storage/postgres/history.py), with exactly these answers; otherwise :func:`fold_records`
goes through the records once for every question a report asks, so a report of a
data file still reads each record once.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import repeat
from typing import Any, Literal, NamedTuple

from salespipe.core import collation
from salespipe.core.model import Record, Stage, pathless, unreadable_record
from salespipe.core.tally import (
    Period,
    currency_of,
    local_day,
    local_month,
    moment,
    status_of,
    value_of,
)

GroupBy = Literal["owner", "month", "stage", "reason"]

SECONDS_PER_DAY = 86400


class Asks(NamedTuple):
    """What a report asks: the deals closed in ``closed`` (grouped ``by``; with
    ``cycles``, their sales cycles added up), the stays up to ``now``, the cohort made in
    ``cohort`` (its stages ranked as ``ranks``); the deals won in the months
    ``won_months`` ("YYYY-MM" where the reader is), the deals per
    :data:`Walk`, each stage's days to the win (``days_to_won``), the open deals'
    records (``open_deals``); all of them only of the deals made on ``made_since`` or
    later (as their creation time is written), when given."""

    now: datetime
    closed: Period | None = None
    by: GroupBy | None = None
    cycles: bool = False
    stays: bool = False
    cohort: Period | None = None
    ranks: tuple[str, ...] = ()
    won_months: frozenset[str] | None = None
    walks: bool = False
    days_to_won: bool = False
    open_deals: bool = False
    made_since: date | None = None

    def merged(self, other: Asks) -> Asks:
        """What this and ``other`` ask, as one question (a page showing two reports
        reads the history once); what both ask must agree."""
        fields: dict[str, Any] = {}
        for name, mine, theirs in zip(self._fields, self, other, strict=True):
            unset = self._field_defaults.get(name, object())
            if mine != theirs and unset not in (mine, theirs):
                raise ValueError(f"the asks disagree on {name}")
            fields[name] = theirs if mine == unset else mine
        return Asks(**fields)


class ClosedSum(NamedTuple):
    """The deals closed one way (``won``) in a period, of one group and currency: how
    many, their value, and (won deals, when asked) their sales cycles added up. ``name`` is how the
    group is shown: a lost reason as the first of its deals had it typed."""

    won: bool
    group: str
    name: str
    currency: str
    deals: int
    value: Decimal
    cycle: timedelta


class StayStats(NamedTuple):
    """The stays in one stage: how many, how many still going on, the median and mean
    length in days, and how many lasted more than the stage's target days."""

    stays: int
    ongoing: int
    median_days: float | None
    mean_days: float | None
    over_target: int


@dataclass
class Cohort:
    """The deals made in a period: how many, won and lost; how many got no further than
    each stage (by rank; won deals apart, as they reached them all), the deals lost in
    each stage and the stages ranked that one of them was in."""

    created: int = 0
    won: int = 0
    lost: int = 0
    furthest: dict[int, int] = field(default_factory=dict)
    lost_in: dict[str, int] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)
    lost_in_no_stage: int = 0  # lost from a stage not known (core/model.py ``pathless``)


class WonSum(NamedTuple):
    """The deals won in one month (where the reader is) of one currency."""

    month: str
    currency: str
    deals: int
    value: Decimal


Walk = tuple[tuple[str, ...], str]
"""What a deal adds to the learned chain's counts (reports/calibrate.py): the stages of
its path in order (:func:`path_of`) and its status. Many deals share one, so the deals
are counted per walk. A walk of no stages is that of the deals whose stages are not
known (:func:`~salespipe.core.model.pathless`): they add nothing to the chain, and
``calibrate`` says how many it left out."""

FORECAST_FIELDS = (
    "id",
    "status",
    "stage",
    "value",
    "currency",
    "probability",
    "stage_entered_at",
    "expected_close",
)
"""The fields of an open deal's record a forecast reads (a server answering
``open_deals`` may send only these)."""


class SlipTally(NamedTuple):
    """The slips of one owner or stage (``slips``): the deals that had an expected close
    there, how many of them had it pushed later, and the days of each push."""

    key: str
    deals: int
    slipped: int
    days: list[int]


class SlipTallies(NamedTuple):
    """``slips`` of every deal, or of one owner's, as a backend that keeps them adds
    them up (docs/storage.md): per owner, per stage (of that owner's deals, when one is
    asked for), and in all."""

    owners: list[SlipTally]
    stages: list[SlipTally]
    total: SlipTally


class KeptBacktest(NamedTuple):
    """A ``forecast --backtest`` a backend kept, still true of the events (docs/storage.md):
    what it kept (JSON values), and each row it kept of a deal changed since, with the
    deal as it is now (reports/backtest.py ``KeptRow`` and ``Now``)."""

    kept: dict[str, Any]
    changed: list[tuple[tuple[Any, ...], tuple[str, str | None, Decimal | None]]]


@dataclass
class Totals:
    """The answers to one :class:`Asks` (what it did not ask stays empty)."""

    closed: list[ClosedSum] = field(default_factory=list)
    stays: dict[str, StayStats] = field(default_factory=dict)
    cohort: Cohort = field(default_factory=Cohort)
    # The open deals' records, when the report also shows the open pipeline and a
    # fold read them anyway; None: ask the database (OpenDeals).
    open_records: list[Record] | None = None
    won: list[WonSum] = field(default_factory=list)
    walks: dict[Walk, int] = field(default_factory=dict)
    # Per stage, in ascending order: for each won deal that went through it, the days
    # from its last entry into the stage to the win.
    days_to_won: dict[str, list[float]] = field(default_factory=dict)
    # The open deals' records (asked with ``open_deals``), in the order the database
    # keeps them, with at least the :data:`FORECAST_FIELDS`; to be gone through once.
    pipeline: Iterable[Record] = ()


def group_key(by: GroupBy, record: Record) -> str:
    """The group of a closed deal's record: reasons typed by people are one reason
    however they are capitalised or spaced ("Price" and "price "); the stage it closed
    in is "" when it is not known (core/model.py ``pathless``)."""
    if by == "reason":
        return collation.fold(reason_shown(record.get("lost_reason")))
    if by == "owner":
        return str(record.get("owner", ""))
    if by == "month":
        return local_month(record["closed_at"])
    return "" if pathless(record) else str(record["stage"])


def reason_shown(reason: str | None) -> str:
    """A lost reason as a group shows it: its words, single-spaced."""
    return " ".join((reason or "").split())


@dataclass
class _Sum:
    deals: int = 0
    value: Decimal = Decimal(0)
    cycle: timedelta = timedelta(0)


class _Closed:
    """Tallies the deals closed in a period, per outcome, group and currency."""

    def __init__(self, period: Period, by: GroupBy | None, cycles: bool) -> None:
        self.closed_in = period.holds_stored()
        self.by = by
        self.cycles = cycles
        self.sums: dict[tuple[bool, str, str], _Sum] = {}
        self.names: dict[str, str] = {}  # a lost reason as its first deal had it typed

    def add(self, record: Record, outcome: str) -> None:
        if not self.closed_in(record.get("closed_at")):
            return
        won = outcome == "won"
        by = self.by
        group = "" if by is None or (won and by == "reason") else group_key(by, record)
        currency = currency_of(record)
        row = self.sums.get((won, group, currency))
        if row is None:
            row = self.sums[won, group, currency] = _Sum()
            if by == "reason" and not won and group not in self.names:
                self.names[group] = reason_shown(record.get("lost_reason"))
        row.deals += 1
        row.value += value_of(record)
        if won and self.cycles:
            row.cycle += moment(record["closed_at"]) - moment(record["created_at"])

    def result(self) -> list[ClosedSum]:
        return [
            ClosedSum(
                won,
                group,
                "" if won else self.names.get(group, ""),
                currency,
                row.deals,
                row.value,
                row.cycle,
            )
            for (won, group, currency), row in self.sums.items()
        ]


def stays_in(stays: dict[str, StayStats], keys: Collection[str] | None) -> dict[str, StayStats]:
    """The stays of the stages ``keys`` (None: of every stage)."""
    return stays if keys is None else {key: stats for key, stats in stays.items() if key in keys}


class StayLengths:
    """The seconds of every stay per stage key, and how many stays per stage are
    ongoing, gathered one deal at a time."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.lengths: dict[str, list[float]] = {}
        self.ongoing: dict[str, int] = {}

    def add(self, record: Record) -> None:
        """The stays of one deal, from its stored record."""
        # A hot loop over every stay ever made: plain reads, no calls it can spare.
        lengths, now = self.lengths, self.now
        is_open = record.get("status", "open") == "open"
        closed_at = record.get("closed_at")
        # A stay usually starts at the very time the one before it ended: parse it once.
        previous_text, previous = None, now
        for stage, entered_text, left_text in record.get("stays", ()):
            entered = previous if entered_text == previous_text else moment(entered_text)
            if left_text:
                left = previous = moment(left_text)
                previous_text = left_text
            else:
                if is_open:
                    self.ongoing[stage] = self.ongoing.get(stage, 0) + 1
                left = moment(closed_at) if closed_at else now
            seconds = (left - entered).total_seconds()
            spans = lengths.get(stage)
            if spans is None:
                spans = lengths[stage] = []
            spans.append(seconds if seconds > 0 else 0.0)

    def result(self, stages: Sequence[Stage]) -> dict[str, StayStats]:
        found = {}
        targets = {s.key: s.target_days for s in stages}
        for key, spans in self.lengths.items():
            spans.sort()
            target = targets.get(key)
            over = 0
            if target is not None:  # whole days over, as ``stale`` counts them
                over = len(spans) - bisect.bisect_left(spans, (target + 1) * SECONDS_PER_DAY)
            found[key] = StayStats(
                len(spans),
                self.ongoing.get(key, 0),
                median_of([spans[i] / SECONDS_PER_DAY for i in _middle(len(spans))]),
                mean_days(_total_micros(spans), len(spans)),
                over,
            )
        return found


def _middle(count: int) -> list[int]:
    """The places of the middle one (odd count) or two (even) of ``count`` in order."""
    if not count:
        return []
    half = count // 2
    return [half] if count % 2 else [half - 1, half]


def _total_micros(seconds: list[float]) -> int:
    """The exact total, in microseconds, of lengths in seconds made from whole
    microseconds (each ``micros / 10**6`` rounded, which ``round(s * 10**6)`` undoes
    for any length under a century)."""
    whole = math.fsum(seconds)  # exact while every length is whole seconds
    if whole.is_integer() and all(map(float.is_integer, seconds)):
        return int(whole) * 1_000_000
    return sum(round(s * 1_000_000) for s in seconds)


MICROS_PER_DAY = SECONDS_PER_DAY * 1_000_000


def days_of(micros: int) -> float:
    """A stay of ``micros`` microseconds in days, as the fold computes it (0 for none)."""
    return micros / 1_000_000 / SECONDS_PER_DAY if micros > 0 else 0.0


def median_of(middle: Sequence[float]) -> float | None:
    """The median from the middle one or two values in order, as ``statistics.median``
    computes it."""
    if not middle:
        return None
    return middle[0] if len(middle) == 1 else (middle[0] + middle[1]) / 2


def mean_days(micros: int, stays: int) -> float | None:
    """The mean length in days of ``stays`` stays adding up to ``micros`` microseconds:
    the exact mean, rounded once (the same however the stays were added up)."""
    return micros / (stays * MICROS_PER_DAY) if stays else None


class CohortTally:
    """Tallies the deals of a cohort, one kind at a time: its outcome, its stage and the
    stages it was ever in (those of its stays, and its stage last; none when they are
    not known)."""

    def __init__(self, ranks: Sequence[str]) -> None:
        self.rank = {key: i for i, key in enumerate(ranks)}
        self.cohort = Cohort()

    def add(self, outcome: str, keys: list[str], deals: int = 1) -> None:
        cohort = self.cohort
        cohort.created += deals
        cohort.visited.update(keys)
        if outcome == "won":
            cohort.won += deals
            return
        if outcome == "lost":
            cohort.lost += deals
            if keys:
                stage = keys[-1]
                cohort.lost_in[stage] = cohort.lost_in.get(stage, 0) + deals
            else:  # lost from a stage not known (core/model.py ``pathless``)
                cohort.lost_in_no_stage += deals
        furthest = max(map(self.rank.get, keys, repeat(-1)), default=-1)  # -1: none of ours
        if furthest >= 0:
            cohort.furthest[furthest] = cohort.furthest.get(furthest, 0) + deals

    def result(self) -> Cohort:
        """The cohort, its stages visited among those ranked."""
        self.cohort.visited.intersection_update(self.rank)
        return self.cohort


class _Cohort(CohortTally):
    """Tallies the deals made in a period, from their records."""

    def __init__(self, period: Period, ranks: Sequence[str]) -> None:
        super().__init__(ranks)
        self.created_in = period.holds_stored()

    def add_record(self, record: Record, outcome: str) -> None:
        if self.created_in(record["created_at"]):
            keys = [stay[0] for stay in record.get("stays", ())]
            if not pathless(record):
                keys.append(record["stage"])
            self.add(outcome, keys)


def path_of(record: Record) -> list[tuple[str, str]]:
    """The stages a deal went through, in order, each with when it entered it in that
    visit; a stay in the same stage as the one before (a reopen where it closed)
    continues that visit. A deal without stays is in its stage since it entered
    it (or was made), unless that stage is not known (:func:`pathless`): then it went
    through none that is known, and its path is empty."""
    path: list[tuple[str, str]] = []
    for stay in record.get("stays") or ():  # [stage, entered, left], or without left
        stage = stay[0]
        if path and path[-1][0] == stage:
            continue
        path.append((stage, stay[1]))
    if not path and not pathless(record):
        path.append((record["stage"], record.get("stage_entered_at") or record["created_at"]))
    return path


def days_to_won(record: Record, path: list[tuple[str, str]]) -> list[tuple[str, float]]:
    """Of a won deal with its ``path``: per stage it went through, the days from its last
    entry into the stage to the win (none for a deal not won). A reopen into the stage
    the deal closed in is an entry (its stay there starts anew), though the path counts
    it in the same visit: the days the deal lay closed are not days to the win."""
    closed_at = record.get("closed_at")
    if record.get("status") != "won" or not closed_at:
        return []
    won_at = moment(closed_at)
    entries = dict(path)
    for stay in record.get("stays") or ():
        entries[stay[0]] = stay[1]
    return [
        (stage, max(0.0, (won_at - moment(entered)).total_seconds() / SECONDS_PER_DAY))
        for stage, entered in entries.items()
    ]


class _Won:
    """Tallies the deals won in some months (where the reader is) per month and
    currency."""

    def __init__(self, months: frozenset[str]) -> None:
        self.months = months
        self.sums: dict[tuple[str, str], list[Any]] = {}

    def add(self, record: Record) -> None:
        closed_at = record.get("closed_at")
        if closed_at and (month := local_month(closed_at)) in self.months:
            key = (month, currency_of(record))
            row = self.sums.get(key)
            if row is None:
                row = self.sums[key] = [0, Decimal(0)]
            row[0] += 1
            row[1] += value_of(record)

    def result(self) -> list[WonSum]:
        return [WonSum(m, c, deals, value) for (m, c), (deals, value) in self.sums.items()]


class _Paths:
    """Tallies the deals per walk and, per stage, the won deals' days to the win."""

    def __init__(self, walks: bool, days: bool) -> None:
        self.walks: dict[Walk, int] | None = {} if walks else None
        self.days: dict[str, list[float]] | None = {} if days else None

    def add(self, record: Record, outcome: str) -> None:
        path = path_of(record)
        walks, days = self.walks, self.days
        if walks is not None:
            walk = (tuple(stage for stage, _entered in path), outcome)
            walks[walk] = walks.get(walk, 0) + 1
        if days is not None and outcome == "won":
            for stage, length in days_to_won(record, path):
                days.setdefault(stage, []).append(length)

    def answer(self, totals: Totals) -> None:
        totals.walks = self.walks or {}
        totals.days_to_won = {stage: sorted(d) for stage, d in (self.days or {}).items()}


def fold_records(
    records: Iterable[Record], stages: Sequence[Stage], asks: Asks, *, keep_open: bool = False
) -> Totals:
    """Every answer ``asks`` wants, in one pass over the records; with ``keep_open``,
    the open deals' records too."""
    closed = _Closed(asks.closed, asks.by, asks.cycles) if asks.closed is not None else None
    stays = StayLengths(asks.now) if asks.stays else None
    cohort = _Cohort(asks.cohort, asks.ranks) if asks.cohort is not None else None
    won = _Won(asks.won_months) if asks.won_months is not None else None
    paths = _Paths(asks.walks, asks.days_to_won) if asks.walks or asks.days_to_won else None
    kept: list[Record] | None = [] if keep_open or asks.open_deals else None
    since = asks.made_since
    record: Record | None = None
    try:
        for record in records:
            if since is not None and local_day(record["created_at"]) < since:
                continue
            outcome = status_of(record)
            if stays is not None:
                stays.add(record)
            if outcome == "open":
                if kept is not None:
                    kept.append(record)
            else:
                if closed is not None:
                    closed.add(record, outcome)
                if won is not None and outcome == "won":
                    won.add(record)
            if cohort is not None:
                cohort.add_record(record, outcome)
            if paths is not None:
                paths.add(record, outcome)
    except (ValueError, KeyError, TypeError) as exc:
        if record is not None and (damage := unreadable_record(record)) is not None:
            raise damage from exc  # a record changed outside salespipe: not a traceback
        raise
    found = Totals(
        closed=closed.result() if closed else [],
        stays=stays.result(stages) if stays else {},
        cohort=cohort.result() if cohort else Cohort(),
        open_records=kept if keep_open else None,
        pipeline=kept if asks.open_deals and kept is not None else (),
        won=won.result() if won else [],
    )
    if paths is not None:
        paths.answer(found)
    return found
