"""The current time, in the local time zone.

``SALESPIPE_NOW`` (an ISO datetime) pins "now" so that scripts, tests and demos
can reproduce a day exactly.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _


def now() -> datetime:
    pinned = os.environ.get("SALESPIPE_NOW")
    if pinned:
        return _pinned(pinned)
    return datetime.now().astimezone().replace(microsecond=0)


def today() -> date:
    return now().date()


def _pinned(text: str) -> datetime:
    """SALESPIPE_NOW as an aware time; a naive one is local time."""
    try:
        pinned = datetime.fromisoformat(text.strip())
        if 1900 <= pinned.year <= 2200:
            return pinned.astimezone()
    except (ValueError, OverflowError):
        pass
    raise InvalidValue(
        _(
            'SALESPIPE_NOW "{text}" is not a date and time in the years 1900–2200 such as '
            "2026-11-27T10:00:00+07:00; fix or unset it."
        ).format(text=text)
    )
