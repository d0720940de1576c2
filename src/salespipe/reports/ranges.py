"""The range of a month's won value: P10, P50 and P90 of a sum of uncertain deals.

Each open deal brings its value into a month with some chance (its win probability
times the share of its timing that falls in that month), independently of the other
deals. The won value of the month is what is already won plus the sum of the deals
that come in; its percentiles are worked out by simulation with a fixed seed, so the
same file always gives the same figures. With many expected wins the sum is close to
a normal curve, which is then used instead of the simulation (it is exact in mean and
spread, and far faster on a large pipeline) — but not for a deal so large that it alone
could move the month by more than the curve's spread (one big tender among many
renewals): won or not, it makes two humps no single curve has. Such deals are
simulated, and the rest of the month drawn from its curve in each simulated month.
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

DOMINANT = 0.5
"""A deal worth more than this many standard deviations of the rest of its month is
simulated rather than left to the normal curve."""

DOMINANT_MOST = 100
"""At most this many such deals are simulated (the largest); the rest join the curve."""

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
    if sum(chance for _cents, chance in uncertain) < NORMAL_FROM:
        low, middle, high = _simulated(uncertain, random.Random(seed))
    else:
        large, rest = _dominant(uncertain)
        if not large:
            low, middle, high = _normal(rest)
        elif sum(chance for _cents, chance in rest) < NORMAL_FROM:
            low, middle, high = _simulated(uncertain, random.Random(seed))
        else:
            low, middle, high = _simulated(large, random.Random(seed), curve=rest)
    return Range(sure + low, sure + middle, sure + high)


def _dominant(chances: Sequence[Chance]) -> tuple[list[Chance], list[Chance]]:
    """The deals each worth more than DOMINANT standard deviations of the sum of the
    ones smaller than it (the largest first), and the others."""
    ordered = sorted(chances, key=lambda c: c[0], reverse=True)
    variance = math.fsum(_variance(c) for c in ordered)
    taken = 0
    while taken < min(DOMINANT_MOST, len(ordered) - 1):
        rest_variance = max(0.0, variance - _variance(ordered[taken]))
        if ordered[taken][0] <= DOMINANT * math.sqrt(rest_variance):
            break
        variance = rest_variance
        taken += 1
    return ordered[:taken], ordered[taken:]


def _variance(chance: Chance) -> float:
    cents, p = chance
    return cents * cents * p * (1 - p)


def _mean_and_spread(chances: Sequence[Chance]) -> tuple[float, float]:
    mean = math.fsum(cents * chance for cents, chance in chances)
    return mean, math.sqrt(math.fsum(_variance(c) for c in chances))


def _normal(chances: Sequence[Chance]) -> tuple[int, int, int]:
    mean, spread = _mean_and_spread(chances)
    low = max(0.0, mean - Z90 * spread)
    return round(low), round(mean), round(mean + Z90 * spread)


def _simulated(
    chances: Sequence[Chance], rng: random.Random, curve: Sequence[Chance] = ()
) -> tuple[int, int, int]:
    """Percentiles of DRAWS simulated months; with ``curve``, those deals' sum is drawn
    in each month from its normal curve (held between nothing and all of them)."""
    totals = [0] * DRAWS
    if curve:
        mean, spread = _mean_and_spread(curve)
        most = sum(cents for cents, _chance in curve)
        totals = [round(min(most, max(0.0, rng.gauss(mean, spread)))) for _ in totals]
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
