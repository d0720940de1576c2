"""What stored values may be: the types of the bookkeeping and settings a data file or a
backup holds. The store refuses a file whose values break these rules as damaged, and a
restore refuses such a backup, instead of failing later in some command."""

from __future__ import annotations

import re
from typing import Any

from salespipe.core.limits import MAX_OWNER, MAX_SECONDS

# A counter or size far beyond any real database, still exact as a JSON number and in
# 64 bits.
MAX_COUNTER = 2**53
# The highest number a deal may have: the next deal's number is kept too, and stays one.
MAX_DEAL_ID = MAX_COUNTER - 1

_CURRENCY = re.compile(r"[A-Z]{3}")


def is_count(value: Any, minimum: int = 0) -> bool:
    """A whole number (not a bool) from ``minimum`` to :data:`MAX_COUNTER`."""
    return type(value) is int and minimum <= value <= MAX_COUNTER


def _short_text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_OWNER and value.isprintable()


def _seconds(value: Any) -> bool:
    return type(value) in (int, float) and 0 <= value <= MAX_SECONDS


_SETTINGS: dict[str, Any] = {
    "currency": lambda v: isinstance(v, str) and bool(_CURRENCY.fullmatch(v)),
    "owner": _short_text,
    "lang": lambda v: v is None or v in ("th", "en"),
    "require_reason": lambda v: isinstance(v, bool),
    "lock_timeout": _seconds,
    "date_era": lambda v: v is None or v in ("ce", "be"),
    "visibility": lambda v: v in ("all", "own"),
    "pipeline": _short_text,
}


def config_problem(config: Any) -> str | None:
    """Where a stored settings object is wrong (``config`` or ``config.KEY``), or None."""
    if not isinstance(config, dict):
        return "config"
    for key, value in config.items():
        check = _SETTINGS.get(key)
        if check is None or not check(value):
            return f"config.{key}"
    return None
