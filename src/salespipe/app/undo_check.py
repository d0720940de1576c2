"""Undo in a team: may a person take back their latest change, or has a colleague built
on it since? (docs/team.md, "Undo in a team")

Taking back a change puts back what its events found. If someone else has changed the
same deal (or the same stage or setting) after it, that would silently overwrite their
work, so the undo is refused and the person is told who did what. A colleague's change
that was itself undone since no longer counts: what it did is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from salespipe.app import revert
from salespipe.core import fmt
from salespipe.core.errors import UndoConflict
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Event, PipelineDef, Stage, currencies_then

if TYPE_CHECKING:
    from salespipe.storage.port import ReadView


class Describe(Protocol):
    """One line saying what an event did, for a person (the CLI passes
    present.views.describe); ``currency``: the deal's then."""

    def __call__(
        self, event: Event, stages: dict[str, Stage], *, currency: str | None = None
    ) -> str: ...


# A change of the team is of no stage or setting (its keys are user names): it holds
# back no one's undo, and no undo takes it back (docs/team.md).
TEAM_EVENTS = "team-"

# How many of the newest events are searched for a colleague's later change of a stage
# or a setting (these are rare; a deal's events are all searched, by deal).
SETTINGS_SCAN = 1000


def check_not_overtaken(
    tx: ReadView,
    undone: Sequence[Event],
    user: str,
    stages: Sequence[Stage],
    describe: Describe | None,
) -> None:
    """Raise UndoConflict if someone other than ``user`` changed what ``undone`` touched
    after it was recorded."""
    later = _first_later_change(tx, undone, user)
    if later is None:
        return
    by_key = {s.key: s for s in stages}
    what = describe(later, by_key, currency=_currency_then(tx, later)) if describe else later.type
    raise UndoConflict(_conflict_sentence(later, what, _at(later.recorded_at)))


def _currency_then(tx: ReadView, event: Event) -> str | None:
    """The currency of the deal's amounts when ``event`` was made (a changed value is
    said in it, as ``log`` says it)."""
    if event.deal_id is None:
        return None
    deal = tx.get_deal(event.deal_id)
    now = {event.deal_id: deal.currency} if deal is not None else {}
    return currencies_then(tx.events(event.deal_id), now).get(event.seq)


def _first_later_change(tx: ReadView, undone: Sequence[Event], user: str) -> Event | None:
    """The first change by someone other than ``user`` of what ``undone`` touched, made
    after it and not taken back since, or None."""
    if not undone:
        return None
    last_seq = max(e.seq for e in undone)
    taken_back = tx.undone_changes()

    def counts(event: Event) -> bool:
        return event.seq > last_seq and event.who != user and event.change not in taken_back

    deal_ids = {e.deal_id for e in undone if e.deal_id is not None}
    later = [e for e in tx.events_after(last_seq, deal_ids) if counts(e)]
    if later:  # of the first deal (by id), its first later change
        return min(later, key=lambda e: (e.deal_id or 0, e.seq))
    keys = {
        (e.type.startswith("stage"), key)
        for e in undone
        if _of_stages_or_settings(e)
        for key in (e.after or {})
    }
    if not keys:
        return None
    since = min(e.recorded_at for e in undone).date()
    recent = tx.newest_events(SETTINGS_SCAN, since=since)
    later = [
        e
        for e in recent
        if _of_stages_or_settings(e)
        and counts(e)
        and any((e.type.startswith("stage"), key) in keys for key in (e.after or {}))
    ]
    return min(later, key=lambda e: e.seq) if later else None


def _of_stages_or_settings(event: Event) -> bool:
    """An event of no deal that changed stages or settings (not the team)."""
    return event.deal_id is None and not event.type.startswith(TEAM_EVENTS)


def _at(moment: datetime) -> str:
    return fmt.moment(moment)


def _conflict_sentence(later: Event, what: str, when: str) -> str:
    if later.deal_id is not None:
        return _(
            "{who} changed deal {deal_id} ({what}) at {time}, after your change; "
            "nothing was undone."
        ).format(who=later.who, deal_id=later.deal_id, what=what, time=when)
    return _(
        "{who} changed the same stage or setting ({what}) at {time}, after your change; "
        "nothing was undone."
    ).format(who=later.who, what=what, time=when)


