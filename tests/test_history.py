"""The history reports on stored records: what they read of the closed journal, and the
arithmetic they share."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.checks import ok

from salespipe.app.pipeline import Pipeline
from salespipe.core import tally
from salespipe.core.errors import StoreError
from salespipe.core.model import default_stages
from salespipe.reports import durations, forecast, outcomes
from salespipe.reports import summary as reports
from test_reports import build_funnel_history, built_once

pytestmark = pytest.mark.usefixtures("each_backend")

NOW = datetime.fromisoformat("2026-11-27T10:00:00+07:00")


@pytest.fixture
def funnel_history(cli, db_path) -> None:
    """The funnel history of test_reports: wins, losses, a skipped stage and a reopen."""
    built_once("funnel", db_path, lambda: build_funnel_history(cli))


def test_closed_records_are_the_latest_line_of_each_closed_deal(
    cli, pipeline: Pipeline, author: str
) -> None:
    """A deal edited after it was won appears once, as last written; a deleted deal and a
    reopened (open again) deal are left out."""
    for title in ("Won then edited", "Deleted", "Reopened", "Lost"):
        ok(cli("add", title, "--at", "2026-11-01 09:00", "-q"))
    ok(cli("won", "1", "--at", "2026-11-02 09:00"))
    ok(cli("edit", "1", "--owner", "somchai"))
    ok(cli("won", "2", "--at", "2026-11-02 09:00"))
    ok(cli("delete", "2", "--yes"))
    ok(cli("lost", "3", "--reason", "price", "--at", "2026-11-02 09:00"))
    ok(cli("reopen", "3", "--at", "2026-11-03 09:00"))
    ok(cli("lost", "4", "--reason", "gone", "--at", "2026-11-04 09:00"))
    records = list(pipeline.read().closed_records())
    assert [(r["id"], r["status"], r["owner"]) for r in records] == [
        (1, "won", "somchai"),
        (4, "lost", author),
    ]
    assert records[1]["lost_reason"] == "gone"


def test_closed_records_follow_the_order_of_closed_deals(
    funnel_history, pipeline: Pipeline
) -> None:
    """Records and built deals come in the same order, the order ids first appear."""
    snapshot = pipeline.read()
    assert [r["id"] for r in snapshot.closed_records()] == [
        deal.id for deal in snapshot.closed_deals()
    ]


def test_a_closed_line_without_the_fields_of_a_deal_is_damage(
    cli, pipeline: Pipeline, db_path: Path
) -> None:
    """Valid JSON that is not a deal record (a hand-edited line) is a damaged file, not a
    traceback in the middle of a report."""
    ok(cli("add", "A", "-q"))
    ok(cli("won", "1"))
    journal = db_path.with_name("pipeline.closed.jsonl")
    size = journal.stat().st_size
    journal.write_bytes(b'{"id":1,"title":"A"}'.ljust(size - 1) + b"\n")
    with pytest.raises(StoreError, match=r"pipeline\.closed\.jsonl holds data"):
        list(pipeline.read().closed_records())
    result = cli("report")
    assert result.exit_code == 4
    assert "pipeline.closed.jsonl" in result.stderr


def test_a_damaged_closed_journal_is_one_sentence(cli, pipeline: Pipeline, db_path: Path) -> None:
    """Garbage in the closed journal (same size) is reported as a damaged file, by name."""
    ok(cli("add", "A", "-q"))
    ok(cli("won", "1"))
    journal = db_path.with_name("pipeline.closed.jsonl")
    journal.write_bytes(b"x" * (journal.stat().st_size - 1) + b"\n")
    with pytest.raises(StoreError, match=r"pipeline\.closed\.jsonl holds data"):
        list(pipeline.read().closed_records())


def test_every_report_goes_through_the_records_once(funnel_history, pipeline: Pipeline) -> None:
    """Each history report gives the same result from a one-shot iterator of the records
    as from a list (a report going through them twice would miss the deals)."""
    snapshot = pipeline.read()
    stages = snapshot.stages()
    records = list(snapshot.all_records())
    october = tally.Period.parse("2026-10-01", "2026-10-31")
    for period in (tally.Period(), october):
        for by in (None, "owner", "month", "stage"):
            assert (
                outcomes.winrate(iter(records), stages, period, by).to_dict()  # type: ignore[arg-type]
                == outcomes.winrate(records, stages, period, by).to_dict()  # type: ignore[arg-type]
            )
        assert outcomes.funnel(iter(records), stages, period).to_dict() == (
            outcomes.funnel(records, stages, period).to_dict()
        )
        assert reports.summary(iter(records), stages, period=period, now=NOW).to_dict() == (
            reports.summary(records, stages, period=period, now=NOW).to_dict()
        )
    assert durations.durations(iter(records), stages, NOW).to_dict() == (
        durations.durations(records, stages, NOW).to_dict()
    )
    assert forecast.forecast(iter(records), stages, months=3, now=NOW).to_dict() == (
        forecast.forecast(records, stages, months=3, now=NOW).to_dict()
    )


def test_funnel_shows_a_disabled_stage_only_when_the_cohort_was_in_it() -> None:
    """A disabled stage a deal of the cohort stayed in is shown (and counts as reached by
    the deals that got further); a deal only in an unknown stage reaches nothing."""
    stages = [
        replace(stage, enabled=False) if stage.key == "considering" else stage
        for stage in default_stages("en")
    ]
    went_through = {
        "stage": "quoted",
        "status": "lost",
        "created_at": "2026-10-01T09:00:00+07:00",
        "stays": [_stay("presented", "01", "02"), _stay("considering", "02", "03")],
    }
    unknown = {"stage": "gone", "status": "open", "created_at": "2026-10-01T09:00:00+07:00"}
    result = outcomes.funnel([went_through, unknown], stages, tally.Period())
    reached = {step.key: (step.reached, step.lost) for step in result.steps}
    assert reached == {
        "presented": (1, 0),
        "considering": (1, 0),
        "quoted": (1, 1),
        "negotiating": (0, 0),
        "approved": (0, 0),
    }
    assert (result.created, result.lost) == (2, 1)
    without = outcomes.funnel([unknown], stages, tally.Period())
    assert "considering" not in [step.key for step in without.steps]


def _stay(stage: str, entered: str, left: str | None) -> list[str | None]:
    return [stage, f"2026-11-{entered}T09:00:00+07:00", left and f"2026-11-{left}T09:00:00+07:00"]


def test_durations_measure_chained_and_ongoing_stays() -> None:
    """Stays that start where the one before ended, an ongoing stay of an open deal (up to
    now) and the last stay of a lost deal (up to its closing) are all measured."""
    stages = default_stages("en")
    open_deal = {
        "status": "open",
        "stays": [_stay("presented", "01", "03"), _stay("quoted", "03", None)],
    }
    lost_deal = {
        "status": "lost",
        "closed_at": "2026-11-11T09:00:00+07:00",
        "stays": [_stay("presented", "01", "05"), _stay("quoted", "05", None)],
    }
    result = durations.durations([open_deal, lost_deal], stages, NOW)
    rows = {row.key: row for row in result.stages}
    assert (rows["presented"].median_days, rows["presented"].mean_days) == (3.0, 3.0)
    quoted = rows["quoted"]
    assert (quoted.stays, quoted.ongoing) == (2, 1)
    assert quoted.mean_days == pytest.approx((24 + 1 / 24 + 6) / 2)


@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=40))
def test_median_and_mean_are_those_of_statistics(values: list[float]) -> None:
    """The median and mean are exactly what ``statistics.median`` and ``fmean`` give."""
    expected = (statistics.median(values), statistics.fmean(values)) if values else (None, None)
    assert tally.median_and_mean(values) == expected


def test_stored_times_are_parsed_only_for_a_bounded_period() -> None:
    """Without --since/--until any stored time is in the period; with them, it is compared
    (in its own offset: 23:00 UTC on the 30th is December 1st in Bangkok)."""
    everything = tally.Period().holds_stored()
    assert everything("not even a time")
    assert not everything(None)
    assert not everything("")
    november = tally.Period.parse("2026-11-01", "2026-11-30").holds_stored()
    assert november("2026-11-30T23:59:59+07:00")
    assert not november("2026-11-30T23:00:00+00:00")
    assert not november(None)


def test_record_fields_default_as_deals_do() -> None:
    """A record without status, value or currency reads as an open deal of 0 THB."""
    assert (tally.status_of({}), tally.value_of({}), tally.currency_of({})) == (
        "open",
        Decimal(0),
        "THB",
    )
    assert tally.value_of({"value": 1500.5}) == Decimal("1500.5")


def test_a_stay_is_over_target_from_one_whole_day_past_it() -> None:
    """With Presented's target of 7 days, stays of 7 days and of 7 days 23:59:59 are within
    it, and stays of exactly 8 and of 9 days are over (whole days, as ``stale`` counts)."""
    ends = (
        "2026-11-08T09:00:00",
        "2026-11-09T08:59:59",
        "2026-11-09T09:00:00",
        "2026-11-10T09:00:00",
    )
    records = [
        {
            "status": "won",
            "closed_at": f"{end}+07:00",
            "stays": [["presented", "2026-11-01T09:00:00+07:00", f"{end}+07:00"]],
        }
        for end in ends
    ]
    result = durations.durations(records, default_stages("en"), NOW)
    presented = next(row for row in result.stages if row.key == "presented")
    assert (presented.stays, presented.over_target) == (4, 2)
