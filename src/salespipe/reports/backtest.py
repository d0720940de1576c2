"""Which forecast would have been right: both methods tried on the last months.

At the end of the last day before each of the last N whole months, the pipeline is
taken as ``--as-of`` that day would show it; each method forecasts the month that
follows from the deals open then (:mod:`.forecast`, the history method learning only
from what had happened by then), and the forecast is compared with what those deals
actually brought in that month. All months come from one pass over the events'
change rows (:mod:`salespipe.core.change_rows`): each deal's record is caught at
every month start its events straddle.

The work is in two steps: what each month start forecast (:class:`Forecasts`, fixed
once the month has begun), then how those forecasts came out, from the deals as they
are now. A backend may keep the first step and answer the second itself
(:func:`backtest_in`); both ways go through the same scoring.

Per method:

- MAE: the mean, over the months some deal was open at the start of, of
  |forecast - won| (in the main currency: the one most of those deals are in; the
  months, their open deals and what they brought are counted in it alone);
- MAPE: the mean of |forecast - won| / won over the months something was won;
- Brier score: the mean of (probability - outcome)^2 over every deal open at a month
  start that has since closed, at each such month start (outcome 1 won, 0 lost); 0 is
  perfect, 0.25 is a coin.

The history method is called better only when its Brier score is lower by more than
twice the standard error of the per-deal difference (each deal's mean over its month
starts: one observation a deal; chance alone seldom does that);
otherwise the stage probabilities stay. The verdict rests on the Brier score because
it has one observation per deal, where the monthly errors have one per month: a few
months of won values swing too much to tell two methods apart.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from salespipe.core import parse
from salespipe.core.change_rows import ADDED, REMOVED, ChangeRow
from salespipe.core.model import Record, Stage, record_probability
from salespipe.core.tally import currency_of, end_of_day, local_day, moment, rounded, value_of
from salespipe.reports.calibrate import PathCounts, Walk, deal_path, walk_of, walk_path
from salespipe.reports.forecast import (
    METHODS,
    Method,
    add_months,
    age_in_stage,
    month_start,
    timing_shares,
)
from salespipe.reports.timeline import roll_back_stages
from salespipe.storage.history import FORECAST_FIELDS

if TYPE_CHECKING:
    from salespipe.storage.port import ReadView


Z_BETTER = 2.0
"""Standard errors by which the history method's Brier score must beat the stage one."""

KEPT_FORMAT = "backtest-2"
"""Names how a kept run was worked out. Change it with anything that changes what a month
start forecasts: the release's version is in the key too, but a build between two
releases carries the last one's, and must not read a run an older build kept
(backtest-2: a month's open deals are counted in the main currency, from the counts per
currency; backtest-1 kept a count of every currency beside them)."""

LEAST_SCORED = 20
"""Deals scored before there is a verdict: a standard error from a handful of deals
says little (two deals that differ alike have an error of 0)."""


@dataclass(frozen=True)
class Score:
    mae: float | None
    mape: float | None
    brier: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mae": rounded(self.mae, 2),
            "mape": rounded(self.mape, 4),
            "brier": rounded(self.brier, 4),
        }


@dataclass(frozen=True)
class BacktestMonth:
    month: date
    deals: int  # open at its start, in the main currency (as its money columns count)
    forecast: dict[Method, Decimal]  # in the main currency
    won: Decimal  # what the deals open at its start brought in during it
    learned: dict[str, float]  # the history method's probability per stage, learned by then

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"),
            "deals": self.deals,
            "forecast": {m: float(v) for m, v in self.forecast.items()},
            "won": float(self.won),
            "probabilities": {key: round(p, 4) for key, p in self.learned.items()},
        }


