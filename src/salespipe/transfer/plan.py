"""Deciding what an import does: which rows are there already, and the id, stage and
status of each new deal (or why its row cannot be imported).

Everything here is computed from a snapshot and changes nothing; ``import_write``
writes the plan in one transaction (or ``importing`` only reports it, for ``--dry-run``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter

from salespipe.core import collation, parse
from salespipe.core.errors import NotAllowed, no_deal_numbers_left
from salespipe.core.i18n import _
from salespipe.core.model import (
    FIRST_PIPELINE,
    PipelineDef,
    Stage,
    Status,
    first_pipeline,
    stages_in,
)
from salespipe.core.stored import MAX_DEAL_ID
from salespipe.storage.port import ReadView
from salespipe.transfer.carried import CarriedDeal
from salespipe.transfer.crm_formats import DefaultStage
from salespipe.transfer.deleted_here import deleted_records, deleted_sources
from salespipe.transfer.differing import Comparer, Differing
from salespipe.transfer.look_alikes import DealsHere, deals_here, resembling, settle_row_keys
from salespipe.transfer.pending import (
    Pending,
    StageLabel,
    unpack,
    with_value_added,
)
from salespipe.transfer.pipeline_labels import parse_pipeline_map, place_pipelines
from salespipe.transfer.row_times import with_close_filled, with_times_kept_in_order
from salespipe.transfer.rows import Filled, Problem
from salespipe.transfer.stages import (
    MAX_NEW_STAGES,
    ProbabilityOrigin,
    StageResolver,
    Target,
    file_probabilities,
    file_stage,
    looks_closing,
    map_into_no_stage,
    new_stages_for,
    parse_stage_map,
    too_many_new_stages,
    unknown_stages_error,
    unplaced_stages,
    with_new_stages,
)


@dataclass(frozen=True)
class Defaults:
    now: datetime
    currency: str
    owner: str
    exact: bool  # rows of our own CSV: probability is the deal's own, values as given


@dataclass(frozen=True, slots=True)
class Entry:
    """A row that will become a deal: its id, stage, status and source are settled."""

    row: Pending
    deal_id: int
    stage: Stage
    status: Status
    source: str | None
    # Closed, and the file does not say from which stage (``stage`` stands in for it).
    stage_unknown: bool = False


# What the report says stood in for missing data (and how values were read), by the bits
# rows carry.
FILLED_NAMES: tuple[tuple[int, str, bool], ...] = (
    # bit, name, counted only for closed deals
    (Filled.VALUE_UNIT, "value_unit", False),
    (Filled.CURRENCY, "currency", False),
    (Filled.DOLLAR, "dollar", False),
    (Filled.OWNER, "owner", False),
    (Filled.CLOSED_FROM_UPDATED, "closed_from_updated", True),
    (Filled.CLOSED_FROM_EXPECTED, "closed_from_expected", True),
    (Filled.CLOSED_FROM_CREATED, "closed_from_created", True),
    (Filled.CLOSED_UNKNOWN, "closed_at_import", True),
    (Filled.CLOSED_LATER, "closed_after_import", True),
    (Filled.CREATED_LATER, "created_after_close", False),
    (Filled.NO_CREATION, "created_at_import", False),
    (Filled.NO_VALUE, "value", False),
    (Filled.NO_STAGE, "stage", False),
    (Filled.NO_STAY, "stay", True),
    (Filled.ENTERED_AT_CREATION, "entered_at_creation", False),
)


@dataclass
class LineItems:
    """Rows that repeat a deal's id (a line-item export), added into the deal's first row."""

    rows: int = 0
    deals: list[str] = field(default_factory=list)  # the ids, as the file gives them


@dataclass
class Plan:
    entries: list[Entry] = field(default_factory=list)
    defaults: Defaults | None = None
    pipeline: str = FIRST_PIPELINE  # the pipeline imported into
    new_pipelines: list[PipelineDef] = field(default_factory=list)
    # The stages of each pipeline that gains some, new ones included.
    stages_after: dict[str, list[Stage]] = field(default_factory=dict)
    new_stages: list[Stage] = field(default_factory=list)
    # where each new stage's probability came from, by its key
    new_stage_origins: dict[str, ProbabilityOrigin] = field(default_factory=dict)
    own_probabilities: int = 0  # open deals whose row's probability is their own
    duplicates: int = 0
    duplicate_lines: list[int] = field(default_factory=list)  # the rows imported before
    line_items: LineItems = field(default_factory=LineItems)
    filled: Counter[str] = field(default_factory=Counter)
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    next_deal_id: int = 1
    unused_maps: list[str] = field(default_factory=list)  # --stage-map entries no row has
    unused_pipeline_maps: list[str] = field(default_factory=list)  # --pipeline-map's, likewise
    # (line, the file's id, the id given) of our rows whose id is taken here
    renumbered: list[tuple[int, int, int]] = field(default_factory=list)
    # (line, deal) of new deals whose title and customer are a deal's here
    look_alikes: list[tuple[int, int]] = field(default_factory=list)
    # rows imported before that say otherwise than their deal now
    differing: list[Differing] = field(default_factory=list)
    # (line, deal) of rows left out as deals deleted here (unless restoring them)
    deleted_here: list[tuple[int, int]] = field(default_factory=list)
    # (line, deal) of rows of deals deleted here brought back as new deals (restoring)
    brought_back: list[tuple[int, int]] = field(default_factory=list)
    # deals placed by their stage's key whose file names that stage otherwise, by (the
    # file's name, the stage's key here)
    named_otherwise: Counter[tuple[str, str]] = field(default_factory=Counter)
    # A backup merged: the stage here of each stage its deals' history names (by the
    # backup's key), and the history of each deal that comes with it, by its id here
    history_stages: dict[str, str] = field(default_factory=dict)
    carried: dict[int, CarriedDeal] = field(default_factory=dict)
    without_history: list[int] = field(default_factory=list)  # the backup's ids of those without

    def take_entries(self) -> Iterator[Entry]:
        """The entries in order, each let go of as it is taken, so that a large import
        frees its rows while it writes them."""
        self.entries.reverse()
        while self.entries:
            yield self.entries.pop()


@dataclass(frozen=True)
class Placing:
    """How rows find their pipeline and stage: what ``import`` was told."""

    stage_map: Sequence[str] = ()
    pipeline_map: Sequence[str] = ()
    create_stages: bool = False
    max_new_stages: int = MAX_NEW_STAGES
    crm_stages: Sequence[DefaultStage] = ()
    crm_pipelines: Sequence[str] = ()  # the CRM's names of its own first pipeline


def plan_import(
    rows: Sequence[Pending],
    snapshot: ReadView,
    defaults: Defaults,
    placing: Placing,
    *,
    invalid_labels: Mapping[StageLabel, int] | None = None,
    ours: bool = False,
    stage_probabilities: bool = True,
    values_per_line: bool = False,
    pipeline: str = FIRST_PIPELINE,
    restore_deleted: bool = False,
    restore_deals: frozenset[int] = frozenset(),
    history_labels: Mapping[StageLabel, int] | None = None,
) -> Plan:
    """The deals to write: each row in the pipeline its label names (else ``pipeline``),
    its stage among that pipeline's (new pipelines and stages created as told).
    ``stage_probabilities``: the rows' probabilities tell their stages' (a CRM's file),
    not only each deal's own (salespipe's export and backup). ``history_labels``: the
    stages a merged backup's deals were in before, with how many deals: placed as the
    rows' stages are (mapped, matched or created), into ``history_stages``."""
    plan = Plan(defaults=defaults, pipeline=pipeline)
    invalid = invalid_labels or {}
    history = history_labels or {}
    plan.unused_maps = _maps_no_row_has(
        placing.stage_map,
        rows,
        {**invalid, **history},
        attrgetter("stage_label", "stage_name"),
        collation.look,
    )
    plan.unused_pipeline_maps = _maps_no_row_has(
        placing.pipeline_map, rows, invalid, lambda label: (label.pipeline_label,), parse.fold
    )
    fresh = _fresh_rows(
        rows,
        snapshot,
        plan,
        ours,
        values_per_line,
        defaults.currency,
        placing.stage_map,
        restore=_Restoring(restore_deleted, restore_deals),
    )
    placement = place_pipelines(
        dict.fromkeys(r.label.pipeline_label for r in fresh),
        snapshot.pipelines(),
        pipeline,
        mapped=parse_pipeline_map(placing.pipeline_map, snapshot.pipelines()),
        crm_defaults=placing.crm_pipelines,
        create=placing.create_stages,
    )
    plan.new_pipelines = placement.new
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(fresh):
        groups.setdefault(placement.keys[row.label.pipeline_label], []).append(index)
    used_maps: set[str] | None = set() if len(groups) > 1 else None
    taken = {s.key for s in snapshot.stages()}
    known = [first_pipeline(), *snapshot.pipelines(), *placement.new]
    named = {p.key: parse.pipeline_name(p) for p in known}
    in_file = file_probabilities(rows) if stage_probabilities else {}
    new_keys = {p.key for p in placement.new}
    placed: list[tuple[StageResolver, Target | None] | None] = [None] * len(fresh)
    by_key = {s.key: s for s in snapshot.stages()}
    for key, indexes in groups.items():
        group = [fresh[i] for i in indexes]
        passed = {
            label: count
            for label, count in history.items()
            if placement.keys.get(label.pipeline_label) == key
        }
        resolver, targets = _resolve_stages(
            group,
            stages_in(snapshot.stages(), key),
            _placing_for(placing, placement.keys, key),
            plan,
            (key, named.get(key, key), key in new_keys, used_maps, taken),
            in_file,
            {
                label: count
                for label, count in invalid.items()
                if placement.keys.get(label.pipeline_label) == key
            },
            passed,
        )
        for label in passed:
            found = resolver.target(label)
            if found is not None and found.stage is not None:
                plan.history_stages[label.stage_label] = found.stage
        for index, target in zip(indexes, targets, strict=True):
            placed[index] = (resolver, target)
    for stages in plan.stages_after.values():
        by_key.update((s.key, s) for s in stages)
    if used_maps is not None:
        _check_maps_used(placing.stage_map, used_maps, [named.get(k, k) for k in groups])
    next_id = snapshot.counters().next_deal_id
    kept = _kept_ids(fresh, next_id)
    new_id = max([next_id, *(i + 1 for i in kept)])
    for row, place in zip(fresh, placed, strict=True):
        assert place is not None
        resolver, target = place
        assert target is not None
        stage_key, status = resolver.place(row.label, target)
        stage = by_key[stage_key]
        if status == "open" and not stage.enabled:
            plan.problems.append(
                Problem(
                    row.line,
                    "stage",
                    row.label.stage_label,
                    _('the stage "{name}" is disabled').format(name=stage.name),
                )
            )
            continue
        source = row.source
        if row.deal_id is not None and kept.get(row.deal_id) == row.line:
            deal_id = row.deal_id
        else:
            deal_id, new_id = new_id, new_id + 1
            if row.deal_id is not None:
                plan.renumbered.append((row.line, row.deal_id, deal_id))
            if row.deal_id is not None and source is None:
                source = f"salespipe:{row.deal_id}"
        row = with_close_filled(row, status, defaults.now)
        row = with_times_kept_in_order(
            row, defaults.now, status, stage_named=target.stage is not None
        )
        if not defaults.exact:  # (salespipe's own file gives each deal its own, as it was)
            row = row._replace(probability=_own_probability(row, status, stage, in_file))
            plan.own_probabilities += status == "open" and row.probability is not None
        unknown = target.stage is None and status != "open"
        if history_labels is not None and target.stage is not None:  # (a backup merged)
            plan.history_stages[row.label.stage_label] = target.stage
        plan.entries.append(Entry(row, deal_id, stage, status, source, unknown))
        if target.file_name:
            plan.named_otherwise[target.file_name, stage.key] += 1
        _count_filled(plan, row, status)
    if new_id > MAX_DEAL_ID + 1:
        raise NotAllowed(no_deal_numbers_left())
    plan.next_deal_id = new_id
    return plan


