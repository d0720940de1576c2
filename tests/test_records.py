"""Read-only commands work on stored deal records: the same numbers, order and alerts as
the Deal objects the records stand for."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from salespipe.app import queries
from salespipe.app.queries import DealQuery
from salespipe.core import fmt
from salespipe.core.model import (
    Deal,
    NextAction,
    Quote,
    Record,
    Stage,
    Stay,
    deal_to_dict,
    default_stages,
    money_from_json,
    money_to_json,
    record_to_dict,
    weighted,
    weighted_json,
)
from salespipe.reports import alerts
from salespipe.reports.scope import OpenDeals

NOW = datetime.fromisoformat("2026-11-27T10:00:00+07:00")
STAGES = default_stages("en")
BY_KEY = {s.key: s for s in STAGES}


def deal(deal_id: int, **fields: object) -> Deal:
    """A deal entered in its stage on 1 Nov 2026 (Bangkok time), with the fields given."""
    entered = datetime.fromisoformat("2026-11-01T09:00:00+07:00")
    values: dict[str, object] = {
        "id": deal_id,
        "title": f"Deal {deal_id}",
        "stage": "quoted",
        "created_at": entered,
        "updated_at": entered,
        "stage_entered_at": entered,
        "stays": (Stay("quoted", entered),),
        **fields,
    }
    return Deal(**values)  # type: ignore[arg-type]


def records(*deals: Deal) -> list[Record]:
    return [d.to_record() for d in deals]


# -- the public JSON shape -----------------------------------------------------------------
def test_the_public_shape_comes_from_the_stored_record() -> None:
    """Every public field, in the order docs/data-format.md lists: stored values as stored,
    derived ones computed."""
    quote = Quote(date(2026, 12, 5), datetime.fromisoformat("2026-11-20T10:00:00+07:00"))
    item = deal(
        7,
        customer="Siam Foods",
        value=Decimal("150000.50"),
        owner="somchai",
        probability=35,
        next_action=NextAction("Call", date(2026, 11, 30)),
        tags=("urgent",),
        quote=quote,
    )
    assert deal_to_dict(item, BY_KEY["quoted"], NOW) == {
        "id": 7,
        "title": "Deal 7",
        "customer": "Siam Foods",
        "contact": "",
        "value": 150000.5,
        "currency": "THB",
        "stage": "quoted",
        "stage_name": "Quoted",
        "status": "open",
        "owner": "somchai",
        "probability": 35,
        "probability_override": 35,
        "weighted_value": 52500.18,
        "expected_close": None,
        "next_action": {"text": "Call", "due": "2026-11-30"},
        "tags": ["urgent"],
        "created_at": "2026-11-01T09:00:00+07:00",
        "updated_at": "2026-11-01T09:00:00+07:00",
        "stage_entered_at": "2026-11-01T09:00:00+07:00",
        "days_in_stage": 26,
        "closed_at": None,
        "lost_reason": None,
        "quote": {
            "amount": None,
            "valid_until": "2026-12-05",
            "sent_at": "2026-11-20T10:00:00+07:00",
            "note": "",
        },
        "source": None,
    }
    assert list(record_to_dict(item.to_record(), BY_KEY["quoted"], NOW)) == list(
        deal_to_dict(item, BY_KEY["quoted"], NOW)
    )


def test_won_and_lost_deals_weigh_100_and_0_and_count_days_until_closing() -> None:
    """A closed deal's probability is its outcome's; its days stop at closing."""
    closed = datetime.fromisoformat("2026-11-11T09:00:00+07:00")
    won = deal(1, status="won", value=Decimal(1000), closed_at=closed, probability=20)
    lost = deal(2, status="lost", value=Decimal(1000), closed_at=closed, lost_reason="price")
    won_dict = record_to_dict(won.to_record(), BY_KEY["quoted"], NOW)
    lost_dict = record_to_dict(lost.to_record(), None, NOW)
    assert (won_dict["probability"], won_dict["weighted_value"], won_dict["days_in_stage"]) == (
        100,
        1000,
        10,
    )
    assert (lost_dict["probability"], lost_dict["weighted_value"], lost_dict["stage_name"]) == (
        0,
        0,
        "quoted",
    )


AMOUNTS = st.one_of(
    st.integers(min_value=0, max_value=10**13),
    st.decimals(min_value=0, max_value=10**12, places=2).map(money_to_json),
)


@settings(max_examples=500, deadline=None)
@given(amount=AMOUNTS, probability=st.integers(min_value=0, max_value=100))
def test_weighted_json_is_the_exact_weighted_value(amount: int | float, probability: int) -> None:
    """Whole amounts weighed in integers print as the Decimal computation prints."""
    expected = money_to_json(weighted(money_from_json(amount), probability))
    result = weighted_json(amount, probability)
    assert result == expected
    assert type(result) is type(expected)


def test_weighted_json_examples() -> None:
    """Known values: whole, with cents, and a float amount."""
    assert weighted_json(150000, 50) == 75000
    assert weighted_json(199, 25) == 49.75
    assert weighted_json(2000.5, 70) == 1400.35


def _select(
    records: list[Record], stages: list[Stage], query: DealQuery, now: datetime
) -> list[Record]:
    """The deal records the query asks for, in its order."""
    return queries.choose(records, stages, query, now).records


def _stale(deals: OpenDeals, stages: list[Stage], now: datetime) -> list[alerts.StaleDeal]:
    """Open deals over their stage's target days, longest overdue first."""
    return alerts.stale_deals_of(deals.stale(now, None).records, stages, now)


