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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from salespipe.core import collation
from salespipe.core.limits import UNKNOWN_STAGE_POSITION
from salespipe.core.model import Record, Stage
from salespipe.core.tally import Period, Totals, add_money, rate, totals_json, value_rates
from salespipe.storage.history import Asks, ClosedSum, Cohort

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
    as_of: date  # the day the deals are seen as of: today, or --as-of
    lost_in_no_stage: int = 0  # imported lost without the stage it was lost in

    @property
    def open(self) -> int:
        return self.created - self.won - self.lost

    @property
    def win_rate(self) -> float | None:
        return rate(self.won, self.won + self.lost)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            **self.period.to_dict(),
            "created": self.created,
            "open": self.open,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
            "stages": [step.to_dict() for step in self.steps],
            **({"lost_in_no_stage": self.lost_in_no_stage} if self.lost_in_no_stage else {}),
        }


def funnel_asks(now: datetime, period: Period, stages: Sequence[Stage]) -> Asks:
    """What the funnel asks of the deals: the cohort made in ``period``, ranked by the
    stages in pipeline order."""
    ordered = sorted(stages, key=lambda s: s.position)
    return Asks(now, cohort=period, ranks=tuple(s.key for s in ordered))


def funnel(
    records: Iterable[Record],
    stages: Sequence[Stage],
    period: Period,
    now: datetime | None = None,
) -> Funnel:
    """The funnel of the deals created in ``period``, in one pass over their records (seen
    as of ``now``, by default the present)."""
    from salespipe.core import clock
    from salespipe.storage.history import fold_records

    now = now or clock.now()
    asks = funnel_asks(now, period, stages)
    return funnel_of(fold_records(records, stages, asks).cohort, stages, period, now.date())


def funnel_of(cohort: Cohort, stages: Sequence[Stage], period: Period, as_of: date) -> Funnel:
    """The funnel of the deals created in ``period`` (tallied as :func:`funnel_asks`
    asks), seen as of the end of the day ``as_of``.

    The stages shown are the enabled ones and the disabled ones a deal of the cohort was
    in, in pipeline order.
    """
    ordered = sorted(stages, key=lambda s: s.position)
    rank = {stage.key: i for i, stage in enumerate(ordered)}
    shown = [s for s in ordered if s.enabled or s.key in cohort.visited]
    furthest_count = [cohort.furthest.get(rank[stage.key], 0) for stage in shown]
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
    return Funnel(
        period, cohort.created, cohort.won, cohort.lost, steps, as_of, cohort.lost_in_no_stage
    )


@dataclass
class WinGroup:
    """Won and lost deals of one group (or of everything)."""

    group: str
    name: str = ""
    won: int = 0
    lost: int = 0
    won_value: Totals = field(default_factory=dict)
    lost_value: Totals = field(default_factory=dict)

    def add(self, won: bool, code: str, value: Decimal, deals: int = 1) -> None:
        """Closed deals: won or lost, their currency and value."""
        if won:
            self.won += deals
            add_money(self.won_value, code, value)
        else:
            self.lost += deals
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
    as_of: date  # the day the deals are seen as of: today, or --as-of

    def to_dict(self) -> dict[str, Any]:
        total = self.total.to_dict()
        return {
            "as_of": self.as_of.isoformat(),
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


def _ordered_groups(
    groups: dict[str, WinGroup], by: WinRateBy, stages: Sequence[Stage]
) -> list[WinGroup]:
    if by == "stage":
        position = {s.key: s.position for s in stages}
        names = {s.key: s.name for s in stages}
        for key, group in groups.items():
            group.name = names.get(key, key)
        return sorted(
            groups.values(), key=lambda g: (position.get(g.group, UNKNOWN_STAGE_POSITION), g.group)
        )
    if by == "owner":
        return sorted(groups.values(), key=lambda g: collation.sort_key(g.group))
    if by == "reason":  # the most frequent reason first
        return sorted(groups.values(), key=lambda g: (-g.lost, collation.sort_key(g.name)))
    return sorted(groups.values(), key=lambda g: g.group)


def winrate_asks(now: datetime, period: Period, by: WinRateBy | None) -> Asks:
    """What the win rate asks of the deals."""
    return Asks(now, closed=period, by=by)


def winrate(
    records: Iterable[Record],
    stages: Sequence[Stage],
    period: Period,
    by: WinRateBy | None = None,
    now: datetime | None = None,
) -> WinRate:
    """Won and lost among the deals closed in ``period``, in one pass over their records
    (seen as of ``now``, by default the present)."""
    from salespipe.core import clock
    from salespipe.storage.history import fold_records

    now = now or clock.now()
    totals = fold_records(records, stages, winrate_asks(now, period, by))
    return winrate_of(totals.closed, stages, period, now.date(), by)


def winrate_of(
    closed: Iterable[ClosedSum],
    stages: Sequence[Stage],
    period: Period,
    as_of: date,
    by: WinRateBy | None = None,
) -> WinRate:
    """Won and lost among the deals closed in ``period`` (tallied per outcome, group and
    currency: :func:`winrate_asks`), in total and per group, seen as of the end of the
    day ``as_of``."""
    total = WinGroup("all")
    groups: dict[str, WinGroup] = {}
    for part in closed:
        total.add(part.won, part.currency, part.value, part.deals)
        if by is not None and not (part.won and by == "reason"):
            group = groups.get(part.group)
            if group is None:
                group = groups[part.group] = WinGroup(part.group, part.name)
            group.add(part.won, part.currency, part.value, part.deals)
    ordered = _ordered_groups(groups, by, stages) if by else []
    return WinRate(period, by, total, ordered, as_of)
