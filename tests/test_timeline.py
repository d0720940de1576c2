"""--as-of: reports computed from the events as the pipeline stood at the end of a day."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from tests import replayed
from tests.checks import ok

from salespipe.core.errors import InvalidValue
from salespipe.reports import timeline
from test_reports import built_once

pytestmark = pytest.mark.usefixtures("each_backend")


@pytest.fixture
def moved_and_edited(cli, db_path) -> None:
    """Deal 1: 100k in Presented from 11-01, moved to Quoted on 11-10, value 250k today.
    Deal 2: added 11-15 and won 11-20."""
    built_once("moved and edited", db_path, lambda: build_moved_and_edited(cli))


def build_moved_and_edited(cli) -> None:
    ok(cli("add", "Printer fleet", "--value", "100k", "--at", "2026-11-01 09:00"))
    ok(cli("move", "1", "quoted", "--reason", "asked for a price", "--at", "2026-11-10 09:00"))
    ok(cli("edit", "1", "--value", "250k"))  # edits happen now: 2026-11-27 10:00
    ok(cli("add", "Scanner", "--value", "40k", "--at", "2026-11-15 09:00"))
    ok(cli("won", "2", "--at", "2026-11-20 09:00"))


def counts(data) -> dict[str, int]:
    return {row["key"]: row["count"] for row in data["stages"] if row["count"]}


def test_before_the_move_the_deal_is_in_its_first_stage(cli, moved_and_edited) -> None:
    """At the end of 11-05 deal 1 was in Presented, worth 100k, and deal 2 did not exist."""
    data = cli.json("chart", "--as-of", "2026-11-05", "--by", "value")
    assert data["as_of"] == "2026-11-05"
    assert counts(data) == {"presented": 1}
    assert data["stages"][0]["value"] == {"THB": 100000}
    assert data["stages"][0]["weighted_value"] == {"THB": 10000}


@pytest.mark.parametrize(
    "report", ["chart", "report", "forecast", "funnel", "durations", "winrate", "check"]
)
def test_every_report_of_a_past_day_names_the_day_in_its_json(cli, moved_and_edited, report):
    """winrate and funnel --json said no day while their titles said "as of 5 Nov 2026" (a
    trial): a script reading them could not tell a past day's figures from today's. Every
    report that takes --as-of says it as the others do (stale prints a list of deals)."""
    for asked, day in ((["--as-of", "2026-11-05"], "2026-11-05"), ([], "2026-11-27")):
        said = cli(report, *asked, "--json")  # (check exits 3 with something to do)
        assert said.exit_code in (0, 3), said.stderr
        assert json.loads(said.stdout)["as_of"] == day, (report, asked)


def test_on_the_day_of_the_move_the_deal_has_moved(cli, moved_and_edited) -> None:
    """The end of 11-10 includes the 09:00 move; deal 2 (added 11-15) is not there yet."""
    assert counts(cli.json("chart", "--as-of", "2026-11-10")) == {"quoted": 1}


def test_before_and_after_the_value_edit(cli, moved_and_edited) -> None:
    """The value edit of today is not in yesterday's pipeline, and is in today's."""
    before = cli.json("chart", "--as-of", "2026-11-26")["stages"][2]
    assert before["value"] == {"THB": 100000}
    assert before["weighted_value"] == {"THB": 50000}
    today = cli.json("chart", "--as-of", "2026-11-27")["stages"][2]
    assert today["value"] == {"THB": 250000}
    assert cli.json("chart")["stages"][2]["value"] == {"THB": 250000}


def test_won_deal_is_open_before_its_win(cli, moved_and_edited) -> None:
    """Deal 2 is open in Presented on 11-18 and counted won from 11-20."""
    assert counts(cli.json("chart", "--as-of", "2026-11-18")) == {"presented": 1, "quoted": 1}
    before = cli.json("report", "--as-of", "2026-11-18")
    assert (before["won"]["count"], before["open"]["count"]) == (0, 2)
    after = cli.json("report", "--as-of", "2026-11-20")
    assert after["won"]["value"] == {"THB": 40000}
    assert after["open"]["count"] == 1


def test_stays_and_days_are_measured_up_to_the_as_of_day(cli, moved_and_edited) -> None:
    """As of 11-08, deal 1 has spent 7 days in Presented: not yet stale (target 7)."""
    assert cli.json("stale", "--as-of", "2026-11-08") == []
    stale = cli.json("stale", "--as-of", "2026-11-09")
    assert [(d["id"], d["days_in_stage"], d["days_over"]) for d in stale] == [(1, 8, 1)]
    durations = cli.json("durations", "--as-of", "2026-11-09")
    presented = durations["stages"][0]
    assert (presented["stays"], presented["ongoing"]) == (1, 1)
    assert presented["median_days"] == pytest.approx(8.6, abs=0.05)


def test_undone_changes_are_skipped(cli, moved_and_edited) -> None:
    """A move that was undone never happened as far as --as-of is concerned."""
    ok(cli("move", "1", "negotiating"))
    ok(cli("undo"))
    assert counts(cli.json("chart", "--as-of", "2026-11-27")) == {"quoted": 1}


def test_deleted_deal_is_gone_after_its_deletion(cli, moved_and_edited) -> None:
    """A deal deleted today still shows yesterday, and not today."""
    ok(cli("delete", "1", "--yes"))
    assert counts(cli.json("chart", "--as-of", "2026-11-26")) == {"quoted": 1}
    assert counts(cli.json("chart", "--as-of", "2026-11-27")) == {}


def test_stage_renamed_later_shows_its_old_name(cli, moved_and_edited) -> None:
    """Stage names and probabilities are rolled back to the day asked for."""
    ok(cli("stage", "rename", "quoted", "Proposal"))
    ok(cli("stage", "set", "quoted", "--prob", "60"))
    then = cli.json("chart", "--as-of", "2026-11-26")["stages"][2]
    assert (then["name"], then["weighted_value"]) == ("Quoted", {"THB": 50000})
    now = cli.json("chart")["stages"][2]
    assert (now["name"], now["weighted_value"]) == ("Proposal", {"THB": 150000})


def test_as_of_reads_the_journal_and_matches_the_present(cli, moved_and_edited, pipeline) -> None:
    """Replaying every event up to now rebuilds exactly the deals the store holds."""
    snapshot = pipeline.read()
    rebuilt = replayed.deals_as_of(
        snapshot.events(), datetime.fromisoformat("2026-11-27T10:00:00+07:00")
    )
    assert rebuilt == sorted(snapshot.all_deals(), key=lambda d: d.id)


def test_cutoff_is_the_end_of_the_day_but_never_after_now() -> None:
    """A past day ends at 23:59:59; today ends now; a future day is refused."""
    from datetime import date

    assert timeline.cutoff(date(2026, 11, 1)).isoformat() == "2026-11-01T23:59:59+07:00"
    assert timeline.cutoff(date(2026, 11, 27)).isoformat() == "2026-11-27T10:00:00+07:00"
    with pytest.raises(InvalidValue):
        timeline.cutoff(date(2026, 11, 28))


def test_deals_entered_in_the_past_in_stages_made_today_are_in_the_past_view(cli) -> None:
    """A new user sets up the stages first, then enters last month's deals with --at:
    the stage (and a pipeline of such stages) did not exist yet on the day asked for,
    but its deals did. They were left out of every --as-of view, without a word."""
    ok(cli("stage", "add", "Design", "--after", "considering"))
    ok(cli("add", "Cooling", "--value", "400k", "--stage", "Design", "--at", "2026-11-05"))
    ok(cli("add", "Lights", "--value", "100k", "--at", "2026-11-05"))
    report = cli.json("report", "--as-of", "2026-11-10")
    assert report["open"]["count"] == 2
    assert report["open"]["value"] == {"THB": 500000}
    chart = cli.json("chart", "--as-of", "2026-11-10")
    assert [(row["name"], row["count"]) for row in chart["stages"][:4]] == [
        ("Presented", 1),
        ("Considering", 0),
        ("Design", 1),  # where it stands now: after Considering
        ("Quoted", 0),
    ]
    assert cli.json("funnel", "--as-of", "2026-11-10")["created"] == 2
    durations = cli.json("durations", "--as-of", "2026-11-10")
    assert "design" in {row["key"] for row in durations["stages"]}


def test_such_a_stage_stays_where_it_was_put_among_stages_added_since(cli) -> None:
    """Made after Negotiating while Demo (made before it) stood in the list, Legal
    review kept its number then, 6, and came after Approved in the past view: the
    funnel counted its deal as having reached Approved."""
    ok(cli("stage", "add", "Demo", "--after", "presented"))
    ok(cli("stage", "add", "Legal review", "--after", "negotiating", "--prob", "80"))
    ok(cli("add", "Old deal", "--stage", "legal", "--value", "10k", "--at", "2026-11-20"))
    chart = cli.json("chart", "--as-of", "2026-11-22")
    assert [row["name"] for row in chart["stages"]] == [
        "Presented",
        "Considering",
        "Quoted",
        "Negotiating",
        "Legal review",
        "Approved",
    ]
    funnel = {
        row["key"]: row["reached"] for row in cli.json("funnel", "--as-of", "2026-11-22")["stages"]
    }
    assert funnel["approved"] == 0
    assert funnel["legal-review"] == 1


def test_stages_an_import_made_keep_their_places_beside_a_switched_off_one(cli, tmp_path) -> None:
    """Two stages made by one import, Approved switched off before: Legal came after
    Approved in the past view (its neighbour was taken from a half-rolled-back list)."""
    ok(cli("stage", "disable", "approved"))
    sheet = tmp_path / "x.csv"
    sheet.write_text("title,stage\nP,Pilot\nL,Legal\n", encoding="utf-8")
    ok(cli("import", str(sheet), "--create-stages"))
    ok(cli("add", "Old", "--stage", "legal", "--at", "2026-11-20"))
    past = [row["key"] for row in cli.json("chart", "--as-of", "2026-11-22")["stages"]]
    assert past[past.index("negotiating") + 1] == "legal"
    reached = {
        row["key"]: row["reached"] for row in cli.json("funnel", "--as-of", "2026-11-22")["stages"]
    }
    assert reached["legal"] == 1
    assert reached["approved"] == 0


def test_a_pipeline_made_today_shows_the_deals_entered_in_its_past(cli) -> None:
    ok(cli("pipeline", "add", "Renewals", "--stages", "empty"))
    ok(cli("stage", "add", "แจ้งเตือนต่ออายุ", "-P", "Renewals"))
    ok(cli("stage", "add", "เสนอราคา", "-P", "Renewals"))
    ok(cli("add", "MA 2027", "--value", "60k", "-P", "Renewals", "--at", "2026-11-06"))
    ok(cli("won", "1", "--reason", "signed", "--at", "2026-11-19"))
    ok(cli("add", "Renewal B", "--value", "90k", "-P", "Renewals", "--at", "2026-11-10"))
    rate = cli.json("winrate", "-P", "Renewals", "--as-of", "2026-11-20")
    assert (rate["won"], rate["lost"]) == (1, 0)
    chart = cli.json("chart", "-P", "Renewals", "--as-of", "2026-11-20")
    # Only the stage its deal was in: the pipeline's other stage had no deal then.
    assert [(row["name"], row["count"]) for row in chart["stages"]] == [("แจ้งเตือนต่ออายุ", 1)]


def test_the_backtest_keeps_such_a_stage_as_the_past_view_does(cli) -> None:
    """The backtest forecast each month from its first day with the stages as they were
    then, without the one its deals were in: ฿0 where forecast --as-of the day before
    said ฿120,000."""
    ok(cli("stage", "add", "Site visit", "--after", "considering", "--prob", "40"))
    for title, value, at, close in (
        ("A", "100k", "2026-08-10", "2026-10-20"),
        ("B", "200k", "2026-08-12", "2026-10-25"),
    ):
        ok(cli("add", title, "--value", value, "--at", at, "--close", close, "--stage", "Site"))
    ok(cli("won", "1", "--at", "2026-10-20"))
    ok(cli("lost", "2", "--reason", "price", "--at", "2026-10-26"))
    past = cli.json("forecast", "--as-of", "2026-09-30")
    october = next(row for row in past["rows"] if row["period"] == "2026-10")
    assert october["weighted_value"] == {"THB": 120000}
    tested = cli.json("forecast", "--backtest", "--months", "2")
    by_month = {row["month"]: row["forecast"]["stage"] for row in tested["by_month"]}
    assert by_month["2026-10"] == 120000


# -- deals closed from a stage not known, seen as of a day before they closed -------------
# Salesforce's "Closed Lost" and "Closed Won" name no stage: the import puts the lost
# deal in the first stage, the won one in the last (docs/forecasting.md).
CLOSED_WITHOUT_STAGE = (
    "Opportunity Name,Account Name,Amount,Stage,Close Date,Created Date,Probability (%)\n"
    "Big deal,Acme,1000000,Closed Lost,2026-10-15,2026-06-01,0\n"
    "Won deal,Beta,500000,Closed Won,2026-10-20,2026-06-05,100\n"
    "Open deal,Gamma,200000,Quoted,2026-12-20,2026-06-10,40\n"
)
PLACED = {"presented": 1, "approved": 1}
PLACED_LINE = (
    "2 of these deals were imported closed without the stage they closed from; they are "
    "counted in Presented (1) and Approved (1), where the import put them."
)


def answer(cli, *args: str) -> dict:
    """The JSON of a report, whatever its exit code (``check`` exits 3 with alerts)."""
    return json.loads(cli(*args, "--json").stdout)


@pytest.fixture
def closed_without_stage(cli, tmp_path) -> None:
    sheet = tmp_path / "salesforce.csv"
    sheet.write_text(CLOSED_WITHOUT_STAGE, encoding="utf-8")
    ok(cli("import", str(sheet)))


def test_a_past_view_says_which_deals_sit_in_a_stage_only_where_the_import_put_them(
    cli, closed_without_stage
) -> None:
    """`chart --as-of 2025-06-30 --by value` showed "Presented ฿1,295,160,000", all of it
    deals lost later whose stage nobody knows, and nothing said so: a board compared it
    with the old CRM's Presented. The figures stay; a line under them, and a key of the
    JSON, say how many are there only because the import put them there."""
    chart = cli.json("chart", "--as-of", "2026-08-01", "--by", "value")
    assert counts(chart) == {"presented": 1, "quoted": 1, "approved": 1}  # (unchanged)
    assert chart["stage_unknown"] == PLACED
    assert cli.json("report", "--as-of", "2026-08-01")["stage_unknown"] == PLACED
    assert cli.json("forecast", "--as-of", "2026-08-01")["stage_unknown"] == PLACED
    assert answer(cli, "check", "--as-of", "2026-08-01")["stage_unknown"] == PLACED
    for command in ("chart", "report", "stale"):
        shown = ok(cli(command, "--as-of", "2026-08-01")).stdout
        assert PLACED_LINE in shown.splitlines() or PLACED_LINE in shown, (command, shown)
    forecast = ok(cli("forecast", "--as-of", "2026-08-01")).stdout
    assert "they are weighed as deals of Presented (1) and Approved (1)" in forecast
    check = cli("check", "--as-of", "2026-08-01").stdout
    assert "they are stale in Presented (1) and Approved (1)" in check
    thai = ok(cli("--lang", "th", "chart", "--as-of", "2026-08-01")).stdout
    assert "Presented (1) และ Approved (1)" in thai


def test_one_such_deal_is_named_alone_and_the_owner_narrows_them(cli, closed_without_stage) -> None:
    """As of the day after the lost deal closed, only the won one is still open."""
    chart = cli.json("chart", "--as-of", "2026-10-16")
    assert chart["stage_unknown"] == {"approved": 1}
    shown = ok(cli("chart", "--as-of", "2026-10-16")).stdout
    assert "1 of these deals was imported closed without the stage it closed from; it is" in (
        " ".join(shown.split())
    )
    assert "stage_unknown" not in cli.json("chart", "--as-of", "2026-08-01", "--owner", "x")


def test_a_past_view_after_they_closed_says_nothing_of_them(cli, closed_without_stage) -> None:
    """Closed, they are in no stage's figures: no line, and the JSON as it always was."""
    for command in ("chart", "report", "forecast", "stale", "check"):
        assert "stage_unknown" not in answer(cli, command, "--as-of", "2026-10-31"), command
        assert "where the import put" not in cli(command, "--as-of", "2026-10-31").stdout
        assert "stage_unknown" not in json.dumps(answer(cli, command)), command  # today


def test_a_pipeline_without_such_deals_says_nothing_of_them(cli, closed_without_stage) -> None:
    """Another pipeline's past view (and its section of --pipeline all) counts none."""
    ok(cli("pipeline", "add", "Renewals", "--stages", "copy-of", "Sales"))
    ok(cli("add", "MA 2027", "--value", "60k", "-P", "Renewals", "--at", "2026-07-01"))
    for command in ("chart", "report", "forecast", "check"):
        alone = answer(cli, command, "-P", "Renewals", "--as-of", "2026-08-01")
        assert "stage_unknown" not in alone, command
        assert (
            "where the import put"
            not in cli(command, "-P", "Renewals", "--as-of", "2026-08-01").stdout
        )
    every = cli.json("report", "--pipeline", "all", "--as-of", "2026-08-01")
    placed = [section["report"].get("stage_unknown") for section in every["pipelines"]]
    assert placed == [PLACED, None]
    assert every["total"]["stage_unknown"] == PLACED