def _own_probability(
    row: Pending, status: Status, stage: Stage, in_file: Mapping[tuple[str, str], int]
) -> int | None:
    """The row's probability where it is the deal's own: an open deal's that differs
    from its stage's here and from its stage's in the file. A CRM writes its stage's
    default on most rows, which is not the deal's own: kept as its own, it would stay
    with the deal in every stage it moves to."""
    given = row.probability
    if not given or status != "open" or given == stage.probability:
        return None  # (0, where some exports leave it unset, is none)
    return None if given == in_file.get(file_stage(row.label)) else given


def _count_filled(plan: Plan, row: Pending, status: Status) -> None:
    plan.events += 1 + row.notes + (status != "open")
    if row.filled:
        for bit, name, closing in FILLED_NAMES:
            if row.filled & bit and (status != "open" or not closing):
                plan.filled[name] += 1


def _fresh_rows(
    rows: Sequence[Pending],
    snapshot: ReadView,
    plan: Plan,
    ours: bool,
    values_per_line: bool,
    currency: str,
    stage_map: Sequence[str],
    *,
    restore: _Restoring,
) -> list[Pending]:
    """The rows not imported before (by source key, or by id for our own CSV): each
    row without an id keyed as the deal it is first (look_alikes.py); the others are
    counted and compared with their deals (:class:`_Before`), the rows of deals deleted
    here left out (unless ``restore`` brings them back), and the new deals that look like deals
    here named.

    Rows of one file never drop each other: a row that repeats the id of an earlier one
    is a further line item of that deal (another CRM's export), its value added into the
    deal's where the file's values are the lines' own, or a problem naming both lines
    (salespipe's own CSV, where an id is one deal).
    """
    # Rows without an id are paired with the deals deleted here too (look_alikes.py):
    # left out, or brought back under the deleted deal's key, not a new one.
    by_place = any(r.filled & Filled.KEY_BY_PLACE for r in rows)
    gone = deleted_records(snapshot) if by_place else None
    here = deals_here(snapshot.all_records(), rows, gone.values() if gone else ())
    rows = settle_row_keys(rows, here, currency)
    before = _Before(plan, here, Comparer(snapshot.stages(), stage_map), rows)
    fresh: list[Pending] = []
    seen: dict[str, int] = {}  # key -> index in fresh
    merged: set[str] = set()
    merged_lines: dict[str, list[int]] = {}  # key -> the lines added into its first row
    lines_of: dict[str, dict[int, int]] = {}  # key -> the line of each row's cells (a hash)
    for row in rows:
        key = row.source or (f"salespipe:{row.deal_id}" if row.deal_id else None)
        if before.found(row, key):
            continue
        if key is None or key not in seen:
            if key is not None:
                seen[key] = len(fresh)
                lines_of[key] = {row.cells: row.line}
            fresh.append(row)
            continue
        first = fresh[seen[key]]
        repeated = lines_of[key].setdefault(row.cells, row.line)
        if repeated != row.line and not ours:  # (in ours an id is one deal: said below)
            plan.problems.append(_repeated_row(row, repeated, key))
            continue
        added = None if ours else with_value_added(first, row, values_per_line)
        if isinstance(added, Pending):
            fresh[seen[key]] = added
            plan.line_items.rows += 1
            merged_lines.setdefault(key, []).append(row.line)
            if key not in merged:
                merged.add(key)
                plan.line_items.deals.append(key.partition(":")[2])
            continue
        reason = added or _("the id is on line {line} too").format(line=first.line)
        column = "source" if ours and row.source else "id"
        plan.problems.append(Problem(row.line, column, key.partition(":")[2], reason))
    if fresh:
        gone = deleted_records(snapshot) if gone is None else gone
        fresh = _without_deleted(fresh, deleted_sources(gone), plan, merged_lines, restore=restore)
    plan.look_alikes = resembling(fresh, snapshot.all_records, before.matched)
    return fresh


