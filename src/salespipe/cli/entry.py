"""The `salespipe` command's entry point, light enough to be running before Ctrl-C can
come: the CLI's modules (Typer, Rich) take a tenth of a second to import, and an
interrupt then ended in a Python traceback, with no word of what was changed (nothing).
"""

from __future__ import annotations

import os
import sys
from typing import Any


def main() -> Any:
    try:
        from salespipe.cli.app import main as run
    except KeyboardInterrupt:
        _interrupted_while_starting()
    return run()


def _interrupted_while_starting() -> None:
    """What the CLI says of an interrupt before its command began, in the language the
    environment asks for (the data file's setting is not read yet)."""
    import json

    from salespipe.app.settings import lang_from_environment
    from salespipe.core import i18n
    from salespipe.core.i18n import _

    arguments = sys.argv[1:]
    lang = arguments[arguments.index("--lang") + 1] if "--lang" in arguments[:-1] else None
    i18n.set_language(lang_from_environment(lang) if lang in (None, "th", "en") else None)
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
