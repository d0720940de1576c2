"""The command reference (docs/commands.md), written from the Typer app itself.

``python -m salespipe.cli.reference > docs/commands.md`` regenerates the page;
``tests/test_docs.py`` fails when the page and the app differ, so it cannot drift.
"""

import inspect
from collections.abc import Iterator
from typing import Any

import typer
import typer.main

from salespipe.core.errors import EXIT_INTERRUPTED, EXIT_USAGE

HEADER = """\
# Command reference

Every command and option of salespipe, generated from the program itself: do not edit
this page by hand; after changing a command run

    python -m salespipe.cli.reference > docs/commands.md

(`tests/test_docs.py` fails while this page and the program differ). What the commands
are for is explained in [user-guide.md](user-guide.md) and [reports.md](reports.md).
"""


def reference() -> str:
    """The whole page, as Markdown."""
    from salespipe.cli.app import app

    root = typer.main.get_command(app)
    parts = [HEADER, "## Global options\n", "Given before the command.\n", _options(root)]
    for path, command in _commands(root, ("salespipe",)):
        parts.append(_command(path, command))
    parts.append(_error_codes())
    return "\n".join(parts)


ERRORS_HEADER = """\
## Error codes

With `--json` an error is an object on stdout, `{"error": {"code": …, "message": …}}`
(the sentence is on stderr too); the Python API raises the exception whose `code` it
is. The code says what went wrong, the exit status what to do about it (see
[guarantees.md](guarantees.md#exit-codes)): a script can retry on `busy` (75), fix its
input on exit 1, alert on exit 4.

| code | exit | what it means |
|---|---|---|
"""

# Errors that are no exception class: Click's own usage errors, and Ctrl-C.
_OTHER_ERRORS = (
    ("usage", EXIT_USAGE, "The command line is malformed: an unknown option, a missing argument."),
    (
        "interrupted",
        EXIT_INTERRUPTED,
        "Ctrl-C (or SIGINT) ended the command; `changed` says whether its change was made.",
    ),
)


def _error_codes() -> str:
    """A row per error code: every SalespipeError class, each code once."""
    from salespipe.core.errors import SalespipeError
    from salespipe.transfer import importing, pipeline_labels, stages  # noqa: F401 (codes)

    rows: dict[str, tuple[int, str]] = {}
    pending = [SalespipeError]
    while pending:
        kind = pending.pop(0)
        pending.extend(kind.__subclasses__())
        summary = " ".join((inspect.getdoc(kind) or "").split("\n\n")[0].split())
        if kind.code not in rows and kind.code != "error":
            rows[kind.code] = (kind.exit_code, summary)
    for code, exit_code, summary in _OTHER_ERRORS:
        rows.setdefault(code, (exit_code, summary))
    lines = [
        f"| `{code}` | {exit_code} | {_cell(summary)} |"
        for code, (exit_code, summary) in sorted(rows.items(), key=lambda r: (r[1][0], r[0]))
    ]
    return ERRORS_HEADER + "\n".join(lines) + "\n"


def _commands(group: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command below a group, depth first, in the order they were registered."""
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _command(path: tuple[str, ...], command: Any) -> str:
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    usage = " ".join((*path, *(_argument_usage(a) for a in arguments), "[OPTIONS]"))
    lines = [f"## `{' '.join(path[1:])}`\n", f"    {usage}\n", _help_text(command.help or "")]
    if arguments:
        lines.append("| argument | meaning |\n|---|---|")
        lines.extend(f"| `{_argument_usage(a)}` | {_cell(a.help or '')} |" for a in arguments)
        lines.append("")
    lines.append(_options(command))
    return "\n".join(lines)


def _argument_usage(argument: Any) -> str:
    name = argument.metavar or argument.name.upper()
    if argument.nargs != 1:
        name += "…"
    return name if argument.required else f"[{name}]"


def _options(command: Any) -> str:
    rows = ["| option | value | default | meaning |", "|---|---|---|---|"]
    for option in command.params:
        if option.param_type_name != "option" or option.hidden:
            continue
        names = ", ".join(f"`{name}`" for name in (*option.opts, *option.secondary_opts))
        value = "" if option.is_flag else f"`{option.metavar or _type_name(option.type)}`"
        rows.append(
            f"| {names} | {_cell(value)} | {_cell(_default(option))} | {_cell(option.help or '')} |"
        )
    rows.append("| `-h`, `--help` | | | Show the help and exit. |")
    return "\n".join(rows) + "\n"


def _default(option: Any) -> str:
    default = option.default
    if default in (None, False, "", ()) or option.is_flag:
        return ""
    return f"`{default}`"


TYPE_NAMES = {"str": "TEXT", "text": "TEXT", "integer range": "INTEGER", "int range": "INTEGER"}


def _type_name(kind: Any) -> str:
    name = str(kind.name).lower()
    return TYPE_NAMES.get(name, name.upper())


def _help_text(text: str) -> str:
    """The command's docstring: paragraphs as they are; example and indented lines as code."""
    out = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        # a "\b" line only tells Click not to rewrap the paragraph after it
        lines = [line for line in paragraph.splitlines() if line.strip() != "\b"]
        if lines and lines[0].startswith("Example") and ":" in lines[0]:
            head, _, first = lines[0].partition(":")
            lines = [f"{head}:", *(f"  {x}" for x in (first.strip(), *lines[1:]) if x.strip())]
        text_lines = [x for x in lines if not x.startswith(" ")]
        code_lines = [x.strip() for x in lines if x.startswith(" ")]
        block = "\n".join(text_lines)
        if code_lines:
            block += "\n\n" + "\n".join(f"    {x}" for x in code_lines)
        out.append(block.strip("\n"))
    return "\n\n".join(out) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


if __name__ == "__main__":
    import sys

    sys.stdout.write(reference())