def _without_deleted(
    fresh: list[Pending],
    gone: Mapping[str, int],
    plan: Plan,
    merged_lines: dict[str, list[int]],
    *,
    restore: _Restoring,
) -> list[Pending]:
    """The new rows but those of deals deleted here (by their import key), which are
    named in the plan, each line of one (its line items too, no longer counted as added
    into a deal): a deal a user deleted does not come back with the next export. Those
    ``restore`` brings back are kept, and named as brought back."""
    if not gone:
        return fresh
    kept = []
    for row in fresh:
        key = row.source
        deal = gone.get(key) if key else None
        if key is None or deal is None:
            kept.append(row)
        elif restore.brings_back(deal):
            kept.append(row)
            plan.brought_back.append((row.line, deal))
        else:
            items = merged_lines.get(key, [])
            plan.deleted_here.extend((line, deal) for line in [row.line, *items])
            if items:
                plan.line_items.rows -= len(items)
                plan.line_items.deals.remove(key.partition(":")[2])
    return kept


@dataclass(frozen=True)
class _Restoring:
    """Which deals deleted here an import brings back: all (--restore-deleted), or
    those named (--restore-deal ID)."""

    every: bool = False
    deals: frozenset[int] = frozenset()

    def brings_back(self, deal: int) -> bool:
        return self.every or deal in self.deals


