"""Deal histories drawn from a known absorbing Markov chain, as stored event records.

Each deal is created in the first stage at a random moment of the last year, then
steps through the chain (one stay of exponential length per stage) until it is won,
lost, or reaches now (still open: censored). Its expected close is set at creation
and sometimes pushed back. The events are what the use cases would have recorded,
so :func:`salespipe.reports.timeline.replay` rebuilds the deals from them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from salespipe.core.model import Record, Stage, default_stages
from salespipe.reports.timeline import replay

Chain = dict[str, dict[str, float]]

STAGES: list[Stage] = default_stages("en")  # 10 / 25 / 50 / 70 / 90 %
NOW = datetime.fromisoformat("2026-11-27T10:00:00+07:00")

# Won far less often than the stages say: from approved 70 % (configured 90 %), and
# deals in quoted sometimes go back to considering.
LOW: Chain = {
    "presented": {"considering": 0.45, "lost": 0.55},
    "considering": {"quoted": 0.5, "lost": 0.5},
    "quoted": {"negotiating": 0.45, "considering": 0.1, "lost": 0.45},
    "negotiating": {"approved": 0.6, "lost": 0.4},
    "approved": {"won": 0.7, "lost": 0.3},
}

# Won exactly as often as the stages say: 10 / 25 / 50 / 70 / 90 %.
AS_CONFIGURED: Chain = {
    "presented": {"considering": 0.4, "lost": 0.6},
    "considering": {"quoted": 0.5, "lost": 0.5},
    "quoted": {"negotiating": 5 / 7, "lost": 2 / 7},
    "negotiating": {"approved": 7 / 9, "lost": 2 / 9},
    "approved": {"won": 0.9, "lost": 0.1},
}


def true_win_chances(chain: Chain) -> dict[str, float]:
    """The chance of ending in won from each stage, by fixed-point iteration."""
    chances = dict.fromkeys(chain, 0.0)
    for _ in range(500):
        chances = {
            stage: sum(
                p * (1.0 if t == "won" else 0.0 if t == "lost" else chances[t])
                for t, p in row.items()
            )
            for stage, row in chain.items()
        }
    return chances


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _event(seq: int, kind: str, at: datetime, deal_id: int, before: Any, after: Any) -> Record:
    return {
        "seq": seq,
        "change": seq,
        "type": kind,
        "deal_id": deal_id,
        "at": _iso(at),
        "recorded_at": _iso(at),
        "who": "tester",
        "command": kind,
        "reason": None,
        "text": None,
        "before": before,
        "after": after,
    }


def history(
    chain: Chain,
    *,
    deals: int = 400,
    seed: int = 1,
    days: int = 365,
    stay_days: float = 12.0,
    slip_share: float = 0.0,
) -> list[Record]:
    """The event records of ``deals`` deals drawn from ``chain``, deal by deal."""
    rng = random.Random(seed)
    events: list[Record] = []
    owners = ("somchai", "wipa")
    for deal_id in range(1, deals + 1):
        at = NOW - timedelta(days=rng.uniform(0, days))
        stage = "presented"
        stays = [[stage, _iso(at), None]]
        closes = (at + timedelta(days=rng.uniform(20, 90))).date().isoformat()
        record = {
            "id": deal_id,
            "title": f"deal {deal_id}",
            "customer": "",
            "contact": "",
            "value": rng.randrange(10, 500) * 1000,
            "currency": "THB",
            "owner": owners[deal_id % 2],
            "stage": stage,
            "status": "open",
            "probability": None,
            "expected_close": closes,
            "next_action": None,
            "tags": [],
            "created_at": _iso(at),
            "updated_at": _iso(at),
            "stage_entered_at": _iso(at),
            "closed_at": None,
            "lost_reason": None,
            "stays": [list(s) for s in stays],
            "quote": None,
            "source": None,
        }
        events.append(_event(len(events) + 1, "add", at, deal_id, None, dict(record)))
        if rng.random() < slip_share:
            pushed = (at + timedelta(days=1)).replace(microsecond=0)
            later = (datetime.fromisoformat(closes) + timedelta(days=rng.randint(7, 30))).date()
            if pushed < NOW:
                events.append(
                    _event(
                        len(events) + 1,
                        "edit",
                        pushed,
                        deal_id,
                        {"expected_close": closes},
                        {"expected_close": later.isoformat()},
                    )
                )
                closes = later.isoformat()
                at = pushed
        while True:
            at = at + timedelta(days=rng.expovariate(1 / stay_days))
            if at >= NOW:
                break
            row = chain[stage]
            target = rng.choices(list(row), weights=list(row.values()))[0]
            before = {"stays": [list(s) for s in stays], "updated_at": record["updated_at"]}
            stays[-1][2] = _iso(at)
            if target in ("won", "lost"):
                before.update(status="open", closed_at=None, lost_reason=None)
                after = {
                    "stays": [list(s) for s in stays],
                    "updated_at": _iso(at),
                    "status": target,
                    "closed_at": _iso(at),
                    "lost_reason": "price" if target == "lost" else None,
                }
                events.append(_event(len(events) + 1, target, at, deal_id, before, after))
                break
            before.update(stage=stage, stage_entered_at=record["stage_entered_at"])
            stays.append([target, _iso(at), None])
            after = {
                "stays": [list(s) for s in stays],
                "updated_at": _iso(at),
                "stage": target,
                "stage_entered_at": _iso(at),
            }
            record["stage_entered_at"] = _iso(at)
            record["updated_at"] = _iso(at)
            events.append(_event(len(events) + 1, "move", at, deal_id, before, after))
            stage = target
    return events


def records(events: list[Record]) -> list[Record]:
    """Every deal's stored record now, rebuilt from the events."""
    return replay(events, set(), NOW).records()
