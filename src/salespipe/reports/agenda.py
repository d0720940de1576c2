"""The day's work: next actions overdue, due today and coming, and stale deals without one.

- A next action is *overdue* when its due day is before today, *due today* on today,
  *coming* in the N days after today (default 7).
- A deal *needs a plan* when it is stale (see :mod:`salespipe.reports.alerts`) and has
  no next action: nothing says what happens to it next.

Only open deals count. ``check`` finds its next-action alerts with :func:`due_actions`,
so the agenda and cron never disagree about what is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from salespipe.core.model import Record, Stage
from salespipe.core.tally import status_of
from salespipe.reports.alerts import StaleDeal, stale_records

DEFAULT_DAYS = 7
When = Literal["overdue", "today", "coming"]


@dataclass(frozen=True)
class DueAction:
    """An open deal's next action, and how it stands against today."""

    record: Record
    stage: Stage | None
    due: date
    days_late: int  # after its due day: 0 today, negative while still ahead

    @property
    def when(self) -> When:
        if self.days_late > 0:
            return "overdue"
        return "today" if self.days_late == 0 else "coming"

    def to_dict(self) -> dict[str, Any]:
        return {**_deal_json(self.record, self.stage), **self.action_json()}

    def action_json(self) -> dict[str, Any]:
        return {
            "action": self.record["next_action"]["text"],
            "due": self.due.isoformat(),
            "days_late": self.days_late,
        }


def _deal_json(record: Record, stage: Stage | None) -> dict[str, Any]:
    return {
        "deal_id": record["id"],
        "title": record["title"],
        "customer": record["customer"],
        "owner": record["owner"],
        "stage": record["stage"],
        "stage_name": stage.name if stage else record["stage"],
    }


def due_actions(
    records: Iterable[Record], stages: Sequence[Stage], today: date, until: date
) -> list[DueAction]:
    """The next actions of the open deals due by ``until`` (overdue ones included), the
    most overdue first, then by due day and deal."""
    by_key = {s.key: s for s in stages}
    last = until.isoformat()  # stored days compare as text
    found = []
    for record in records:
        action = record["next_action"]
        if action is None or action["due"] > last or status_of(record) != "open":
            continue
        due = date.fromisoformat(action["due"])
        found.append(DueAction(record, by_key.get(record["stage"]), due, (today - due).days))
    found.sort(key=lambda item: (item.due, item.record["id"]))
    return found


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
                    **_deal_json(item.record, item.stage),
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
