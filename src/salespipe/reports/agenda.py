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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from salespipe.core.model import Stage
from salespipe.reports.alerts import StaleDeal, stale_records
from salespipe.reports.due import DueAction, When, deal_json, due_actions

if TYPE_CHECKING:
    from salespipe.reports.scope import OpenDeals

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Agenda:
    as_of: datetime
    days: int
    actions: list[DueAction]
    needs_plan: list[StaleDeal]

    def part(self, when: When) -> list[DueAction]:
        return [item for item in self.actions if item.when == when]

    @property
    def empty(self) -> bool:
        return not self.actions and not self.needs_plan

    def to_dict(self) -> dict[str, Any]:
        return {
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


def agenda(
    deals: OpenDeals, stages: Sequence[Stage], now: datetime, days: int = DEFAULT_DAYS
) -> Agenda:
    """What to do today: the next actions due up to ``days`` days ahead, and the stale
    deals without a next action, longest overdue first."""
    today = now.date()
    until = today + timedelta(days=days)
    actions = due_actions(deals.due_by("next_action", until).records, stages, today, until)
    stale = stale_records(deals, stages, now)
    unplanned = [item for item in stale if item.record["next_action"] is None]
    return Agenda(now, days, actions, unplanned)