# -- list: filters, order, totals ----------------------------------------------------------
def test_times_sort_as_times_whatever_their_offset() -> None:
    """09:00 in Bangkok is before 03:00 UTC the same day: sorted by time, not by text."""
    bangkok = datetime.fromisoformat("2026-11-01T09:00:00+07:00")  # 02:00 UTC
    utc = datetime.fromisoformat("2026-11-01T03:00:00+00:00")
    later_text = deal(1, created_at=bangkok)
    earlier_text = deal(2, created_at=utc)
    chosen = _select(records(earlier_text, later_text), STAGES, DealQuery(sort="created"), NOW)
    assert [r["id"] for r in chosen] == [1, 2]


def test_close_sort_puts_deals_without_a_day_last_and_value_sorts_by_amount() -> None:
    """Expected close days sort as days, none last; values sort as amounts, largest first."""
    found = records(
        deal(1, value=Decimal("99.5")),
        deal(2, expected_close=date(2026, 12, 1), value=Decimal(100)),
        deal(3, expected_close=date(2026, 11, 30), value=Decimal("99.75")),
    )
    by_close = _select(found, STAGES, DealQuery(sort="close"), NOW)
    by_value = _select(found, STAGES, DealQuery(sort="value"), NOW)
    assert [r["id"] for r in by_close] == [3, 2, 1]
    assert [r["id"] for r in by_value] == [2, 3, 1]


def test_filters_match_records_as_people_expect() -> None:
    """Owner ignores case, customer and search match any part (Thai too), tag exactly."""
    found = records(
        deal(1, owner="Somchai", customer="บริษัท น้ำตาลมิตรผล", tags=("vip",)),
        deal(2, owner="malee", customer="Siam Foods", contact="Khun Dao"),
    )
    ids = [
        [r["id"] for r in _select(found, STAGES, query, NOW)]
        for query in (
            DealQuery(owner="SOMCHAI"),
            DealQuery(customer="น้ำตาล"),
            DealQuery(search="dao"),
            DealQuery(tag="vip"),
            DealQuery(stale=True),
        )
    ]
    assert ids == [[1], [1], [2], [1], [1, 2]]


def test_totals_are_exact_per_currency() -> None:
    """Amounts with cents add up exactly (0.1 + 0.2 is 0.3), currencies never mixed."""
    found = records(
        deal(1, value=Decimal("0.1")),
        deal(2, value=Decimal("0.2")),
        deal(3, value=Decimal(5), currency="USD"),
        deal(4, value=Decimal(7), currency="USD"),
    )
    amounts = [(r["currency"], r["value"]) for r in found]
    assert queries.totals_by_currency(amounts) == {"THB": Decimal("0.3"), "USD": Decimal(12)}