@dataclass(frozen=True)
class Backtest:
    as_of: date
    currency: str
    months: list[BacktestMonth]
    scores: dict[Method, Score]
    brier_gain: float | None  # stage Brier - history Brier, per deal, on average
    brier_gain_error: float | None  # its standard error
    scored_deals: int  # the deals scored, each at one or more month starts
    scored_forecasts: int  # their forecasts: one per deal and month start
    # Deals in another currency than `currency` were open at a month start: the months'
    # table and MAE leave them out, the Brier score (and the verdict) counts them.
    other_currencies: bool = False

    @property
    def better(self) -> Method:
        return "history" if self._clear(1) else "stage"

    @property
    def worse(self) -> bool:
        """Whether the history method's Brier score was clearly higher: by as much as
        :attr:`better` asks of a lower one."""
        return self._clear(-1)

    def _clear(self, sign: int) -> bool:
        """Whether the Brier gain, taken with ``sign``, is beyond twice its error."""
        if self.too_few or self.brier_gain is None or self.brier_gain_error is None:
            return False
        return sign * self.brier_gain > max(Z_BETTER * self.brier_gain_error, 0.0)

    @property
    def too_few(self) -> bool:
        """Too few deals were scored to compare the methods."""
        return self.brier_gain is None or self.scored_deals < LEAST_SCORED

    @property
    def lower_mae(self) -> Method | None:
        """The method whose monthly totals were closer, if they differ."""
        stage, history = self.scores["stage"].mae, self.scores["history"].mae
        if stage is None or history is None or stage == history:
            return None
        return "history" if history < stage else "stage"

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "months": len(self.months),
            "lower_mae": self.lower_mae,
            "currency": self.currency,
            "methods": {m: self.scores[m].to_dict() for m in METHODS},
            "better": self.better,
            "brier_gain": rounded(self.brier_gain, 4),
            "brier_gain_error": rounded(self.brier_gain_error, 4),
            "scored_deals": self.scored_deals,
            "scored_forecasts": self.scored_forecasts,
            "by_month": [month.to_dict() for month in self.months],
        }


@dataclass
class _MonthStart:
    """What one pass gathers for one month: the deals as they stood at its start."""

    month: date
    cutoff: datetime
    paths: PathCounts = field(default_factory=PathCounts)
    pipeline: list[Record] = field(default_factory=list)


def backtest_in(
    view: ReadView,
    *,
    months: int,
    now: datetime,
    owner: str | None = None,
    pipeline: str | None = None,
    changes: Callable[[], Iterable[ChangeRow]] | None = None,
) -> Backtest:
    """The backtest of ``view``'s deals (of those now in ``pipeline``, of ``owner``'s):
    from what the backend kept of an earlier run if it still holds, else replayed from
    ``changes()`` (default: the change rows of those deals).

    What each month start forecast depends only on the events before it, so a backend
    may keep it (:meth:`~salespipe.storage.port.ReadView.kept_backtest`) until an event
    before the last month start, or a change of the stages, is written or undone; the
    deals changed since it was kept are counted again as they are now. Only the whole
    team's backtest is kept: ``owner`` and a pipeline of several are replayed."""
    from salespipe.reports.scope import pipeline_stages, rows_of_pipeline

    starts = month_starts(months, now)
    windows = [_month_window(start.month) for start in starts]
    key = _kept_key(starts, windows) if owner is None and pipeline is None else None
    if key is not None:
        kept = view.kept_backtest(key, _after_the_last_start(starts[-1], windows[-1]))
        if kept is not None:
            outcomes = _brought_up_to_date(
                Outcomes.from_kept(kept.kept["outcomes"]),
                kept.changed,
                [start.month for start in starts],
            )
            return _result(Forecasts.from_kept(kept.kept["months"]), outcomes, now)
    rows = (
        changes()
        if changes is not None
        else rows_of_pipeline(view, view.change_records(), pipeline, deleted_too=True)
    )
    forecasts, deals = _forecast(
        starts, rows, view.undone_changes(), pipeline_stages(view, pipeline), owner
    )
    outcomes = _outcomes(_settled(forecasts, deals, starts))
    if key is not None:
        view.keep_backtest(
            key,
            {"months": forecasts.to_kept(), "outcomes": outcomes.to_kept()},
            lambda: _kept_rows(_settled(forecasts, deals, starts)),
        )
    return _result(forecasts, outcomes, now)


