"""The bookkeeping every use case shares: one transaction, its events, its result."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from salespipe.app import scope, settings
from salespipe.app.reading import deal_not_found
from salespipe.core import clock, fmt, parse
from salespipe.core.errors import InvalidValue, NoDataFile
from salespipe.core.i18n import N_, _
from salespipe.core.limits import MAX_REASON
from salespipe.core.model import (
    Deal,
    Event,
    PipelineDef,
    Record,
    Stage,
    Stay,
    renumbered,
    stages_in,
)
from salespipe.storage import is_postgres_target

if TYPE_CHECKING:
    from salespipe.storage.port import WriteTransaction


@dataclass
class Change:
    """What one command changed: its events and the objects as they are now."""

    events: list[Event] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    deals_before: dict[int, Deal | None] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)  # all stages after the change
    pipelines: list[PipelineDef] = field(default_factory=list)  # all, after the change
    created: str | None = None  # the database (its location), when this change created it
    undone: list[Event] = field(default_factory=list)  # an undo: the events it took back
    removed: list[int] = field(default_factory=list)  # an undo: the deals it took out

    @property
    def deal(self) -> Deal:
        return self.deals[0]


def record_diff(before: Record, after: Record) -> tuple[Record, Record]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


class Work:
    """One open transaction with the bookkeeping every use case needs."""

    def __init__(
        self,
        tx: WriteTransaction,
        command: str,
        who: str,
        chosen_pipeline: str | None = None,
        named: str | None = None,
    ) -> None:
        self.tx = tx
        self.named = named  # the database's location, if the user named it (Pipeline.named)
        self.command = command
        self.who = who
        self.now = clock.now()
        self.change = Change()
        self._stages: list[Stage] | None = None
        self._pipelines: list[PipelineDef] | None = None
        self.chosen_pipeline = chosen_pipeline  # --pipeline, else the current one
        # Events recorded straight to the transaction, not kept in ``change`` (an
        # import's hundreds of thousands): they count as a change all the same.
        self.unlisted_events = 0
        # A backup restored whole: a change however many events it held, its flags as
        # the backup had them (a demo's too).
        self.restored = False

    @property
    def config(self) -> dict[str, Any]:
        return settings.effective(self.tx.config())

    @property
    def stages(self) -> list[Stage]:
        if self._stages is None:
            self._stages = self.tx.stages()
        return self._stages

    @property
    def pipelines(self) -> list[PipelineDef]:
        if self._pipelines is None:
            self._pipelines = self.tx.pipelines()
        return self._pipelines

    @property
    def pipeline(self) -> PipelineDef:
        """The pipeline the command acts on (``--pipeline``, else the current one)."""
        return scope.current(self.pipelines, self.tx.config(), self.chosen_pipeline)

    @property
    def pipeline_stages(self) -> list[Stage]:
        """The stages of :attr:`pipeline`, in order."""
        return stages_in(self.stages, self.pipeline.key)

    def deal_stages(self, deal: Deal) -> list[Stage]:
        """The stages of the deal's pipeline, in order."""
        return scope.deal_stages(deal.stage, self.stages)

    def deal(self, deal_id: int) -> Deal:
        found = self.tx.get_deal(deal_id)
        if found is None:
            if not self.tx.exists and self.named:  # a mistyped --db: the file is missing
                raise NoDataFile(self.named, server=is_postgres_target(self.named))
            raise deal_not_found(self.tx, deal_id)
        return found

    def event(
        self,
        kind: str,
        at: datetime,
        *,
        deal_id: int | None = None,
        reason: str | None = None,
        text: str | None = None,
        before: Record | None = None,
        after: Record | None = None,
    ) -> Event:
        seq = self.tx.allocate_seq()
        event = self.new_event(
            seq, kind, at, deal_id, reason=reason, text=text, before=before, after=after
        )
        self.tx.record(event)
        self.change.events.append(event)
        return event

    def new_event(
        self,
        seq: int,
        kind: str,
        at: datetime,
        deal_id: int | None = None,
        *,
        reason: str | None = None,
        text: str | None = None,
        before: Record | None = None,
        after: Record | None = None,
    ) -> Event:
        """An event of this change numbered ``seq``, not recorded yet (an import numbers
        its events itself)."""
        return Event(
            seq=seq,
            change=self.tx.change_id(),
            type=kind,
            at=at,
            recorded_at=self.now,
            who=self.who,
            command=self.command,
            deal_id=deal_id,
            reason=reason,
            text=text,
            before=before,
            after=after,
        )

    def save(
        self,
        kind: str,
        before: Deal | None,
        after: Deal | None,
        at: datetime,
        *,
        reason: str | None = None,
        text: str | None = None,
    ) -> None:
        """Store a deal's new state and record the event that explains it."""
        if before is None and after is not None:
            diff: tuple[Record | None, Record | None] = (None, after.to_record())
        elif after is None and before is not None:
            diff = (before.to_record(), None)
        elif before is not None and after is not None:
            diff = record_diff(before.to_record(), after.to_record())
        else:  # pragma: no cover - a use case always passes one side
            raise ValueError("save needs a deal")
        deal = after or before
        assert deal is not None
        if after is None:
            self.tx.delete_deal(deal.id)
        else:
            self.tx.save_deals([after])
            self.change.deals.append(after)
        self.change.deals_before[deal.id] = before
        self.event(
            kind, at, deal_id=deal.id, reason=reason, text=text, before=diff[0], after=diff[1]
        )

    def save_stages(
        self,
        kind: str,
        new: Sequence[Stage],
        *,
        reason: str | None = None,
        pipeline: str | None = None,
    ) -> None:
        """Store the stages ``new`` (all of them, or with ``pipeline``: that pipeline's,
        the others kept) and record the event of those that changed."""
        old = {s.key: s.to_record() for s in self.stages}
        if pipeline is not None:
            kept = [s for s in self.stages if s.pipeline != pipeline]
            new = [*kept, *(dataclasses.replace(s, pipeline=pipeline) for s in new)]
        ordered = renumbered(new)
        for stage in ordered:  # as no setting is written that the file would refuse
            if not stage.is_well_formed():
                raise InvalidValue(
                    _(
                        'The stage "{name}" cannot be stored so (a probability is a whole '
                        "number from 0 to 100, target days a whole number or none)."
                    ).format(name=stage.name)
                )
        fresh = {s.key: s.to_record() for s in ordered}
        keys = [k for k in {**old, **fresh} if old.get(k) != fresh.get(k)]
        self.tx.save_stages(ordered)
        self._stages = list(ordered)
        self.change.stages = list(ordered)
        self.event(
            kind,
            self.now,
            reason=reason,
            before={k: old.get(k) for k in keys},
            after={k: fresh.get(k) for k in keys},
        )

    def save_pipelines(self, kind: str, new: Sequence[PipelineDef]) -> None:
        """Store the pipelines ``new`` (renumbered in this order) and record the event of
        those that changed."""
        old = {p.key: p.to_record() for p in self.pipelines}
        ordered = [dataclasses.replace(p, position=i) for i, p in enumerate(new, start=1)]
        fresh = {p.key: p.to_record() for p in ordered}
        keys = [k for k in {**old, **fresh} if old.get(k) != fresh.get(k)]
        self.tx.save_pipelines(ordered)
        self._pipelines = list(ordered)
        self.change.pipelines = list(ordered)
        self.event(
            kind,
            self.now,
            before={k: old.get(k) for k in keys},
            after={k: fresh.get(k) for k in keys},
        )

    def when(self, at: datetime | None, deal: Deal | None, *, anywhere: bool = False) -> datetime:
        """The time a change happened: now, or a backdated ``--at`` checked against history.

        A change of the deal's state may not come before its previous event; one that
        changes nothing of it (``anywhere``: a note) may, as long as the deal existed then.
        """
        if at is None:
            return self.now if deal is None else max(self.now, deal.updated_at)
        # Times are kept to the second: `now` read earlier in this second is not later.
        at = at.replace(microsecond=0)
        if at > self.now:
            raise InvalidValue(_("The time {time} is in the future.").format(time=fmt.moment(at)))
        if deal is not None and anywhere and at < deal.created_at:
            time, created = fmt.moments(at, deal.created_at)
            raise InvalidValue(
                _("The time {time} is before deal {deal_id} was created ({created}).").format(
                    time=time, deal_id=deal.id, created=created
                )
            )
        if deal is not None and not anywhere and at < deal.updated_at:
            time, previous = fmt.moments(at, deal.updated_at)
            problem = _("The time {time} is before deal {deal_id}'s previous event ({previous})")
            raise InvalidValue(
                _("{problem}; {remedy}.").format(
                    problem=problem.format(time=time, deal_id=deal.id, previous=previous),
                    remedy=self._how_to_go_on(deal),
                )
            )
        return at

    def _how_to_go_on(self, deal: Deal) -> str:
        """Which event is the deal's last (a note written today, say, before a win dated
        yesterday is recorded), and ``undo`` to take it back only where undo would take
        back that change next (another deal's change may be newer)."""
        latest = [e for e in self.tx.events(deal.id) if e.at == deal.updated_at]
        if not latest:  # (an import can date a deal's last change without an event)
            return _("a deal's changes are dated in the order they are made: give a later time")
        event = latest[-1]
        undoable = self.tx.undo_list(by=self.tx.user())
        next_undo = undoable[-1] if undoable else None
        if next_undo and next_undo.change == event.change and event.command in _ONE_DEALS:
            return _(
                "a deal's changes are dated in the order they are made (its last: "
                "`salespipe {command}`): give a later time, or take that one back with "
                "`salespipe undo` and make the two in order"
            ).format(command=event.command)
        return _(
            "a deal's changes are dated in the order they are made (its last: "
            "`salespipe {command}`): give a later time"
        ).format(command=event.command)

    def require_reason(self, reason: str | None, what: str) -> str | None:
        """Check a reason; ``what`` (marked with ``N_``) is the action that needs one."""
        if reason is not None:
            reason = parse.text(reason, what=N_("reason"), multiline=True, max_length=MAX_REASON)
        if self.config["require_reason"] and not (reason and reason.strip()):
            raise InvalidValue(
                _("A reason is required to {action} (config require_reason); add --reason.").format(
                    action=_(what)
                )
            )
        return reason


