"""Hooks: on-change and on-<event> executables get each committed event as JSON on stdin;
their failures are warnings, never errors, and the change always stands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from salespipe.app import hooks
from salespipe.app.work import Change
from salespipe.core.model import Event
from salespipe.present import views

pytestmark = pytest.mark.usefixtures("each_backend")

NOW = "2026-11-27T10:00:00+07:00"


@pytest.fixture
def hook_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "hooks"
    folder.mkdir()
    monkeypatch.setenv("SALESPIPE_HOOKS", str(folder))
    return folder


def _hook(folder: Path, name: str, body: str, executable: bool = True) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(0o755 if executable else 0o644)
    return path


def _recorder(folder: Path, name: str) -> Path:
    """A hook that appends its stdin and environment to <name>.log."""
    log = folder.parent / f"{name}.log"
    _hook(
        folder,
        name,
        f'cat >> "{log}"\necho >> "{log}"\n'
        f'echo "ENV $SALESPIPE_EVENT|$SALESPIPE_DEAL_ID|$SALESPIPE_MESSAGE|$SALESPIPE_IN_HOOK" '
        f'>> "{log}"',
    )
    return log


def _payloads(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_a_hook_s_warning_comes_after_the_command_s_result(cli, hook_dir: Path) -> None:
    """The hooks ran before the result was printed: a cron log merging stdout and stderr
    read the hook's warning first, then "Deal 1 lost: …"."""
    from tests.conftest import salespipe_command

    assert cli("add", "A").exit_code == 0
    _hook(hook_dir, "on-lost", 'echo "curl: (7) Failed to connect" >&2; exit 7')
    merged = subprocess.run(
        [*salespipe_command(), "lost", "1", "--reason", "price"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert merged.returncode == 0
    result, warning = merged.stdout.splitlines()
    assert result.startswith("Deal 1 lost")
    assert warning.startswith("Warning: hook on-lost (lost of deal 1) failed (exit 7)")
    assert "the change stands" in warning
    # A change whose output fails is said first too (a review: its hooks ran before).
    _hook(hook_dir, "on-add", 'echo "curl: (7) Failed to connect" >&2; exit 7')
    closed = subprocess.run(
        ["sh", "-c", '"$@" add B >&-', "sh", *salespipe_command()],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert closed.returncode == 74
    error, warning = closed.stderr.splitlines()
    assert error.startswith("Error: The change was made (change 3, deal 2)")
    assert warning.startswith("Warning: hook on-add (add of deal 2) failed (exit 7)")


def test_on_change_and_on_event_hooks_get_the_event(cli, hook_dir: Path, author: str) -> None:
    """on-move gets move events only, on-change every event, with the deal before and after."""
    moves = _recorder(hook_dir, "on-move")
    changes = _recorder(hook_dir, "on-change")
    cli("add", "ERP", "-c", "Siam Foods", "-v", "1.5m", "--at", "2026-11-01 09:00")
    result = cli("move", "1", "quoted", "-r", "sent the quote")
    assert (result.exit_code, result.stderr) == (0, "")
    [move] = _payloads(moves)
    assert [p["event"] for p in _payloads(changes)] == ["add", "move"]
    assert move["before"]["stage_name"] == "Presented"
    assert move["after"]["stage_name"] == "Quoted"
    assert move["after"]["weighted_value"] == 750000
    assert (move["reason"], move["who"], move["deal_id"]) == ("sent the quote", author, 1)
    assert move["at"] == NOW
    assert move["changed"] == {
        "before": {
            "stage": "presented",
            "stage_entered_at": "2026-11-01T09:00:00+07:00",
            "updated_at": "2026-11-01T09:00:00+07:00",
            "stays": [["presented", "2026-11-01T09:00:00+07:00", None]],
        },
        "after": {
            "stage": "quoted",
            "stage_entered_at": NOW,
            "updated_at": NOW,
            "stays": [["presented", "2026-11-01T09:00:00+07:00", NOW], ["quoted", NOW, None]],
        },
    }
    assert move["message"] == (
        f'{author}: deal 1 "ERP" (Siam Foods): moved: Presented → Quoted — sent the quote'
    )
    env_line = next(ln for ln in moves.read_text().splitlines() if ln.startswith("ENV"))
    assert env_line == f"ENV move|1|{move['message']}|1"


def test_a_changed_value_reaches_a_hook_with_its_currency(cli, hook_dir: Path, author: str) -> None:
    """The hook's message says a value as log does: with the deal's currency (a trial)."""
    edits = _recorder(hook_dir, "on-edit")
    cli("add", "Licences", "-v", "12,500", "--currency", "USD")
    cli("edit", "1", "--value", "13000")
    [edit] = _payloads(edits)
    assert edit["message"] == (
        f'{author}: deal 1 "Licences": edited: value USD 12,500.00 → USD 13,000.00'
    )


def test_add_and_delete_have_one_side_empty(cli, hook_dir: Path) -> None:
    """An added deal has no before; a deleted one has no after."""
    log = _recorder(hook_dir, "on-change")
    cli("add", "Temp", "-q")
    cli("delete", "1", "--yes")
    added, deleted = _payloads(log)
    assert (added["before"], added["after"]["title"]) == (None, "Temp")
    assert (deleted["before"]["title"], deleted["after"]) == ("Temp", None)


def test_a_failing_hook_is_a_warning_and_the_change_stands(cli, hook_dir: Path) -> None:
    """A hook exiting 2 gives a warning with its last words; exit code 0, deal won."""
    _hook(hook_dir, "on-won", "echo 'slack is down' >&2; exit 2")
    cli("add", "A", "-q")
    result = cli("won", "1")
    assert result.exit_code == 0
    assert result.stdout == "Deal 1 won.\n"
    assert result.stderr == (
        "Warning: hook on-won (won of deal 1) failed (exit 2): slack is down; the change stands.\n"
    )
    assert cli.json("show", "1")["status"] == "won"


def test_a_hook_killed_by_a_signal_is_said_so_with_the_signal_s_name(cli, hook_dir: Path) -> None:
    """A hook killed by SIGKILL was reported as "failed (exit -9)", the negative number
    Python gives a process a signal ended."""
    _hook(hook_dir, "on-won", "kill -9 $$")
    cli("add", "A", "-q")
    result = cli("won", "1")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: hook on-won (won of deal 1) was killed by signal 9 (SIGKILL); "
        "the change stands.\n"
    )
    _hook(hook_dir, "on-add", "echo 'posting' >&2; kill -TERM $$")  # its last words too
    assert "was killed by signal 15 (SIGTERM): posting; the change stands." in (
        cli("add", "B", "-q").stderr
    )
    _hook(hook_dir, "on-add", "kill -40 $$")  # a real-time signal: no name to give
    assert "was killed by signal 40; the change stands." in cli("add", "C", "-q").stderr


def test_a_failing_hook_is_reported_by_its_error_not_its_last_output(cli, hook_dir: Path) -> None:
    """curl's error on stderr, then "posting done" on stdout: the warning gave the
    stdout line, and the reason it failed was lost."""
    _hook(hook_dir, "on-add", "echo 'curl: (7) Failed to connect' >&2; echo 'posting done'; exit 7")
    result = cli("add", "A", "-q")
    assert result.exit_code == 0
    assert "failed (exit 7): curl: (7) Failed to connect; the change stands." in result.stderr
    _hook(hook_dir, "on-add", "echo 'only this'; exit 3")  # nothing on stderr: stdout's
    assert "failed (exit 3): only this;" in cli("add", "B", "-q").stderr
    # A hook's sentence loses its full stop ("…or the service.; the change stands": a trial).
    _hook(hook_dir, "on-add", "echo 'Error: The login was refused.' >&2; exit 4")
    assert "failed (exit 4): Error: The login was refused; the change stands." in (
        cli("add", "C", "-q").stderr
    )


@pytest.mark.file_only
def test_a_chatty_failing_hook_is_reported_by_its_last_words_alone(hook_dir: Path) -> None:
    """A hook that printed 50 MB before failing: the warning has its last line, and
    only the end of what it printed was read (it was read whole, 50 MB held at once)."""
    chatter = "import os\nos.write(1, b'chatter\\n' * 6_250_000 + b'slack is down\\n')\n"
    path = hook_dir / "on-add"
    path.write_text(f"#!{sys.executable}\n{chatter}raise SystemExit(2)\n", encoding="utf-8")
    path.chmod(0o755)
    event = Event(1, 1, "add", _now(), _now(), "me", "add", deal_id=None, after={})
    tracemalloc.start()
    try:
        warnings = hooks.run_hooks(Change(events=[event]), hook_dir, describe=views.describe)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [w.split(" failed ", 1)[1] for w in warnings] == [
        "(exit 2): slack is down; the change stands."
    ]
    assert peak < 5_000_000


def test_a_hanging_hook_is_stopped(cli, hook_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hook running past the timeout (and a child it started) is stopped with a warning."""
    monkeypatch.setenv("SALESPIPE_HOOK_TIMEOUT", "0.5")
    _hook(hook_dir, "on-add", "sleep 30 &\nsleep 30")
    result = cli("add", "A", "-q")
    assert result.exit_code == 0
    assert "hook on-add (add of deal 1) took longer than 0.5 s and was stopped" in result.stderr
    assert cli.json("show", "1")["title"] == "A"


def test_the_default_timeout_is_ten_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SALESPIPE_HOOK_TIMEOUT (or with a bad one) a hook gets 10 s."""
    monkeypatch.delenv("SALESPIPE_HOOK_TIMEOUT", raising=False)
    assert hooks.timeout() == 10.0
    monkeypatch.setenv("SALESPIPE_HOOK_TIMEOUT", "soon")
    assert hooks.timeout() == 10.0


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "1e9"])
def test_a_timeout_that_is_not_one_is_a_warning(
    cli, hook_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A bad SALESPIPE_HOOK_TIMEOUT fell back to 10 s without a word."""
    _recorder(hook_dir, "on-add")
    monkeypatch.setenv("SALESPIPE_HOOK_TIMEOUT", value)
    result = cli("add", "A")
    assert result.exit_code == 0
    assert f'SALESPIPE_HOOK_TIMEOUT "{value}" is not a number of seconds' in result.stderr
    monkeypatch.setenv("SALESPIPE_HOOK_TIMEOUT", "2.5")
    assert "SALESPIPE_HOOK_TIMEOUT" not in cli("add", "B").stderr


def test_a_hook_that_is_not_executable_is_named_with_the_fix(cli, hook_dir: Path) -> None:
    """A non-executable on-add is a warning that says chmod +x."""
    path = _hook(hook_dir, "on-add", "exit 0", executable=False)
    result = cli("add", "A", "-q")
    assert result.exit_code == 0
    assert f"is not executable (chmod +x {path})" in result.stderr


def test_a_hook_without_interpreter_line_is_a_warning(cli, hook_dir: Path) -> None:
    """A file that cannot be started (no #! line) gives a warning, not a traceback."""
    path = hook_dir / "on-add"
    path.write_bytes(b"\x00\x01binary")
    path.chmod(0o755)
    result = cli("add", "A", "-q")
    assert result.exit_code == 0
    assert "hook on-add (add of deal 1) could not start" in result.stderr


def test_other_files_in_the_folder_are_ignored(cli, hook_dir: Path) -> None:
    """README, on-move.sample and a folder named on-add do nothing."""
    (hook_dir / "README").write_text("hooks live here")
    _hook(hook_dir, "on-add.sample", "exit 1")
    (hook_dir / "on-change").mkdir()
    result = cli("add", "A", "-q")
    assert result.exit_code == 0
    assert "on-add.sample" not in result.stderr


def test_import_runs_no_hooks(cli, hook_dir: Path) -> None:
    """A bulk import does not flood the team: no hook runs for it."""
    log = _recorder(hook_dir, "on-change")
    fixture = Path(__file__).parent / "fixtures" / "spreadsheet-values.csv"
    assert cli("import", str(fixture)).exit_code == 0
    assert not log.exists()


def test_a_stage_change_that_moves_deals_runs_its_hooks_once(cli, hook_dir: Path) -> None:
    """`stage disable --move-to` ran on-move and on-change once per deal moved (7,807
    chat posts for a big stage); now once, for the stage's event, which carries the
    deals and says how many moved."""
    for title in ("A", "B", "C"):
        assert cli("add", title, "--stage", "quoted").exit_code == 0
    moves = _recorder(hook_dir, "on-move")
    changes = _recorder(hook_dir, "on-change")
    result = cli("stage", "disable", "quoted", "--move-to", "negotiating", "-r", "merge")
    assert result.exit_code == 0, result.stderr
    assert not moves.exists()
    (payload,) = _payloads(changes)
    assert payload["event"] == "stage-disable"
    assert payload["message"].endswith(": stage disable: Quoted (3 deals moved)")
    assert sorted(d["id"] for d in payload["deals"]) == [1, 2, 3]


def test_changes_made_by_a_hook_run_no_hooks(run, hook_dir: Path, db_path: Path) -> None:
    """A hook that calls salespipe cannot start a loop of hooks."""
    log = hook_dir.parent / "calls.log"
    # By this interpreter, not a bare `salespipe`: the venv's bin need not be on PATH.
    salespipe = f'"{sys.executable}" -m salespipe'
    _hook(hook_dir, "on-add", f'echo add >> "{log}"\n{salespipe} note "$SALESPIPE_DEAL_ID" hooked')
    result = run("add", "A", "-q", env={"SALESPIPE_HOOKS": str(hook_dir)})
    assert result.returncode == 0, result.stderr
    assert "Warning: hook" not in result.stderr  # a failed hook is only a warning
    assert log.read_text() == "add\n"
    shown = run("show", "1", "--json")
    assert [e["type"] for e in json.loads(shown.stdout)["events"]] == ["add", "note"]


def test_undo_runs_on_undo_with_the_deals_it_restored(cli, hook_dir: Path, author: str) -> None:
    """The undo event names what it undid and carries the deals put back."""
    log = _recorder(hook_dir, "on-undo")
    cli("add", "A", "-q")
    cli("move", "1", "quoted")
    cli("undo")
    [undo] = _payloads(log)
    assert undo["changed"]["after"] == {
        "undid": 2,
        "command": "move",
        "deal": 1,
        "deal_count": 1,
        "by": author,
        "made_at": "2026-11-27T10:00:00+07:00",
    }
    assert [d["stage"] for d in undo["deals"]] == ["presented"]
    assert undo["message"] == f"{author}: undo of stage move of deal 1 (change 2)"


def test_an_undo_s_message_names_its_deal_in_thai(cli, hook_dir: Path, author: str) -> None:
    """The hook's Thai message of an undo said which change but not which deal (a team
    lead's trial): it names the deal, in Thai."""
    log = _recorder(hook_dir, "on-undo")
    cli("add", "A", "-q")
    cli("add", "B", "-q")
    cli("move", "2", "quoted")
    cli("--lang", "th", "undo")
    [undo] = _payloads(log)
    assert undo["message"] == f"{author}: ย้อนกลับ การย้ายขั้น ของดีล 2 (การเปลี่ยนแปลงที่ 3)"


def test_an_undo_of_an_import_names_the_deals_it_took_out(
    cli, hook_dir: Path, tmp_path: Path
) -> None:
    """The undo of an import (or an add) carried no deal at all: its deals are gone, so
    `deals` had none, and a hook could not say which deals went."""
    log = _recorder(hook_dir, "on-undo")
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,value\nA,1\nB,2\n", encoding="utf-8")
    assert cli("import", str(sheet)).exit_code == 0
    cli("undo")
    [undo] = _payloads(log)
    assert undo["removed"] == [1, 2]
    assert "deals" not in undo
    cli("add", "C", "-q")
    cli("move", "3", "quoted")
    cli("undo")
    assert "removed" not in _payloads(log)[-1]


def test_run_hooks_never_raises_on_a_missing_folder(tmp_path: Path) -> None:
    """A folder that vanished gives no warnings and no error."""
    event = Event(1, 1, "add", _now(), _now(), "me", "add", deal_id=1, after={})
    assert hooks.run_hooks(Change(events=[event]), tmp_path / "gone", describe=views.describe) == []


def test_database_path_reaches_the_hook(tmp_path: Path, hook_dir: Path) -> None:
    """Given the database path, hooks get it as SALESPIPE_DB and in the payload."""
    log = _recorder(hook_dir, "on-add")
    _hook(hook_dir, "on-change", f'echo "$SALESPIPE_DB" > "{tmp_path / "db.txt"}"')
    event = Event(1, 1, "add", _now(), _now(), "me", "add", deal_id=None, after={})
    warnings = hooks.run_hooks(
        Change(events=[event]), hook_dir, describe=views.describe, database=tmp_path / "x.json"
    )
    assert warnings == []
    assert _payloads(log)[0]["database"] == str(tmp_path / "x.json")
    assert (tmp_path / "db.txt").read_text().strip() == str(tmp_path / "x.json")


def test_a_relative_database_path_reaches_the_hook_whole(
    cli, tmp_path: Path, hook_dir: Path, monkeypatch
) -> None:
    """`--db p.json` gave hooks SALESPIPE_DB=p.json: a hook that changed folder and ran
    salespipe there worked on another file, or made a new one (an audit)."""
    seen = tmp_path / "db.txt"
    _hook(hook_dir, "on-add", f'cd / && echo "$SALESPIPE_DB" > "{seen}"')
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert cli("--db", "p.json", "add", "A", "-q").exit_code == 0
    assert seen.read_text().strip() == str(work / "p.json")


def _now():
    from salespipe.core import clock

    return clock.now()


def test_hooks_inherit_the_environment(cli, hook_dir: Path, monkeypatch) -> None:
    """A hook sees the user's environment (e.g. the webhook URL)."""
    monkeypatch.setenv("TEAM_CHANNEL", "#sales")
    out = hook_dir.parent / "env.txt"
    _hook(hook_dir, "on-add", f'echo "$TEAM_CHANNEL" > "{out}"')
    cli("add", "A", "-q")
    assert out.read_text().strip() == "#sales"
    assert os.environ.get("SALESPIPE_IN_HOOK") is None


def test_ctrl_c_while_a_hook_runs_stops_the_hook_too(tmp_path: Path) -> None:
    """A hook runs in a session of its own, so Ctrl-C at the terminal does not reach it:
    interrupted, salespipe left it running (a `sleep 600` outlived the command)."""
    started = tmp_path / "pid"
    hook = tmp_path / "on-change"
    hook.write_text(f"#!/bin/sh\necho $$ > '{started}'\nexec sleep 600\n", encoding="utf-8")
    hook.chmod(0o755)

    def ctrl_c(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, ctrl_c)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            hooks._run_one(hook, {"event": "add", "deal_id": 1, "message": "deal 1"}, 30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    pid = int(started.read_text(encoding="utf-8"))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_ctrl_c_while_a_hook_starts_stops_the_hook_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C that came while the hook's process was being made was raised inside
    Popen, before salespipe had the process to stop: the hook ran on (a `watch --exec`
    stopped with Ctrl-C left a `sleep 600` behind, one run in five)."""
    hook = tmp_path / "on-change"
    hook.write_text("#!/bin/sh\nexec sleep 600\n", encoding="utf-8")
    hook.chmod(0o755)
    made: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen_then_ctrl_c(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)
        made.append(process)
        os.kill(os.getpid(), signal.SIGINT)  # arrives before Popen has returned
        time.sleep(0.1)
        return process

    monkeypatch.setattr(hooks.subprocess, "Popen", popen_then_ctrl_c)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    running = []
    try:
        with pytest.raises(KeyboardInterrupt):
            hooks._run_one(hook, {"event": "add", "deal_id": 1, "message": "deal 1"}, 30)
    finally:
        signal.signal(signal.SIGINT, previous)
        for process in made:
            running.append(process.poll() is None)
            process.kill()
            process.wait()
    assert running == [False]


def test_a_hooks_folder_named_but_missing_is_warned_about(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SALESPIPE_HOOKS with a typo turned every hook off without a word."""
    monkeypatch.setenv("SALESPIPE_HOOKS", str(tmp_path / "hoks"))
    added = cli("add", "Roof")
    assert added.exit_code == 0
    assert "SALESPIPE_HOOKS names" in added.stderr
    assert "which is not a folder; no hook was run." in added.stderr
    monkeypatch.delenv("SALESPIPE_HOOKS")
    assert "SALESPIPE_HOOKS" not in cli("add", "Door").stderr


def test_a_hooks_message_has_its_dates_in_the_common_era(cli, hook_dir: Path) -> None:
    """In Thai the hook's JSON message said 2570 (where JSON keeps CE), and in English
    with date_era be it said 2027 where `log` says 2570: one rule now, CE."""
    log = _recorder(hook_dir, "on-next")
    cli("config", "set", "lang", "th")
    cli("add", "ERP", "-q")
    assert cli("next", "1", "โทรหาลูกค้า", "--due", "2027-01-20").exit_code == 0
    [payload] = _payloads(log)
    assert "2027-01-20" in payload["message"]
    assert "2570" not in payload["message"]
    env = [line for line in log.read_text().splitlines() if line.startswith("ENV ")]
    assert "2027-01-20" in env[-1]
    assert "2570-01-20" in cli("log").stdout  # a person's view keeps the Thai era


def test_an_undo_s_hook_is_told_whose_change_it_took_back(
    cli, hook_dir: Path, author: str, monkeypatch: pytest.MonkeyPatch, each_backend: str
) -> None:
    """`undo` said whose change it took back ("made by w2 at …") and `undo --json` gave
    `undid.by`, but the hook's JSON had only the undoer's `who`: a channel read "w1: undo
    of new deal 3" without the w2 whose deal it took away. The undo event's `after`
    holds `by` and `made_at`, so `watch --exec` on PostgreSQL reads them the same."""
    log = _recorder(hook_dir, "on-undo")
    if not each_backend.startswith(("postgresql://", "postgres://")):
        monkeypatch.setenv("SALESPIPE_USER", "w2")  # (on a server: one's own change only)
    cli("add", "w2-30", "-q")
    if not each_backend.startswith(("postgresql://", "postgres://")):
        monkeypatch.setenv("SALESPIPE_USER", "w1")
    cli("undo")
    [undo] = _payloads(log)
    made_by = "w2" if not each_backend.startswith(("postgresql://", "postgres://")) else author
    assert undo["changed"]["after"]["by"] == made_by
    assert undo["changed"]["after"]["made_at"] == "2026-11-27T10:00:00+07:00"
    assert undo["who"] == (author if made_by == author else "w1")