def backtest(
    rows: Iterable[ChangeRow],
    undone: Collection[int],
    stages: Sequence[Stage],
    *,
    months: int,
    now: datetime,
    owner: str | None = None,
) -> Backtest:
    """Both methods on each of the last ``months`` whole months, from the events' change
    rows in recorded order (the changes in ``undone`` and the undos skipped), the stages
    as they are now, and only the deals of ``owner`` if given."""
    starts = month_starts(months, now)
    forecasts, deals = _forecast(starts, rows, undone, stages, owner)
    return _result(forecasts, _outcomes(_settled(forecasts, deals, starts)), now)


def month_starts(months: int, now: datetime) -> list[_MonthStart]:
    """The last ``months`` whole months before ``now``'s, each with its cutoff: the end
    of the day before it, where the reader is."""
    this_month = month_start(now.date())
    return [
        _MonthStart(m, end_of_day(m - timedelta(days=1)))
        for m in (add_months(this_month, -n) for n in range(months, 0, -1))
    ]


def _kept_key(starts: Sequence[_MonthStart], windows: Sequence[tuple[datetime, datetime]]) -> str:
    """What a kept run is found by: this way of forecasting, this release, the month
    starts' cutoffs and the months' bounds, where the reader is (two time zones can share
    every cutoff and still end the last month an hour apart: London and Lagos)."""
    from salespipe import __version__

    cutoffs = ",".join(start.cutoff.isoformat() for start in starts)
    bounds = ",".join(moment.isoformat() for window in windows for moment in window)
    return f"{KEPT_FORMAT} {__version__} {len(starts)} {cutoffs} {bounds}"


def _month_window(month: date) -> tuple[datetime, datetime]:
    """The month from its first local midnight to the next month's."""
    return _midnight(month), _midnight(add_months(month, 1))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone()


def _after_the_last_start(start: _MonthStart, window: tuple[datetime, datetime]) -> datetime:
    """The moment from which an event leaves what the month starts forecast as it was:
    past the last cutoff (an event at it counts before the month start) and past the
    month's first midnight (which Python places an hour before the cutoff where that
    midnight falls in a clock change: Asunción, October 2023)."""
    return max(start.cutoff + timedelta(seconds=1), window[0])


class _Replay:
    """Apply the events as :func:`.timeline.replay` does, and hand each deal's record
    to the month starts that fall between two of its events (or after its last).

    A deal's record counts in the chain of every month start from ``first`` up to (not
    including) ``end``; rather than counting it at each, it is counted once at
    ``first`` and taken back out at ``end``, and the counts of each month start are
    the running sum (so a deal closed years ago costs one count, not one per month).
    What a record counts is its walk (:func:`.calibrate.walk_of`): the walks are
    tallied per month start and each distinct one is counted once at the end.

    A deal is kept as the fields its change rows carry (what the months read of it),
    so that the pass holds 100k small records rather than 100k whole deals."""

    def __init__(self, starts: Sequence[_MonthStart], owner: str | None) -> None:
        self.starts = starts
        self.cutoffs = [start.cutoff for start in starts]
        self.changes: list[dict[Walk, int]] = [{} for _ in range(len(starts) + 1)]
        self.wanted = parse.fold(owner) if owner is not None else None

    def run(
        self, rows: Iterable[ChangeRow], undone: Collection[int]
    ) -> tuple[dict[int, Record], list[Record]]:
        deals: dict[int, Record] = {}
        gone: dict[int, Record] = {}  # the deals deleted, as they were when deleted
        slot_of: dict[int, int] = {}  # per deal: how many month starts precede its last event
        stage_events: list[Record] = []
        witness, slot = self.witness, _Slots(self.cutoffs)
        # The common case of _Slots.__call__, inline: a time in an offset seen before.
        by_offset, lengths, bisect_left = slot.texts, _Slots.LENGTHS, bisect.bisect_left
        for change, kind_of_event, deal_id, at, kind, fields in rows:
            if kind_of_event == "undo" or change in undone:
                continue
            if deal_id is None:
                if kind_of_event.startswith("stage-"):
                    stage_events.append({"at": at, "before": fields})
                continue
            texts = by_offset.get(at[-6:]) if len(at) in lengths and at[10] == "T" else None
            here = bisect_left(texts, at) if texts is not None else slot(at)
            record = deals.get(deal_id)
            if record is not None and here != (was := slot_of[deal_id]):
                witness(record, was, here)
            if kind == ADDED:
                deals[deal_id] = fields
            elif kind == REMOVED:
                if record is not None:
                    gone[deal_id] = deals.pop(deal_id)
            elif record is not None:
                record.update(fields)
            slot_of[deal_id] = here
        end = len(self.cutoffs)
        for deal_id, record in deals.items():
            if slot_of[deal_id] != end:
                witness(record, slot_of[deal_id], end)
        running = PathCounts()
        for start, change in zip(self.starts, self.changes, strict=False):
            running.add_counts(_counted(change))
            start.paths.add_counts(running)
        # A deal deleted since a month start came out as it stood when it was deleted: won
        # within the month, its win counts (it was left out, though forecast and learned).
        return {**gone, **deals}, stage_events

    def witness(self, record: Record, first: int, end: int) -> None:
        """``record`` is the deal as it stood at month starts ``first`` to ``end - 1``."""
        if self.wanted is not None and parse.fold(record.get("owner", "")) != self.wanted:
            return
        walk = walk_of(record)
        counted, taken_back = self.changes[first], self.changes[end]
        counted[walk] = counted.get(walk, 0) + 1
        taken_back[walk] = taken_back.get(walk, 0) - 1
        status = walk[1]
        if status == "won" and record.get("closed_at"):
            days = deal_path(record).days_to_won
            for start in self.starts[first:end]:
                for stage, length in days:
                    start.paths.days_to_won.setdefault(stage, []).append(length)
        elif status == "open":
            kept = {name: record.get(name) for name in FORECAST_FIELDS}  # (all it keeps)
            for start in self.starts[first:end]:
                start.pipeline.append(kept)


