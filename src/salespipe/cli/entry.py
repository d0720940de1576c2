"""The `salespipe` command's entry point, light enough to be running before Ctrl-C can
come: the CLI's modules (Typer, Rich) take a tenth of a second to import, and an
interrupt then ended in a Python traceback, with no word of what was changed (nothing).
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn


def main() -> Any:
    from salespipe.storage.interrupts import stop_on_term_and_hangup

    # SIGTERM too, before the tenth of a second of imports: it ended the process there
    # without a word, not even the JSON error a script under --json reads.
    stop_on_term_and_hangup()
    try:
        from salespipe.cli.app import main as run
    except KeyboardInterrupt:
        _interrupted_while_starting()
    return run()


def _interrupted_while_starting() -> NoReturn:
    """What the root command says of an interrupt before its command began, said here
    because the interrupt came while the root command's module was being imported."""
    from salespipe.cli import interrupted, output
    from salespipe.storage.interrupts import end_by_the_stopping_signal, terminated

    arguments = sys.argv[1:]
    interrupted.speak_as_the_arguments_ask(arguments)
    interrupted.say(False, output.json_asked(arguments))
    if terminated():  # ended by SIGTERM or SIGHUP, as its sender expects
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        end_by_the_stopping_signal()
    os._exit(130)
