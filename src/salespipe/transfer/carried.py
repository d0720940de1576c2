"""A backup's deals merged into a database with deals of its own, with their history.

A backup restored into an empty database keeps everything (restore.py). Merged into one
that has deals, each deal gets a new number and its stage is placed as the import places
stages (plan.py); this module carries its events along: every event of the deal that
stands in the backup (an undone change and the undos themselves are no history, as
``--as-of`` skips them), with its time, author and command, its deal number, stages
(stays included), source and owner written as the deal is here. They are recorded in
the import's one change, so ``undo`` takes them back with it.

A deal's events are carried only where they replay to the deal the import writes: a
first event that makes it, every stage they name placed in a stage here, and the record
they rebuild the backup's record (renumbered and placed alike) in the stage and status
the plan gives it. Any other deal comes as a deal of a CSV does (made in its stage at its
creation), and the import names it: nothing is dropped without a word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from salespipe.core.model import Record
from salespipe.transfer.pending import StageLabel


class CarriedDeal(NamedTuple):
    """A deal's events as they are recorded here (event records without their numbers)
    and its record as they leave it."""

    events: list[Record]
    record: Record


@dataclass
class BackupHistory:
    """The events of each deal of a backup that stand (in their order), and its records."""

    events: dict[int, list[Record]] = field(default_factory=dict)
    records: dict[int, Record] = field(default_factory=dict)

    def stages_passed(self, deal_id: int) -> set[str]:
        """The stages the deal's events name (as its stage, or in its stays) besides the
        one it is in now."""
        keys: set[str] = set()
        for event in self.events.get(deal_id, ()):
            for part in (event.get("before"), event.get("after")):
                if isinstance(part, dict):
                    keys.update(_stages_of(part))
        record = self.records.get(deal_id)
        if record is not None:
            keys.discard(str(record.get("stage")))
        return keys

    def labels(
        self, named: Mapping[str, str], pipeline_of: Mapping[str, str]
    ) -> Counter[StageLabel]:
        """The stages the deals were in before, as labels the import places (by the
        backup's key, name and pipeline), each with how many deals were there."""
        counted: Counter[StageLabel] = Counter()
        for deal_id in self.records:
            for key in self.stages_passed(deal_id):
                label = StageLabel(key, named.get(key, ""), False, None, pipeline_of.get(key, ""))
                counted[label] += 1
        return counted


def read_history(events: Iterable[Record], deals: Iterable[Record]) -> BackupHistory:
    """The history of the backup's ``deals`` from its ``events`` (read once)."""
    history = BackupHistory(records={int(deal["id"]): deal for deal in deals})
    undone: set[int] = set()
    kept: dict[int, list[Record]] = {}
    for event in events:
        if event.get("type") == "undo":
            undid = (event.get("after") or {}).get("undid")
            if isinstance(undid, int):
                undone.add(undid)
            continue
        deal_id = event.get("deal_id")
        if isinstance(deal_id, int) and deal_id in history.records:
            kept.setdefault(deal_id, []).append(event)
    history.events = {
        deal_id: [event for event in found if event.get("change") not in undone]
        for deal_id, found in kept.items()
    }
    return history


def _stages_of(part: Record) -> Iterable[str]:
    stage = part.get("stage")
    if isinstance(stage, str):
        yield stage
    for stay in part.get("stays") or ():
        if isinstance(stay, list) and stay and isinstance(stay[0], str):
            yield stay[0]


class _NotPlaced(Exception):
    """A stage of the deal's history has no stage here."""


@dataclass(frozen=True)
class Here:
    """What a deal of the backup is here: its number, source, stage and status."""

    deal_id: int
    source: str | None
    stage: str
    status: str


def carry(
    history: BackupHistory,
    backup_id: int,
    here: Here,
    stage_of: Mapping[str, str],
    owner_of: Callable[[str], str],
) -> CarriedDeal | None:
    """The deal's events and record as they are written here, or None where they do
    not replay to the deal the import writes (see the module's docstring)."""
    events = history.events.get(backup_id)
    record = history.records.get(backup_id)
    if not events or record is None or events[0].get("before") is not None:
        return None

    def placed(part: Any) -> Any:
        if not isinstance(part, dict):
            return part
        moved = dict(part)
        if "id" in moved:
            moved["id"] = here.deal_id
        if "source" in moved:
            moved["source"] = here.source
        if isinstance(moved.get("owner"), str):
            moved["owner"] = owner_of(moved["owner"])
        if "stage" in moved:
            if moved["stage"] not in stage_of:
                raise _NotPlaced
            moved["stage"] = stage_of[moved["stage"]]
        if isinstance(moved.get("stays"), list):
            stays = []
            for stay in moved["stays"]:
                if stay[0] not in stage_of:
                    raise _NotPlaced
                stays.append([stage_of[stay[0]], *stay[1:]])
            moved["stays"] = stays
        return moved

    try:
        carried = [
            {
                **event,
                "deal_id": here.deal_id,
                "before": placed(event.get("before")),
                "after": placed(event.get("after")),
            }
            for event in events
        ]
        final = placed(record)
    except _NotPlaced:
        return None
    replayed: Record | None = None
    for event in carried:
        before, after = event["before"], event["after"]
        if before is None and after is not None:
            replayed = dict(after)
        elif after is None or replayed is None:
            return None  # (deleted and still here, or changed before it was made)
        else:
            replayed.update(after)
    if replayed != final or final["stage"] != here.stage or final["status"] != here.status:
        return None
    return CarriedDeal(carried, final)