class _Before:
    """The rows of deals imported before: counted and named in the plan, their deals
    remembered (``matched``: no look-alike of theirs is new), and each deal's first row
    compared with the deal now (the others are its line items, whose value is not the
    deal's)."""

    def __init__(
        self, plan: Plan, here: DealsHere, comparer: Comparer, rows: Sequence[Pending]
    ) -> None:
        self.plan, self.here, self.comparer = plan, here, comparer
        assert plan.defaults is not None
        self.now = plan.defaults.now  # (a row's close, as the import would make it)
        self.matched: set[str | int] = set()
        self._compared: set[str] = set()
        self._repeated = {s for s, count in Counter(r.source for r in rows).items() if count > 1}

    def found(self, row: Pending, key: str | None) -> bool:
        """Whether ``row`` is a deal's here (by its id for our own CSV, else its key)."""
        if row.deal_id is not None and _same_deal(self.here.ids.get(row.deal_id), row):
            self._count(row)  # (a backup's deal: the deal here is the newer one, not compared)
            self.matched.add(row.deal_id)
            return True
        if not _imported_before(key, row, self.here):
            return False
        self._count(row)
        assert key is not None
        self.matched.add(key)
        now = self.here.now.get(key)
        if now is not None and key not in self._compared:
            self._compared.add(key)
            fields = self.comparer.differences(row, now, whole=key not in self._repeated)
            if fields:
                said = self.comparer.said(row, now, self.now)
                self.plan.differing.append(Differing(row.line, now.id, fields, said))
        return True

    def _count(self, row: Pending) -> None:
        self.plan.duplicates += 1
        self.plan.duplicate_lines.append(row.line)


