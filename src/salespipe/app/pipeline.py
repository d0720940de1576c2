"""The use cases: everything a person does to deals, each one recorded change.

A :class:`Pipeline` opens one store transaction per use case, checks the request
against the state inside the lock, changes the deals, records one event per object
changed, and returns a :class:`Change` describing what happened. It never prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self

from salespipe.app import (
    pipeline_admin,
    queries,
    reading,
    revert,
    scope,
    settings,
    stage_admin,
    undo_check,
)
from salespipe.app.work import Change, Work, closed, moved, reopened
from salespipe.core import clock, fmt, parse
from salespipe.core.errors import (
    InvalidValue,
    NotAllowed,
    NothingToUndo,
    StageNotFound,
    UsageError,
    no_deal_numbers_left,
)
from salespipe.core.i18n import N_, _
from salespipe.core.limits import MAX_NEXT_ACTION, MAX_NOTE, MAX_OWNER, MAX_QUOTE_NOTE
from salespipe.core.model import (
    Deal,
    Event,
    NextAction,
    PipelineDef,
    Quote,
    Record,
    Stage,
    Stay,
    stages_in,
)
from salespipe.core.stored import MAX_DEAL_ID, config_problem
from salespipe.storage.interrupts import HeldInterrupts

if TYPE_CHECKING:
    from salespipe.storage.port import Checkup, ReadView, Storage


__all__ = ["Change", "DealFields", "Pipeline", "UndoableChange"]


@dataclass(frozen=True)
class DealFields:
    """Fields given to ``add`` or ``edit``; None means "not given"."""

    title: str | None = None
    customer: str | None = None
    contact: str | None = None
    value: Decimal | None = None
    currency: str | None = None
    owner: str | None = None
    expected_close: date | None = None
    probability: int | None = None
    clear_probability: bool = False
    clear_expected_close: bool = False
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    @classmethod
    def from_text(
        cls,
        *,
        title: str | None = None,
        customer: str | None = None,
        contact: str | None = None,
        value: str | None = None,
        currency: str | None = None,
        owner: str | None = None,
        close: str | date | None = None,
        probability: str | None = None,
        tags: Iterable[str] = (),
        untags: Iterable[str] = (),
    ) -> DealFields:
        """The fields as a person gives them, checked; ``close`` or ``probability``
        "none" clears it. What ``add`` and ``edit`` take from the CLI and the API."""
        clear_close = isinstance(close, str) and close.strip().lower() == "none"
        clear_prob = probability is not None and probability.strip().lower() == "none"
        expected_close: date | None
        if close is None or clear_close:
            expected_close = None
        elif isinstance(close, datetime):
            expected_close = parse.given_day(close.date(), what=N_("--close date"))
        elif isinstance(close, date):
            expected_close = parse.given_day(close, what=N_("--close date"))
        else:
            expected_close = parse.day(close, what=N_("--close date"), none_clears=True)
        amount, currency_code = _value_and_currency(value, currency)
        return cls(
            title=None if title is None else parse.text(title, what=N_("title"), required=True),
            customer=None if customer is None else parse.text(customer, what=N_("customer")),
            contact=None if contact is None else parse.text(contact, what=N_("contact")),
            value=amount,
            currency=currency_code,
            owner=None
            if owner is None
            else parse.text(owner, what=N_("owner"), required=True, max_length=MAX_OWNER),
            expected_close=expected_close,
            clear_expected_close=clear_close,
            probability=None
            if probability is None or clear_prob
            else parse.probability(probability, none_too=True),
            clear_probability=clear_prob,
            add_tags=_tags_added(tags, untags),
            remove_tags=tuple(untags),
        )


def next_action(text: str | None, due: date | None) -> NextAction | None:
    """The next action given as its text and due day: both, or neither (None)."""
    if text is None and due is None:
        return None
    if text is None or due is None:
        raise InvalidValue(_("A next action needs both its text (--next) and --due DATE."))
    text = parse.text(text, what=N_("next action"), required=True, max_length=MAX_NEXT_ACTION)
    return NextAction(text, due)


@dataclass(frozen=True)
class UndoableChange:
    """A change ``undo`` can take back: its number, the command that made it, when it
    was recorded, and its events."""

    change: int
    command: str
    at: datetime
    events: list[Event]
    # For the next one: why `undo` would refuse it now (undo_check), None if it would go.
    refused: str | None = None

    @property
    def deal_ids(self) -> list[int]:
        return sorted({e.deal_id for e in self.events if e.deal_id is not None})

    @property
    def who(self) -> str | None:
        """Who made the change (on a shared data file, undo takes back anyone's)."""
        return self.events[0].who if self.events else None


def _value_and_currency(
    value: str | None, currency: str | None
) -> tuple[Decimal | None, str | None]:
    """``--value`` and ``--currency``: a value that names its currency (``$100``,
    ``250,000 บาท``) sets it, and may not contradict ``--currency`` (``$100`` was kept
    as ฿100)."""
    code = None if currency is None else parse.currency(currency)
    if value is None:
        return None, code
    amount, named = parse.money_and_currency(value)
    if named is None:
        return amount, code
    named = parse.currency(named)
    if code is not None and code != named:
        raise InvalidValue(
            _('The value "{value}" is in {named}, but --currency says {code}; give one.').format(
                value=value, named=named, code=code
            )
        )
    return amount, named


class Pipeline:
    """Every use case over one store: deals and their history here, stages through
    :mod:`salespipe.app.stage_admin`; each method is one transaction and one change."""

    def __init__(self, store: Storage) -> None:
        self.store = store
        # Called with each committed change that recorded events (e.g. to run hooks).
        self.listeners: list[Callable[[Change], None]] = []
        # Called with the stored settings each time the file is read, before anything else
        # is done with it (the CLI applies the configured language and date era).
        self.config_readers: list[Callable[[dict[str, Any]], None]] = []
        # The pipeline commands act on (--pipeline); None: the current one (see app/scope.py).
        self.chosen_pipeline: str | None = None
        # Named by the user (--db, SALESPIPE_DB): a change to a deal where there is no file
        # names the missing file (a typo), not the deal; the default one is empty until
        # its first change.
        self.named = False

    @classmethod
    def open(cls, target: Any, lang: str | None = None) -> Self:
        """A pipeline on the database at ``target`` (a data file's path, or see
        :func:`salespipe.storage.open_storage`); ``lang`` names new default stages."""
        return cls(reading.open_target(target, lang))

    def read(self) -> ReadView:
        snapshot = self.store.read()
        self._config_read(snapshot)
        return snapshot

    def read_existing(self) -> ReadView:
        """:meth:`read` for a command that only reads a file it was told to use: a file
        that is not there is an error, not an empty pipeline (a typo must not pass)."""
        return reading.must_exist(self.read(), self.store)

    def _config_read(self, snapshot: ReadView) -> None:
        if self.config_readers:
            self.settings_taken_in(snapshot.config())

    def settings_taken_in(self, config: dict[str, Any]) -> None:
        """Tell the config readers of settings that become this database's (a backup's,
        restored or about to be): what is said of it from then on is said in their
        language, as the next command's will be."""
        for reader in self.config_readers:
            reader(config)

    def doctor(self, fix: bool) -> Checkup:
        """Recompute what the database keeps derived from its history and compare; with
        ``fix``, repair what differs in one locked change (kept in a backup first)."""
        return self.store.checkup(
            fix, settings.lock_timeout_of(self.store), clock.now().isoformat()
        )

    @contextlib.contextmanager
    def work(self, command: str) -> Iterator[Work]:
        """Run one use case as one locked transaction; listeners hear of it once committed."""

        now_iso = clock.now().isoformat()
        # Ctrl-C during the commit waits for it, then ends the command as one made after
        # the change (InterruptedAfterCommit): the listeners are not told of it then.
        with (
            HeldInterrupts() as held,
            self.store.transaction(settings.lock_timeout_of(self.store), command, now_iso) as tx,
        ):
            self._config_read(tx)
            # On a server the database role is who you are (the setting "owner" is the
            # whole team's); on a data file, that setting or the login name.
            who = settings.effective_in(tx)["owner"]
            named = self.store.location if self.named else None
            work = Work(tx, command, who, self.chosen_pipeline, named)
            yield work
            if work.restored:  # the backup's settings are the database's now
                self._config_read(tx)
            if not work.change.stages:
                work.change.stages = list(work.stages)
            if not work.change.pipelines:
                work.change.pipelines = list(work.pipelines)
            wrote = bool(work.change.events or work.unlisted_events or work.restored)
            if wrote and command != "demo" and not work.restored and tx.flags().get("demo"):
                tx.set_flag("demo", False)  # someone's work is in it: no demo replaces it
            if wrote and not tx.exists:
                work.change.created = self.store.location
            held.hold()
        if work.change.events or work.change.created:
            for listener in self.listeners:
                listener(work.change)

    def _run(self, command: str, use_case: Callable[..., None], *args: Any, **kw: Any) -> Change:
        """Run a use case function on one transaction; what it changed."""
        with self.work(command) as work:
            use_case(work, *args, **kw)
        return work.change

    # -- pipelines -----------------------------------------------------------------------
    def current_pipeline(self, view: ReadView) -> PipelineDef:
        """The pipeline commands act on: --pipeline, else the one ``use`` chose."""
        return scope.current(view.pipelines(), view.config(), self.chosen_pipeline)

    def current_stages(self, view: ReadView) -> list[Stage]:
        """The stages of :meth:`current_pipeline`, in order."""
        return stages_in(view.stages(), self.current_pipeline(view).key)

    def pipeline_add(
        self, name: str, *, stages: str = pipeline_admin.DEFAULT, copy_of: str | None = None
    ) -> Change:
        """A new pipeline, with the default stages, none, or a copy of another's."""
        return self._run("pipeline add", pipeline_admin.add, name, stages=stages, copy_of=copy_of)

    def pipeline_rename(self, name: str, new_name: str) -> Change:
        """A pipeline by another name (its key stays)."""
        return self._run("pipeline rename", pipeline_admin.rename, name, new_name)

    def pipeline_archive(self, name: str, *, archived: bool = True) -> Change:
        """Hide a pipeline from choices, or show it again; its deals and history stay."""
        command = "pipeline archive" if archived else "pipeline unarchive"
        return self._run(command, pipeline_admin.archive, name, archived=archived)

    def pipeline_remove(self, name: str) -> Change:
        """Remove a pipeline no deal ever lived in, with its stages."""
        return self._run("pipeline remove", pipeline_admin.remove, name)

    def use_pipeline(self, name: str) -> Change:
        """Make a pipeline the one commands act on by default (the ``pipeline`` setting)."""
        return self.set_config(scope.SETTING, name)

    # -- stages ----------------------------------------------------------------------
    def stage_add(
        self,
        name: str,
        *,
        before: str | None = None,
        after: str | None = None,
        probability: int | None = None,
        target_days: int | None = None,
        guide: str = "",
    ) -> Change:
        """A new stage (at the end, or before/after another)."""
        return self._run(
            "stage add",
            stage_admin.add,
            name,
            before=before,
            after=after,
            probability=probability,
            target_days=target_days,
            guide=guide,
        )

    def stage_rename(self, name: str, new_name: str) -> Change:
        """A stage by another name (its key stays)."""
        return self._run("stage rename", stage_admin.rename, name, new_name)

    def stage_set(
        self,
        name: str,
        *,
        probability: int | None = None,
        target_days: object = stage_admin.UNSET,
        guide: str | None = None,
    ) -> Change:
        """Change a stage's probability, target days or guide."""
        return self._run(
            "stage set",
            stage_admin.set_fields,
            name,
            probability=probability,
            target_days=target_days,
            guide=guide,
        )

    def stage_probabilities(self, probabilities: Mapping[str, int]) -> Change:
        """Set the probabilities of several stages (by key) as one change, undone as one."""
        return self._run("calibrate", stage_admin.set_probabilities, probabilities)

    def stage_order(self, names: Sequence[str]) -> Change:
        """The named enabled stages first, in that order; the rest keep their order after."""
        return self._run("stage order", stage_admin.order, names)

    def stage_disable(
        self, name: str, *, move_to: str | None = None, reason: str | None = None
    ) -> Change:
        """Hide a stage; its open deals move to ``move_to`` first."""
        return self._run("stage disable", stage_admin.disable, name, move_to=move_to, reason=reason)

    def stage_enable(self, name: str) -> Change:
        """Show a disabled stage again."""
        return self._run("stage enable", stage_admin.enable, name)

    def stage_remove(self, name: str) -> Change:
        """Remove a stage no deal ever used."""
        return self._run("stage remove", stage_admin.remove, name)

    # -- deals -----------------------------------------------------------------------
    def add(
        self,
        title: str,
        fields: DealFields,
        *,
        stage: str | None = None,
        next_action: NextAction | None = None,
        at: datetime | None = None,
        source: str | None = None,
    ) -> Change:
        with self.work("add") as work:
            when = work.when(at, None)
            _refuse_archived(work.pipeline)
            enabled = [s for s in work.pipeline_stages if s.enabled]
            if stage is not None:
                chosen = parse.stage(work.pipeline_stages, stage)
            elif enabled:
                chosen = enabled[0]
            else:
                raise NotAllowed(
                    _(
                        "There is no enabled stage to add a deal to; "
                        "`salespipe stage enable` one first."
                    )
                )
            config = work.config
            deal_id = work.tx.allocate_deal_id()
            if deal_id > MAX_DEAL_ID:
                raise NotAllowed(no_deal_numbers_left())
            deal = Deal(
                id=deal_id,
                title=title,
                stage=chosen.key,
                created_at=when,
                updated_at=when,
                stage_entered_at=when,
                currency=config["currency"],
                owner=work.who,
                next_action=next_action,
                stays=(Stay(chosen.key, when),),
                source=source,
            )
            deal = _apply_fields(deal, self._owner_on_the_team(work, fields))
            work.save("add", None, deal, when)
            return work.change

    def edit(self, deal_id: int, fields: DealFields) -> Change:
        with self.work("edit") as work:
            before = work.deal(deal_id)
            after = _apply_fields(before, self._owner_on_the_team(work, fields))
            if after == before:
                work.change.deals.append(before)
                return work.change
            when = work.when(None, before)
            work.save("edit", before, dataclasses.replace(after, updated_at=when), when)
            return work.change

    def move(
        self,
        deal_id: int,
        stage: str,
        *,
        reason: str | None = None,
        at: datetime | None = None,
        pipeline: str | None = None,
    ) -> Change:
        """Move a deal to another stage of its pipeline, or with ``pipeline`` to a stage
        of that one: one event either way, undone as one."""
        with self.work("move") as work:
            before = work.deal(deal_id)
            if pipeline is None:
                stages = work.deal_stages(before)
            else:
                into = parse.pipeline(work.pipelines, pipeline)
                _refuse_archived(into)
                stages = stages_in(work.stages, into.key)
            target = parse.stage(stages, stage)
            if not before.is_open:
                raise NotAllowed(
                    _("Deal {deal_id} is {status}; `salespipe reopen {deal_id}` it first.").format(
                        deal_id=deal_id, status=fmt.status(before.status)
                    )
                )
            if target.key == before.stage:
                work.change.deals.append(before)
                return work.change
            reason = work.require_reason(reason, N_("move a deal"))
            when = work.when(at, before)
            work.save("move", before, moved(before, target.key, when), when, reason=reason)
            return work.change

    def close(
        self, deal_id: int, outcome: str, *, reason: str | None = None, at: datetime | None = None
    ) -> Change:
        """Mark an open deal won or lost; a lost deal needs its reason."""
        with self.work(outcome) as work:
            before = work.deal(deal_id)
            if before.status == outcome:
                raise NotAllowed(
                    _(
                        "Deal {deal_id} is already {status}; `salespipe reopen {deal_id}` "
                        "reopens it."
                    ).format(deal_id=deal_id, status=fmt.status(before.status))
                )
            if not before.is_open:
                raise NotAllowed(
                    _(
                        "Deal {deal_id} is {status}; to mark it {outcome}, "
                        "`salespipe reopen {deal_id}` it first."
                    ).format(
                        deal_id=deal_id,
                        status=fmt.status(before.status),
                        outcome=fmt.status(outcome),
                    )
                )
            if outcome == "lost" and not (reason and reason.strip()):
                raise InvalidValue(
                    _("Say why deal {deal_id} was lost with --reason.").format(deal_id=deal_id)
                )
            reason = work.require_reason(
                reason, N_("mark a deal won") if outcome == "won" else N_("mark a deal lost")
            )
            when = work.when(at, before)
            after = closed(before, outcome, when, reason)
            work.save(outcome, before, after, when, reason=reason)
            return work.change

    def reopen(
        self,
        deal_id: int,
        *,
        stage: str | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        with self.work("reopen") as work:
            before = work.deal(deal_id)
            if before.is_open:
                raise NotAllowed(_("Deal {deal_id} is already open.").format(deal_id=deal_id))
            target = self._reopened_into(work.deal_stages(before), before, stage)
            reason = work.require_reason(reason, N_("reopen a deal"))
            when = work.when(at, before)
            after = reopened(before, target.key, when)
            work.save("reopen", before, after, when, reason=reason)
            return work.change

    @staticmethod
    def _reopened_into(stages: list[Stage], deal: Deal, stage: str | None) -> Stage:
        """The stage a deal is reopened into: ``stage``, else the one it closed in, which
        may have been switched off since, or not be known (then say how to name one)."""
        if stage is not None:
            return parse.stage(stages, stage)
        ordered = sorted((s for s in stages if s.enabled), key=lambda s: s.position)
        choices = ", ".join(f'"{s.name}"' for s in ordered)
        if deal.stage_unknown and not deal.stays:  # its stage is where the import put it
            raise StageNotFound(
                _(
                    "Deal {deal_id} was imported closed without the stage it closed in; "
                    "reopen it into a stage with --stage ({stages})."
                ).format(deal_id=deal.id, stages=choices)
            )
        closed_in = next((s for s in stages if s.key == deal.stage), None)
        if closed_in is not None and not closed_in.enabled:
            raise StageNotFound(
                _(
                    'Deal {deal_id} closed in "{stage}", which is switched off; reopen it into '
                    "another stage with --stage ({stages}), or switch it on with `salespipe "
                    "stage enable {key}`."
                ).format(deal_id=deal.id, stage=closed_in.name, stages=choices, key=closed_in.key)
            )
        return parse.stage(stages, deal.stage)

    def note(self, deal_id: int, text: str, *, at: datetime | None = None) -> Change:
        text = parse.text(text, what=N_("note"), required=True, multiline=True, max_length=MAX_NOTE)
        with self.work("note") as work:
            before = work.deal(deal_id)
            when = work.when(at, before, anywhere=True)
            after = dataclasses.replace(before, updated_at=max(when, before.updated_at))
            work.save("note", before, after, when, text=text)
            return work.change

    def set_next(self, deal_id: int, action: NextAction | None) -> Change:
        with self.work("next") as work:
            before = work.deal(deal_id)
            if before.next_action == action:
                work.change.deals.append(before)
                return work.change
            when = work.when(None, before)
            after = dataclasses.replace(before, next_action=action, updated_at=when)
            work.save("next", before, after, when, text=action.text if action else None)
            return work.change

    def quote(
        self,
        deal_id: int,
        *,
        valid_until: date,
        amount: Decimal | None = None,
        note: str = "",
        currency: str | None = None,
    ) -> Change:
        """Record a quotation; ``currency``: the one its amount was written in, if it
        named one, which must be the deal's."""
        parse.text(note, what=N_("quote note"), multiline=True, max_length=MAX_QUOTE_NOTE)
        with self.work("quote") as work:
            before = work.deal(deal_id)
            if currency is not None and currency != before.currency:
                raise InvalidValue(
                    _(
                        "The quote amount is in {named}, but deal {deal_id} is in {currency}; "
                        "change the deal's currency first (edit --currency)."
                    ).format(named=currency, deal_id=deal_id, currency=before.currency)
                )
            if not before.is_open:
                raise NotAllowed(
                    _("Deal {deal_id} is {status}; quotes are for open deals.").format(
                        deal_id=deal_id, status=fmt.status(before.status)
                    )
                )
            when = work.when(None, before)
            if valid_until < when.date():
                raise InvalidValue(
                    _("The quote's validity {date} is already past.").format(
                        date=fmt.day(valid_until)
                    )
                )
            after = dataclasses.replace(
                before,
                quote=Quote(valid_until=valid_until, sent_at=when, amount=amount, note=note),
                value=before.value if amount is None else amount,
                updated_at=when,
            )
            work.save("quote", before, after, when, text=note or None)
            return work.change

    def delete(self, deal_id: int) -> Change:
        with self.work("delete") as work:
            before = work.deal(deal_id)
            work.save("delete", before, None, work.when(None, before))
            return work.change

    # -- undo ----------------------------------------------------------------------------
    def undo(self, describe: undo_check.Describe | None = None) -> Change:
        """Revert the most recent change that has not been undone yet. On a database
        with users, the latest change of this user, and only if nobody else changed
        what it touched since (``describe`` words their change in the refusal)."""
        with self.work("undo") as work:
            reading.must_exist(work.tx, self.store)  # a mistyped path has no history either
            user = work.tx.user()
            if user is None:
                popped = work.tx.pop_change()
            else:
                mine = work.tx.undo_list(by=user)
                popped = work.tx.pop_change(mine[-1].change) if mine else None
            if popped is None:
                raise NothingToUndo(_("There is nothing to undo."))
            entry, undone = popped
            if user is not None:
                undo_check.check_not_overtaken(work.tx, undone, user, work.stages, describe)
            stages_before = work.stages
            deals = _deals_of(work, undone)
            for event in reversed(undone):
                _revert(work, event, deals)
            undo_check.check_stages_hold(
                work.tx, undone, stages_before, work.stages, work.pipelines, work.change.deals
            )
            work.tx.not_undoable()
            work.event(
                "undo",
                work.now,
                reason=None,
                text=entry.command,
                before=None,
                after=_undo_record(entry.change, entry.command, undone),
            )
            work.change.deals_before = {e.deal_id: None for e in undone if e.deal_id}
            work.change.undone = undone
            work.change.removed = list(
                dict.fromkeys(e.deal_id for e in undone if e.deal_id and e.before is None)
            )
            return work.change

    def undoable(
        self, limit: int, describe: undo_check.Describe | None = None
    ) -> list[UndoableChange]:
        """The last ``limit`` changes ``undo`` can take back, the next one first, and why
        undo would refuse that one now, if it would (``describe`` words a colleague's
        change, as in the refusal).

        Their events are found in one pass over the history (a rare command: the undo
        list keeps no index into the journal a reader could use)."""
        snapshot = self.read()
        user = snapshot.user()
        entries = snapshot.undo_list(by=user)[-limit:]
        wanted: dict[int, list[Event]] = {entry.change: [] for entry in entries}
        for record in snapshot.event_records():
            events = wanted.get(record["change"])
            if events is not None:
                events.append(Event.from_record(record))
        listed = [
            UndoableChange(
                change=entry.change,
                command=entry.command,
                at=datetime.fromisoformat(entry.at).astimezone(),
                events=wanted[entry.change],
            )
            for entry in reversed(entries)
        ]
        if listed:
            first = listed[0]
            refused = undo_check.refusal(snapshot, first.events, user, describe)
            listed[0] = dataclasses.replace(first, refused=refused)
        return listed

    # -- settings --------------------------------------------------------------------------
    def set_config(self, key: str, text: str) -> Change:
        value = settings.parse_setting(key, text)
        self._check_setting_fits(key, value)
        with self.work("config") as work:
            if key == scope.SETTING:  # kept as the key, whatever name it was given by
                chosen = parse.pipeline(work.pipelines, value)
                _refuse_archived(chosen)  # an archived one is never the current one
                value = chosen.key
            if config_problem({key: value}) is not None:  # the file would not open again
                raise InvalidValue(
                    _('The setting {key} cannot hold "{value}".').format(key=key, value=value)
                )
            old = work.tx.config().get(key)
            if old == value:
                return work.change
            work.tx.set_config(key, value)
            work.event("config", work.now, before={key: old}, after={key: value})
            return work.change

    def _owner_on_the_team(self, work: Work, fields: DealFields) -> DealFields:
        """On a server, the owner given is a team member's name as the server spells it
        (row-level security compares names exactly: "Carol" was a deal carol never saw);
        under visibility ``own``, a name on no one of the team is refused, as its deal
        would be seen by no rep."""
        if fields.owner is None or fields.owner == work.who:
            return fields
        from salespipe.app import team
        from salespipe.storage.port import Team

        if not isinstance(self.store, Team):
            return fields
        spelled = {parse.fold(work.who): work.who, **team.spelling(self.store)}
        if fields.owner in spelled.values():
            return fields
        owner = spelled.get(parse.fold(fields.owner))
        if owner is not None:
            return dataclasses.replace(fields, owner=owner)
        if work.config.get("visibility") == "own":
            raise NotAllowed(
                _(
                    '"{owner}" is not on the team of {where}, so under visibility own no rep '
                    "would see the deal; `salespipe team list` shows the team, and an admin "
                    "adds someone with `salespipe team add USER --role rep`; nothing was "
                    "changed."
                ).format(owner=fields.owner, where=self.store.location)
            )
        return fields

    def _check_setting_fits(self, key: str, value: Any) -> None:
        """``visibility`` is about users, which only a server has (a file may still be set
        back to ``all``: an older salespipe's copy of a team's database left ``own`` in
        files); ``owner`` names the author, which on a server is the database role (taken,
        it would do nothing)."""
        from salespipe.storage.port import Team

        on_server = isinstance(self.store, Team)
        if key == "visibility" and not on_server and value != "all":
            raise UsageError(
                _(
                    "The setting {key} is for a pipeline on PostgreSQL, whose users are "
                    "the server's roles; {path} is a data file, read by whoever can open it."
                ).format(key=key, path=self.store.location)
            )
        if key == "owner" and on_server:
            raise UsageError(
                _(
                    "On PostgreSQL every change is by the database role that makes it, so "
                    "the setting {key} names no one there; a new deal's owner is you, or "
                    "--owner."
                ).format(key=key)
            )

    def init(self, *, currency: str | None = None, lang: str | None = None) -> ReadView:
        """Create the pipeline; ``lang``, when given, is also its setting ``lang`` (the
        language of messages, as ``config set lang`` keeps it)."""
        with self.work("init") as work:
            if work.tx.exists:
                raise NotAllowed(
                    _("{path} already exists; nothing was changed.").format(
                        path=self.store.location
                    )
                )
            work.tx.set_config("currency", currency or "THB")
            if lang is not None:
                work.tx.set_config("lang", settings.parse_setting("lang", lang))
            return work.tx


def _refuse_archived(pipeline: PipelineDef) -> None:
    if pipeline.archived:
        raise NotAllowed(
            _(
                'The pipeline "{name}" is archived; `salespipe pipeline unarchive "{name}"` '
                "brings it back."
            ).format(name=parse.pipeline_name(pipeline))
        )


def edited(deal: Deal, fields: DealFields) -> Deal:
    """The deal as ``edit`` makes it with ``fields`` (what else writes an edit: an
    import's update)."""
    return _apply_fields(deal, fields)


def _apply_fields(deal: Deal, fields: DealFields) -> Deal:
    changes: dict[str, Any] = {
        name: getattr(fields, name)
        for name in (
            "title",
            "customer",
            "contact",
            "value",
            "currency",
            "owner",
            "expected_close",
            "probability",
        )
        if getattr(fields, name) is not None
    }
    if fields.clear_probability:
        changes["probability"] = None
    if fields.clear_expected_close:
        changes["expected_close"] = None
    if fields.add_tags or fields.remove_tags:
        changes["tags"] = _tags_after(deal.tags, fields.add_tags, fields.remove_tags)
    return dataclasses.replace(deal, **changes)


def _tags_added(tags: Iterable[str], untags: Iterable[str]) -> tuple[str, ...]:
    """The tags to add, checked. A ";" is refused: exports and imports separate a deal's
    tags by it, so "x;y" would come back as two tags. A tag both added and taken off in
    one edit is refused too, rather than one of the two silently winning."""
    added = tuple(parse.text(t, what=N_("tag"), required=True, max_length=50) for t in tags)
    for tag in added:
        if ";" in tag:
            raise InvalidValue(
                _('The tag "{tag}" contains ";", which separates tags in exports.').format(tag=tag)
            )
    removed = {parse.fold(t) for t in untags}
    for tag in added:
        if parse.fold(tag) in removed:
            raise InvalidValue(
                _('The tag "{tag}" is given to both --tag and --untag.').format(tag=tag)
            )
    return added


def _tags_after(
    tags: Iterable[str], added: Iterable[str], removed: Iterable[str]
) -> tuple[str, ...]:
    """A deal's tags after some are added and some taken off. Tags that read the same
    (Café typed precomposed or with a combining accent, ERP and erp) are one tag:
    --untag takes off every tag that reads the same."""
    gone = {parse.fold(t) for t in removed}
    kept = [t for t in tags if parse.fold(t) not in gone]
    seen = {parse.fold(t) for t in kept}
    for tag in added:
        if parse.fold(tag) not in seen:
            kept.append(tag)
            seen.add(parse.fold(tag))
    return tuple(kept)


def _undo_record(change: int, command: str, undone: Sequence[Event]) -> Record:
    """What an undo event stores: the change it took back and its command, and the deals
    that change touched: how many (``deal_count``) and, of one, which (``deal``), so that
    ``log``, ``watch`` and a hook can say which deal an undo was of (an undo is an event
    of no deal: its own ``deal_id`` stays null; and no key of ``after`` is "deal_id",
    which a search of the journal for a deal's lines (an older file without its index)
    would take for the deal's own). Of an import that changed deals here too
    (``--update``), how many of them it added (``new_deal_count``): the rest were here
    before it, and its undo does not take them away. Of a ``next``, whether it finished
    the next action (``next_done``) or set one, which ``log`` says. Who made the change
    and when it was recorded (``by``, ``made_at``), which a hook and ``watch --exec`` are
    told: on a shared data file an undo takes back anyone's change."""
    record: Record = {"undid": change, "command": command}
    touched = list(dict.fromkeys(e.deal_id for e in undone if e.deal_id is not None))
    if len(touched) == 1:
        record["deal"] = touched[0]
    if touched:
        record["deal_count"] = len(touched)
    added = {e.deal_id for e in undone if e.deal_id is not None and e.type == "add"}
    if command == "import" and len(added) < len(touched):  # (--update changed deals here)
        record["new_deal_count"] = len(added)
    if command == "next":
        record["next_done"] = queries.next_action_done(undone)
    if undone:
        record["by"] = undone[0].who
        record["made_at"] = undone[0].recorded_at.isoformat(timespec="seconds")
    return record


def _deals_of(work: Work, events: Sequence[Event]) -> dict[int, Deal | None]:
    """The deals the events are of, as they are now (None: deleted or never made), read
    in one go: an undone import of 30,000 deals asks once, not 30,000 times."""
    deal_ids = {e.deal_id for e in events if e.deal_id is not None}
    found = work.tx.get_deals(deal_ids)
    return {deal_id: found.get(deal_id) for deal_id in deal_ids}


def _revert(work: Work, event: Event, deals: dict[int, Deal | None]) -> None:
    """Put back what one event changed; the state is the one the event left (``deals``:
    the deals as the events after it left them, updated with what this one puts back)."""
    if event.deal_id is not None:
        current = deals[event.deal_id]
        restored = revert.deal_before(event, current)
        deals[event.deal_id] = restored
        if restored is None:
            if current is not None:
                work.tx.delete_deal(current.id)
        else:
            work.tx.save_deals([restored])
            work.change.deals.append(restored)
    elif event.type == "config":
        for key, value in (event.before or {}).items():
            work.tx.set_config(key, value)
    elif event.type.startswith("stage"):
        restored_stages = revert.stages_before(event, work.stages)
        work.tx.save_stages(restored_stages)
        work._stages = restored_stages
        work.change.stages = restored_stages
    elif event.type.startswith("pipeline"):
        kept = revert.pipelines_before(event, work.pipelines)
        work.tx.save_pipelines(kept)
        work._pipelines = kept
        work.change.pipelines = kept
