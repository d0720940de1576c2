"""The board: the open deals grouped by stage, as on a kanban wall.

One column per enabled stage in pipeline order (an open deal in a disabled stage gets
that stage's column after them), each with its number of deals and value per currency.
Deals are ordered most urgent first: next action overdue (the longest first), then
stale (the most days over target first), then by next action due day, then the longest
in the stage; with ``by="value"``, by currency (the configured one first, then the
others in code order: amounts of two currencies are not compared), the largest value
first in each. With a ``limit``, each
stage keeps only its first cards (chosen on their order, without making a card of every
deal), while its count and value still take in all its deals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from salespipe.core.limits import UNKNOWN_STAGE_POSITION
from salespipe.core.model import Record, Stage
from salespipe.core.tally import Totals, add_money, totals_json
from salespipe.storage.queries import urgency

if TYPE_CHECKING:
    from salespipe.reports.scope import OpenDeals

BoardBy = Literal["urgency", "value"]
BOARD_BY: tuple[BoardBy, ...] = ("urgency", "value")


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
    return Card(record, *urgency(record, stage, now))


def board(
    deals: OpenDeals,
    stages: Sequence[Stage],
    now: datetime,
    by: BoardBy = "urgency",
    limit: int | None = None,
    currency: str = "THB",
) -> Board:
    """The open deals by stage, each stage's in the order ``by``; with ``limit``, at most
    that many cards a stage (only those are read, and by value those of the currencies
    whose codes sort before ``currency``, the configured one)."""
    lanes = {s.key: Lane(s) for s in stages if s.enabled}
    by_key = {s.key: s for s in stages}
    # By value, a page comes by currency code: the deals of codes before the configured
    # currency are read too, and put after its deals.
    ahead: dict[str, int] = {}
    for part in deals.stage_totals():
        if part.currency < currency:
            ahead[part.stage] = ahead.get(part.stage, 0) + part.deals
        lane = lanes.get(part.stage)
        if lane is None:  # a disabled (or unknown) stage still shows its deals
            key = part.stage
            stage = by_key.get(key) or Stage(
                key=key, name=key, position=UNKNOWN_STAGE_POSITION, probability=0
            )
            lane = lanes[key] = Lane(stage)
        lane.count += part.deals
        add_money(lane.value, part.currency, part.value)
    for key, lane in lanes.items():
        if not lane.count:
            continue
        if by == "value" and ahead.get(key):
            read = None if limit is None else limit + ahead[key]
            page = deals.in_stage(key).first(by, read, now).records
            records = sorted(page, key=lambda r: r.get("currency", "THB") != currency)[:limit]
        else:
            records = deals.in_stage(key).first(by, limit, now).records
        lane.cards = [_card(record, lane.stage, now) for record in records]
    return Board(now, by, list(lanes.values()))
