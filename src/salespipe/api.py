"""The Python API: one pipeline's deals, stages, history and reports, for scripts.

``salespipe.open(path)`` gives a :class:`Pipeline`. Its methods do what the commands
of the same names do, with the same checks and the same recorded history: a change
returns the deal (a :class:`~salespipe.core.model.Deal`) as it is after the change; a
report returns its result object (``to_dict()`` gives what ``--json`` prints); a
request that cannot be done raises a :class:`~salespipe.core.errors.SalespipeError`.
Values, dates and times may be given as Python objects or as the text the command
line accepts (``"1.5m"``, ``"+30d"``, ``"yesterday"``). See docs/python-api.md.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from salespipe.app import pipeline as use_cases
from salespipe.app import settings
from salespipe.app.reading import deal_not_found
from salespipe.app.stage_admin import UNSET
from salespipe.core import clock, parse
from salespipe.core.errors import DealNotFound, InvalidValue
from salespipe.core.i18n import N_, _
from salespipe.core.model import Deal, Event, NextAction, PipelineDef, Stage

if TYPE_CHECKING:
    from salespipe.app.pipeline import Change
    from salespipe.core.tally import Period
    from salespipe.reports.alerts import CheckResult, StaleList
    from salespipe.reports.backtest import Backtest
    from salespipe.reports.calibrate import Calibration
    from salespipe.reports.durations import Durations
    from salespipe.reports.forecast import Forecast
    from salespipe.reports.outcomes import Funnel, WinRate
    from salespipe.reports.scope import Scope
    from salespipe.reports.slips import Slips
    from salespipe.reports.summary import PipelineChart, Summary
    from salespipe.storage.port import ReadView
    from salespipe.transfer.importing import ImportReport

Day = date | str
Moment = datetime | str
Amount = Decimal | int | str

__all__ = ["Pipeline", "open"]


def open(path: str | PathLike[str] | None = None, *, lang: str | None = None) -> Pipeline:
    """The pipeline kept in the data file at ``path`` (default: ``$SALESPIPE_DB``, else
    the user data folder, as the command line chooses), or in the PostgreSQL database
    a ``postgresql://…`` URI names (docs/team.md). It is created by the first change;
    ``lang`` ("th" or "en") names the default stages of a new one."""
    if path is not None and not isinstance(path, str | PathLike):
        raise InvalidValue(
            _("The path is text or a pathlib.Path, not {kind}.").format(kind=type(path).__name__)
        )
    given = None if path is None else os.fspath(path)
    if not isinstance(given, str | None) or "\x00" in (given or ""):
        raise InvalidValue(_("The path is text without NUL characters."))
    chosen = settings.database_target(given)
    app = use_cases.Pipeline.open(chosen, settings.lang_from_environment(lang))
    return Pipeline(app, must_exist=settings.data_file_named(given))


class Pipeline:
    """One pipeline: its deals, stages and history. Every change is one transaction.

    With several pipelines in the database, what is read (deals, stages, reports) is of
    the current one, as the command line reads it (``use`` chooses it)."""

    def __init__(self, app: use_cases.Pipeline, *, must_exist: bool = False) -> None:
        self._app = app
        # A data file named by its path must be there to be read: a typo is not an
        # empty pipeline that needs nothing done (as on the command line).
        self._must_exist = must_exist
        app.named = must_exist  # (and a change to a deal there names the missing file)

    def _read(self) -> ReadView:
        view = self._app.read()
        if self._must_exist:
            from salespipe.app import reading

            reading.must_exist(view, self._app.store)
        return view

    def _current(self, view: ReadView, chosen: str | int | None = None) -> str | None:
        """The key of the pipeline read: ``chosen`` (a name, key or number, as
        ``--pipeline`` takes it), else the current one; None when there is only one."""
        from salespipe.app import scope

        if chosen is not None and not isinstance(chosen, str):
            chosen = _pipeline_text(chosen)
        if chosen is not None and chosen.strip().casefold() == scope.ALL:
            raise InvalidValue(
                _("A report reads one pipeline here: call it for each of pipelines().")
            )
        return scope.read_pipeline(view, chosen)

    def pipelines(self) -> list[PipelineDef]:
        """Every pipeline, in order (archived ones too), named as ``pipeline list`` names
        them (the first under its default name is "Sales"), so that ``pipeline=`` takes
        its name or key."""
        return [
            dataclasses.replace(p, name=parse.pipeline_name(p)) for p in self._read().pipelines()
        ]

    @property
    def location(self) -> str:
        """Where the pipeline is kept: the main data file, or a server's address
        without its password."""
        return self._app.store.location

    @property
    def path(self) -> Path | None:
        """The main data file; None for a pipeline on a server."""
        location = self.location
        return None if "://" in location else Path(location)

    def __repr__(self) -> str:
        return f"salespipe.Pipeline({self.location!r})"

    # -- reading -----------------------------------------------------------------------
    def get(self, deal_id: int) -> Deal:
        """The deal with this id, open or closed (one deleted raises DealNotFound saying
        so, as ``show`` does)."""
        snapshot = self._read()
        deal = snapshot.get_deal(_id(deal_id))
        if deal is None:
            raise deal_not_found(snapshot, deal_id)
        return deal

    def deals(
        self,
        *,
        status: str = "open",
        stage: str | None = None,
        owner: str | None = None,
        customer: str | None = None,
        tag: str | None = None,
        search: str | None = None,
        stale: bool = False,
        sort: str = "stage",
        limit: int | None = None,
        pipeline: str | int | None = None,
    ) -> list[Deal]:
        """The deals ``list`` shows for the same options, in its order: of the current
        pipeline unless ``pipeline`` names one (``--pipeline``), ``search`` matching
        notes and reasons too."""
        from salespipe.app.queries import DealQuery, list_deals

        if limit is not None and (type(limit) is not int or limit < 0):
            raise InvalidValue(_("The limit is a whole number from 0 (0: all)."))

        if pipeline is not None and not isinstance(pipeline, str):
            pipeline = _pipeline_text(pipeline)
        query = DealQuery(status, stage, owner, customer, tag, search, stale, sort, limit)
        listing = list_deals(self._read(), query, clock.now(), pipeline=pipeline, stays=True)
        return [Deal.from_record(record) for record in listing.records]

    def stages(self, *, include_disabled: bool = False) -> list[Stage]:
        """The current pipeline's enabled stages in order (and the disabled ones, if
        asked for), as ``stage list`` shows them."""
        shown = self._in_current(self._read())
        return [s for s in shown if include_disabled or s.enabled]

    def events(self, deal_id: int) -> list[Event]:
        """One deal's history, oldest first (what ``show`` lists); a deleted deal's too,
        as ``log ID`` gives it."""
        events = self._read().events(_id(deal_id))
        if not events:
            raise DealNotFound(deal_id)
        return events

    def log(
        self, deal_id: int | None = None, *, since: Day | None = None, limit: int | None = 50
    ) -> list[Event]:
        """The newest events, newest first, of one deal or all (``log``); ``limit`` 0 or
        None for all of them, as ``--limit 0``; a deal that never was is DealNotFound."""
        if limit is not None and (type(limit) is not int or limit < 0):
            raise InvalidValue(_("The limit is a whole number from 0 (0: all)."))
        from salespipe.app.queries import newest_events

        start = _day(since, N_("--since date"))
        deal_id = None if deal_id is None else _id(deal_id)
        return newest_events(self._read(), limit, deal_id=deal_id, since=start)

    def config(self) -> dict[str, Any]:
        """The settings in effect (``config list``)."""
        return settings.effective_in(self._read())

    # -- deals -------------------------------------------------------------------------
    def add(
        self,
        title: str,
        *,
        customer: str = "",
        contact: str = "",
        value: Amount | None = None,
        currency: str | None = None,
        stage: str | None = None,
        owner: str | None = None,
        close: Day | None = None,
        probability: int | str | None = None,
        tags: Iterable[str] = (),
        next_action: str | None = None,
        due: Day | None = None,
        at: Moment | None = None,
    ) -> Deal:
        """A new open deal (in the first enabled stage unless ``stage``)."""
        parse.given_text(title, N_("title"))
        fields = _fields(
            title=title,
            customer=customer,
            contact=contact,
            value=value,
            currency=currency,
            owner=owner,
            close=close,
            probability=probability,
            tags=tags,
        )
        action = _next_action(next_action, due)
        return self._app.add(title, fields, stage=stage, next_action=action, at=_at(at)).deal

    def edit(
        self,
        deal_id: int,
        *,
        title: str | None = None,
        customer: str | None = None,
        contact: str | None = None,
        value: Amount | None = None,
        currency: str | None = None,
        owner: str | None = None,
        close: Day | None = None,
        probability: int | str | None = None,
        tags: Iterable[str] = (),
        untags: Iterable[str] = (),
    ) -> Deal:
        """Change fields; ``close="none"`` or ``probability="none"`` clears them."""
        fields = _fields(
            title=title,
            customer=customer,
            contact=contact,
            value=value,
            currency=currency,
            owner=owner,
            close=close,
            probability=probability,
            tags=tags,
            untags=untags,
        )
        return self._app.edit(_id(deal_id), fields).deal

    def move(
        self, deal_id: int, stage: str, *, reason: str | None = None, at: Moment | None = None
    ) -> Deal:
        """Move an open deal to a stage (by key, name, number or unique prefix)."""
        return self._app.move(_id(deal_id), stage, reason=reason, at=_at(at)).deal

    def won(self, deal_id: int, *, reason: str | None = None, at: Moment | None = None) -> Deal:
        return self._app.close(_id(deal_id), "won", reason=reason, at=_at(at)).deal

    def lost(self, deal_id: int, reason: str, *, at: Moment | None = None) -> Deal:
        """Close a deal as lost; the reason is required."""
        parse.given_text(reason, N_("reason"))
        return self._app.close(_id(deal_id), "lost", reason=reason, at=_at(at)).deal

    def reopen(
        self,
        deal_id: int,
        *,
        stage: str | None = None,
        reason: str | None = None,
        at: Moment | None = None,
    ) -> Deal:
        return self._app.reopen(_id(deal_id), stage=stage, reason=reason, at=_at(at)).deal

    def note(self, deal_id: int, text: str, *, at: Moment | None = None) -> Deal:
        """Log a call, meeting or email with the deal."""
        return self._app.note(_id(deal_id), text, at=_at(at)).deal

    def next(self, deal_id: int, text: str | None, *, due: Day | None = None) -> Deal:
        """Set the deal's next action (text and due date), or clear it with ``None``."""
        action = _next_action(text, due) if text is not None else None
        return self._app.set_next(_id(deal_id), action).deal

    def quote(
        self,
        deal_id: int,
        *,
        valid_until: Day,
        amount: Amount | None = None,
        note: str = "",
    ) -> Deal:
        """Record a quotation sent; the deal's value follows ``amount``."""
        day = _day_of(valid_until, N_("--valid-until date"))
        money = None if amount is None else _money(amount)
        return self._app.quote(_id(deal_id), valid_until=day, amount=money, note=note).deal

    def delete(self, deal_id: int) -> None:
        self._app.delete(_id(deal_id))

    def undo(self) -> Change:
        """Take back the most recent change (on a team's database: your own latest, and
        not if a colleague changed what it touched since; docs/team.md)."""
        return self._app.undo()

    def init(self, *, currency: str | None = None) -> None:
        """Create the data file now (it is otherwise created by the first change)."""
        self._app.init(currency=None if currency is None else parse.currency(currency))

    def set_config(self, key: str, value: str) -> None:
        """Set one setting as ``config set`` does (the value as text)."""
        self._app.set_config(key, value)

    # -- import and export ---------------------------------------------------------------
    def import_file(
        self,
        path: str | PathLike[str],
        *,
        format: str | None = None,
        dry_run: bool = False,
        skip_invalid: bool = False,
        stage_map: Iterable[str] = (),
        create_stages: bool = False,
        currency: str | None = None,
        dates: str | None = None,
        encoding: str | None = None,
        columns: Iterable[str] = (),
        value_maps: Iterable[str] = (),
        ignore: Iterable[str] = (),
        nulls: Iterable[str] = (),
        no_header: bool = False,
    ) -> ImportReport:
        """Import a CSV (ours, or another CRM's export: see docs/import.md) or a JSON
        backup as one change, as ``import`` does; the options are the command's
        (``value_maps`` are its ``--map`` entries, ``nulls`` its ``--null`` markers)."""
        from salespipe.transfer import importing
        from salespipe.transfer.dates import date_option

        if format is not None and format not in ("csv", "json"):
            raise InvalidValue(
                _('The import format "{format}" is not csv or json.').format(format=format)
            )
        order, date_format = date_option(dates)
        options = importing.ImportOptions(
            format=format,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            stage_map=tuple(stage_map),
            create_stages=create_stages,
            currency=None if currency is None else parse.currency(currency),
            dates=order,
            date_format=date_format,
            encoding=encoding,
            columns=tuple(columns),
            value_maps=tuple(value_maps),
            ignore=tuple(ignore),
            nulls=tuple(nulls),
            no_header=no_header,
        )
        return importing.import_file(self._app, Path(path), options)

    def export_csv(self, out: TextIO) -> int:
        """Write every deal as CSV (the columns of docs/data-format.md) to a text stream
        opened with ``newline=""``; returns how many deals were written."""
        from salespipe.transfer import exporting

        snapshot = self._read()
        return exporting.write_csv(snapshot.all_deals(), snapshot.stages(), out)

    def export_backup(self, out: BinaryIO) -> dict[str, int]:
        """Write the whole database as a JSON backup to a binary stream; returns the
        counts of stages, deals and events written."""
        from salespipe.transfer import exporting

        return exporting.write_backup(self._read(), out, clock.now())

    # -- stages ------------------------------------------------------------------------
    def stage_add(
        self,
        name: str,
        *,
        before: str | None = None,
        after: str | None = None,
        probability: int | str | None = None,
        target_days: int | str | None = None,
    ) -> Stage:
        change = self._app.stage_add(
            name,
            before=before,
            after=after,
            probability=_probability(probability),
            target_days=_target_days(target_days) if target_days is not None else None,
        )
        return _stage_named(self._of_current(change.stages), name)

    def stage_rename(self, stage: str, new_name: str) -> Stage:
        key = self._stage_key(stage)
        return _stage_keyed(self._app.stage_rename(stage, new_name).stages, key)

    def stage_set(
        self,
        stage: str,
        *,
        probability: int | str | None = None,
        target_days: int | object | None = UNSET,
        guide: str | None = None,
    ) -> Stage:
        """Change a stage's probability, target days (``None`` clears them) or guide."""
        key = self._stage_key(stage)
        change = self._app.stage_set(
            stage,
            probability=_probability(probability),
            target_days=target_days if target_days is UNSET else _target_days(target_days),
            guide=guide,
        )
        return _stage_keyed(change.stages, key)

    def stage_order(self, stages: Sequence[str]) -> list[Stage]:
        return self._of_current(self._app.stage_order(stages).stages)

    def stage_disable(self, stage: str, *, move_to: str | None = None) -> list[Stage]:
        return self._of_current(self._app.stage_disable(stage, move_to=move_to).stages)

    def stage_enable(self, stage: str) -> list[Stage]:
        return self._of_current(self._app.stage_enable(stage).stages)

    def stage_remove(self, stage: str) -> list[Stage]:
        return self._of_current(self._app.stage_remove(stage).stages)

    def _stage_key(self, stage: str) -> str:
        """The key of the current pipeline's stage so named (the change acts on it; a
        new file's default stages before the change creates it)."""
        shown = self._in_current(self._app.read())
        return parse.stage(shown, stage, enabled_only=False).key

    def _of_current(self, stages: Sequence[Stage]) -> list[Stage]:
        """The current pipeline's stages of ``stages`` (what a change left), in order."""
        return self._in_current(self._read(), stages)

    def _in_current(self, view: ReadView, stages: Sequence[Stage] | None = None) -> list[Stage]:
        """The current pipeline's stages, in order: of ``stages``, else as ``view`` has them
        (all of them when the database has one pipeline)."""
        from salespipe.core.model import stages_in

        every = view.stages() if stages is None else list(stages)
        key = self._current(view)
        return every if key is None else stages_in(every, key)

    # -- reports -------------------------------------------------------------------------
    def chart(
        self,
        by: str = "count",
        *,
        all_stages: bool = False,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> PipelineChart:
        """Open deals per stage: count, value or weighted value (``chart``)."""
        from salespipe.reports import summary

        chosen = parse.choice(by, summary.CHART_BY, "by")
        scope = self._scope(history=False, owner=owner, as_of=as_of, pipeline=pipeline)
        return summary.chart(
            scope.open,
            scope.stages,
            by=chosen,  # type: ignore[arg-type]
            as_of=scope.now.date(),
            all_stages=all_stages,
            placed=scope.placed(),
            currency=scope.currency,
        )

    def report(
        self,
        *,
        since: Day | None = None,
        until: Day | None = None,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> Summary:
        """The one-screen summary (``report``)."""
        from salespipe.reports import summary

        scope = self._scope(history=True, owner=owner, as_of=as_of, pipeline=pipeline)
        return summary.summary(
            scope.records, scope.stages, period=_period(since, until), now=scope.now
        )

    def forecast(
        self,
        *,
        months: int = 3,
        method: str = "stage",
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> Forecast:
        """Expected value by month with its P10/P50/P90 (``forecast [--method]``)."""
        from salespipe.reports import forecast

        _months(months)
        chosen = parse.choice(method, forecast.METHODS, "method")
        scope = self._scope(history=True, owner=owner, as_of=as_of, pipeline=pipeline)
        return forecast.forecast_in(
            scope,
            months=months,
            method=chosen,  # type: ignore[arg-type]
        )

    def calibrate(
        self,
        *,
        since: Day | None = None,
        owner: str | None = None,
        pipeline: str | int | None = None,
    ) -> Calibration:
        """Stage probabilities learned from history (``calibrate``); nothing is changed."""
        from salespipe.reports import calibrate

        scope = self._scope(history=True, owner=owner, as_of=None, pipeline=pipeline)
        return calibrate.calibrate_in(scope, _day(since, N_("--since date")))

    def backtest(
        self, *, months: int = 6, owner: str | None = None, pipeline: str | int | None = None
    ) -> Backtest:
        """Both forecast methods on the last whole months (``forecast --backtest``)."""
        from salespipe.reports import backtest

        _months(months)

        snapshot = self._read()
        key = self._current(snapshot, pipeline)
        return backtest.backtest_in(
            snapshot, months=months, now=clock.now(), owner=owner, pipeline=key
        )

    def slips(self, *, owner: str | None = None, pipeline: str | int | None = None) -> Slips:
        """Expected close dates pushed back, per owner and stage (``slips``)."""
        from salespipe.reports import slips

        snapshot = self._read()
        key = self._current(snapshot, pipeline)
        return slips.slips_in(snapshot, as_of=clock.now().date(), owner=owner, pipeline=key)

    def funnel(
        self,
        *,
        since: Day | None = None,
        until: Day | None = None,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> Funnel:
        from salespipe.reports import outcomes

        scope = self._scope(history=True, owner=owner, as_of=as_of, pipeline=pipeline)
        return outcomes.funnel(
            scope.records,
            scope.stages,
            _period(since, until, as_of=_day(as_of, N_("--as-of date"))),
            scope.now,
        )

    def durations(
        self,
        *,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> Durations:
        from salespipe.reports import durations

        scope = self._scope(history=True, owner=owner, as_of=as_of, pipeline=pipeline)
        return durations.durations(scope.records, scope.stages, scope.now)

    def winrate(
        self,
        by: str | None = None,
        *,
        since: Day | None = None,
        until: Day | None = None,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> WinRate:
        from salespipe.reports import outcomes

        grouping = None if by is None else parse.choice(by, outcomes.WINRATE_BY, "by")
        scope = self._scope(history=True, owner=owner, as_of=as_of, pipeline=pipeline)
        return outcomes.winrate(
            scope.records,
            scope.stages,
            _period(since, until, as_of=_day(as_of, N_("--as-of date"))),
            grouping,  # type: ignore[arg-type]
            scope.now,
        )

    def stale(
        self,
        *,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> StaleList:
        from salespipe.reports import alerts

        scope = self._scope(history=False, owner=owner, as_of=as_of, pipeline=pipeline)
        return alerts.stale(
            scope.open,
            scope.stages,
            scope.now,
            pipeline=bool(scope.pipeline_name),
            placed=scope.placed(),
        )

    def check(
        self,
        *,
        owner: str | None = None,
        as_of: Day | None = None,
        pipeline: str | int | None = None,
    ) -> CheckResult:
        """What needs action; ``result.clean`` is true when nothing does."""
        from salespipe.reports import alerts

        scope = self._scope(history=False, owner=owner, as_of=as_of, pipeline=pipeline)
        return alerts.check(scope.open, scope.stages, scope.now, placed=scope.placed())

    def _scope(
        self,
        *,
        history: bool,
        owner: str | None,
        as_of: Day | None,
        pipeline: str | int | None = None,
    ) -> Scope:
        from salespipe.reports.scope import scope

        day = _day(as_of, N_("--as-of date"))
        view = self._read()
        return scope(
            view, history=history, owner=owner, as_of=day, pipeline=self._current(view, pipeline)
        )


# -- what a caller gives, read as the command line reads it ---------------------------
def _id(deal_id: Any) -> int:
    """A deal's id as the API takes it: a whole number ("3" was looked up as text, and the
    events journal was then said to be damaged)."""
    if type(deal_id) is not int:
        raise InvalidValue(_("A deal's id is a whole number, as `salespipe list` shows it."))
    return deal_id


def _day(value: Day | None, what: str) -> date | None:
    return None if value is None else _day_of(value, what)


def _day_of(value: Day, what: str) -> date:
    if isinstance(value, datetime):
        return parse.given_day(value.date(), what=what)
    if isinstance(value, date):
        return parse.given_day(value, what=what)
    return parse.day(value, what=what)


def _at(value: Moment | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # without an offset: local time, as typed times are
        return value if value.tzinfo is not None else value.astimezone()
    if isinstance(value, date):  # a day: as the command line reads one
        return parse.moment(value.isoformat(), what=N_("--at time"))
    return parse.moment(value, what=N_("--at time"))


def _money(value: Amount) -> Decimal:
    return parse.money(_amount_text(value))


def _amount_text(value: Amount) -> str:
    """An amount as the command line reads it: a Decimal in plain digits, as
    ``Decimal("1.5E+6")`` is a million and a half, not text with an exponent."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return value if isinstance(value, str) else str(value)


def _period(since: Day | None, until: Day | None, *, as_of: date | None = None) -> Period:
    from salespipe.core.tally import Period

    return Period(_day(since, N_("--since date")), _day(until, N_("--until date")), as_of)


def _next_action(text: str | None, due: Day | None) -> NextAction | None:
    return use_cases.next_action(text, _day(due, N_("--due date")))


def _fields(
    *,
    title: str | None,
    customer: str | None,
    contact: str | None,
    value: Amount | None,
    currency: str | None,
    owner: str | None,
    close: Day | None,
    probability: int | str | None,
    tags: Iterable[str],
    untags: Iterable[str] = (),
) -> use_cases.DealFields:
    tags, untags = _words(tags), _words(untags)
    return use_cases.DealFields.from_text(
        title=title,
        customer=customer,
        contact=contact,
        value=None if value is None else _amount_text(value),
        currency=currency,
        owner=owner,
        close=close,
        probability=None if probability is None else str(probability),
        tags=tags,
        untags=untags,
    )


def _months(months: int) -> None:
    """As ``--months`` takes them: 1 to 24."""
    if type(months) is not int or not 1 <= months <= 24:
        raise InvalidValue(_("The months are a whole number from 1 to 24."))


def _words(given: Iterable[str]) -> list[str]:
    """Tags as a list of words (a string would be taken letter by letter)."""
    words = [] if isinstance(given, str) else list(given)
    if isinstance(given, str) or not all(isinstance(word, str) for word in words):
        raise InvalidValue(_('The tags are a list of words, such as ["vip", "q4"].'))
    return words


def _pipeline_text(value: object) -> str:
    """A pipeline given by its number (``--pipeline 2``), as the command line reads it."""
    if type(value) is not int:
        raise InvalidValue(_("A pipeline is named by its name, key or number."))
    return str(value)


def _probability(value: int | str | None) -> int | None:
    """A stage's probability as ``--prob`` takes it: 0 to 100, or its text ("40")."""
    return None if value is None else parse.probability(str(value))


def _target_days(value: object) -> int | None:
    """Target days as ``--target-days`` takes them: a whole number, or None to clear."""
    return None if value is None else parse.target_days(str(value))


def _stage_named(stages: Sequence[Stage], name: str) -> Stage:
    return parse.stage(list(stages), name, enabled_only=False)


def _stage_keyed(stages: Sequence[Stage], key: str) -> Stage:
    return next(s for s in stages if s.key == key)
