"""Time spent in each stage, and the bottleneck.

A *stay* is one uninterrupted stretch a deal spent in a stage: from the event that
moved it in (creation, a move, a reopen) to the one that moved it out (a move, won,
lost), or until now while it is still there. Every stay counts, finished or
ongoing, so a stage where deals pile up shows even before they leave it.

The bottleneck is the stage in use (not switched off) whose median stay most exceeds
its target days; when no such stage has a target, the one with the longest median.
When every median is within its target there is no bottleneck. A switched-off stage
keeps its row (deals stayed there) but is never named: nobody can act on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salespipe.core.model import Record, Stage
from salespipe.core.tally import rounded
from salespipe.storage.history import Asks, StayStats


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
    enabled: bool = True

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


def durations_asks(now: datetime) -> Asks:
    """What the durations ask of the deals: every stay, ongoing ones up to ``now``."""
    return Asks(now, stays=True)


def stage_durations(
    stays: Mapping[str, StayStats], stages: Sequence[Stage]
) -> list[StageDurations]:
    """A row per stage: enabled stages in pipeline order, and disabled ones that deals
    stayed in."""
    rows = []
    for stage in sorted(stages, key=lambda s: s.position):
        found = stays.get(stage.key)
        if found is None:
            if not stage.enabled:
                continue
            found = StayStats(0, 0, None, None, 0)
        rows.append(
            StageDurations(
                key=stage.key,
                name=stage.name,
                target_days=stage.target_days,
                stays=found.stays,
                ongoing=found.ongoing,
                median_days=found.median_days,
                mean_days=found.mean_days,
                over_target=found.over_target if stage.target_days is not None else 0,
                enabled=stage.enabled,
            )
        )
    return rows


def choose_bottleneck(stages: Sequence[StageDurations]) -> StageDurations | None:
    measured = [s for s in stages if s.median_days is not None and s.enabled]
    with_target = [s for s in measured if s.target_days is not None]
    if with_target:
        worst = max(with_target, key=lambda s: s.excess_days or 0.0)
        return worst if (worst.excess_days or 0.0) > 0 else None
    if measured:
        return max(measured, key=lambda s: s.median_days or 0.0)
    return None


def durations(records: Iterable[Record], stages: Sequence[Stage], now: datetime) -> Durations:
    """Median and mean days per stage over all stays of the deals of ``records``, in one
    pass over them, ongoing stays up to ``now``."""
    from salespipe.storage.history import fold_records

    return durations_of(fold_records(records, stages, durations_asks(now)).stays, stages, now)


def durations_of(
    stays: Mapping[str, StayStats], stages: Sequence[Stage], now: datetime
) -> Durations:
    """Median and mean days per stage over all stays (tallied as :func:`durations_asks`
    asks), ongoing stays up to ``now``."""
    rows = stage_durations(stays, stages)
    return Durations(as_of=now.date(), stages=rows, bottleneck=choose_bottleneck(rows))
