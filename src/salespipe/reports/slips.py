"""How often, and by how much, expected close dates are pushed back.

Every change of a deal's expected close is an event holding the date before and
after. A *slip* is a change to a later date (from one date to another; setting a
first date or clearing it is not a slip) of a deal open after the change. Slips are
counted against the deal's owner and stage at the time of the change, both read from
the same pass over the events' change rows. For each owner and each stage: the deals
that had an expected close there while open, how many of them slipped at least once,
the slips, and the median and total days pushed.

A change after which the deal is won or lost counts nowhere: a date tidied on a lost
deal is no slip of the forecast, and a closed deal's new owner or date makes it no
dated deal of that owner. Its date is still the one the next push is measured from,
once the deal is reopened.

A backend may keep these totals as the changes are made (PostgreSQL does, by the same
rules: storage/postgres/slips.py); :func:`slips_in` then reads them instead of
replaying every event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from salespipe.core import parse
from salespipe.core.change_rows import CHANGED, REMOVED, ChangeRow
from salespipe.core.model import Stage
from salespipe.core.tally import median_and_mean, rate, rounded

if TYPE_CHECKING:
    from salespipe.storage.history import SlipTallies, SlipTally
    from salespipe.storage.port import ReadView

_FOLLOWED = ("owner", "stage", "expected_close", "status")
"""The fields of a deal a slip is counted by; an event that changes none of them
changes nothing here."""

CLOSED = ("won", "lost")
"""The statuses of a deal whose changes count nowhere in the slips."""


@dataclass
class SlipGroup:
    """The slips of one owner, or of one stage."""

    key: str
    name: str
    deals: int  # that had an expected close here
    slipped: int  # of them, pushed later at least once here
    days: list[int] = field(repr=False)  # per slip

    @property
    def share(self) -> float | None:
        return rate(self.slipped, self.deals)

    @property
    def median_days(self) -> float | None:
        return median_and_mean(self.days)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "deals": self.deals,
            "slipped_deals": self.slipped,
            "share": rounded(self.share, 4),
            "slips": len(self.days),
            "median_days": rounded(self.median_days),
            "total_days": sum(self.days),
        }


@dataclass
class _Gathered:
    """A group's deals and slips as the replay gathers them."""

    key: str
    dated: set[int] = field(default_factory=set)  # deals with a date here
    slipped: set[int] = field(default_factory=set)
    days: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Slips:
    as_of: date
    owners: list[SlipGroup]
    stages: list[SlipGroup]
    total: SlipGroup
    owner: str | None = None  # the one owner asked for (--owner), for the text

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "total": self.total.to_dict(),
            "owners": [group.to_dict() for group in self.owners],
            "stages": [group.to_dict() for group in self.stages],
        }


def slips_in(
    view: ReadView,
    *,
    as_of: date,
    owner: str | None = None,
    pipeline: str | None = None,
    changes: Callable[[], Iterable[ChangeRow]] | None = None,
) -> Slips:
    """The slips of ``view``'s deals (of those now in ``pipeline``, its stages named
    first): from the backend's totals if it keeps them, else replayed from ``changes()``
    (default: the change rows of those deals)."""
    from salespipe.reports.scope import rows_of_pipeline, stages_named_for

    stages = stages_named_for(view, pipeline)
    tallies = view.slip_tallies(owner, pipeline)
    if tallies is not None:
        found = from_tallies(tallies, stages, as_of=as_of)
    else:
        rows = (
            changes()
            if changes is not None
            else rows_of_pipeline(view, view.change_records(), pipeline)
        )
        found = slips(rows, view.undone_changes(), stages, as_of=as_of, owner=owner)
    return dataclasses.replace(found, owner=owner)


