"""Stage administration: names, order, switching off, removal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.core.errors import InvalidValue, NotAllowed, StageNotFound

pytestmark = pytest.mark.usefixtures("each_backend")


def names(pipeline: Pipeline, enabled_only: bool = True) -> list[str]:
    return [s.name for s in pipeline.read().stages() if s.enabled or not enabled_only]


def test_default_stages_follow_the_language_at_creation(db_path, tmp_path) -> None:
    """A new file gets the five stages in Thai for th and English otherwise."""
    thai = Pipeline.open(tmp_path / "th.json", "th")
    english = Pipeline.open(tmp_path / "en.json", "en")
    assert names(thai) == ["ติดต่อนำเสนอ", "กำลังพิจารณา", "เสนอราคา", "เจรจาต่อรอง", "อนุมัติซื้อ"]
    assert names(english) == ["Presented", "Considering", "Quoted", "Negotiating", "Approved"]
    stages = english.read().stages()
    assert [(s.probability, s.target_days) for s in stages] == [
        (10, 7),
        (25, 14),
        (50, 14),
        (70, 10),
        (90, 7),
    ]
    assert all(s.guide for s in stages)


def test_add_stage_at_a_place_with_a_generated_key(pipeline: Pipeline) -> None:
    """stage add inserts after/before a stage; Thai names get a romanised key."""
    pipeline.stage_add("Demo", after="presented", probability=15, target_days=5)
    pipeline.stage_add("ทดลองใช้", before="approved")
    stages = pipeline.read().stages()
    assert [s.key for s in stages] == [
        "presented",
        "demo",
        "considering",
        "quoted",
        "negotiating",
        "thdlongchai",
        "approved",
    ]
    assert [s.position for s in stages] == [1, 2, 3, 4, 5, 6, 7]
    demo = stages[1]
    assert (demo.probability, demo.target_days) == (15, 5)


@pytest.mark.parametrize("bad", ["quoted", "QUOTED", "Quoted", "3", "won", "", "a\nb"])
def test_stage_names_must_be_unique_and_usable(pipeline: Pipeline, bad: str) -> None:
    """Duplicate names (case-insensitive), keys, digits, reserved and empty names are refused."""
    with pytest.raises(InvalidValue):
        pipeline.stage_add(bad)


def test_rename_keeps_deals_and_history_on_the_key(pipeline: Pipeline) -> None:
    """After a rename the deal's stage key is unchanged and the new name resolves."""
    pipeline.add("Deal", DealFields(), stage="quoted")
    pipeline.stage_rename("quoted", "เสนอราคาแล้ว")
    snapshot = pipeline.read()
    assert snapshot.open_deals()[0].stage == "quoted"
    assert pipeline.move(1, "เสนอราคาแล้ว").events == []


def test_order_puts_named_stages_first(pipeline: Pipeline) -> None:
    """stage order A B puts A and B first and keeps the rest in their order."""
    pipeline.stage_order(["negotiating", "presented"])
    assert names(pipeline) == ["Negotiating", "Presented", "Considering", "Quoted", "Approved"]
    with pytest.raises(InvalidValue, match="more than once"):
        pipeline.stage_order(["quoted", "quoted"])


def test_disable_needs_move_to_when_deals_are_there(pipeline: Pipeline) -> None:
    """A stage holding open deals is disabled only with --move-to, which moves them."""
    pipeline.add("A", DealFields(value=Decimal(1)), stage="considering")
    with pytest.raises(NotAllowed, match="holds 1 open deal"):
        pipeline.stage_disable("considering")
    change = pipeline.stage_disable("considering", move_to="quoted")
    assert [e.type for e in change.events] == ["move", "stage-disable"]
    assert pipeline.read().open_deals()[0].stage == "quoted"
    assert names(pipeline) == ["Presented", "Quoted", "Negotiating", "Approved"]
    with pytest.raises(StageNotFound):
        pipeline.add("B", DealFields(), stage="considering")
    pipeline.stage_enable("considering")
    assert "Considering" in names(pipeline)


def test_disabled_first_stage_is_skipped_for_new_deals(pipeline: Pipeline) -> None:
    """New deals go to the first *enabled* stage."""
    pipeline.stage_disable("presented")
    assert pipeline.add("A", DealFields()).deal.stage == "considering"


def test_remove_only_never_used_stages(pipeline: Pipeline) -> None:
    """A stage any deal has been in cannot be removed; the error suggests disable."""
    pipeline.add("A", DealFields())
    pipeline.move(1, "quoted")
    pipeline.move(1, "negotiating")
    with pytest.raises(NotAllowed, match="stage disable"):
        pipeline.stage_remove("quoted")
    pipeline.stage_remove("approved")
    assert "Approved" not in names(pipeline, enabled_only=False)


def test_a_stage_used_only_by_closed_or_deleted_deals_stays(pipeline: Pipeline) -> None:
    """Deals that went through a stage and were then won or deleted still count as
    having used it; a key that only appears in a deal's text does not."""
    pipeline.add("Won one", DealFields())
    pipeline.move(1, "quoted")
    pipeline.close(1, "won")
    pipeline.add("Deleted one", DealFields())
    pipeline.move(2, "negotiating")
    pipeline.delete(2)
    pipeline.add("approved by the board", DealFields(customer="approved"))
    for used in ("quoted", "negotiating"):
        with pytest.raises(NotAllowed, match="stage disable"):
            pipeline.stage_remove(used)
    pipeline.stage_remove("approved")
    assert "Approved" not in names(pipeline, enabled_only=False)


def test_stage_set_changes_numbers_and_guide(pipeline: Pipeline) -> None:
    """stage set changes probability, target days (or none) and the guide."""
    pipeline.stage_set("quoted", probability=60, target_days=None, guide="Send it today")
    quoted = next(s for s in pipeline.read().stages() if s.key == "quoted")
    assert (quoted.probability, quoted.target_days, quoted.guide) == (60, None, "Send it today")
