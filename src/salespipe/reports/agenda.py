"""The day's work: next actions overdue, due today and coming, and stale deals without one.

- A next action is *overdue* when its due day is before today, *due today* on today,
  *coming* in the N days after today (default 7).
- A deal *needs a plan* when it is stale (see :mod:`salespipe.reports.alerts`) and has
  no next action: nothing says what happens to it next.

Only open deals count. ``check`` finds its next-action alerts by the same rule
(:mod:`salespipe.reports.due`), so the agenda and cron never disagree about what is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from salespipe.core.model import Stage
from salespipe.reports.alerts import StaleDeal, stale_deals_of
from salespipe.reports.due import DueAction, When, deal_json, due_actions

if TYPE_CHECKING:
    from salespipe.reports.scope import OpenDeals

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Agenda:
    """What to do; ``more`` counts what a limit left out of each part (overdue, today,
    coming, needs_plan: only parts with some), ``by_default`` when the default length
    left it out."""

    as_of: datetime
    days: int
    actions: list[DueAction]
    needs_plan: list[StaleDeal]
    more: dict[str, int] = field(default_factory=dict)
    by_default: bool = False

    @property
    def shown(self) -> int:
        return len(self.actions) + len(self.needs_plan)

    @property
    def count(self) -> int:
        """How many rows there are, shown or not."""
        return self.shown + sum(self.more.values())

    def part(self, when: When) -> list[DueAction]:
        return [item for item in self.actions if item.when == when]

    @property
    def empty(self) -> bool:
        return not self.count

    def to_dict(self) -> dict[str, Any]:
        data = {
            "as_of": self.as_of.date().isoformat(),
            "days": self.days,
            "overdue": [item.to_dict() for item in self.part("overdue")],
            "today": [item.to_dict() for item in self.part("today")],
            "coming": [item.to_dict() for item in self.part("coming")],
            "needs_plan": [
                {
                    **deal_json(item.record, item.stage),
                    "days_in_stage": item.days_in_stage,
                    "days_over": item.days_over,
                }
                for item in self.needs_plan
            ],
        }
        if self.more:
            data["more"] = self.more
        return data


def agenda(
    deals: OpenDeals,
    stages: Sequence[Stage],
    now: datetime,
    days: int = DEFAULT_DAYS,
    limit: int | None = None,
    *,
    by_default: bool = False,
) -> Agenda:
    """What to do today: the next actions due up to ``days`` days ahead, and the stale
    deals without a next action, longest overdue first; of each part the first
    ``limit`` (all with None), and how many more there are."""
    today = now.date()
    until = today + timedelta(days=days)
    parts = {
        "overdue": deals.due_before("next_action", today, limit),
        "today": deals.due_by("next_action", today, limit, since=today),
        "coming": deals.due_by("next_action", until, limit, since=today + timedelta(days=1)),
    }
    due = [record for page in parts.values() for record in page.records]
    actions = due_actions(due, stages, today, until)
    more = {part: page.matched - len(page.records) for part, page in parts.items()}
    unplanned = deals.unplanned().stale(now, limit)
    more["needs_plan"] = unplanned.matched - len(unplanned.records)
    cut = {part: count for part, count in more.items() if count}
    needs_plan = stale_deals_of(unplanned.records, stages, now)
    return Agenda(now, days, actions, needs_plan, cut, by_default)
