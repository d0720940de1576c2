"""Stage win probabilities learned from what happened, beside the configured ones.

The pipeline is read as an absorbing Markov chain: the stages are its states, *won*
and *lost* the two absorbing ones. Every deal's path through the stages (its stays,
in order; a move back and a reopen are steps like any other, a skipped stage is one
step over it) gives the chain its transitions: how many times deals went from each
stage to each other stage, to won or to lost. A deal still open has walked part of
its path; the steps it took count and its end is simply not known yet (censored, not
a loss). A deal lost and then reopened counts by where it ended. A deal imported
closed without the stage it closed from ("Closed Won" is all Salesforce says) went
through no stage that is known: it counts nowhere, and the calibration says how many
were left out so (``stage_unknown``).

From the counts, the share of the deals leaving stage *s* that went to *t* is the
chance of that step, and the chance of winning from *s* is the chance of winning
straight from *s* plus, for each next stage *t*, the chance of going to *t* times the
chance of winning from *t*: one linear equation per stage, solved exactly.

With few deals behind a stage the estimate leans on the configured probability, as
a beta prior worth :data:`PRIOR_DEALS` deals centred on it would: observed =
(closed x chain + PRIOR_DEALS x configured) / (closed + PRIOR_DEALS), *closed* being
the deals that reached the stage and have since been won or lost.

See docs/forecasting.md for a worked example.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from salespipe.core.model import Record, Stage
from salespipe.core.tally import median_and_mean, rounded
from salespipe.storage.history import Asks, Totals, days_to_won, path_of
from salespipe.storage.history import Walk as Walk

if TYPE_CHECKING:
    from salespipe.reports.scope import Scope

PRIOR_DEALS = 10
"""How many deals' worth of weight the configured probability keeps."""

WON, LOST = "won", "lost"


@dataclass(frozen=True)
class StageOdds:
    """What history says about one stage."""

    key: str
    name: str
    configured: float  # the stage's probability, 0-1
    observed: float | None  # None when no deal reached the stage
    chain: float | None  # the chain's estimate before the prior, None without data
    deals: int  # deals that reached the stage
    closed: int  # of those, won or lost since
    won: int  # of those, won
    days_to_won: tuple[float, ...]  # per won deal: days from its last entry here to the win
    # What the estimate leans on: the probability a person set, which differs from the
    # configured one after `calibrate --apply` (None: the same).
    set_by_hand: float | None = None

    @property
    def leans_on_prior(self) -> bool:
        """True when fewer closed deals than the prior's weight stand behind it."""
        return self.closed < PRIOR_DEALS

    @property
    def median_days_to_won(self) -> float | None:
        return median_and_mean(self.days_to_won)[0]

    @property
    def win_probability(self) -> float:
        """The observed probability, or the configured one where nothing is known."""
        return self.configured if self.observed is None else self.observed

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "configured": self.configured,
            # Unrounded, as the forecast weighs by them: the table rounds them for display.
            "observed": self.observed,
            "chain": self.chain,
            "deals": self.deals,
            "closed": self.closed,
            "won": self.won,
            "median_days_to_won": rounded(self.median_days_to_won),
            "leans_on_prior": self.leans_on_prior,
            "set_by_hand": self.set_by_hand,
        }


@dataclass(frozen=True)
class Calibration:
    as_of: date
    stages: list[StageOdds]
    # The closed deals left out: imported without the stage they closed from.
    stage_unknown: int = 0

    def by_key(self) -> dict[str, StageOdds]:
        return {stage.key: stage for stage in self.stages}

    def percentages(self) -> dict[str, int]:
        """The observed probabilities as whole percents, for the stages that have one."""
        return {s.key: round(s.observed * 100) for s in self.stages if s.observed is not None}

    def changing(self) -> list[StageOdds]:
        """The stages whose probability :meth:`percentages` would change."""
        percents = self.percentages()
        return [
            s
            for s in self.stages
            if percents.get(s.key, round(s.configured * 100)) != round(s.configured * 100)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "prior_deals": PRIOR_DEALS,
            "stages": [stage.to_dict() for stage in self.stages],
            "left_out": {"stage_unknown": self.stage_unknown},
            "applied": False,  # a calibration alone sets nothing (CalibrateRun: --apply)
        }


