"""Click's own usage errors in the user's language.

Typer's Click writes its usage errors in English and has no catalogue to translate them,
so under ``lang th`` a mistyped option was the one English sentence a Thai user met. The
few that users make (an unknown option or command, a missing argument, an option without
its value, a number that is not one, an extra argument) are recognised here by their
words and said again through the catalogue; any other stays as Click wrote it. An
extra argument is answered with what was meant: a file to export given with -o, a name
of several words in quotes.
"""

from __future__ import annotations

import re
import shlex
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
        (  # (rest: the hint salespipe adds, already in the language)
            r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*?)\)(?P<rest>.*)",
            N_("Got unexpected extra argument ({args}){rest}"),
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


_EXTRA = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)", re.DOTALL)
# Characters a shell reads inside double quotes.
_NOT_IN_DOUBLE_QUOTES = re.compile(r'["\\$`!]')
# A name with a suffix (deals.csv, backup.json) or a folder (out/deals).
_FILE_NAME = re.compile(r".*(?:\.[A-Za-z0-9]{1,5}|[/\\][^/\\]+)", re.DOTALL)


# (the name as Python writes a string: in quotes, its backslashes doubled)
_NO_SUCH_COMMAND = re.compile(
    r"No such command (?P<name>'.*'|\".*\")\.(?: Did you mean .*\?)?", re.DOTALL
)


def edits(typed: str, word: str) -> int:
    """How many edits make ``typed`` into ``word``: a letter put in, left out or changed,
    or two neighbouring letters swapped, each one edit (Damerau-Levenshtein, each letter
    edited once). A swap is the commonest slip of the fingers: `lsit` is one edit from
    `list`, two from `lost`."""
    before: list[int] = []  # the row of the distances two letters back
    row = list(range(len(word) + 1))
    for i, letter in enumerate(typed, 1):
        current = [i]
        for j, other in enumerate(word, 1):
            best = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (letter != other))
            if i > 1 and j > 1 and letter == word[j - 2] and typed[i - 2] == other:
                best = min(best, before[j - 2] + 1)
            current.append(best)
        before, row = row, current
    return row[-1]


def suggest_commands(exc: Any) -> None:
    """Order what Typer suggests for an unknown command by :func:`edits`, the nearest
    first, commands as near in the order the group lists them: Typer orders them by
    difflib's likeness, under which `lsit` put `lost` before `list` (one keystroke from
    marking a deal lost). A command one edit away is suggested even where difflib finds
    it unlike."""
    import difflib

    found = _NO_SUCH_COMMAND.fullmatch(exc.message)
    commands = getattr(getattr(exc.ctx, "command", None), "commands", None)
    if found is None or not commands:
        return
    import ast

    typed = ast.literal_eval(found["name"])
    if typed == "help":  # (as git and many tools take it)
        exc.message = _(
            "There is no command 'help'; `{command} --help` lists the commands, and "
            "`{command} COMMAND --help` shows a command's help."
        ).format(command=exc.ctx.command_path)
        return
    names = list(commands)
    near = set(difflib.get_close_matches(typed, names))  # (Typer's choice of them)
    distance = {name: edits(typed, name) for name in names}
    near.update(name for name in names if distance[name] <= 1)
    if not near:
        return
    ordered = sorted(near, key=lambda name: (distance[name], names.index(name)))[:3]
    suggestions = ", ".join(f"{name!r}" for name in ordered)
    exc.message = f"No such command {typed!r}. Did you mean {suggestions}?"


def hint_at_extra_arguments(exc: Any) -> None:
    """Add to Click's "Got unexpected extra argument(s) (…)" what was meant: for a
    command that writes to -o, the file to give with it (`export deals.csv`); for one
    whose last argument is text, the words in quotes (`move 5 นัด เดโม`: the stage
    "นัด เดโม")."""
    found = _EXTRA.fullmatch(exc.message)
    context = exc.ctx
    if found is None or context is None:
        return
    extra = found["args"]
    hint = _file_for_output(context, extra) or _words_in_quotes(context, extra)
    if hint is not None:
        exc.message += hint


# An example the argument's own help gives ("What the deal is, e.g. 'ERP…'", Thai "เช่น"):
# left out where the sentence gives the command line with it.
_OWN_EXAMPLE = re.compile(r",?\s+(?:e\.g\.|เช่น)\s.*$")


