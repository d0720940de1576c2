"""The root command: global options, error handling, and the groups joined together."""

import contextlib
import gc
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.exceptions import (  # Typer's own Click: no other
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperGroup

from salespipe import __version__
from salespipe.app import settings
from salespipe.cli import output
from salespipe.core import fmt, i18n
from salespipe.core.errors import EXIT_INTERRUPTED, InvalidValue, OutputFailed, SalespipeError
from salespipe.core.i18n import _
from salespipe.storage.interrupts import (
    InterruptedAfterCommit,
    end_by_the_stopping_signal,
    stop_on_term_and_hangup,
    terminated,
)

if TYPE_CHECKING:
    from salespipe.app.pipeline import Change, Pipeline
    from salespipe.storage.port import ReadView

HELP = """Track sales deals through your pipeline stages, from the terminal.

Deals live in one local file (--db, SALESPIPE_DB, or your user data folder), or
for a team in a PostgreSQL database (--db postgresql://HOST/DATABASE).
Every change is recorded with its reason and can be undone.

Examples:

  salespipe add "ERP for Siam Foods" --customer "Siam Foods" --value 1.5m

  salespipe move 1 เสนอราคา --reason "sent the quotation"

  salespipe list --json | jq '.[].title'
"""

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")

# Help texts with a value in them (a default, the choices), as Click shows them in
# English, and how to say each in the language of the help (cli/help_pages.py).
HELP_SAID_OTHERWISE: dict[str, Callable[[], str]] = {}


class Phrase(str):
    """A part of a help text that is a msgid of its own (marked with ``N_``), such as
    the forms a DATE may take: :func:`filled` puts it in as it is in English, and its
    translation in the help of another language."""


def filled(msgid: str, **fields: Any) -> str:
    """The help text ``msgid`` with its named placeholders filled in: the English text,
    and in Thai help the Thai one filled in the same way (an f-string would have made a
    text of its own for each value, with no entry in the catalogue); a :class:`Phrase`
    is filled in translated."""
    text = msgid.format(**fields)

    def said() -> str:
        return _(msgid).format(
            **{name: _(v) if isinstance(v, Phrase) else v for name, v in fields.items()}
        )

    HELP_SAID_OTHERWISE[text] = said
    return text


class _Commands(TyperGroup):
    """The root command: the one place where a salespipe error becomes one sentence on
    stderr (and a JSON error object with --json) and its exit code. Nothing else
    catches errors to print them. A usage error with --json is also a JSON error object
    on stdout (scripts read only stdout), besides the usage text on stderr."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if ctx.meta.get("salespipe.parsing"):  # Click's own second look, for a bad name
            return super().parse_args(ctx, args)  # (such as /a): its checks are done once
        ctx.meta["salespipe.parsing"] = True
        as_json = output.json_asked(args)
        ctx.meta["salespipe.json"] = as_json
        ctx.meta["salespipe.before_dashes"] = _option_before_dashes(args)
        args, ctx.meta["salespipe.shell"] = _completion_shell_named(args)
        given = list(args)  # (Click's parser takes its arguments off the list)
        if not ctx.resilient_parsing and self._shows_help(given):
            ctx.meta["salespipe.help"] = help_language(_lang_before_the_command(given))
        with _usage_errors_as_json(as_json, given=given), _help_spoken(ctx):
            rest = super().parse_args(ctx, args)  # the root's options: --lang is read
            # Not while completing a word (half typed), nor for --help, which answers
            # whatever else is given.
            if not ctx.resilient_parsing and len(given) > 2 and not {"-h", "--help"} & set(given):
                from salespipe.cli.repeats import refuse_repeated_options

                choose_language(ctx.params.get("lang"), as_json=as_json)  # the callback's
                refuse_repeated_options(self, ctx, given)
            return rest

    def _shows_help(self, given: list[str]) -> bool:
        """Whether the command line asks for a help page: -h or --help (not after --),
        nothing at all, or a group named alone (`salespipe stage`)."""
        before = given[: given.index("--")] if "--" in given else given
        if not given or not _HELP_OPTIONS.isdisjoint(before):
            return True
        words = _words_after_the_global_options(before)
        return len(words) == 1 and isinstance(self.commands.get(words[0]), TyperGroup)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return self._answered(ctx)
        finally:
            _run_the_hooks_of_what_was_made(state(ctx))

    def _answered(self, ctx: typer.Context) -> Any:
        """The command run, its result or its error said."""
        try:
            with (
                _usage_errors_as_json(
                    bool(ctx.meta.get("salespipe.json")), ctx.meta.get("salespipe.before_dashes")
                ),
                _help_spoken(ctx),
            ):
                return super().invoke(ctx)
        except OutputFailed as exc:
            made = state(ctx).committed
            failure = _made_but_not_shown(made, exc) if made else exc
            output.error(failure, False)  # stdout is what failed: the sentence goes to stderr
            raise typer.Exit(exc.exit_code) from None
        except SalespipeError as exc:
            # (--json may come after the option whose check failed, before its own turn)
            as_json = state(ctx).as_json or bool(ctx.meta.get("salespipe.json"))
            output.error(exc, as_json)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as interrupt:
            # Ctrl-C: a change not yet committed is not made (each is one transaction).
            state(ctx).interrupted = True
            changed = bool(state(ctx).committed) or isinstance(interrupt, InterruptedAfterCommit)
            as_json = state(ctx).as_json or bool(ctx.meta.get("salespipe.json"))
            from salespipe.cli import interrupted

            if state(ctx).ends_by_interrupt and not changed:
                interrupted.say_stopped()
            else:
                interrupted.say(changed, as_json)
            raise typer.Exit(EXIT_INTERRUPTED) from None


_HELP_OPTIONS = frozenset({"-h", "--help"})


def _lang_before_the_command(args: list[str]) -> str | None:
    """The value of the --lang given before the command (``--lang th``, ``--lang=th``)."""
    flag = None
    words = iter(args)
    for arg in words:
        if arg in _GLOBAL_OPTIONS_WITH_VALUE:
            value = next(words, None)
            flag = value if arg == "--lang" else flag
        elif arg.startswith("--lang="):
            flag = arg.partition("=")[2]
        elif arg == "--" or not arg.startswith("-"):
            break
    return flag


def _words_after_the_global_options(args: list[str]) -> list[str]:
    """The command and what follows it."""
    at = 0
    while at < len(args):
        if args[at] in _GLOBAL_OPTIONS_WITH_VALUE:
            at += 1
        elif not args[at].startswith("-"):
            return args[at:]
        at += 1
    return []


def help_language(flag: str | None) -> str:
    """The language of a help page: --lang, SALESPIPE_LANG, the locale, else English. Not
    the data file's setting: help opens no file (it must show without one, at once)."""
    try:
        return settings.lang_from_environment(flag) or "en"
    except InvalidValue:  # (refused when a command is run, not when its help is read)
        return settings.lang_of_locale() or "en"


@contextlib.contextmanager
def _help_spoken(ctx: Any) -> Iterator[None]:
    """While the command line is read and run: a help page it shows in the language of
    the help (nothing is loaded when no help is asked for, or in English)."""
    if ctx.meta.get("salespipe.help") != "th":
        yield
        return
    from salespipe.cli import help_pages

    with help_pages.in_thai(HELP_SAID_OTHERWISE):
        yield


def _run_the_hooks_of_what_was_made(ran: "State") -> None:
    """After the command has said its result or its error: the hooks of the changes it
    made (they stand, whatever failed after them), unless Ctrl-C ended it. Ctrl-C while
    a hook runs stops it; stdout has already said what a script reads."""
    if ran.interrupted:
        return
    try:
        ran.run_due_hooks()
    except KeyboardInterrupt:
        from salespipe.cli import interrupted

        interrupted.say(True, False)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _completion_shell_named(args: list[str]) -> tuple[list[str], str | None]:
    """``--install-completion zsh``: Typer's flag takes no value, so the shell named after
    it is taken out of the arguments here (else it would be read as a command)."""
    for at, arg in enumerate(args[:-1]):
        if arg in ("--install-completion", "--show-completion") and args[at + 1] in SHELLS:
            return [*args[: at + 1], *args[at + 2 :]], args[at + 1]
    return args, None


def _option_before_dashes(args: list[str]) -> str | None:
    """The option just before a ``--`` (``edit 1 --value -- -5``), which Click gives the
    value "--", so that the number after it is read as an option."""
    if "--" not in args:
        return None
    before = args[: args.index("--")]
    return before[-1] if before and before[-1].startswith("-") else None


def _command_taking(exc: NoSuchOption, given: list[str] | None) -> str | None:
    """The command named after the root's options (the first of ``given`` that names
    one) if it takes the option the root did not: misplaced, not unknown."""
    ctx = exc.ctx
    if given is None or ctx is None or ctx.parent is not None:
        return None
    group = ctx.command
    if not isinstance(group, TyperGroup):
        return None
    name = next((arg for arg in given if arg in group.commands), None)
    if name is None:
        return None
    params = group.commands[name].get_params(ctx)
    return name if any(exc.option_name in param.opts for param in params) else None


def _near_misses(option: str, possibilities: Sequence[str] | None) -> list[str] | None:
    """Click's suggestions for an unknown option, as alike without their dashes (Click
    compares them with, so that every option looked like --bogus: "--columns")."""
    from difflib import SequenceMatcher

    def alike(other: str) -> bool:
        return SequenceMatcher(None, option.lstrip("-"), other.lstrip("-")).ratio() >= 0.6

    return [other for other in possibilities or () if alike(other)] or None


@contextlib.contextmanager
def _usage_errors_as_json(
    as_json: bool,
    before_dashes: str | None = None,
    given: list[str] | None = None,
) -> Iterator[None]:
    """Click's usage errors with salespipe's hints, in the user's language, and as a JSON
    error object with --json. ``given``: the arguments, when the root's options are not
    read yet (--lang among them, and the command an option given before it belongs to)."""
    try:
        yield
    except NoArgsIsHelpError:
        # A command typed alone (`salespipe`, `salespipe stage`): its help, as Click shows
        # it, not the help again as an error after its usage.
        raise
    except UsageError as exc:
        _speak_as_the_user_asks(exc, given, as_json)
        from salespipe.cli import usage_words

        if isinstance(exc, NoSuchOption):
            _hint_at_what_was_meant(exc, before_dashes, given)
        else:
            usage_words.suggest_commands(exc)
            usage_words.hint_at_extra_arguments(exc)
            usage_words.explain_missing_argument(exc)

        # In the user's language (Click has no catalogue of its own), and wrapped to a
        # terminal between words as salespipe's own errors are.
        usage_words.speak(exc, translate=i18n.language() != "en")
        if as_json:
            output.json({"error": {"code": "usage", "message": exc.format_message()}})
        raise


def _speak_as_the_user_asks(exc: UsageError, given: list[str] | None, as_json: bool) -> None:
    """A usage error found before the root's turn (which reads --lang and the data file's
    language): an unknown command, or an option the root does not take."""
    root = exc.ctx.find_root() if exc.ctx is not None else None
    if root is None or root.obj is not None:
        return
    flag = root.params.get("lang")
    db = root.params.get("db")
    if given is not None and "lang" not in root.params:  # (the root's options unread)
        from salespipe.cli import interrupted

        flag = interrupted.speak_as_the_arguments_ask(given)
        db = interrupted.given_value(given, "--db")
    else:  # (read, but a short command line is not spoken for yet: `--lang th` alone)
        choose_language(flag, as_json=as_json)
    _speak_as_the_data_file_says(db, flag, as_json)


def _hint_at_what_was_meant(
    exc: NoSuchOption, before_dashes: str | None, given: list[str] | None
) -> None:
    exc.possibilities = _near_misses(exc.option_name, exc.possibilities)
    command = _command_taking(exc, given)
    if command is not None:
        # `salespipe --json list`: an option of the command, given before it.
        hint = _("({option} goes after the command: `salespipe {command} {option} …`)")
        exc.message += " " + hint.format(command=command, option=exc.option_name)
        exc.possibilities = None
    elif re.fullmatch(r"-\d[\d.,]*", exc.option_name):
        # `config set lock_timeout -1`, `show -5`: a negative number read as an option.
        if before_dashes is not None:  # it went after --, and an option took the --
            hint = _("(an option's value goes right after it: `{option}={value}`)")
        else:
            hint = _("(a value that starts with a minus sign goes after --, e.g. `-- {value}`)")
        exc.message += " " + hint.format(option=before_dashes, value=exc.option_name)
        exc.possibilities = None  # (its near misses are other options)


_root = typer.Typer(
    name="salespipe",
    cls=_Commands,
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    add_completion=False,  # its --install-completion ignores a shell named: see root()
)


@dataclass
class State:
    db: str | None = None
    lang: str | None = None
    as_json: bool = False  # the command prints JSON: dates in it stay ISO 8601 CE
    chosen_pipeline: str | None = None  # --pipeline: the pipeline the command acts on
    committed: "list[Change]" = field(default_factory=list)  # changes this run made
    ends_by_interrupt: bool = False  # Ctrl-C is how it stops (watch): no error to report
    # Committed changes whose hooks run once the command has shown its result (and with
    # it what the change did), so that a hook's warning comes after it, not before.
    hooks_due: "list[tuple[Change, str | Path]]" = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C ended the command: its changes run no hook
    hook_database: "str | Path | None" = None  # SALESPIPE_DB for a hook (hook_database())
    said_the_default_file_is_missing: bool = False  # (once a command, however often it reads)

    def pipeline(self, *, announce_new_file: bool = True) -> "Pipeline":
        """The pipeline of the database; its first change says on stderr that it created
        the data file (unless the command says so itself)."""
        from salespipe.app.pipeline import Pipeline

        target = settings.database_target(self.db)
        pipeline = Pipeline.open(target, settings.lang_from_environment(self.lang))
        pipeline.chosen_pipeline = self.chosen_pipeline
        pipeline.named = settings.data_file_named(self.db)
        pipeline.listeners.append(self.committed.append)
        if announce_new_file:
            pipeline.listeners.append(_announce_new_file)
        pipeline.listeners.append(_warn_of_a_history_ahead_of_the_clock)
        database = self.hook_database = hook_database(target)
        pipeline.listeners.append(lambda change: self.hooks_due.append((change, database)))
        pipeline.config_readers.append(self.apply_config)
        return pipeline

    def run_due_hooks(self) -> None:
        """The hooks of the changes this command made, in order, each change once."""
        while self.hooks_due:
            change, database = self.hooks_due.pop(0)
            _run_hooks(change, database)

    def reading_pipeline(self) -> "Pipeline":
        """:meth:`pipeline` for a command that only reads with it: one named by --db or
        SALESPIPE_DB must be there, and a default one that is not is said, as for
        :meth:`read`."""
        from salespipe.app import reading

        pipeline = self.pipeline()
        if settings.data_file_named(self.db):
            reading.must_exist(pipeline.read(), pipeline.store)
        else:
            self.warned_that_the_default_file_is_missing()
        return pipeline

    def read(self, *, missing_ok: bool = False, whole: bool = False) -> "ReadView":
        """The data file, for a command that only reads it (without loading the use
        cases). One named by --db or SALESPIPE_DB must be there (a typo must not pass for
        an empty pipeline) unless ``missing_ok``; the default one reads as empty until the
        first change creates it, with a warning (see
        :meth:`warned_that_the_default_file_is_missing`), or with ``whole`` (a backup: one
        of a file that is not there would be no backup) must be there too."""
        from salespipe.app import reading

        target = settings.database_target(self.db)
        store = reading.open_target(target, settings.lang_from_environment(self.lang))
        snapshot = store.read()
        self.apply_config(snapshot.config())
        if snapshot.exists or (missing_ok and settings.data_file_named(self.db)):
            return snapshot
        if whole or settings.data_file_named(self.db):
            return reading.must_exist(snapshot, store)
        self.warned_that_the_default_file_is_missing()
        return snapshot

    def missing_default_file(self) -> Path | None:
        """The default data file's path when the command reads it and it is not there (None
        when a database is named, by --db or SALESPIPE_DB, or the default one is there).
        It is looked at, not read, nor made."""
        if settings.data_file_named(self.db):  # (one named must be there: read() says so)
            return None
        default = settings.database_path(self.db)  # (a file: a server is always named)
        return None if default.exists() else default

    def warned_that_the_default_file_is_missing(self, said: str | None = None) -> bool:
        """Whether the command reads the default data file and it is not there, said on
        stderr once: a cron job without its user's HOME or XDG_DATA_HOME looks elsewhere,
        and read an empty pipeline there without a word (an empty `list --json`, a backup
        of nothing). ``said`` is the sentence (with {path}), a report's own; by default,
        that an empty pipeline is read. stdout is the command's, as with the file there."""
        default = self.missing_default_file()
        if default is None:
            return False
        if not self.said_the_default_file_is_missing:
            self.said_the_default_file_is_missing = True
            if said is None:
                said = _(
                    "There is no data file at {path}, so an empty pipeline was read; a cron "
                    "job (whose HOME or XDG_DATA_HOME may not be yours) names the file with "
                    "--db or SALESPIPE_DB."
                )
            output.warn(said.format(path=default))
        return True

    def read_scoped(self, *, missing_ok: bool = False) -> tuple["ReadView", str | None]:
        """:meth:`read`, and the key of the pipeline the command reads (--pipeline, else
        the current one; None: the database has one, read whole)."""
        from salespipe.app import scope

        view = self.read(missing_ok=missing_ok)
        return view, scope.read_pipeline(view, self.chosen_pipeline)

    def apply_config(self, config: dict[str, Any]) -> None:
        """Once the command has read the data file: its ``lang`` (unless --lang or
        SALESPIPE_LANG says otherwise) and its ``date_era`` for human output (unset: the
        Buddhist Era in Thai, as Thai readers count years, else CE)."""
        _speak_as(self.lang, config, as_json=self.as_json)


def _speak_as(flag: str | None, config: dict[str, Any], *, as_json: bool) -> None:
    """The language and era of this run by --lang, SALESPIPE_LANG and a data file's
    settings (docs/thai.md)."""
    language = settings.display_language(flag, config)
    i18n.set_language(language)
    fmt.set_era("ce" if as_json else settings.display_era(config, language))


def _speak_as_the_data_file_says(db: str | None, flag: str | None, as_json: bool) -> None:
    """With `config set lang th`, a refusal found before the command reads the data file
    (a bad date, a bad value) came in English: the file's settings are read first, as
    for the command after it. (A server's are read when the command connects.)"""
    try:
        if settings.lang_asked(flag):
            return
        target = settings.database_target(db)
    except SalespipeError:
        return  # said by the command, in the language chosen so far
    if not isinstance(target, Path):
        return
    from salespipe.storage import settings_of_data_file

    config = settings_of_data_file(target)
    if config.get("lang") or config.get("date_era"):
        _speak_as(flag, config, as_json=as_json)


def choose_language(flag: str | None, *, as_json: bool = False) -> None:
    """The language of this run until the data file is read: --lang, SALESPIPE_LANG, the
    locale (a bad SALESPIPE_LANG is reported when the command opens the file); and its
    era, Buddhist in Thai (but in JSON), for a date a refusal repeats before then."""
    try:
        language = settings.display_language(flag)
    except InvalidValue:
        language = settings.lang_of_locale() or "en"
    i18n.set_language(language)
    fmt.set_era("ce" if as_json else settings.display_era({}, language))


def hook_database(target: "str | Path") -> "str | Path":
    """The database a hook learns (SALESPIPE_DB): a data file's whole path (a hook that
    changes folder must still find it), or a server's address without its password, so
    that a salespipe it runs logs in as libpq would without one (PGPASSFILE)."""
    from salespipe.storage import without_password

    return target.absolute() if isinstance(target, Path) else without_password(target)


def _announce_new_file(change: "Change") -> None:
    if change.created is None:
        return
    from salespipe.storage import is_postgres_target

    if is_postgres_target(change.created):
        output.note(_("Created the pipeline in {where}.").format(where=change.created))
    else:
        output.note(_("Created the data file {path}.").format(path=change.created))


# How far ahead of the clock a change may be dated (a deal's previous change made in the
# same second by a clock a little ahead) before it is said.
CLOCK_AHEAD = timedelta(minutes=1)


def _warn_of_a_history_ahead_of_the_clock(change: "Change") -> None:
    """A deal's change is dated no earlier than its previous one; when that one lies in
    the future (made once with a clock set wrong), every later change was dated then
    without a word."""
    ahead = [
        e for e in change.events if e.deal_id is not None and e.at - e.recorded_at > CLOCK_AHEAD
    ]
    if not ahead:
        return
    first = ahead[0]
    now, dated = fmt.moments(first.recorded_at, first.at)
    deals = {e.deal_id for e in ahead}
    if len(deals) == 1:
        said = _(
            "Deal {deal_id}'s previous change is dated {dated}, later than now ({now}), so "
            "this change is dated then too, to keep its history in order; is the clock of "
            "the computer that made it right?"
        )
    else:
        said = _(
            "{count} deals' previous changes are dated later than now ({now}), deal "
            "{deal_id}'s {dated}, so their changes are dated then too, to keep their "
            "histories in order; is the clock of the computer that made them right?"
        )
    output.warn(said.format(deal_id=first.deal_id, count=len(deals), dated=dated, now=now))


def _run_hooks(change: "Change", database: str | Path) -> None:
    """After a committed change, run the user's hooks; their failures are only warnings."""
    folder = settings.hooks_dir()
    if not folder.is_dir():
        if os.environ.get("SALESPIPE_HOOKS"):  # named, so meant: a typo runs no hook
            output.warn(
                _("SALESPIPE_HOOKS names {folder}, which is not a folder; no hook was run.").format(
                    folder=folder
                )
            )
        return
    from salespipe.app import hooks
    from salespipe.present import views

    for warning in hooks.run_hooks(change, folder, describe=views.describe, database=database):
        output.warn(warning)


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    return found if found is not None else State()


def _made_but_not_shown(changes: "list[Change]", exc: OutputFailed) -> OutputFailed:
    """The output failed after a commit: say what was made, so that nobody retries it."""
    change_ids = sorted({event.change for c in changes for event in c.events})
    deal_ids = sorted({e.deal_id for c in changes for e in c.events if e.deal_id is not None})
    shown = ", ".join(str(i) for i in deal_ids[:10]) + (", …" if len(deal_ids) > 10 else "")
    if deal_ids:
        message = _(
            "The change was made (change {change}, deal {deals}), but its output could not "
            "be written ({problem}); do not run it again, `salespipe log` shows it."
        )
    else:
        message = _(
            "The change was made (change {change}), but its output could not be written "
            "({problem}); do not run it again, `salespipe log` shows it."
        )
    text = message.format(change=", ".join(map(str, change_ids)), deals=shown, problem=exc.problem)
    return OutputFailed(exc.problem, text)


def _show_version(value: bool) -> None:
    if value:
        output.say(f"salespipe {__version__}")
        raise typer.Exit()


def _completion(ctx: typer.Context, param: Any, value: bool) -> None:
    """--install-completion / --show-completion, for the shell named after the option
    (see _completion_shell_named) or else the current one, by Typer's own machinery."""
    if not value or ctx.resilient_parsing:
        return
    from typer import completion
    from typer._completion_classes import completion_init

    completion_init()
    shell = ctx.meta.get("salespipe.shell") or True  # True: detect the current shell
    if param.name == "install_completion":
        completion.install_callback(ctx, param, shell)
    else:
        completion.show_callback(ctx, param, shell)


@_root.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH|URI",
            help="The data file, or a PostgreSQL database as postgresql://… (default: "
            "$SALESPIPE_DB, else a file in your user data folder).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="th|en",
            autocompletion=lambda incomplete: [v for v in ("th", "en") if v.startswith(incomplete)],
            help="Language of new default stages and output (default: $SALESPIPE_LANG or locale).",
        ),
    ] = None,
    install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion",
            is_eager=True,
            expose_value=False,
            callback=_completion,
            help="Install completion for the current shell, or for the shell named after it "
            "(bash, zsh, fish, powershell).",
        ),
    ] = False,
    show_completion: Annotated[
        bool,
        typer.Option(
            "--show-completion",
            is_eager=True,
            expose_value=False,
            callback=_completion,
            help="Print the completion script for the current shell, or for the shell named "
            "after it.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    if lang is not None and lang.strip().lower()[:2] not in settings.LANGS:
        choose_language(None)
        raise InvalidValue(
            _('{option} "{lang}" is not th or en.').format(option="--lang", lang=lang)
        )
    as_json = bool(ctx.meta.get("salespipe.json"))
    choose_language(lang, as_json=as_json)
    if not ctx.resilient_parsing and "salespipe.help" not in ctx.meta:  # (help opens no file)
        _speak_as_the_data_file_says(db, lang, as_json)
    ctx.obj = State(db=db, lang=lang)


# Which module registers each command. A run imports and builds only the one it invokes:
# building every command costs more start-up time than most commands take to run.
COMMAND_MODULES: dict[str, str] = {
    **dict.fromkeys(
        (
            "add",
            "list",
            "show",
            "edit",
            "move",
            "won",
            "lost",
            "reopen",
            "note",
            "next",
            "quote",
            "delete",
            "undo",
            "log",
        ),
        "deals",
    ),
    "stage": "stages",
    "pipeline": "pipelines",
    "use": "pipelines",
    **dict.fromkeys(
        (
            "chart",
            "report",
            "forecast",
            "funnel",
            "durations",
            "winrate",
            "stale",
            "check",
            "calibrate",
            "slips",
        ),
        "reports",
    ),
    "demo": "demo",
    "agenda": "daily",
    "board": "daily",
    "init": "data",
    "config": "data",
    "doctor": "data",
    "export": "transfer",
    "import": "transfer",
    "watch": "feed",
    "copy": "transfer",
    "team": "team",
}
MODULES = (
    "deals",
    "daily",
    "stages",
    "pipelines",
    "demo",
    "reports",
    "data",
    "transfer",
    "feed",
    "team",
)
_GLOBAL_OPTIONS_WITH_VALUE = {"--db", "--lang"}
_registered: set[str] = set()


def register_modules(modules: tuple[str, ...] = MODULES) -> typer.Typer:
    """Add the commands of these CLI modules to the root app (once each)."""
    for name in modules:
        if name not in _registered:
            _registered.add(name)
            importlib.import_module(f"salespipe.cli.{name}").register(_root)
    return _root


def invoked_command(argv: list[str]) -> str | None:
    """The command name in argv, skipping the global options before it."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _app_for(argv: list[str]) -> typer.Typer:
    command = invoked_command(argv)
    module = COMMAND_MODULES.get(command or "")
    if "_SALESPIPE_COMPLETE" in os.environ:
        from typer._completion_classes import completion_init

        completion_init()  # Typer's completion for each shell
        return register_modules()
    if module is None:
        if command is None and _only_version(argv):
            return _root  # --version needs no command: none is built
        return register_modules()
    register_modules((module,))
    _root.registered_commands = [c for c in _root.registered_commands if c.name == command]
    _root.registered_groups = [g for g in _root.registered_groups if g.name == command]
    return _root


def _only_version(argv: list[str]) -> bool:
    """Whether the root is asked only for its version (not also for its help, which lists
    every command)."""
    return "--version" in argv and not {"-h", "--help"} & set(argv)


def __getattr__(name: str) -> Any:
    """``app``: the root command with every command registered (tests, docs, completion)."""
    if name == "app":
        return register_modules()
    raise AttributeError(name)


def main() -> Any:
    # One command is a short process that builds many objects and frees them at exit:
    # the cycle collector would only rescan them (it doubled the time to load 100k deals).
    gc.disable()
    _keep_standard_streams_open()
    stop_on_term_and_hangup()
    try:
        _app_for(sys.argv[1:])()
        code: Any = 0
    except SystemExit as done:
        code = done.code
    except BrokenPipeError:
        code = 0  # the reader went away (e.g. `salespipe list | head`): not an error
    except KeyboardInterrupt:  # before the command began (its own are said in invoke)
        from salespipe.cli import interrupted

        interrupted.speak_as_the_arguments_ask(sys.argv[1:])
        interrupted.say(False, output.json_asked(sys.argv[1:]))
        code = EXIT_INTERRUPTED
    if terminated():  # stopped as by Ctrl-C, and now ended by SIGTERM, as its sender expects
        _flush_standard_streams()
        end_by_the_stopping_signal()
    _exit_at_once(code)


def _keep_standard_streams_open() -> None:
    """Started with stdin, stdout or stderr closed (``>&-``), the first file this process
    opens would take that descriptor, and a stray write to it would land in the data file:
    /dev/null takes the place first. (Python has set sys.stdout to None already, so the
    output still reports that it cannot be written.)"""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def _exit_at_once(code: Any) -> None:
    """Flush and end the process without freeing every object one by one first (with
    10k deals read that teardown costs a fifth of the command). Every write is already
    durable: the store fsyncs before a command returns."""
    if isinstance(code, str):
        with contextlib.suppress(ValueError, OSError, AttributeError):
            sys.stderr.write(code + "\n")
        code = 1
    _flush_standard_streams()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(ValueError, OSError, AttributeError):  # closed, gone, or None
            stream.flush()
