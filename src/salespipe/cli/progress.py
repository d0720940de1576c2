"""A progress bar for long work, on stderr and only on a terminal."""

import itertools
import sys
from collections.abc import Iterator
from typing import Any, TypeVar

from salespipe.cli import output
from salespipe.core.i18n import N_, _

PROGRESS_FROM_ROWS = 3000
"""The least rows (of a file, a copy, a history) for which a bar is shown."""

STEP = 10_000
"""Rows between two updates of a bar over a stream (:func:`counted`)."""

T = TypeVar("T")


class ProgressBar:
    """A Rich progress bar on stderr, shown only for large work on a terminal: called
    with how much is done of how much."""

    def __init__(self, label: str = N_("Reading rows")) -> None:
        self._label = label
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if total < PROGRESS_FROM_ROWS or not output.for_terminal(sys.stderr):
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn(_(self._label)),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("work", total=total)
        # The total too: the first was an estimate (a file's lines, its header among them).
        self._progress.update(self._task, completed=done, total=total)
        if done >= total:  # gone once complete, before what the work then says
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def counted(rows: Iterator[T], total: int, label: str) -> Iterator[T]:
    """``rows`` with a bar of how many of about ``total`` have gone by (updated every
    :data:`STEP` rows) while a terminal watches; ``rows`` itself anywhere else."""
    if total < PROGRESS_FROM_ROWS or not output.for_terminal(sys.stderr):
        return rows
    return _counting(rows, total, label)


def _counting(rows: Iterator[T], total: int, label: str) -> Iterator[T]:
    bar = ProgressBar(label)
    done = 0
    try:
        while chunk := list(itertools.islice(rows, STEP)):
            yield from chunk
            done += len(chunk)
            bar(min(done, total), max(total, done))
    finally:
        bar.close()