def explain_missing_argument(exc: Any) -> None:
    """Say of a missing argument what it is and where it goes, in words a user reads:
    Click's "Missing argument 'STAGE'." was programmer's jargon (in Thai too,
    "อาร์กิวเมนต์"). The argument's own help says what it is; the command line typed so
    far, with the rest from the command's example, says where it goes
    (`salespipe move 2 เสนอราคา`)."""
    from typer._click.exceptions import MissingParameter  # (Typer's own Click: no other)

    if not isinstance(exc, MissingParameter):  # (a bad value names its argument too)
        return
    param, context = getattr(exc, "param", None), exc.ctx
    if param is None or context is None or param.param_type_name != "argument":
        return
    from salespipe.cli.help_pages import said

    what = (said(param.help) or "").rstrip(".")
    first = what.split(" ", 1)[0]
    if not (len(first) > 1 and first.isupper()):  # (inside a sentence; "CSV" stays)
        what = what[:1].lower() + what[1:]
    name = param.human_readable_name
    example = _example_with(context, param)
    if example is None:
        sentence = _("Missing {name}: {what}.").format(name=name, what=what)
    else:
        what = _OWN_EXAMPLE.sub("", what)  # (one example: "e.g. 'ERP…'; e.g. `add …`")
        sentence = _("Missing {name}: {what}; e.g. `{example}`.").format(
            name=name, what=what, example=example
        )
    exc.format_message = lambda: sentence  # type: ignore[method-assign]


def _example_with(context: Any, missing: Any) -> str | None:
    """The command line of the command's example (its help in the current language),
    with the arguments given before ``missing`` as they were given; None when its help
    has no example that gives ``missing``."""
    from salespipe.cli.help_pages import said

    arguments = [p for p in context.command.params if p.param_type_name == "argument"]
    for line in (said(context.command.help) or "").splitlines():
        _before, found, rest = line.partition(f"{context.command_path} ")
        if not found:
            continue
        try:
            words = shlex.split(rest)
        except ValueError:
            continue
        given = _positionals(context.command, words)
        example: list[str] = []
        for at, argument in enumerate(arguments):
            if argument is missing or at >= arguments.index(missing):
                taken = given[at:] if argument.nargs == -1 else given[at : at + 1]
                if not taken and argument.required:
                    break
                example += taken
            elif context.params.get(argument.name) is not None:
                value = context.params[argument.name]
                example += [str(v) for v in value] if argument.nargs == -1 else [str(value)]
        else:
            if example:
                return f"{context.command_path} {' '.join(map(shell_word, example))}"
    return None


def _positionals(command: Any, words: list[str]) -> list[str]:
    """The words of a command line that are its arguments, not options or their values."""
    takes_value = {
        opt
        for p in command.params
        if p.param_type_name == "option" and not p.is_flag
        for opt in p.opts
    }
    positionals: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-") and len(word) > 1 and not word[1].isdigit():
            skip = word in takes_value
        else:
            positionals.append(word)
    return positionals


def shell_word(word: str) -> str:
    """``word`` as typed at a shell: as it is (Thai too), or in quotes where it has a
    space or a character the shell reads."""
    if word and not any(c.isspace() or c in "\"'$`!&|;<>()*?#\\" for c in word):
        return word
    return _in_double_quotes(word)


def _file_for_output(context: Any, extra: str) -> str | None:
    takes_output = any("--output" in getattr(p, "opts", ()) for p in context.command.params)
    if not takes_output or not _FILE_NAME.fullmatch(extra):
        return None
    return _("; to write to a file, give it with -o: `{command} -o {file}`").format(
        command=context.command_path, file=shlex.quote(extra)
    )


def _words_in_quotes(context: Any, extra: str) -> str | None:
    arguments = [p for p in context.command.params if p.param_type_name == "argument"]
    if not arguments or arguments[-1].nargs != 1:
        return None
    last = arguments[-1]
    given = context.params.get(last.name)
    if not isinstance(given, str):  # (a deal's number, a file)
        return None
    words = _in_double_quotes(f"{given} {extra}")
    if last.name == "text":  # (note, next)
        return _("; put a text of several words in quotes: {words}").format(words=words)
    return _("; put a name of several words in quotes: {words}").format(words=words)


def _in_double_quotes(text: str) -> str:
    """``text`` as a shell reads it back, in double quotes as people write it where they
    can be."""
    return shlex.quote(text) if _NOT_IN_DOUBLE_QUOTES.search(text) else f'"{text}"'


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


def show(usage: str | None, help_hint: str | None, message: str, file: IO[str] | None) -> None:
    """A usage error as Click shows it (the command's usage, where to find help, the
    error), in the current language."""
    lines: list[str] = []
    if usage is not None:
        lines.append(usage.replace("Usage:", _("Usage:"), 1))
        if help_hint is not None:
            lines.append(_("Try '{command}' for help.").format(command=help_hint))
        lines.append("")
    lines.append(output.wrapped_for(file, f"{_('Error:')} {message}"))
    if file is not None:  # (None: started with stderr closed; the exit code still says it)
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
