"""Writing the database out: deals as CSV, or everything as a JSON backup.

The CSV has one row per deal (open and closed) under :data:`CSV_COLUMNS`, values
written so that ``import`` reads them back exactly, and a cell a spreadsheet would take
for a formula is kept text (see :mod:`salespipe.transfer.formulas`). The JSON backup holds the whole
database: settings, stages, every deal, every event and the counters, one record
per line so that it can be streamed, grepped and diffed; ``import`` of it into an
empty database restores it exactly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import IO, Any

import orjson

from salespipe import __version__
from salespipe.core.errors import NotPermitted, StoreError
from salespipe.core.i18n import _
from salespipe.core.model import (
    EVENT_KEYS,
    Deal,
    PipelineDef,
    Stage,
    first_pipeline,
    money_to_json,
    several_pipelines,
)
from salespipe.core.parse import pipeline_name
from salespipe.storage.port import ReadView
from salespipe.transfer.crm_formats import CSV_COLUMNS
from salespipe.transfer.formulas import for_spreadsheet

BACKUP_FORMAT = "salespipe-backup"
BACKUP_VERSION = 1
TAG_SEPARATOR = ";"
# The CSV column that names each deal's pipeline, written when there are several.
PIPELINE_COLUMN = "pipeline"

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_VERSION",
    "CSV_COLUMNS",
    "TAG_SEPARATOR",
    "deal_row",
    "write_backup",
    "write_csv",
]


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def deal_row(deal: Deal, stage_names: Mapping[str, str]) -> list[str]:
    """One deal as the cells of :data:`CSV_COLUMNS`."""
    quote = deal.quote
    cells = {
        "id": str(deal.id),
        "title": deal.title,
        "customer": deal.customer,
        "contact": deal.contact,
        "value": str(money_to_json(deal.value)),
        "currency": deal.currency,
        "stage": deal.stage,
        "stage_name": stage_names.get(deal.stage, deal.stage),
        "status": deal.status,
        "owner": deal.owner,
        "probability": "" if deal.probability is None else str(deal.probability),
        "expected_close": _day(deal.expected_close),
        "next_action": deal.next_action.text if deal.next_action else "",
        "next_action_due": _day(deal.next_action.due) if deal.next_action else "",
        "tags": TAG_SEPARATOR.join(deal.tags),
        "created_at": _moment(deal.created_at),
        "updated_at": _moment(deal.updated_at),
        "stage_entered_at": _moment(deal.stage_entered_at),
        "closed_at": _moment(deal.closed_at),
        "lost_reason": deal.lost_reason or "",
        "quote_amount": (
            str(money_to_json(quote.amount)) if quote and quote.amount is not None else ""
        ),
        "quote_valid_until": _day(quote.valid_until) if quote else "",
        "quote_sent_at": _moment(quote.sent_at) if quote else "",
        "quote_note": quote.note if quote else "",
        "source": deal.source or "",
    }
    return [for_spreadsheet(cells[column]) for column in CSV_COLUMNS]


def _typed_text(deal: Deal, stage_name: str, pipeline: str) -> str:
    """All the text of a deal's row that people typed (its other cells are numbers,
    dates, codes and words of salespipe's own, in ASCII), run together."""
    return "".join(
        (
            deal.title,
            deal.customer,
            deal.contact,
            deal.currency,
            deal.stage,
            stage_name,
            deal.owner,
            deal.next_action.text if deal.next_action else "",
            *deal.tags,
            deal.lost_reason or "",
            deal.quote.note if deal.quote else "",
            deal.source or "",
            pipeline,
        )
    )


