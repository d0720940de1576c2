"""The open deals' facts (storage/jsonl/open_facts.py): every answer they give equals
the default answer of storage/queries.py, over random deals, owners, stages, tails,
limits and moments; facts that cannot answer send the question the default way."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from salespipe.core.model import Deal, NextAction, Quote, Stage, Stay, default_stages
from salespipe.storage import open_storage, queries
from salespipe.storage.jsonl import open_facts, open_index
from salespipe.storage.jsonl.snapshot import Snapshot
from salespipe.storage.port import Initial, Storage
from salespipe.storage.queries import OpenWhere

if TYPE_CHECKING:
    from .conftest import Cli

T0 = datetime.fromisoformat("2026-02-02T09:00:00+07:00")
OWNERS = ("Somchai", "somchai", "SOMCHAI", "malee", "Malee", "มาลี", "")
CURRENCIES = ("THB", "THB", "USD")
ASKED_OWNERS = (None, "somchai", "MALEE", "มาลี", "nobody", "")
ORDERS = ("urgency", "value", "close", "days", "next", "owner")  # counted (limit 0) by the facts
VERSION_FIELD = f'"facts":{open_facts.VERSION}'.encode()


def no_wait() -> float:
    return 0.05


def initial() -> Initial:
    return Initial(default_stages("en"), "2026-01-05T09:00:00+07:00")


def random_deal(rng: random.Random, deal_id: int, stages: list[Stage]) -> Deal:
    stage = rng.choice(stages).key
    entered = T0 - timedelta(days=rng.randint(0, 40), seconds=rng.randint(0, 86399))
    value = rng.choice((Decimal(rng.randint(0, 90) * 1000), Decimal(rng.randint(0, 9999)) / 100))
    action = (
        NextAction("Call", T0.date() + timedelta(days=rng.randint(-5, 5)))
        if rng.random() < 0.7
        else None
    )
    close = T0.date() + timedelta(days=rng.randint(-10, 40)) if rng.random() < 0.6 else None
    quote = (
        Quote(T0.date() + timedelta(days=rng.randint(-5, 20)), entered)
        if rng.random() < 0.4
        else None
    )
    return Deal(
        id=deal_id,
        title=f"Deal {deal_id}",
        stage=stage,
        created_at=entered,
        updated_at=entered,
        stage_entered_at=entered,
        value=value,
        currency=rng.choice(CURRENCIES),
        owner=rng.choice(OWNERS),
        probability=rng.choice((None, None, None, 33, 80)),
        next_action=action,
        expected_close=close,
        quote=quote,
        stays=(Stay(stage, entered),),
    )


def change_some(storage: Storage, rng: random.Random, next_id: list[int]) -> None:
    """One write that adds, changes, closes, reopens or deletes a few deals."""
    stages = storage.read().stages()
    with storage.transaction(no_wait, "change", T0.isoformat()) as tx:
        open_ids = sorted(tx.open_deal_ids())
        for _ in range(rng.randint(1, 6)):
            what = rng.random()
            if what < 0.25 or not open_ids:
                tx.save_deals([random_deal(rng, next_id[0], stages)])
                next_id[0] += 1
                continue
            deal_id = rng.choice(open_ids)
            current = tx.get_deal(deal_id)
            if current is None or current.status != "open":
                continue
            if what < 0.6:
                fresh = random_deal(rng, deal_id, stages)
                tx.save_deals([dataclasses.replace(fresh, created_at=current.created_at)])
            elif what < 0.8:
                closed_at = T0 + timedelta(hours=1)
                tx.save_deals([dataclasses.replace(current, status="won", closed_at=closed_at)])
            else:
                tx.delete_deal(deal_id)


def compare(view: Snapshot, rng: random.Random) -> None:
    """The view's answers (the facts', when it has them) against the default ones."""
    records = view.open_records()
    stages = view.stages()
    keys = [s.key for s in stages]
    for _ in range(12):
        owner = rng.choice(ASKED_OWNERS)
        chosen = frozenset(rng.sample(keys, rng.randint(1, len(keys))))
        where = OpenWhere(owner, rng.choice((None, chosen)))
        now = T0 + timedelta(days=rng.randint(-3, 30), seconds=rng.randint(0, 86399))
        limit = rng.choice((1, 3, 10, 50))
        assert view.stage_totals(where) == queries.stage_totals(records, stages, where)
        want = queries.stale_deals(records, stages, now, where, limit)
        got = view.stale_deals(now, where, limit)
        assert ([r["id"] for r in got.records], got.matched) == (
            [r["id"] for r in want.records],
            want.matched,
        )
        assert got.records == want.records
        unplanned = where._replace(unplanned=True)
        want = queries.stale_deals(records, stages, now, unplanned, limit)
        assert view.stale_deals(now, unplanned, limit) == want
        asked = (("stage", limit), ("id", limit), ("urgency", limit), (rng.choice(ORDERS), 0))
        for order, size in asked:
            want = queries.open_page(records, stages, where, order, size, now)
            assert view.open_page(where, order, size, now) == want
        what = rng.choice(("next_action", "close", "quote"))
        until = now.date() + timedelta(days=rng.randint(-5, 10))
        since = rng.choice((None, until, until - timedelta(days=rng.randint(1, 9))))
        want = queries.due_by(records, what, until, where, limit, since)
        assert view.due_by(what, until, where, limit, since) == want


@pytest.mark.parametrize("seed", range(6))
def test_the_facts_answer_as_the_default_does_over_random_tails(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    storage = open_storage(str(tmp_path / "pipeline.json"), initial)
    stages = storage.read().stages()
    with storage.transaction(no_wait, "import", T0.isoformat()) as tx:
        tx.save_deals(random_deal(rng, deal_id, stages) for deal_id in range(1, 121))
    next_id = [121]
    used = 0
    for step in range(12):
        if step == 8:  # fold the tail into a new checkpoint (and new facts) once
            monkeypatch.setattr(open_index, "TAIL_MIN", 0)
            monkeypatch.setattr(open_index, "TAIL_MAX", 0)
        view = storage.read()
        assert isinstance(view, Snapshot)
        used += view._facts() is not None
        compare(view, rng)
        assert view._facts() is not None  # no question fell back the default way
        change_some(storage, rng, next_id)
        monkeypatch.setattr(open_index, "TAIL_MIN", 64 << 10)
        monkeypatch.setattr(open_index, "TAIL_MAX", 256 << 10)
    assert used == 12  # every view answered from the facts


def make_facts(tmp_path: Path) -> tuple[Storage, Path]:
    rng = random.Random(1)
    storage = open_storage(str(tmp_path / "pipeline.json"), initial)
    stages = storage.read().stages()
    with storage.transaction(no_wait, "import", T0.isoformat()) as tx:
        tx.save_deals(random_deal(rng, deal_id, stages) for deal_id in range(1, 41))
        tx.advance_counters(next_deal_id=41)  # as a writer of new deals does (doctor checks)
    [facts] = tmp_path.glob("pipeline.open-facts-*.json")
    return storage, facts


def answers(storage: Storage) -> tuple[Any, ...]:
    view = storage.read()
    where = OpenWhere()
    now = T0 + timedelta(days=20)
    records = view.open_records()
    stages = view.stages()
    unplanned = OpenWhere(unplanned=True)
    until = T0.date() + timedelta(days=3)
    want = (
        queries.stage_totals(records, stages, where),
        queries.stale_deals(records, stages, now, where, 5),
        queries.stale_deals(records, stages, now, unplanned, 5),
        queries.open_page(records, stages, where, "stage", 5, now),
        queries.due_by(records, "next_action", until, where, 5, T0.date()),
        queries.due_by(records, "close", until, where, 5),
    )
    got = (
        view.stage_totals(where),
        view.stale_deals(now, where, 5),
        view.stale_deals(now, unplanned, 5),
        view.open_page(where, "stage", 5, now),
        view.due_by("next_action", until, where, 5, T0.date()),
        view.due_by("close", until, where, 5),
    )
    assert got == want
    return got


@pytest.mark.parametrize(
    "damage", ["missing", "garbage", "truncated", "other checkpoint", "older version"]
)
def test_facts_that_cannot_answer_send_the_questions_the_default_way(
    tmp_path: Path, damage: str
) -> None:
    storage, facts = make_facts(tmp_path)
    data = facts.read_bytes()
    if damage == "missing":
        facts.unlink()
    elif damage == "garbage":
        facts.write_bytes(data.replace(b"[", b"{", 3))
    elif damage == "truncated":
        facts.write_bytes(data[: len(data) // 2])
    elif damage == "older version":  # kept fewer columns: read as these, they would lie
        facts.write_bytes(data.replace(VERSION_FIELD, b'"facts":1', 1))
    else:
        facts.write_bytes(data.replace(b'"checkpoint_size":', b'"checkpoint_size":1', 1))
    view = storage.read()
    assert isinstance(view, Snapshot)
    assert view._facts() is None
    answers(storage)


def test_a_change_of_a_stage_probability_is_answered_the_default_way(tmp_path: Path) -> None:
    storage, _facts = make_facts(tmp_path)
    before = answers(storage)
    stages = storage.read().stages()
    with storage.transaction(no_wait, "stage", T0.isoformat()) as tx:
        tx.save_stages([dataclasses.replace(s, probability=s.probability // 2) for s in stages])
    view = storage.read()
    assert isinstance(view, Snapshot)
    assert view._facts() is None
    after = answers(storage)
    assert after[0] != before[0]  # weighted with the new probabilities


STAGE_CHANGES = [
    ["stage", "add", "Site visit", "--after", "considering"],
    ["stage", "order", "quoted"],
    ["stage", "set", "quoted", "--prob", "45"],
    ["pipeline", "add", "Renewals"],
]


@pytest.mark.parametrize("change", STAGE_CHANGES, ids=[" ".join(c[:2]) for c in STAGE_CHANGES])
def test_facts_kept_with_other_stages_are_no_difference_to_doctor(
    tmp_path: Path, cli: Cli, change: list[str]
) -> None:
    """A stage added, moved or reweighted (or a pipeline added) leaves the facts of the
    stages they were kept with, unused until the next fold: doctor finds them right."""
    db = str(tmp_path / "pipeline.json")
    assert cli("--db", db, "init", "--lang", "en").exit_code == 0
    assert cli("--db", db, "add", "A", "--value", "1k").exit_code == 0
    assert cli("--db", db, *change).exit_code == 0
    found = cli("--db", db, "doctor")
    assert found.exit_code == 0, found.output


def test_doctor_finds_and_fixes_damaged_facts(tmp_path: Path, cli: Cli) -> None:
    storage, facts = make_facts(tmp_path)
    db = str(tmp_path / "pipeline.json")
    assert cli("--db", db, "doctor").exit_code == 0
    data = facts.read_bytes()
    damaged = data.replace(VERSION_FIELD, VERSION_FIELD + b',"x":0', 1).replace(b"]]", b"]", 1)
    assert damaged != data
    facts.write_bytes(damaged)
    found = cli("--db", db, "doctor")
    assert found.exit_code == 1
    assert "open deals' facts" in found.output
    fixed = cli("--db", db, "doctor", "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert cli("--db", db, "doctor").exit_code == 0
    view = storage.read()
    assert isinstance(view, Snapshot)
    assert view._facts() is not None
    answers(storage)


def test_doctor_says_when_the_facts_are_missing(tmp_path: Path, cli: Cli) -> None:
    _storage, facts = make_facts(tmp_path)
    facts.unlink()
    db = str(tmp_path / "pipeline.json")
    found = cli("--db", db, "doctor")
    assert found.exit_code == 1
    assert "missing" in found.output
    assert cli("--db", db, "doctor", "--fix").exit_code == 0
    assert cli("--db", db, "doctor").exit_code == 0


def test_a_view_opened_before_a_fold_answers_for_its_own_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold removes the facts of the checkpoint an earlier view read: that view's
    questions go the default way, through the files it opened, and see its state."""
    storage, _facts = make_facts(tmp_path)
    view = storage.read()
    assert isinstance(view, Snapshot)
    records, stages = view.open_records(), view.stages()
    monkeypatch.setattr(open_index, "TAIL_MIN", 0)
    monkeypatch.setattr(open_index, "TAIL_MAX", 0)
    with storage.transaction(no_wait, "close", T0.isoformat()) as tx:
        for deal_id in sorted(tx.open_deal_ids())[:10]:
            tx.delete_deal(deal_id)
    assert len(storage.read().open_deal_ids()) == len(records) - 10
    now = T0 + timedelta(days=20)
    assert view.stage_totals(OpenWhere()) == queries.stage_totals(records, stages, OpenWhere())
    assert view.stale_deals(now, OpenWhere(), 5) == queries.stale_deals(
        records, stages, now, OpenWhere(), 5
    )
    assert view.open_page(OpenWhere(), "stage", 5, now) == queries.open_page(
        records, stages, OpenWhere(), "stage", 5, now
    )