class _Slots:
    """How many of the month starts' cutoffs come before a stored time.

    Stored times are ISO text with an offset (``2026-09-30T16:05:00+07:00``, perhaps
    with microseconds); texts of one offset sort as their times do, so such a time is
    compared as text with the cutoffs written in its offset, which is many times faster
    than parsing half a million of them. Any other form is parsed."""

    LENGTHS = (25, 32)  # seconds, or microseconds, then a +HH:MM offset

    def __init__(self, cutoffs: Sequence[datetime]) -> None:
        self.cutoffs = cutoffs
        self.texts: dict[str, list[str]] = {}  # offset -> the cutoffs in it, as text

    def __call__(self, at: str) -> int:
        if len(at) in self.LENGTHS and at[10] == "T":
            texts = self.texts.get(at[-6:])
            if texts is not None:
                return bisect.bisect_left(texts, at)
        when = datetime.fromisoformat(at)
        if len(at) in self.LENGTHS and at[10] == "T" and at[-6] in "+-":
            zone = when.tzinfo
            self.texts[at[-6:]] = [c.astimezone(zone).isoformat() for c in self.cutoffs]
        return bisect.bisect_left(self.cutoffs, when)


def _counted(change: dict[Walk, int]) -> PathCounts:
    """The chain's counts of walks tallied ``change`` times each (0 included: it still
    names the steps, in the order the deals brought them, as counting each deal would)."""
    counts = PathCounts()
    for walk, times in change.items():
        counts.count(walk_path(walk), times, days=False)
    return counts


ForecastRow = tuple[int, int, float, float, str]
"""A deal open at a month start: the month's index, the deal, the probability each
method gave it (stage, history) and its currency then."""


@dataclass(frozen=True)
class MonthForecast:
    """What both methods forecast at one month start, from the deals open then."""

    month: date
    sums: dict[str, tuple[Decimal, Decimal]]  # per currency: stage, history (unrounded)
    counts: dict[str, int]  # the deals open at its start per currency
    learned: dict[str, float]  # the history method's probability per stage, by then


