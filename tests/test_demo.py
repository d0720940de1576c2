"""`demo`: a realistic pipeline in its own file, deterministic, consistent with its history."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from tests import replayed
from tests.checks import ok

from salespipe.app.pipeline import Pipeline

NOW = datetime.fromisoformat("2026-11-27T10:00:00+07:00")


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    return tmp_path / "demo" / "demo.json"


def make_demo(cli, path: Path, *args: str) -> dict:
    result = cli("demo", "--db", str(path), "--json", *args)
    ok(result)
    return json.loads(result.stdout)


def test_default_demo_shows_chart_report_and_how_to_explore(cli, demo_path) -> None:
    """40 deals, the chart, the report, and the command to look around."""
    result = cli("demo", "--db", str(demo_path))
    ok(result)
    assert "Open deals by stage" in result.stdout
    assert "Open pipeline" in result.stdout
    assert "Win rate" in result.stdout
    assert f"Explore it: export SALESPIPE_DB={demo_path}, then salespipe list" in result.stdout
    deals = Pipeline.open(demo_path).read().all_deals()
    assert len(deals) == 40
    statuses = Counter(d.status for d in deals)
    assert statuses["open"] == 18
    assert statuses["won"] > 0
    assert statuses["lost"] > 0


def test_a_thai_demo_counts_years_in_the_buddhist_era(cli, demo_path) -> None:
    """As every Thai report does (docs/thai.md): the demo's own charts said 2026."""
    result = cli("--lang", "th", "demo", "--db", str(demo_path))
    ok(result)
    assert "(ณ 27 พ.ย. 2569)" in result.stdout
    assert "2026)" not in result.stdout


def test_demo_is_varied_and_realistic(cli, demo_path) -> None:
    """Customers, owners, values vary; moves and losses have reasons; some deals are stale,
    have notes, next actions and quotes; all history lies in the last 120 days."""
    make_demo(cli, demo_path, "--deals", "120")
    snapshot = Pipeline.open(demo_path).read()
    deals = snapshot.all_deals()
    events = snapshot.events()
    assert len({d.customer for d in deals}) >= 10
    assert len({d.owner for d in deals}) == 5
    assert len({d.value for d in deals}) >= 60
    kinds = Counter(e.type for e in events)
    assert {"add", "move", "won", "lost", "note", "quote", "next"} <= set(kinds)
    assert all(e.reason for e in events if e.type == "lost")
    assert sum(1 for e in events if e.type == "move" and e.reason) > kinds["move"] / 2
    assert all(d.lost_reason for d in deals if d.status == "lost")
    assert cli.json("--db", str(demo_path), "stale")
    assert any(d.quote for d in deals if d.is_open)
    assert all((NOW - d.created_at).days < 120 for d in deals)
    assert all(e.at <= NOW for e in events)
    report = cli.json("--db", str(demo_path), "report")
    assert report["bottleneck"] is not None


def test_replaying_the_demo_rebuilds_its_deals(cli, demo_path) -> None:
    """Every deal replayed from the demo's events equals the stored deal: stage, status,
    value, stays, everything."""
    make_demo(cli, demo_path, "--deals", "300", "--seed", "5")
    snapshot = Pipeline.open(demo_path).read()
    stored = sorted(snapshot.all_deals(), key=lambda d: d.id)
    assert replayed.deals_as_of(snapshot.events(), NOW) == stored


def test_each_demo_deal_has_a_consistent_timeline(cli, demo_path) -> None:
    """A deal's events are in time order, its stays follow each other, and its open stay is
    the current stage."""
    make_demo(cli, demo_path, "--deals", "200", "--seed", "9")
    snapshot = Pipeline.open(demo_path).read()
    by_deal: dict[int, list] = {}
    for event in snapshot.events():
        by_deal.setdefault(event.deal_id, []).append(event)
    for deal in snapshot.all_deals():
        times = [e.at for e in by_deal[deal.id]]
        assert times == sorted(times)
        assert by_deal[deal.id][0].type == "add"
        assert deal.stays[0].entered == deal.created_at
        for earlier, later in zip(deal.stays, deal.stays[1:], strict=False):
            assert earlier.left is not None
            assert earlier.left <= later.entered
        assert deal.stays[-1].stage == deal.stage
        assert (deal.stays[-1].left is None) == deal.is_open
        if not deal.is_open:
            assert deal.stays[-1].left == deal.closed_at


def test_same_seed_same_demo_other_seed_other_demo(cli, tmp_path) -> None:
    """With the clock pinned, a seed always writes the same files."""
    first, second, third = (tmp_path / name / "d.json" for name in ("a", "b", "c"))
    make_demo(cli, first, "--seed", "3")
    make_demo(cli, second, "--seed", "3")
    make_demo(cli, third, "--seed", "4")
    for suffix in (".json", ".events.jsonl", ".closed.jsonl"):
        name = "d" + suffix
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes()
    assert (first.parent / "d.events.jsonl").read_bytes() != (
        third.parent / "d.events.jsonl"
    ).read_bytes()


def test_large_demo_looks_like_the_benchmark_data(cli, demo_path) -> None:
    """At larger sizes about 10 % of deals are open, with about 5 events per deal."""
    written = make_demo(cli, demo_path, "--deals", "2000")
    assert written["deals"] == 2000
    assert written["open"] == 200
    assert 4.5 <= written["events"] / 2000 <= 5.5
    snapshot = Pipeline.open(demo_path).read()
    assert len(snapshot.open_deals()) == 200
    counters = snapshot.counters()
    assert counters.next_deal_id == 2001
    assert counters.next_seq == written["events"] + 1


