"""The error tree of salespipe.

Every foreseeable failure is one of these. Each carries a stable ``code`` (for the
JSON error object) and its process exit code (docs/guarantees.md lists them all,
with docs/user-guide.md's "Output, JSON and exit codes"). Only the CLI
turns them into messages and exit codes.
"""

from __future__ import annotations

import errno
from typing import Any

from salespipe.core.i18n import N_, _

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_ACTION_NEEDED = 3
EXIT_DATA_FILE = 4
EXIT_OUTPUT_FAILED = 74  # sysexits' EX_IOERR: the output could not be written
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: try again later
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as a shell reports it

# The operating system's refusals a person meets most, in words of their language (the
# system's own text, `exc.strerror`, is always English).
_OS_PROBLEMS = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is exceeded"),
    errno.EROFS: N_("the file system is read-only"),
    errno.EACCES: N_("permission was denied"),
    # Not a missing permission (root meets it too): a file marked immutable or
    # append-only (chattr +i, +a) is the common cause of a write refused so.
    errno.EPERM: N_(
        "the system does not permit it (is it marked immutable or append-only? see lsattr)"
    ),
}


class SalespipeError(Exception):
    """Base of every error the user is meant to read."""

    code = "error"
    exit_code = EXIT_REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, Any]:
        """What ``--json`` adds to the code and the sentence (none by default)."""
        return {}


class InvalidValue(SalespipeError):
    """A value given on the command line or in a file cannot be used."""

    code = "invalid_value"


class DealNotFound(SalespipeError):
    """No deal has that id (or this role may not see it)."""

    code = "deal_not_found"

    def __init__(self, deal_id: int, message: str | None = None) -> None:
        super().__init__(
            message
            or _("There is no deal {deal_id}; `salespipe list --status all` shows them.").format(
                deal_id=deal_id
            )
        )
        self.deal_id = deal_id


class DealDeleted(DealNotFound):
    """A deal that was there and was deleted: said so, not as a typo of its id."""

    def __init__(self, deal_id: int, deleted: str) -> None:
        super().__init__(
            deal_id,
            _(
                "Deal {deal_id} was deleted on {when}; `salespipe log {deal_id}` shows its history."
            ).format(deal_id=deal_id, when=deleted),
        )


class StageNotFound(SalespipeError):
    """No stage has that name, key, number or part of a name (or it is switched off)."""

    code = "stage_not_found"


class AmbiguousStage(SalespipeError):
    """The name given could mean more than one stage."""

    code = "ambiguous_stage"


class PipelineNotFound(SalespipeError):
    """No pipeline has that name, key, number or part of a name."""

    code = "pipeline_not_found"


class AmbiguousPipeline(SalespipeError):
    """The name given could mean more than one pipeline."""

    code = "ambiguous_pipeline"


class NotAllowed(SalespipeError):
    """The request is understood but not allowed in the current state."""

    code = "not_allowed"


class NothingToUndo(NotAllowed):
    """``undo`` finds no change (of this user) left to take back."""

    code = "nothing_to_undo"


class StoreError(SalespipeError):
    """The data file cannot be read, is not ours, or cannot be written."""

    code = "data_file"
    exit_code = EXIT_DATA_FILE


class NoDataFile(StoreError):
    """A data file named by --db or SALESPIPE_DB is not there (for a command that only
    reads); on a ``server``, a database without the pipeline's tables."""

    code = "no_data_file"

    def __init__(self, path: object, *, server: bool = False) -> None:
        if server:
            message = _(
                "There is no pipeline in {where} yet; check --db or SALESPIPE_DB, or start "
                "one there with `salespipe init`."
            ).format(where=path)
        else:
            message = _(
                "There is no data file at {path}; check --db or SALESPIPE_DB, or start one "
                "there with `salespipe add` or `salespipe init`."
            ).format(path=path)
        super().__init__(message)


