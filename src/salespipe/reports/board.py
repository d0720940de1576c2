"""The board: the open deals grouped by stage, as on a kanban wall.

One column per enabled stage in pipeline order (an open deal in a disabled stage gets
that stage's column after them), each with its number of deals and value per currency.
Deals are ordered most urgent first: next action overdue (the longest first), then
stale (the most days over target first), then by next action due day, then the longest
in the stage; with ``by="value"``, the largest value first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from salespipe.app.queries import over_target
from salespipe.core.model import Record, Stage, money_from_json, record_days_in_stage
from salespipe.core.tally import Totals, add_money, status_of, totals_json

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
    stage: Stage
    cards: list[Card] = field(default_factory=list)
    value: Totals = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.key,
            "stage_name": self.stage.name,
            "count": len(self.cards),
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
    days = record_days_in_stage(record, now)
    over = days - (stage.target_days or 0) if over_target(days, stage) else 0
    action = record["next_action"]
    due = date.fromisoformat(action["due"]) if action else None
    late = max(0, (now.date() - due).days) if due else 0
    return Card(record, days, over, due, late)


def board(
    records: Iterable[Record], stages: Sequence[Stage], now: datetime, by: BoardBy = "urgency"
) -> Board:
    lanes = {s.key: Lane(s) for s in stages if s.enabled}
    by_key = {s.key: s for s in stages}
    for record in records:
        if status_of(record) != "open":
            continue
        key = record["stage"]
        if key not in lanes:  # a disabled (or unknown) stage still shows its deals
            stage = by_key.get(key) or Stage(key=key, name=key, position=10_000, probability=0)
            lanes[key] = Lane(stage)
        lane = lanes[key]
        lane.cards.append(_card(record, lane.stage, now))
        add_money(lane.value, record["currency"], money_from_json(record["value"]))
    for lane in lanes.values():
        if by == "value":
            lane.cards.sort(key=lambda c: (-c.record["value"], c.record["id"]))
        else:
            lane.cards.sort(key=Card.urgency)
    return Board(now, by, list(lanes.values()))
