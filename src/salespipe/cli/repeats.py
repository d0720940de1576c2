"""An option that takes one value, given twice, is refused: Click would keep the last.

``list --tag erp --tag solar`` listed only the deals tagged solar, and its total was
theirs, without a word: a user repeating a filter means both, and a script building
its arguments may repeat one by mistake. Options that collect their values (``add
--tag``) and flags are not affected.
"""

from __future__ import annotations

from typing import Any

from typer._click.exceptions import UsageError
from typer.core import TyperGroup, TyperOption

from salespipe.core.i18n import _


def refuse_repeated_options(group: TyperGroup, ctx: Any, args: list[str]) -> None:
    """Raise a usage error if ``args`` (those given ``group``) give one of a command's
    single-valued options more than once."""
    command: Any = group
    while True:
        once, takes_value = _options(command)
        grouping = isinstance(command, TyperGroup)
        at = _check(args, once, takes_value, until_a_name=grouping)
        if not grouping or at is None:
            return
        _name, found, args = command.resolve_command(ctx, args[at:])
        if found is None:
            return
        command = found


def _options(command: Any) -> tuple[dict[str, TyperOption], set[str]]:
    """The command's options that keep one value, by name; the names of all that take one."""
    once: dict[str, TyperOption] = {}
    takes_value: set[str] = set()
    for param in command.params:
        if not isinstance(param, TyperOption) or param.is_flag or param.count:
            continue
        for name in param.opts:
            takes_value.add(name)
            if not param.multiple:
                once[name] = param
    return once, takes_value


def _check(
    args: list[str], once: dict[str, TyperOption], takes_value: set[str], *, until_a_name: bool
) -> int | None:
    """Refuse an option of ``once`` given twice among ``args`` (``until_a_name``: those
    before the first that is not an option, a subcommand's name); that one's position."""
    seen: dict[int, str] = {}  # id of the option -> the name it was first given by
    skip = False
    for at, arg in enumerate(args):
        if skip:  # the value of the option before it, whatever it looks like
            skip = False
            continue
        if arg == "--":
            return None
        if not arg.startswith("-") or arg == "-":
            if until_a_name:
                return at
            continue
        if arg.startswith("--"):
            name, attached = arg.split("=", 1)[0], "=" in arg
        else:
            short = _short_taking_value(arg, takes_value)
            if short is None:
                continue
            name, attached = short
        if name not in takes_value:
            continue
        skip = not attached
        option = once.get(name)
        if option is None:
            continue
        if id(option) in seen:
            raise UsageError(
                _("{option} was given more than once; it takes one value.").format(
                    option=seen[id(option)]
                )
            )
        seen[id(option)] = name
    return None


def _short_taking_value(arg: str, takes_value: set[str]) -> tuple[str, bool] | None:
    """The short option in ``arg`` that takes a value, and whether its value is attached:
    ``-t erp``, ``-terp``, or behind flags bundled with it (``-qo alice``)."""
    for at in range(1, len(arg)):
        name = "-" + arg[at]
        if name in takes_value:
            return name, at + 1 < len(arg)
    return None
