"""The range of a month's won value: P10, P50 and P90 of a sum of uncertain deals.

Each open deal brings its value into a month with some chance (its win probability
times the share of its timing that falls in that month), independently of the other
deals. The won value of the month is what is already won plus the sum of the deals
that come in; its percentiles are worked out by simulation with a fixed seed, so the
same file always gives the same figures. With many expected wins the sum is close to
a normal curve, which is then used instead of the simulation (it is exact in mean and
spread, and far faster on a large pipeline).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

DRAWS = 2000
"""Simulated months per range."""

NORMAL_FROM = 30.0
"""Expected wins from which the normal curve replaces the simulation."""

Z90 = 1.2815515655446004  # the standard normal's 90th percentile

Chance = tuple[int, float]
"""A deal's value in cents and the chance it is won in the period."""


@dataclass(frozen=True)
class Range:
    """Percentiles of a period's won value, in cents."""

    p10: int
    p50: int
    p90: int


def percentiles(chances: Sequence[Chance], *, seed: str) -> Range:
    """P10, P50 and P90 of the sum of the values of the deals that come in."""
    sure = sum(cents for cents, chance in chances if chance >= 1.0)
    uncertain = [(cents, chance) for cents, chance in chances if 0.0 < chance < 1.0]
    if not uncertain:
        return Range(sure, sure, sure)
    if sum(chance for _cents, chance in uncertain) >= NORMAL_FROM:
        low, middle, high = _normal(uncertain)
    else:
        low, middle, high = _simulated(uncertain, random.Random(seed))
    return Range(sure + low, sure + middle, sure + high)


def _normal(chances: Sequence[Chance]) -> tuple[int, int, int]:
    mean = math.fsum(cents * chance for cents, chance in chances)
    spread = math.sqrt(
        math.fsum(cents * cents * chance * (1 - chance) for cents, chance in chances)
    )
    low = max(0.0, mean - Z90 * spread)
    return round(low), round(mean), round(mean + Z90 * spread)


def _simulated(chances: Sequence[Chance], rng: random.Random) -> tuple[int, int, int]:
    totals = [0] * DRAWS
    log = math.log
    for cents, chance in chances:
        # Visit only the simulated months the deal is won in: the gaps between them are
        # geometric, so the work is the number of wins, not DRAWS per deal.
        miss = math.log1p(-chance)
        draw = int(log(1.0 - rng.random()) / miss)
        while draw < DRAWS:
            totals[draw] += cents
            draw += 1 + int(log(1.0 - rng.random()) / miss)
    totals.sort()
    return _rank(totals, 0.1), _rank(totals, 0.5), _rank(totals, 0.9)


def _rank(ordered: Sequence[int], level: float) -> int:
    """The nearest-rank percentile: the smallest value with ``level`` of them at or below."""
    return ordered[max(0, math.ceil(level * len(ordered)) - 1)]
