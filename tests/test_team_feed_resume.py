"""`salespipe watch --resume FILE` and `--since CHANGE` (docs/team.md, "Picking up where
it left off"): a watch stopped any way at all (kill -9 among them) and started again
shows, and runs its hook for, each change made while it was off, once and in order;
a FILE not there yet starts from now; a FILE of another pipeline, or one that names a
change the database does not have, is refused in one sentence."""

from __future__ import annotations

import json
import queue
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.test_team import Team, team
from tests.test_team_feed import (
    EXAMPLE,
    LINE_WAIT,
    ScriptedFollower,
    Watcher,
    _change,
    _story,
    feed_url,
    memory_pipeline,
    watching,
)

from salespipe.app import feed
from salespipe.app.pipeline import DealFields, Pipeline
from salespipe.app.work import Change

__all__ = ["feed_url", "memory_pipeline", "team", "watching"]


def _killed(watcher: Watcher) -> None:
    """kill -9: no handler runs, nothing is said or written at the end."""
    watcher.process.kill()
    watcher.process.wait(timeout=LINE_WAIT)


def _kept(place: Path) -> int:
    """The change the watch's file keeps (0 while it is not there)."""
    try:
        return int(json.loads(place.read_text(encoding="utf-8"))["change"])
    except FileNotFoundError:
        return 0


def _until_kept(place: Path, change: int) -> None:
    """Until the watch has kept ``change`` as its place (it does once the hook is done)."""
    deadline = time.monotonic() + LINE_WAIT
    while _kept(place) < change:
        assert time.monotonic() < deadline, f"the place never reached change {change}"
        time.sleep(0.02)


def _posted(received: queue.Queue[Any]) -> Any:
    return json.loads(received.get(timeout=LINE_WAIT)[2])


@pytest.mark.postgres
def test_a_killed_watch_resumed_posts_the_changes_made_meanwhile_once_and_in_order(
    run: Any,
    pg_database: str,
    watching: Callable[..., Watcher],
    feed_url: tuple[str, queue.Queue[Any]],
    tmp_path: Path,
) -> None:
    """The trial: kill -9 the `watch --exec post-change`, a rep makes two changes, start
    it again: the two changes never reached the chat, and nothing said so."""
    url, received = feed_url
    place = tmp_path / "state" / "feed-place"  # (its folder is not there yet either)
    args = ("--json", "--exec", str(EXAMPLE / "post-change"), "--resume", str(place))
    _change(run, pg_database, "init")
    _change(run, pg_database, "add", "Before the feed")
    first = watching(*args, SALESPIPE_FEED_URL=url)
    _change(run, pg_database, "add", "Seen live")
    seen = json.loads(first.line())
    assert seen["after"]["title"] == "Seen live"
    assert _posted(received)["event"]["after"]["title"] == "Seen live"
    _until_kept(place, seen["change"])
    _killed(first)

    _change(run, pg_database, "add", "Made while off")
    _change(run, pg_database, "move", "3", "quoted", "--reason", "sent the quote")
    again = watching(*args, SALESPIPE_FEED_URL=url)
    shown = [json.loads(again.line()) for _ in range(2)]
    posts = [_posted(received)["event"] for _ in range(2)]
    said = again.note_containing("Caught up")
    _change(run, pg_database, "note", "3", "after the restart")
    live = json.loads(again.line())

    assert [(e["type"], e["deal_id"]) for e in shown] == [("add", 3), ("move", 3)]
    assert [(p["event"], p["deal_id"], p["change"]) for p in posts] == [
        ("add", 3, shown[0]["change"]),
        ("move", 3, shown[1]["change"]),
    ]
    assert said == "Caught up on 2 changes made while the feed was off."
    assert (live["type"], live["text"]) == ("note", "after the restart")
    assert _posted(received)["event"]["text"] == "after the restart"
    _until_kept(place, live["change"])
    assert again.interrupt() == 130
    assert again.out.get(timeout=LINE_WAIT) == ""  # nothing printed twice
    assert received.empty()  # nor posted twice
    kept = json.loads(place.read_text(encoding="utf-8"))
    assert kept["change"] == live["change"]
    assert kept["database"] == pg_database


