"""What lies past the end of the events journal that the main file records.

A writer appends its change's events, then commits by replacing the main file; one
killed in between leaves the events of that one change past the recorded end, numbered
with the change number the main file gives next. The next write cuts them off. Events
of any other change there were committed by a main file that is no longer in place: the
main file is older than its journals (put back alone from last night's copy, say), and
cutting them off would silently drop changes that were made, so no write may.

A main file one change older than the journals looks like a killed writer's, unless the
lock file says otherwise: each commit stamps in it the change counter and events end it
committed (``HeldLock.stamp``), so a main file put back from before that commit is told
apart from a writer killed before it. Only a stamp of exactly that change counts: one
further ahead is of another history (the files a backup was put back over).

A main file that records no events yet is the exception: a restore or a copy into an
empty database appends the events of many changes in one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from salespipe.core.errors import StoreError
from salespipe.core.i18n import _

CHUNK = 4 << 20  # bytes read at a time, so that a large import's leftover is not held whole


def changes_past_end(journal: Path, committed: int) -> Iterator[int]:
    """The change number of each whole event line past ``committed`` bytes (lines that
    cannot be read are left out: they are no evidence of a change)."""
    with contextlib.suppress(FileNotFoundError), journal.open("rb") as handle:
        handle.seek(committed)
        pending = b""
        while chunk := handle.read(CHUNK):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                change = _change_of(line)
                if change is not None:
                    yield change


def _change_of(line: bytes) -> int | None:
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    change = event.get("change") if isinstance(event, dict) else None
    return change if type(change) is int else None


def unrecorded_changes(
    journal: Path, meta: dict[str, Any], stamp: dict[str, Any] | None = None
) -> list[int]:
    """The changes past the recorded end of the events journal that no killed writer
    can have left there (see the module's docstring), in order; none normally.
    ``stamp``: what the last commit stamped in the lock file; if it committed past this
    main file, even the change this main file would number next was committed."""
    ours = meta["next_change"]
    committed_since = _one_change_committed_since(journal, meta, stamp)
    if not meta["events_size"] and not committed_since:
        return []
    return sorted(
        {c for c in changes_past_end(journal, meta["events_size"]) if committed_since or c != ours}
    )


def _one_change_committed_since(
    journal: Path, meta: dict[str, Any], stamp: dict[str, Any] | None
) -> bool:
    """Whether the last commit stamped the change this main file numbers next, ending
    the events journal where the journal's lines of it end: then that change was made,
    and this main file is the one before it. (Only then: a stamp further ahead belongs
    to another history, such as that of the files before a backup was put back, which
    may hold a killed writer's leftovers of its own.)"""
    if stamp is None or stamp["next_change"] != meta["next_change"] + 1:
        return False
    try:
        size = journal.stat().st_size
    except OSError:
        return False
    return bool(meta["events_size"] < stamp["events_size"] <= size)


def refuse_an_older_main_file(
    main: Path, journal: Path, meta: dict[str, Any], stamp: dict[str, Any] | None = None
) -> None:
    """Raise when the main file is older than its events journal (nothing is written)."""
    changes = unrecorded_changes(journal, meta, stamp)
    if changes:
        raise StoreError(
            _(
                "The data file {path} is older than its journals: {journal} holds changes "
                "made after it (was it put back from a copy on its own?), so nothing was "
                "changed; put back all the files of the database from the same copy together."
            ).format(path=main, journal=journal)
        )
