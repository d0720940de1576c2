"""Importing deals: salespipe's CSV and JSON backup, and other CRMs' exports.

``import_file`` reads and checks the whole file first (``read.py``, without the
lock), keeping each row small (``pending.py``), then plans (``plan.py``) and writes
the import (``write.py``) inside ONE transaction, so the import is one
change for ``undo``: every new deal gets an ``add`` event at its creation time and, if
it is closed, a ``won``/``lost`` event at its closing time. Nothing is written when a
row is invalid (unless ``skip_invalid``), when a stage is unknown (unless mapped or
created), or for a dry run.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from salespipe.app import settings, team
from salespipe.core import clock, parse
from salespipe.core.errors import InvalidValue, NotPermitted, SalespipeError, UsageError
from salespipe.core.i18n import _, ngettext
from salespipe.core.model import PipelineDef, first_pipeline
from salespipe.storage.port import ReadView
from salespipe.transfer.carried import BackupHistory, CarriedDeal, Here, carry, read_history
from salespipe.transfer.crm_formats import DefaultStage
from salespipe.transfer.csvfile import LeftOutKind
from salespipe.transfer.dates import DateOrder
from salespipe.transfer.differing import Differing
from salespipe.transfer.pending import Pending, StageLabel, unpack
from salespipe.transfer.plan import Defaults, LineItems, Placing, Plan, plan_import
from salespipe.transfer.read import ParsedFile, Progress, ReadOptions, read_deal_objects, read_file
from salespipe.transfer.restore import HeldHere, check, database_is_empty, held_here, restore
from salespipe.transfer.rows import Problem
from salespipe.transfer.same_rows import same_but_for_id
from salespipe.transfer.stages import MAX_NEW_STAGES, ProbabilityOrigin
from salespipe.transfer.updating import Update, plan_updates, write_updates
from salespipe.transfer.values import DecimalMark
from salespipe.transfer.write import write_plan

MAX_LISTED_PROBLEMS = 20

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline


class InvalidRows(InvalidValue):
    """Rows of the file cannot be imported (each named with its line), so none was."""

    code = "invalid_rows"

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.problems = problems

    def details(self) -> dict[str, Any]:
        """Every refused cell, as ``--skip-invalid`` reports them: a script need not
        take the sentence apart."""
        return {"problems": [p.to_dict() for p in self.problems]}


@dataclass(frozen=True)
class ImportOptions:
    format: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    stage_map: tuple[str, ...] = ()
    pipeline_map: tuple[str, ...] = ()
    create_stages: bool = False
    max_new_stages: int = MAX_NEW_STAGES
    currency: str | None = None
    dates: DateOrder | None = None
    date_format: str | None = None
    encoding: str | None = None
    columns: tuple[str, ...] = ()
    value_maps: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    nulls: tuple[str, ...] = ()
    no_header: bool = False
    decimal_mark: DecimalMark | None = None
    restore_deleted: bool = False
    restore_deals: tuple[int, ...] = ()  # --restore-deal: these deleted deals only
    update: bool = False  # --update: change the deals here as the rows that differ say

    @property
    def reading(self) -> ReadOptions:
        return ReadOptions(
            format=self.format,
            dates=self.dates,
            encoding=self.encoding,
            columns=self.columns,
            value_maps=self.value_maps,
            ignore=self.ignore,
            nulls=self.nulls,
            no_header=self.no_header,
            currency=self.currency,
            date_format=self.date_format,
            decimal_mark=self.decimal_mark,
        )


class CreatedStage(NamedTuple):
    """A stage the import made: its name, its pipeline's name, its probability and where
    that came from (the file's rows, the CRM's default stage, or neither: 50%)."""

    name: str
    pipeline: str
    probability: int
    origin: ProbabilityOrigin = "file"


class StageNamedOtherwise(NamedTuple):
    """A stage the file names otherwise than this database (renamed on either side),
    whose deals were placed by its key: the file's name, the stage's key, name and
    pipeline's name here, and how many deals."""

    file_name: str
    key: str
    name: str
    pipeline: str
    deals: int


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    file: str
    format: str
    rows: int
    dry_run: bool
    imported: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    line_items: LineItems = field(default_factory=LineItems)
    filled: Counter[str] = field(default_factory=Counter)
    currency: str = ""  # the currency that stood in where a row gave none
    currency_from: str = "config"  # or "option" (--currency)
    owner: str = ""  # the owner that stood in where a row gave none
    problems: list[Problem] = field(default_factory=list)
    created_stages: list[CreatedStage] = field(default_factory=list)
    own_probabilities: int = 0  # open deals whose row's probability is their own
    several_pipelines: bool = False  # the database has more than one after the import
    new_pipelines: list[str] = field(default_factory=list)
    restored: bool = False
    not_restored: HeldHere | None = None  # a backup into a database with deals or history
    database: str = ""  # where it was imported into, as the user named it
    events: int = 0
    change: int | None = None
    unread: list[str] = field(default_factory=list)  # columns of the file no field reads
    unread_shown: bool = False  # listed for people too (a sheet of salespipe's columns)
    ids_not_read: dict[str, str] = field(default_factory=dict)  # field -> its column of ids
    unused_maps: list[str] = field(default_factory=list)  # --stage-map entries no row has
    unused_pipeline_maps: list[str] = field(default_factory=list)  # --pipeline-map's, likewise
    renumbered: list[tuple[int, int, int]] = field(default_factory=list)  # line, id, new id
    look_alikes: list[tuple[int, int]] = field(default_factory=list)  # line, the deal here
    same_but_id: list[tuple[int, int]] = field(default_factory=list)  # line, the line it is like
    differing: list[Differing] = field(default_factory=list)  # skipped rows saying otherwise
    deleted_here: list[tuple[int, int]] = field(default_factory=list)  # line, the deleted deal
    brought_back: list[tuple[int, int]] = field(default_factory=list)  # likewise, restored
    named_otherwise: list[StageNamedOtherwise] = field(default_factory=list)
    left_out: list[tuple[int, LeftOutKind]] = field(default_factory=list)  # lines of no deal
    short_rows: list[int] = field(default_factory=list)  # lines with fewer cells than the header
    guessed_encoding: str | None = None  # read in, not being UTF-8 and none given
    update: bool = False  # --update was given: ``differing`` is what it could not change
    updates: list[Update] = field(default_factory=list)  # deals here changed (--update)
    with_history: int = 0  # a backup merged: the deals that came with their history
    without_history: list[int] = field(default_factory=list)  # its deals that did not (ids)

    @property
    def new_stages(self) -> list[str]:
        """The names of the stages the import made, in order."""
        return [stage.name for stage in self.created_stages]

    @property
    def dated_at_import(self) -> list[Update]:
        """The updates whose win or loss is dated at the import's time, not at their row's
        close date: it came before the deal's last change, or is in the future."""
        return [update for update in self.updates if update.dated_at_import]

    @property
    def dollar(self) -> str:
        """What "$" was read as."""
        return self.currency if self.currency_from == "option" else "USD"

    def to_dict(self) -> dict[str, Any]:
        data = self._to_dict()
        if self.not_restored is not None:  # only then: a backup merged, not restored
            data["not_restored"] = self.not_restored.to_dict()
        if self.new_pipelines:  # only then: an import into one pipeline prints as it did
            data["new_pipelines"] = self.new_pipelines
        if self.filled["value_unit"]:  # only then, likewise: values written like 150k
            data["filled"]["value_unit"] = {"count": self.filled["value_unit"]}
        if self.own_probabilities:  # likewise: deals whose row's probability is their own
            data["own_probabilities"] = self.own_probabilities
        if self.unread:  # likewise: a file with columns no field reads
            data["unread_columns"] = self.unread
        if self.ids_not_read:  # likewise: Salesforce's AccountId, OwnerId, left unread
            data["ids_not_read"] = self.ids_not_read
        if self.unused_maps:  # likewise: --stage-map entries whose label no row has
            data["unused_stage_maps"] = self.unused_maps
        if self.unused_pipeline_maps:  # likewise: --pipeline-map entries no row has
            data["unused_pipeline_maps"] = self.unused_pipeline_maps
        if self.renumbered:  # likewise: our rows whose id is another deal's here
            data["renumbered"] = [
                {"line": line, "id": old, "new_id": new} for line, old, new in self.renumbered
            ]
        if self.differing:  # likewise: rows imported before that say otherwise now
            data["differing"] = [
                {"line": d.line, "deal": d.deal, "fields": list(d.fields)} for d in self.differing
            ]
        if self.updates:  # likewise: deals here changed as their rows say (--update)
            data["updated"] = [
                {"line": u.line, "deal": u.deal, "fields": list(u.fields)} for u in self.updates
            ]
        if self.dated_at_import:  # likewise: their wins and losses the rows could not date
            data["dated_at_import"] = [
                {"line": u.line, "deal": u.deal} for u in self.dated_at_import
            ]
        if self.deleted_here:  # likewise: rows of deals deleted here, left out
            data["deleted_here"] = [
                {"line": line, "deal": deal} for line, deal in self.deleted_here
            ]
        if self.brought_back:  # likewise: rows of deals deleted here, imported again
            data["brought_back"] = [
                {"line": line, "deal": deal} for line, deal in self.brought_back
            ]
        if self.named_otherwise:  # likewise: stages the file names otherwise, by their key
            data["stage_names_taken_as"] = [
                {
                    "file_name": stage.file_name,
                    "stage": stage.key,
                    "name": stage.name,
                    "pipeline": stage.pipeline,
                    "deals": stage.deals,
                }
                for stage in self.named_otherwise
            ]
        if self.look_alikes:  # likewise: new deals whose title and customer are one's here
            data["look_alikes"] = [{"line": line, "deal": deal} for line, deal in self.look_alikes]
        if self.same_but_id:  # likewise: rows the same as an earlier row but for their id
            data["same_but_id"] = [{"line": line, "like": like} for line, like in self.same_but_id]
        if self.short_rows:  # likewise: rows whose last cells the file did not have
            data["short_rows"] = self.short_rows
        if self.guessed_encoding:  # likewise: a file of Thai Windows' code page
            data["encoding"] = self.guessed_encoding
        if self.with_history:  # likewise: a backup merged, its deals with their events
            data["with_history"] = self.with_history
        if self.without_history:  # likewise: its deals whose events did not come
            data["without_history"] = self.without_history
        if self.left_out:  # likewise: lines of the file that hold no deal
            data["left_out"] = {
                kind: [line for line, of in self.left_out if of == kind]
                for kind in dict.fromkeys(of for _line, of in self.left_out)
            }
        return data

    def _to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "dry_run": self.dry_run,
            "restored": self.restored,
            "rows": self.rows,
            "imported": sum(self.imported.values()),
            "by_status": {s: self.imported.get(s, 0) for s in ("open", "won", "lost")},
            "duplicates": self.duplicates,
            "duplicate_lines": self.duplicate_lines,
            "line_items": {"rows": self.line_items.rows, "deals": self.line_items.deals},
            "filled": {
                "currency": {
                    "count": self.filled["currency"],
                    "value": self.currency,
                    "from": self.currency_from,
                },
                "dollar": {"count": self.filled["dollar"], "value": self.dollar},
                "owner": {"count": self.filled["owner"], "value": self.owner},
                "closed_at": {
                    name.removeprefix("closed_"): self.filled[name]
                    for name in (
                        "closed_from_updated",
                        "closed_from_expected",
                        "closed_from_created",
                        "closed_at_import",
                        "closed_after_import",
                    )
                },
                "created_at": {
                    "after_close": self.filled["created_after_close"],
                    "missing": self.filled["created_at_import"],
                },
                "value": {"count": self.filled["value"]},
                "stage": {"count": self.filled["stage"]},
                "stay": {"count": self.filled["stay"]},
                "stage_entered_at": {"creation": self.filled["entered_at_creation"]},
            },
            "skipped": len({p.line for p in self.problems}),
            "problems": [p.to_dict() for p in self.problems],
            "new_stages": self.new_stages,
            "new_stage_probabilities": [
                {
                    "stage": s.name,
                    "pipeline": s.pipeline,
                    "probability": s.probability,
                    "from": s.origin,
                }
                for s in self.created_stages
            ],
            "events": self.events,
            "change": self.change,
        }


