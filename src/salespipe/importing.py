"""Importing deals: salespipe's CSV and JSON backup, and other CRMs' exports.

``import_file`` reads the whole file first (``import_read``, without the lock), then
plans (``import_plan``) and writes the import inside ONE transaction, so the import is
one change for ``undo``: every new deal gets an ``add`` event at its creation time and,
if it is closed, a ``won``/``lost`` event at its closing time. Nothing is written when
a row is invalid (unless ``skip_invalid``), when a stage is unknown (unless mapped or
created), or for a dry run.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from salespipe import clock, settings
from salespipe.errors import InvalidValue
from salespipe.i18n import _, ngettext
from salespipe.import_plan import (
    Defaults,
    Entry,
    Plan,
    StageResolver,
    Target,
    events_of,
    looks_closing,
    new_stages_for,
    parse_stage_map,
    planned_deals,
    unknown_stages_error,
    with_new_stages,
)
from salespipe.import_read import ParsedFile, Progress, ReadOptions, read_deal_objects, read_file
from salespipe.import_rows import Incoming, Problem
from salespipe.import_values import DateOrder
from salespipe.model import Deal, Event
from salespipe.restore import check, database_is_empty, restore
from salespipe.store import Snapshot
from salespipe.work import PipelineBase, Work

MAX_LISTED_PROBLEMS = 20
WRITE_BATCH = 5000


class InvalidRows(InvalidValue):
    code = "invalid_rows"


@dataclass(frozen=True)
class ImportOptions:
    format: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    stage_map: tuple[str, ...] = ()
    create_stages: bool = False
    currency: str | None = None
    dates: DateOrder | None = None
    encoding: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def reading(self) -> ReadOptions:
        return ReadOptions(self.format, self.dates, self.encoding, self.columns)


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    file: str
    format: str
    rows: int
    dry_run: bool
    imported: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_stages: list[str] = field(default_factory=list)
    restored: bool = False
    events: int = 0
    change: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "dry_run": self.dry_run,
            "restored": self.restored,
            "rows": self.rows,
            "imported": sum(self.imported.values()),
            "by_status": {s: self.imported.get(s, 0) for s in ("open", "won", "lost")},
            "duplicates": self.duplicates,
            "skipped": len({p.line for p in self.problems}),
            "problems": [p.to_dict() for p in self.problems],
            "new_stages": self.new_stages,
            "events": self.events,
            "change": self.change,
        }


# -- planning -------------------------------------------------------------------------------
def _fresh_rows(rows: Sequence[Incoming], snapshot: Snapshot) -> tuple[list[Incoming], int]:
    """The rows not imported before (by source key, or by id for our own CSV)."""
    existing = snapshot.all_deals()
    sources = {d.source for d in existing if d.source}
    known = {d.id: (d.title, d.created_at) for d in existing}
    del existing
    fresh: list[Incoming] = []
    seen: set[str] = set()
    duplicates = 0
    for row in rows:
        key = row.source or (f"salespipe:{row.deal_id}" if row.deal_id else None)
        same_deal = row.deal_id is not None and _same_deal(known.get(row.deal_id), row)
        if same_deal or (key is not None and (key in sources or key in seen)):
            duplicates += 1
            continue
        if key is not None:
            seen.add(key)
        fresh.append(row)
    return fresh, duplicates


def _same_deal(known: tuple[str, datetime] | None, row: Incoming) -> bool:
    """A row of our CSV is the deal with its id here if title (and creation) agree."""
    if known is None:
        return False
    title, created = known
    return title == row.title and (row.created_at is None or row.created_at == created)


def _resolve_stages(
    rows: Sequence[Incoming], snapshot: Snapshot, options: ImportOptions, plan: Plan
) -> tuple[StageResolver, list[Target | None]]:
    stages = snapshot.stages()
    mapped = parse_stage_map(options.stage_map, stages)
    resolver = StageResolver(stages, mapped)
    targets = [resolver.target(r) for r in rows]
    plan.stages_after = stages
    if resolver.unknown:
        if not options.create_stages:
            raise unknown_stages_error(resolver, rows)
        if any(looks_closing(label) for label in resolver.unknown):
            raise unknown_stages_error(resolver, rows, creating=True)
        plan.new_stages = new_stages_for(list(resolver.unknown), rows, resolver)
        plan.stages_after = with_new_stages(stages, plan.new_stages)
        resolver = StageResolver(plan.stages_after, mapped, fallback_stages=stages)
        targets = [resolver.target(r) for r in rows]
    return resolver, targets


def plan_import(
    rows: Sequence[Incoming], snapshot: Snapshot, options: ImportOptions, defaults: Defaults
) -> Plan:
    plan = Plan(defaults=defaults)
    fresh, plan.duplicates = _fresh_rows(rows, snapshot)
    resolver, targets = _resolve_stages(fresh, snapshot, options, plan)
    by_key = {s.key: s for s in plan.stages_after}
    next_id: int = snapshot.meta["next_deal_id"]
    kept = _kept_ids(fresh, next_id)
    new_id = max([next_id, *(i + 1 for i in kept)])
    for row, target in zip(fresh, targets, strict=True):
        assert target is not None
        stage_key, status = resolver.place(row, target)
        stage = by_key[stage_key]
        if status == "open" and not stage.enabled:
            plan.problems.append(
                Problem(
                    row.line,
                    "stage",
                    row.stage_label,
                    _('the stage "{name}" is disabled').format(name=stage.name),
                )
            )
            continue
        if row.deal_id is not None and kept.get(row.deal_id) == row.line:
            deal_id = row.deal_id
        else:
            deal_id, new_id = new_id, new_id + 1
            if row.deal_id is not None and row.source is None:
                row.source = f"salespipe:{row.deal_id}"
        plan.entries.append(Entry(row, deal_id, stage, status))
    plan.next_deal_id = new_id
    return plan


def _kept_ids(rows: Sequence[Incoming], next_id: int) -> dict[int, int]:
    """Deal ids of our own CSV that can be kept (never used here): id -> line of the row."""
    kept: dict[int, int] = {}
    for row in rows:
        if row.deal_id is not None and row.deal_id >= next_id and row.deal_id not in kept:
            kept[row.deal_id] = row.line
    return kept


# -- writing --------------------------------------------------------------------------------
def _write(work: Work, plan: Plan) -> int:
    """Store the planned deals and their events; returns how many events were recorded."""
    tx = work.tx
    if plan.new_stages:
        work.save_stages("stage-add", plan.stages_after)
    change = tx.change_id()
    seq: int = tx.meta["next_seq"]
    first = seq
    batch: list[Deal] = []
    for planned in planned_deals(plan):
        for spec in events_of(planned):
            tx.record(
                Event(
                    seq=seq,
                    change=change,
                    type=spec.kind,
                    at=spec.at,
                    recorded_at=work.now,
                    who=work.who,
                    command=work.command,
                    deal_id=spec.deal_id,
                    reason=spec.reason,
                    text=spec.text,
                    before=spec.before,
                    after=spec.after,
                )
            )
            seq += 1
        batch.append(planned.final)
        if len(batch) >= WRITE_BATCH:
            tx.save_deals(batch)
            batch.clear()
    tx.save_deals(batch)
    tx.set_meta(next_seq=seq, next_deal_id=max(plan.next_deal_id, tx.meta["next_deal_id"]))
    return seq - first


def _refuse_invalid(path: Path, problems: Sequence[Problem], good: int) -> InvalidRows:
    rows = len({p.line for p in problems})
    listed = "\n".join(f"  {p.describe()}" for p in problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    if more > 0:
        listed += "\n  " + _("… and {count} more").format(count=more)
    if good:
        message = ngettext(
            "{rows} row of {file} cannot be imported, so nothing was imported; fix it, "
            "or add --skip-invalid to import the other {good}:",
            "{rows} rows of {file} cannot be imported, so nothing was imported; fix them, "
            "or add --skip-invalid to import the other {good}:",
            rows,
        )
    else:
        message = ngettext(
            "{rows} row of {file} cannot be imported, so nothing was imported; fix it:",
            "{rows} rows of {file} cannot be imported, so nothing was imported; fix them:",
            rows,
        )
    return InvalidRows(message.format(rows=rows, file=path.name, good=good) + "\n" + listed)


def _defaults(snapshot: Snapshot, options: ImportOptions, now: datetime, ours: bool) -> Defaults:
    config = settings.effective(snapshot.config())
    return Defaults(
        now=now,
        currency=options.currency or config["currency"],
        owner=config["owner"],
        exact=ours,
    )


def _count(plan: Plan) -> Counter[str]:
    return Counter(entry.status for entry in plan.entries)


def _prepare(
    snapshot: Snapshot,
    parsed: ParsedFile,
    options: ImportOptions,
    report: ImportReport,
    now: datetime,
) -> Plan | None:
    """Plan the import into the report; None when the file is a backup to restore whole."""
    if parsed.backup is not None:
        if database_is_empty(snapshot):
            report.restored = True
            report.imported = Counter(
                r.get("status", "open") for r in parsed.backup.records("deals")
            )
            report.events = parsed.backup.counts["events"]
            if report.dry_run:
                check(parsed.backup)
            return None
        # Into a database with deals of its own, the backup's deals are merged as new ones.
        deals = list(parsed.backup.records("deals"))
        merged = read_deal_objects(deals, None)
        parsed.rows, parsed.problems = merged.rows, merged.problems
    ours = parsed.format.startswith("salespipe")
    plan = plan_import(parsed.rows, snapshot, options, _defaults(snapshot, options, now, ours))
    problems = sorted(parsed.problems + plan.problems, key=lambda p: p.line)
    if problems and not options.skip_invalid:
        raise _refuse_invalid(Path(report.file), problems, len(plan.entries))
    report.problems = problems
    report.duplicates = plan.duplicates
    report.new_stages = [s.name for s in plan.new_stages]
    report.imported = _count(plan)
    return plan


def import_file(
    pipeline: PipelineBase,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file as one change (or report what would happen, for a dry run)."""
    # Hundreds of thousands of small objects, none of them cyclic garbage: the cyclic
    # collector would only rescan them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(pipeline, path, options, progress)
    finally:
        if collecting:
            gc.enable()


def _import(
    pipeline: PipelineBase, path: Path, options: ImportOptions, progress: Progress | None
) -> ImportReport:
    parsed = read_file(path, options.reading, progress)
    report = ImportReport(str(path), parsed.format, parsed.total, options.dry_run)
    if options.dry_run:
        _prepare(pipeline.read(), parsed, options, report, clock.now())
        return report
    with pipeline.work("import") as work:
        plan = _prepare(work.tx, parsed, options, report, work.now)
        if plan is None:
            assert parsed.backup is not None
            restore(work.tx, parsed.backup)
        elif plan.entries:
            report.events = _write(work, plan)
            report.change = work.tx.change_id()
    return report
