"""Rows skipped as imported before that say otherwise than their deal does now.

An import adds deals; it does not change the deals it made (salespipe is where they are
worked from then on). A team importing a new export every week would still want to know
where the other CRM has moved on: the deal won there and still open here, its value or
close date changed. Each such row is named with the deal and the fields that differ,
with what it says of them (:class:`Said`); nothing is changed but with ``--update``
(:mod:`updating`).

Only what a row says for itself is compared: a blank value, currency or close date says
nothing, and a stage label the deal's pipeline does not know (one the import would have
to create) says nothing either. A stage switched off is one it knows: a row mapped into it
differs from a deal in another stage (``--update`` does not move it there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from salespipe.core.errors import SalespipeError
from salespipe.core.model import Record, Stage, Status, stages_in
from salespipe.transfer.pending import Pending, StageLabel, unpack
from salespipe.transfer.row_times import Closing, closing
from salespipe.transfer.rows import Filled
from salespipe.transfer.stages import StageResolver, Target, parse_stage_map, row_status

# The statuses a row closes its deal with.
_OUTCOMES: dict[str, Status] = {"won": "won", "lost": "lost"}


class DealNow(NamedTuple):
    """What a deal that a row may be holds now, as its record keeps it."""

    id: int
    value: object
    currency: str
    expected_close: str | None
    status: str
    stage: str

    @classmethod
    def of(cls, record: Record) -> DealNow:
        return cls(
            record["id"],
            record["value"],
            record["currency"],
            record.get("expected_close"),
            record["status"],
            record["stage"],
        )


class Said(NamedTuple):
    """What a row says of the fields it is compared in, for ``import --update``: its
    value (as a record keeps it), currency, close date, status and stage (a key of the
    deal's pipeline), each None where it says nothing, and its lost reason; of a row
    that says won or lost, when a fresh import of it would close its deal."""

    value: int | float | None = None
    currency: str | None = None
    expected_close: str | None = None
    status: str | None = None
    stage: str | None = None
    lost_reason: str | None = None
    closing: Closing | None = None


class Differing(NamedTuple):
    """A skipped row, its deal, and the fields in which the row says otherwise (and what
    it says of them)."""

    line: int
    deal: int
    fields: tuple[str, ...]
    said: Said = Said()


class Comparer:
    """Tells the fields in which a row differs from its deal. A row's stage label is
    read as the import reads it (the deal's pipeline's stages, their names in either
    language, ``--stage-map``, a CRM's closing labels), once for all the rows of a
    pipeline that share it."""

    def __init__(self, stages: Sequence[Stage], stage_map: Sequence[str] = ()) -> None:
        self.stages = list(stages)
        self.pipeline_of = {s.key: s.pipeline for s in stages}
        self.stage_map = stage_map
        self.resolvers: dict[str | None, StageResolver | None] = {}

    def differences(self, row: Pending, deal: DealNow, *, whole: bool = True) -> tuple[str, ...]:
        """The fields (``value``, ``currency``, ``expected_close``, ``status``, ``stage``)
        in which ``row`` differs from ``deal``. Not ``whole``: the row is one line item of
        the deal, whose value is not the deal's."""
        values = unpack(row)
        found = []
        if whole and not row.filled & Filled.NO_VALUE and values.value != deal.value:
            found.append("value")
        if values.currency and values.currency != deal.currency:
            found.append("currency")
        if values.expected_close and values.expected_close != deal.expected_close:
            found.append("expected_close")
        status, stage = self._status_and_stage(row, deal)
        if status and status != deal.status:
            found.append("status")
        if stage is not None and stage != deal.stage:
            found.append("stage")
        return tuple(found)

    def said(self, row: Pending, deal: DealNow, now: datetime) -> Said:
        """What ``row`` says of the compared fields, as :meth:`differences` reads it; a
        won or lost row's close as the import at ``now`` would make it of a new deal."""
        values = unpack(row)
        status, stage = self._status_and_stage(row, deal)
        outcome = _OUTCOMES.get(status or "")
        return Said(
            None if row.filled & Filled.NO_VALUE else values.value,
            values.currency or None,
            values.expected_close or None,
            status,
            stage,
            values.lost_reason or None,
            closing(row, outcome, now) if outcome is not None else None,
        )

    def _status_and_stage(self, row: Pending, deal: DealNow) -> tuple[str | None, str | None]:
        """The status and the stage (of the deal's pipeline) ``row`` says, if any."""
        target = self._target(row.label, self.pipeline_of.get(deal.stage))
        return row_status(row.label, target), target.stage if target is not None else None

    def _target(self, label: StageLabel, pipeline: str | None) -> Target | None:
        resolver = self._resolver(pipeline)
        return resolver.target(label) if resolver is not None else None

    def _resolver(self, pipeline: str | None) -> StageResolver | None:
        """The import's reading of stage labels in one pipeline; None where its
        ``--stage-map`` does not read (the import says why)."""
        if pipeline not in self.resolvers:
            stages = stages_in(self.stages, pipeline) if pipeline else []
            try:
                mapped = parse_stage_map(self.stage_map, stages, found_in=set(), switched_off=True)
            except SalespipeError:
                self.resolvers[pipeline] = None
            else:
                self.resolvers[pipeline] = StageResolver(stages, mapped, new_pipeline=True)
        return self.resolvers[pipeline]
