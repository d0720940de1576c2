"""What ``copy --replace`` puts aside: the pipeline a target held before a copy took its
place, kept as the JSON backup ``export --format json`` writes (its one writer), which
``import`` restores into an empty database.

It is written into ``replaced/`` in the user data folder (``settings.replaced_dir``),
named after the database and the minute (``base-2026-12-08T0412.json``; a database on a
server by its name, never its password), never over another kept copy, atomically: a
private temp file, fsynced, then linked in under its name. The copy writes it under the
target's lock, before the replacement commits; if it cannot be written, the copy fails
and nothing is replaced. A target that holds nothing (no deal, no history) needs none.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salespipe.core.errors import WriteFailed, os_problem
from salespipe.core.i18n import _
from salespipe.storage import safe_files, short_name
from salespipe.transfer import exporting

if TYPE_CHECKING:
    from salespipe.storage.port import Storage

# Kept copies of one database in one minute before a name is refused as taken.
MOST_IN_A_MINUTE = 1000


@dataclass(frozen=True)
class Kept:
    """A kept copy: its file, and how many deals and events the pipeline held."""

    file: str
    deals: int
    events: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "deals": self.deals, "events": self.events}


def keep_what_is_replaced(store: Storage, folder: Path, now: datetime) -> Kept | None:
    """Write what ``store`` holds now as a backup in ``folder``; None when it holds
    nothing. Called under the store's lock, so no change comes between this and the
    replacement. An OSError becomes a WriteFailed (exit 4) naming the folder."""
    view = store.read()
    if view.is_empty():
        return None
    name = f"{short_name(store.location)}-{now:%Y-%m-%dT%H%M}"
    made: list[Path] = []
    try:
        made = safe_files.make_folder(folder)
        fd, temp = safe_files.temp_file(folder, f".{name}.tmp-")
        try:
            with open(fd, "wb") as handle:
                counts = exporting.write_backup(view, handle, now)
                handle.flush()
                safe_files.fsync(handle.fileno())
            kept = _linked_in(temp, folder, name)
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()
        safe_files.fsync_folder(folder)
    except OSError as exc:
        safe_files.remove_folders(made)
        raise WriteFailed(
            _(
                "Cannot keep a copy of what {target} holds in {folder}: {problem}; nothing "
                "was replaced."
            ).format(target=store.location, folder=folder, problem=os_problem(exc))
        ) from None
    finally:
        del view  # (a server's view holds a connection until it goes)
    return Kept(str(kept), counts["deals"], counts["events"])


def _linked_in(temp: Path, folder: Path, name: str) -> Path:
    """``temp`` given the first free name of ``name``, ``name-2``…: a hard link, which
    never replaces a file there (two copies kept in one minute are both kept); on a file
    system without links, a rename to a name not there a moment before."""
    for number in range(1, MOST_IN_A_MINUTE + 1):
        kept = folder / (f"{name}.json" if number == 1 else f"{name}-{number}.json")
        try:
            os.link(temp, kept)
            return kept
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if os.path.lexists(kept):
                continue
            safe_files.rename(temp, kept)
            return kept
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(folder / name))
