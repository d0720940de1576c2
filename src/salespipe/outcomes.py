"""How deals end: the funnel of a cohort, and the win rate of a period.

- Funnel: of the deals *created* in the period, how many reached each stage. A deal
  has reached every stage up to the furthest one it ever stayed in (so one that
  skipped a stage counts as having passed it), and a won deal has reached them all.
  Conversion is the share of the deals that reached a stage which also reached the
  next one (for the last stage: which were won). Lost counts the deals lost in each
  stage (the stage they were closed from).
- Win rate = won / (won + lost) among the deals *closed* in the period, by count and,
  per currency, by value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from salespipe import collation
from salespipe.model import Deal, Stage
from salespipe.tally import Period, Totals, add_money, rate, totals_json, value_rates, within

WinRateBy = Literal["owner", "month", "stage"]
WINRATE_BY: tuple[WinRateBy, ...] = ("owner", "month", "stage")


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


def _funnel_stages(stages: Sequence[Stage], visited: set[str]) -> list[Stage]:
    ordered = sorted(stages, key=lambda s: s.position)
    return [s for s in ordered if s.enabled or s.key in visited]


def funnel(deals: Iterable[Deal], stages: Sequence[Stage], period: Period) -> Funnel:
    bounds = period.bounds()
    cohort = [deal for deal in deals if within(deal.created_at, bounds)]
    visited = {stay.stage for deal in cohort for stay in deal.stays} | {d.stage for d in cohort}
    shown = _funnel_stages(stages, visited)
    index = {stage.key: i for i, stage in enumerate(shown)}
    last = len(shown) - 1
    furthest_count = [0] * len(shown)
    lost_in = [0] * len(shown)
    won = lost = 0
    for deal in cohort:
        if deal.status == "won":
            won += 1
            furthest = last
        else:
            positions = [index[s.stage] for s in deal.stays if s.stage in index]
            if deal.stage in index:
                positions.append(index[deal.stage])
            furthest = max(positions, default=-1)
            if deal.status == "lost":
                lost += 1
                if deal.stage in index:
                    lost_in[index[deal.stage]] += 1
        if furthest >= 0:
            furthest_count[furthest] += 1
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
            lost=lost_in[i],
            conversion=rate(reached[i + 1] if i < last else won, reached[i]),
            created=len(cohort),
        )
        for i, stage in enumerate(shown)
    ]
    return Funnel(period, len(cohort), won, lost, steps)


@dataclass
class WinGroup:
    """Won and lost deals of one group (or of everything)."""

    group: str
    name: str = ""
    won: int = 0
    lost: int = 0
    won_value: Totals = field(default_factory=dict)
    lost_value: Totals = field(default_factory=dict)

    def add(self, deal: Deal) -> None:
        if deal.status == "won":
            self.won += 1
            add_money(self.won_value, deal.currency, deal.value)
        else:
            self.lost += 1
            add_money(self.lost_value, deal.currency, deal.value)

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


def _group_key(by: WinRateBy) -> Callable[[Deal], str]:
    if by == "owner":
        return lambda deal: deal.owner
    if by == "month":
        return lambda deal: deal.closed_at.strftime("%Y-%m") if deal.closed_at else ""
    return lambda deal: deal.stage


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
    return sorted(groups.values(), key=lambda g: g.group)


def winrate(
    deals: Iterable[Deal],
    stages: Sequence[Stage],
    period: Period,
    by: WinRateBy | None = None,
) -> WinRate:
    """Won and lost among the deals closed in ``period``, in total and per group."""
    bounds = period.bounds()
    total = WinGroup("all")
    groups: dict[str, WinGroup] = {}
    key_of = _group_key(by) if by else None
    for deal in deals:
        if deal.is_open or not within(deal.closed_at, bounds):
            continue
        total.add(deal)
        if key_of is not None:
            key = key_of(deal)
            group = groups.get(key)
            if group is None:
                group = groups[key] = WinGroup(key)
            group.add(deal)
    ordered = _ordered_groups(groups, by, stages) if by else []
    return WinRate(period, by, total, ordered)
