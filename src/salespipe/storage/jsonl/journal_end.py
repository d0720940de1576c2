"""What lies past the end of the events journal that the main file records.

A writer appends its change's events, then commits by replacing the main file; one
killed in between leaves the events of that one change past the recorded end, numbered
with the change number the main file gives next. The next write cuts them off. Events
of a later change there were committed by a main file that is no longer in place: the
main file is older than its journals (put back alone from last night's copy, say), and
cutting them off would silently drop changes that were made, so no write may. (Those of
an earlier change are a refused writer's that lost its lock: cut off too.)

A main file one change older than the journals looks like a killed writer's, unless the
lock file says otherwise: each commit that adds events stamps in it where it began and
ended the events journal and a fingerprint of those events (``HeldLock.stamp``), so a
main file put back from before that commit, ending the journal where it began, with
those very bytes after it, is told apart from a writer killed before it.

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
from salespipe.storage.jsonl.files import Fingerprint

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


def unrecorded(
    journal: Path, meta: dict[str, Any], stamp: dict[str, Any] | None
) -> tuple[list[int], bool]:
    """The changes past the recorded end of the events journal that no killed writer
    can have left there (see the module's docstring), in order, none normally; and
    whether ``stamp`` (what the last commit stamped in the lock file, ``HeldLock.stamp``)
    tells that the change this main file numbers next was committed."""
    ours = meta["next_change"]
    committed_since = _one_change_committed_since(journal, meta, stamp)
    if not meta["events_size"] and not committed_since:
        return [], False
    # (A change numbered before ours was made before this main file: its lines past the
    # end are a refused writer's, which lost its lock to the writer that made it.)
    changes = {
        c
        for c in changes_past_end(journal, meta["events_size"])
        if c > ours or (c == ours and committed_since)
    }
    return sorted(changes), committed_since


def _one_change_committed_since(
    journal: Path, meta: dict[str, Any], stamp: dict[str, Any] | None
) -> bool:
    """Whether the last commit began where this main file ends the events journal and
    the bytes it added are there, as its fingerprint says: then that change was made,
    and this main file is the one before it. (A killed writer's leftovers are other
    bytes; a stamp of another start belongs to another history, such as that of the
    files a backup was put back over.)"""
    if stamp is None or stamp["events_from"] != meta["events_size"]:
        return False
    start, end = stamp["events_from"], stamp["events_size"]
    if end <= start:
        return False
    hasher = Fingerprint()
    try:
        with journal.open("rb") as handle:
            handle.seek(start)
            left = end - start
            while left > 0 and (chunk := handle.read(min(CHUNK, left))):
                hasher.update(chunk)
                left -= len(chunk)
    except OSError:
        return False
    return left == 0 and bool(hasher.hexdigest() == stamp["events_digest"])


def refuse_an_older_main_file(
    main: Path,
    journal: Path,
    meta: dict[str, Any],
    stamp: dict[str, Any] | None = None,
    lock: Path | None = None,
) -> None:
    """Raise when the main file is older than its events journal (nothing is written)."""
    changes, by_the_stamp = unrecorded(journal, meta, stamp)
    if not changes:
        return
    if lock is not None and by_the_stamp:
        # Told by the lock file alone: a copy taken in the middle of that very change and
        # put back whole, without the lock file, reads the same; say the way out.
        raise StoreError(
            _(
                "The data file {path} is older than its journals: {journal} holds a change "
                "made after it, as {lock} records (was the data file put back from a copy on "
                "its own?), so nothing was changed; put back all the files of the database "
                "from the same copy together, or, if you did and the copy was taken while "
                "that change was being made, remove {lock} while no salespipe runs."
            ).format(path=main, journal=journal, lock=lock)
        )
    raise StoreError(
        _(
            "The data file {path} is older than its journals: {journal} holds changes "
            "made after it (was it put back from a copy on its own?), so nothing was "
            "changed; put back all the files of the database from the same copy together."
        ).format(path=main, journal=journal)
    )