class UnreadableAmount(StoreError, ValueError):
    """A stored amount that is not one (a record edited by hand). Also a ValueError: a
    store that reads it reports its file as damaged."""

    def __init__(self, raw: object) -> None:
        super().__init__(
            _(
                'A stored amount, "{value}", is not one: the data was edited or damaged '
                "outside salespipe; `salespipe doctor` names the file."
            ).format(value=raw)
        )


class NotASalespipeFile(StoreError):
    """The file or database named is another program's, not a salespipe pipeline."""

    code = "not_a_salespipe_file"


class NewerSchema(StoreError):
    """The pipeline was written by a newer salespipe: upgrade salespipe to use it."""

    code = "newer_schema"


class DatabaseBusy(StoreError):
    """Another process holds the data file: nothing is wrong with it, try again."""

    code = "busy"
    exit_code = EXIT_BUSY


class WriteFailed(StoreError):
    """The data file could not be written (a full disk, no permission); it is as it was."""

    code = "write_failed"


class DatabaseUnreachable(StoreError):
    """The database server cannot be reached, or the connection to it was lost."""

    code = "database_unreachable"


class CommitOutcomeUnknown(DatabaseUnreachable):
    """The connection was lost while the server was asked to commit: the change may
    have been saved or not, and only reading the database again tells which."""

    code = "commit_outcome_unknown"


class DatabaseAddressInvalid(StoreError):
    """libpq does not accept a setting of the database's address (``?sslmode=bogus``)."""

    code = "database_address_invalid"


class DatabaseLoginFailed(StoreError):
    """The server refused who we said we are (wrong password, unknown role)."""

    code = "database_login_failed"


class DatabaseMissing(StoreError):
    """The server has no database of that name."""

    code = "database_missing"


class DatabaseReadOnly(StoreError):
    """The database role may read but not change the pipeline."""

    code = "database_read_only"


class NotPermitted(StoreError):
    """The database refuses this change to this role: only an admin of the team changes
    stages, settings and the team, and with visibility ``own`` a rep only its own deals."""

    code = "not_permitted"


class UsageError(SalespipeError):
    """The command line itself is wrong (as Click reports its own usage errors)."""

    code = "usage"
    exit_code = EXIT_USAGE


class NoLiveFeed(UsageError):
    """``watch`` on a database that cannot announce its changes (a data file)."""

    code = "no_live_feed"

    def __init__(self, where: str) -> None:
        super().__init__(
            _(
                "{where} is a data file: only a PostgreSQL database announces its changes "
                "to `salespipe watch`; use `salespipe log` to see what changed."
            ).format(where=where)
        )


class NoTeam(UsageError):
    """``team`` on a database that has no users (a data file)."""

    code = "no_team"

    def __init__(self, where: str) -> None:
        super().__init__(
            _(
                "{path} is a data file, which has no users: a team needs a pipeline on "
                "PostgreSQL (--db postgresql://…, docs/team.md)."
            ).format(path=where)
        )


class UndoConflict(NotAllowed):
    """``undo`` of a change a colleague has built on since."""

    code = "undo_conflict"


class OutputFailed(SalespipeError):
    """Writing the command's output (stdout) failed: a full disk, a closed stream."""

    code = "output_failed"
    exit_code = EXIT_OUTPUT_FAILED

    def __init__(self, problem: str, message: str | None = None) -> None:
        super().__init__(
            message or _("The output cannot be written: {problem}.").format(problem=problem)
        )
        self.problem = problem


def no_deal_numbers_left() -> str:
    """Why no deal can be made: the numbers a data file keeps exactly have run out."""
    from salespipe.core.stored import MAX_DEAL_ID

    return _(
        "Deal numbers have run out: the next would pass {highest}, the highest a deal may "
        "have; nothing was changed."
    ).format(highest=MAX_DEAL_ID)


def os_problem(exc: OSError, unexplained: str | None = None) -> str:
    """Why the operating system refused, in the user's language where it is a common
    refusal (a full disk, no permission), else in the system's own words, else
    ``unexplained`` (or the exception's text)."""
    known = _OS_PROBLEMS.get(exc.errno or 0)
    if known is not None:
        return _(known)
    return exc.strerror or unexplained or str(exc)