@dataclass(frozen=True)
class Forecasts:
    """The forecasts of every month start: fixed once the months have begun, whatever
    happens to their deals afterwards (which only their outcomes tell)."""

    months: list[MonthForecast]
    rows: list[ForecastRow]

    @property
    def currency(self) -> str:
        """The main currency: the one most deals open at the month starts are in."""
        counts: dict[str, int] = {}
        for month in self.months:
            for code, count in month.counts.items():
                counts[code] = counts.get(code, 0) + count
        return max(sorted(counts), key=lambda c: counts[c]) if counts else "THB"

    def to_kept(self) -> list[dict[str, Any]]:
        """The months as JSON values (rows are kept apart); sums as exact text."""
        return [
            {
                "month": m.month.isoformat(),
                "sums": {
                    code: [str(stage), str(history)] for code, (stage, history) in m.sums.items()
                },
                "counts": m.counts,
                "learned": m.learned,
            }
            for m in self.months
        ]

    @classmethod
    def from_kept(cls, kept: Sequence[dict[str, Any]]) -> Forecasts:
        months = [
            MonthForecast(
                date.fromisoformat(m["month"]),
                {
                    code: (Decimal(stage), Decimal(history))
                    for code, (stage, history) in m["sums"].items()
                },
                {code: int(count) for code, count in m["counts"].items()},
                {key: float(p) for key, p in m["learned"].items()},
            )
            for m in kept
        ]
        return cls(months, [])


def _forecast(
    starts: Sequence[_MonthStart],
    rows: Iterable[ChangeRow],
    undone: Collection[int],
    stages_now: Sequence[Stage],
    owner: str | None,
) -> tuple[Forecasts, dict[int, Record]]:
    """Each month start's forecasts, and every deal as it is now (replayed; a deal deleted
    as it was when deleted)."""
    deals, stage_events = _Replay(starts, owner).run(rows, undone)
    forecasts = Forecasts([], [])
    for index, start in enumerate(starts):
        later = [e for e in stage_events if moment(e["at"]) > start.cutoff]
        held = {record["stage"] for record in start.pipeline}  # as --as-of keeps them
        stages = roll_back_stages(stages_now, later, held)
        forecasts.months.append(_forecast_month(index, start, stages, forecasts.rows))
    return forecasts, deals


def _forecast_month(
    index: int, start: _MonthStart, stages: Sequence[Stage], rows: list[ForecastRow]
) -> MonthForecast:
    by_key = {s.key: s for s in stages}
    learned = start.paths.result(stages, start.cutoff.date()).by_key()
    history_chances = {key: odds.win_probability for key, odds in learned.items()}
    month, following = start.month, add_months(start.month, 1)
    edges = [0.0, (following - month).days]
    sums: dict[str, list[Decimal]] = {}
    counts: dict[str, int] = {}
    for record in start.pipeline:
        key = record["stage"]
        stage_chance = record_probability(record, by_key.get(key)) / 100
        history_chance = history_chances.get(key, stage_chance)
        code = currency_of(record)
        rows.append((index, record["id"], stage_chance, history_chance, code))
        counts[code] = counts.get(code, 0) + 1
        close = record.get("expected_close")
        dated = date.fromisoformat(close) if close else None
        in_month = 1.0 if dated is not None and month <= dated < following else 0.0
        if dated is not None and dated >= month:
            history_share = in_month
        else:
            odds = learned.get(key)
            days = odds.days_to_won if odds is not None else ()
            age = age_in_stage(record, start.cutoff)
            history_share = timing_shares(days, age, edges)[0]
        pair = sums.setdefault(code, [Decimal(0), Decimal(0)])
        # A zero term adds nothing to a sum, so its Decimal product is skipped.
        if in_month and stage_chance:
            pair[0] += value_of(record) * Decimal(stage_chance * in_month)
        if history_share and history_chance:
            pair[1] += value_of(record) * Decimal(history_chance * history_share)
    return MonthForecast(
        month,
        {code: (stage, history) for code, (stage, history) in sums.items()},
        counts,
        history_chances,
    )


Terms = tuple[float, float]
"""A forecast's Brier terms, stage method and history method: (probability - outcome)^2."""

Combo = tuple[Terms, ...]
"""The terms of one closed deal's forecasts, month start by month start."""


def _terms(stage_chance: float, history_chance: float, won: bool) -> Terms:
    return (stage_chance - won) ** 2, (history_chance - won) ** 2


