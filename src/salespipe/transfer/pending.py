"""A row read from an import file, kept small until the import writes it.

Reading a file of 100,000 rows into :class:`~salespipe.transfer.rows.Incoming` objects
and keeping them until the last deal is written held ~300 MB of strings, decimals,
dates and datetimes. Planning reads only a few fields of each row (where it goes,
whether it is there already); :class:`Pending` keeps those, and the rest of the row as
one byte string (``marshal``: the fastest compact form of plain values) in the form the
deal's record takes (ISO times, JSON amounts), turned back into values only when the
row is written. A pending row takes a quarter of the memory of the objects it replaces.
"""

from __future__ import annotations

import marshal
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from salespipe.core.i18n import N_, _
from salespipe.core.model import Record, Status, money_to_json
from salespipe.core.parse import MAX_MONEY
from salespipe.transfer.rows import Filled, Incoming


class StageLabel(NamedTuple):
    """What decides a row's pipeline, stage and status; the rows that share it share one
    tuple."""

    stage_label: str
    stage_name: str
    closing_label: bool
    status: Status | None
    pipeline_label: str = ""  # as the file names it; "" for the pipeline imported into


class Pending(NamedTuple):
    """A valid row waiting to be planned and written."""

    line: int
    source: str | None
    deal_id: int | None
    label: StageLabel
    probability: int | None
    filled: int  # what stood in for missing data: :class:`~salespipe.transfer.rows.Filled`
    notes: int  # how many notes the row brings (each an event)
    packed: bytes  # the other fields: :class:`RowValues`, marshalled
    cells: int = 0  # a hash of the row's cells as written (:attr:`Incoming.cells`)


class RowValues(NamedTuple):
    """The fields of a row that planning does not read, in the form records keep them."""

    title: str
    customer: str
    contact: str
    value: int | float
    currency: str | None
    owner: str | None
    expected_close: str | None
    next_action: Record | None
    tags: tuple[str, ...]
    created_at: str | None
    updated_at: str | None
    stage_entered_at: str | None
    closed_at: str | None
    lost_reason: str | None
    quote: Record | None
    notes: tuple[str, ...]


class Packer:
    """Turns the rows of one file into pending rows."""

    def __init__(self) -> None:
        self._labels: dict[StageLabel, StageLabel] = {}

    def pack(self, row: Incoming) -> Pending:
        label = self.label_of(row)
        values = (
            row.title,
            row.customer,
            row.contact,
            money_to_json(row.value),
            row.currency,
            row.owner,
            row.expected_close.isoformat() if row.expected_close else None,
            row.next_action.to_record() if row.next_action else None,
            row.tags,
            _iso(row.created_at),
            _iso(row.updated_at),
            _iso(row.stage_entered_at),
            _iso(row.closed_at),
            row.lost_reason,
            row.quote.to_record() if row.quote else None,
            row.notes,
        )
        return Pending(
            row.line,
            row.source,
            row.deal_id,
            label,
            row.probability,
            row.filled,
            len(row.notes),
            marshal.dumps(values),
            row.cells,
        )

    def label_of(self, row: Incoming) -> StageLabel:
        label = StageLabel(
            row.stage_label, row.stage_name, row.closing_label, row.status, row.pipeline_label
        )
        return self._labels.setdefault(label, label)


def unpack(pending: Pending) -> RowValues:
    return RowValues(*marshal.loads(pending.packed))


