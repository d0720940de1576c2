"""The day's work: next actions overdue, due today and coming, and stale deals without one.

- A next action is *overdue* when its due day is before today, *due today* on today,
  *coming* in the N days after today (default 7).
- A deal *needs a plan* when it is stale (see :mod:`salespipe.reports.alerts`) and has
  no next action: nothing says what happens to it next.

Only open deals count. ``check`` finds its next-action alerts by the same rule
(:mod:`salespipe.reports.due`), so the agenda and cron never disagree about what is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from salespipe.core.model import Record, Stage
from salespipe.core.tally import status_of
from salespipe.reports.alerts import StaleDeal, stale_records
from salespipe.reports.due import DueAction, When, deal_json, due_actions

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
    records: Iterable[Record], stages: Sequence[Stage], now: datetime, days: int = DEFAULT_DAYS
) -> Agenda:
    """What to do today: the next actions due up to ``days`` days ahead, and the stale
    deals without a next action, longest overdue first."""
    deals = [record for record in records if status_of(record) == "open"]
    today = now.date()
    actions = due_actions(deals, stages, today, today + timedelta(days=days))
    unplanned = [record for record in deals if record["next_action"] is None]
    return Agenda(now, days, actions, stale_records(unplanned, stages, now))
