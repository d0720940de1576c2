"""What a report reads: the open or all deal records, now or as of the end of a past day.

Everyday reports (chart, board, stale, check, agenda) ask questions of the open deals
(:class:`OpenDeals`): the database answers them now, the records a replay gives back
``as_of`` a past day; history reports go through every deal's record. Only ``as_of``
reads the event journal, replaying it to the end of that day (docs/reports.md,
"Looking back: --as-of"). The records are stored deal records, to be gone through once
(see :mod:`salespipe.core.tally`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from salespipe.core import clock, tally
from salespipe.core.model import PipelineDef, Record, Stage, pathless, stages_in

if TYPE_CHECKING:
    from salespipe.core.change_rows import ChangeRow
    from salespipe.storage.history import Asks, Totals
    from salespipe.storage.port import ReadView
    from salespipe.storage.queries import Dated, OpenWhere, Page, StageSum


class Asked(Protocol):
    """What answers the everyday questions: a read of the database (the storage port's
    query seam) or records at hand (:class:`~salespipe.storage.queries.OverRecords`)."""

    def stage_totals(self, where: OpenWhere) -> list[StageSum]: ...
    def stale_deals(self, now: datetime, where: OpenWhere, limit: int | None = ...) -> Page: ...
    def due_by(
        self,
        what: Dated,
        until: date,
        where: OpenWhere,
        limit: int | None = ...,
        since: date | None = ...,
    ) -> Page: ...
    def open_page(self, where: OpenWhere, order: str, limit: int | None, now: datetime) -> Page: ...


@dataclass(frozen=True)
class OpenDeals:
    """The open deals a report is about (one owner's, one pipeline's, or all), and the
    questions it asks of them."""

    asked: Asked
    where: OpenWhere

    @classmethod
    def of(cls, records: Iterable[Record], stages: Iterable[Stage]) -> OpenDeals:
        """The open deals among records at hand."""
        from salespipe.storage.queries import OpenWhere, OverRecords

        return cls(OverRecords(records, list(stages)), OpenWhere())

    def in_stage(self, key: str) -> OpenDeals:
        """Only those in the stage ``key``."""
        keys = self.where.stages
        narrowed = frozenset((key,)) if keys is None or key in keys else frozenset()
        return OpenDeals(self.asked, self.where._replace(stages=narrowed))

    def unplanned(self) -> OpenDeals:
        """Only those without a next action."""
        return OpenDeals(self.asked, self.where._replace(unplanned=True))

    def stage_totals(self) -> list[StageSum]:
        return self.asked.stage_totals(self.where)

    def stale(self, now: datetime, limit: int | None = None) -> Page:
        return self.asked.stale_deals(now, self.where, limit)

    def due_by(
        self, what: Dated, until: date, limit: int | None = None, since: date | None = None
    ) -> Page:
        """The first ``limit`` (all with None) whose ``what`` falls on ``until`` or
        before (from ``since`` on, when given), and how many there are."""
        return self.asked.due_by(what, until, self.where, limit, since)

    def due_before(self, what: Dated, day: date, limit: int | None = None) -> Page:
        return self.due_by(what, day - timedelta(days=1), limit)

    def first(self, order: str, limit: int | None, now: datetime) -> Page:
        return self.asked.open_page(self.where, order, limit, now)

    def count(self, now: datetime) -> int:
        return self.first("id", 0, now).matched


class HistoryAsked(Protocol):
    """What may add up the history reports' totals (the storage port's history seam)."""

    def history_totals(self, where: OpenWhere, asks: Asks) -> Totals | None: ...


class Source(Asked, HistoryAsked, Protocol):
    """What a report needs of a consistent read of the database."""

    def config(self) -> dict[str, Any]: ...
    def stages(self) -> list[Stage]: ...
    def pipelines(self) -> list[PipelineDef]: ...
    def open_records(self) -> list[Record]: ...
    def all_records(self) -> Iterator[Record]: ...
    def event_records(self) -> Iterator[Record]: ...
    def undone_changes(self) -> set[int]: ...


class Placed(NamedTuple):
    """Open deals that sit in a stage only because the import put them there: deals
    imported closed without the stage they closed from (core/model.py ``pathless``),
    seen as of a day before they closed. How many in the stage ``key`` (named ``name``)."""

    key: str
    name: str
    deals: int


def placed_of(counts: Mapping[str, int], stages: Sequence[Stage]) -> list[Placed]:
    """The deals counted per stage key, as a :class:`Placed` per stage of ``stages``
    that holds some, in pipeline order (a stage not among them is not counted: nor are
    its deals in the report)."""
    ordered = sorted(stages, key=lambda s: s.position)
    return [Placed(s.key, s.name, counts[s.key]) for s in ordered if counts.get(s.key)]


def with_placed(data: dict[str, Any], placed: Sequence[Placed]) -> dict[str, Any]:
    """A report's JSON with ``"stage_unknown"``, the deals counted in a stage only
    because the import put them there, per stage key, when there are some (a key only
    then, so the JSON of every other report stays as it was)."""
    if placed:
        data["stage_unknown"] = {p.key: p.deals for p in placed}
    return data


def placed_in(records: Iterable[Record], stages: Sequence[Stage]) -> list[Placed]:
    """Of these open deals' records, those in a stage only because the import put them
    there, per stage of ``stages``."""
    return placed_of(Counter(r["stage"] for r in records if pathless(r)), stages)


@dataclass
class Scope:
    """What a report runs on: deal records, the stages, and the moment it is computed for;
    for a report of the open deals, the questions it asks of them."""

    records: Iterable[Record]  # to be gone through once
    stages: list[Stage]
    now: datetime
    pipeline_name: str = ""  # the one pipeline read, when the database has several
    open_deals: OpenDeals | None = None  # None for a history report of a past day
    # For a history report: the database, asked for its totals first (None: a replay).
    history: HistoryAsked | None = None
    # For a history report of one pipeline: the records whose stays count (every deal's
    # of the owner asked, wherever it is now: a deal moved on keeps its stays here).
    stays_records: Iterable[Record] | None = None
    # The pipelines as they stood at ``now`` (named as then, for --as-of).
    pipelines: list[PipelineDef] = field(default_factory=list)
    # For --as-of: the open deals then that were imported closed without the stage they
    # closed from, per stage key the import put them in (none now: they are closed).
    unknown_stage_counts: dict[str, int] = field(default_factory=dict)
    # The config's currency: a report that draws one chart per currency draws its first.
    currency: str = ""

    @property
    def open(self) -> OpenDeals:
        if self.open_deals is None:
            raise TypeError("this report's scope asks no question of the open deals")
        return self.open_deals

    def totals(self, asks: Asks, *, keep_open: bool = False) -> Totals:
        """What a history report asks of its deals: added up by the database when it
        can, else in one pass over the records (with ``keep_open``, keeping the open
        deals' records when it reads them)."""
        from salespipe.storage import history

        if self.history is not None and self.open_deals is not None:
            found = self.history.history_totals(self.open_deals.where, asks)
            if found is not None:
                return found
        if not (asks.stays and self.stays_records is not None):
            return history.fold_records(self.records, self.stages, asks, keep_open=keep_open)
        found = history.fold_records(
            self.records, self.stages, asks._replace(stays=False), keep_open=keep_open
        )
        asks_stays = history.Asks(asks.now, stays=True)
        stays = history.fold_records(self.stays_records, self.stages, asks_stays)
        return replace(found, stays=history.stays_in(stays.stays, {s.key for s in self.stages}))

    def placed(self) -> list[Placed]:
        """The open deals counted in a stage only because the import put them there,
        per stage as the report names them (none but ``--as-of`` a day before they
        closed)."""
        return placed_of(self.unknown_stage_counts, self.stages)

    def has_deals(self) -> bool:
        """Whether a history report's scope holds any deal (its records are kept if
        they must be read to tell)."""
        from salespipe.core.tally import Period
        from salespipe.storage.history import Asks

        if self.history is not None and self.open_deals is not None:
            if self.open_deals.count(self.now):
                return True
            found = self.history.history_totals(
                self.open_deals.where, Asks(self.now, closed=Period())
            )
            if found is not None:
                return bool(found.closed)
        self.records = list(self.records)  # one owner's deals: few enough to hold
        return bool(self.records)


def scope(
    source: Source,
    *,
    history: bool,
    owner: str | None = None,
    as_of: date | None = None,
    pipeline: str | None = None,
) -> Scope:
    """The open deals (or, with ``history``, all deals) of ``owner`` (or everyone's), as
    they are now or, with ``as_of``, as they stood at the end of that day; with
    ``pipeline`` (a key), only the deals then in that pipeline, and its stages."""
    from salespipe.app import settings
    from salespipe.reports import timeline
    from salespipe.storage.queries import OpenWhere, OverRecords

    stages = source.stages()
    pipelines = source.pipelines()
    records: Iterable[Record]
    asked: Asked = source
    then: list[Record] = []  # every deal as of the day (--as-of)
    if as_of is None:
        now = clock.now()
        records = _when_read(source.all_records if history else source.open_records)
    else:
        now = timeline.cutoff(as_of)
        past = timeline.replay(source.event_records(), source.undone_changes(), now)
        records = then = past.records()
        held = {record["stage"] for record in records}
        stages = timeline.roll_back_stages(stages, past.later_stage_events, held)
        in_use = {s.pipeline for s in stages if s.key in held}
        pipelines = timeline.roll_back_pipelines(pipelines, past.later_pipeline_events, in_use)
        if not history:
            records = tally.open_only(records)
            asked = OverRecords(records, stages)
    keys = None
    stays_records: Iterable[Record] | None = None
    named = ""
    if pipeline is not None:
        named = _pipeline_name(pipelines, pipeline)
        keys = frozenset(s.key for s in stages if s.pipeline == pipeline)
        if history:
            again = then if as_of is not None else _when_read(source.all_records)
            stays_records = tally.owned_by(again, owner)
        records = in_stages(records, set(keys))
        stages = stages_in(stages, pipeline)
    deals: OpenDeals | None = OpenDeals(asked, OpenWhere(owner, keys))
    if history and as_of is not None:
        deals = None  # a replayed history is folded, and its open deals with it
    counts = _unknown_stage_counts(then, owner, keys)
    return Scope(
        tally.owned_by(records, owner),
        stages,
        now,
        pipeline_name=named,
        open_deals=deals,
        history=source if history and as_of is None else None,
        stays_records=stays_records,
        pipelines=pipelines,
        unknown_stage_counts=counts,
        currency=source.config().get("currency") or settings.DEFAULTS["currency"],
    )


def _unknown_stage_counts(
    records: list[Record], owner: str | None, keys: frozenset[str] | None
) -> dict[str, int]:
    """Of the deals replayed (none now), the open ones of ``owner`` (or everyone's) in
    the stages ``keys`` (or any) that sit in a stage only because the import put them
    there, per stage key: read from the records the replay holds, on every backend."""
    found = tally.open_only(tally.owned_by((r for r in records if pathless(r)), owner))
    return dict(Counter(r["stage"] for r in found if keys is None or r["stage"] in keys))


def each_pipeline(
    source: Source,
    *,
    history: bool,
    owner: str | None = None,
    as_of: date | None = None,
) -> list[tuple[PipelineDef, Scope]]:
    """One scope per pipeline, in the pipelines' order (--pipeline all); with ``as_of``,
    each named and ordered as it was then (one made since, with no deal then, left out)."""
    scopes = [
        (p, scope(source, history=history, owner=owner, as_of=as_of, pipeline=p.key))
        for p in source.pipelines()
    ]
    if as_of is not None and scopes:
        then = {p.key: p for p in scopes[0][1].pipelines}
        scopes = [(then[p.key], found) for p, found in scopes if p.key in then]
    return sorted(scopes, key=lambda pair: pair[0].position)


def every_pipeline(
    source: Source,
    *,
    history: bool,
    owner: str | None = None,
    as_of: date | None = None,
) -> Scope:
    """One scope of every deal: each pipeline has a "Presented", so each stage is named
    with its pipeline ("Sales: Presented"), and the stages run pipeline by pipeline,
    numbered on (positions count per pipeline)."""
    from salespipe.core import parse

    every = scope(source, history=history, owner=owner, as_of=as_of)
    pipelines = sorted(every.pipelines, key=lambda p: p.position)  # (as then, for --as-of)
    order = {p.key: i for i, p in enumerate(pipelines)}
    names = {p.key: parse.pipeline_name(p) for p in pipelines}
    every.stages.sort(key=lambda s: (order.get(s.pipeline, len(order)), s.position))
    every.stages[:] = [
        replace(s, name=f"{names.get(s.pipeline, s.pipeline)}: {s.name}", position=number)
        for number, s in enumerate(every.stages, start=1)
    ]
    return every


def _pipeline_name(pipelines: Sequence[PipelineDef], key: str) -> str:
    """The name of the pipeline read, when the database has several ("" otherwise: its
    reports are as they always were)."""
    from salespipe.core import parse

    if len(pipelines) < 2:
        return ""
    return next((parse.pipeline_name(p) for p in pipelines if p.key == key), key)


def _when_read(read: Callable[[], Iterable[Record]]) -> Iterator[Record]:
    """The records ``read`` gives, read only if a report goes through them."""
    yield from read()


def in_stages(records: Iterable[Record], keys: set[str]) -> Iterator[Record]:
    """The records of deals in one of these stages (one pipeline's)."""
    return (r for r in records if r["stage"] in keys)


# -- the reports that replay the history of one pipeline (backtest, slips) ---------------
def pipeline_stages(view: ReadView, pipeline: str | None) -> list[Stage]:
    """The stages of ``pipeline`` (every stage when None: the database has one)."""
    stages = view.stages()
    return stages if pipeline is None else stages_in(stages, pipeline)


def stages_named_for(view: ReadView, pipeline: str | None) -> list[Stage]:
    """The pipeline's stages, then every other pipeline's, named with their pipeline
    ("Presented (Sales)"): a deal moved across was pushed in a stage of another
    pipeline, which slips then names as it names its own, not by its key."""
    from salespipe.core import parse

    own = pipeline_stages(view, pipeline)
    if pipeline is None:
        return own
    names = {p.key: parse.pipeline_name(p) for p in view.pipelines()}
    others = [s for s in view.stages() if s.pipeline != pipeline]
    return [
        *own,
        *(
            replace(s, name=f"{s.name} ({names.get(s.pipeline, s.pipeline)})", position=number)
            for number, s in enumerate(others, start=len(own) + 1)
        ),
    ]


def rows_of_pipeline(
    view: ReadView, rows: Iterable[ChangeRow], pipeline: str | None, *, deleted_too: bool = False
) -> Iterable[ChangeRow]:
    """The change rows of the events of the deals now in ``pipeline`` (all when None);
    with ``deleted_too``, of the deals deleted while in it as well: for the backtest, a
    deletion made since takes back nothing the deal did before (with several pipelines
    its win was left out). The slips of a pipeline leave them out, as a server's kept
    totals do (a deal deleted is in no pipeline there)."""
    if pipeline is None:
        return rows
    keys = {s.key for s in pipeline_stages(view, pipeline)}
    live: set[int] = set()
    ids: set[int] = set()
    for record in view.all_records():
        live.add(record["id"])
        if record["stage"] in keys:
            ids.add(record["id"])
    if not deleted_too:
        return (row for row in rows if row[2] in ids)
    return _with_the_deleted(rows, ids, live, keys, view.undone_changes())


def _with_the_deleted(
    rows: Iterable[ChangeRow],
    ids: set[int],
    live: set[int],
    keys: set[str],
    undone: set[int],
) -> Iterator[ChangeRow]:
    """The rows of ``ids`` in order, then those of each deleted deal (not ``live``) whose
    stage was one of ``keys`` when it was deleted (a deal's rows stay in their order;
    the replays read each deal apart)."""
    deleted: dict[int, list[ChangeRow]] = {}
    stage_of: dict[int, str] = {}
    for row in rows:
        deal_id = row[2]
        if deal_id in ids:
            yield row
        elif deal_id is not None and deal_id not in live:
            deleted.setdefault(deal_id, []).append(row)
            stage = (row[5] or {}).get("stage")
            if stage is not None and row[0] not in undone and row[1] != "undo":
                stage_of[deal_id] = stage
    for deal_id, held in deleted.items():
        if stage_of.get(deal_id) in keys:
            yield from held