@dataclass(frozen=True)
class CalibrateRun:
    """What the calibrate command did: the calibration, and whether its probabilities
    were set on the stages (--apply)."""

    calibration: Calibration
    applied: bool  # the stages' probabilities were changed to the observed ones
    asked_to_apply: bool = False
    since: date | None = None  # --since: it learned from the deals created from then on

    def to_dict(self) -> dict[str, Any]:
        return {**self.calibration.to_dict(), "applied": self.applied}


@dataclass(frozen=True)
class DealPath:
    """What one deal adds to the counts: its steps (the last into won or lost when it
    has closed), the stages it reached, its status, and when won, the days from its
    last entry into each stage it reached to the win."""

    steps: tuple[tuple[str, str], ...]
    reached: tuple[str, ...]
    status: str
    days_to_won: tuple[tuple[str, float], ...]


def walk_of(record: Record) -> Walk:
    """The stages of the deal's path (:func:`~salespipe.storage.history.path_of`, without
    the times) and its status: what the deal adds to the chain's counts."""
    return tuple(stage for stage, _entered in path_of(record)), record.get("status", "open")


def walk_path(walk: Walk) -> DealPath:
    """The :class:`DealPath` of every deal with this walk, but for its days."""
    stages, status = walk
    steps = list(itertools.pairwise(stages))
    if status != "open" and stages:
        steps.append((stages[-1], status))
    return DealPath(tuple(steps), tuple(dict.fromkeys(stages)), status, ())


def deal_path(record: Record) -> DealPath:
    path = path_of(record)
    status = record.get("status", "open")
    walk = walk_path((tuple(stage for stage, _entered in path), status))
    return DealPath(walk.steps, walk.reached, status, tuple(days_to_won(record, path)))


class PathCounts:
    """The chain's transition counts and each stage's deals, gathered one deal (stored
    record) at a time, so a report can fold the history in one pass."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, int]] = {}
        self.reached: dict[str, int] = {}
        self.closed: dict[str, int] = {}
        self.won: dict[str, int] = {}
        self.days_to_won: dict[str, list[float]] = {}
        self.stage_unknown = 0  # closed deals of no known stage, left out

    def add(self, record: Record) -> None:
        self.count(deal_path(record))

    def count(self, deal: DealPath, times: int = 1, *, days: bool = True) -> None:
        """Count a deal ``times`` times (-1 takes it back out; its days only with
        ``days``, which cannot be taken back)."""
        if not deal.reached and deal.status != "open":
            self.stage_unknown += times
        steps = self.steps
        for here, there in deal.steps:
            row = steps.setdefault(here, {})
            row[there] = row.get(there, 0) + times
        tallies = [self.reached]
        if deal.status != "open":
            tallies.append(self.closed)
            if deal.status == WON:
                tallies.append(self.won)
        for tally in tallies:
            for stage in deal.reached:
                tally[stage] = tally.get(stage, 0) + times
        if days:
            for stage, length in deal.days_to_won:
                self.days_to_won.setdefault(stage, []).append(length)

    def add_counts(self, other: PathCounts) -> None:
        """Add another's counts (not its days) to these."""
        for here, row in other.steps.items():
            mine = self.steps.setdefault(here, {})
            for there, count in row.items():
                mine[there] = mine.get(there, 0) + count
        for tally, more in (
            (self.reached, other.reached),
            (self.closed, other.closed),
            (self.won, other.won),
        ):
            for stage, count in more.items():
                tally[stage] = tally.get(stage, 0) + count
        self.stage_unknown += other.stage_unknown

    def result(self, stages: Sequence[Stage], as_of: date) -> Calibration:
        """The odds of every enabled stage, in pipeline order."""
        configured = {s.key: s.probability / 100 for s in stages}
        guessed = {s.key: s.guess / 100 for s in stages}  # what the estimates lean on
        chain = win_chances(self.steps, guessed)
        rows = []
        for stage in sorted(stages, key=lambda s: s.position):
            if not stage.enabled:
                continue
            key = stage.key
            reached, closed = self.reached.get(key, 0), self.closed.get(key, 0)
            estimate = chain.get(key)
            observed = None
            if reached and estimate is not None:
                prior = guessed[key]
                observed = (closed * estimate + PRIOR_DEALS * prior) / (closed + PRIOR_DEALS)
            rows.append(
                StageOdds(
                    key=key,
                    name=stage.name,
                    configured=configured[key],
                    observed=observed,
                    chain=estimate if reached else None,
                    deals=reached,
                    closed=closed,
                    won=self.won.get(key, 0),
                    days_to_won=tuple(sorted(self.days_to_won.get(key, ()))),
                    set_by_hand=None if guessed[key] == configured[key] else guessed[key],
                )
            )
        return Calibration(as_of=as_of, stages=rows, stage_unknown=self.stage_unknown)