def with_value_added(pending: Pending, other: Pending, values_per_line: bool) -> Pending | str:
    """The row with ``other`` (a further line item of its deal) taken into it, or why the
    two cannot be one deal. Where the file's value is each line's own (``values_per_line``)
    the values are added; where it is the deal's whole value, repeated on every line, it
    is counted once, and lines that give two different ones are two versions of the deal."""
    first, second = unpack(pending), unpack(other)
    blank = (pending.filled | other.filled) & Filled.NO_VALUE  # a line without an amount
    if not blank and (first.currency or "") != (second.currency or ""):
        return _("its currency differs from the deal's first line")
    differing = _what_differs(pending, first, other, second)
    if differing:
        return _(
            "the id is on line {line} too, with another {fields}; rows of one id are added "
            "up as line items only when they differ in nothing but the amount and product"
        ).format(line=pending.line, fields=", ".join(_(name) for name in differing))
    # Each line's notes (a products report's comment on its line) are the deal's.
    notes = first.notes + tuple(n for n in second.notes if n not in first.notes)
    values = first._replace(notes=notes)
    mine, theirs = Decimal(str(first.value)), Decimal(str(second.value))
    if values_per_line:
        total = mine + theirs
        if total > MAX_MONEY:
            return _("the deal's lines add up to more than 9,999,999,999,999.99")
    elif blank or mine == theirs:
        total = theirs if pending.filled & Filled.NO_VALUE else mine
    else:
        return _(
            "the id is on line {line} too, with another amount; the amount is the whole "
            "deal's (not a line item's), so two rows of one id with different amounts "
            "are two versions of the deal"
        ).format(line=pending.line)
    if pending.filled & Filled.NO_VALUE:  # the amount, and so its currency, is the other's
        values = values._replace(currency=second.currency)
    values = values._replace(value=money_to_json(total))
    unit = other.filled & Filled.VALUE_UNIT  # the deal's value was read from that line too
    no_value = pending.filled & other.filled & Filled.NO_VALUE  # only if no line had one
    filled = (pending.filled & ~Filled.NO_VALUE) | no_value | unit
    return pending._replace(packed=marshal.dumps(tuple(values)), filled=filled, notes=len(notes))


# What describes a deal in a row, by the name a refusal gives it: two rows that differ in
# any of it are two versions of the deal (files put together), not two of its line items.
# The expected close and the close time are both "close date": CRMs write one column that
# gives both.
_DEAL_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", N_("title")),
    ("customer", N_("customer")),
    ("contact", N_("contact")),
    ("owner", N_("owner")),
    ("expected_close", N_("close date")),
    ("next_action", N_("next action")),
    ("tags", N_("tags")),
    ("created_at", N_("creation time")),
    ("updated_at", N_("last-modified time")),
    ("stage_entered_at", N_("time the stage was entered")),
    ("closed_at", N_("close date")),
    ("lost_reason", N_("lost reason")),
    ("quote", N_("quote")),
)


def _what_differs(
    pending: Pending, first: RowValues, other: Pending, second: RowValues
) -> list[str]:
    """The names of what describes the deal and differs between two of its rows."""
    one, two = pending.label, other.label
    compared = (
        (N_("stage"), (one.stage_label, one.stage_name), (two.stage_label, two.stage_name)),
        (N_("status"), (one.status, one.closing_label), (two.status, two.closing_label)),
        (N_("pipeline"), one.pipeline_label, two.pipeline_label),
        (N_("probability"), pending.probability, other.probability),
        *((name, getattr(first, f), getattr(second, f)) for f, name in _DEAL_FIELDS),
    )
    return list(dict.fromkeys(name for name, mine, theirs in compared if mine != theirs))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def with_closing_time(pending: Pending, now: datetime) -> Pending:
    """A closed row that gives no closing time, closed at the latest date it does give
    that is not after ``now`` (modified, expected close, created), and the bit that says
    which; at ``now`` itself only when it gives no date at all."""
    values = unpack(pending)
    expected = (
        datetime.combine(date.fromisoformat(values.expected_close), time(0, 0)).astimezone()
        if values.expected_close
        else None
    )
    given = [
        (moment, bit)
        for moment, bit in (
            (_moment(values.updated_at), Filled.CLOSED_FROM_UPDATED),
            (expected, Filled.CLOSED_FROM_EXPECTED),
            (_moment(values.created_at), Filled.CLOSED_FROM_CREATED),
        )
        if moment is not None
    ]
    if not given:
        return pending._replace(filled=pending.filled | Filled.CLOSED_UNKNOWN)
    past = [pair for pair in given if pair[0] <= now]
    # An expected close day counts from its start: a deal modified that day closed then.
    closed, bit = max(past, key=_first) if past else min(given, key=_first)
    values = values._replace(closed_at=_iso(closed))
    return pending._replace(filled=pending.filled | bit, packed=marshal.dumps(tuple(values)))


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _first(pair: tuple[datetime, int]) -> datetime:
    return pair[0]
