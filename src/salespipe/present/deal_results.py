"""The results of the deal commands (add, edit, move, …, list, show, log, delete, undo):
each one's JSON form (``to_dict()``) and, below, its view for people.

The views are registered in :mod:`salespipe.present.results`; the CLI hands a result to
:func:`salespipe.cli.output.result` and never decides between JSON and text itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from salespipe.core import clock, fmt, parse
from salespipe.core.i18n import _
from salespipe.core.model import (
    Deal,
    Event,
    PipelineDef,
    Record,
    Stage,
    currencies_then,
    deal_to_dict,
    record_to_dict,
    several_pipelines,
)
from salespipe.present import views
from salespipe.present.parts import Noted, Part
from salespipe.present.render import Block

if TYPE_CHECKING:  # the use cases are not loaded to print a result (start-up time)
    from salespipe.app.pipeline import Change, UndoableChange


def deal_json(deal: Deal, stages: Sequence[Stage]) -> dict[str, object]:
    """A deal as every deal command prints it with --json (``stages``: all of them, so
    that its pipeline is named when there are several)."""
    by_key = {s.key: s for s in stages}
    several = several_pipelines(stages)
    return deal_to_dict(deal, by_key.get(deal.stage), clock.now(), pipeline=several)


def _events_json(events: Sequence[Event], undone: set[int] | frozenset[int]) -> list[Any]:
    return [{**e.to_dict(), "undone": e.change in undone} for e in events]


@dataclass(frozen=True)
class DealChanged:
    """A change to one deal: the deal as it is now, and the sentence that says what
    happened (worded by the command, which knows what was asked)."""

    change: Change
    sentence: str
    # The JSON says whether the command changed the deal (``"changed": true/false``):
    # move, edit and next can be asked for what the deal already has.
    says_if_changed: bool = False

    def to_dict(self) -> dict[str, object]:
        data = deal_json(self.change.deal, self.change.stages)
        if self.says_if_changed:
            data["changed"] = bool(self.change.events)
        return data


@dataclass(frozen=True)
class DealDeleted:
    change: Change
    deal_id: int

    @property
    def deal(self) -> Deal:
        before = self.change.deals_before[self.deal_id]
        assert before is not None
        return before

    def to_dict(self) -> dict[str, object]:
        return {"deleted": deal_json(self.deal, self.change.stages)}


@dataclass(frozen=True)
class NothingDeleted:
    """``delete`` answered "no" at its question."""

    deal_id: int

    def to_dict(self) -> dict[str, object]:
        return {"deleted": None}


@dataclass(frozen=True)
class Undone:
    """What ``undo`` took back."""

    change: Change

    @property
    def undid(self) -> Any:
        return (self.change.events[-1].after or {}).get("undid")

    @property
    def by(self) -> str | None:
        """Who made the change taken back, as the undo event records it (``by``)."""
        by = (self.change.events[-1].after or {}).get("by")
        return by if isinstance(by, str) else None

    @property
    def made_at(self) -> str | None:
        """When the change taken back was recorded, as the undo event records it."""
        made_at = (self.change.events[-1].after or {}).get("made_at")
        return made_at if isinstance(made_at, str) else None

    @property
    def by_someone_else(self) -> bool:
        """Whether the change taken back was not the undoer's (a shared data file's undo
        takes back the latest change whoever made it; a server's, only your own)."""
        return self.by is not None and self.by != self.change.events[-1].who

    @property
    def description(self) -> str:
        """The change taken back, in words."""
        after = self.change.events[-1].after or {}
        titles = {d.id: d.title for d in self.change.deals}
        by_key = {s.key: s for s in self.change.stages}
        return views.describe_change(after.get("command", ""), self.change.undone, titles, by_key)

    def to_dict(self) -> dict[str, object]:
        after = self.change.events[-1].after or {}
        stages = self.change.stages
        return {
            "undid": {
                "change": after.get("undid"),
                "command": after.get("command"),
                "description": self.description,
                "by": self.by,
                "at": self.made_at,
            },
            "deals": [deal_json(d, stages) for d in self.change.deals],
            # The deals it took away (an add's, an import's), as hooks are told them.
            "removed": list(self.change.removed),
            "stages": [s.to_record() for s in stages],
        }


@dataclass(frozen=True)
class UndoList:
    """``undo --list``: the changes undo can take back, the next one first."""

    changes: list[UndoableChange]
    titles: dict[int, str]
    stages: list[Stage]
    pipelines: dict[str, str] = field(default_factory=dict)  # names by key

    def to_dict(self) -> list[dict[str, object]]:
        by_key = {s.key: s for s in self.stages}
        return [
            {
                "change": c.change,
                "command": c.command,
                "at": c.at.isoformat(timespec="seconds"),
                "who": c.who,
                "deals": c.deal_ids,
                "description": views.describe_change(
                    c.command, c.events, self.titles, by_key, self.pipelines
                ),
                "refused": c.refused,
            }
            for c in self.changes
        ]


