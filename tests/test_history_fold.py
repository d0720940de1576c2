"""The default answer of the history seam (storage/history.py ``fold_records``) on awkward
lengths: stays of microseconds, even and odd counts, lengths under zero. Its median is
``statistics.median`` of the days, its mean the exact one rounded once — what the
PostgreSQL server's totals are made into from exact microseconds
(tests/storage/test_postgres_history.py)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from salespipe.core.model import Stage
from salespipe.storage.history import Asks, fold_records

NOW = datetime.fromisoformat("2026-11-27T10:00:00+07:00")
START = datetime.fromisoformat("2026-01-01T00:00:00.000001+07:00")
LENGTHS = [
    timedelta(days=3, microseconds=123457),
    timedelta(days=1, seconds=1, microseconds=999999),
    timedelta(seconds=86400 * 8 - 1, microseconds=1),
    timedelta(days=8),
    timedelta(microseconds=1),
    timedelta(days=-1),  # a stay that ended before it began counts as none
]


def _record(deal_id: int, length: timedelta) -> dict[str, object]:
    left = START + length
    return {
        "id": deal_id,
        "stage": "quoted",
        "status": "lost",
        "closed_at": left.isoformat(),
        "stays": [["presented", START.isoformat(), left.isoformat()]],
    }


def _stats(lengths: list[timedelta]) -> tuple[float | None, float | None, int]:
    stages = [Stage("presented", "Presented", 1, 10, target_days=7)]
    records = [_record(i, length) for i, length in enumerate(lengths, 1)]
    found = fold_records(records, stages, Asks(NOW, stays=True)).stays["presented"]
    return found.median_days, found.mean_days, found.over_target


def test_the_median_is_statistics_median_of_the_days() -> None:
    for count in (1, 2, 5, 6):
        lengths = LENGTHS[:count]
        days = [max(length, timedelta(0)).total_seconds() / 86400 for length in lengths]
        assert _stats(lengths)[0] == statistics.median(days)


def test_the_mean_is_the_exact_mean_rounded_once() -> None:
    for count in (1, 2, 5, 6):
        lengths = LENGTHS[:count]
        micros = sum(max(length, timedelta(0)) // timedelta(microseconds=1) for length in lengths)
        assert _stats(lengths)[1] == float(Fraction(micros, count * 86_400_000_000))


def test_over_target_counts_whole_days_past_it() -> None:
    """Target 7: a stay of 8 days less a microsecond is not over; one of 8 days is."""
    assert _stats(LENGTHS)[2] == 1


def test_a_page_asks_two_reports_questions_as_one() -> None:
    """Asks.merged: what either asks, once; a question both ask differently is refused
    (a page must not answer one report with the other's period)."""
    from datetime import date

    from salespipe.core.tally import Period
    from salespipe.reports.forecast import forecast_asks
    from salespipe.reports.summary import summary_asks

    summary, forecast = summary_asks(NOW, Period()), forecast_asks(NOW, 3, "history")
    both = summary.merged(forecast)
    assert both == forecast.merged(summary)
    assert (both.closed, both.cycles, both.stays) == (Period(), True, True)
    assert (both.walks, both.days_to_won, both.open_deals) == (True, True, True)
    assert both.won_months == forecast.won_months
    assert len(both.won_months or ()) == 6
    later = summary_asks(NOW, Period(since=date(2026, 9, 1)))
    with pytest.raises(ValueError, match="closed"):
        summary.merged(later)


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31)),
    st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
    st.sampled_from(["Asia/Bangkok", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"]),
)
# Written at +14:00 early on the 2nd, read at -12:00: the 28th of the month before.
@example(datetime(2026, 3, 2, 0, 30), 14 * 60, "Etc/GMT+12")
def test_a_stored_times_month_is_the_readers_whatever_its_offset(
    wall: datetime, offset_minutes: int, zone: str
) -> None:
    """``local_month`` reads the text for days 3 to 26 and converts the others: the same
    month as converting every time."""
    import os
    import time
    from datetime import timezone

    from salespipe.core.tally import local_day, local_month

    stored = wall.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        local = datetime.fromisoformat(stored).astimezone()
        assert local_month(stored) == f"{local.year:04d}-{local.month:02d}"
        assert local_day(stored) == local.date()
    finally:
        os.environ["TZ"] = before or "Asia/Bangkok"
        time.tzset()
