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
    """What cli.app's handler would say of an interrupt before the command began, said
    here because the interrupt came while cli.app was being imported."""
    import json

    from salespipe.cli.early_language import speak_as_the_arguments_ask
    from salespipe.core.i18n import _

    arguments = sys.argv[1:]
    speak_as_the_arguments_ask(arguments)
    said = _("Interrupted; nothing was changed.")
    options = arguments[: arguments.index("--")] if "--" in arguments else arguments
    try:
        if "--json" in options:
            error = {"code": "interrupted", "message": said, "changed": False}
            sys.stdout.write(json.dumps({"error": error}, ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") + said + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(130)
