"""Storage: where the pipeline is kept.

The app speaks to a database only through the port (:mod:`salespipe.storage.port`);
:func:`open_storage` picks the backend that implements it from the target the user
named, so nothing above this package names a backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salespipe.storage.postgres.target import (
    as_typed,
    is_connection_string,
    is_other_address,
    is_postgres_target,
    password_unencoded,
    redact,
    without_password,
)

if TYPE_CHECKING:
    from salespipe.storage.port import Initial, Storage

__all__ = [
    "MEMORY_PREFIX",
    "as_typed",
    "is_postgres_target",
    "open_storage",
    "refuse_an_address_of_no_database",
    "without_password",
]

MEMORY_PREFIX = "memory:"


def open_storage(target: str | os.PathLike[str], initial: Callable[[], Initial]) -> Storage:
    """The database at ``target``: ``memory:NAME`` for an in-memory one (shared by every
    opening of that name in this process), ``postgresql://…`` (or ``postgres://…``) for
    a PostgreSQL database (docs/team.md), else the path of a data file. ``initial``
    gives what a database holds before its first change.

    Each backend is imported only when a target names it (a server backend's driver
    must not slow down the file commands)."""
    text = os.fspath(target)
    if is_postgres_target(text):
        if password_unencoded(text):
            from salespipe.core.errors import DatabaseAddressInvalid
            from salespipe.core.i18n import _

            raise DatabaseAddressInvalid(
                _(
                    'The password in the address {target} holds "@" or "/"; write them as '
                    "%40 and %2F, or keep the password in PGPASSFILE."
                ).format(target=redact(text))
            )
        return _postgres(text, initial)
    if is_connection_string(text):
        from salespipe.core.errors import StoreError
        from salespipe.core.i18n import _

        # Taken as a path, it made files named after the password, and no deal reached
        # the server.
        raise StoreError(
            _(
                'The database "{target}" is written as key=value settings; name a server '
                "as postgresql://USER@HOST/DATABASE (the other settings as ?key=value), or "
                "give the path of a data file."
            ).format(target=redact(text))
        )
    if text.startswith(MEMORY_PREFIX):
        from salespipe.storage.memory import open_memory

        return open_memory(text.removeprefix(MEMORY_PREFIX), initial)
    from salespipe.storage.jsonl import Store

    return Store(Path(text), initial)


def refuse_an_address_of_no_database(target: str) -> None:
    """Refuse ``postgresl://…``, ``postgresql+psycopg://…`` or any other address that is
    not PostgreSQL's: taken as a data file's path, a mistyped scheme made a private file
    in folders named after the password, and the team's deals never reached the server."""
    if is_other_address(as_typed(target)):
        from salespipe.core.errors import DatabaseAddressInvalid
        from salespipe.core.i18n import _

        raise DatabaseAddressInvalid(
            _(
                'The database "{target}" is neither a PostgreSQL address nor a data file; '
                "name a server as postgresql://USER@HOST/DATABASE (or postgres://…), or give "
                "the path of a data file."
            ).format(target=redact(as_typed(target)))
        )


def short_name(location: str) -> str:
    """A short name of the database at ``location`` for a file named after it: a data
    file's name without its suffix, a PostgreSQL database's name (never its password),
    with no character a file name cannot hold."""
    import re

    if is_postgres_target(location):
        from salespipe.storage.postgres.target import database_name

        name = database_name(location)
    else:
        name = Path(location).stem
    return re.sub(r"[^\w.-]+", "-", name).strip(".-") or "pipeline"


def is_database_file(path: Path) -> bool:
    """Whether ``path`` is the main file of a salespipe database or one of its files (an
    export written over either breaks that database)."""
    from salespipe.storage.jsonl.database import is_file_of_a_database

    return is_file_of_a_database(path)


def settings_of_data_file(path: Path) -> dict[str, Any]:
    """The settings a data file keeps, read before a command opens it (for the language
    of a refusal found first); {} when there are none to read."""
    from salespipe.storage.jsonl.database import stored_settings

    return stored_settings(path)


def _postgres(target: str, initial: Callable[[], Initial]) -> Storage:
    try:
        from salespipe.storage.postgres.backend import PostgresStorage
    except ImportError as exc:
        if not (exc.name or "").startswith("psycopg"):
            raise
        from salespipe.core.errors import StoreError
        from salespipe.core.i18n import _

        raise StoreError(
            _(
                "A PostgreSQL database needs the driver, which is not installed: "
                "pip install 'salespipe[postgres]'."
            )
        ) from None
    return PostgresStorage(target, initial)