def from_tallies(tallies: SlipTallies, stages: Sequence[Stage], *, as_of: date) -> Slips:
    """The report of totals a backend kept."""

    def group(tally: SlipTally) -> SlipGroup:
        return SlipGroup(tally.key, tally.key, tally.deals, tally.slipped, tally.days)

    return _report(
        [group(t) for t in tallies.owners],
        [group(t) for t in tallies.stages],
        group(tallies.total),
        stages,
        as_of,
    )


def slips(
    rows: Iterable[ChangeRow],
    undone: Collection[int],
    stages: Sequence[Stage],
    *,
    as_of: date,
    owner: str | None = None,
) -> Slips:
    """The slips in the events' change rows (recorded order; undone changes and undos
    skipped), for every owner or only ``owner``."""
    wanted = parse.fold(owner) if owner is not None else None
    by_owner: dict[str, _Gathered] = {}
    by_stage: dict[str, _Gathered] = {}
    total = _Gathered("")
    groups_of: dict[tuple[str, str], tuple[_Gathered, ...]] = {}  # per (owner, stage)
    owner_wanted: dict[str, bool] = {}
    state: dict[int, dict[str, Any]] = {}  # per deal: owner, stage, expected_close
    for change, kind_of_event, deal_id, _at, kind, after in rows:
        if deal_id is None or kind_of_event == "undo" or change in undone:
            continue
        if kind == REMOVED:
            state.pop(deal_id, None)
            continue
        deal = state.get(deal_id)
        if deal is not None and after.keys().isdisjoint(_FOLLOWED):
            continue  # the deal stays in the groups its last change put it in
        if deal is None:
            deal = state[deal_id] = {
                "owner": "",
                "stage": "",
                "expected_close": None,
                "status": "open",
            }
        previous = deal["expected_close"]
        for name in _FOLLOWED:
            if name in after:
                deal[name] = after[name]
        if deal["status"] in CLOSED:
            continue  # a closed deal's date is not the forecast's
        who, where = deal["owner"], deal["stage"]
        if wanted is not None:
            if who not in owner_wanted:
                owner_wanted[who] = parse.fold(who or "") == wanted
            if not owner_wanted[who]:
                continue
        groups = groups_of.get((who, where))
        if groups is None:
            groups = groups_of[who, where] = (
                by_owner.get(who) or by_owner.setdefault(who, _Gathered(who)),
                by_stage.get(where) or by_stage.setdefault(where, _Gathered(where)),
                total,
            )
        if deal["expected_close"] is not None:
            for group in groups:
                group.dated.add(deal_id)
        pushed = _days_pushed(previous, after.get("expected_close") if kind == CHANGED else None)
        if pushed > 0:
            for group in groups:
                group.slipped.add(deal_id)
                group.days.append(pushed)

    return _report(
        [_counted(g) for g in by_owner.values()],
        [_counted(g) for g in by_stage.values()],
        _counted(total),
        stages,
        as_of,
    )


def _counted(gathered: _Gathered) -> SlipGroup:
    key = gathered.key
    return SlipGroup(key, key, len(gathered.dated), len(gathered.slipped), gathered.days)


def _report(
    owners: list[SlipGroup],
    by_stage: list[SlipGroup],
    total: SlipGroup,
    stages: Sequence[Stage],
    as_of: date,
) -> Slips:
    """The groups named and in the report's order: owners alphabetically (two written
    alike but for case, by their bytes), stages in their pipeline order (a stage no
    longer there last, by key)."""
    names = {s.key: s.name for s in stages}
    for group in by_stage:
        group.name = names.get(group.key, group.key)
    order = {s.key: s.position for s in stages}
    return Slips(
        as_of=as_of,
        owners=sorted(owners, key=lambda g: (parse.fold(g.key), g.key)),
        stages=sorted(by_stage, key=lambda g: (order.get(g.key, len(order)), g.key)),
        total=total,
    )


def _days_pushed(old: str | None, new: str | None) -> int:
    """Days from the old expected close to the new one (0 unless both are dates)."""
    if not old or not new:
        return 0
    return (date.fromisoformat(new) - date.fromisoformat(old)).days
