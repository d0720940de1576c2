"""Reports computed on small hand-built histories, checked against numbers worked out by hand.

The clock is pinned at 2026-11-27 10:00 (Asia/Bangkok); English default stages:
Presented 10 % (7 days), Considering 25 % (14), Quoted 50 % (14), Negotiating 70 % (10),
Approved 90 % (7).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.checks import ok

pytestmark = pytest.mark.usefixtures("each_backend")


_BUILT: dict[str, dict[str, bytes]] = {}


def built_once(name: str, db_path: Path, build: Callable[[], None]) -> None:
    """Build a history through the CLI the first time; later tests get a copy of its files.

    The clock, user and file name are the same in every test, so the copy is byte for byte
    what building it again would write (and it keeps the suite fast).
    """
    folder = db_path.parent
    if name not in _BUILT:
        build()
        _BUILT[name] = {
            path.name: path.read_bytes()
            for path in folder.iterdir()
            if path.is_file() and not path.name.endswith(".lock")
        }
        return
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, data in _BUILT[name].items():
        (folder / file_name).write_bytes(data)


def add(cli, title: str, at: str, *extra: str) -> str:
    result = cli("add", title, "--at", at, "-q", *extra)
    ok(result)
    return result.stdout.strip()


@pytest.fixture
def funnel_history(cli, db_path) -> None:
    """Four deals created in October (and one in September) with a skip, losses and a reopen."""
    built_once("funnel", db_path, lambda: build_funnel_history(cli))


def build_funnel_history(cli) -> None:
    d1 = add(cli, "Skips a stage and wins", "2026-10-01 09:00", "--value", "120k")
    ok(cli("move", d1, "quoted", "--at", "2026-10-03 09:00"))
    ok(cli("move", d1, "negotiating", "--at", "2026-10-05 09:00"))
    ok(cli("move", d1, "approved", "--at", "2026-10-07 09:00"))
    ok(cli("won", d1, "--at", "2026-10-10 09:00"))
    d2 = add(cli, "Lost while considering", "2026-10-02 09:00")
    ok(cli("move", d2, "considering", "--at", "2026-10-04 09:00"))
    ok(cli("lost", d2, "--reason", "no budget", "--at", "2026-10-06 09:00"))
    d3 = add(cli, "Lost at once", "2026-10-03 09:00")
    ok(cli("lost", d3, "--reason", "wrong fit", "--at", "2026-10-04 09:00"))
    d4 = add(cli, "Lost when quoted, then reopened", "2026-10-05 09:00")
    ok(cli("move", d4, "considering", "--at", "2026-10-06 09:00"))
    ok(cli("move", d4, "quoted", "--at", "2026-10-07 09:00"))
    ok(cli("lost", d4, "--reason", "too dear", "--at", "2026-10-08 09:00"))
    ok(cli("reopen", d4, "--stage", "negotiating", "--at", "2026-10-09 09:00"))
    add(cli, "Created in September", "2026-09-20 09:00")


def test_funnel_counts_skips_reopens_and_losses(cli, funnel_history) -> None:
    """Reached counts a skipped stage as passed; lost counts the stage a deal is lost in now."""
    data = cli.json("funnel", "--since", "2026-10-01", "--until", "2026-10-31")
    assert (data["created"], data["won"], data["lost"], data["open"]) == (4, 1, 2, 1)
    assert data["win_rate"] == pytest.approx(1 / 3)
    steps = {s["key"]: s for s in data["stages"]}
    assert [s["key"] for s in data["stages"]] == [
        "presented",
        "considering",
        "quoted",
        "negotiating",
        "approved",
    ]
    assert [steps[k]["reached"] for k in steps] == [4, 3, 2, 2, 1]
    assert [steps[k]["lost"] for k in steps] == [1, 1, 0, 0, 0]
    assert steps["presented"]["conversion"] == 0.75
    assert steps["considering"]["conversion"] == pytest.approx(2 / 3)
    assert steps["quoted"]["conversion"] == 1.0
    assert steps["negotiating"]["conversion"] == 0.5
    assert steps["approved"]["conversion"] == 1.0  # the one that reached it was won
    assert steps["considering"]["reached_rate"] == 0.75


def test_funnel_without_period_includes_every_deal(cli, funnel_history) -> None:
    """With no --since, the September deal joins the cohort at the first stage."""
    data = cli.json("funnel")
    assert data["created"] == 5
    assert data["stages"][0]["reached"] == 5
    assert data["stages"][1]["reached"] == 3


def test_funnel_table_for_people(cli, funnel_history) -> None:
    """The human funnel shows reached, conversion and the win rate line."""
    result = cli("funnel", "--since", "2026-10-01")
    ok(result)
    row = next(line for line in result.stdout.splitlines() if line.startswith("Considering"))
    assert row.split() == ["Considering", "3", "75%", "67%", "1"]
    assert "4 created: 1 won, 2 lost, 1 open; win rate 33%" in result.stdout


def test_history_titles_say_the_day_they_are_seen_as_of(cli, funnel_history) -> None:
    """--as-of is named in the funnel's and the win rate's titles, beside their period
    (they said "all history", as if today's)."""
    funnel = cli("funnel", "--as-of", "2026-10-06")
    ok(funnel)
    assert "Funnel of the deals created (all history, as of 6 Oct 2026)" in funnel.stdout
    winrate = cli("winrate", "--since", "2026-10-01", "--as-of", "2026-10-06")
    ok(winrate)
    assert "(since 2026-10-01, as of 6 Oct 2026)" in winrate.stdout
    thai = cli("--lang", "th", "winrate", "--by", "reason", "--as-of", "2026-10-06")
    ok(thai)
    assert "(ทั้งหมดที่มี ณ 6 ต.ค. 2569)" in thai.stdout
    assert "as of" not in cli("funnel").stdout
    report = cli("report", "--as-of", "2026-10-06")  # its results too (a manager's trial)
    ok(report)
    assert "Results (all history, as of 6 Oct 2026)" in report.stdout


@pytest.fixture
def durations_history(cli, db_path) -> None:
    """Stays (in days): Presented 4, 2 and 6 (ongoing); Considering 20 and 24 (ongoing);
    Quoted 2 (ongoing)."""
    built_once("durations", db_path, lambda: build_durations_history(cli))


def build_durations_history(cli) -> None:
    a = add(cli, "A", "2026-11-01 10:00")
    ok(cli("move", a, "considering", "--at", "2026-11-05 10:00"))
    ok(cli("move", a, "quoted", "--at", "2026-11-25 10:00"))
    b = add(cli, "B", "2026-11-01 10:00")
    ok(cli("move", b, "considering", "--at", "2026-11-03 10:00"))
    add(cli, "C", "2026-11-21 10:00")


def test_durations_count_finished_and_ongoing_stays(cli, durations_history) -> None:
    """Median and mean include the stays still going on, measured up to now."""
    data = cli.json("durations")
    rows = {row["key"]: row for row in data["stages"]}
    presented = rows["presented"]
    assert (presented["stays"], presented["ongoing"]) == (3, 1)
    assert (presented["median_days"], presented["mean_days"]) == (4.0, 4.0)
    assert presented["over_target"] == 0
    considering = rows["considering"]
    assert (considering["stays"], considering["ongoing"]) == (2, 1)
    assert (considering["median_days"], considering["mean_days"]) == (22.0, 22.0)
    assert considering["over_target"] == 2
    assert (rows["quoted"]["median_days"], rows["quoted"]["ongoing"]) == (2.0, 1)
    assert rows["negotiating"]["stays"] == 0
    assert rows["negotiating"]["median_days"] is None


def test_bottleneck_is_the_median_most_over_target(cli, durations_history) -> None:
    """Considering's median (22) is 8 days over its 14: the bottleneck, marked in the table."""
    assert cli.json("durations")["bottleneck"] == "considering"
    assert cli.json("report")["bottleneck"]["key"] == "considering"
    result = cli("durations")
    row = next(line for line in result.stdout.splitlines() if line.startswith("Considering"))
    assert "bottleneck" in row


def test_no_bottleneck_while_every_median_is_within_target(cli, durations_history) -> None:
    """Raising Considering's target to 30 days leaves no stage over its target."""
    ok(cli("stage", "set", "considering", "--target-days", "30"))
    assert cli.json("durations")["bottleneck"] is None
    said = cli("durations").stdout
    assert "No bottleneck: every stage's median is within its target." in said


def test_a_switched_off_stage_over_its_target_is_said_not_to_count(cli) -> None:
    """A switched-off stage is never the bottleneck; the line under the table said every
    stage's median was within its target while its row showed it 13.5 days over 10."""
    ok(cli("init"))
    ok(cli("add", "A", "--value", "1000", "--at", "2026-11-01"))
    ok(cli("move", "1", "quoted", "--at", "2026-11-05"))
    ok(cli("move", "1", "negotiating", "--at", "2026-11-10"))
    ok(cli("won", "1", "--at", "2026-11-12"))
    ok(cli("add", "B", "--value", "500", "--at", "2026-11-01"))
    ok(cli("move", "2", "quoted", "--at", "2026-11-03"))
    ok(cli("lost", "2", "--reason", "price", "--at", "2026-11-25"))
    for key in ("presented", "negotiating"):
        ok(cli("stage", "set", key, "--target-days", "30"))
    ok(cli("stage", "set", "quoted", "--target-days", "10"))
    assert cli.json("durations")["bottleneck"] == "quoted"
    ok(cli("stage", "disable", "quoted"))

    assert cli.json("durations")["bottleneck"] is None
    said = " ".join(cli("durations").stdout.split())
    assert "every stage's median is within its target" not in said
    assert "every stage in use has its median within its target" in said
    assert "a switched-off stage is never the bottleneck" in said


def test_without_targets_the_longest_median_is_the_bottleneck(cli, durations_history) -> None:
    """When no stage has a target, the bottleneck is simply the longest median, and the
    line under the table says so (it said "the median most over its target")."""
    for key in ("presented", "considering", "quoted", "negotiating", "approved"):
        ok(cli("stage", "set", key, "--target-days", "none"))
    assert cli.json("durations")["bottleneck"] == "considering"
    said = cli("durations").stdout
    assert "Bottleneck: Considering, the longest median (no stage with stays" in said


def test_the_longest_median_is_said_when_only_stages_without_stays_have_targets(cli) -> None:
    """A target on a stage no deal has been in does not make the longest median "the
    median most over its target" (the footer said so of a stage without a target)."""
    ok(cli("stage", "add", "Site visit", "--after", "considering", "--target-days", "none"))
    ok(cli("add", "A", "--stage", "Site", "--at", "2026-10-01"))
    durations = cli.json("durations")
    assert durations["bottleneck"] == "site-visit"
    said = cli("durations").stdout
    assert "Bottleneck: Site visit, the longest median (no stage with stays has target" in said


def test_no_bottleneck_before_any_stay(cli) -> None:
    """A new pipeline's durations said every stage's median was within its target."""
    ok(cli("init"))
    assert "No bottleneck: no deal has been in a stage yet." in cli("durations").stdout


def test_win_rate_by_count_and_by_value(cli, pipeline) -> None:
    """Won 100k + 300k, lost 600k in November: 2 of 3 by count, 40 % by value."""
    for title, value, outcome, owner in (
        ("W1", "100k", "won", "ann"),
        ("W2", "300k", "won", "bob"),
        ("L1", "600k", "lost", "bob"),
    ):
        deal = add(cli, title, "2026-11-02 09:00", "--value", value, "--owner", owner)
        args = ("--reason", "price") if outcome == "lost" else ()
        ok(cli(outcome, deal, *args, "--at", "2026-11-10 09:00"))
    old = add(cli, "Lost in October", "2026-10-01 09:00", "--value", "50k")
    ok(cli("lost", old, "--reason", "gone", "--at", "2026-10-15 09:00"))
    data = cli.json("winrate", "--since", "2026-11-01", "--by", "owner")
    assert (data["won"], data["lost"]) == (2, 1)
    assert data["rate"] == pytest.approx(2 / 3)
    assert data["value_rate"] == {"THB": 0.4}
    assert data["won_value"] == {"THB": 400000}
    groups = {g["group"]: g for g in data["groups"]}
    assert (groups["ann"]["won"], groups["ann"]["lost"], groups["ann"]["rate"]) == (1, 0, 1.0)
    assert groups["bob"]["value_rate"] == {"THB": 0.3333333333333333}
    everything = cli.json("winrate")
    assert (everything["won"], everything["lost"]) == (2, 2)
    assert everything["value_rate"] == {"THB": pytest.approx(400 / 1050)}


def test_win_rate_never_adds_currencies(cli, pipeline) -> None:
    """A won USD deal has its own value rate; THB and USD are never summed."""
    thb = add(cli, "Baht", "2026-11-02 09:00", "--value", "100k")
    ok(cli("lost", thb, "--reason", "price", "--at", "2026-11-03 09:00"))
    usd = add(cli, "Dollars", "2026-11-02 09:00", "--value", "1000", "--currency", "USD")
    ok(cli("won", usd, "--at", "2026-11-03 09:00"))
    data = cli.json("winrate", "--by", "stage")
    assert data["value_rate"] == {"THB": 0.0, "USD": 1.0}
    assert data["groups"][0]["name"] == "Presented"


def test_forecast_rows_past_due_months_later_and_undated(cli, pipeline) -> None:
    """Open deals fall in their expected-close rows, weighted by stage; won value per month."""
    add(cli, "Past due", "2026-11-01 09:00", "--value", "100k", "--close", "2026-11-20")
    add(
        cli,
        "December",
        "2026-11-01 09:00",
        "--value",
        "200k",
        "--close",
        "2026-12-15",
        "--stage",
        "quoted",
    )
    add(cli, "Undated", "2026-11-01 09:00", "--value", "50k", "--stage", "approved")
    add(
        cli,
        "This month",
        "2026-11-01 09:00",
        "--value",
        "80k",
        "--close",
        "2026-11-30",
        "--stage",
        "negotiating",
    )
    add(
        cli,
        "Much later",
        "2026-11-01 09:00",
        "--value",
        "10k",
        "--close",
        "2027-06-01",
        "--prob",
        "20",
    )
    won = add(cli, "Won in November", "2026-11-01 09:00", "--value", "300k")
    ok(cli("won", won, "--at", "2026-11-05 09:00"))
    won_earlier = add(cli, "Won in September", "2026-09-01 09:00", "--value", "40k")
    ok(cli("won", won_earlier, "--at", "2026-09-10 09:00"))
    data = cli.json("forecast", "--months", "3")
    rows = {row["period"]: row for row in data["rows"]}
    assert list(rows) == [
        "2026-08",
        "2026-09",
        "2026-10",
        "past due",
        "2026-11",
        "2026-12",
        "2027-01",
        "later",
        "no date",
    ]
    assert rows["past due"]["weighted_value"] == {"THB": 10000}
    assert rows["2026-12"]["value"] == {"THB": 200000}
    assert rows["2026-12"]["weighted_value"] == {"THB": 100000}
    assert rows["no date"]["weighted_value"] == {"THB": 45000}
    assert rows["later"]["weighted_value"] == {"THB": 2000}
    assert rows["2026-11"]["weighted_value"] == {"THB": 56000}
    assert rows["2026-11"]["won_value"] == {"THB": 300000}
    assert rows["2026-11"]["expected"] == {"THB": 356000}
    assert rows["2026-09"]["won_value"] == {"THB": 40000}
    assert rows["2026-09"]["count"] == 0


def test_forecast_for_people_has_table_and_chart(cli, pipeline) -> None:
    """The human forecast prints the table and then its monthly bars with numbers."""
    add(cli, "Undated", "2026-11-01 09:00", "--value", "50k", "--stage", "approved")
    result = cli("forecast", "--width", "60")
    ok(result)
    assert "no date" in result.stdout
    bar = next(line for line in result.stdout.splitlines() if line.startswith("no date┤"))
    assert bar.rstrip("│ ").endswith("█ ฿45,000")


def test_report_summarises_pipeline_and_period(cli, funnel_history) -> None:
    """One screen: open pipeline, won/lost, win rate, deal size, sales cycle, stale count."""
    data = cli.json("report", "--since", "2026-10-01", "--until", "2026-10-31")
    assert data["open"]["count"] == 2  # the reopened deal and the September one
    assert data["open"]["stages"][0]["count"] == 1
    assert (data["won"]["count"], data["lost"]["count"]) == (1, 2)
    assert data["win_rate"] == pytest.approx(1 / 3)
    assert data["average_sales_cycle_days"] == 9.0  # created 10-01, won 10-10
    assert data["average_deal_size"] == {"THB": 120000}
    assert data["stale"] == 2  # 68 days in Presented, 49 days in Negotiating
    result = cli("report")
    ok(result)
    assert "Win rate" in result.stdout
    assert "Stale deals" in result.stdout


def test_report_weighted_value_uses_override_and_stage(cli, pipeline) -> None:
    """Weighted = value × probability: the deal's own 80 % beats Quoted's 50 %."""
    add(
        cli,
        "Own probability",
        "2026-11-20 09:00",
        "--value",
        "100k",
        "--stage",
        "quoted",
        "--prob",
        "80",
    )
    add(cli, "Stage probability", "2026-11-20 09:00", "--value", "100k", "--stage", "quoted")
    quoted = cli.json("report")["open"]["stages"][2]
    assert quoted["value"] == {"THB": 200000}
    assert quoted["weighted_value"] == {"THB": 130000}


def test_stale_lists_overdue_deals_longest_first(cli, pipeline) -> None:
    """Days over target decide the order; deals within target are left out."""
    first = add(cli, "Ten over", "2026-11-10 10:00")  # 17 days in Presented (7)
    ok(cli("next", first, "Call them", "--due", "2026-11-28"))
    add(cli, "Twenty over", "2026-10-31 10:00")  # 27 days
    add(cli, "Fresh", "2026-11-25 10:00")
    data = cli.json("stale")
    assert [(d["title"], d["days_in_stage"], d["days_over"]) for d in data] == [
        ("Twenty over", 27, 20),
        ("Ten over", 17, 10),
    ]
    assert data[1]["next_action"] == {"text": "Call them", "due": "2026-11-28"}
    assert "Call them" in cli("stale").stdout


@pytest.mark.parametrize("columns", [60, 80, 140])
def test_stale_names_each_deals_owner_and_value_at_any_width(
    cli, pipeline, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """A manager sees whose deal it is and what it is worth, the value whole with its
    currency, at 60, 80 and 140 columns; what does not fit is said below the table."""
    add(cli, "Warehouse racking", "2026-11-10 10:00", "--owner", "malee", "--value", "1.5m")
    add(cli, "Fleet telematics", "2026-10-31 10:00", "--owner", "chai", "--value", "25000")
    ok(cli("edit", "2", "--currency", "USD"))
    monkeypatch.setenv("COLUMNS", str(columns))
    shown = cli("stale")
    ok(shown)
    lines = shown.stdout.splitlines()
    assert all(len(line) <= columns for line in lines), shown.stdout
    assert [word for word in lines[1].split() if word in ("Owner", "Value")] == ["Owner", "Value"]
    fleet, racking = lines[2].split(), lines[3].split()
    assert "chai" in fleet, shown.stdout
    assert "USD 25,000.00" in lines[2], shown.stdout
    assert {"malee", "฿1,500,000.00"} <= set(racking), shown.stdout
    thai = cli("--lang", "th", "stale")
    ok(thai)
    header = thai.stdout.splitlines()[1]
    assert [word for word in header.split() if word in ("ผู้ดูแล", "มูลค่า")] == ["ผู้ดูแล", "มูลค่า"]
    assert {"malee", "฿1,500,000.00"} <= set(thai.stdout.splitlines()[3].split())


def test_stale_has_no_due_column_when_no_deal_has_a_next_action(
    cli, pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column of dashes took 11 cells at 80 columns while titles were cut (a Thai
    user's trial): a deal without a next action has no due day, as in list, and a
    column with none is left out."""
    add(cli, "Warehouse racking", "2026-11-10 10:00")
    add(cli, "Fleet telematics", "2026-10-31 10:00")
    monkeypatch.setenv("COLUMNS", "80")
    header = cli("stale").stdout.splitlines()[1].split()
    assert "Due" not in header
    assert "—" not in cli("stale").stdout


def test_the_html_stale_table_says_what_its_overdue_mark_means(cli, pipeline) -> None:
    """The page showed "2026-11-20!" with no legend and no colour (a review): the cell
    is set as overdue and the legend is under the table, as in the terminal."""
    first = add(cli, "Warehouse racking", "2026-11-10 10:00")
    ok(cli("next", first, "Call them", "--due", "2026-11-20"))
    page = cli("report", "--html", "-").stdout
    stale = page[page.index("Deals over their stage") :]
    stale = stale[: stale.index("</section>")]
    assert '<td class="overdue">2026-11-20!</td>' in stale
    assert '<p class="note">! next action overdue</p>' in stale


def test_winrate_without_by_heads_its_all_row_with_no_word(cli, pipeline) -> None:
    """Without --by the first column said "Deals" above its one row, "All" (a trial): it
    read as a count. It has no heading; with --by it names the grouping."""
    add(cli, "Printer fleet", "2026-11-10 10:00", "--value", "100k")
    ok(cli("won", "1"))
    header, row = cli("winrate").stdout.splitlines()[1:3]
    assert header.split()[0] == "Won"
    assert row.split()[:3] == ["All", "1", "0"]
    assert cli("winrate", "--by", "owner").stdout.splitlines()[1].split()[0] == "Owner"
    thai = cli("--lang", "th", "winrate").stdout.splitlines()[1]
    assert "ดีล" not in thai


def test_the_html_forecast_chart_shows_nothing_expected_as_the_table_does(cli, pipeline) -> None:
    """The page's chart said "past due: ฿0" (and "no date: ฿0" from history) where the
    table says "—" (a trial): a bar of nothing reads "—" there too (a month with nothing
    won); a past-due or no-date row of no deals is left out, as the table leaves it."""
    add(cli, "Printer fleet", "2026-11-10 10:00", "--value", "100k", "--close", "2027-01-15")
    for method in ("stage", "history"):
        page = cli("forecast", "--method", method, "--html", "-").stdout
        assert "<title>2026-08: —</title>" in page, method
        assert "<title>past due:" not in page, method
        assert "<title>no date:" not in page, method
        assert ": ฿0</title>" not in page, method
        assert ">฿0</text>" not in page, method


def test_owner_filter_applies_to_reports(cli, pipeline) -> None:
    """--owner keeps only that owner's deals (case ignored)."""
    add(cli, "Mine", "2026-11-20 09:00", "--owner", "Ann")
    add(cli, "Theirs", "2026-11-20 09:00", "--owner", "Bob")
    assert cli.json("chart", "--owner", "ann")["stages"][0]["count"] == 1
    assert cli.json("report", "--owner", "bob")["open"]["count"] == 1
    assert cli.json("report", "--owner", "nobody")["open"]["count"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("chart", "--by", "size"), '--by "size" is not one of count, value, weighted'),
        (("winrate", "--by", "colour"), "is not one of owner, month, stage"),
        (("report", "--since", "2026-11-10", "--until", "2026-11-01"), "is after --until"),
        (("funnel", "--since", "someday"), "is not a date"),
        (("chart", "--as-of", "2027-01-01"), "is in the future"),
    ],
)
def test_bad_report_options_are_one_sentence_errors(cli, pipeline, args, message) -> None:
    """Unknown choices and impossible dates exit 1 with a sentence on stderr."""
    result = cli(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_reports_on_an_empty_pipeline(cli, pipeline) -> None:
    """With no deals every report answers with zeros and no rates, not an error."""
    cli("init")
    assert cli.json("report")["win_rate"] is None
    assert cli.json("winrate")["rate"] is None
    assert cli.json("funnel")["created"] == 0
    assert cli.json("durations")["bottleneck"] is None
    assert cli.json("stale") == []
    for command in ("report", "funnel", "durations", "winrate", "stale", "forecast", "chart"):
        ok(cli(command))


@pytest.mark.parametrize("lang", ["en", "th"])
def test_stale_too_wide_for_the_terminal_is_a_short_card_a_deal(cli, lang: str) -> None:
    """Where its table did not fit (60 columns, a trial in tmux) stale showed each deal
    one field per line, every label again on every deal: 461 lines for 51 deals. Each
    deal is now a card of two lines (three with a next action) that keeps its title,
    stage, days in the stage and over the target, owner, value, and next action with
    its due day, marked "!" when overdue."""
    from salespipe.present import textwidth
    from test_terminal_width import ANSI, in_terminal

    ok(cli("--lang", lang, "init"))
    for number in range(1, 13):
        action = ["--next", "Chase the purchase order", "--due", "2026-11-20"]
        owner = ["-o", "somchai.k", "-v", "12500000.50"]
        add(
            cli,
            f"Warehouse racking {number}",
            "2026-10-01 10:00",
            *owner,
            *action[: number % 2 * 4],
        )
    shown = ANSI.sub("", in_terminal(("--lang", lang, "stale"), 60)).splitlines()
    assert all(textwidth.width(line) <= 60 for line in shown), shown
    cards = [line for line in shown if line.startswith("  ") or "  Warehouse" in line]
    assert len(cards) == 12 * 2 + 6, shown  # (the title, the rest: each on one line here)
    stage, days = (
        ("Presented", "57 days, 50 over") if lang == "en" else ("ติดต่อนำเสนอ", "57 วัน เกิน 50")
    )
    first = shown.index("1  Warehouse racking 1")
    assert shown[first + 1] == f"  {stage} · {days} · somchai.k · ฿12,500,000.50", shown
    year = "2026" if lang == "en" else "2569"
    assert shown[first + 2] == f"  {year}-11-20! Chase the purchase order", shown
    assert shown[first + 3] == "2  Warehouse racking 2", shown
    assert len(shown) < 12 * 3 + 8, shown