def check_stages_hold(
    tx: ReadView,
    undone: Sequence[Event],
    stages_before: Sequence[Stage],
    stages: Sequence[Stage],
    pipelines: Sequence[PipelineDef],
    restored: Sequence[Deal],
) -> None:
    """Raise UndoConflict if the undo, as made (``stages`` and ``pipelines`` after it,
    ``restored`` the deals it put back), would leave a deal in a stage that is gone or
    switched off: an open deal put back where a colleague has switched the stage off
    since, or a colleague's deal in a stage (or pipeline) the undo takes away. On a file
    an undo takes back the latest change first, so this holds by itself."""
    live = {p.key for p in pipelines}
    usable = {s.key: s for s in stages if s.pipeline in live}
    made = {e.deal_id for e in undone if e.deal_id is not None and e.before is None}
    there = {s.key for s in stages}
    for deal in {d.id: d for d in restored if d.id not in made}.values():
        missing = next((stay.stage for stay in deal.stays if stay.stage not in there), None)
        if missing is not None:  # (a deleted deal brought back after its stage went)
            raise UndoConflict(
                _(
                    "Taking it back would bring back deal {deal_id}, whose history names a "
                    "stage that is not there any more ({key}); nothing was undone."
                ).format(deal_id=deal.id, key=missing)
            )
        stage = usable.get(deal.stage)
        if deal.status == "open" and stage is None:
            raise UndoConflict(
                _(
                    "Taking it back would put deal {deal_id} back in a stage that is not "
                    "there any more ({key}); nothing was undone."
                ).format(deal_id=deal.id, key=deal.stage)
            )
        if deal.status == "open" and stage is not None and not stage.enabled:
            raise UndoConflict(
                _(
                    'Taking it back would put deal {deal_id} back in the stage "{stage}", '
                    "which is switched off now; nothing was undone."
                ).format(deal_id=deal.id, stage=stage.name)
            )
    theirs = {e.deal_id for e in undone if e.deal_id is not None}
    for before in stages_before:
        after = usable.get(before.key)
        if after is not None and (after.enabled or not before.enabled):
            continue
        gone = after is None  # then a deal that only passed through it counts too: its
        # history would name a stage that is not there (as `stage remove` refuses)
        others = tx.deal_ids_in_stage(
            before.key, open_only=not gone, ever=gone, limit=len(theirs) + 1
        )
        left = [i for i in others if i not in theirs]
        if left:
            several = len({s.pipeline for s in stages_before}) > 1  # which "Presented"?
            name = f"{before.name} ({before.pipeline})" if several else before.name
            raise UndoConflict(_stage_left_sentence(left[0], name, gone=gone))


def refusal(
    view: ReadView,
    undone: Sequence[Event],
    user: str | None,
    describe: Describe | None,
) -> str | None:
    """The sentence ``undo`` would refuse these events with, worked out without
    changing anything (``undo --list``), or None if it would take them back."""
    stages, pipelines = view.stages(), view.pipelines()
    try:
        if user is not None:
            check_not_overtaken(view, undone, user, stages, describe)
        after_stages, after_pipelines = list(stages), list(pipelines)
        restored: dict[int, Deal | None] = {}
        changed = {e.deal_id for e in undone if e.deal_id is not None and e.before is not None}
        now = view.get_deals(changed)  # as they are, read in one go
        for event in reversed(undone):
            if event.deal_id is not None:
                if event.before is None:  # made by the change: gone once it is undone
                    restored[event.deal_id] = None
                    continue
                if event.deal_id in restored:
                    current = restored[event.deal_id]
                else:
                    current = now.get(event.deal_id)
                restored[event.deal_id] = revert.deal_before(event, current)
            elif event.type.startswith("stage"):
                after_stages = revert.stages_before(event, after_stages)
            elif event.type.startswith("pipeline"):
                after_pipelines = revert.pipelines_before(event, after_pipelines)
        kept = [deal for deal in restored.values() if deal is not None]
        check_stages_hold(view, undone, stages, after_stages, after_pipelines, kept)
    except UndoConflict as refused:
        return refused.message
    return None


def _stage_left_sentence(deal_id: int, stage: str, *, gone: bool) -> str:
    if gone:
        return _(
            'Deal {deal_id} has been in the stage "{stage}", which taking it back would '
            "remove; nothing was undone."
        ).format(deal_id=deal_id, stage=stage)
    return _(
        'Deal {deal_id} is open in the stage "{stage}" now, which taking it back would '
        "switch off; nothing was undone."
    ).format(deal_id=deal_id, stage=stage)
