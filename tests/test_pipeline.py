"""The use cases on deals, called directly on a store in a temp folder."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core import parse
from salespipe.core.errors import DealNotFound, InvalidValue, NotAllowed
from salespipe.core.model import NextAction

pytestmark = pytest.mark.usefixtures("each_backend")


def at(text: str) -> datetime:
    return parse.moment(text)


def add(pipeline: Pipeline, title: str = "Deal", **fields: object) -> int:
    when = fields.pop("when", None)
    change = pipeline.add(title, DealFields(**fields), at=when)  # type: ignore[arg-type]
    return change.deal.id


def test_add_puts_a_deal_in_the_first_enabled_stage_with_config_defaults(
    pipeline: Pipeline, author: str
) -> None:
    """A new deal is open, in stage 1, in the config currency, owned by the user."""
    change = pipeline.add("ERP", DealFields(customer="Siam Foods", value=Decimal("1500000")))
    deal = change.deal
    assert (deal.id, deal.stage, deal.status, deal.currency, deal.owner) == (
        1,
        "presented",
        "open",
        "THB",
        author,
    )
    assert deal.value == Decimal("1500000")
    assert change.events[0].type == "add"
    assert change.events[0].before is None
    assert change.events[0].after is not None
    assert change.events[0].after["title"] == "ERP"


def test_ids_are_never_reused_even_after_delete_and_undo(pipeline: Pipeline) -> None:
    """Deleting or undoing the newest deal does not give its id to the next one."""
    first = add(pipeline)
    second = add(pipeline)
    pipeline.delete(second)
    pipeline.undo()  # brings deal 2 back
    pipeline.undo()  # removes the add of deal 2 entirely
    third = add(pipeline)
    assert (first, second, third) == (1, 2, 3)


def test_move_records_the_stay_and_the_reason(pipeline: Pipeline) -> None:
    """Moving ends the current stay, starts a new one and keeps the reason on the event."""
    deal_id = add(pipeline, when=at("2026-11-01 09:00"))
    change = pipeline.move(deal_id, "quoted", reason="sent the quote", at=at("2026-11-05 09:00"))
    deal = change.deal
    assert deal.stage == "quoted"
    assert [(s.stage, s.entered.day, s.left.day if s.left else None) for s in deal.stays] == [
        ("presented", 1, 5),
        ("quoted", 5, None),
    ]
    assert change.events[0].reason == "sent the quote"
    assert change.events[0].before == {
        "updated_at": "2026-11-01T09:00:00+07:00",
        "stage": "presented",
        "stage_entered_at": "2026-11-01T09:00:00+07:00",
        "stays": [["presented", "2026-11-01T09:00:00+07:00", None]],
    }


def test_move_to_the_current_stage_is_a_no_op(pipeline: Pipeline) -> None:
    """Moving a deal to where it is records nothing and writes nothing."""
    deal_id = add(pipeline)
    events_before = len(pipeline.read().events())
    change = pipeline.move(deal_id, "presented")
    assert change.events == []
    assert len(pipeline.read().events()) == events_before


def test_at_may_not_be_in_the_future_nor_before_the_previous_event(pipeline: Pipeline) -> None:
    """--at is checked against now and against the deal's last event."""
    deal_id = add(pipeline, when=at("2026-11-10 09:00"))
    with pytest.raises(InvalidValue, match="in the future"):
        pipeline.move(deal_id, "quoted", at=datetime.fromisoformat("2026-12-01T00:00:00+07:00"))
    with pytest.raises(InvalidValue, match="before deal 1's previous event"):
        pipeline.move(deal_id, "quoted", at=at("2026-11-09 09:00"))


def test_a_time_before_a_note_says_the_note_is_the_last_event(pipeline: Pipeline) -> None:
    """A win dated yesterday after a note written today was refused without a word of
    why the note counts or how to go on (a trial)."""
    deal_id = add(pipeline, when=at("2026-11-10 09:00"))
    pipeline.note(deal_id, "they signed yesterday", at=at("2026-11-20 10:00"))
    with pytest.raises(InvalidValue) as refused:
        pipeline.close(deal_id, "won", at=at("2026-11-19 17:00"))
    assert refused.value.message.endswith(
        "; a deal's changes are dated in the order they are made (its last: `salespipe note`): "
        "give a later time, or take that one back with `salespipe undo` and make the two in "
        "order."
    )
    pipeline.undo()
    pipeline.close(deal_id, "won", at=at("2026-11-19 17:00"))
    assert pipeline.read().get_deal(deal_id).status == "won"


