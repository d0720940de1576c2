"""The root command: global options, error handling, and the groups joined together."""

import contextlib
import gc
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from salespipe import __version__
from salespipe.app import settings
from salespipe.app.pipeline import Change, Pipeline
from salespipe.cli import output
from salespipe.core import fmt, i18n
from salespipe.core.errors import InvalidValue, SalespipeError
from salespipe.core.i18n import _

HELP = """Track sales deals through your pipeline stages, from the terminal.

Deals live in one local file (--db, SALESPIPE_DB, or your user data folder).
Every change is recorded with its reason and can be undone.

Examples:

  salespipe add "ERP for Siam Foods" --customer "Siam Foods" --value 1.5m

  salespipe move 1 เสนอราคา --reason "sent the quotation"

  salespipe list --json | jq '.[].title'
"""


class _Commands(TyperGroup):
    """The root command: the one place where a salespipe error becomes one sentence on
    stderr (and a JSON error object with --json) and its exit code. Nothing else
    catches errors to print them."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except SalespipeError as exc:
            output.error(exc, state(ctx).as_json)
            raise typer.Exit(exc.exit_code) from None


_root = typer.Typer(
    name="salespipe",
    cls=_Commands,
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


@dataclass
class State:
    db: str | None = None
    lang: str | None = None
    as_json: bool = False  # the command prints JSON: dates in it stay ISO 8601 CE

    def pipeline(self) -> Pipeline:
        pipeline = Pipeline.open(
            settings.database_target(self.db), settings.lang_from_environment(self.lang)
        )
        pipeline.listeners.append(_run_hooks)
        pipeline.config_readers.append(self.apply_config)
        return pipeline

    def apply_config(self, config: dict[str, Any]) -> None:
        """Once the command has read the data file: its ``lang`` (unless --lang or
        SALESPIPE_LANG says otherwise) and its ``date_era`` for human output (unset: the
        Buddhist Era in Thai, as Thai readers count years, else CE)."""
        language = settings.display_language(self.lang, config)
        i18n.set_language(language)
        fmt.set_era("ce" if self.as_json else settings.display_era(config, language))


def choose_language(flag: str | None) -> None:
    """The language of this run until the data file is read: --lang, SALESPIPE_LANG, the
    locale (a bad SALESPIPE_LANG is reported when the command opens the file)."""
    try:
        language = settings.display_language(flag)
    except InvalidValue:
        language = settings.lang_of_locale() or "en"
    i18n.set_language(language)
    fmt.set_era("ce")


def _run_hooks(change: Change) -> None:
    """After a committed change, run the user's hooks; their failures are only warnings."""
    folder = settings.hooks_dir()
    if not folder.is_dir():
        return
    from salespipe.app import hooks
    from salespipe.present import views

    for warning in hooks.run_hooks(change, folder, describe=views.describe):
        output.warn(warning)


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    return found if found is not None else State()


def _show_version(value: bool) -> None:
    if value:
        output.say(f"salespipe {__version__}")
        raise typer.Exit()


@_root.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="The data file (default: $SALESPIPE_DB, else your user data folder).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="th|en",
            help="Language of new default stages and output (default: $SALESPIPE_LANG or locale).",
        ),
    ] = None,
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
        message = _('The language "{lang}" is not th or en.').format(lang=lang)
        output.error(SalespipeError(message), False)
        raise typer.Exit(1)
    choose_language(lang)
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
    "export": "transfer",
    "import": "transfer",
}
MODULES = ("deals", "daily", "stages", "demo", "reports", "data", "transfer")
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
    if module is None or "_SALESPIPE_COMPLETE" in os.environ:
        return register_modules()
    register_modules((module,))
    _root.registered_commands = [c for c in _root.registered_commands if c.name == command]
    _root.registered_groups = [g for g in _root.registered_groups if g.name == command]
    return _root


def __getattr__(name: str) -> Any:
    """``app``: the root command with every command registered (tests, docs, completion)."""
    if name == "app":
        return register_modules()
    raise AttributeError(name)


def main() -> Any:
    # One command is a short process that builds many objects and frees them at exit:
    # the cycle collector would only rescan them (it doubled the time to load 100k deals).
    gc.disable()
    try:
        _app_for(sys.argv[1:])()
        code: Any = 0
    except SystemExit as done:
        code = done.code
    except BrokenPipeError:
        code = 0  # the reader went away (e.g. `salespipe list | head`): not an error
    except KeyboardInterrupt:
        sys.stderr.write(_("Interrupted.") + "\n")
        code = 130
    _exit_at_once(code)


def _exit_at_once(code: Any) -> None:
    """Flush and end the process without freeing every object one by one first (with
    10k deals read that teardown costs a fifth of the command). Every write is already
    durable: the store fsyncs before a command returns."""
    with contextlib.suppress(ValueError, OSError):  # closed, or the reader went away
        sys.stdout.flush()
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    with contextlib.suppress(ValueError, OSError):
        sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