# -- stale and check -----------------------------------------------------------------------
def test_stale_deals_longest_overdue_first() -> None:
    """Quoted has a 14-day target: 26 days in it is 12 over; the record stays the record."""
    entered_later = datetime.fromisoformat("2026-11-10T09:00:00+07:00")
    found = _stale(
        OpenDeals.of(
            records(deal(1, stage_entered_at=entered_later), deal(2), deal(3, status="won")),
            STAGES,
        ),
        STAGES,
        NOW,
    )
    assert [(item.record["id"], item.days_in_stage, item.days_over) for item in found] == [
        (2, 26, 12),
        (1, 17, 3),
    ]


def test_check_reports_each_kind_in_order_and_quote_days_at_their_edges() -> None:
    """Stale first, then overdue actions, actions due today, past closes, expired and
    expiring quotes; a quote valid 3 more days warns, 4 does not; an action due today is
    not overdue but is something to act on (as the agenda has it)."""
    today = NOW.date()
    sent = NOW - timedelta(days=1)
    fresh = datetime.fromisoformat("2026-11-26T09:00:00+07:00")

    def quoted(deal_id: int, days: int) -> Deal:
        return deal(deal_id, stage_entered_at=fresh, quote=Quote(today + timedelta(days), sent))

    result = alerts.check(
        OpenDeals.of(
            records(
                quoted(5, 4),
                quoted(4, 3),
                quoted(3, 0),
                quoted(2, -1),
                deal(1, next_action=NextAction("Call", today - timedelta(days=1))),
                deal(6, stage_entered_at=fresh, next_action=NextAction("Mail", today)),
                deal(7, stage_entered_at=fresh, expected_close=today - timedelta(days=2)),
            ),
            STAGES,
        ),
        STAGES,
        NOW,
    )
    assert result.checked == 7
    assert [(a.kind, a.deal_id, a.message) for a in result.alerts] == [
        ("stale", 1, 'Deal 1 "Deal 1" has been 26 days in Quoted (target 14).'),
        (
            "next_action_overdue",
            1,
            'Deal 1 "Deal 1": the next action "Call" was due 2026-11-26 (1 day ago).',
        ),
        ("next_action_due_today", 6, 'Deal 6 "Deal 6": the next action "Mail" is due today.'),
        (
            "past_expected_close",
            7,
            'Deal 7 "Deal 7" was expected to close on 2026-11-25 and is still open.',
        ),
        ("quote_expired", 2, 'Deal 2 "Deal 2": the quote expired on 2026-11-26.'),
        ("quote_expiring", 3, 'Deal 3 "Deal 3": the quote expires today (2026-11-27).'),
        ("quote_expiring", 4, 'Deal 4 "Deal 4": the quote expires in 3 days (2026-11-30).'),
    ]


# -- formatting stored values --------------------------------------------------------------
def test_stored_amounts_days_and_next_actions_are_shown_as_people_read_them() -> None:
    """JSON numbers as money, ISO days in the display era, a next action as a cell."""
    assert fmt.stored_money(150000, "THB") == "฿150,000.00"
    assert fmt.stored_money(12.5, "USD") == "USD 12.50"
    assert fmt.stored_money(5000000, "JPY") == "JPY 5,000,000"
    assert fmt.next_action({"text": "Call", "due": "2026-12-31"}) == "2026-12-31 Call"
    fmt.set_era("be")
    try:
        assert fmt.iso_day("2026-12-31") == "2569-12-31"
        assert fmt.next_action({"text": "โทร", "due": "2026-12-31"}) == "2569-12-31 โทร"
    finally:
        fmt.set_era("ce")
    assert fmt.iso_day("2026-12-31") == "2026-12-31"
    assert fmt.iso_day("not a day") == "not a day"