def test_undo_is_offered_only_where_it_would_take_back_the_deals_last_change(
    pipeline: Pipeline,
) -> None:
    """Where another deal's change was newer, the refusal still said to undo the note:
    undo took back that other deal instead (a review)."""
    deal_id = add(pipeline, when=at("2026-11-10 09:00"))
    pipeline.note(deal_id, "they signed yesterday", at=at("2026-11-20 10:00"))
    add(pipeline, when=at("2026-11-20 11:00"))
    with pytest.raises(InvalidValue) as refused:
        pipeline.close(deal_id, "won", at=at("2026-11-19 17:00"))
    assert refused.value.message.endswith(
        "; a deal's changes are dated in the order they are made (its last: `salespipe note`): "
        "give a later time."
    )


def test_a_time_refused_in_the_same_minute_is_said_to_the_second(pipeline: Pipeline) -> None:
    """ "The time 10:00 is before deal 1 was created (10:00)" read as a contradiction."""
    deal_id = add(pipeline, when=datetime.fromisoformat("2026-11-10T09:00:30+07:00"))
    with pytest.raises(
        InvalidValue, match=r"09:00:00 is before deal 1's previous event \(.*09:00:30\)"
    ):
        pipeline.move(deal_id, "quoted", at=at("2026-11-10 09:00"))
    with pytest.raises(InvalidValue, match=r"08:59 is before deal 1's previous event \(.*09:00\);"):
        pipeline.move(deal_id, "quoted", at=at("2026-11-10 08:59"))


def test_won_and_lost_close_the_deal_and_lost_needs_a_reason(pipeline: Pipeline) -> None:
    """won closes with status won; lost without a reason is refused; closed deals cannot move."""
    one, two = add(pipeline), add(pipeline)
    assert pipeline.close(one, "won").deal.status == "won"
    with pytest.raises(InvalidValue, match="why deal 2 was lost"):
        pipeline.close(two, "lost")
    lost = pipeline.close(two, "lost", reason="price too high").deal
    assert (lost.status, lost.lost_reason) == ("lost", "price too high")
    with pytest.raises(NotAllowed, match="reopen 1"):
        pipeline.move(one, "quoted")
    with pytest.raises(NotAllowed, match="already won"):
        pipeline.close(one, "won")


def test_closed_deals_leave_the_main_file_and_stay_readable(pipeline: Pipeline) -> None:
    """A closed deal lives in the closed journal; get_deal and all_deals still find it."""
    deal_id = add(pipeline, value=Decimal("500"))
    pipeline.close(deal_id, "won")
    snapshot = pipeline.read()
    assert snapshot.open_deals() == []
    found = snapshot.get_deal(deal_id)
    assert found is not None
    assert found.status == "won"
    assert [d.id for d in snapshot.all_deals()] == [deal_id]


def test_reopen_returns_to_the_stage_it_closed_from_or_another(pipeline: Pipeline) -> None:
    """Reopening starts a new stay; --stage chooses where."""
    deal_id = add(pipeline)
    pipeline.move(deal_id, "negotiating")
    pipeline.close(deal_id, "lost", reason="budget frozen")
    deal = pipeline.reopen(deal_id, reason="budget is back").deal
    assert (deal.status, deal.stage, deal.lost_reason, deal.closed_at) == (
        "open",
        "negotiating",
        None,
        None,
    )
    pipeline.close(deal_id, "lost", reason="again")
    assert pipeline.reopen(deal_id, stage="2").deal.stage == "considering"
    with pytest.raises(NotAllowed, match="already open"):
        pipeline.reopen(deal_id)