@dataclass
class Outcomes:
    """How the month starts' forecasts came out, from the deals as they are now: the
    deals closed since, counted by the Brier terms of their forecasts (deals alike in
    every term count as one entry: 658k closed deals made 459 at 1M), and what the
    deals open at each month start, won within its month, brought, per currency they
    were in then."""

    closed: Counter[Combo] = field(default_factory=Counter)
    won: dict[tuple[int, str], Decimal] = field(default_factory=dict)

    def add_closed(self, combo: Combo, times: int) -> None:
        count = self.closed[combo] + times
        if count:
            self.closed[combo] = count
        else:
            del self.closed[combo]

    def add_won(self, month: int, code: str, value: Decimal) -> None:
        self.won[month, code] = self.won.get((month, code), Decimal(0)) + value

    def to_kept(self) -> dict[str, Any]:
        return {
            "closed": [[list(map(list, combo)), count] for combo, count in self.closed.items()],
            "won": [[month, code, str(value)] for (month, code), value in self.won.items()],
        }

    @classmethod
    def from_kept(cls, kept: dict[str, Any]) -> Outcomes:
        closed: Counter[Combo] = Counter()
        for combo, count in kept["closed"]:
            closed[tuple((float(st), float(ht)) for st, ht in combo)] = int(count)
        won = {(int(month), str(code)): Decimal(value) for month, code, value in kept["won"]}
        return cls(closed, won)


KeptRow = tuple[int, int, str, float, float, float, float, str, Decimal | None]
"""A deal open at a month start, as a backend keeps it: the month's index, the deal, its
currency then, its terms if won and if lost, its status when kept ("won", "lost" or
"open"; a deal deleted, as it was when deleted) and what it counted in that month's
won."""

Now = tuple[str, str | None, Decimal | None]
"""A deal as it is now (a deal deleted, as it was when deleted): status, when it closed
(as stored) and value."""


Settled = tuple[int, int, float, float, str, str, Decimal | None]
"""A deal open at a month start, and how it came out: the month's index, the deal, the
two probabilities, its currency then, its status now ("won", "lost" or "open"; a deal
deleted, as it was when deleted) and what it brought in that month if it was won within
it."""


def _settled(
    forecasts: Forecasts, deals: dict[int, Record], starts: Sequence[_MonthStart]
) -> Iterator[Settled]:
    """Each forecast with how it came out, from the deals as the replay left them (as
    they are now)."""
    for index, deal_id, stage_chance, history_chance, code in forecasts.rows:
        final = deals.get(deal_id)
        status = final.get("status", "open") if final is not None else "open"
        if final is None or status not in ("won", "lost"):
            yield index, deal_id, stage_chance, history_chance, code, "open", None
            continue
        month = starts[index].month
        won = status == "won" and _closed_within(final.get("closed_at"), month)
        brought = value_of(final) if won else None
        yield index, deal_id, stage_chance, history_chance, code, status, brought


def _outcomes(settled: Iterable[Settled]) -> Outcomes:
    outcomes = Outcomes()
    combos: dict[int, list[Terms]] = {}
    for index, deal_id, stage_chance, history_chance, code, status, brought in settled:
        if status != "open":
            combos.setdefault(deal_id, []).append(
                _terms(stage_chance, history_chance, status == "won")
            )
        if brought is not None:
            outcomes.add_won(index, code, brought)
    for terms in combos.values():
        outcomes.add_closed(tuple(terms), 1)
    return outcomes


def _kept_rows(settled: Iterable[Settled]) -> list[KeptRow]:
    """The rows a backend keeps: made only when it keeps them (a data file does not)."""
    return [
        (
            index,
            deal_id,
            code,
            *_terms(stage_chance, history_chance, True),
            *_terms(stage_chance, history_chance, False),
            status,
            brought,
        )
        for index, deal_id, stage_chance, history_chance, code, status, brought in settled
    ]


