"""The server restarting under a running `watch` and under a write, on a cluster of the
test's own (tests/own_cluster.py): watch says it lost the server, reconnects, says so and
catches up; a write in progress fails with exit 4, in one sentence, and leaves nothing
of itself behind."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import psycopg
import pytest
from tests.conftest import salespipe_command
from tests.own_cluster import Cluster, own_cluster
from tests.test_team_feed import Watcher

pytestmark = pytest.mark.postgres
__all__ = ["own_cluster"]
WAIT = 60  # a guard against a hang, not a timing: each loop ends as soon as it may


def _ok(run: Any, target: str, *args: str) -> Any:
    done = run("--db", target, *args)
    assert done.returncode == 0, done.stderr
    return done


def test_watch_reconnects_after_a_restart_and_misses_nothing(
    run: Any, own_cluster: Cluster
) -> None:
    target = own_cluster.create_database("sales")
    _ok(run, target, "init")
    watcher = Watcher("--json", env={"SALESPIPE_DB": target})
    try:
        _ok(run, target, "add", "Before")
        assert json.loads(watcher.line())["after"]["title"] == "Before"

        own_cluster.stop()
        lost = watcher.note_containing("Lost the connection")
        own_cluster.start()
        _ok(run, target, "add", "During")  # perhaps before watch is back: caught up then
        back = watcher.note_containing("again")
        _ok(run, target, "add", "After")

        titles = [json.loads(watcher.line())["after"]["title"] for _ in range(2)]
        assert titles == ["During", "After"]
        assert "reconnecting, and no change will be missed" in lost
        assert "changes made meanwhile follow" in back
        assert "host=" in back  # names the database it follows
        assert watcher.interrupt() == 130
        assert watcher.out.get(timeout=WAIT) == ""  # and printed nothing more, not twice
    finally:
        watcher.stop()


def _wait_until_blocked(target: str) -> None:
    """Until a salespipe session waits for a lock (the write is in the middle)."""
    deadline = time.monotonic() + WAIT
    with psycopg.connect(target, autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = 'salespipe' AND wait_event_type = 'Lock'"
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    pytest.fail("the write never reached the locked table")


def test_a_write_cut_by_a_restart_fails_in_one_sentence_and_leaves_nothing(
    run: Any, own_cluster: Cluster
) -> None:
    target = own_cluster.create_database("sales")
    _ok(run, target, "add", "Before")
    blocker = psycopg.connect(target)
    # The write has stored its deal row and waits to record the stage it used.
    blocker.execute("LOCK TABLE salespipe_stages_used IN EXCLUSIVE MODE")
    writer = subprocess.Popen(
        [*salespipe_command(), "--db", target, "add", "Cut short", "--stage", "quoted"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_blocked(target)
        own_cluster.restart()
        _out, err = writer.communicate(timeout=WAIT)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.communicate()
        blocker.close()

    assert writer.returncode == 4, err
    assert err.count("\n") == 1, err
    assert "was lost; the change in progress was not saved" in err
    assert "Traceback" not in err
    deals = json.loads(_ok(run, target, "list", "--status", "all", "--json").stdout)
    assert [d["title"] for d in deals] == ["Before"]
    log = json.loads(_ok(run, target, "log", "--json").stdout)
    assert [e["type"] for e in log] == ["add"]
    added = _ok(run, target, "add", "Next", "--quiet").stdout.strip()
    assert added == "2"  # the cut change handed out no id
