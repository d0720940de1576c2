"""What an interrupt (Ctrl-C, SIGTERM) says: whether the change was made, on stderr and,
with --json, as a JSON error object on stdout. The root command says it of its command;
the entry point says it when the interrupt came while the CLI's modules were loading,
before the language or the output were set up, so this module stands apart from both."""

from __future__ import annotations

import contextlib
import sys


def speak_as_the_arguments_ask(arguments: list[str]) -> str | None:
    """The language of messages said before the command begins: --lang (``--lang th``
    or ``--lang=th``), else SALESPIPE_LANG or the locale (the data file's setting is not
    read yet). The --lang given, if one of salespipe's."""
    from salespipe.app.settings import lang_from_environment
    from salespipe.core import i18n

    asked = given_value(arguments, "--lang")
    flag = asked if asked in ("th", "en") else None
    i18n.set_language(lang_from_environment(flag))
    return flag


def given_value(arguments: list[str], option: str) -> str | None:
    """The value of a global ``option`` (``--db PATH`` or ``--db=PATH``) in arguments
    Click has not read yet: the last given before ``--``, as Click takes it."""
    value = None
    for at, argument in enumerate(arguments):
        if argument == "--":
            break
        if argument == option and at + 1 < len(arguments):
            value = arguments[at + 1]
        elif argument.startswith(f"{option}="):
            value = argument.partition("=")[2]
    return value


def say_stopped() -> None:
    """What Ctrl-C says to a command it is the way to stop (watch): only that it stopped,
    on stderr; stdout ends with the last line it printed."""
    from salespipe.core.i18n import _

    _on_stderr(_("Stopped."))


def say(changed: bool, as_json: bool) -> None:
    """Whether the change was made, on stderr and, with ``as_json``, on stdout too."""
    from salespipe.cli import output
    from salespipe.core.errors import OutputFailed
    from salespipe.core.i18n import _

    if changed:
        said = _("Interrupted after the change was made; `salespipe log` shows it.")
    else:
        said = _("Interrupted; nothing was changed.")
    if as_json:
        with contextlib.suppress(OutputFailed):
            output.json({"error": {"code": "interrupted", "message": said, "changed": changed}})
    _on_stderr(said)


def _on_stderr(said: str) -> None:
    """One line on stderr, on a terminal after the ^C it echoed; nothing, and no error,
    when stderr is gone (a terminal closed: SIGHUP; started with it closed: None)."""
    from salespipe.cli import output

    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(("\n" if output.is_terminal(sys.stderr) else "") + said + "\n")