# The commands whose change is of one deal: undo takes back that deal's change alone (not
# an import of many, nor a stage's change that moved several).
_ONE_DEALS = frozenset(("add", "edit", "move", "won", "lost", "reopen", "note", "next", "quote"))


def close_stay(stays: tuple[Stay, ...], at: datetime) -> tuple[Stay, ...]:
    if stays and stays[-1].left is None:
        return (*stays[:-1], stays[-1]._replace(left=at))
    return stays


def moved(deal: Deal, stage_key: str, when: datetime) -> Deal:
    """The deal in another stage from ``when`` on: its stay there starts then."""
    return dataclasses.replace(
        deal,
        stage=stage_key,
        stage_entered_at=when,
        updated_at=when,
        stays=(*close_stay(deal.stays, when), Stay(stage_key, when)),
    )


def closed(deal: Deal, outcome: str, when: datetime, reason: str | None) -> Deal:
    """The open deal won or lost at ``when`` (a lost one for ``reason``): its stay ends."""
    return dataclasses.replace(
        deal,
        status="won" if outcome == "won" else "lost",
        closed_at=when,
        updated_at=when,
        lost_reason=reason if outcome == "lost" else None,
        stays=close_stay(deal.stays, when),
    )


def reopened(deal: Deal, stage_key: str, when: datetime) -> Deal:
    """The closed deal open again in ``stage_key`` from ``when`` on."""
    return dataclasses.replace(
        deal,
        status="open",
        stage=stage_key,
        closed_at=None,
        lost_reason=None,
        updated_at=when,
        stage_entered_at=when,
        stays=(*deal.stays, Stay(stage_key, when)),
    )
