"""The data file, the default backend of the storage port (:mod:`salespipe.storage.port`):
the only package that knows TinyDB, files, locks and journals.

One database is a set of files sharing a name stem, e.g. for ``pipeline.json``:

``pipeline.json``
    A TinyDB document (written through :class:`_BufferedStorage`): the format
    marker and schema version, settings, stages, and an index of the *open* deals
    (id -> offset and size of its current record in the open-deals journal). It
    stays small and is replaced whole, atomically, on every change.
``pipeline.open-N.jsonl``
    The open deals' records, append-only: a change appends the changed records and
    points the index at them. When superseded records make up most of it, a writer
    copies the live ones into generation N+1 before committing and removes
    generation N afterwards (readers opened it already, or read the new main file).
``pipeline.events.jsonl``
    Every event ever recorded, one JSON object a line, append-only.
``pipeline.closed.jsonl``
    The latest record of each closed deal, appended when a deal closes or a closed
    deal changes (a later line for the same id wins; a tombstone marks deletion).
``pipeline.lock``
    Held with ``flock`` over each whole read-modify-write.
``.pipeline.json.moving``
    Only while ``copy --replace`` moves a new database's files in (or after it was
    killed doing so): the moves, for the next command to finish (moving.py).

The main file records how many bytes of each journal are committed. A writer
appends to the journals (after cutting off any tail a killed writer left), fsyncs
them, then atomically replaces the main file; readers take no lock (but to finish a
cut-off move, moving.py) and read each
journal only up to the size their copy of the main file names. So a reader always
sees one consistent state, a crash at any moment leaves the last committed state,
everyday commands never parse or rewrite the closed history, and a change writes
only the records it changes.
"""

from salespipe.storage.jsonl.database import (
    FORMAT,
    MIGRATIONS,
    Store,
    new_document,
    schema_version,
)
from salespipe.storage.jsonl.files import DatabasePaths
from salespipe.storage.jsonl.snapshot import Snapshot
from salespipe.storage.jsonl.transaction import Transaction

__all__ = [
    "FORMAT",
    "MIGRATIONS",
    "DatabasePaths",
    "Snapshot",
    "Store",
    "Transaction",
    "new_document",
    "schema_version",
]