def test_doctor_rebuilds_facts_of_an_older_version(tmp_path: Path, cli: Cli) -> None:
    storage, facts = make_facts(tmp_path)
    facts.write_bytes(facts.read_bytes().replace(VERSION_FIELD, b'"facts":1', 1))
    db = str(tmp_path / "pipeline.json")
    found = cli("--db", db, "doctor")
    assert found.exit_code == 1
    assert "open deals' facts" in found.output
    assert cli("--db", db, "doctor", "--fix").exit_code == 0
    view = storage.read()
    assert isinstance(view, Snapshot)
    assert view._facts() is not None
    answers(storage)


def test_board_check_and_agenda_print_the_same_with_and_without_the_facts(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, facts = make_facts(tmp_path)
    with storage.transaction(no_wait, "change", T0.isoformat()) as tx:  # a tail to correct by
        tx.delete_deal(3)
        tx.save_deals([random_deal(random.Random(2), 41, storage.read().stages())])
    monkeypatch.setenv("SALESPIPE_NOW", (T0 + timedelta(days=1)).isoformat())
    db = str(tmp_path / "pipeline.json")
    asked = (
        ["board", "--limit", "2"],
        ["board", "--owner", "malee", "--json", "--limit", "3"],
        ["check", "--limit", "2"],
        ["--lang", "th", "agenda", "--limit", "2"],
        ["agenda", "--json", "--limit", "3"],
    )
    view = storage.read()
    assert isinstance(view, Snapshot)
    assert view._facts() is not None
    with_facts = [cli("--db", db, *args) for args in asked]
    facts.unlink()
    without = [cli("--db", db, *args) for args in asked]
    for args, got, want in zip(asked, with_facts, without, strict=True):
        assert got.output == want.output, args
        assert got.exit_code == want.exit_code, args
    assert "ต้องวางแผน" in with_facts[3].output  # agenda's unplanned stale deals
    assert "+10 more" in with_facts[0].output  # a board stage's count past its cards
