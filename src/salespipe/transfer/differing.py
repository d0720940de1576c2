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
    read once for all the rows that share it."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        # each stage's folded name and key -> its key
        self.by_name = {collation.fold(n): s.key for s in stages for n in (s.name, s.key)}
        self.labels: dict[StageLabel, tuple[str | None, str | None]] = {}

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
        status, stage = self._read(row.label)
        if status and status != deal.status:
            found.append("status")
        if stage is not None and stage != deal.stage:
            found.append("stage")
        return tuple(found)

    def _read(self, label: StageLabel) -> tuple[str | None, str | None]:
        """The status a label says (if it says one) and the stage here it names (if any)."""
        known = self.labels.get(label)
        if known is None:
            text = label.stage_name or label.stage_label
            stage = self.by_name.get(collation.fold(text)) if text else None
            known = self.labels[label] = (label.status or closing_status(text), stage)
        return known
