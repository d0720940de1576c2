"""The command line: the only place that knows argv, stdout/stderr, --json and exit codes.

These modules do not use ``from __future__ import annotations``: Typer reads every
parameter's annotation at start-up, and resolving them from strings cost about 20 ms
a run (measured), more than most commands need to do their work.
"""
