"""The event feed (``log``): the newest events, found in one pass over the journal.

The journal is in recorded order, but ``--at`` may backdate an event, so the newest by
time can sit anywhere in it. One pass reads only each stored line's ``at`` and keeps
the ``limit`` newest lines; only those are parsed into events. The whole history of a
large database would not fit in memory as events, and parsing every line would take
several times longer.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING

import orjson

from salespipe.core.model import Event
from salespipe.core.tally import start_of_day
from salespipe.storage.jsonl.files import damaged

if TYPE_CHECKING:  # the snapshot calls this module: a runtime import would be a cycle
    from salespipe.storage.jsonl.snapshot import Snapshot

# A stored event line is ``Event.to_record()``: its top-level "at" comes before
# "before"/"after", and a quote inside any string value is escaped, so the first
# ``"at":"`` of a line is that key.
_AT = b'"at":"'


def newest_events(
    snapshot: Snapshot, limit: int, *, deal_id: int | None = None, since: date | None = None
) -> list[Event]:
    """At most ``limit`` events, newest first (by when they happened, then recorded order),
    of one deal or all, happening on ``since`` or later."""
    start = start_of_day(since) if since is not None else None  # where the reader is
    if deal_id is not None:
        events = snapshot.events(deal_id)
        if start is not None:
            events = [e for e in events if e.at >= start]
        return heapq.nlargest(limit, events, key=lambda e: (e.at, e.seq))
    moments: Iterator[tuple[datetime, int, bytes]] = _moments(snapshot.event_lines())
    if start is not None:
        moments = (m for m in moments if m[0] >= start)
    try:
        newest = heapq.nlargest(limit, moments, key=lambda m: (m[0], m[1]))
        return [Event.from_record(orjson.loads(line)) for _at, _order, line in newest]
    except (ValueError, KeyError, TypeError):  # bytes that are not our event lines
        raise damaged(snapshot.paths.events) from None


def _moments(lines: Iterator[bytes]) -> Iterator[tuple[datetime, int, bytes]]:
    """Each line with when its event happened and its place in recorded order."""
    fromiso = datetime.fromisoformat
    for order, line in enumerate(lines):
        start = line.find(_AT) + len(_AT)
        yield fromiso(line[start : line.find(b'"', start)].decode()), order, line
