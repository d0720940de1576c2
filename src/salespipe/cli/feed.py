"""The team feed: watch."""

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from salespipe.app import feed, hooks
from salespipe.cli import complete, output
from salespipe.cli.app import state
from salespipe.cli.options import JsonOption, given
from salespipe.core.errors import InvalidValue
from salespipe.core.i18n import _, ngettext
from salespipe.present import deal_results, views


def register(app: typer.Typer) -> None:
    @app.command("watch", rich_help_panel="Deals")
    def watch(
        ctx: typer.Context,
        owner: Annotated[
            str | None,
            typer.Option(
                "--owner",
                "-o",
                metavar="O",
                help="Only changes of deals of this owner.",
                autocompletion=complete.owners,
                callback=given,
            ),
        ] = None,
        program: Annotated[
            str | None,
            typer.Option(
                "--exec",
                metavar="PROGRAM",
                help="Run PROGRAM for each event, with the event as JSON on stdin (as a hook).",
            ),
        ] = None,
        since: Annotated[
            int | None,
            typer.Option(
                "--since",
                metavar="CHANGE",
                min=0,
                help="First show the changes made after change CHANGE (its number in log "
                "--json), oldest first; then follow.",
            ),
        ] = None,
        resume: Annotated[
            Path | None,
            typer.Option(
                "--resume",
                metavar="FILE",
                help="Keep the place in FILE after each change, and start where it was: "
                "the changes made while watch was off are shown first. A FILE not there "
                "yet starts from now.",
            ),
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Print each change anyone makes to a team's PostgreSQL database, as it commits
        (until Ctrl-C).

        Example: salespipe watch --exec ./post-to-chat --resume ~/.local/state/salespipe/feed-place
        """
        hook = _program(program) if program is not None else None
        state(ctx).ends_by_interrupt = True  # its JSON lines end as they are, no error object
        pipeline = state(ctx).pipeline()
        store = pipeline.store
        pipeline.read()  # the language and era of the pipeline's settings
        for item in feed.watch(pipeline, owner=owner, since=since, resume=resume):
            if isinstance(item, feed.CaughtUp):
                output.note(_caught_up(item.changes, since))
            else:
                _show(item, store.location, as_json, hook, state(ctx).hook_database)


def _caught_up(changes: int, since: int | None) -> str:
    if since is None and not changes:
        return _("No change was made while the feed was off.")
    if since is None:
        return ngettext(
            "Caught up on {count} change made while the feed was off.",
            "Caught up on {count} changes made while the feed was off.",
            changes,
        ).format(count=changes)
    if not changes:
        return _("No change was made after change {change}.").format(change=since)
    return ngettext(
        "Caught up on {count} change made after change {change}.",
        "Caught up on {count} changes made after change {change}.",
        changes,
    ).format(count=changes, change=since)


def _show(
    item: feed.Shown, where: str, as_json: bool, hook: Path | None, database: str | Path | None
) -> None:
    """One item of the feed: a change on stdout (and its hook run), news of the
    connection on stderr (the catch-up's count is :func:`_caught_up`'s)."""
    if isinstance(item, feed.Listening) and item.before_init:
        output.warn(
            _(
                "Watching {where} for changes, though it has no pipeline yet: check --db or "
                "SALESPIPE_DB; the first change there will be its `salespipe init` (Ctrl-C "
                "stops)."
            ).format(where=where)
        )
    elif isinstance(item, feed.Listening):
        output.note(_("Watching {where} for changes (Ctrl-C stops).").format(where=where))
    elif isinstance(item, feed.ConnectionLost):
        output.warn(
            _("Lost the connection to {where}; reconnecting, and no change will be missed.").format(
                where=where
            )
        )
    elif isinstance(item, feed.Replaced):
        output.warn(
            _(
                "{where} was replaced by a copy (salespipe copy): its history is not news, "
                "so none of it is shown; the changes made from now on follow."
            ).format(where=where)
        )
    elif isinstance(item, feed.ConnectionBack):
        output.note(
            _("Connected to {where} again; changes made meanwhile follow.").format(where=where)
        )
    else:
        currencies = {deal.id: deal.currency for deal in item.deals}
        output.result_lines(
            deal_results.WatchedChange(item.events, item.stages, currencies), as_json
        )
        if hook is not None:
            for warning in hooks.run_program(
                hook, item, describe=views.describe, database=str(database)
            ):
                output.warn(warning)


def _program(name: str) -> Path:
    """The program --exec names: a path, or a command found on PATH."""
    found = name if "/" in name else shutil.which(name)
    path = Path(found or name)
    if not path.is_file():
        raise InvalidValue(_("There is no program {name} to run.").format(name=name))
    if not os.access(path, os.X_OK):  # else every change would only warn that it failed
        raise InvalidValue(
            _("{name} is not executable; `chmod +x {name}` makes it a program.").format(name=name)
        )
    # Absolute: Path("./post-change") is "post-change", which would be looked for on PATH.
    return path.absolute()
