"""Setup commands: init and config."""

from pathlib import Path
from typing import Annotated

import typer

from salespipe.app import settings
from salespipe.cli import complete, output
from salespipe.cli.app import HELP_SAID_OTHERWISE, state
from salespipe.cli.options import JsonOption
from salespipe.core import i18n
from salespipe.core.errors import EXIT_REFUSED
from salespipe.core.i18n import _
from salespipe.present import setup_results

config_app = typer.Typer(help="Read and change the pipeline's settings.", no_args_is_help=True)

KEYS_HELP = ", ".join(f"{s.key} ({s.help})" for s in settings.SETTINGS.values())
# (in Thai help, each setting's words in Thai)
HELP_SAID_OTHERWISE[KEYS_HELP] = lambda: ", ".join(
    f"{s.key} ({_(s.help)})" for s in settings.SETTINGS.values()
)


def _check_key(key: str) -> None:
    if key not in settings.SETTINGS:
        raise settings.unknown_setting(key)


@config_app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=KEYS_HELP, autocompletion=complete.setting_keys)],
    as_json: JsonOption = False,
) -> None:
    """Print one setting.

    Example: salespipe config get currency
    """
    _check_key(key)
    value = settings.effective_in(state(ctx).read()).get(key)
    output.result(setup_results.Setting(key, value), as_json)


@config_app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help=KEYS_HELP, autocompletion=complete.setting_keys)],
    value: Annotated[str, typer.Argument(help="The new value.")],
    as_json: JsonOption = False,
) -> None:
    """Change one setting (recorded, and undoable).

    Example: salespipe config set date_era be
    """
    _check_key(key)
    pipeline = state(ctx).pipeline()
    change = pipeline.set_config(key, value)
    config = pipeline.read().config()
    stored = config[key] if key in config else settings.effective(config)[key]
    output.result(setup_results.SettingChanged(key, stored, not change.events), as_json)
    if key == "owner":
        _warn_if_you_are_someone_else(stored)
    if key == "visibility":
        from salespipe.cli.team import warn_of_deals_no_rep_sees

        warn_of_deals_no_rep_sees(pipeline)


def _warn_if_you_are_someone_else(owner: str) -> None:
    """SALESPIPE_USER comes before the owner setting: whoever sets it stays who they are
    here, and `config get owner` shows them, not the setting just stored."""
    you = settings.named_user()
    if you is not None and you != owner:
        output.warn(
            _(
                "SALESPIPE_USER is set to {you}: your changes and new deals stay yours; "
                "the setting is for whoever has no SALESPIPE_USER."
            ).format(you=you)
        )


@config_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print every setting with its current value.

    Example: salespipe config list --json
    """
    view = state(ctx).read()
    stored = view.config()
    config = settings.effective_in(view)
    values = {
        key: config.get(key)
        for key in settings.SETTINGS
        if key in stored or key not in settings.SHOWN_WHEN_SET
    }
    output.result(setup_results.Settings(values), as_json)


def _say_the_next_commands_speak_as_before(flag: str | None, config: dict[str, object]) -> None:
    """`salespipe --lang th init` named the stages and answered in Thai, but --lang before
    a command is that command's alone: on a system that is not Thai, the next ones answer
    in its language, and the user is told how to keep the file in the one they chose."""
    chosen = settings.lang_asked(flag)
    if chosen is not None and settings.display_language(None, config) != chosen:
        output.note(
            _(
                "The next commands answer in your system's language; "
                "`salespipe config set lang {lang}` keeps this file in the one you chose."
            ).format(lang=chosen)
        )


def register(app: typer.Typer) -> None:
    @app.command("init", rich_help_panel="Data and setup")
    def init(
        ctx: typer.Context,
        lang: Annotated[
            str | None,
            typer.Option(
                "--lang",
                metavar="th|en",
                autocompletion=complete.choices("th", "en"),
                help="Language of the default stage names and, from now on, of the messages "
                "(the setting lang).",
            ),
        ] = None,
        currency: Annotated[
            str | None, typer.Option("--currency", help="Currency of new deals (default THB).")
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Create the pipeline with the default stages: the data file, or salespipe's tables
        in a PostgreSQL database (otherwise made by the first change).

        Example: salespipe init --lang th --currency THB
        """
        from salespipe.core import parse

        current = state(ctx)
        if lang is not None:
            current.lang = lang
            i18n.set_language(settings.display_language(lang))
        pipeline = current.pipeline(announce_new_file=False)  # it says so itself
        snapshot = pipeline.init(
            currency=parse.currency(currency) if currency else None,
            # init --lang is the file's language from now on, as `config set lang` keeps it
            lang=settings.lang_asked(lang) if lang else None,
        )
        initialized = setup_results.Initialized(pipeline.store.location, snapshot.stages())
        output.result(initialized, as_json)
        if lang is None:
            _say_the_next_commands_speak_as_before(current.lang, snapshot.config())

    @app.command("doctor", rich_help_panel="Data and setup")
    def doctor(
        ctx: typer.Context,
        fix: Annotated[
            bool,
            typer.Option(
                "--fix",
                help="Rebuild what differs from the history (a data file keeps a backup of "
                "what it replaces).",
            ),
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Check what is kept derived from the history against it: exit 1 if any differs.

        On a data file: the indexes beside its journals. On PostgreSQL: the stays table
        the history reports read, and the slips counted from the events (a rep checks
        the stays of their own deals; only an admin of the team may --fix).

        Example: salespipe doctor --fix
        """
        run = state(ctx)
        pipeline = run.pipeline()
        pipeline.read_existing()
        report = setup_results.DoctorReport(
            _named_whole(run.hook_database, pipeline.store.location), pipeline.doctor(fix)
        )
        output.result(report, as_json)
        if not report.clean:
            raise typer.Exit(EXIT_REFUSED)  # (what differs is the output, not an error)

    app.add_typer(config_app, name="config", rich_help_panel="Data and setup")


def _named_whole(target: "str | Path | None", location: str) -> str:
    """A data file by its whole path, to be copied into a crontab or a hook (cron runs
    elsewhere); a server as the store names it."""
    return str(target) if isinstance(target, Path) else location
