"""The pipeline's bookkeeping held in memory during a change: counters, settings, flags.

The in-memory and the PostgreSQL backends keep these values as Python objects while a
transaction runs (and write them back at its end); the jsonl backend keeps them in its
main document instead. What a write transaction does with them is the same in both, so
it is written once, here.
"""

from __future__ import annotations

from typing import Any, Protocol

from salespipe.storage.port import Counters


class HeldState(Protocol):
    """The values a transaction changes in place."""

    counters: Counters
    config: dict[str, Any]
    flags: dict[str, Any]
    created_at: str


class HeldBookkeeping:
    """The counter, settings and flag methods of a write transaction, over the state its
    :meth:`_touch` returns (marking the transaction as changed)."""

    _change_id: int | None = None

    def _touch(self) -> HeldState:
        raise NotImplementedError

    # -- numbers -----------------------------------------------------------------------
    def allocate_deal_id(self) -> int:
        state = self._touch()
        deal_id = state.counters.next_deal_id
        state.counters = state.counters._replace(next_deal_id=deal_id + 1)
        return deal_id

    def allocate_seq(self) -> int:
        state = self._touch()
        seq = state.counters.next_seq
        state.counters = state.counters._replace(next_seq=seq + 1)
        return seq

    def change_id(self) -> int:
        if self._change_id is None:
            state = self._touch()
            self._change_id = state.counters.next_change
            state.counters = state.counters._replace(next_change=self._change_id + 1)
        return self._change_id

    def advance_counters(
        self,
        *,
        next_deal_id: int | None = None,
        next_seq: int | None = None,
        next_change: int | None = None,
    ) -> None:
        state = self._touch()
        given = Counters(next_deal_id or 0, next_seq or 0, next_change or 0)
        state.counters = Counters(*map(max, state.counters, given))

    # -- settings, flags -------------------------------------------------------------------
    def set_config(self, key: str, value: Any) -> None:
        config = self._touch().config
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value

    def replace_config(self, config: dict[str, Any]) -> None:
        self._touch().config = dict(config)

    def set_flag(self, name: str, value: Any) -> None:
        self._touch().flags[name] = value

    def set_created_at(self, iso: str) -> None:
        self._touch().created_at = iso