def _imported_before(key: str | None, row: Pending, here: DealsHere) -> bool:
    """Whether a deal an earlier import made has the row's key. A key made of a
    salespipe id alone (``salespipe:1``) is every database's first deal: it is the same
    deal only with the same title and creation (two databases' backups merged one after
    the other lost the second's deals with the ids of the first's), and any of the deals
    merged under it may be the row's (each backup's deal 1 is under ``salespipe:1``: one
    backup imported again added its deals again, compared with the other's)."""
    if key is None or key not in here.sources:
        return False
    if row.source is None and key.startswith("salespipe:"):
        return any(_same_deal(deal, row) for deal in here.by_salespipe_id.get(key, ()))
    return True


def _repeated_row(row: Pending, earlier: int, key: str) -> Problem:
    """A row that repeats an earlier one (on line ``earlier``) cell for cell: a duplicate
    (a file put together twice), added up it would double the deal; or a line item of a
    report that shows no product column. The user says which."""
    reason = _(
        "the row repeats line {line} exactly: a duplicate (which --skip-invalid leaves "
        "out), or a line item of the deal in a report without its product column"
    ).format(line=earlier)
    return Problem(row.line, "id", key.partition(":")[2], reason)


def _same_deal(known: tuple[str, datetime] | None, row: Pending) -> bool:
    """A row of our CSV is the deal with its id here if title (and creation) agree."""
    if known is None:
        return False
    title, created = known
    values = unpack(row)
    return title == values.title and (
        values.created_at is None or datetime.fromisoformat(values.created_at) == created
    )


