"""The storage port: what the app, the reports and import/export need of a database,
in the words of the domain (deals, stages, events, changes), and nothing of how a
backend keeps them.

A backend implements :class:`Storage`: it opens a :class:`ReadView`, a consistent,
read-only state of the pipeline at one moment, or a :class:`WriteTransaction`, a
read view that collects one change and commits it whole. Two backends sit beside
this module: :mod:`salespipe.storage.jsonl` (the data file and its journals) and
:mod:`salespipe.storage.memory` (the reference implementation, for tests); the
contract every backend keeps is ``tests/storage/test_contract.py`` and
``docs/storage.md``.

Records are the JSON records of :mod:`salespipe.core.model` (``Deal.to_record()``,
``Event.to_record()``); read-only commands that touch thousands of deals work on
them directly rather than on model objects.

Start-up time matters: modules on the everyday path import this one only for type
checking, and import it at run time only where they make one of its values.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from salespipe.core.change_rows import ChangeRow
from salespipe.core.model import Deal, Event, PipelineDef, Record, Stage

if TYPE_CHECKING:
    from salespipe.storage.history import Asks, KeptBacktest, SlipTallies, Totals
    from salespipe.storage.queries import Dated, OpenWhere, Page, StageSum

# How many changes back ``undo`` reaches.
UNDO_DEPTH = 100


class Counters(NamedTuple):
    """The next free numbers. They only ever go up: an id or sequence number handed
    out once is never handed out again, whatever is undone or deleted."""

    next_deal_id: int
    next_seq: int
    next_change: int


class UndoEntry(NamedTuple):
    """One change on the undo list: its id, the command that made it, when (ISO)."""

    change: int
    command: str
    at: str


class Finding(NamedTuple):
    """One difference ``doctor`` found: the derived structure and what differs."""

    check: str
    text: str


class Checkup(NamedTuple):
    """What ``doctor`` did: the checks it ran (none: the backend keeps nothing derived
    that it can check), the differences it found, and whether it repaired them;
    ``from_deals``: what it checks is derived from the deals as they are now (a
    server's), not from journals."""

    checks: list[str]
    findings: list[Finding]
    repaired: bool
    from_deals: bool = False
    # The checks left out: the whole team's totals, to a role that sees only its deals.
    not_checked: tuple[str, ...] = ()
    # Differences no rebuild can mend (the data disagrees with its own history),
    # reported beside ``findings`` and never "fixed".
    cannot_fix: tuple[Finding, ...] = ()


class Initial(NamedTuple):
    """What a pipeline holds before its first change: its stages and when it began."""

    stages: list[Stage]
    created_at: str


class FeedBatch(NamedTuple):
    """What a feed reads in one snapshot: the events of the changes committed after the
    one it asked for, in recorded order; the deals they touched as they are now (None:
    deleted), an undo's included; the stages; the last change it covers; and for each
    change an undo among them took back, the deals that change touched."""

    events: list[Event]
    deals: dict[int, Deal | None]
    stages: list[Stage]
    last_change: int
    undone_deals: Mapping[int, Sequence[int]] = MappingProxyType({})
    # The database was replaced by a copy (``copy``) since the change asked for: its
    # history is another one, of which nothing is read (``last_change`` is its latest).
    replaced: bool = False


class Follower(Protocol):
    """A session that hears of each change as it is committed (``salespipe watch``).
    A lost connection raises DatabaseUnreachable from any method; open a new one."""

    def last_change(self) -> int:
        """The id of the latest committed change (0 before the first)."""

    def pipeline_made(self) -> bool:
        """Whether the pipeline has been made (by ``init`` or a first change) yet."""

    def changes_after(self, change: int) -> FeedBatch:
        """The changes committed after ``change`` (none if the database was replaced by a
        copy since: then ``replaced``)."""

    def wait(self, timeout: float | None) -> bool:
        """Block until a change is committed (True) or ``timeout`` seconds pass."""

    def close(self) -> None: ...


class ReadView(Protocol):
    """One consistent state of the pipeline; a change committed after the view was
    opened is not seen through it."""

    @property
    def exists(self) -> bool:
        """Whether the pipeline has been created (by ``init`` or a first change)."""

    def user(self) -> str | None:
        """Who the database knows this session as (a server's role), or None for a
        database without users (a data file): there a change's author is a setting."""

    def sees_every_deal(self) -> bool:
        """Whether this session may read and write every deal: False only for a rep of a
        team with ``visibility own`` (docs/team.md), who may add and change only its own."""

    # -- settings, stages, bookkeeping ------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The stored settings (a copy: changing it changes nothing)."""

    def stages(self) -> list[Stage]:
        """Every stage of every pipeline, each pipeline's in their order."""

    def pipelines(self) -> list[PipelineDef]:
        """Every pipeline, in order (archived ones too). A database made before there
        were several pipelines holds one, :func:`~salespipe.core.model.first_pipeline`."""

    def created_at(self) -> str:
        """When the pipeline began (ISO)."""

    def counters(self) -> Counters: ...

    def flags(self) -> dict[str, Any]:
        """Named marks of the pipeline (e.g. ``demo``: it was written by ``demo``),
        JSON values in the order they were first set; a backup carries them."""

    def is_empty(self) -> bool:
        """No deal and no event was ever recorded (only then can a backup be restored)."""

    def stage_in_use(self, key: str) -> bool:
        """Whether any deal is, was or has been recorded in the stage ``key`` (as its
        stage or among its stays, open, closed, deleted, or in a deal's event)."""

    def deal_ids_in_stage(
        self, key: str, *, open_only: bool, limit: int, ever: bool = False
    ) -> list[int]:
        """The ids of at most ``limit`` deals in the stage ``key`` now (with ``open_only``,
        of the open ones; with ``ever``, also those that stayed in it before), smallest
        first: what an undo that takes the stage away or switches it off would leave
        behind."""

    # -- deals ---------------------------------------------------------------------------
    def get_deal(self, deal_id: int) -> Deal | None:
        """The deal as it is now (open or closed); None if it never was or is deleted."""

    def get_deals(self, deal_ids: Collection[int]) -> dict[int, Deal]:
        """The deals of these ids as they are now, by id; those that never were or are
        deleted are left out. One :meth:`get_deal` each by default; a backend that can
        read them in one go overrides it."""
        return {i: deal for i in deal_ids if (deal := self.get_deal(i)) is not None}

    def open_deals(self) -> list[Deal]: ...

    def open_records(self) -> list[Record]:
        """The open deals' records, in a stable order."""

    def open_deal_ids(self) -> set[int]: ...

    def closed_deals(self) -> list[Deal]: ...

    def closed_records(self) -> Iterator[Record]:
        """The closed (won or lost), undeleted deals' records, one at a time."""

    def all_deals(self) -> list[Deal]:
        """Every undeleted deal: the open ones, then the closed ones."""

    def all_records(self) -> Iterator[Record]:
        """Every undeleted deal's record, one at a time: open first, then closed."""

    def deleted_deal_ids(self) -> list[int]:
        """The deals a deletion took that are no deals now, by id, in order. A backend
        may name more (a deal whose creation was undone): transfer/deleted_here.py keeps
        those whose delete event still stands."""

    # -- the everyday questions (the query seam, docs/storage.md) -------------------------
    # Each is answered by default by going through open_records() (storage/queries.py);
    # a backend that can answer faster overrides it, with the same answer.
    def stage_totals(self, where: OpenWhere) -> list[StageSum]:
        """The open deals ``where`` asks about, per stage and currency: how many, their
        value and weighted value."""
        from salespipe.storage import queries

        return queries.stage_totals(self.open_records(), self.stages(), where)

    def stale_deals(self, now: datetime, where: OpenWhere, limit: int | None = None) -> Page:
        """The records of the first ``limit`` open deals (all with None) over their
        stage's target days at ``now``, the most days over first, then by id; and how
        many ``where`` matched."""
        from salespipe.storage import queries

        return queries.stale_deals(self.open_records(), self.stages(), now, where, limit)

    def due_by(
        self,
        what: Dated,
        until: date,
        where: OpenWhere,
        limit: int | None = None,
        since: date | None = None,
    ) -> Page:
        """The records of the first ``limit`` open deals (all with None) whose next
        action, expected close or quote (``what``) falls due on ``until`` or before
        (from ``since`` on, when given), by that day, then by id; and how many ``where``
        matched."""
        from salespipe.storage import queries

        return queries.due_by(self.open_records(), what, until, where, limit, since)

    def open_page(self, where: OpenWhere, order: str, limit: int | None, now: datetime) -> Page:
        """The records of the first ``limit`` open deals (all with None) in ``order``
        (one of ``queries.ORDERS``, as of ``now``), and how many ``where`` matched."""
        from salespipe.storage import queries

        return queries.open_page(self.open_records(), self.stages(), where, order, limit, now)

    # -- the history reports' totals (the history seam, docs/storage.md) ------------------
    def history_totals(self, where: OpenWhere, asks: Asks) -> Totals | None:
        """What ``asks`` asks of every deal ``where`` picks (by owner and current stage),
        added up by the backend; None when it has no faster way than going through the
        records once (storage/history.py ``fold_records``), which the caller then does. The
        stays are the exception: every stay in ``where``'s stages, of the owner's deals
        wherever they are now (a deal moved to another pipeline keeps its stays in the
        first)."""
        return None

    def slip_tallies(self, owner: str | None, pipeline: str | None = None) -> SlipTallies | None:
        """The slips of every deal, or of the deals now in ``pipeline`` (of those of
        ``owner``, compared as ``--owner`` compares), added up by the backend as the
        changes were made; None when it keeps no such totals, and the caller replays the
        events' change rows (reports/slips.py)."""
        return None

    def kept_backtest(self, key: str, last_start: datetime) -> KeptBacktest | None:
        """The backtest kept under ``key`` by :meth:`keep_backtest`, if nothing it
        depends on was written since it was kept (an event before ``last_start``, its
        last month start; a change of the stages or pipelines; the undo of a change that
        held either); with the rows it kept of each deal changed since and that deal as
        it is now. None when the backend keeps none, and the caller replays
        (reports/backtest.py)."""
        return None

    def keep_backtest(
        self, key: str, kept: dict[str, Any], rows: Callable[[], Sequence[tuple[Any, ...]]]
    ) -> None:
        """Keep what a backtest worked out (JSON values) and a row per deal open at one of
        its month starts (``rows()``: reports/backtest.py ``KeptRow``, made only if they
        are kept), for :meth:`kept_backtest`. A backend may keep nothing; a reader not
        allowed to keep it keeps nothing, silently. The last call on a view: a backend
        may end the view's snapshot to write it."""
        return None

    # -- events --------------------------------------------------------------------------
    def events(self, deal_id: int | None = None) -> list[Event]:
        """Every event in recorded order, or those of one deal."""

    def events_after(self, seq: int, deal_ids: Collection[int]) -> list[Event]:
        """The events of these deals numbered after ``seq``, by deal, each deal's in
        recorded order (what undo asks: has anyone changed them since). One
        :meth:`events` each by default; a backend that can read them in one go
        overrides it."""
        return [e for i in sorted(deal_ids) for e in self.events(i) if e.seq > seq]

    def event_records(self) -> Iterator[Record]:
        """Every event's record in recorded order, one at a time."""

    def event_lines(self) -> Iterator[bytes]:
        """Every event's record as compact JSON (no newline), in recorded order: what a
        backup writes."""

    def change_records(self) -> Iterator[ChangeRow]:
        """Every event's change row (:mod:`salespipe.core.change_rows`) in recorded
        order, one at a time: what the reports that replay the history read."""

    def newest_events(
        self, limit: int, *, deal_id: int | None = None, since: date | None = None
    ) -> list[Event]:
        """At most ``limit`` events, newest first (by when they happened, then recorded
        order), of one deal or all, happening on ``since`` or later."""

    def undone_changes(self) -> set[int]:
        """The ids of the changes a later ``undo`` took back."""

    def undo_list(self, by: str | None = None) -> list[UndoEntry]:
        """The changes ``undo`` can take back, oldest first; with ``by``, only those
        that user made (see :meth:`user`)."""


class WriteTransaction(ReadView, Protocol):
    """A read view that collects one change; the storage commits it whole when the
    ``with`` block ends, or nothing at all if it raises.

    Reads of deals, stages, settings, flags and counters see the change so far; the
    events it records are read back (events, the newest, the undone changes, a stage
    in use through an event) only once it is committed."""

    # -- numbers -----------------------------------------------------------------------
    def allocate_deal_id(self) -> int: ...

    def allocate_seq(self) -> int:
        """The next event sequence number."""

    def change_id(self) -> int:
        """The id of the change this transaction makes (taken on first use)."""

    def advance_counters(
        self,
        *,
        next_deal_id: int | None = None,
        next_seq: int | None = None,
        next_change: int | None = None,
    ) -> None:
        """Move counters forward to at least the values given (an import or a restore
        that numbered its own records); a counter never goes back."""

    # -- settings, stages, flags ----------------------------------------------------
    def set_config(self, key: str, value: Any) -> None:
        """Set one setting; None removes it."""

    def replace_config(self, config: dict[str, Any]) -> None: ...

    def save_stages(self, stages: Iterable[Stage]) -> None:
        """Replace the stages by these, in this order."""

    def save_pipelines(self, pipelines: Iterable[PipelineDef]) -> None:
        """Replace the pipelines by these, in this order (their stages are saved with
        :meth:`save_stages`)."""

    def set_flag(self, name: str, value: Any) -> None:
        """Set a flag (a restore sets those of the backup). A name the backend uses for
        its own bookkeeping is ignored: a backup's names are not trusted to avoid them."""

    def set_created_at(self, iso: str) -> None: ...

    # -- deals ---------------------------------------------------------------------------
    def save_deals(self, deals: Iterable[Deal]) -> None:
        """Store these deals as they are now (new or changed, open or closed)."""

    def save_records(self, records: Iterable[Record]) -> None:
        """:meth:`save_deals` for deals already in their record form."""

    def delete_deal(self, deal_id: int) -> None:
        """The deal is gone; its id is never handed out again."""

    # -- events and undo -------------------------------------------------------------------
    def record(self, event: Event) -> None:
        """Append an event (numbered by the caller, in this change or restored)."""

    def not_undoable(self) -> None:
        """This change is not put on the undo list (an undo, a demo, a restore)."""

    def pop_change(self, change: int | None = None) -> tuple[UndoEntry, list[Event]] | None:
        """Take the change ``change`` (default: the latest) off the undo list, with its
        events in recorded order; None if it is not on the list."""

    def set_undo_list(self, entries: Sequence[UndoEntry]) -> None:
        """Make the undo list these changes, oldest first (a restore). Each must name a
        change whose events this transaction recorded; the others are left out."""


LockTimeout = Callable[[], float]


class Storage(Protocol):
    """One pipeline's database: opens read views and write transactions on it."""

    @property
    def location(self) -> str:
        """Where the database is, as the user named it (for messages)."""

    def read(self) -> ReadView: ...

    def transaction(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> AbstractContextManager[WriteTransaction]:
        """Hold the database for one change. ``lock_timeout`` is asked only when
        another writer holds it; ``command`` and ``now_iso`` describe the change on
        the undo list."""

    def replacing(
        self, lock_timeout: LockTimeout, command: str, now_iso: str
    ) -> AbstractContextManager[WriteTransaction]:
        """:meth:`transaction` on an empty pipeline (the stages of ``initial``, no
        settings, counters at 1) whose commit replaces everything the database held, at
        once: until then readers see the old pipeline, and a failure leaves it as it was
        (``copy --replace``)."""

    def destroy(self, lock_timeout: LockTimeout) -> None:
        """Remove the whole database (only to replace a demo)."""

    def follow(self) -> Follower:
        """Start hearing of every change as it commits; raises UsageError for a
        database that cannot tell (a data file)."""

    def checkup(self, repair: bool, lock_timeout: LockTimeout, now_iso: str) -> Checkup:
        """Recompute what the backend keeps derived from its history (indexes, sets)
        and compare it with what is stored; with ``repair``, put the recomputed values
        in place in one locked change (``doctor``)."""

    def holds(self, path: str) -> bool:
        """Whether ``path`` is one of the database's own files (an export must not
        write over it)."""

    def identity(self) -> str:
        """What tells this database from every other, however it is named (a data
        file's real path; when a server started and the database's oid): ``copy`` refuses
        to copy a database onto itself."""


# -- the team: a server's own (docs/team.md) ------------------------------------------------

TEAM_ROLES = ("rep", "manager", "admin")


class TeamMember(NamedTuple):
    """A database role on the pipeline's team and what it may do there (a TEAM_ROLES)."""

    user: str
    role: str


@runtime_checkable
class Team(Protocol):
    """A storage whose users are the database server's roles (PostgreSQL): who is on the
    pipeline's team, as what. A file has no users, and no team."""

    def team_members(self) -> list[TeamMember]:
        """Everyone on the team, by user name."""

    def open_deals_of_no_member(self, leaving: str | None = None) -> dict[str, int]:
        """The open deals whose owner is on no one of the team (no rep sees them under
        visibility own), counted by owner, the most first; with ``leaving``, as if that
        user were off the team already."""


@runtime_checkable
class TeamTransaction(Protocol):
    """A write transaction of a :class:`Team` storage: it changes the team (grants and
    revokes) as part of the change, so the change's event and the grants are committed
    together or not at all (docs/team.md)."""

    def join_team(self, user: str, role: str, *, create_login: bool) -> tuple[str, ...]:
        """Put ``user`` on the team as ``role`` (instead of any role it had); with
        ``create_login`` create the login role if the server has none of that name.
        The roles it had before (none: it was not on the team)."""

    def leave_team(self, user: str) -> str:
        """Take ``user`` off the team; the role it had."""

    def keep_deleted_deals(self, owners: Mapping[int, str]) -> None:
        """Rows for deals deleted before they came here (a copy), by id with the owner
        each had: a deal's events are seen with its row, so a rep saw none of their own
        deleted deal's history, nor could undo its deletion."""

    def take_team_history(self) -> list[Event] | None:
        """The events of a pipeline whose only history is its team being set up (no
        deal, only ``team-add`` and ``team-remove`` events), taken out of it to be
        recorded again after what ``copy`` brings in; None (and nothing taken) if it
        holds more."""
