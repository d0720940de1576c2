"""Click's own usage errors in the user's language.

Typer's Click writes its usage errors in English and has no catalogue to translate them,
so under ``lang th`` a mistyped option was the one English sentence a Thai user met. The
few that users make (an unknown option or command, a missing argument, an option without
its value, a number that is not one, an extra argument) are recognised here by their
words and said again through the catalogue; any other stays as Click wrote it.
"""

from __future__ import annotations

import re
from typing import IO, Any

from salespipe.cli import output
from salespipe.core.i18n import N_, _

# Click's sentence -> the same sentence as a message of the catalogue, filled in with the
# parts Click put in it. The first that matches the whole sentence is used.
_SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), message)
    for pattern, message in (
        (
            r"No such option: (?P<name>\S+) \(Possible options: (?P<options>.*)\)",
            N_("No such option: {name} (Possible options: {options})"),
        ),
        (r"No such option: (?P<name>\S+)(?P<rest>.*)", N_("No such option: {name}{rest}")),
        (
            r"No such command '(?P<name>.*)'\. Did you mean (?P<options>.*)\?",
            N_("No such command '{name}'. Did you mean {options}?"),
        ),
        (r"No such command '(?P<name>.*)'\.", N_("No such command '{name}'.")),
        (r"Missing command\.", N_("Missing command.")),
        (r"Missing argument '(?P<name>.*)'\.", N_("Missing argument '{name}'.")),
        (r"Missing option '(?P<name>.*)'\.", N_("Missing option '{name}'.")),
        (
            r"Option '(?P<name>.*)' requires an argument\.",
            N_("Option '{name}' requires an argument."),
        ),
        (
            r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)",
            N_("Got unexpected extra argument ({args})"),
        ),
        (
            r"Invalid value for (?P<name>.*?): (?P<problem>.*)",
            N_("Invalid value for {name}: {problem}"),
        ),
    )
)

# What Click says of a value its type refuses (the rest of "Invalid value for …").
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), message)
    for pattern, message in (
        (
            r"(?P<value>'.*') is not a valid (?:integer|int|int range|float|float range)\.",
            N_("{value} is not a number."),
        ),
        (
            r"(?P<value>.*) is not in the range (?P<range>.*)\.",
            N_("{value} is not in the range {range}."),
        ),
    )
)


def said(sentence: str) -> str:
    """Click's usage error ``sentence`` in the current language."""
    for pattern, message in _SENTENCES:
        found = pattern.fullmatch(sentence)
        if found is not None:
            parts = found.groupdict()
            if "problem" in parts:
                parts["problem"] = _problem(parts["problem"])
            return _(message).format(**parts)
    return sentence


def _problem(problem: str) -> str:
    for pattern, message in _PROBLEMS:
        found = pattern.fullmatch(problem)
        if found is not None:
            return _(message).format(**found.groupdict())
    return problem  # (salespipe's own checks say theirs in the language already)


def show(usage: str | None, help_hint: str | None, message: str, file: IO[str]) -> None:
    """A usage error as Click shows it (the command's usage, where to find help, the
    error), in the current language."""
    lines: list[str] = []
    if usage is not None:
        lines.append(usage.replace("Usage:", _("Usage:"), 1))
        if help_hint is not None:
            lines.append(_("Try '{command}' for help.").format(command=help_hint))
        lines.append("")
    lines.append(output.wrapped_for(file, f"{_('Error:')} {message}"))
    file.write("\n".join(lines) + "\n")


def speak(exc: Any, translate: bool = True) -> None:
    """Make the Click usage error ``exc`` say its sentence (in the current language, or
    with ``translate`` false as Click wrote it) and show itself, its error wrapped to a
    terminal between words (Click's lines are cut by the terminal, mid-word)."""
    sentence = said(exc.format_message()) if translate else exc.format_message()
    exc.format_message = lambda: sentence
    context = exc.ctx

    def shown(file: IO[str] | None = None) -> None:
        import sys

        usage = hint = None
        if context is not None:
            usage = context.get_usage()
            if context.command.get_help_option(context) is not None:
                hint = f"{context.command_path} {context.help_option_names[0]}"
        show(usage, hint, sentence, file or sys.stderr)

    exc.show = shown