@pytest.mark.postgres
def test_a_new_place_file_starts_from_now_and_is_kept_from_the_start(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    """A first start does not flood the chat with the whole history; and a watch killed
    before its first change still resumes from where it started."""
    place = tmp_path / "feed-place"
    _change(run, pg_database, "add", "Old one")
    _change(run, pg_database, "add", "Old two")
    first = watching("--json", "--resume", str(place))
    assert _kept(place) == 2  # kept before it says it is watching
    _killed(first)

    _change(run, pg_database, "add", "Made while off")
    again = watching("--json", "--resume", str(place))
    assert json.loads(again.line())["after"]["title"] == "Made while off"
    assert again.note_containing("Caught up") == (
        "Caught up on 1 change made while the feed was off."
    )

    fresh = watching("--json", "--resume", str(tmp_path / "another-place"))
    _change(run, pg_database, "add", "Live")
    assert json.loads(fresh.line())["after"]["title"] == "Live"  # not "Old one"
    assert fresh.interrupt() == 130
    assert not any("Caught up" in line for line in _drained(fresh.err))


def _drained(lines: queue.Queue[str]) -> list[str]:
    taken = []
    while not lines.empty():
        taken.append(lines.get_nowait())
    return taken


@pytest.mark.postgres
def test_the_catch_up_of_watch_owner_shows_only_what_the_live_feed_would(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    place = tmp_path / "feed-place"
    _change(run, pg_database, "init")
    _killed(watching("--json", "--owner", "bob", "--resume", str(place)))

    _change(run, pg_database, "add", "Carol's", "--owner", "carol")
    _change(run, pg_database, "add", "Bob's", "--owner", "bob")
    _change(run, pg_database, "note", "1", "Carol's again")
    again = watching("--json", "--owner", "bob", "--resume", str(place))

    assert json.loads(again.line())["deal_id"] == 2
    assert again.note_containing("Caught up") == (
        "Caught up on 1 change made while the feed was off."
    )
    _until_kept(place, 3)  # past carol's last change too: it is not read again


@pytest.mark.postgres
def test_a_reps_catch_up_under_visibility_own_shows_only_the_reps_deals(
    run: Any, team: Team, tmp_path: Path
) -> None:
    bob = team.login("bob")
    _change(run, team.database, "team", "add", bob, "--role", "rep")
    _change(run, team.database, "config", "set", "visibility", "own")
    place = tmp_path / "feed-place"
    first = Watcher("--json", "--resume", str(place), env={"SALESPIPE_DB": team.uri(bob)})
    try:
        _killed(first)
    finally:
        first.stop()

    _change(run, team.database, "add", "Alice's")
    _change(run, team.uri(bob), "add", "Bob's")
    again = Watcher("--json", "--resume", str(place), env={"SALESPIPE_DB": team.uri(bob)})
    try:
        assert json.loads(again.line())["after"]["title"] == "Bob's"
        assert again.note_containing("Caught up") == (
            "Caught up on 1 change made while the feed was off."
        )
    finally:
        again.stop()


@pytest.mark.postgres
def test_since_shows_the_changes_after_that_one_oldest_first_then_follows(
    run: Any, pg_database: str, watching: Callable[..., Watcher]
) -> None:
    for title in ("One", "Two", "Three"):
        _change(run, pg_database, "add", title)
    watcher = watching("--json", "--since", "1")
    assert [json.loads(watcher.line())["after"]["title"] for _ in range(2)] == ["Two", "Three"]
    assert watcher.note_containing("Caught up") == "Caught up on 2 changes made after change 1."
    _change(run, pg_database, "add", "Four")
    assert json.loads(watcher.line())["after"]["title"] == "Four"


def _refused(run: Any, target: str, *args: str, lang: str = "en") -> str:
    done = run("--db", target, "--lang", lang, "watch", *args, timeout=LINE_WAIT)
    assert done.returncode == 1, done.stderr
    assert (done.stdout, done.stderr.count("\n")) == ("", 1), done.stderr
    return str(done.stderr)


@pytest.mark.postgres
def test_a_place_of_another_pipeline_or_past_the_latest_change_is_refused(
    run: Any, pg_database: str, tmp_path: Path
) -> None:
    """Each in one sentence, exit 1, the file left as it was: resuming there would show
    another history's changes as news, or skip this one's."""
    _change(run, pg_database, "add", "One")
    _change(run, pg_database, "add", "Two")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(
        '{"database": "postgresql:///other", "pipeline": "2020-01-01T00:00:00+00:00",'
        ' "change": 1}\n',
        encoding="utf-8",
    )
    place = tmp_path / "place"
    watcher = Watcher("--resume", str(place), env={"SALESPIPE_DB": pg_database})
    watcher.stop()
    kept = json.loads(place.read_text(encoding="utf-8"))
    ahead = tmp_path / "ahead"
    ahead.write_text(json.dumps({**kept, "change": 40}), encoding="utf-8")
    garbled = tmp_path / "garbled"
    garbled.write_text("2\n", encoding="utf-8")

    assert "keeps the place of a watch on another pipeline (postgresql:///other)" in _refused(
        run, pg_database, "--resume", str(elsewhere)
    )
    assert "resumes after change 40, but" in _refused(run, pg_database, "--resume", str(ahead))
    assert "has changes only up to 2" in _refused(run, pg_database, "--resume", str(ahead))
    assert "is not a place kept by `salespipe watch --resume`" in _refused(
        run, pg_database, "--resume", str(garbled)
    )
    assert "has no change 9; its latest is 2." in _refused(run, pg_database, "--since", "9")
    in_thai = _refused(run, pg_database, "--resume", str(ahead), lang="th")
    assert "จะติดตามต่อหลังการเปลี่ยนแปลงที่ 40" in in_thai
    assert json.loads(ahead.read_text(encoding="utf-8"))["change"] == 40
    assert garbled.read_text(encoding="utf-8") == "2\n"


def test_resume_on_a_data_file_is_refused_before_any_place_is_kept(
    cli: Any, tmp_path: Path
) -> None:
    place = tmp_path / "place"
    result = cli("watch", "--resume", str(place))
    assert result.exit_code == 2
    assert "only a PostgreSQL database announces its changes" in result.stderr
    assert not place.exists()


def _example_arguments(home: Path) -> dict[str, list[str]]:
    """What the systemd unit and the @reboot line run watch with, in ``home``."""
    unit = (EXAMPLE / "salespipe-feed.service").read_text(encoding="utf-8")
    [start] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    cron = (EXAMPLE / "crontab").read_text(encoding="utf-8")
    [reboot] = [line for line in cron.splitlines() if line.startswith("@reboot ")]
    return {
        "unit": start.replace("%h", str(home)).split(" watch ", 1)[1].split(),
        "crontab": reboot.replace("$HOME", str(home))
        .split(" watch ", 1)[1]
        .split(" >> ")[0]
        .split(),
    }


@pytest.mark.postgres
def test_the_examples_post_the_changes_made_while_the_feed_was_down(
    run: Any, pg_database: str, feed_url: tuple[str, queue.Queue[Any]], tmp_path: Path
) -> None:
    """The unit and the @reboot line, as installed: killed and started again (Restart=,
    a reboot), each posts the change made meanwhile."""
    url, received = feed_url
    _change(run, pg_database, "init")
    for example in ("unit", "crontab"):
        home = tmp_path / example
        hook = home / ".local" / "share" / "salespipe" / "post-change"
        hook.parent.mkdir(parents=True)
        shutil.copy(EXAMPLE / "post-change", hook)
        arguments = _example_arguments(home)[example]
        env = {"SALESPIPE_DB": pg_database, "SALESPIPE_FEED_URL": url, "HOME": str(home)}
        first = Watcher(*arguments, env=env)
        _killed(first)
        first.stop()
        _change(run, pg_database, "add", f"Made while the {example}'s feed was down")
        again = Watcher(*arguments, env=env)
        try:
            posted = _posted(received)
            assert posted["event"]["after"]["title"] == f"Made while the {example}'s feed was down"
            assert "Caught up on 1 change" in again.note_containing("Caught up")
        finally:
            again.stop()
    assert received.empty()


# -- the loop, on a pipeline in memory ----------------------------------------------------
def test_a_change_is_passed_only_once_the_consumer_is_done_with_it(
    memory_pipeline: Pipeline,
) -> None:
    """What `--resume` keeps is the change whose line and hook are done: a watch killed
    while the hook runs shows that change again, never skips it."""
    pipeline = memory_pipeline
    pipeline.add("Before", DealFields())
    pipeline.add("While off", DealFields())
    follower = ScriptedFollower(pipeline, [lambda: pipeline.add("Live", DealFields())])
    story: list[Any] = []

    def consumed(items: Iterator[feed.FeedItem]) -> Iterator[Any]:
        for item in items:
            story.append(type(item).__name__ if not isinstance(item, Change) else item)
            yield item

    items = feed.follow(
        lambda: follower,
        start=lambda latest: 1,
        passed=lambda change, replaced: story.append(("passed", change, replaced)),
    )
    _story(consumed(items))

    assert [s.events[0].change if isinstance(s, Change) else s for s in story] == [
        "Listening",
        2,
        ("passed", 2, False),
        "CaughtUp",
        3,
        ("passed", 3, False),
    ]


def _made_earlier(run: Any, path: Path) -> Path:
    """A data file of one change whose pipeline was made before the tests' clock: a
    pipeline of its own, as a copy of it into a database is."""
    done = run("--db", str(path), "add", "Small one", env={"SALESPIPE_NOW": "2026-11-20T09:00"})
    assert done.returncode == 0, done.stderr
    return path


@pytest.mark.postgres
def test_a_place_kept_through_a_copy_resumes_on_the_copy(
    run: Any, pg_database: str, watching: Callable[..., Watcher], tmp_path: Path
) -> None:
    """A running `watch --resume` that a `copy --replace` reaches keeps the copy's
    pipeline and last change as its place: killed and started again, it posts the change
    made meanwhile, where a place left on the old pipeline would be refused as another's."""
    small = _made_earlier(run, tmp_path / "small.json")
    _change(run, pg_database, "add", "First")
    _change(run, pg_database, "add", "Second")
    place = tmp_path / "feed-place"
    first = watching("--json", "--resume", str(place))
    before = json.loads(place.read_text(encoding="utf-8"))
    assert before["change"] == 2
    _change(run, pg_database, "copy", str(small), pg_database, "--replace")
    first.note_containing("was replaced by a copy")
    _change(run, pg_database, "note", "1", "seen live after the copy")
    assert "seen live after the copy" in first.line()
    deadline = time.monotonic() + LINE_WAIT
    while (kept := json.loads(place.read_text(encoding="utf-8")))["pipeline"] == before[
        "pipeline"
    ] or kept["change"] != 2:  # (the copy's one change, then the note after it)
        assert time.monotonic() < deadline, kept
        time.sleep(0.02)
    _killed(first)

    _change(run, pg_database, "note", "1", "made while off")
    again = watching("--json", "--resume", str(place))
    assert json.loads(again.line())["text"] == "made while off"
    assert again.note_containing("Caught up") == (
        "Caught up on 1 change made while the feed was off."
    )


@pytest.mark.postgres
def test_a_copy_made_while_the_watch_was_off_is_named_in_its_refusal(
    run: Any, pg_database: str, tmp_path: Path
) -> None:
    """`copy --replace` into the database while its watch was off: the refusal said the
    file kept "the place of a watch on another pipeline (postgresql:///sales), not the one
    in postgresql:///sales: give each database a file of its own", of one database (a
    trial). It says the database was replaced by a copy, and what to do."""
    _change(run, pg_database, "add", "First")
    place = tmp_path / "place"
    Watcher("--resume", str(place), env={"SALESPIPE_DB": pg_database}).stop()
    kept = place.read_text(encoding="utf-8")
    small = _made_earlier(run, tmp_path / "small.json")
    _change(run, pg_database, "copy", str(small), pg_database, "--replace")

    said = _refused(run, pg_database, "--resume", str(place))
    assert "was replaced by a copy" in said, said
    assert "another pipeline" not in said, said
    assert "a file of its own" not in said, said
    assert "--since CHANGE" in said, said
    assert "ถูกแทนที่ด้วยสำเนา" in _refused(run, pg_database, "--resume", str(place), lang="th")
    assert place.read_text(encoding="utf-8") == kept


def test_a_place_that_cannot_be_kept_at_the_first_start_says_none_was_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FILE that cannot be written at the first start (a full disk) said "started again
    it resumes from the place kept there before": there was none. Once a place is kept,
    that is what it says; either way it is a write that failed (exit 4, which the
    shipped unit restarts), not a refusal (exit 1, which it leaves stopped)."""
    import errno

    from salespipe.core.errors import WriteFailed
    from salespipe.storage import safe_files

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    first = feed.Place(tmp_path / "place", "postgresql:///sales", lambda: None)
    with monkeypatch.context() as patched:
        patched.setattr(safe_files, "replace_atomically", full)
        with pytest.raises(WriteFailed) as refused:
            first.start(5)
    said = refused.value.message
    assert said.startswith(f"Could not keep the feed's place in {first.path} ("), said
    assert "kept there before" not in said, said

    assert first.start(5) is None  # (kept: 5)
    monkeypatch.setattr(safe_files, "replace_atomically", full)
    with pytest.raises(WriteFailed) as stopped:
        first.passed(6, False)
    assert "resumes from the place kept there before" in stopped.value.message


@pytest.mark.postgres
def test_the_place_of_one_copy_is_refused_on_another(
    run: Any, pg_database: str, pg_empty_database: str, tmp_path: Path
) -> None:
    """Two databases copied from one file hold the same pipeline (a copy keeps the
    moment it was made): the place of a watch on one was taken on the other, which then
    showed its whole history after that number as news (a trial). It is refused, and
    the sentence says how to go on if it is one database named otherwise."""
    source = _made_earlier(run, tmp_path / "team.json")
    for database in (pg_database, pg_empty_database):
        _change(run, database, "copy", str(source), database, "--replace")
    _change(run, pg_empty_database, "add", "Only in the second")
    place = tmp_path / "place"
    Watcher("--resume", str(place), env={"SALESPIPE_DB": pg_database}).stop()
    kept = place.read_text(encoding="utf-8")

    said = _refused(run, pg_empty_database, "--resume", str(place))
    assert f"keeps the place of a watch on {json.loads(kept)['database']}, not on" in said
    assert "start once with --since 1" in said, said
    assert place.read_text(encoding="utf-8") == kept