def write_csv(
    deals: Iterable[Deal],
    stages: Iterable[Stage],
    out: IO[str],
    pipelines: Iterable[PipelineDef] = (),
    *,
    bom: bool | None = False,
) -> int:
    """Write the header and one row per deal (in id order); returns the number of deals.

    When the stages belong to several pipelines, a last column, ``pipeline``, names each
    deal's pipeline (as ``import`` reads a CRM's Pipeline column). ``bom``: start with a
    byte-order mark (for Excel, which reads a CSV without one in the system's code
    page); None: when a row holds text other than ASCII, decided from the deals before
    the first byte is written (a look at their text, stopping at the first such deal,
    not the file written twice nor held)."""
    stages = list(stages)
    names = {s.key: s.name for s in stages}
    pipeline_names = {p.key: pipeline_name(p) for p in pipelines}
    pipeline_of = {s.key: pipeline_names.get(s.pipeline, s.pipeline) for s in stages}
    several = several_pipelines(stages)
    ordered = sorted(deals, key=lambda d: d.id)
    if bom is None:
        bom = any(
            not _typed_text(
                deal,
                names.get(deal.stage, deal.stage),
                pipeline_of.get(deal.stage, "") if several else "",
            ).isascii()
            for deal in ordered
        )
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, PIPELINE_COLUMN] if several else CSV_COLUMNS)
    count = 0
    for deal in ordered:
        row = deal_row(deal, names)
        if several:
            row.append(for_spreadsheet(pipeline_of.get(deal.stage, "")))
        writer.writerow(row)
        count += 1
    return count


def _json_list(name: str, records: Iterable[bytes]) -> Iterator[bytes]:
    yield b',\n"' + name.encode() + b'":['
    separator = b"\n"
    for record in records:
        yield separator + record
        separator = b",\n"
    yield b"\n]"


def _whole_event(line: bytes) -> bool:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(record, dict) and record.keys() >= EVENT_KEYS


def backup_head(snapshot: ReadView, exported_at: datetime) -> dict[str, Any]:
    """The backup's first object: what it is, the counters, the undo list, the settings
    and, unless the database holds only its first pipeline, the pipelines."""
    head = {
        "format": BACKUP_FORMAT,
        "version": BACKUP_VERSION,
        "salespipe": __version__,
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "meta": {
            "created_at": snapshot.created_at(),
            **snapshot.counters()._asdict(),
            **snapshot.flags(),
        },
        "changes": [entry._asdict() for entry in snapshot.undo_list()],
        "config": snapshot.config(),
    }
    pipelines = snapshot.pipelines()
    if pipelines != [first_pipeline()]:
        head["pipelines"] = [p.to_record() for p in pipelines]
    return head


def write_backup(snapshot: ReadView, out: IO[bytes], exported_at: datetime) -> dict[str, int]:
    """Write the full JSON backup; returns how many stages, deals and events it holds."""
    if not snapshot.sees_every_deal():  # (its deals and history only: a backup of part)
        raise NotPermitted(
            _(
                "This database role sees only its own deals (visibility own), so a backup "
                "would not be the whole pipeline; a manager or an admin of the team makes "
                "backups (a CSV export of your deals is `--format csv`); nothing was written."
            )
        )
    stages = snapshot.stages()
    deals = sorted(snapshot.all_deals(), key=lambda d: d.id)
    head = orjson.dumps(backup_head(snapshot, exported_at))
    out.write(head[:-1])  # the lists follow inside the same object
    counts = {"stages": len(stages), "deals": len(deals), "events": 0}
    for chunk in _json_list("stages", (orjson.dumps(s.to_record()) for s in stages)):
        out.write(chunk)
    for chunk in _json_list("deals", (orjson.dumps(d.to_record()) for d in deals)):
        out.write(chunk)
    del deals

    def event_lines() -> Iterator[bytes]:
        # The journal's lines are already the events' JSON records: copied, not re-encoded,
        # but each read first: a line changed outside salespipe was copied as it was, and
        # the backup then could not be restored, which nothing said until the restore.
        for line in snapshot.event_lines():
            counts["events"] += 1
            if not _whole_event(line):
                raise StoreError(
                    _(
                        "Event {number} of the history cannot be read: it was changed "
                        "outside salespipe. No backup was written, as it could not be "
                        "restored; an older backup can."
                    ).format(number=counts["events"])
                )
            yield line

    for chunk in _json_list("events", event_lines()):
        out.write(chunk)
    out.write(b"}\n")
    return counts