def _spell_owners(rows: list[Pending], spelled: Mapping[str, str]) -> None:
    """Give each row's owner as the team member it names is spelled on the server."""
    for index, row in enumerate(rows):
        values = unpack(row)
        owner = spelled.get(parse.fold(values.owner)) if values.owner else None
        if owner is not None and owner != values.owner:
            rows[index] = row._replace(packed=marshal.dumps(tuple(values._replace(owner=owner))))


def _own_rows(rows: list[Pending], you: str, problems: list[Problem]) -> list[Pending]:
    """Under ``visibility own`` a rep adds only deals it owns (the database refuses the
    others, the whole import with them): such rows are the rows' problems, so that the
    dry run says so too and --skip-invalid imports the rest. Left out before the plan,
    so that they take no deal number and count in no total (they did both)."""
    kept = []
    for row in rows:
        owner = unpack(row).owner or you
        if owner == you:
            kept.append(row)
            continue
        problems.append(
            Problem(
                row.line,
                "owner",
                owner,
                _(
                    "the deal would be {owner}'s, and under visibility own this role adds "
                    "only its own deals (a manager or an admin imports others')"
                ).format(owner=owner),
            )
        )
    return kept


def _refuse_invalid(path: Path, problems: Sequence[Problem], good: int, read: int) -> InvalidRows:
    """The refusal of an import with invalid rows; ``good`` new deals would come of the
    other rows of the ``read`` (what --skip-invalid imports)."""
    rows = len({p.line for p in problems})
    listed = "\n".join(f"  {p.describe()}" for p in problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    if more > 0:
        listed += "\n  " + _("… and {count} more").format(count=more)
    if good:
        message = ngettext(
            "{rows} row of {file} cannot be imported, so nothing was imported; fix it, "
            "or add --skip-invalid to {skipping}:",
            "{rows} rows of {file} cannot be imported, so nothing was imported; fix them, "
            "or add --skip-invalid to {skipping}:",
            rows,
        )
    else:
        message = ngettext(
            "{rows} row of {file} cannot be imported, so nothing was imported; fix it:",
            "{rows} rows of {file} cannot be imported, so nothing was imported; fix them:",
            rows,
        )
    skipping = _what_skipping_imports(good, read - rows)
    return InvalidRows(
        message.format(rows=rows, file=path.name, skipping=skipping)
        + "\n"
        + listed
        + _leave_out(problems),
        problems,
    )


def _what_skipping_imports(deals: int, others: int) -> str:
    """What --skip-invalid would import, for the refusal: "import the other 3" where each
    other row is a new deal; else the new deals and the rows they are among. A re-import
    said "the other 1" of four valid rows, three of them imported before (and skipped
    again), and a deal of several line items counted once for its rows."""
    if deals == others:
        return _("import the other {count}").format(count=deals)
    new_deals = ngettext("{count} new deal", "{count} new deals", deals).format(count=deals)
    return ngettext(
        "import {deals} from the other {count} row",
        "import {deals} from the other {count} rows",
        others,
    ).format(deals=new_deals, count=others)


def _refuse_restoring_both_ways(options: ImportOptions) -> None:
    if options.restore_deleted and options.restore_deals:
        raise UsageError(
            _(
                "--restore-deleted brings back every deal deleted here and --restore-deal "
                "only those it names: give one of the two."
            )
        )


def _refuse_deals_not_brought_back(path: Path, named: Sequence[int], plan: Plan) -> None:
    """A --restore-deal that names no deal deleted here of a row of the file is a
    mistake (a line number for a deal's, say): refused, nothing written."""
    brought_back = {deal for _line, deal in plan.brought_back}
    missing = next((deal for deal in named if deal not in brought_back), None)
    if missing is None:
        return
    left_out = sorted({deal for _line, deal in plan.deleted_here})
    if left_out:
        raise UsageError(
            _(
                "--restore-deal {deal}: no row of {file} is of deal {deal} deleted here; "
                "the rows left out are of deals {deals}."
            ).format(deal=missing, file=path.name, deals=", ".join(map(str, left_out)))
        )
    raise UsageError(
        _("--restore-deal {deal}: no row of {file} is of a deal deleted here.").format(
            deal=missing, file=path.name
        )
    )


def _leave_out(problems: Sequence[Problem]) -> str:
    """Where every refused cell is of a column a deal can do without, the --ignore that
    imports every row without it (a long note in a CRM's export, say)."""
    if not all(problem.optional for problem in problems):
        return ""
    columns = list(dict.fromkeys(problem.column for problem in problems))
    options = " ".join(f"--ignore {shlex.quote(column)}" for column in columns)
    return "\n" + ngettext(
        "Every refused cell is in a column a deal can do without: {options} imports every "
        "row without it.",
        "Every refused cell is in a column a deal can do without: {options} imports every "
        "row without those columns.",
        len(columns),
    ).format(options=options)


def _defaults(snapshot: ReadView, options: ImportOptions, now: datetime, ours: bool) -> Defaults:
    config = settings.effective_in(snapshot)
    return Defaults(
        now=now,
        currency=options.currency or config["currency"],
        # On a server the importing role, as `add` makes it the owner: the setting
        # (the login name of the machine) is no role a rep's own deals could be under.
        owner=config["owner"],
        exact=ours,
    )


def _count(plan: Plan) -> Counter[str]:
    return Counter(entry.status for entry in plan.entries)


def _prepare(
    snapshot: ReadView,
    parsed: ParsedFile,
    options: ImportOptions,
    report: ImportReport,
    now: datetime,
    pipeline: str,
    spelled: Mapping[str, str],
    roles: Mapping[str, str],
) -> Plan | None:
    """Plan the import into the report (its deals into ``pipeline``); None when the file
    is a backup to restore whole."""
    history: BackupHistory | None = None  # a backup merged: its deals' events
    history_labels: Counter[StageLabel] | None = None
    if parsed.backup is not None:
        if database_is_empty(snapshot):
            _refuse_deals_not_brought_back(Path(report.file), options.restore_deals, Plan())
            report.restored = True
            report.imported = Counter(
                r.get("status", "open") for r in parsed.backup.records("deals")
            )
            report.events = parsed.backup.counts["events"]
            return None
        report.not_restored = held_here(snapshot)
        # Into a database with deals of its own, the backup's deals are merged as new ones,
        # each into its pipeline (as a CSV export's pipeline column places it), and a
        # stage created for them is made as the backup had it.
        backup_stages = sorted(parsed.backup.stages(), key=lambda s: (s.pipeline, s.position))
        named = {stage.key: stage.name for stage in backup_stages}
        pipelines = parsed.backup.pipelines() or [first_pipeline()]
        pipeline_names = {p.key: parse.pipeline_name(p) for p in pipelines}
        if len(pipelines) == 1:  # one goes where imported (-P), as it did, unless mapped
            label = _mapped_label(pipelines[0], options.pipeline_map)
            pipeline_names = {} if label is None else {pipelines[0].key: label}
        pipeline_of = {s.key: pipeline_names.get(s.pipeline, "") for s in backup_stages}
        deals = [
            {
                **deal,
                "stage_name": named.get(str(deal.get("stage")), ""),
                "pipeline": pipeline_of.get(str(deal.get("stage")), ""),
            }
            for deal in parsed.backup.records("deals")
        ]
        merged = read_deal_objects(deals, None, pipelines=True)
        parsed.rows, parsed.problems = merged.rows, merged.problems
        history = read_history(parsed.backup.records("events"), parsed.backup.records("deals"))
        history_labels = history.labels(named, pipeline_of)
        crm_stages = tuple(
            DefaultStage(s.name, s.probability, pipeline_of[s.key], s.target_days, s.guide)
            for s in backup_stages
        )
        crm_pipelines: tuple[str, ...] = ()
    else:
        crm_stages = parsed.crm.default_stages if parsed.crm else ()
        crm_pipelines = parsed.crm.default_pipelines if parsed.crm else ()
    ours = parsed.ours
    defaults = _defaults(snapshot, options, now, ours)
    if spelled:
        _spell_owners(parsed.rows, spelled)
    if not snapshot.sees_every_deal():
        parsed.rows = _own_rows(parsed.rows, defaults.owner, parsed.problems)
    placing = Placing(
        stage_map=options.stage_map,
        pipeline_map=options.pipeline_map,
        create_stages=options.create_stages,
        max_new_stages=options.max_new_stages,
        crm_stages=crm_stages,
        crm_pipelines=crm_pipelines,
    )
    try:
        plan = plan_import(
            parsed.rows,
            snapshot,
            defaults,
            placing,
            invalid_labels=parsed.invalid_labels,
            ours=ours,
            stage_probabilities=not parsed.written_by_salespipe,
            values_per_line=parsed.values_per_line,
            pipeline=pipeline,
            restore_deleted=options.restore_deleted,
            restore_deals=frozenset(options.restore_deals),
            history_labels=history_labels,
        )
    except SalespipeError as refused:  # (its stages or pipelines, most often)
        if report.not_restored is not None:  # one who meant a restore learns why not
            refused.message = f"{report.not_restored.said(report.database)} {refused.message}"
        raise
    if history is not None:
        _carry_history(plan, history, defaults.owner, spelled, _only_as(snapshot, roles))
    _refuse_deals_not_brought_back(Path(report.file), options.restore_deals, plan)
    parsed.rows = []  # the plan's entries hold the rows to write; let the rest go
    report.same_but_id = same_but_for_id(plan.entries, parsed.id_fields)
    problems = sorted(parsed.problems + plan.problems, key=lambda p: p.line)
    if problems and not options.skip_invalid:
        raise _refuse_invalid(Path(report.file), problems, len(plan.entries), report.rows)
    report.problems = problems
    report.duplicates = plan.duplicates
    report.duplicate_lines = plan.duplicate_lines
    report.line_items = plan.line_items
    report.filled = plan.filled
    report.events = plan.events
    report.currency, report.owner = defaults.currency, defaults.owner
    report.currency_from = "option" if options.currency else "config"
    known = [first_pipeline(), *snapshot.pipelines(), *plan.new_pipelines]
    named = {p.key: parse.pipeline_name(p) for p in known}
    report.created_stages = [
        CreatedStage(s.name, named[s.pipeline], s.probability, plan.new_stage_origins[s.key])
        for s in plan.new_stages
    ]
    report.named_otherwise = _named_otherwise(plan, snapshot, named)
    report.own_probabilities = plan.own_probabilities
    report.several_pipelines = len(named) > 1
    report.new_pipelines = [p.name for p in plan.new_pipelines]
    report.unused_maps = plan.unused_maps
    report.unused_pipeline_maps = plan.unused_pipeline_maps
    report.renumbered = plan.renumbered
    report.look_alikes = plan.look_alikes
    report.differing = plan.differing
    if options.update and plan.differing:
        report.updates, report.differing = plan_updates(snapshot, plan.differing, now)
        report.events += sum(len(update.steps) for update in report.updates)
    report.deleted_here = plan.deleted_here
    report.brought_back = plan.brought_back
    report.imported = _count(plan)
    report.with_history = len(plan.carried)
    report.without_history = plan.without_history
    return plan


def _by_others(carried: CarriedDeal, only_as: str) -> bool:
    return any(event.get("who") not in ("", None, only_as) for event in carried.events)


def _only_as(snapshot: ReadView, roles: Mapping[str, str]) -> str | None:
    """The only author whose changes this session may record, or None for anyone's: on
    a server a manager or a rep records changes only as itself (the m012 row policy);
    an admin of the team, and the tables' owner, carries others' (as ``copy`` does)."""
    user = snapshot.user()
    if user is None or roles.get(user, "admin") == "admin":
        return None
    return user


def _carry_history(
    plan: Plan,
    history: BackupHistory,
    owner: str,
    spelled: Mapping[str, str],
    only_as: str | None,
) -> None:
    """Each new deal of a merged backup with its events, where they replay to it
    (carried.py); the others named by their number in the backup. ``only_as`` a role,
    a deal whose events are not all that role's refuses the import. The plan's count
    of events becomes the count of those written."""

    def owner_of(name: str) -> str:
        return spelled.get(parse.fold(name), name) if name else owner

    by_others: list[int] = []
    for entry in plan.entries:
        row = entry.row
        here = Here(entry.deal_id, entry.source, entry.stage.key, entry.status)
        assert row.deal_id is not None  # (a backup's deals have their ids)
        carried = carry(history, row.deal_id, here, plan.history_stages, owner_of)
        if carried is not None and only_as is not None and _by_others(carried, only_as):
            by_others.append(row.deal_id)
        if carried is None:
            plan.without_history.append(row.deal_id)
            continue
        plan.carried[entry.deal_id] = carried
        plan.events += len(carried.events) - (1 + row.notes + (entry.status != "open"))
    if by_others:
        raise _refuse_others_history(by_others)


def _refuse_others_history(deals: Sequence[int]) -> NotPermitted:
    """A manager's or a rep's merge of a backup whose history holds changes made by
    others: the server records their changes only as theirs (m012), so those deals
    would come without their history. Refused whole, as ``copy`` of such changes is
    (data is not dropped for want of a role; docs/team.md has admins bring files in)."""
    shown = ", ".join(str(deal) for deal in deals[:10]) + (", …" if len(deals) > 10 else "")
    return NotPermitted(
        ngettext(
            "Only an admin of the team may import this backup here, as its deal {deals} "
            "holds changes made by others, which every other role may not record (the deal "
            "would come without its history): run it as an admin of the team; nothing was "
            "changed.",
            "Only an admin of the team may import this backup here, as its deals {deals} "
            "hold changes made by others, which every other role may not record (the deals "
            "would come without their history): run it as an admin of the team; nothing was "
            "changed.",
            len(deals),
        ).format(deals=shown)
    )


def _named_otherwise(
    plan: Plan, snapshot: ReadView, pipeline_names: Mapping[str, str]
) -> list[StageNamedOtherwise]:
    """The stages the file names otherwise than this database, with their deals."""
    stages = {stage.key: stage for stage in snapshot.stages()}
    return [
        StageNamedOtherwise(
            file_name,
            key,
            stages[key].name,
            pipeline_names.get(stages[key].pipeline, stages[key].pipeline),
            deals,
        )
        for (file_name, key), deals in plan.named_otherwise.items()
    ]


def _mapped_label(pipeline: PipelineDef, pipeline_map: Sequence[str]) -> str | None:
    """The LABEL of the ``--pipeline-map`` entry that names ``pipeline`` as ``--pipeline``
    would (the first pipeline by its default name in either language), if any."""
    for entry in pipeline_map:
        label = entry.rpartition("=")[0]
        with contextlib.suppress(SalespipeError):
            if parse.pipeline([pipeline], label).key == pipeline.key:
                return label
    return None


def import_file(
    pipeline: Pipeline,
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
    pipeline: Pipeline, path: Path, options: ImportOptions, progress: Progress | None
) -> ImportReport:
    _refuse_restoring_both_ways(options)
    parsed = read_file(path, options.reading, progress)
    if parsed.backup is not None:
        check(parsed.backup)  # a backup is input: all of it is checked before any write
    report = ImportReport(str(path), parsed.format, parsed.total, options.dry_run)
    report.database = pipeline.store.location
    report.update = options.update
    report.unread, report.unread_shown = parsed.unread, parsed.ours
    report.ids_not_read = parsed.ids_not_read
    report.left_out = sorted(parsed.left_out)
    report.short_rows = parsed.short_rows
    report.guessed_encoding = parsed.guessed_encoding
    if options.dry_run:
        view = pipeline.read()
        into = pipeline.current_pipeline(view).key
        spelled, roles = team.spelling(pipeline.store), team.roles(pipeline.store)
        _prepare(view, parsed, options, report, clock.now(), into, spelled, roles)
        if report.restored:  # it would be this database: its settings are heard as such
            assert parsed.backup is not None
            pipeline.settings_taken_in(parsed.backup.config)
        return report
    spelled, roles = team.spelling(pipeline.store), team.roles(pipeline.store)
    with pipeline.work("import") as work:
        into = work.pipeline.key
        plan = _prepare(work.tx, parsed, options, report, work.now, into, spelled, roles)
        if plan is None:
            assert parsed.backup is not None
            restore(work.tx, parsed.backup)
            work.restored = True  # a change, even of an empty backup: a new file is said
        elif plan.entries or report.updates:
            report.events = write_plan(work, plan) if plan.entries else 0
            report.events += write_updates(work, report.updates, path.name)
            report.change = work.tx.change_id()
    return report