@dataclass(frozen=True)
class DealList:
    """The deals ``list`` chose, as stored records; ``records`` is let go of as it is
    printed, so a result is printed once. ``matched``: how many matched before the limit;
    ``by_default``: the limit was not asked for (the text then says how to see all)."""

    records: list[Record]
    stages: list[Stage]
    now: datetime
    columns: Sequence[str]
    matched: int
    pipeline_is_new: bool  # no deal was ever added: the text says how to begin
    by_default: bool = False
    several: bool = False  # the database has several pipelines: each deal names its own
    per_status: bool = False  # every status was asked for: the total names each one found
    columns_asked: bool = False  # --columns named them: none gives way to a title

    def to_dict(self) -> Iterator[dict[str, object]]:
        by_key = {s.key: s for s in self.stages}
        several = self.several
        return (
            record_to_dict(r, by_key.get(r["stage"]), self.now, pipeline=several)
            for r in self.records
        )


def pipeline_names(pipelines: Sequence[PipelineDef]) -> dict[str, str]:
    """Each pipeline's name as people read it, by key: how ``show`` and ``log`` name
    them (empty when there is one: then none is named)."""
    if len(pipelines) < 2:
        return {}
    return {p.key: parse.pipeline_name(p) for p in pipelines}


@dataclass(frozen=True)
class DealDetail:
    """``show``: one deal, its stage and its history in the order things happened."""

    deal: Deal
    stages: list[Stage]
    events: list[Event]
    undone: set[int]
    pipelines: dict[str, str] = field(default_factory=dict)  # key -> name, when several

    def to_dict(self) -> dict[str, object]:
        data = deal_json(self.deal, self.stages)
        stage = next((s for s in self.stages if s.key == self.deal.stage), None)
        data["guide"] = stage.guide if stage else ""
        data["events"] = _events_json(self.events, self.undone)
        return data


@dataclass(frozen=True)
class EventFeed:
    """``log``: the newest events first."""

    events: list[Event]
    stages: list[Stage]
    undone: set[int]
    pipelines: dict[str, str] = field(default_factory=dict)  # key -> name, when several
    currencies: dict[int, str] = field(default_factory=dict)  # each deal's now, by id

    def to_dict(self) -> list[Any]:
        return _events_json(self.events, self.undone)


@dataclass(frozen=True)
class WatchedChange:
    """``watch``: one change someone committed; its events as ``log`` shows them."""

    events: list[Event]
    stages: list[Stage]
    currencies: dict[int, str] = field(default_factory=dict)  # its deals' just after it

    def to_dict(self) -> list[Any]:
        return _events_json(self.events, frozenset())


def changed_view(result: DealChanged) -> str:
    return result.sentence


def deleted_view(result: DealDeleted) -> str:
    return _('Deleted deal {deal_id} "{title}".').format(
        deal_id=result.deal_id, title=result.deal.title
    )


def nothing_deleted_view(result: NothingDeleted) -> str:
    return _("Nothing was deleted.")


def undone_view(result: Undone) -> str:
    if result.by_someone_else and result.made_at is not None:
        return _("Undid: {what} (change {change}, made by {who} at {when}).").format(
            what=result.description,
            change=result.undid,
            who=result.by,
            when=fmt.moment(datetime.fromisoformat(result.made_at)),
        )
    return _("Undid: {what} (change {change}).").format(
        what=result.description, change=result.undid
    )


def undo_list_view(result: UndoList) -> str | list[Part]:
    if not result.changes:
        return _("There is nothing to undo.")
    table = views.undo_table(result.changes, result.titles, result.stages, result.pipelines)
    refused = result.changes[0].refused
    if refused is None:
        return [table]
    return [table, Noted(views.undo_refused(refused))]


def list_view(result: DealList) -> str | list[Part]:
    if not result.records and result.pipeline_is_new:
        return views.how_to_start()
    shown = len(result.records)
    columns = result.columns
    if not result.columns_asked:
        columns = views.default_columns(result.records)
    table = views.deal_table(
        _handed_over(result.records),
        result.stages,
        result.now,
        columns,
        result.matched,
        per_status=result.per_status,
        columns_asked=result.columns_asked,
    )
    if result.by_default and result.matched > shown:
        return [table, Noted(views.how_to_see_all(shown, result.matched))]
    return [table]


def detail_view(result: DealDetail) -> list[Block]:
    return views.deal_detail(
        result.deal,
        result.stages,
        result.events,
        clock.now(),
        result.undone,
        pipelines=result.pipelines,
    )


def feed_view(result: EventFeed) -> list[Block]:
    return [
        views.event_table(
            result.events,
            result.stages,
            undone=result.undone,
            pipelines=result.pipelines,
            currencies=result.currencies,
        )
    ]


def watched_view(result: WatchedChange) -> list[Part]:
    by_key = {s.key: s for s in result.stages}
    then = currencies_then(result.events, result.currencies)
    return [views.event_line(event, by_key, then.get(event.seq)) for event in result.events]


def _handed_over(records: list[Record]) -> Iterator[Record]:
    """The records in order, each let go of as it is taken: listing all 100k deals must
    not hold every record until the whole table is made."""
    records.reverse()
    while records:
        yield records.pop()