def _brought_up_to_date(
    outcomes: Outcomes,
    changed: Iterable[tuple[KeptRow, Now]],
    months: Sequence[date],
) -> Outcomes:
    """The kept outcomes with the deals changed since they were kept as they are now:
    each such deal's rows (month by month) with its state now."""
    rows_of: dict[int, list[tuple[KeptRow, Now]]] = {}
    for row, now in changed:
        rows_of.setdefault(row[1], []).append((row, now))
    for rows in rows_of.values():
        rows.sort(key=lambda pair: pair[0][0])
        then, (status, closed, value) = rows[0][0][7], rows[0][1]
        if then in ("won", "lost"):
            outcomes.add_closed(tuple(_kept_terms(row, then) for row, _ in rows), -1)
        if status in ("won", "lost"):
            outcomes.add_closed(tuple(_kept_terms(row, status) for row, _ in rows), 1)
        for row, _ in rows:
            index, code, won_then = row[0], row[2], row[8]
            if won_then is not None:
                outcomes.add_won(index, code, -won_then)
            month = months[index]
            if status == "won" and value is not None and _closed_within(closed, month):
                outcomes.add_won(index, code, value)
    return outcomes


def _kept_terms(row: KeptRow, status: str) -> Terms:
    return (row[3], row[4]) if status == "won" else (row[5], row[6])


def _result(forecasts: Forecasts, outcomes: Outcomes, now: datetime) -> Backtest:
    currency = forecasts.currency
    months = []
    for index, month in enumerate(forecasts.months):
        stage, history = month.sums.get(currency, (Decimal(0), Decimal(0)))
        forecast: dict[Method, Decimal] = {
            "stage": stage.quantize(Decimal("0.01")),
            "history": history.quantize(Decimal("0.01")),
        }
        brought = outcomes.won.get((index, currency), Decimal(0))
        deals = month.counts.get(currency, 0)  # as the forecasts and the won: not all
        months.append(BacktestMonth(month.month, deals, forecast, brought, month.learned))
    stage_terms: list[tuple[float, int]] = []
    history_terms: list[tuple[float, int]] = []
    # Per deal, its mean gain over the month starts it was open at: a deal open at three
    # month starts is one observation, not three (its three forecasts are not independent).
    gains: list[tuple[float, int]] = []
    for combo, count in outcomes.closed.items():
        stage_terms.extend((st, count) for st, _ in combo)
        history_terms.extend((ht, count) for _, ht in combo)
        gains.append((math.fsum(st - ht for st, ht in combo) / len(combo), count))
    forecasts_scored = sum(count for _, count in stage_terms)
    deals_scored = sum(count for _, count in gains)
    gain, error = _mean_and_error(gains)
    brier = {"stage": stage_terms, "history": history_terms}
    return Backtest(
        now.date(),
        currency,
        months,
        {m: _method_score(months, brier[m], m) for m in METHODS},
        gain,
        error,
        deals_scored,
        forecasts_scored,
        any(code != currency for m in forecasts.months for code, n in m.counts.items() if n),
    )


def _closed_within(closed_at: str | None, month: date) -> bool:
    """Whether a deal closed at ``closed_at`` (as stored) closed in ``month``, where the
    reader is."""
    return closed_at is not None and month <= local_day(closed_at) < add_months(month, 1)


def _method_score(
    months: Sequence[BacktestMonth], brier: Sequence[tuple[float, int]], method: Method
) -> Score:
    # A month no deal was open at has nothing to forecast: counted, its 0 = 0 would
    # make the mean error look better than any month was.
    errors = [abs(m.forecast[method] - m.won) for m in months if m.deals]
    relative = [float(abs(m.forecast[method] - m.won) / m.won) for m in months if m.won]
    return Score(
        mae=float(sum(errors) / len(errors)) if errors else None,
        mape=math.fsum(relative) / len(relative) if relative else None,
        brier=_mean(brier),
    )


def _exact_sum(values: Iterable[tuple[float, int]]) -> float:
    """The sum of each value taken so many times, rounded once: what math.fsum gives
    of the values written out, without writing them out."""
    return float(sum((Fraction(value) * count for value, count in values), Fraction(0)))


def _mean(values: Sequence[tuple[float, int]]) -> float | None:
    count = sum(times for _, times in values)
    return _exact_sum(values) / count if count else None


def _mean_and_error(values: Sequence[tuple[float, int]]) -> tuple[float | None, float | None]:
    """The mean of the values (each taken so many times) and its standard error (None
    for fewer than two)."""
    count = sum(times for _, times in values)
    if count < 2:
        return None, None
    mean = _exact_sum(values) / count
    variance = _exact_sum(((v - mean) ** 2, times) for v, times in values) / (count - 1)
    return mean, math.sqrt(variance / count)
