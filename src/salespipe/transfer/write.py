"""Writing a planned import into the transaction, one row at a time.

Each row becomes its deal as it was created (open) and as it is now (maybe closed),
and the events that replay that history: ``add`` at creation, a ``note`` per note,
then ``won``/``lost`` at closing; a merged backup's deal, with its events carried
(carried.py): each as it was, with its time and author, under the deal's number here.
The records are built in ``Deal.to_record()`` form
straight from the row's packed values (:mod:`import_pending`); only the deal handed to
the store is a :class:`~salespipe.core.model.Deal`. Nothing is kept once a row is written.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from salespipe.app.work import Work, record_diff
from salespipe.core.model import Event, Record
from salespipe.transfer.carried import CarriedDeal
from salespipe.transfer.pending import RowValues, unpack
from salespipe.transfer.plan import Defaults, Entry, Plan
from salespipe.transfer.row_times import Times, deal_times, latest, moment_of
from salespipe.transfer.rows import Filled

WRITE_BATCH = 1000
# The fields closing changes, in record order.
_CLOSING_FIELDS = ("status", "updated_at", "closed_at", "lost_reason", "stays")


def deal_records(
    entry: Entry, values: RowValues, times: Times, defaults: Defaults
) -> tuple[Record, Record]:
    """The deal's record as it was created (open) and as it is now (maybe closed)."""
    stage, status = entry.stage, entry.status
    probability = entry.row.probability
    if not defaults.exact and (status != "open" or probability == stage.probability):
        probability = None
    opened_update = times.updated if status == "open" else latest(times.created, times.entered)
    entered = times.entered[1]
    opened: Record = {
        "id": entry.deal_id,
        "title": values.title,
        "customer": values.customer,
        "contact": values.contact,
        "value": values.value,
        "currency": values.currency or defaults.currency,
        "owner": values.owner or defaults.owner,
        "stage": stage.key,
        "status": "open",
        "probability": probability,
        "expected_close": values.expected_close,
        "next_action": values.next_action,
        "tags": list(values.tags),
        "created_at": times.created[1],
        "updated_at": opened_update[1],
        "stage_entered_at": entered,
        "closed_at": None,
        "lost_reason": None,
        "stays": [[stage.key, entered, None]],
        "quote": values.quote,
        "source": entry.source,
    }
    if status == "open" or times.closed is None:
        return opened, opened
    if entry.stage_unknown:
        # Where the import put it is no stage it was in, open or closed: no stay there.
        opened["stays"] = []
        opened["stage_unknown"] = True
    closed = times.closed[1]
    # A stay the file does not give would invent its days (from creation to the close).
    known = not entry.row.filled & Filled.NO_STAY and not entry.stage_unknown
    final = {
        **opened,
        "status": status,
        "updated_at": times.updated[1],
        "closed_at": closed,
        "lost_reason": values.lost_reason if status == "lost" else None,
        "stays": [[stage.key, entered, closed]] if known else [],
    }
    return opened, final


class _Recorder:
    """Numbers the events of one import, and records them once their deals are saved
    (:meth:`release`): a store may send what it holds back at any point, and on
    PostgreSQL under visibility own the row policy refuses an event of a deal that is
    not there yet."""

    def __init__(self, work: Work) -> None:
        self.work = work
        self.seq = work.tx.counters().next_seq
        self.held: list[Event] = []

    def release(self) -> None:
        for event in self.held:
            self.work.tx.record(event)
        self.held.clear()

    def __call__(
        self,
        kind: str,
        at: datetime,
        deal_id: int,
        before: Record | None,
        after: Record | None,
        *,
        reason: str | None = None,
        text: str | None = None,
    ) -> None:
        event = self.work.new_event(
            self.seq, kind, at, deal_id, reason=reason, text=text, before=before, after=after
        )
        self.held.append(event)
        self.work.unlisted_events += 1
        self.seq += 1

    def carry(self, deal_id: int, carried: CarriedDeal) -> None:
        """A merged backup's deal's events, each in this change under its number here,
        with the time, author and command it had."""
        for raw in carried.events:
            event = self.work.new_event(
                self.seq,
                raw["type"],
                datetime.fromisoformat(raw["at"]),
                deal_id,
                reason=raw.get("reason"),
                text=raw.get("text"),
                before=raw.get("before"),
                after=raw.get("after"),
            )
            recorded = raw.get("recorded_at")
            self.held.append(
                dataclasses.replace(
                    event,
                    recorded_at=datetime.fromisoformat(recorded) if recorded else event.at,
                    who=raw.get("who") or "",
                    command=raw.get("command") or "",
                )
            )
            self.work.unlisted_events += 1
            self.seq += 1


def write_plan(work: Work, plan: Plan) -> int:
    """Store the planned deals and their events; returns how many events were recorded."""
    assert plan.defaults is not None
    defaults = plan.defaults
    tx = work.tx
    if plan.new_pipelines:
        work.save_pipelines("pipeline-add", [*work.pipelines, *plan.new_pipelines])
    for pipeline, stages in plan.stages_after.items():
        work.save_stages("stage-add", stages, pipeline=pipeline)
    record = _Recorder(work)
    first = record.seq
    now = moment_of(defaults.now)
    batch: list[Record] = []
    for entry in plan.take_entries():
        carried = plan.carried.pop(entry.deal_id, None)
        if carried is not None:
            record.carry(entry.deal_id, carried)
            batch.append(carried.record)
            if len(batch) >= WRITE_BATCH:
                tx.save_records(batch)
                batch.clear()
                record.release()
            continue
        values = unpack(entry.row)
        times = deal_times(values, entry.status, now)
        opened, final = deal_records(entry, values, times, defaults)
        created_at = times.created[0]
        record("add", created_at, entry.deal_id, None, opened)
        for note in values.notes:
            record("note", created_at, entry.deal_id, {}, {}, text=note)
        if final is not opened:
            assert times.closed is not None
            before, after = record_diff(opened, {k: final[k] for k in _CLOSING_FIELDS})
            reason = final["lost_reason"]
            record(entry.status, times.closed[0], entry.deal_id, before, after, reason=reason)
        batch.append(final)
        if len(batch) >= WRITE_BATCH:
            tx.save_records(batch)
            batch.clear()
            record.release()
    tx.save_records(batch)
    record.release()
    tx.advance_counters(next_seq=record.seq, next_deal_id=plan.next_deal_id)
    return record.seq - first
