"""The current time, in the local time zone.

``SALESPIPE_NOW`` (an ISO datetime) pins "now" so that scripts, tests and demos
can reproduce a day exactly.
"""

from __future__ import annotations

import os
from datetime import date, datetime


def now() -> datetime:
    pinned = os.environ.get("SALESPIPE_NOW")
    if pinned:
        # A naive pinned time is local time; astimezone() attaches the local offset.
        return datetime.fromisoformat(pinned).astimezone()
    return datetime.now().astimezone().replace(microsecond=0)


def today() -> date:
    return now().date()