def test_edit_changes_fields_and_records_only_what_changed(pipeline: Pipeline) -> None:
    """An edit's event holds the changed fields before and after."""
    deal_id = add(pipeline, value=Decimal("100"))
    change = pipeline.edit(
        deal_id, DealFields(value=Decimal("250.50"), add_tags=("vip",), probability=40)
    )
    event = change.events[0]
    assert event.before is not None
    assert event.after is not None
    assert {k: event.after[k] for k in ("value", "tags", "probability")} == {
        "value": 250.5,
        "tags": ["vip"],
        "probability": 40,
    }
    assert {k: event.before[k] for k in ("value", "tags", "probability")} == {
        "value": 100,
        "tags": [],
        "probability": None,
    }
    cleared = pipeline.edit(deal_id, DealFields(clear_probability=True, remove_tags=("vip",)))
    assert (cleared.deal.probability, cleared.deal.tags) == (None, ())
    assert pipeline.edit(deal_id, DealFields(value=Decimal("250.50"))).events == []


def test_note_next_action_and_quote(pipeline: Pipeline) -> None:
    """Notes are events with text; next actions are set and cleared; a quote sets the value."""
    deal_id = add(pipeline, value=Decimal("1000"))
    note = pipeline.note(deal_id, "Called the buyer\nThey want a demo")
    assert note.events[0].text == "Called the buyer\nThey want a demo"
    action = NextAction("Send brochure", date(2026, 11, 30))
    assert pipeline.set_next(deal_id, action).deal.next_action == action
    assert pipeline.set_next(deal_id, None).deal.next_action is None
    quoted = pipeline.quote(
        deal_id, valid_until=date(2026, 12, 10), amount=Decimal("900"), note="incl. VAT"
    ).deal
    assert quoted.value == Decimal("900")
    assert quoted.quote is not None
    assert (quoted.quote.valid_until, quoted.quote.note) == (date(2026, 12, 10), "incl. VAT")
    with pytest.raises(InvalidValue, match="already past"):
        pipeline.quote(deal_id, valid_until=date(2026, 11, 1))


def test_unknown_deal_is_named(pipeline: Pipeline) -> None:
    """Every use case on a missing deal raises DealNotFound naming it."""
    add(pipeline)
    for call in (
        lambda: pipeline.move(7, "quoted"),
        lambda: pipeline.close(7, "won"),
        lambda: pipeline.note(7, "x"),
        lambda: pipeline.delete(7),
    ):
        with pytest.raises(DealNotFound, match="deal 7"):
            call()


def test_require_reason_setting(pipeline: Pipeline) -> None:
    """With require_reason on, a move without --reason is refused and nothing changes."""
    deal_id = add(pipeline)
    pipeline.set_config("require_reason", "yes")
    with pytest.raises(InvalidValue, match="reason is required"):
        pipeline.move(deal_id, "quoted")
    assert pipeline.move(deal_id, "quoted", reason="asked for price").deal.stage == "quoted"


def test_events_are_complete_enough_to_replay_a_deal(pipeline: Pipeline) -> None:
    """Applying each event's after-fields in order rebuilds the deal exactly."""
    deal_id = add(pipeline, value=Decimal("10"), when=at("2026-11-01 09:00"))
    pipeline.move(deal_id, "quoted", at=at("2026-11-03 09:00"))
    pipeline.edit(deal_id, DealFields(value=Decimal("20"), owner="somchai"))
    pipeline.close(deal_id, "lost", reason="went quiet")
    pipeline.reopen(deal_id, stage="negotiating")
    record: dict[str, object] = {}
    for event in pipeline.read().events(deal_id):
        record.update(event.after or {})
    current = pipeline.read().get_deal(deal_id)
    assert current is not None
    assert record == current.to_record()


def test_a_last_change_no_event_records_is_not_named(cli, tmp_path: Path) -> None:
    """An import dates a deal's last change by its updated_at, with no event then: the
    refusal named it "`salespipe ?`" and offered an undo of the whole import (a review)."""
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,value,created_at,updated_at\nImp,5000,2026-06-01,2026-06-14\n")
    cli("import", str(sheet))
    refused = cli("won", "1", "--at", "2026-06-13")
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith(
        "; a deal's changes are dated in the order they are made: give a later time."
    )
    # Nor is undo offered where its change is an import of several deals (a review).
    sheet.write_text("title,value\nOne,1\nTwo,2\n")
    cli("import", str(sheet))
    said = cli("won", "2", "--at", "2026-06-13").stderr
    assert "`salespipe import`): give a later time." in said
    assert "salespipe undo" not in said