def test_thai_demo_uses_thai_names(cli, demo_path, monkeypatch) -> None:
    """With --lang th the stages, customers and reasons are Thai; otherwise English."""
    ok(cli("--lang", "th", "demo", "--db", str(demo_path), "--json"))
    snapshot = Pipeline.open(demo_path).read()
    assert snapshot.stages()[0].name == "ติดต่อนำเสนอ"
    assert all("\u0e00" <= d.customer[0] <= "\u0e7f" for d in snapshot.all_deals())
    english = demo_path.with_name("english.json")
    make_demo(cli, english)
    assert Pipeline.open(english).read().stages()[0].name == "Presented"


def test_demo_never_writes_over_a_real_pipeline(cli, db_path, snapshot_files) -> None:
    """A file that is not a demo is refused, exit 1, every byte kept."""
    ok(cli("add", "A real deal", "--value", "10k"))
    before = snapshot_files()
    result = cli("demo", "--db", str(db_path))
    assert result.exit_code == 1
    assert "not a demo" in result.stderr
    assert snapshot_files() == before
    assert cli("demo").exit_code == 1  # SALESPIPE_DB names the real file too


def test_demo_replaces_an_earlier_demo_nobody_changed(cli, demo_path) -> None:
    """Running demo again over an untouched demo file starts it afresh; once someone has
    changed it, it holds their work and demo refuses it (see test_first_use)."""
    make_demo(cli, demo_path, "--deals", "30")
    make_demo(cli, demo_path, "--deals", "10")
    assert len(Pipeline.open(demo_path).read().all_deals()) == 10
    ok(cli("--db", str(demo_path), "add", "Added while exploring"))
    assert cli("demo", "--db", str(demo_path)).exit_code == 1
    assert len(Pipeline.open(demo_path).read().all_deals()) == 11


def test_demo_without_db_goes_beside_the_default_file(cli, tmp_path, monkeypatch) -> None:
    """With no --db and no SALESPIPE_DB, the demo is demo.json in the user data folder."""
    monkeypatch.delenv("SALESPIPE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    written = json.loads(cli("demo", "--json", "--deals", "5").stdout)
    assert written["path"] == str(tmp_path / "xdg" / "salespipe" / "demo.json")
    assert not (tmp_path / "xdg" / "salespipe" / "pipeline.json").exists()


def test_demo_can_be_explored_and_undo_keeps_the_demo(cli, demo_path) -> None:
    """The demo itself is not an undoable change; a move made while exploring is."""
    make_demo(cli, demo_path, "--deals", "20")
    db = ("--db", str(demo_path))
    open_deal = cli.json(*db, "list")[0]
    target = "quoted" if open_deal["stage"] == "presented" else "presented"
    ok(cli(*db, "move", str(open_deal["id"]), target))
    ok(cli(*db, "undo"))
    assert cli(*db, "undo").exit_code == 1  # nothing more to undo
    assert len(cli.json(*db, "list", "--status", "all")) == 20


def test_demo_follows_the_language_set_in_your_pipeline(cli, demo_path) -> None:
    """Without --lang or a Thai locale, `config set lang th` in your pipeline makes it Thai."""
    ok(cli("config", "set", "lang", "th"))
    make_demo(cli, demo_path, "--deals", "5")
    assert Pipeline.open(demo_path).read().stages()[2].name == "เสนอราคา"


def test_a_demo_killed_before_it_committed_can_be_made_again(run, tmp_path, monkeypatch) -> None:
    """`kill -9` during a large demo left an empty pipeline at the path (a new file's
    main file is made first), and the next `demo` refused it as "not a demo". In the
    demo's own file (no --db), which nothing else writes, it is written over; a file
    named by --db may be one `init` made, and is refused saying it is empty."""
    monkeypatch.delenv("SALESPIPE_DB")
    data = tmp_path / "xdg"
    own = {"XDG_DATA_HOME": str(data), "HOME": str(tmp_path / "home")}
    for crash_at in (2, 5, 9):
        killed = run("demo", "--deals", "300", env={**own, "SALESPIPE_CRASH_AT": str(crash_at)})
        assert killed.returncode == -9, (crash_at, killed.stderr)
        again = run("demo", "--deals", "20", env=own)
        assert again.returncode == 0, (crash_at, again.stderr)
        assert "Wrote 20 demo deals" in again.stdout
        for made in data.rglob("demo.*"):
            made.unlink()
    named = tmp_path / "main.json"
    assert run("--db", str(named), "init", "--currency", "USD").returncode == 0
    refused = run("demo", "--db", str(named))
    assert refused.returncode == 1
    assert "holds an empty pipeline (made by `salespipe init`" in refused.stderr
    shown = run("--db", str(named), "config", "get", "currency")
    assert shown.stdout.strip() == "USD"


def test_the_demos_export_line_works_from_any_folder(cli, tmp_path, monkeypatch) -> None:
    """`demo --db demo.json` said `export SALESPIPE_DB=demo.json`: relative to a folder
    the next shell may not be in."""
    monkeypatch.chdir(tmp_path)
    result = cli("demo", "--db", "demo.json", "--deals", "20")
    assert result.exit_code == 0
    assert f"export SALESPIPE_DB={tmp_path / 'demo.json'}," in result.stdout