def _resolve_stages(
    rows: Sequence[Pending],
    stages: list[Stage],
    placing: Placing,
    plan: Plan,
    where: tuple[str, str, bool, set[str] | None, set[str]],
    in_file: dict[tuple[str, str], int],
    invalid_labels: Mapping[StageLabel, int],
    passed: Mapping[StageLabel, int],
) -> tuple[StageResolver, list[Target | None]]:
    """The stage of each row among one pipeline's ``stages``, new ones made if told
    (into a pipeline without a stage too).

    ``where``: the pipeline's key and name, whether the import creates it, the
    --stage-map entries used so far (None when the rows go into one pipeline) and the
    stage keys taken; ``in_file``: the probability of each stage of the file (a created
    stage's); ``passed``: stages a merged backup's deals were in before, with their deals
    (placed, and created, as the rows' are)."""
    pipeline, name, new_pipeline, used_maps, taken = where
    creating = placing.create_stages
    mapped = parse_stage_map(placing.stage_map, stages, found_in=used_maps, pipeline=pipeline)
    resolver = StageResolver(
        stages, mapped, new_pipeline=new_pipeline or creating, pipeline_name=name
    )
    targets = [resolver.target(r.label) for r in rows]
    for label, count in invalid_labels.items():
        resolver.count_invalid(label, count)
    for label, count in passed.items():
        if resolver.target(label) is None:
            resolver.unknown[label.stage_label] += count - 1
    if resolver.unknown:
        if len(resolver.unknown) > placing.max_new_stages:
            raise too_many_new_stages(len(resolver.unknown), placing.max_new_stages)
        if not placing.create_stages:
            raise unknown_stages_error(resolver, rows, defaults=placing.crm_stages)
        if any(looks_closing(label) for label in resolver.unknown):
            raise unknown_stages_error(resolver, rows, creating=True)
        new = new_stages_for(
            list(resolver.unknown),
            in_file,
            resolver,
            placing.crm_stages,
            taken,
            new_pipeline=pipeline if new_pipeline else None,
        )
        created = new.stages
        taken.update(s.key for s in created)
        plan.new_stages.extend(replace(s, pipeline=pipeline) for s in created)
        plan.new_stage_origins.update(new.origins)
        after = with_new_stages(stages, new, new_pipeline=bool(new_pipeline))
        plan.stages_after[pipeline] = after
        # (closed deals of no known stage go to the first/last stage of the pipeline as
        # it is with the created ones)
        unplaced = unplaced_stages(new, new_pipeline=bool(new_pipeline))
        resolver = StageResolver(
            after, mapped, pipeline_name=name, creating=True, unplaced=unplaced
        )
        targets = [resolver.target(r.label) for r in rows]
    elif new_pipeline or creating:  # refuses a pipeline with no stage
        resolver = StageResolver(stages, mapped, pipeline_name=name, creating=creating)
    return resolver, targets


def _placing_for(placing: Placing, keys: Mapping[str, str], pipeline: str) -> Placing:
    """What the rows of one pipeline are placed by: the default stages of that pipeline
    only, where they are a backup's (each in its own pipeline's order, with its
    settings); a CRM's are every pipeline's."""
    if all(d.pipeline is None for d in placing.crm_stages):
        return placing
    mine = tuple(
        d for d in placing.crm_stages if d.pipeline is None or keys.get(d.pipeline) == pipeline
    )
    return dataclasses.replace(placing, crm_stages=mine)


def _maps_no_row_has(
    entries: Sequence[str],
    rows: Sequence[Pending],
    invalid: Mapping[StageLabel, int],
    labels_of: Callable[[StageLabel], tuple[str, ...]],
    same: Callable[[str], str],
) -> list[str]:
    """The map entries whose label no row of the file has (already imported and invalid
    rows included): a misspelt label maps nothing, and with --create-stages the label it
    meant becomes a stage or pipeline of its own."""
    if not entries:
        return []  # (most imports: no label of 100k rows is looked at)
    labels = {text for row in rows for text in labels_of(row.label)}
    labels |= {text for label in invalid for text in labels_of(label)}
    found = {same(label) for label in labels}
    return [
        entry for entry in entries if "=" in entry and same(entry.rpartition("=")[0]) not in found
    ]


def _check_maps_used(entries: Sequence[str], used: set[str], pipelines: Sequence[str]) -> None:
    """Each --stage-map entry must name a stage of a pipeline the rows go into (their
    names: ``pipelines``)."""
    for entry in entries:
        if entry not in used:
            raise map_into_no_stage(entry, pipelines)


def _kept_ids(rows: Sequence[Pending], next_id: int) -> dict[int, int]:
    """Deal ids of our own CSV that can be kept (never used here): id -> line of the row."""
    kept: dict[int, int] = {}
    for row in rows:
        if row.deal_id is not None and row.deal_id >= next_id and row.deal_id not in kept:
            kept[row.deal_id] = row.line
    return kept
