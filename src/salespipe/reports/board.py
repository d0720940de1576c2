"""The board: the open deals grouped by stage, as on a kanban wall.

One column per enabled stage in pipeline order (an open deal in a disabled stage gets
that stage's column after them), each with its number of deals and value per currency.
Deals are ordered most urgent first: next action overdue (the longest first), then
stale (the most days over target first), then by next action due day, then the longest
in the stage; with ``by="value"``, the largest value first. With a ``limit``, each
stage keeps only its first cards (chosen on their order, without making a card of every
deal), while its count and value still take in all its deals.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from salespipe.app.queries import over_target, totals_by_currency
from salespipe.core.model import Record, Stage, record_days_in_stage
from salespipe.core.tally import Totals, status_of, totals_json

BoardBy = Literal["urgency", "value"]
BOARD_BY: tuple[BoardBy, ...] = ("urgency", "value")
NO_DUE = date.max


@dataclass(frozen=True)
class Card:
    record: Record
    days_in_stage: int
    days_over: int  # over the stage's target days; 0 when within it or it has none
    due: date | None  # the next action's due day
    days_late: int  # the next action's days past due; 0 when not overdue

    @property
    def overdue(self) -> bool:
        return self.days_late > 0

    @property
    def stale(self) -> bool:
        return self.days_over > 0

    def urgency(self) -> tuple[Any, ...]:
        return (
            -self.days_late,
            -self.days_over,
            self.due or NO_DUE,
            -self.days_in_stage,
            self.record["id"],
        )

    def by_value(self) -> tuple[Any, ...]:
        return (-self.record["value"], self.record["id"])

    def to_dict(self) -> dict[str, Any]:
        record = self.record
        return {
            "deal_id": record["id"],
            "title": record["title"],
            "customer": record["customer"],
            "owner": record["owner"],
            "value": record["value"],
            "currency": record["currency"],
            "days_in_stage": self.days_in_stage,
            "stale": self.stale,
            "next_action": record["next_action"],
            "next_action_overdue": self.overdue,
        }


@dataclass
class Lane:
    """A stage's column: its first ``cards`` in order, and ``count`` and ``value`` of all
    its deals (more than the cards when the board is limited)."""

    stage: Stage
    cards: list[Card] = field(default_factory=list)
    value: Totals = field(default_factory=dict)
    count: int = 0

    @property
    def more(self) -> int:
        """How many of the stage's deals have no card (past the limit)."""
        return self.count - len(self.cards)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.key,
            "stage_name": self.stage.name,
            "count": self.count,
            "value": totals_json(self.value),
            "deals": [card.to_dict() for card in self.cards],
        }


@dataclass(frozen=True)
class Board:
    as_of: datetime
    by: BoardBy
    lanes: list[Lane]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.date().isoformat(),
            "by": self.by,
            "stages": [lane.to_dict() for lane in self.lanes],
        }


def _card(record: Record, stage: Stage, now: datetime) -> Card:
    return Card(record, *_measures(record, stage, now))


def _measures(record: Record, stage: Stage, now: datetime) -> tuple[int, int, date | None, int]:
    """A card's numbers: days in the stage, days over its target, due day, days late."""
    days = record_days_in_stage(record, now)
    over = days - (stage.target_days or 0) if over_target(days, stage) else 0
    action = record["next_action"]
    due = date.fromisoformat(action["due"]) if action else None
    late = max(0, (now.date() - due).days) if due else 0
    return days, over, due, late


def _first(
    records: list[Record], stage: Stage, now: datetime, by: BoardBy, limit: int
) -> list[Card]:
    """The first ``limit`` cards of a stage's deals: the order is read from each record,
    and only the cards shown are made."""
    if by == "value":
        first = heapq.nsmallest(limit, records, key=lambda r: (-r["value"], r["id"]))
    else:

        def urgency(record: Record) -> tuple[Any, ...]:
            days, over, due, late = _measures(record, stage, now)
            return (-late, -over, due or NO_DUE, -days, record["id"])

        first = heapq.nsmallest(limit, records, key=urgency)
    return [_card(record, stage, now) for record in first]


def board(
    records: Iterable[Record],
    stages: Sequence[Stage],
    now: datetime,
    by: BoardBy = "urgency",
    limit: int | None = None,
) -> Board:
    """The open deals by stage, each stage's in the order ``by``; with ``limit``, at most
    that many cards a stage."""
    lanes = {s.key: Lane(s) for s in stages if s.enabled}
    by_key = {s.key: s for s in stages}
    deals: dict[str, list[Record]] = {key: [] for key in lanes}
    for record in records:
        if status_of(record) != "open":
            continue
        key = record["stage"]
        if key not in lanes:  # a disabled (or unknown) stage still shows its deals
            stage = by_key.get(key) or Stage(key=key, name=key, position=10_000, probability=0)
            lanes[key] = Lane(stage)
            deals[key] = []
        deals[key].append(record)
    order = Card.by_value if by == "value" else Card.urgency
    for key, lane in lanes.items():
        lane_deals = deals[key]
        lane.count = len(lane_deals)
        lane.value = totals_by_currency((r["currency"], r["value"]) for r in lane_deals)
        if limit is None:
            lane.cards = sorted((_card(r, lane.stage, now) for r in lane_deals), key=order)
        else:
            lane.cards = _first(lane_deals, lane.stage, now, by, limit)
    return Board(now, by, list(lanes.values()))
