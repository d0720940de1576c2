"""Rows skipped as imported before that say otherwise than their deal does now.

An import adds deals; it does not change the deals it made (salespipe is where they are
worked from then on). A team importing a new export every week would still want to know
where the other CRM has moved on: the deal won there and still open here, its value or
close date changed. Each such row is named with the deal and the fields that differ;
nothing is changed.

Only what a row says for itself is compared: a blank value, currency or close date says
nothing, and a stage is compared only where the row's label is a stage's name or key
here (a label mapped with ``--stage-map`` or read by a CRM's stage id could not be
compared without placing the row, which is done for new rows only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from salespipe.core import collation
from salespipe.core.model import Record, Stage
from salespipe.transfer.crm_formats import closing_status
from salespipe.transfer.pending import Pending, StageLabel, unpack
from salespipe.transfer.rows import Filled


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


class Differing(NamedTuple):
    """A skipped row, its deal, and the fields in which the row says otherwise."""

    line: int
    deal: int
    fields: tuple[str, ...]


class Comparer:
    """Tells the fields in which a row says otherwise than its deal; a stage label is
    read once for all the rows of a pipeline that share it. ``stage_map``: the
    ``--stage-map`` entries, whose labels are not compared (a mapped label says what the
    map says, not what the stage here is called)."""

    def __init__(self, stages: Sequence[Stage], stage_map: Sequence[str] = ()) -> None:
        self.pipeline_of = {s.key: s.pipeline for s in stages}
        # each pipeline's stages by folded name and key -> the stage's key
        self.by_name: dict[str, dict[str, str]] = {}
        for stage in stages:
            named = self.by_name.setdefault(stage.pipeline, {})
            for name in (stage.name, stage.key):
                named.setdefault(collation.fold(name), stage.key)
        self.mapped = {collation.look(entry.rpartition("=")[0]) for entry in stage_map}
        self.labels: dict[tuple[StageLabel, str | None], tuple[str | None, str | None]] = {}

    def differences(self, row: Pending, deal: DealNow, *, whole: bool = True) -> tuple[str, ...]:
        """The fields (``value``, ``currency``, ``expected_close``, ``status``, ``stage``)
        in which ``row`` says otherwise than ``deal``. Not ``whole``: the row is one line
        item of the deal, whose value is not the deal's."""
        values = unpack(row)
        found = []
        if whole and not row.filled & Filled.NO_VALUE and values.value != deal.value:
            found.append("value")
        if values.currency and values.currency != deal.currency:
            found.append("currency")
        if values.expected_close and values.expected_close != deal.expected_close:
            found.append("expected_close")
        status, stage = self._read(row.label, self.pipeline_of.get(deal.stage))
        if status and status != deal.status:
            found.append("status")
        if stage is not None and stage != deal.stage:
            found.append("stage")
        return tuple(found)

    def _read(self, label: StageLabel, pipeline: str | None) -> tuple[str | None, str | None]:
        """The status a label says (if it says one) and the stage of the deal's pipeline
        it names (if any). A label that is a stage here is that stage, whatever a CRM
        would mean by it (an open stage "Closed Won")."""
        known = self.labels.get((label, pipeline))
        if known is not None:
            return known
        text = label.stage_name or label.stage_label
        if not text or {collation.look(label.stage_label), collation.look(label.stage_name)} & (
            self.mapped
        ):
            known = (label.status, None)
        else:
            stage = self.by_name.get(pipeline or "", {}).get(collation.fold(text))
            known = (label.status or (closing_status(text) if stage is None else None), stage)
        self.labels[label, pipeline] = known
        return known
