"""The team feed: `salespipe watch` (docs/team.md, "The team feed"), its reconnecting
loop (app/feed.py) and the example that posts each change to a URL
(examples/team-feed/)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import salespipe_command

from salespipe.app import feed
from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.app.work import Change
from salespipe.core.errors import DatabaseUnreachable
from salespipe.storage.port import FeedBatch

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "team-feed"
# Only a guard against a hang: every wait ends as soon as its line arrives.
LINE_WAIT = 60


# -- the loop, on a pipeline in memory ----------------------------------------------------
class _Done(Exception):
    """The scripted story is over."""


class ScriptedFollower:
    """A Follower over a pipeline in memory: each ``wait`` runs the next step of a script
    (commit changes, or lose the connection)."""

    def __init__(self, pipeline: Pipeline, steps: list[Callable[[], None]]) -> None:
        self.pipeline = pipeline
        self.steps = steps
        self.closed = False

    def last_change(self) -> int:
        return self.pipeline.read().counters().next_change - 1

    def pipeline_made(self) -> bool:
        return self.pipeline.read().exists

    def changes_after(self, change: int) -> FeedBatch:
        view = self.pipeline.read()
        events = [e for e in view.events() if e.change > change]
        touched = {e.deal_id for e in events if e.deal_id is not None}
        last = max((e.change for e in events), default=change)
        return FeedBatch(events, {i: view.get_deal(i) for i in touched}, view.stages(), last)

    def wait(self, timeout: float | None) -> bool:
        if not self.steps:
            raise _Done
        self.steps.pop(0)()
        return True

    def close(self) -> None:
        self.closed = True


def _lose() -> None:
    raise DatabaseUnreachable("The connection to the database server was lost.")


def _story(items: Iterator[feed.FeedItem]) -> list[Any]:
    seen: list[Any] = []
    with pytest.raises(_Done):
        seen.extend(items)
    return seen


@pytest.fixture
def memory_pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline.open(f"memory:{tmp_path}/feed", "en")


def test_after_a_lost_connection_the_feed_reconnects_and_catches_up(
    memory_pipeline: Pipeline,
) -> None:
    pipeline = memory_pipeline
    pipeline.add("Before", DealFields())  # committed before watching: not shown

    def while_down() -> None:
        pipeline.add("While down", DealFields())
        pipeline.move(3, "quoted")
        raise DatabaseUnreachable("The connection to the database server was lost.")

    first = ScriptedFollower(
        pipeline, [lambda: pipeline.add("Seen live", DealFields()), while_down]
    )
    again = ScriptedFollower(pipeline, [lambda: None])
    attempts: list[Callable[[], Any]] = [lambda: first, _lose, lambda: again]
    pauses: list[float] = []

    items = _story(feed.follow(lambda: attempts.pop(0)(), sleep=pauses.append))

    kinds = [type(i).__name__ for i in items]
    assert kinds == [
        "Listening",
        "Change",
        "ConnectionLost",
        "ConnectionBack",
        "Change",
        "Change",
    ]
    changes = [i for i in items if isinstance(i, Change)]
    assert [[e.type for e in c.events] for c in changes] == [["add"], ["add"], ["move"]]
    assert [c.events[0].deal_id for c in changes] == [2, 3, 3]
    assert pauses == [feed.FIRST_PAUSE, 2 * feed.FIRST_PAUSE]
    assert items[3] == feed.ConnectionBack(attempts=2)
    assert first.closed


def test_each_change_carries_the_deal_before_and_after_it(memory_pipeline: Pipeline) -> None:
    """Read together after the fact, each change still gets the deal as that change left
    it, as a local hook would."""
    pipeline = memory_pipeline

    def three_changes() -> None:
        pipeline.add("ERP", DealFields(value=None))
        pipeline.move(1, "quoted")
        pipeline.close(1, "won")

    follower = ScriptedFollower(pipeline, [three_changes, lambda: None])
    changes = [i for i in _story(feed.follow(lambda: follower)) if isinstance(i, Change)]

    states = [
        (
            (c.deals_before[1].stage, c.deals_before[1].status) if c.deals_before[1] else None,
            (c.deals[0].stage, c.deals[0].status),
        )
        for c in changes
    ]
    assert states == [
        (None, ("presented", "open")),
        (("presented", "open"), ("quoted", "open")),
        (("quoted", "open"), ("quoted", "won")),
    ]


def test_owner_keeps_only_the_changes_of_that_owners_deals(memory_pipeline: Pipeline) -> None:
    pipeline = memory_pipeline

    def commits() -> None:
        pipeline.add("Bob's", DealFields(owner="Bob"))
        pipeline.add("Carol's", DealFields(owner="carol"))
        pipeline.edit(2, DealFields(owner="bob"))  # handed to bob: his from now on

    follower = ScriptedFollower(pipeline, [commits])
    items = _story(feed.follow(lambda: follower, owner="bob"))

    changes = [i for i in items if isinstance(i, Change)]
    assert [(c.events[0].type, c.events[0].deal_id) for c in changes] == [("add", 1), ("edit", 2)]


def test_watch_on_a_data_file_is_refused_in_one_sentence(cli: Any) -> None:
    result = cli("watch")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "only a PostgreSQL database announces its changes" in result.stderr


# -- the example hook, against a local HTTP server --------------------------------------
class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.put((self.path, self.headers["Content-Type"], body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed_url() -> Iterator[tuple[str, queue.Queue[Any]]]:
    """A URL on a local HTTP server, and the queue of the POSTs it receives."""
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = queue.Queue()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/feed", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _post_change(payload: Any, url: str | None, **more: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SALESPIPE_FEED_URL"}
    if url is not None:
        env["SALESPIPE_FEED_URL"] = url
    env.update(more)
    return subprocess.run(
        [str(EXAMPLE / "post-change")],
        input=payload if isinstance(payload, str) else json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        timeout=LINE_WAIT,
    )


def test_the_example_hook_posts_the_event_as_json(
    feed_url: tuple[str, queue.Queue[Any]],
) -> None:
    url, received = feed_url
    event = {"event": "won", "deal_id": 4, "message": 'alice: deal 4 "กล้อง": won'}

    done = _post_change(event, url)

    assert (done.returncode, done.stderr) == (0, "")
    path, kind, body = received.get(timeout=LINE_WAIT)
    assert (path, kind) == ("/feed", "application/json; charset=utf-8")
    assert json.loads(body) == {"text": 'alice: deal 4 "กล้อง": won', "event": event}


def test_the_example_hook_fails_in_one_line_without_a_url_or_a_server() -> None:
    missing = _post_change({"message": "x"}, None)
    unreachable = _post_change({"message": "x"}, "http://127.0.0.1:9/nothing")
    assert (missing.returncode, missing.stderr.count("\n")) == (2, 1)
    assert (unreachable.returncode, unreachable.stderr.count("\n")) == (1, 1)
    assert "could not post" in unreachable.stderr
    # A URL without a scheme, an event that is not JSON, a timeout that is no number:
    # each gave a traceback, the first with the secret URL in it (a team trial).
    secret = "hooks.example.com/services/T000/SECRET"
    for done in (
        _post_change({"message": "x"}, secret),
        _post_change("not json", "http://127.0.0.1:9/nothing"),
        _post_change([1, 2], "http://127.0.0.1:9/nothing"),  # JSON, not an event (a review)
        _post_change({"message": "x"}, "http://127.0.0.1:9/x", SALESPIPE_FEED_TIMEOUT="abc"),
        _post_change({"message": "x"}, "http://127.0.0.1:9/x", SALESPIPE_FEED_TIMEOUT="inf"),
    ):
        assert (done.returncode, done.stderr.count("\n")) == (2, 1), done.stderr
        assert "Traceback" not in done.stderr
        assert "SECRET" not in done.stderr
    # Addresses urllib refuses (a space, a port that is no number): one line, no secret.
    for url in (
        "https://127.0.0.1:9/services/T0/SECRET TOKEN",
        "https://h.example:SECRET/x",
        "http://[::1/SECRETPATH",  # (an unparseable host: the request was made outside try)
    ):
        done = _post_change({"message": "x"}, url)
        assert (done.returncode, done.stderr.count("\n")) == (1, 1), done.stderr
        assert "SECRET" not in done.stderr


def test_the_examples_run_watch_with_the_hook() -> None:
    unit = (EXAMPLE / "salespipe-feed.service").read_text(encoding="utf-8")
    cron = (EXAMPLE / "crontab").read_text(encoding="utf-8")
    assert "salespipe watch --exec" in unit
    assert "ExecStart=" in unit
    assert "@reboot " in cron
    assert "salespipe watch --exec" in cron
    assert os.access(EXAMPLE / "post-change", os.X_OK)
    # Each keeps its place, so a watch killed or rebooted posts what it missed (a trial);
    # in one file, so moving from cron to systemd goes on where it was.
    assert "--resume %h/.local/state/salespipe/feed-place" in unit
    assert "--resume $HOME/.local/state/salespipe/feed-place" in cron


# -- watch end to end, on PostgreSQL ---------------------------------------------------------
def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Watcher:
    """``salespipe watch`` running in a process of its own; its lines as they come."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*salespipe_command(), "watch", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            # A test run started in the background inherits SIGINT ignored; Ctrl-C is
            # what the tests send, so the watcher gets the default handling back.
            preexec_fn=_default_sigint,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.pumps = [
            threading.Thread(target=_pump, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for pump in self.pumps:
            pump.start()
        self.said = self.note_containing("Watching")  # the note it starts with

    def line(self) -> str:
        return self.out.get(timeout=LINE_WAIT)

    def note_containing(self, text: str) -> str:
        while True:
            line = self.err.get(timeout=LINE_WAIT)
            if text in line:
                return line

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=LINE_WAIT)

    def stop(self) -> None:
        if self.process.poll() is None:
            # Ctrl-C first, so that it stops a hook it is running (killed, it could not).
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=LINE_WAIT)
        for pump in self.pumps:
            pump.join(timeout=LINE_WAIT)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _pump(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put("")  # the end: a reader waiting for more learns at once


@pytest.fixture
def watching(pg_database: str) -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(*args: str, **env: str) -> Watcher:
        watcher = Watcher(*args, env={"SALESPIPE_DB": pg_database, **env})
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.stop()


def _change(run: Any, target: str, *args: str) -> None:
    done = run("--db", target, *args)
    assert done.returncode == 0, done.stderr


@pytest.mark.postgres
def test_watch_prints_each_change_as_log_does_and_ctrl_c_ends_it(
    run: Any, pg_database: str, watching: Callable[..., Watcher]
) -> None:
    _change(run, pg_database, "init")
    as_json = watching("--json")
    as_text = watching()

    _change(run, pg_database, "add", "ERP", "-c", "Siam Foods", "--value", "1m")
    _change(run, pg_database, "move", "1", "quoted", "--reason", "sent the quote")

    lines = [json.loads(as_json.line()) for _ in range(2)]
    log = json.loads(run("--db", pg_database, "log", "--json").stdout)
    assert lines == log[::-1]
    texts = [as_text.line() for _ in range(2)]
    log_text = run("--db", pg_database, "log").stdout
    assert "deal 1: created in Presented, ฿1,000,000.00" in texts[0]
    assert "deal 1: moved: Presented → Quoted — sent the quote" in texts[1]
    assert "moved: Presented → Quoted" in log_text
    assert as_json.interrupt() == 130
    assert as_text.interrupt() == 130
    for watcher in (as_json, as_text):
        # Ctrl-C is how a watch stops: it says so, not that a change was cut short
        assert watcher.note_containing("Stopped") == "Stopped."
        assert watcher.line() == ""  # stdout ended: no JSON error object after the changes


@pytest.mark.postgres
def test_watch_on_a_database_without_a_pipeline_says_so_and_follows_its_init(
    run: Any, pg_empty_database: str
) -> None:
    """A watch on a database with no pipeline (a mistyped name) said only "Watching …",
    and waited for ever; it still waits, for a team machine started before the pipeline
    is made, but it warns."""
    watcher = Watcher(env={"SALESPIPE_DB": pg_empty_database})
    try:
        assert "though it has no pipeline yet: check --db or SALESPIPE_DB" in watcher.said
        _change(run, pg_empty_database, "add", "ERP")
        assert "deal 1: created in Presented" in watcher.line()
    finally:
        watcher.stop()


@pytest.mark.postgres
def test_watch_exec_posts_each_change_and_a_failing_hook_only_warns(
    run: Any,
    pg_database: str,
    watching: Callable[..., Watcher],
    feed_url: tuple[str, queue.Queue[Any]],
    tmp_path: Path,
) -> None:
    url, received = feed_url
    _change(run, pg_database, "init")
    posting = watching("--json", "--exec", str(EXAMPLE / "post-change"), SALESPIPE_FEED_URL=url)
    failing_hook = tmp_path / "fails"
    failing_hook.write_text("#!/bin/sh\necho no chat today >&2\nexit 3\n", encoding="utf-8")
    failing_hook.chmod(0o755)
    failing = watching("--exec", str(failing_hook))

    _change(run, pg_database, "add", "ERP", "-c", "Siam Foods")
    _change(run, pg_database, "won", "1", "--reason", "PO received")

    posted = [json.loads(received.get(timeout=LINE_WAIT)[2]) for _ in range(2)]
    assert [p["event"]["event"] for p in posted] == ["add", "won"]
    won = posted[1]
    assert won["text"] == won["event"]["message"]
    assert won["text"].endswith('deal 1 "ERP" (Siam Foods): won — PO received')
    assert (won["event"]["before"]["status"], won["event"]["after"]["status"]) == ("open", "won")
    assert [json.loads(posting.line())["type"] for _ in range(2)] == ["add", "won"]
    warning = failing.note_containing("hook fails")
    assert "failed (exit 3): no chat today; the change stands." in warning
    shown = [failing.line() for _ in range(2)]  # the feed goes on
    assert "won" in shown[1]


@pytest.mark.postgres
def test_a_hanging_hook_is_stopped_and_the_feed_goes_on(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    _change(run, pg_database, "init")
    hangs = tmp_path / "hangs"
    hangs.write_text("#!/bin/sh\nsleep 600\n", encoding="utf-8")
    hangs.chmod(0o755)
    watcher = watching("--json", "--exec", str(hangs), SALESPIPE_HOOK_TIMEOUT="1")

    _change(run, pg_database, "add", "First")
    _change(run, pg_database, "add", "Second")

    assert "took longer than 1 s and was stopped" in watcher.note_containing("hook hangs")
    titles = [json.loads(watcher.line())["after"]["title"] for _ in range(2)]
    assert titles == ["First", "Second"]


@pytest.mark.postgres
def test_watch_owner_shows_only_that_owners_deals(
    run: Any, pg_database: str, watching: Callable[..., Watcher]
) -> None:
    _change(run, pg_database, "init")
    watcher = watching("--json", "--owner", "bob")

    _change(run, pg_database, "add", "Carol's", "--owner", "carol")
    _change(run, pg_database, "add", "Bob's", "--owner", "bob")

    assert json.loads(watcher.line())["deal_id"] == 2


@pytest.mark.postgres
def test_a_copy_into_the_database_is_no_news_and_the_changes_after_it_follow(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    """After `copy FILE DB --replace`, a running watch printed nothing more (its change ids
    were higher than the copy's), and after a copy with more changes than it had seen, it
    printed the copy's whole history as news (and ran its hook for each)."""
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    _change(run, str(small), "add", "Small one")
    _change(run, str(large), "add", "Large one")
    for number in range(6):
        _change(run, str(large), "note", "1", f"old note {number}")
    _change(run, pg_database, "add", "First")
    _change(run, pg_database, "add", "Second")
    _change(run, pg_database, "note", "2", "before the copy")
    watcher = watching("--json")

    _change(run, pg_database, "copy", str(small), pg_database, "--replace")
    watcher.note_containing("was replaced by a copy")
    _change(run, pg_database, "note", "1", "after the small copy")
    assert "after the small copy" in watcher.line()

    _change(run, pg_database, "copy", str(large), pg_database, "--replace")
    watcher.note_containing("was replaced by a copy")
    _change(run, pg_database, "note", "1", "after the large copy")
    assert "after the large copy" in watcher.line()


@pytest.mark.postgres
def test_a_change_made_while_the_watch_was_busy_right_after_a_copy_follows(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    """A change committed after a copy but before the watch read again (its hook still
    ran) was skipped: the watch took the database's latest change for the copy's."""
    small = tmp_path / "small.json"
    _change(run, str(small), "add", "Small one")
    _change(run, pg_database, "add", "First")
    slow = tmp_path / "slow-hook"
    slow.write_text("#!/bin/sh\ncat >/dev/null\nsleep 2\n", encoding="utf-8")
    slow.chmod(0o755)
    watcher = watching("--json", "--exec", str(slow))
    _change(run, pg_database, "note", "1", "while the hook runs")
    assert "while the hook runs" in watcher.line()
    _change(run, pg_database, "copy", str(small), pg_database, "--replace")
    _change(run, pg_database, "note", "1", "right after the copy")
    assert "right after the copy" in watcher.line()
    watcher.stop()
    said = iter_queue(watcher.err)
    assert any("was replaced by a copy" in line for line in said)
    assert not any("RuntimeWarning" in line for line in said)  # (psycopg's, of handlers)


def iter_queue(lines: queue.Queue[str]) -> list[str]:
    taken = []
    while not lines.empty():
        taken.append(lines.get_nowait())
    return taken


def _install_lines(text: str) -> list[str]:
    return [line.lstrip("# ").strip() for line in text.splitlines() if "install -D" in line]


def test_the_examples_install_the_hook_where_they_run_it() -> None:
    """Each example's own install step puts post-change where its ExecStart or @reboot
    line runs it (a new user following the steps got 'No such file')."""
    for name, runs in (("salespipe-feed.service", "%h/"), ("crontab", "$HOME/")):
        text = (EXAMPLE / name).read_text(encoding="utf-8")
        (step,) = _install_lines(text)
        installed = step.split()[-1].replace("~/", runs)
        assert f"--exec {installed}" in text, name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_unit_verifies_once_installed_as_its_steps_say(tmp_path: Path) -> None:
    """systemd-analyze verify --user finds nothing wrong with the unit in a home where
    salespipe and the hook are where it expects them."""
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "salespipe").symlink_to(salespipe_command()[0])
    step = _install_lines((EXAMPLE / "salespipe-feed.service").read_text(encoding="utf-8"))[0]
    source, target = step.split()[-2:]
    hook = home / target.removeprefix("~/")
    hook.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE.parents[1] / source, hook)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--user", str(EXAMPLE / "salespipe-feed.service")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)},
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout


def test_a_hook_named_from_the_current_folder_is_run_from_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`watch --exec ./post-change`, as docs/team.md writes it: the "./" is kept, so
    the program is not looked for on PATH (where it said "could not start")."""
    from salespipe.cli.feed import _program

    hook = tmp_path / "post-change"
    hook.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    hook.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    found = _program("./post-change")
    assert found == hook
    assert found.is_absolute()


def test_a_hook_that_is_not_executable_is_refused_at_start(tmp_path: Path) -> None:
    """`watch --exec deals.csv` started and would only have warned at every change that
    the hook could not start (a trial)."""
    from salespipe.cli.feed import _program
    from salespipe.core.errors import InvalidValue

    sheet = tmp_path / "deals.csv"
    sheet.write_text("title\n", encoding="utf-8")
    with pytest.raises(InvalidValue, match=r"deals.csv is not executable; `chmod \+x"):
        _program(str(sheet))


@pytest.mark.postgres
def test_watch_waits_on_a_database_without_a_pipeline_until_it_is_made(
    run: Any, pg_database: str, watching: Callable[..., Watcher]
) -> None:
    """watch printed the server's 'relation "salespipe_pipeline" does not exist' (one
    statement read the table it meant to look for first); it follows from init on."""
    watcher = watching("--json")
    _change(run, pg_database, "init")
    _change(run, pg_database, "add", "ERP")
    assert json.loads(watcher.line())["type"] == "add"
    assert watcher.interrupt() == 130


@pytest.mark.postgres
def test_doctor_on_a_database_without_a_pipeline_says_so(run: Any, pg_database: str) -> None:
    done = run("--db", pg_database, "doctor", timeout=30)
    assert done.returncode == 4, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "There is no pipeline in postgresql://" in done.stderr


@pytest.mark.postgres
def test_an_undo_reaches_the_feed_with_the_deals_it_took_back(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    """The feed gave a hook no deals for an undo (a local hook gets them), and
    `watch --owner bob` left out bob's undos: an undo names no deal of its own."""
    _change(run, pg_database, "init")
    kept = tmp_path / "payloads"
    kept.mkdir()
    hook = tmp_path / "keep"
    hook.write_text(f"#!/bin/sh\ncat > \"$(mktemp -p '{kept}' XXXXXX)\"\n", encoding="utf-8")
    hook.chmod(0o755)
    bobs = watching("--json", "--owner", "bob", "--exec", str(hook))

    _change(run, pg_database, "add", "Carol's", "--owner", "carol")
    _change(run, pg_database, "add", "Bob's", "--owner", "bob")
    _change(run, pg_database, "move", "2", "quoted")
    _change(run, pg_database, "undo")

    assert [json.loads(bobs.line())["type"] for _ in range(3)] == ["add", "move", "undo"]
    deadline = time.monotonic() + LINE_WAIT
    while len(payloads := _payloads(kept)) < 3:
        assert time.monotonic() < deadline, "the hook did not run for each change"
        time.sleep(0.05)
    undo = max(payloads, key=lambda payload: payload["seq"])
    assert undo["event"] == "undo"
    assert [(deal["id"], deal["stage"]) for deal in undo["deals"]] == [(2, "presented")]


def _payloads(folder: Path) -> list[dict[str, Any]]:
    """What the hook was given, each run's JSON once it is whole."""
    found = []
    for path in folder.iterdir():
        with contextlib.suppress(ValueError):
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.postgres
def test_watch_says_which_deal_an_undo_took_back(
    run: Any, pg_database: str, watching: Callable[..., Watcher]
) -> None:
    """watch printed "undo of stage move (change 24) (by trial17_somchai)" (a team lead's
    trial): the undo of one deal's change names the deal, as log does."""
    _change(run, pg_database, "init")
    as_text = watching()
    _change(run, pg_database, "add", "ERP", "--owner", "bob")
    _change(run, pg_database, "add", "CRM", "--owner", "bob")
    _change(run, pg_database, "move", "2", "quoted")
    _change(run, pg_database, "undo")
    lines = [as_text.line() for _ in range(4)]
    assert "undo of stage move of deal 2 (change 3)" in lines[3], lines
    log = run("--db", pg_database, "log", "-n", "1").stdout.splitlines()[1]
    assert log.split()[2:3] == ["2"], log
