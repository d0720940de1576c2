"""Ctrl-C (and SIGTERM, as ``timeout``, ``kill`` and systemd send) held back while a
change is being committed.

A change is made whole or not at all, but committing it takes several steps (the
journals, the main file's rename, then tidying up; on a server, COMMIT itself). A
KeyboardInterrupt between them would leave the caller unable to tell which happened,
and taking back journals the new main file already counts on would damage the
database. So an interrupt that arrives meanwhile is held, and raised once the change
is committed and told of; the user's Ctrl-C still stops the command, just after it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from types import FrameType, TracebackType
from typing import Any


class InterruptedAfterCommit(KeyboardInterrupt):
    """Ctrl-C held during a commit, raised once the change was made."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: the command stops as Ctrl-C stops it (the same message on
    stderr, a change made whole or not at all, a running hook stopped), then ends by
    that signal."""


# Signals that end a process by default and are sent to stop a command: by `timeout`,
# `kill` and systemd (SIGTERM), and by a closed terminal or tmux session (SIGHUP).
STOPPING = (signal.SIGTERM, signal.SIGHUP)
_stopped_by: int | None = None  # the one that arrived first: the process ends by it at last
# The reading end of a pipe the signals' numbers are written to as they arrive
# (signal.set_wakeup_fd): two that arrive while the main thread is in C (waiting on a
# server, or for a child) are acted on by number, SIGHUP first, whichever came first.
_arrivals: int | None = None


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    _stopping(signum)
    raise Terminated


def _stopping(signum: int) -> None:
    """Note the stopping signal that arrived first; a second one (a shell sends SIGHUP
    to each of its jobs as it goes) is harmless: the command is stopping already, and
    ends by the first."""
    global _stopped_by
    _stopped_by = _first_to_arrive() or signum
    for other in STOPPING:
        # Not SIG_IGN: a second signal already arrived, its handler not yet run, would
        # then be "ignored due to race condition", with a traceback on stderr.
        signal.signal(other, _already_stopping)


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    """A stopping signal once the command is stopping: nothing more to do."""


def _first_to_arrive() -> int | None:
    """The first stopping signal among those arrived since this was last asked."""
    arrived = b""
    with contextlib.suppress(OSError):  # (none waiting: the pipe does not block)
        while _arrivals is not None and (chunk := os.read(_arrivals, 4096)):
            arrived += chunk
    return next((number for number in arrived if number in STOPPING), None)


def terminated() -> bool:
    return _stopped_by is not None


def stop_on_term_and_hangup() -> None:
    """Make SIGTERM and SIGHUP raise :class:`Terminated` in this process (unless they
    are ignored)."""
    stopping = [signum for signum in STOPPING if signal.getsignal(signum) == signal.SIG_DFL]
    if not stopping:
        return
    _note_the_order_of_arrival()
    for signum in stopping:
        signal.signal(signum, _raise_terminated)


def _note_the_order_of_arrival() -> None:
    """Have each signal's number written to a pipe as it arrives (unless something else
    of this process has the signals' wakeup already), and forget those noted before."""
    global _arrivals
    if _arrivals is None:
        reading, writing = os.pipe()
        os.set_blocking(reading, False)
        os.set_blocking(writing, False)
        previous = signal.set_wakeup_fd(writing, warn_on_full_buffer=False)
        if previous != -1:
            signal.set_wakeup_fd(previous)
            os.close(reading)
            os.close(writing)
            return
        _arrivals = reading
    _first_to_arrive()


def end_by_the_stopping_signal() -> None:
    """End the process by the stopping signal's default action, as its sender expects."""
    signum = _stopped_by or signal.SIGTERM
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class HeldInterrupts:
    """``with HeldInterrupts() as held: ...; held.hold(); <commit>``: from ``hold()`` to
    the end of the block, SIGINT is noted, not acted on; at the end it is acted on as
    it would have been: an :class:`InterruptedAfterCommit` (the block ended, so its
    change was committed), or nothing where SIGINT is ignored."""

    def __init__(self, raising: type[KeyboardInterrupt] = InterruptedAfterCommit) -> None:
        self._raising = raising  # what a held Ctrl-C becomes where Python would raise
        self._previous: Any = None
        self._stopping: list[int] = []  # SIGTERM and SIGHUP, where they stop the command
        self._holding = False
        self._arrived = False
        self._terminated: int | None = None  # the stopping signal that arrived meanwhile

    def __enter__(self) -> HeldInterrupts:
        return self

    def hold(self) -> None:
        if self._holding or threading.current_thread() is not threading.main_thread():
            return  # only the main thread hears signals
        self._previous = signal.signal(signal.SIGINT, self._note)
        for signum in STOPPING:
            if signal.getsignal(signum) is _raise_terminated:
                signal.signal(signum, self._note)
                self._stopping.append(signum)
        self._holding = True

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if signum in STOPPING:
            self._terminated = signum
        else:
            self._arrived = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._holding:
            return
        signal.signal(signal.SIGINT, self._previous)
        for signum in self._stopping:
            signal.signal(signum, _raise_terminated)
        self._stopping.clear()
        self._holding = False
        if self._terminated is not None and kind is None:
            _stopping(self._terminated)
            raise self._raising
        if self._arrived and kind is None:
            self._act_on_interrupt()

    def _act_on_interrupt(self) -> None:
        previous = self._previous
        if previous is signal.default_int_handler:
            raise self._raising
        if previous == signal.SIG_DFL:
            os.kill(os.getpid(), signal.SIGINT)
        elif callable(previous):
            previous(signal.SIGINT, None)
        # SIG_IGN (a job started in the background): ignored, as it would have been
