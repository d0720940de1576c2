"""Connections to the PostgreSQL server, and the driver's failures in salespipe's words.

This is the only module that imports the driver at start-up of a PostgreSQL command.
Every failure leaves here as one of the database errors of :mod:`salespipe.core.errors`
(exit 4), in one sentence that names the target with its password hidden.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict

from salespipe.core.errors import (
    CommitOutcomeUnknown,
    DatabaseAddressInvalid,
    DatabaseLoginFailed,
    DatabaseMissing,
    DatabaseReadOnly,
    DatabaseUnreachable,
    NotPermitted,
    StoreError,
)
from salespipe.core.i18n import _
from salespipe.storage.postgres.target import USERINFO_PASSWORD, redact, scrub

Connection = psycopg.Connection[Any]

# The driver logs a warning of its own when a failed batch (executemany) ends its
# pipeline ("error ignored terminating <psycopg.Pipeline …>"), which Python printed on
# stderr before salespipe's one sentence for the same failure.
logging.getLogger("psycopg").addHandler(logging.NullHandler())

# libpq waits for ever by default; a CLI command should not.
DEFAULT_CONNECT_TIMEOUT = 10

_MISSING_DATABASE = re.compile(r'database "[^"]*" does not exist')
_LOGIN_REFUSED = re.compile(
    r"authentication failed|no password supplied|role \"[^\"]*\" does not exist"
    r"|password is required|pg_hba\.conf rejects|no pg_hba\.conf entry"
    r"|is not permitted to log in|permission denied for database|password has expired",
    re.IGNORECASE,
)
# libpq's own words for an address it does not accept (it says them before it connects).
_BAD_ADDRESS = re.compile(
    r"^(?:connection is bad: )?(?:invalid (?:URI query parameter|connection option"
    r"|percent-encoded token|integer value|\w+ value)|missing \"=\" after"
    r"|unterminated quoted string|end of string reached|invalid .* in URI)"
)
_NO_SERVICE = re.compile(r'definition of service "[^"]*" not found|service file "[^"]*" not found')
# What libpq says when the secure connection asked for cannot be made (not every
# message naming SSL: "no pg_hba.conf entry for … SSL encryption" is a refused login).
_SECURE = re.compile(
    r"SSL was required|does not support SSL|SSL error|SSL SYSCALL|certificate|sslmode"
    r"|could not (?:load|read|open) .*(?:ssl|cert|key)",
    re.IGNORECASE,
)
_PEER = re.compile(r"peer authentication failed", re.IGNORECASE)
_ANSWERED = re.compile(r"\b(?:FATAL|ERROR):")
# The server refused a setting the address passes it (?options=-c…): reached, so not
# "cannot be reached"; its other refusals are said by what they are (below).
_SETTING_REFUSED = re.compile(
    r"unrecognized configuration parameter|invalid value for parameter"
    r"|parameter \"[^\"]*\" cannot be (?:changed|set)",
    re.IGNORECASE,
)
_NOT_READY = re.compile(
    r"the database system is (?:shutting down|starting up|in recovery mode|not yet accepting)",
    re.IGNORECASE,
)
_LOST = re.compile(
    r"server closed the connection|connection (?:is )?(?:lost|closed)|terminating connection"
    r"|consuming input failed|the connection is closed|SSL SYSCALL",
    re.IGNORECASE,
)


def connect(target: str, *, autocommit: bool = False) -> Connection:
    """A connection to ``target``, configured by libpq from the URI and the environment."""
    options: dict[str, Any] = {"autocommit": autocommit}
    scheme, sep, rest = target.partition("://")
    target = scheme.lower() + sep + rest  # libpq knows only "postgresql://" in lower case
    with translated(target):
        given = conninfo_to_dict(target)
        if "connect_timeout" not in given and not os.environ.get("PGCONNECT_TIMEOUT"):
            options["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
        if "application_name" not in given and not os.environ.get("PGAPPNAME"):
            options["application_name"] = "salespipe"
        return psycopg.connect(target, **options)


@contextmanager
def translated(target: str) -> Iterator[None]:
    """Run a block that talks to the server; a driver error leaves it as a StoreError."""
    try:
        yield
    except psycopg.Error as exc:
        raise database_error(exc, target) from None


def commit(connection: Connection, target: str, *, shown_by: str = "salespipe log") -> None:
    """Commit the connection's transaction. A connection lost on the way is not "not
    saved" as it is before COMMIT: the server may have committed before it was cut
    off, and a user told otherwise would make the change twice. ``shown_by`` is the
    command that shows whether it was saved."""
    try:
        connection.commit()
    except psycopg.Error as exc:
        if exc.sqlstate is None or _lost(exc, _first_line(str(exc))):
            raise CommitOutcomeUnknown(
                _(
                    "The connection to the database server of {where} was lost while the "
                    "change was being committed: it may have been saved or not; "
                    "`{command}` shows whether it was, before you make it again."
                ).format(where=redact(target), command=shown_by)
            ) from None
        raise database_error(exc, target) from None


def _lost(exc: psycopg.Error, said: str) -> bool:
    """Whether ``exc`` says the connection to the server was lost (once it was made)."""
    if isinstance(exc, pg_errors.AdminShutdown | pg_errors.CannotConnectNow):
        return True
    return bool(_LOST.search(said)) and not said.startswith("connection failed")


def database_error(exc: psycopg.Error, target: str) -> StoreError:
    """The salespipe error that says what ``exc`` means for the user, password hidden."""
    where = redact(target)
    said = _first_line(str(exc))  # what the server said: what the error is known by
    detail = scrub(said, _secrets(target))  # what may be shown
    if exc.sqlstate is None and _BAD_ADDRESS.search(said):
        return DatabaseAddressInvalid(
            _(
                "The database address {where} has a setting the driver does not accept "
                "({detail}); see docs/team.md for the address and its ?key=value settings."
            ).format(where=where, detail=_reason(detail).removeprefix("connection is bad: "))
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege) and "salespipe_events_as_self" in said:
        # The policy of m012: events by another role, which only the tables' owner writes.
        return NotPermitted(
            _(
                "Only an admin of the team may bring changes made by others into {where} "
                "(a copy, a restore): every other role records changes only as itself; "
                "nothing was changed."
            ).format(where=where)
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege) and "row-level security" in said:
        return NotPermitted(
            _(
                "The database lets this role add or change only the deals it owns "
                "(visibility own) at {where}; nothing was changed."
            ).format(where=where)
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege | pg_errors.ReadOnlySqlTransaction):
        return DatabaseReadOnly(
            _(
                "The database role may read but not change the pipeline at {where}; "
                "ask an admin of the database for write access."
            ).format(where=where)
        )
    if isinstance(exc, pg_errors.InvalidCatalogName) or _MISSING_DATABASE.search(said):
        named = _MISSING_DATABASE.search(said)  # (the one tried: libpq's default is the user's)
        return DatabaseMissing(
            _(
                "The database {where} does not exist on its server ({database}); "
                "create it (createdb) or correct the name."
            ).format(where=where, database=named.group(0) if named else _reason(detail))
        )
    if isinstance(exc, pg_errors.InvalidPassword | pg_errors.InvalidAuthorizationSpecification) or (
        _LOGIN_REFUSED.search(said)
    ):
        return _login_refused(said, where, _reason(detail))
    if _lost(exc, said):
        return DatabaseUnreachable(
            _(
                "The connection to the database server of {where} was lost; "
                "the change in progress was not saved."
            ).format(where=where)
        )
    if isinstance(exc, psycopg.OperationalError):
        return _not_connected(said, where, _reason(detail))
    return StoreError(_("The database {where} failed: {detail}").format(where=where, detail=detail))


def _login_refused(said: str, where: str, reason: str) -> StoreError:
    """The login refused, with the server's reason (which names the user it tried); peer
    authentication, a server's local socket checking the system user, is said as such:
    no password file helps there."""
    if _PEER.search(said):
        return DatabaseLoginFailed(
            _(
                "The database server refused the login to {where} ({detail}): over its "
                "local socket it takes only the role of your system user's name; connect "
                "as that user, or over TCP with a password (postgresql://USER@localhost/…)."
            ).format(where=where, detail=reason)
        )
    return DatabaseLoginFailed(
        _(
            "The database server refused the login to {where} ({detail}); check the user, "
            "the password (PGPASSFILE) or the service."
        ).format(where=where, detail=reason)
    )


def _not_connected(said: str, where: str, reason: str) -> StoreError:
    """Why no connection was made, with what to look at: a service the address names
    and no service file defines, the secure connection asked for, a server on its way
    down or up, or else a server not there."""
    if _NO_SERVICE.search(said):
        return DatabaseAddressInvalid(
            _(
                "The database address {where} names a service no service file defines "
                "({detail}); check its name and the file (PGSERVICEFILE, ~/.pg_service.conf)."
            ).format(where=where, detail=reason.removeprefix("connection is bad: "))
        )
    if _NOT_READY.search(said):
        return DatabaseUnreachable(
            _(
                "The database server of {where} is not taking connections right now "
                "({detail}); try again in a moment."
            ).format(where=where, detail=reason)
        )
    if _SECURE.search(said):
        return DatabaseUnreachable(
            _(
                "The database server of {where} could not make the secure connection asked "
                "for ({detail}); check sslmode and sslrootcert in the address, and the "
                "server's SSL settings."
            ).format(where=where, detail=reason)
        )
    if _SETTING_REFUSED.search(said):
        return DatabaseAddressInvalid(
            _(
                "The database server of {where} refused the connection ({detail}); check "
                "the address's ?key=value settings."
            ).format(where=where, detail=reason)
        )
    if _ANSWERED.search(said):  # reached: it refused (too many connections, a right…)
        return DatabaseUnreachable(
            _("The database server of {where} refused the connection ({detail}).").format(
                where=where, detail=reason
            )
        )
    return DatabaseUnreachable(
        _(
            "The database server of {where} cannot be reached ({detail}); "
            "is it running, and are the host and port right?"
        ).format(where=where, detail=reason)
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _reason(detail: str) -> str:
    """The last clause of libpq's "connection failed: … failed: REASON", single-spaced
    (the server writes "FATAL:  the database…")."""
    return " ".join(detail.rsplit("failed: ", 1)[-1].split()) or detail


def _secrets(target: str) -> list[str]:
    """Every spelling of the password in ``target`` (as typed and as decoded)."""
    found = [os.environ.get("PGPASSWORD", "")]
    with suppress(psycopg.Error):
        given = conninfo_to_dict(target)
        found += [str(given.get("password") or ""), str(given.get("sslpassword") or "")]
    typed = USERINFO_PASSWORD.match(target)
    if typed:
        found.append(typed["password"])
    return found