def win_chances(
    steps: Mapping[str, Mapping[str, int]], fallback: Mapping[str, float]
) -> dict[str, float]:
    """The chance of ending in *won* from each stage of the chain.

    A stage no deal has left yet (or from which no path of observed steps leads to an
    end) has no estimate from the chain: it takes its ``fallback`` (the configured
    probability; 0 for a stage not configured), and the stages leading to it use that.
    """
    steps = {
        here: kept
        for here, row in steps.items()
        if (kept := {there: count for there, count in row.items() if count > 0})
    }
    states = sorted({*steps, *(t for row in steps.values() for t in row)} - {WON, LOST})
    ends = _reaching_an_end(steps)
    unknown = [s for s in states if s in ends]
    index = {s: i for i, s in enumerate(unknown)}
    size = len(unknown)
    # (I - Q) x = r, with the fixed stages' chances moved to the right-hand side.
    matrix = [[0.0] * size for _ in range(size)]
    right = [0.0] * size
    for state, i in index.items():
        row = steps[state]
        total = sum(row.values())
        matrix[i][i] += 1.0
        for target, count in sorted(row.items()):  # the same sums on every backend
            share = count / total
            if target == WON:
                right[i] += share
            elif target == LOST:
                continue
            elif target in index:
                matrix[i][index[target]] -= share
            else:
                right[i] += share * fallback.get(target, 0.0)
    solution = _solve(matrix, right)
    chances = {s: fallback.get(s, 0.0) for s in states}
    chances.update({s: min(1.0, max(0.0, solution[i])) for s, i in index.items()})
    return chances


def _reaching_an_end(steps: Mapping[str, Mapping[str, int]]) -> set[str]:
    """The stages with observed steps out of them from which some path of observed
    steps ends in won, lost, or a stage with no observed steps out (whose chance is
    fixed); for the others the equations have no single solution."""
    fixed = {t for row in steps.values() for t in row if t not in steps} | {WON, LOST}
    good: set[str] = set()
    changed = True
    while changed:
        changed = False
        for state, row in steps.items():
            if state not in good and any(t in fixed or t in good for t in row):
                good.add(state)
                changed = True
    return good


def _solve(matrix: list[list[float]], right: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems have a few stages)."""
    size = len(right)
    a = [[*row, right[i]] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        lead = a[col][col]
        for r in range(size):
            if r != col and a[r][col]:
                factor = a[r][col] / lead
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][size] / a[i][i] for i in range(size)]


def calibrate_asks(now: datetime, since: date | None = None) -> Asks:
    """What ``calibrate`` asks of the deals made on ``since`` or later (all with None):
    their walks and, per stage, the days its won deals took to the win."""
    return Asks(now, walks=True, days_to_won=True, made_since=since)


def counts_of(totals: Totals) -> PathCounts:
    """The chain's counts from the totals :func:`calibrate_asks` asks for."""
    counts = PathCounts()
    for walk, deals in totals.walks.items():
        counts.count(walk_path(walk), deals, days=False)
    counts.days_to_won = {stage: list(days) for stage, days in totals.days_to_won.items()}
    return counts


def calibrate(
    records: Iterable[Record], stages: Sequence[Stage], as_of: date, since: date | None = None
) -> Calibration:
    """Observed beside configured probabilities from the stored records of the deals
    (those made on ``since`` or later), in one pass over them."""
    from salespipe.storage.history import fold_records

    totals = fold_records(records, stages, calibrate_asks(datetime.combine(as_of, time()), since))
    return counts_of(totals).result(stages, as_of)


def calibrate_in(scope: Scope, since: date | None = None) -> Calibration:
    """The calibration of a report's deals (those made on ``since`` or later): its
    totals asked of the database when it adds them up, else from one pass over the
    records."""
    totals = scope.totals(calibrate_asks(scope.now, since))
    return counts_of(totals).result(scope.stages, scope.now.date())
