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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from salespipe.model import Deal, Stage
from salespipe.tally import median_and_mean, rounded

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


def _stay_lengths(
    deals: Iterable[Deal], now: datetime
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Days of every stay per stage key, and how many stays per stage are ongoing."""
    lengths: dict[str, list[float]] = {}
    ongoing: dict[str, int] = {}
    for deal in deals:  # a hot loop at 100k deals: plain attribute reads only
        is_open = deal.status == "open"
        until = deal.closed_at or now
        for stay in deal.stays:
            left = stay.left
            if left is None:
                if is_open:
                    ongoing[stay.stage] = ongoing.get(stay.stage, 0) + 1
                left = until
            seconds = (left - stay.entered).total_seconds()
            spans = lengths.get(stay.stage)
            if spans is None:
                spans = lengths[stay.stage] = []
            spans.append(seconds / SECONDS_PER_DAY if seconds > 0 else 0.0)
    return lengths, ongoing


def _over_target(lengths: Sequence[float], target: int | None) -> int:
    """Stays longer than the target, counted in whole days as ``stale`` counts them."""
    if target is None:
        return 0
    return sum(1 for days in lengths if int(days) > target)


def choose_bottleneck(stages: Sequence[StageDurations]) -> StageDurations | None:
    measured = [s for s in stages if s.median_days is not None]
    with_target = [s for s in measured if s.target_days is not None]
    if with_target:
        worst = max(with_target, key=lambda s: s.excess_days or 0.0)
        return worst if (worst.excess_days or 0.0) > 0 else None
    if measured:
        return max(measured, key=lambda s: s.median_days or 0.0)
    return None


def durations(deals: Iterable[Deal], stages: Sequence[Stage], now: datetime) -> Durations:
    """Median and mean days per stage over all stays of ``deals`` (ongoing ones up to ``now``).

    Enabled stages are listed in pipeline order, and disabled ones that deals stayed in.
    """
    lengths, ongoing = _stay_lengths(deals, now)
    rows = []
    for stage in sorted(stages, key=lambda s: s.position):
        spans = lengths.get(stage.key, [])
        if not stage.enabled and not spans:
            continue
        median, mean = median_and_mean(spans)
        rows.append(
            StageDurations(
                key=stage.key,
                name=stage.name,
                target_days=stage.target_days,
                stays=len(spans),
                ongoing=ongoing.get(stage.key, 0),
                median_days=median,
                mean_days=mean,
                over_target=_over_target(spans, stage.target_days),
            )
        )
    return Durations(as_of=now.date(), stages=rows, bottleneck=choose_bottleneck(rows))
