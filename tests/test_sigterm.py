"""SIGTERM (`timeout`, `kill`, systemd) and SIGHUP stop a command as Ctrl-C does: the change is
made whole or not at all and the command says which, a running hook is stopped too,
and the process then ends by the signal, as its sender expects.

Before, SIGTERM killed the process where it stood: a change could be made without a
word on stdout or stderr (a script could not tell, and ran it again), and a hook was
left running under PID 1."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import salespipe_command

from salespipe.storage import interrupts
from salespipe.storage.interrupts import HeldInterrupts, InterruptedAfterCommit


def _start(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*salespipe_command(), "--db", str(db), *args, "--json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text(encoding="utf-8").strip():
        assert time.monotonic() < deadline, f"{path} never came"
        time.sleep(0.05)


def _wait_until_it_opens(process: subprocess.Popen[str], path: Path, seconds: float = 30) -> None:
    """Until ``process`` holds ``path`` open (Linux: its /proc fd links)."""
    fds = Path(f"/proc/{process.pid}/fd")
    deadline = time.monotonic() + seconds
    while True:
        assert time.monotonic() < deadline, f"it never opened {path}"
        try:
            opened = {os.readlink(fd) for fd in fds.iterdir()}
        except OSError:  # (one closed while they were listed)
            opened = set()
        if str(path) in opened:
            return
        time.sleep(0.05)


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*salespipe_command(), "--db", str(db), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_while_a_hook_runs_says_the_change_was_made_and_stops_the_hook(
    tmp_path: Path, signum: int
) -> None:
    """SIGHUP is what a closed terminal or tmux session sends: `watch --exec` stopped so
    left its running hook behind."""
    db = tmp_path / "p.json"
    _run(db, "add", "Roof")
    hooks, started = tmp_path / "hooks", tmp_path / "hook.pid"
    hooks.mkdir()
    hook = hooks / "on-note"
    hook.write_text(f"#!/bin/sh\necho $$ > '{started}'\nexec sleep 600\n", encoding="utf-8")
    hook.chmod(0o755)
    process = _start(db, "note", "1", "called back", env={"SALESPIPE_HOOKS": str(hooks)})
    _wait_for(started)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == -signum
    # The hook runs once the result is shown: stdout holds it (one JSON document, not
    # followed by an error object), and stderr says the change was made.
    assert json.loads(out)["title"] == "Roof"
    assert "Interrupted after the change was made" in err
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text(encoding="utf-8")), 0)
    assert json.loads(_run(db, "log", "--limit", "1", "--json").stdout)[0]["type"] == "note"


def test_sigterm_while_waiting_for_the_lock_changes_nothing_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "p.json"
    _run(db, "add", "Roof")
    with (tmp_path / "p.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = _start(db, "add", "Door")
        _wait_until_it_opens(process, tmp_path / "p.lock")  # and waits for it (10 s at most)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGTERM
    assert json.loads(out)["error"]["changed"] is False
    assert "Interrupted; nothing was changed." in err
    titles = [d["title"] for d in json.loads(_run(db, "list", "--json").stdout)]
    assert titles == ["Roof"]


def test_sigterm_held_during_a_commit_is_raised_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interrupts, "_stopped_by", None)
    previous = {signum: signal.signal(signum, signal.SIG_DFL) for signum in interrupts.STOPPING}
    interrupts.stop_on_term_and_hangup()
    reached: list[str] = []

    def held_block() -> None:
        with HeldInterrupts() as held:
            held.hold()
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("the end of the block")

    try:
        with pytest.raises(InterruptedAfterCommit):
            held_block()
        assert reached == ["the end of the block"]
        assert interrupts.terminated()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_second_stopping_signal_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell sends SIGHUP to each of its jobs; a second signal while the first was
    being acted on (the command saying it was interrupted) ended in a `Terminated`
    traceback, exit 1."""
    monkeypatch.setattr(interrupts, "_stopped_by", None)
    previous = {signum: signal.signal(signum, signal.SIG_DFL) for signum in interrupts.STOPPING}
    interrupts.stop_on_term_and_hangup()
    acted_on: list[str] = []
    try:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # (the handler raises before this ends)
        except interrupts.Terminated:
            os.kill(os.getpid(), signal.SIGHUP)  # while the first is acted on
            time.sleep(0.05)
            acted_on.append("said it was interrupted")
        assert acted_on == ["said it was interrupted"]
        assert interrupts.terminated()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# A finder that sends this process SIGTERM as the CLI's modules begin to be imported:
# where `timeout 0.1 salespipe …` landed, the tenth of a second of imports.
_SIGTERM_WHILE_IMPORTING = """
import os, signal, sys

class TermOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "salespipe.cli.app":
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, TermOnImport())
sys.argv = ["salespipe", "--db", sys.argv[1], "add", "Early", "--json"]
from salespipe.cli.entry import main
main()
"""


def test_sigterm_while_the_command_is_starting_says_nothing_was_changed(tmp_path: Path) -> None:
    """It ended the process where it stood, with nothing on stdout or stderr: a script
    under --json had no error to read (a trial)."""
    db = tmp_path / "p.json"
    ended = subprocess.run(
        [sys.executable, "-c", _SIGTERM_WHILE_IMPORTING, str(db)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == -signal.SIGTERM
    assert json.loads(ended.stdout)["error"]["code"] == "interrupted"
    assert ended.stderr == "Interrupted; nothing was changed.\n"
    assert not db.exists()


# The command's result is about to be printed when the shell sends this process two
# stopping signals, 50 ms apart. os.system waits for the shell in C, where Python acts on
# no signal: both have arrived when it does (as while `watch` waits on the server, or
# any command in a long C call), and Python then runs their handlers by number, SIGHUP
# first, whichever came first.
_TWO_SIGNALS_WHILE_RUNNING = """
import os, sys
from salespipe.cli import output

shown = output.result
first, second = sys.argv[2:]

def result(*args, **kwargs):
    os.system(f"kill -{first} {os.getpid()}; sleep 0.05; kill -{second} {os.getpid()}")
    return shown(*args, **kwargs)

output.result = result
sys.argv = ["salespipe", "--db", sys.argv[1], "list"]
from salespipe.cli.entry import main
main()
"""


@pytest.mark.parametrize(
    ("first", "second"), [(signal.SIGTERM, signal.SIGHUP), (signal.SIGHUP, signal.SIGTERM)]
)
def test_two_stopping_signals_at_once_stop_the_command_by_the_first(
    tmp_path: Path, first: signal.Signals, second: signal.Signals
) -> None:
    """A tmux pane killed with `watch --exec` in it: SIGTERM, then SIGHUP as its shell
    died. The second, already there when the first was acted on, was 'ignored due to
    race condition' with a traceback on stderr, and the process ended by SIGHUP, the
    lower number, not by the SIGTERM that stopped it (a trial)."""
    db = tmp_path / "p.json"
    _run(db, "add", "Roof")
    signals = [str(int(first)), str(int(second))]
    ended = subprocess.run(
        [sys.executable, "-c", _TWO_SIGNALS_WHILE_RUNNING, str(db), *signals],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.stderr == "Interrupted; nothing was changed.\n"
    assert ended.returncode == -first
    assert ended.stdout == ""
