"""``import --update``: the deals here that a newer export says otherwise of, changed
as it says, inside the import's one change.

The rows compared are those :mod:`differing` names (a deal imported before, not
deleted here, not of salespipe's own backup of this database), and only in the fields it
names: a blank cell says nothing. Each change is the event the command a person would
have typed writes: ``edit`` (value, currency, close date), ``move``, ``won``, ``lost``,
``reopen``, each with the import's reason ("import of weekly.csv, line 7"; a lost
deal's reason is the row's where the file gives one). What those commands refuse is not
done, and stays named as differing: a closed deal is not moved (a row closed in another
stage than its deal here changes nothing of it), a deal is not moved or reopened into a
switched-off stage, nor reopened where no stage is known for it.

A win or a loss is dated as a fresh import of the row would close its deal
(:func:`row_times.closing`: its close date, else the latest date it gives), where that
is not before the deal's last change (``work.when`` holds a back-dated ``--at`` to the
same) nor in the future; an edit of the same row then follows it, at the import's time.
Else it is at the import's time, as every other step is, and the import says so: a
deal's events stay in time order, which the replay of its history (``--as-of``) needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from salespipe.app.pipeline import DealFields, edited
from salespipe.app.work import Work, closed, moved, reopened
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Stage, money_from_json
from salespipe.storage.port import ReadView
from salespipe.transfer.differing import Differing
from salespipe.transfer.row_times import Closing

# The fields an edit changes, as the comparison names them.
_EDITED = ("value", "currency", "expected_close")

# The steps that close a deal.
_CLOSING = ("won", "lost")


class Step(NamedTuple):
    """One command's worth of an update: its event type, and what it needs."""

    kind: str  # edit, move, reopen, won, lost
    fields: DealFields | None = None  # edit
    stage: str | None = None  # move, reopen: the stage's key


class Update(NamedTuple):
    """A deal the import changes: the row's line, the deal, the fields changed and the
    steps that change them."""

    line: int
    deal: int
    fields: tuple[str, ...]
    steps: tuple[Step, ...]
    lost_reason: str | None = None  # the row's, for a lost step
    # The time of its won or lost step, as the row dates it; None: the import's time.
    closed_at: datetime | None = None
    # Dated at the import's time, the row's date being before the deal's last change (or
    # a move or reopen of the update) or in the future.
    dated_at_import: bool = False


def plan_updates(
    snapshot: ReadView, differing: Sequence[Differing], now: datetime
) -> tuple[list[Update], list[Differing]]:
    """The updates the rows that differ make (an import at ``now``), and what still
    differs after them (what the commands would refuse)."""
    deals = snapshot.get_deals([d.deal for d in differing])
    stages = snapshot.stages()
    updates: list[Update] = []
    left: list[Differing] = []
    for row in differing:
        deal = deals.get(row.deal)
        steps, fields = _steps(deal, row, stages) if deal is not None else ((), ())
        if steps:
            assert deal is not None
            steps, closed_at, at_import = _dated(deal, steps, row.said.closing, now)
            updates.append(
                Update(
                    row.line,
                    row.deal,
                    fields,
                    steps,
                    row.said.lost_reason,
                    closed_at,
                    at_import,
                )
            )
        rest = tuple(name for name in row.fields if name not in fields)
        if rest:
            left.append(row._replace(fields=rest))
    return updates, left


def _steps(
    deal: Deal, row: Differing, stages: Sequence[Stage]
) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    """The steps that make ``deal`` what ``row`` says, and the fields they change."""
    said, named = row.said, row.fields
    steps: list[Step] = []
    done: list[str] = []
    value = said.value if "value" in named else None
    currency = said.currency if "currency" in named else None
    close = said.expected_close if "expected_close" in named else None
    if value is not None or currency or close:
        fields = DealFields(
            value=None if value is None else money_from_json(value),
            currency=currency or None,
            expected_close=date.fromisoformat(close[:10]) if close else None,
        )
        steps.append(Step("edit", fields=fields))
        given = {
            "value": value is not None,
            "currency": bool(currency),
            "expected_close": bool(close),
        }
        done.extend(name for name in _EDITED if given[name])
    enabled = {s.key for s in stages if s.enabled and s.pipeline == _pipeline_of(deal, stages)}
    into = said.stage if said.stage in enabled else None
    status = said.status if "status" in named else None
    if deal.status == "open":
        if "stage" in named and into is not None:
            steps.append(Step("move", stage=into))
            done.append("stage")
        if status in ("won", "lost"):
            steps.append(Step(status))
            done.append("status")
        return tuple(steps), _in_order(named, done)
    if status is None:  # a closed deal stays in the stage it closed in, as move keeps it
        return tuple(steps), _in_order(named, done)
    placed = not (deal.stage_unknown and not deal.stays)  # (else reopen asks for a stage)
    if into is None and said.stage is None and deal.stage in enabled and placed:
        into = deal.stage
    if into is None:
        return tuple(steps), _in_order(named, done)
    steps.append(Step("reopen", stage=into))
    done.append("status")
    if "stage" in named:
        done.append("stage")
    if status != "open":
        steps.append(Step(status))
    return tuple(steps), _in_order(named, done)


def _dated(
    deal: Deal, steps: tuple[Step, ...], close: Closing | None, now: datetime
) -> tuple[tuple[Step, ...], datetime | None, bool]:
    """The steps in the order they are made, the time of their won or lost step where
    the row dates it (None: the import's time), and whether the row's date was passed
    over for being before the deal's last change (or the update's move or reopen, made
    at the import's time) or in the future."""
    if close is None or not any(step.kind in _CLOSING for step in steps) or close.undated:
        return steps, None, False  # (undated: a fresh import closes it now, too)
    after_a_change = any(step.kind in ("move", "reopen") for step in steps)
    if close.later or after_a_change or close.at < deal.updated_at:
        return steps, None, True
    if close.at >= now:
        return steps, None, False
    # An edit changes nothing a close does: made after it, it keeps the import's time.
    edits = tuple(step for step in steps if step.kind == "edit")
    return (*(step for step in steps if step.kind != "edit"), *edits), close.at, False


def _pipeline_of(deal: Deal, stages: Sequence[Stage]) -> str | None:
    return next((s.pipeline for s in stages if s.key == deal.stage), None)


def _in_order(named: tuple[str, ...], done: list[str]) -> tuple[str, ...]:
    return tuple(name for name in named if name in done)


def write_updates(work: Work, updates: Sequence[Update], file: str) -> int:
    """Make the updates in the import's transaction, each step as its command makes it;
    returns how many events were recorded."""
    count = 0
    for update in updates:
        deal = work.deal(update.deal)
        reason = _("import of {file}, line {line}").format(file=file, line=update.line)
        for step in update.steps:
            dated = update.closed_at if step.kind in _CLOSING else None
            when = work.when(dated, deal)  # (back-dated as --at is: checked against history)
            given = reason
            if step.kind == "edit":
                assert step.fields is not None
                after = dataclasses.replace(edited(deal, step.fields), updated_at=when)
            elif step.kind in ("move", "reopen"):
                assert step.stage is not None
                after = (moved if step.kind == "move" else reopened)(deal, step.stage, when)
            else:
                if step.kind == "lost" and update.lost_reason:
                    given = update.lost_reason
                after = closed(deal, step.kind, when, given)
            work.save(step.kind, deal, after, when, reason=given)
            deal = after
            count += 1
    return count
