"""Time spent in each stage, and the bottleneck.

A *stay* is one uninterrupted stretch a deal spent in a stage: from the event that
moved it in (creation, a move, a reopen) to the one that moved it out (a move, won,
lost), or until now while it is still there. Every stay counts, finished or
ongoing, so a stage where deals pile up shows even before they leave it.

The bottleneck is the stage whose median stay most exceeds its target days; when
no stage has a target, the stage with the longest median. When every median is
within its target there is no bottleneck.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salespipe.core.model import Record, Stage
from salespipe.core.tally import median_and_mean, moment, rounded

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class StageDurations:
    key: str
    name: str
    target_days: int | None
    stays: int
    ongoing: int
    median_days: float | None
    mean_days: float | None
    over_target: int

    @property
    def excess_days(self) -> float | None:
        """How far the median is over the target (negative: under it)."""
        if self.median_days is None or self.target_days is None:
            return None
        return self.median_days - self.target_days

    def to_dict(self, bottleneck: str | None) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "stays": self.stays,
            "ongoing": self.ongoing,
            "median_days": rounded(self.median_days),
            "mean_days": rounded(self.mean_days),
            "target_days": self.target_days,
            "over_target": self.over_target,
            "bottleneck": self.key == bottleneck,
        }


@dataclass(frozen=True)
class Durations:
    as_of: date
    stages: list[StageDurations]
    bottleneck: StageDurations | None

    def to_dict(self) -> dict[str, Any]:
        key = self.bottleneck.key if self.bottleneck else None
        return {
            "as_of": self.as_of.isoformat(),
            "bottleneck": key,
            "stages": [stage.to_dict(key) for stage in self.stages],
        }


class StayLengths:
    """The days of every stay per stage key, and how many stays per stage are ongoing,
    gathered one deal at a time (so a report can fold the history in one pass)."""

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
            spans.append(seconds / SECONDS_PER_DAY if seconds > 0 else 0.0)

    def result(self, stages: Sequence[Stage]) -> Durations:
        """Median and mean days per stage: enabled stages in pipeline order, and disabled
        ones that deals stayed in."""
        rows = []
        for stage in sorted(stages, key=lambda s: s.position):
            spans = self.lengths.get(stage.key, [])
            if not stage.enabled and not spans:
                continue
            spans.sort()
            median, mean = median_and_mean(spans)
            rows.append(
                StageDurations(
                    key=stage.key,
                    name=stage.name,
                    target_days=stage.target_days,
                    stays=len(spans),
                    ongoing=self.ongoing.get(stage.key, 0),
                    median_days=median,
                    mean_days=mean,
                    over_target=_over_target(spans, stage.target_days),
                )
            )
        return Durations(as_of=self.now.date(), stages=rows, bottleneck=choose_bottleneck(rows))


def _over_target(ordered: Sequence[float], target: int | None) -> int:
    """Stays longer than the target, counted in whole days as ``stale`` counts them: of
    stay lengths in ascending order (none negative), those of at least target + 1 days."""
    if target is None:
        return 0
    return len(ordered) - bisect.bisect_left(ordered, target + 1)


def choose_bottleneck(stages: Sequence[StageDurations]) -> StageDurations | None:
    measured = [s for s in stages if s.median_days is not None]
    with_target = [s for s in measured if s.target_days is not None]
    if with_target:
        worst = max(with_target, key=lambda s: s.excess_days or 0.0)
        return worst if (worst.excess_days or 0.0) > 0 else None
    if measured:
        return max(measured, key=lambda s: s.median_days or 0.0)
    return None


def durations(records: Iterable[Record], stages: Sequence[Stage], now: datetime) -> Durations:
    """Median and mean days per stage over all stays of the deals of ``records`` (stored
    records, see :mod:`salespipe.core.tally`), ongoing stays up to ``now``."""
    stays = StayLengths(now)
    for record in records:
        stays.add(record)
    return stays.result(stages)
