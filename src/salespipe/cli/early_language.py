"""The language of what is said before a command begins (an interrupt while it starts):
only the command line and the environment can say it then. Both the entry point and the
root command use it, so it stands apart from them."""

from __future__ import annotations


def speak_as_the_arguments_ask(arguments: list[str]) -> None:
    """The language of messages said before the command begins: --lang (``--lang th``
    or ``--lang=th``), else SALESPIPE_LANG or the locale (the data file's setting is not
    read yet)."""
    from salespipe.app.settings import lang_from_environment
    from salespipe.core import i18n

    asked = None
    for at, argument in enumerate(arguments):
        if argument == "--":
            break
        if argument == "--lang" and at + 1 < len(arguments):
            asked = arguments[at + 1]
        elif argument.startswith("--lang="):
            asked = argument.partition("=")[2]
    i18n.set_language(lang_from_environment(asked if asked in ("th", "en") else None))
