"""Next actions against today: overdue (due before today), due today, or still ahead.

One rule for every view of it: the agenda lists them, ``check`` alerts on the overdue
and due-today ones (:mod:`salespipe.reports.agenda`, :mod:`salespipe.reports.alerts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from salespipe.core.model import Record, Stage
from salespipe.core.tally import status_of

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
        return {**deal_json(self.record, self.stage), **self.action_json()}

    def action_json(self) -> dict[str, Any]:
        return {
            "action": self.record["next_action"]["text"],
            "due": self.due.isoformat(),
            "days_late": self.days_late,
        }


def deal_json(record: Record, stage: Stage | None) -> dict[str, Any]:
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
