"""The `salespipe` command's entry point, light enough to be running before Ctrl-C can
come: the CLI's modules (Typer, Rich) take a tenth of a second to import, and an
interrupt then ended in a Python traceback, with no word of what was changed (nothing).
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn


def main() -> Any:
    try:
        from salespipe.cli.app import main as run
    except KeyboardInterrupt:
        _interrupted_while_starting()
    return run()


def _interrupted_while_starting() -> NoReturn:
    """What the root command says of an interrupt before its command began, said here
    because the interrupt came while the root command's module was being imported."""
    from salespipe.cli import interrupted, output

    arguments = sys.argv[1:]
    interrupted.speak_as_the_arguments_ask(arguments)
    interrupted.say(False, output.json_asked(arguments))
    os._exit(130)
