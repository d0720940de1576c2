"""A demo-shaped data set made through the Pipeline API, for when `salespipe demo` is missing.

The shape follows docs/benchmark.md's data sets: 10% of the deals open, about five
events a deal (add, a few moves, a note, the close), spread over the two years before
now. The whole set is written as one transaction, so it is built in seconds even at 100k deals.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from salespipe.app.pipeline import Pipeline
from salespipe.core import clock
from salespipe.core.model import Deal, Event, Stay

CUSTOMERS = ("Siam Foods", "Bangkok Steel", "Chiang Mai Coffee", "Thai Logistics", "ACME Asia")
OWNERS = ("somchai", "malee", "anan", "pim")
STAGE_KEYS = ("presented", "considering", "quoted", "negotiating", "approved")


class _Recorder:
    """Numbers and records events the way the store would, without a meta update each."""

    def __init__(self, first_seq: int, change: int, who: str, now: datetime) -> None:
        self.seq = first_seq
        self.change = change
        self.who = who
        self.now = now
        self.events: list[Event] = []

    def add(self, kind: str, deal_id: int, at: datetime, **fields: object) -> None:
        self.events.append(
            Event(
                seq=self.seq,
                change=self.change,
                type=kind,
                at=at,
                recorded_at=self.now,
                who=self.who,
                command="demo",
                deal_id=deal_id,
                **fields,  # type: ignore[arg-type]
            )
        )
        self.seq += 1


def _history(deal_id: int, now: datetime, rng: random.Random, rec: _Recorder) -> Deal:
    created = now - timedelta(days=rng.uniform(1, 720), minutes=rng.randint(0, 600))
    value = Decimal(rng.randrange(10_000, 5_000_000, 500))
    last_stage = rng.randrange(len(STAGE_KEYS))
    closing = rng.random() >= 0.10
    at = created
    stays: list[Stay] = [Stay(STAGE_KEYS[0], at)]
    first = Deal(
        id=deal_id,
        title=f"Deal {deal_id} for {rng.choice(CUSTOMERS)}",
        stage=STAGE_KEYS[0],
        created_at=at,
        updated_at=at,
        stage_entered_at=at,
        customer=rng.choice(CUSTOMERS),
        contact="K. Somsri",
        value=value,
        currency="THB",
        owner=rng.choice(OWNERS),
        stays=tuple(stays),
    )
    rec.add("add", deal_id, at, after=first.to_record())
    budget = (now - created) / (last_stage + 3)
    for index in range(1, last_stage + 1):
        at = min(now, at + budget * rng.uniform(0.3, 1.0))
        stays[-1] = Stay(stays[-1].stage, stays[-1].entered, at)
        stays.append(Stay(STAGE_KEYS[index], at))
        rec.add(
            "move",
            deal_id,
            at,
            before={"stage": STAGE_KEYS[index - 1]},
            after={"stage": STAGE_KEYS[index]},
        )
    at = min(now, at + budget * rng.uniform(0.1, 0.5))
    rec.add("note", deal_id, at, text="Called the customer; they asked for references.")
    deal = Deal(
        **{
            **{f: getattr(first, f) for f in first.__dataclass_fields__},
            "stage": STAGE_KEYS[last_stage],
            "stage_entered_at": stays[-1].entered,
            "updated_at": at,
            "stays": tuple(stays),
        }
    )
    if closing:
        at = min(now, at + budget * rng.uniform(0.1, 0.5))
        won = rng.random() < 0.3
        reason = None if won else "Chose a cheaper competitor."
        stays[-1] = Stay(stays[-1].stage, stays[-1].entered, at)
        deal = Deal(
            **{
                **{f: getattr(deal, f) for f in deal.__dataclass_fields__},
                "status": "won" if won else "lost",
                "closed_at": at,
                "updated_at": at,
                "lost_reason": reason,
                "stays": tuple(stays),
            }
        )
        rec.add(
            "won" if won else "lost",
            deal_id,
            at,
            reason=reason,
            before={"status": "open"},
            after={"status": deal.status},
        )
    return deal


def build(path: Path, deals: int, seed: int = 1) -> None:
    """Write a fresh database of ``deals`` demo-shaped deals at ``path``."""
    rng = random.Random(seed)
    pipeline = Pipeline.open(path, "en")
    now = clock.now()
    with pipeline.work("demo") as work:
        tx = work.tx
        counters = tx.counters()
        rec = _Recorder(counters.next_seq, tx.change_id(), work.who, now)
        first_id = counters.next_deal_id
        made = [_history(first_id + i, now, rng, rec) for i in range(deals)]
        tx.save_deals(made)
        for event in rec.events:
            tx.record(event)
        tx.advance_counters(next_seq=rec.seq, next_deal_id=first_id + deals)


if __name__ == "__main__":
    import sys

    build(Path(sys.argv[1]), int(sys.argv[2]))
