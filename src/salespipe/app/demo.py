"""A realistic demo pipeline, written in one transaction.

Every demo deal is told as a story of events, the way the use cases would have
recorded them: created in the first stage, moved on (sometimes skipping a stage)
with reasons, noted, quoted, given next actions, and won or lost with reasons. Its
record follows each event exactly, so replaying the demo's events rebuilds its
deals. All times lie within the last 120 days before ``clock.now()``, so a seed and
a pinned clock give the same file every time.

A small demo keeps about half its deals open so the chart has something to show; a
large one (benchmark data) keeps about 10 % open, with about 5 events per deal.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from salespipe.app import settings
from salespipe.app.demo_data import DemoWords, words_for
from salespipe.core.errors import NotAllowed
from salespipe.core.i18n import _
from salespipe.core.model import Deal, Event, Record, Stage

HISTORY_DAYS = 120
SMALL_DEMO = 200
OPEN_SHARE_SMALL, OPEN_SHARE_LARGE = 0.45, 0.10
WON_SHARE_OF_CLOSED = 0.3
STALE_SHARE = 0.3
SKIP_STAGE_SHARE = 0.1
REOPEN_SHARE = 0.02
QUOTE_STAGE = "quoted"
SLOW_STAGE, SLOW_FACTOR = "quoted", 1.8  # deals wait on quotations: the demo's bottleneck
# Quotations lose on price: more lost deals end there than the stage's 50 % allows, so
# `calibrate` finds the quoted stage (and those after it) won less often than configured.
PRICE_STAGE, PRICE_WEIGHT = "quoted", 3
SLIP_SHARE = 0.6  # of the open deals that pass their expected close: pushed back
CURRENCY = "THB"

Pending = tuple[datetime, int, str, Record | None, Record, str | None, str | None]

if TYPE_CHECKING:
    from salespipe.app.pipeline import Pipeline


@dataclass(frozen=True)
class DemoResult:
    path: str  # where the demo database is, as the user named it
    deals: int
    open: int
    events: int


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass
class _Story:
    """One demo deal told event by event; ``record`` always holds its current state."""

    deal_id: int
    owner: str
    record: Record = field(default_factory=dict)
    events: list[Pending] = field(default_factory=list)

    def add(self, at: datetime, record: Record) -> None:
        self.record = record
        self.events.append((at, self.deal_id, "add", None, dict(record), None, None))

    def change(
        self,
        kind: str,
        at: datetime,
        changes: Record,
        *,
        reason: str | None = None,
        text: str | None = None,
        stamp: str | None = None,
    ) -> None:
        """Apply changed fields and keep the event holding them (as ``Work.save`` does)."""
        changes["updated_at"] = stamp or _iso(at)
        record = self.record
        keys = [k for k in changes if record.get(k) != changes[k]]
        before = {k: record.get(k) for k in keys}
        after = {k: changes[k] for k in keys}
        record.update(after)
        self.events.append((at, self.deal_id, kind, before, after, reason, text))

    def enter(
        self, kind: str, stage: str, at: datetime, reason: str | None, **changes: Any
    ) -> None:
        """Move (or reopen) into ``stage``: the open stay ends and a new one starts."""
        stamp = _iso(at)
        stays = [*self._closed_stays(stamp), [stage, stamp, None]]
        changes.update(stage=stage, stage_entered_at=stamp, stays=stays)
        self.change(kind, at, changes, reason=reason, stamp=stamp)

    def close(self, status: str, at: datetime, reason: str | None) -> None:
        stamp = _iso(at)
        changes = {
            "status": status,
            "closed_at": stamp,
            "lost_reason": reason if status == "lost" else None,
            "stays": self._closed_stays(stamp),
        }
        self.change(status, at, changes, reason=reason, stamp=stamp)

    def _closed_stays(self, stamp: str) -> list[list[Any]]:
        stays = [list(stay) for stay in self.record["stays"]]
        if stays and stays[-1][2] is None:
            stays[-1][2] = stamp
        return stays


class _Generator:
    def __init__(
        self, rng: random.Random, words: DemoWords, stages: Sequence[Stage], now: datetime
    ) -> None:
        self.rng = rng
        self.words = words
        self.stages = list(stages)
        self.now = now
        self.today = now.date()

    # -- the shape of one deal's life ---------------------------------------------------------
    def _final_stage(self, outcome: str) -> int:
        last = len(self.stages) - 1
        if outcome == "won":
            return last if self.rng.random() > 0.1 else max(0, last - 1)
        # Lost deals mostly die early, or at the quotation; open deals spread over the pipeline.
        bias = 0 if outcome == "lost" else 1
        weights = [len(self.stages) - i + bias for i in range(len(self.stages))]
        if outcome == "lost":
            weights = [
                w + PRICE_WEIGHT if s.key == PRICE_STAGE else w
                for w, s in zip(weights, self.stages, strict=True)
            ]
        return self.rng.choices(range(len(self.stages)), weights=weights)[0]

    def _path(self, outcome: str) -> list[int]:
        final, path, at = self._final_stage(outcome), [0], 0
        while at < final:
            skip = at + 2 <= final and self.rng.random() < SKIP_STAGE_SHARE
            at += 2 if skip else 1
            path.append(at)
        return path

    def _target(self, index: int) -> float:
        return float(self.stages[index].target_days or 10)

    def _stay_days(self, index: int) -> float:
        factor = self.rng.uniform(0.2, 1.4)
        if self.rng.random() < 0.12:
            factor = self.rng.uniform(1.5, 3.0)
        if self.stages[index].key == SLOW_STAGE:
            factor *= SLOW_FACTOR
        return self._target(index) * factor

    def _timeline(self, path: list[int], outcome: str) -> tuple[datetime, list[datetime]]:
        """When the deal was created and when each stay (and the closing) begins.

        ``recent`` is how many days before now the last step happened: the start of the
        ongoing stay of an open deal, or the closing of a closed one (spread over the
        whole history). Stays that would start before the history are shortened to fit.
        """
        window = HISTORY_DAYS - 0.5
        if outcome == "open":
            target = self._target(path[-1])
            stale = self.rng.random() < STALE_SHARE
            recent = target + self.rng.uniform(1, 15) if stale else self.rng.uniform(0.05, target)
            spans = [self._stay_days(i) for i in path[:-1]]
        else:
            spans = [self._stay_days(i) for i in path]
            recent = self.rng.uniform(0.05, max(0.1, window - sum(spans) / 2))
        room = window - recent
        total = sum(spans)
        if total > room:
            spans = [span * room / total for span in spans]
            total = room
        start = (self.now - timedelta(days=total + recent)).replace(microsecond=0)
        moments = [start]
        for span in spans:
            moments.append(moments[-1] + timedelta(seconds=int(span * 86400)))
        return start, moments

    # -- telling it -----------------------------------------------------------------------------
    def _value(self) -> int:
        amount = self.rng.lognormvariate(12.6, 0.9)  # median about 300,000
        return max(20_000, min(20_000_000, int(round(amount, -3))))

    def _first_record(self, deal_id: int, owner: str, at: datetime) -> Record:
        w, rng = self.words, self.rng
        customer = rng.choice(w.customers)
        stamp = _iso(at)
        first = self.stages[0].key
        closes = at.date() + timedelta(days=rng.randint(30, 100))
        return {
            "id": deal_id,
            "title": f"{rng.choice(w.products)} – {customer}",
            "customer": customer,
            "contact": rng.choice(w.contacts),
            "value": self._value(),
            "currency": CURRENCY,
            "owner": owner,
            "stage": first,
            "status": "open",
            "probability": rng.choice((40, 60, 80)) if rng.random() < 0.05 else None,
            "expected_close": closes.isoformat() if rng.random() < 0.7 else None,
            "next_action": None,
            "tags": [rng.choice(w.tags)] if rng.random() < 0.3 else [],
            "created_at": stamp,
            "updated_at": stamp,
            "stage_entered_at": stamp,
            "closed_at": None,
            "lost_reason": None,
            "stays": [[first, stamp, None]],
            "quote": None,
            "source": None,
        }

    def _between(self, start: datetime, end: datetime) -> datetime:
        seconds = max(0, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randint(seconds // 10, seconds) if seconds else 0)

    def _quote(self, story: _Story, sent: datetime) -> None:
        rng = self.rng
        amount = max(10_000, int(round(story.record["value"] * rng.uniform(0.9, 1.1), -3)))
        note = rng.choice(self.words.quote_notes)
        quote = {
            "amount": amount,
            "valid_until": (sent.date() + timedelta(days=rng.choice((7, 15, 30, 45)))).isoformat(),
            "sent_at": _iso(sent),
            "note": note,
        }
        story.change("quote", sent, {"quote": quote, "value": amount}, text=note)

    def _next_action(self, story: _Story, at: datetime) -> None:
        due = self.today + timedelta(days=self.rng.randint(-7, 14))
        action = {"text": self.rng.choice(self.words.next_actions), "due": due.isoformat()}
        story.change("next", at, {"next_action": action}, text=action["text"])

    def _slip_moment(
        self, close: str | None, index: int, entered: datetime, ends: datetime
    ) -> datetime | None:
        """When the owner pushes the expected close back, if at all in this stay: the day
        after the date passes with the deal still here, or when the stay runs over its
        target days (only some owners bother)."""
        if not close or self.rng.random() >= SLIP_SHARE:
            return None
        passed = datetime.combine(date.fromisoformat(close), time(9), entered.tzinfo)
        passed += timedelta(days=1)
        if entered < passed < ends:
            return passed
        overdue = entered + timedelta(days=self._target(index))
        return overdue.replace(microsecond=0) if overdue < ends else None

    def _slip(self, story: _Story, at: datetime) -> None:
        close = date.fromisoformat(story.record["expected_close"])
        pushed = max(close, at.date()) + timedelta(days=self.rng.randint(14, 45))
        story.change("edit", at, {"expected_close": pushed.isoformat()})

    def _note(self, story: _Story, at: datetime) -> None:
        story.change("note", at, {}, text=self.rng.choice(self.words.notes))

    def _during_stay(
        self,
        story: _Story,
        index: int,
        entered: datetime,
        ends: datetime,
        *,
        note: bool,
        last: bool,
    ) -> None:
        """What happens while the deal sits in a stage, told in time order."""
        rng = self.rng
        happenings: list[tuple[datetime, Callable[[_Story, datetime], None]]] = []
        if self.stages[index].key == QUOTE_STAGE and rng.random() < 0.7:
            sent = entered + (ends - entered) * rng.uniform(0.05, 0.3)
            happenings.append((sent.replace(microsecond=0), self._quote))
        if note:
            happenings.append((self._between(entered, ends), self._note))
        if last and rng.random() < 0.6:
            happenings.append((self._between(entered, ends), self._next_action))
        close = story.record.get("expected_close")
        slips_at = self._slip_moment(close, index, entered, ends)
        if slips_at is not None:
            happenings.append((slips_at, self._slip))
        for at, happen in sorted(happenings, key=lambda item: item[0]):
            happen(story, at)

    def tell(self, deal_id: int, outcome: str) -> _Story:
        """The whole life of one deal, from creation to now (or to its closing)."""
        rng, w = self.rng, self.words
        story = _Story(deal_id, rng.choice(w.owners))
        path = self._path(outcome)
        start, moments = self._timeline(path, outcome)
        story.add(start, self._first_record(deal_id, story.owner, start))
        note_in = rng.randrange(len(path)) if rng.random() < 0.5 else -1
        reopened = {step for step in range(1, len(path)) if rng.random() < REOPEN_SHARE}
        for step, index in enumerate(path):
            entered = moments[step]
            ends = moments[step + 1] if step + 1 < len(moments) else self.now
            if step in reopened:
                story.enter(
                    "reopen",
                    self.stages[index].key,
                    entered,
                    rng.choice(w.reopen_reasons),
                    status="open",
                    closed_at=None,
                    lost_reason=None,
                )
            elif step > 0:
                reason = rng.choice(w.move_reasons) if rng.random() < 0.75 else None
                story.enter("move", self.stages[index].key, entered, reason)
            lost_at = entered + (ends - entered) * 0.7
            if step + 1 in reopened:
                ends = lost_at.replace(microsecond=0)
            open_now = outcome == "open" and step == len(path) - 1
            self._during_stay(story, index, entered, ends, note=step == note_in, last=open_now)
            if step + 1 in reopened:
                story.close("lost", ends, rng.choice(w.lost_reasons))
        if outcome != "open":
            pool = w.won_reasons if outcome == "won" else w.lost_reasons
            reason = rng.choice(pool) if outcome == "lost" or rng.random() < 0.7 else None
            story.close(outcome, moments[-1], reason)
        return story


def _outcomes(count: int, rng: random.Random) -> list[str]:
    open_share = OPEN_SHARE_SMALL if count <= SMALL_DEMO else OPEN_SHARE_LARGE
    opened = round(count * open_share)
    won = round((count - opened) * WON_SHARE_OF_CLOSED)
    outcomes = ["open"] * opened + ["won"] * won + ["lost"] * (count - opened - won)
    rng.shuffle(outcomes)
    return outcomes


def _events(story: _Story, first_seq: int, change: int) -> list[Event]:
    return [
        Event(
            seq=first_seq + n,
            change=change,
            type=kind,
            at=at,
            recorded_at=at,
            who=story.owner,
            command="demo",
            deal_id=deal_id,
            reason=reason,
            text=text,
            before=before,
            after=after,
        )
        for n, (at, deal_id, kind, before, after, reason, text) in enumerate(story.events)
    ]


def _what_is_there(pipeline: Pipeline) -> str:
    """``none`` (no file), ``demo``, ``empty`` (no deal and no event: what `init` makes,
    and what a demo cut off before it committed leaves, a new file's main file being
    made first) or ``pipeline`` (someone's work)."""
    snapshot = pipeline.read()
    if not snapshot.exists:
        return "none"
    if snapshot.flags().get("demo"):
        return "demo"
    counters = snapshot.counters()
    return "empty" if counters.next_deal_id == 1 and counters.next_seq == 1 else "pipeline"


def write_demo(
    pipeline: Pipeline, *, deals: int, seed: int, lang: str, own_file: bool = False
) -> DemoResult:
    """Replace the demo file (never a real pipeline) by a fresh demo of ``deals`` deals.
    ``own_file``: the demo's own file in the user data folder (no --db), which nothing
    but the demo writes: one there that holds nothing is a demo cut off, written over.

    Events are recorded deal by deal, as an import of history would record them; each
    deal's events are in time order.
    """
    path = pipeline.store.location
    there = _what_is_there(pipeline)
    if there == "empty" and not own_file:
        raise NotAllowed(
            _(
                "{path} holds an empty pipeline (made by `salespipe init`, or a demo cut off "
                "before it finished), so the demo will not write over it; choose another "
                "file with --db, or remove that one first."
            ).format(path=path)
        )
    if there == "pipeline":
        raise NotAllowed(
            _(
                "{path} holds a pipeline that is not a demo, or a demo changed since it was "
                "made (which makes it real work), so the demo will not write over it; "
                "choose another file with --db."
            ).format(path=path)
        )
    if there != "none":  # an earlier demo, or the demo's own file left empty
        pipeline.store.destroy(settings.lock_timeout_of(pipeline.store))
    rng = random.Random(seed)
    counts = {"open": 0, "events": 0}
    with pipeline.work("demo") as work:
        tx = work.tx
        stages = [s for s in work.stages if s.enabled]
        generator = _Generator(rng, words_for(lang), stages, work.now)
        first_seq, change = tx.counters().next_seq, tx.change_id()

        def told() -> Iterator[Deal]:
            # Tell one deal at a time and record its events, so memory holds one story.
            for deal_id, outcome in enumerate(_outcomes(deals, rng), start=1):
                story = generator.tell(deal_id, outcome)
                for event in _events(story, first_seq + counts["events"], change):
                    tx.record(event)
                counts["events"] += len(story.events)
                counts["open"] += outcome == "open"
                yield Deal.from_record(story.record)

        tx.save_deals(told())
        tx.set_flag("demo", True)
        tx.advance_counters(next_deal_id=deals + 1, next_seq=first_seq + counts["events"])
        tx.not_undoable()
    return DemoResult(path=path, deals=deals, open=counts["open"], events=counts["events"])
