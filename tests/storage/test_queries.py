"""The default answers of the query seam (storage/queries.py) take shortcuts: values
summed before they are weighted, days counted from epoch seconds, urgency ordered by
stored days as text. Each must give exactly what the plain per-deal arithmetic gives,
written out here as the reference, on any open deals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe.core.model import Record, Stage, record_days_in_stage, record_probability
from salespipe.core.tally import value_of, weighted_of
from salespipe.storage import queries
from salespipe.storage.queries import Dated, OpenWhere

STAGES = [
    Stage(key="a", name="A", position=1, probability=10, target_days=7),
    Stage(key="b", name="B", position=2, probability=33, target_days=None),
    Stage(key="c", name="C", position=3, probability=0, target_days=1),
]
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone(timedelta(hours=7)))
OFFSETS = [UTC, *(timezone(timedelta(hours=hours)) for hours in (7, -5, 14, -12))]


def reference_totals(records: list[Record]) -> list[tuple[str, str, int, str, str]]:
    """Per stage and currency in first-come order: deals, value and weighted value (as
    text, so that a different exponent shows), each deal weighted to the cent."""
    by_key = {s.key: s for s in STAGES}
    sums: dict[tuple[str, str], list[Any]] = {}
    for record in records:
        row = sums.setdefault((record["stage"], record["currency"]), [0, Decimal(0), Decimal(0)])
        row[0] += 1
        row[1] += value_of(record)
        row[2] += weighted_of(record, by_key.get(record["stage"]))
    return [(k, c, n, str(v), str(w)) for (k, c), (n, v, w) in sums.items()]


def reference_urgency(record: Record, now: datetime) -> tuple[Any, ...]:
    stage = {s.key: s for s in STAGES}.get(record["stage"])
    days = record_days_in_stage(record, now)
    target = stage.target_days if stage else None
    over = days - target if target and days > target else 0
    due = date.fromisoformat(record["next_action"]["due"]) if record["next_action"] else None
    late = max(0, (now.date() - due).days) if due else 0
    return (-late, -over, due or date.max, -days, record["id"])


def _day(days: int) -> str:
    return str(NOW.date() + timedelta(days))


# The strategies a record is drawn from, made once: built afresh inside open_deals,
# each draw would validate a new strategy, which took most of these tests' time.
COUNTS = st.integers(0, 30)
WHOLE_DAYS = st.integers(0, 12)
AROUND = st.sampled_from([-1, 0, 1, 3600, 43200, -43200])
ZONES = st.sampled_from(OFFSETS)
DAY_OR_NONE = st.none() | st.integers(-5, 5)
CENTS = st.integers(0, 10**9)
WHOLE = st.booleans()
STAGE_KEYS = st.sampled_from(["a", "b", "c", "gone"])
CURRENCIES = st.sampled_from(["THB", "USD"])
PROBABILITIES = st.none() | st.integers(0, 100)


@st.composite
def open_deals(draw: st.DrawFn, now: datetime = NOW) -> list[Record]:
    count = draw(COUNTS)
    records = []
    for deal_id in range(1, count + 1):
        # Around whole days before now: on the second, one second either side.
        seconds = draw(WHOLE_DAYS) * 86400 + draw(AROUND)
        entered = (now - timedelta(seconds=seconds)).astimezone(draw(ZONES))
        due, close, until = (draw(DAY_OR_NONE) for _ in range(3))
        cents = draw(CENTS)
        value = cents // 100 if draw(WHOLE) else cents / 100
        records.append(
            {
                "id": deal_id,
                "status": "open",
                "stage": draw(STAGE_KEYS),
                "currency": draw(CURRENCIES),
                "value": value,
                "probability": draw(PROBABILITIES),
                "stage_entered_at": entered.isoformat(timespec="seconds"),
                "next_action": None if due is None else {"due": _day(due)},
                "expected_close": None if close is None else _day(close),
                "quote": None if until is None else {"valid_until": _day(until)},
            }
        )
    return records


@settings(max_examples=300, deadline=None)
@given(open_deals())
def test_stage_totals_are_each_deals_sums(records: list[Record]) -> None:
    got = queries.stage_totals(records, STAGES, OpenWhere())
    assert [(s.stage, s.currency, s.deals, str(s.value), str(s.weighted)) for s in got] == (
        reference_totals(records)
    )


# Now early and late in its UTC day: a time written with its offset may fall on the
# day after its UTC day, or the day before.
NOWS = [NOW, NOW + timedelta(hours=13, minutes=59), NOW - timedelta(hours=3)]


@settings(max_examples=400, deadline=None)
# One strategy for each now, made once (a flatmap made a new one for every example).
@given(st.one_of(*(st.tuples(st.just(now), open_deals(now)) for now in NOWS)))
def test_days_urgency_and_staleness_are_the_per_deal_ones(
    drawn: tuple[datetime, list[Record]],
) -> None:
    now, records = drawn
    days_of = queries.days_in_stage_at(now)
    assert [days_of(r) for r in records] == [record_days_in_stage(r, now) for r in records]
    for limit in (None, 0, 1, 3):
        page = queries.open_page(records, STAGES, OpenWhere(), "urgency", limit, now)
        expected = sorted(records, key=lambda r: reference_urgency(r, now))[:limit]
        assert [r["id"] for r in page.records] == [r["id"] for r in expected]
        page = queries.open_page(records, STAGES, OpenWhere(), "days", limit, now)
        by_days = sorted(records, key=lambda r: (-record_days_in_stage(r, now), r["id"]))
        assert [r["id"] for r in page.records] == [r["id"] for r in by_days[:limit]]
    targets = {s.key: s.target_days for s in STAGES if s.target_days}
    stale = sorted(
        (targets[r["stage"]] - record_days_in_stage(r, now), r["id"])
        for r in records
        if r["stage"] in targets and record_days_in_stage(r, now) > targets[r["stage"]]
    )
    page = queries.stale_deals(records, STAGES, now, OpenWhere())
    assert ([r["id"] for r in page.records], page.matched) == ([i for _, i in stale], len(stale))


def test_a_closed_record_counts_its_days_to_its_closing() -> None:
    record = {
        "stage_entered_at": "2026-11-01T10:00:00+07:00",
        "closed_at": "2026-11-04T09:00:00+07:00",
    }
    assert queries.days_in_stage_at(NOW)(record) == 2


def test_a_probability_of_a_won_record_is_whole() -> None:
    """The totals weigh by the probability record_probability gives a record's status."""
    record = {
        "id": 1,
        "status": "won",
        "stage": "b",
        "currency": "THB",
        "value": 7,
        "probability": None,
    }
    assert record_probability(record, STAGES[1]) == 100
    [total] = queries.stage_totals([record], STAGES, OpenWhere())
    assert total.weighted == Decimal("7.00")


def reference_day(record: Record, what: str) -> str | None:
    if what == "next_action":
        return record["next_action"]["due"] if record["next_action"] else None
    if what == "close":
        return record["expected_close"]
    return record["quote"]["valid_until"] if record["quote"] else None


@settings(max_examples=200, deadline=None)
@given(open_deals(), st.integers(-3, 3), st.none() | st.integers(-3, 3), st.none() | st.just(2))
def test_what_falls_due_is_each_deals_day(
    records: list[Record], until: int, since: int | None, limit: int | None
) -> None:
    last = NOW.date() + timedelta(until)
    first = None if since is None else NOW.date() + timedelta(since)
    kinds: tuple[Dated, ...] = ("next_action", "close", "quote")
    for what in kinds:
        days = [(reference_day(r, what), r["id"]) for r in records]
        found = sorted(
            (day, i)
            for day, i in days
            if day is not None and (first is None or str(first) <= day) and day <= str(last)
        )
        page = queries.due_by(records, what, last, OpenWhere(), limit, first)
        assert [r["id"] for r in page.records] == [i for _, i in found][:limit]
        assert page.matched == len(found)
