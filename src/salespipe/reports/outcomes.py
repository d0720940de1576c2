"""How deals end: the funnel of a cohort, and the win rate of a period.

- Funnel: of the deals *created* in the period, how many reached each stage. A deal
  has reached every stage up to the furthest one it ever stayed in (so one that
  skipped a stage counts as having passed it), and a won deal has reached them all.
  Conversion is the share of the deals that reached a stage which also reached the
  next one (for the last stage: which were won). Lost counts the deals lost in each
  stage (the stage they were closed from).
- Win rate = won / (won + lost) among the deals *closed* in the period, by count and,
  per currency, by value. Grouped by reason, it is the lost deals per reason (the same
  reason however it is capitalised or spaced): why we lose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import Any, Literal

from salespipe.core import collation
from salespipe.core.model import Record, Stage
from salespipe.core.tally import (
    Period,
    Totals,
    add_money,
    currency_of,
    moment,
    rate,
    status_of,
    totals_json,
    value_of,
    value_rates,
)

WinRateBy = Literal["owner", "month", "stage", "reason"]
WINRATE_BY: tuple[WinRateBy, ...] = ("owner", "month", "stage", "reason")


@dataclass(frozen=True)
class FunnelStep:
    key: str
    name: str
    reached: int
    lost: int
    conversion: float | None
    created: int

    @property
    def reached_rate(self) -> float | None:
        """The share of the cohort that reached this stage."""
        return rate(self.reached, self.created)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "reached": self.reached,
            "reached_rate": self.reached_rate,
            "conversion": self.conversion,
            "lost": self.lost,
        }


@dataclass(frozen=True)
class Funnel:
    period: Period
    created: int
    won: int
    lost: int
    steps: list[FunnelStep]

    @property
    def open(self) -> int:
        return self.created - self.won - self.lost

    @property
    def win_rate(self) -> float | None:
        return rate(self.won, self.won + self.lost)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.period.to_dict(),
            "created": self.created,
            "open": self.open,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
            "stages": [step.to_dict() for step in self.steps],
        }


@dataclass
class _Cohort:
    """The deals created in a period, tallied one at a time: how many got no further than
    each stage (won deals apart, as they reached them all), the stages each was ever in,
    and the stage each lost deal was lost in."""

    rank: dict[str, int]  # stage key -> place in pipeline order
    created: int = 0
    won: int = 0
    lost: int = 0
    furthest: dict[int, int] = field(default_factory=dict)  # rank -> deals that got there
    lost_in: dict[str, int] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)

    def add(self, record: Record) -> None:
        self.created += 1
        stage = record["stage"]
        keys = [stay[0] for stay in record.get("stays", ())]
        keys.append(stage)
        self.visited.update(keys)
        outcome = status_of(record)
        if outcome == "won":
            self.won += 1
            return
        if outcome == "lost":
            self.lost += 1
            self.lost_in[stage] = self.lost_in.get(stage, 0) + 1
        furthest = max(map(self.rank.get, keys, repeat(-1)))  # -1: no stage of the pipeline
        if furthest >= 0:
            self.furthest[furthest] = self.furthest.get(furthest, 0) + 1


def funnel(records: Iterable[Record], stages: Sequence[Stage], period: Period) -> Funnel:
    """The funnel of the deals created in ``period``, in one pass over their stored records.

    The stages shown are the enabled ones and the disabled ones a deal of the cohort was
    in, in pipeline order.
    """
    created_in = period.holds_stored()
    ordered = sorted(stages, key=lambda s: s.position)
    cohort = _Cohort({stage.key: i for i, stage in enumerate(ordered)})
    for record in records:
        if created_in(record["created_at"]):
            cohort.add(record)
    shown = [s for s in ordered if s.enabled or s.key in cohort.visited]
    furthest_count = [cohort.furthest.get(cohort.rank[stage.key], 0) for stage in shown]
    last = len(shown) - 1
    if shown:
        furthest_count[last] += cohort.won
    reached = [0] * len(shown)
    running = 0
    for i in range(last, -1, -1):
        running += furthest_count[i]
        reached[i] = running
    steps = [
        FunnelStep(
            key=stage.key,
            name=stage.name,
            reached=reached[i],
            lost=cohort.lost_in.get(stage.key, 0),
            conversion=rate(reached[i + 1] if i < last else cohort.won, reached[i]),
            created=cohort.created,
        )
        for i, stage in enumerate(shown)
    ]
    return Funnel(period, cohort.created, cohort.won, cohort.lost, steps)


@dataclass
class WinGroup:
    """Won and lost deals of one group (or of everything)."""

    group: str
    name: str = ""
    won: int = 0
    lost: int = 0
    won_value: Totals = field(default_factory=dict)
    lost_value: Totals = field(default_factory=dict)

    def add(self, won: bool, code: str, value: Decimal) -> None:
        """One closed deal: won or lost, its currency and value."""
        if won:
            self.won += 1
            add_money(self.won_value, code, value)
        else:
            self.lost += 1
            add_money(self.lost_value, code, value)

    @property
    def rate(self) -> float | None:
        return rate(self.won, self.won + self.lost)

    @property
    def value_rate(self) -> dict[str, float | None]:
        return value_rates(self.won_value, self.lost_value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name or self.group,
            "won": self.won,
            "lost": self.lost,
            "rate": self.rate,
            "won_value": totals_json(self.won_value),
            "lost_value": totals_json(self.lost_value),
            "value_rate": self.value_rate,
        }


@dataclass
class WinRate:
    period: Period
    by: WinRateBy | None
    total: WinGroup
    groups: list[WinGroup]

    def to_dict(self) -> dict[str, Any]:
        total = self.total.to_dict()
        return {
            **self.period.to_dict(),
            "by": self.by,
            "won": total["won"],
            "lost": total["lost"],
            "rate": total["rate"],
            "won_value": total["won_value"],
            "lost_value": total["lost_value"],
            "value_rate": total["value_rate"],
            "groups": [group.to_dict() for group in self.groups],
        }


def _group_key(by: WinRateBy) -> Callable[[Record], str]:
    if by == "reason":  # reasons typed by people: "Price" and "price " are one reason
        return lambda record: collation.fold(" ".join((record.get("lost_reason") or "").split()))
    if by == "owner":
        return lambda record: record.get("owner", "")
    if by == "month":
        return lambda record: moment(record["closed_at"]).strftime("%Y-%m")
    return lambda record: record["stage"]


def _ordered_groups(
    groups: dict[str, WinGroup], by: WinRateBy, stages: Sequence[Stage]
) -> list[WinGroup]:
    if by == "stage":
        position = {s.key: s.position for s in stages}
        names = {s.key: s.name for s in stages}
        for key, group in groups.items():
            group.name = names.get(key, key)
        return sorted(groups.values(), key=lambda g: (position.get(g.group, 10_000), g.group))
    if by == "owner":
        return sorted(groups.values(), key=lambda g: collation.sort_key(g.group))
    if by == "reason":  # the most frequent reason first
        return sorted(groups.values(), key=lambda g: (-g.lost, collation.sort_key(g.name)))
    return sorted(groups.values(), key=lambda g: g.group)


def _group_name(by: WinRateBy | None, record: Record) -> str:
    """How a group is shown, from the first deal in it: a reason as it was first typed."""
    if by == "reason":
        return " ".join((record.get("lost_reason") or "").split())
    return ""


def winrate(
    records: Iterable[Record],
    stages: Sequence[Stage],
    period: Period,
    by: WinRateBy | None = None,
) -> WinRate:
    """Won and lost among the deals closed in ``period``, in total and per group."""
    closed_in = period.holds_stored()
    total = WinGroup("all")
    groups: dict[str, WinGroup] = {}
    key_of = _group_key(by) if by else None
    for record in records:
        outcome = status_of(record)
        if outcome == "open" or not closed_in(record.get("closed_at")):
            continue
        won, code, value = outcome == "won", currency_of(record), value_of(record)
        total.add(won, code, value)
        if key_of is not None and not (won and by == "reason"):
            key = key_of(record)
            group = groups.get(key)
            if group is None:
                group = groups[key] = WinGroup(key, _group_name(by, record))
            group.add(won, code, value)
    ordered = _ordered_groups(groups, by, stages) if by else []
    return WinRate(period, by, total, ordered)
