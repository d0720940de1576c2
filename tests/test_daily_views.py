"""agenda and board: the views a salesperson opens every morning (the clock is fixed at
2026-11-27 10:00, see conftest)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from salespipe.present import textwidth

pytestmark = pytest.mark.usefixtures("each_backend")


def _day(cli: Any) -> None:
    """Deals for one day's work: next actions overdue, due today, in 3 and in 20 days; a
    stale deal without a plan; a stale one with a plan; a closed one with an action."""

    def ok(*args: str) -> None:
        result = cli(*args)
        assert result.exit_code == 0, result.stderr

    ok(
        "add",
        "Late deal",
        "-c",
        "Siam Foods",
        "-v",
        "1.5m",
        "-o",
        "alice",
        "-s",
        "quoted",
        "--next",
        "Send the revised quote",
        "--due",
        "2026-11-20",
    )
    ok(
        "add",
        "Today deal",
        "-c",
        "Acme",
        "-v",
        "200k",
        "-o",
        "bao",
        "--next",
        "Call the buyer",
        "--due",
        "today",
    )
    ok("add", "Soon deal", "-v", "50k", "-o", "alice", "--next", "Demo", "--due", "+3d")
    ok("add", "Far deal", "-v", "10k", "--next", "Renewal talk", "--due", "+20d")
    ok(
        "add",
        "Forgotten deal",
        "-c",
        "Lampang Ceramics",
        "-v",
        "80k",
        "-o",
        "alice",
        "--at",
        "2026-11-01 09:00",
    )
    ok("add", "Closed deal", "-v", "1k", "--next", "Old action", "--due", "2026-11-01")
    ok("won", "6")


@pytest.fixture
def day(cli: Any, db_path: Path) -> Any:
    _day(cli)
    return cli


def test_agenda_json_groups_overdue_today_coming_and_needs_a_plan(day: Any) -> None:
    """Overdue (how late), due today, the coming 7 days; a stale deal with no next action
    needs a plan; closed deals and actions beyond the window are left out."""
    data = day.json("agenda")
    assert data["as_of"] == "2026-11-27"
    assert data["days"] == 7
    [late] = data["overdue"]
    assert late["deal_id"] == 1
    assert late["days_late"] == 7
    assert late["action"] == "Send the revised quote"
    assert late["customer"] == "Siam Foods"
    assert late["stage"] == "quoted"
    assert late["stage_name"] == "Quoted"
    assert [item["deal_id"] for item in data["today"]] == [2]
    assert data["today"][0]["days_late"] == 0
    assert [(item["deal_id"], item["days_late"]) for item in data["coming"]] == [(3, -3)]
    [plan] = data["needs_plan"]
    assert plan["deal_id"] == 5
    assert plan["days_over"] == 26 - 7


def test_agenda_days_and_owner(day: Any) -> None:
    """--days widens the coming window; --owner keeps one person's deals."""
    wide = day.json("agenda", "--days", "30")
    assert [item["deal_id"] for item in wide["coming"]] == [3, 4]
    alice = day.json("agenda", "--owner", "alice")
    assert [i["deal_id"] for i in alice["overdue"] + alice["today"] + alice["coming"]] == [1, 3]
    assert [item["deal_id"] for item in alice["needs_plan"]] == [5]


@pytest.mark.parametrize("command", ["agenda", "board"])
def test_an_owner_of_no_open_deal_is_said_as_the_reports_say_it(day: Any, command: str) -> None:
    """A mistyped --owner printed an empty agenda or board without a word."""
    typo = day(command, "--owner", "alcie")
    assert typo.exit_code == 0
    assert typo.stderr.strip() == 'Warning: no open deal has the owner "alcie".'
    assert day(command, "--owner", "alice").stderr == ""


def test_agenda_table_says_how_late_and_marks_in_words(day: Any) -> None:
    out = day("agenda").stdout
    assert "Overdue (1)" in out
    assert "7 days late" in out
    assert "Due today (1)" in out
    assert "today" in out
    assert "in 3 days" in out
    assert "Needs a plan" in out
    assert "Forgotten deal" in out
    assert "\x1b[" not in out  # piped: no colour


def test_agenda_cuts_a_long_stage_name_as_list_does_to_keep_the_customer(
    day: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage named in 34 cells was shown whole at 80 columns, and the Customer column
    was left out for it; at 60 the overdue part turned into one field per line."""
    assert day("stage", "rename", "quoted", "Quoted and waiting for their board").exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")
    lines = day("agenda", "--days", "14").stdout.splitlines()
    overdue = lines[lines.index("Overdue (1)") + 1 : lines.index("Overdue (1)") + 3]
    assert overdue[0].split() == ["Due", "ID", "Deal", "Customer", "Stage", "Next", "action"]
    assert "Siam Foods" in overdue[1]
    assert "Quoted and waiting" in overdue[1]
    assert "their board" not in overdue[1]  # cut with …, as list cuts it
    assert all(textwidth.width(line) <= 80 for line in lines)


def test_agenda_when_nothing_is_due(cli: Any) -> None:
    cli("add", "Quiet deal", "--next", "Check in", "--due", "+30d")
    result = cli("agenda")
    assert result.exit_code == 0
    assert "Nothing to do" in result.stdout
    assert "2026-12-04" in result.stdout


def test_check_counts_what_the_agenda_calls_overdue_and_due_today(day: Any) -> None:
    """check's next-action alerts are the agenda's overdue and due-today actions."""
    agenda = day.json("agenda")
    result = day("check", "--json")
    assert result.exit_code == 3
    alerts = json.loads(result.stdout)["alerts"]
    overdue = [a["deal_id"] for a in alerts if a["kind"] == "next_action_overdue"]
    today = [a["deal_id"] for a in alerts if a["kind"] == "next_action_due_today"]
    assert overdue == [item["deal_id"] for item in agenda["overdue"]]
    assert today == [item["deal_id"] for item in agenda["today"]]
    assert "is due today" in " ".join(day("check").stdout.split())


def test_board_json_groups_open_deals_by_stage_most_urgent_first(day: Any) -> None:
    data = day.json("board")
    assert data["by"] == "urgency"
    stages = {lane["stage"]: lane for lane in data["stages"]}
    assert list(stages) == ["presented", "considering", "quoted", "negotiating", "approved"]
    presented = stages["presented"]
    assert presented["count"] == 4
    assert presented["value"] == {"THB": 340000}
    # Stale first (deal 5), then by next action due: today (2), +3d (3), +20d (4).
    assert [card["deal_id"] for card in presented["deals"]] == [5, 2, 3, 4]
    quoted = stages["quoted"]["deals"]
    assert quoted[0]["deal_id"] == 1
    assert quoted[0]["next_action_overdue"] is True
    assert all(card["deal_id"] != 6 for lane in data["stages"] for card in lane["deals"])


def test_board_by_value_and_owner(day: Any) -> None:
    data = day.json("board", "--by", "value")
    presented = next(lane for lane in data["stages"] if lane["stage"] == "presented")
    assert [card["deal_id"] for card in presented["deals"]] == [2, 5, 3, 4]
    alice = day.json("board", "--owner", "alice")
    assert sorted(c["deal_id"] for lane in alice["stages"] for c in lane["deals"]) == [1, 3, 5]
    bad = day("board", "--by", "colour")
    assert bad.exit_code == 1


def test_board_by_value_orders_by_currency_the_configured_one_first(cli: Any) -> None:
    """Amounts of two currencies are not compared: the configured currency's deals come
    first, largest first, then each other currency's, in code order (EUR sorted above
    THB, and USD 15,000 was read as less than ฿60,000); with --limit too."""
    deals = [("60k", "THB"), ("15000", "USD"), ("900k", "THB"), ("20000", "EUR"), ("500", "EUR")]
    for value, code in deals:
        assert cli("add", "D", "-v", value, "--currency", code, "-q").exit_code == 0
    lanes = cli.json("board", "--by", "value")["stages"]
    cards = [(c["currency"], c["value"]) for c in lanes[0]["deals"]]
    assert cards == [("THB", 900000), ("THB", 60000), ("EUR", 20000), ("EUR", 500), ("USD", 15000)]
    first = cli.json("board", "--by", "value", "--limit", "3")["stages"][0]["deals"]
    assert [c["deal_id"] for c in first] == [3, 1, 4]


@pytest.mark.parametrize("columns", [60, 80])
def test_board_lines_up_the_counts_under_a_stage_name_in_two_lines(
    day: Any, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """A stage name wrapped to two lines pushed its count and value one line below the
    other lanes' (the value of one beside the count of the next)."""
    assert day("stage", "rename", "presented", "Presented and waiting for a reply").exit_code == 0
    monkeypatch.setenv("COLUMNS", str(columns))
    lines = day("board").stdout.splitlines()
    first_row = lines[: next(i for i, line in enumerate(lines) if line.startswith("─"))]
    counts = [line for line in first_row if re.search(r"\d+ deals?\b", line)]
    assert len(counts) == 1, first_row  # every lane's count on the same line
    values = [line for line in first_row if "฿" in line]  # (an empty lane's value is —)
    assert len(values) == 1, first_row
    assert len(re.findall(r"\d+ deals?\b", counts[0])) == len(re.findall("฿|—", values[0]))


@pytest.mark.parametrize("columns", [60, 80, 140])
def test_board_fits_and_wraps_its_stages_to_rows(
    day: Any, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """Every line fits; when five stages do not fit side by side they wrap to rows; every
    amount is whole, the overdue action and the stale deal are marked in text."""
    monkeypatch.setenv("COLUMNS", str(columns))
    out = day("board").stdout
    lines = out.splitlines()
    assert max(textwidth.width(line) for line in lines) <= columns
    rules = [line for line in lines if line.startswith("─")]
    assert len(rules) == (1 if columns >= 140 else 2 if columns >= 80 else 3)
    for amount in ("฿1,500,000.00", "฿200,000.00", "฿340,000.00"):
        assert amount in out
    assert "! Send the" in out  # the overdue action, marked; its lane may wrap it
    assert "7 days late" in " ".join(out.split()) or "7 days" in out
    assert "26 days*" in out


def test_thai_board_lines_up(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thai stage names, titles and amounts: each lane starts in the same cell on every
    line (padding counts cells, not code points)."""
    monkeypatch.setenv("COLUMNS", "80")
    assert cli("--lang", "th", "init").exit_code == 0
    cli("--lang", "th", "add", "ระบบบัญชีสำหรับโรงงานผลิตชิ้นส่วนยานยนต์", "-v", "1.5ล้าน")
    cli("--lang", "th", "add", "กล้องวงจรปิด", "-v", "3แสน", "-s", "เสนอ")
    out = cli("--lang", "th", "board").stdout
    lines = out.splitlines()
    assert max(textwidth.width(line) for line in lines) <= 80
    assert "ติดต่อนำเสนอ" in out
    assert "฿1,500,000.00" in out
    rule = next(line for line in lines if line.startswith("─"))
    starts = [i for i, char in enumerate(rule) if char == "─" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == 3
    # Every line of the first row of lanes has its lane texts at the rule's starts.
    block = lines[lines.index(rule) - 3 : lines.index(rule) + 4]
    for line in block:
        cells = _cells(line)
        for start in starts[1:]:
            assert start > len(cells) or cells[start - 1] == " ", "\n".join(block)


def _cells(line: str) -> list[str]:
    cells: list[str] = []
    for char in line:
        if textwidth.char_width(char) == 0 and cells:
            cells[-1] += char
        else:
            cells.append(char)
    return cells


@pytest.mark.parametrize("lang", ["en", "th"])
def test_board_keeps_the_overdue_mark_with_its_action_in_a_terminal(
    cli: Any, db_path: Path, lang: str
) -> None:
    """At 80 columns the board showed a late action's "!" alone on its line, the action
    on the line under it, where the action's first word fitted a lane (25 cells) but not
    beside the mark (a trial in tmux, Thai): the mark stays with its action."""
    from test_terminal_width import ANSI, in_terminal

    assert cli("--lang", lang, "init").exit_code == 0
    action = "ส่งใบเสนอราคาฉบับแก้ไขให้ลูกค้า"  # 25 cells: a lane's width at 80 columns
    added = cli("add", "ระบบบัญชี", "-v", "1m", "--next", action, "--due", "2026-11-20")
    assert added.exit_code == 0, added.stderr
    lines = ANSI.sub("", in_terminal(("--lang", lang, "board"), 80)).splitlines()
    marked = [line for line in lines if line.startswith("!")]
    assert marked, lines
    assert marked[0].startswith("! ส่ง"), lines
    assert all(textwidth.width(line) <= 80 for line in lines), lines


def test_board_puts_every_more_line_on_one_line_and_hangs_a_wrapped_title(
    cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80 columns one lane's "+N more" was a line below the others' (each sat under its
    own lane's cards), and a title wrapped to a second line started under the card's id
    (a Thai trial in tmux): the "+N more" lines are level, under the longest lane's cards,
    and a title goes on under its first word, in a terminal and in a pipe."""
    from test_terminal_width import ANSI, in_terminal

    assert cli("init").exit_code == 0
    title = "Office air conditioning for the whole Lampang Ceramics factory"
    for stage, titles in (
        ("presented", [title, "Call", "Call"]),
        ("considering", ["Demo", "Demo", "Demo", "Demo"]),
        ("quoted", ["Quote", "Quote"]),
    ):
        for one in titles:
            assert cli("add", one, "-v", "1k", "-s", stage).exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")
    piped = cli("board", "--limit", "1").stdout.splitlines()
    shown = ANSI.sub("", in_terminal(("board", "--limit", "1"), 80)).splitlines()
    for lines in (piped, shown):
        more = [line for line in lines if "more" in line]
        assert len(more) == 1, lines
        assert re.findall(r"\+\d+ more", more[0]) == ["+2 more", "+3 more", "+1 more"], lines
        lane = [line[:25].rstrip() for line in lines]
        first = next(i for i, line in enumerate(lane) if line.startswith("1  Office"))
        money = next(i for i in range(first, len(lane)) if lane[i].startswith("฿"))
        assert money > first + 1, lines  # (the title wraps)
        for line in lane[first + 1 : money]:
            assert line.startswith("   "), lines
            assert line[3] != " ", lines
        assert " ".join(line.strip() for line in lane[first:money]) == f"1  {title}", lines


def test_agenda_parts_show_the_same_columns_at_one_width(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 60 columns a Thai rep's agenda left the customer out of its parts of next
    actions and showed it in "needs a plan" (each table gave way on its own): the parts
    of one agenda show the same columns at one width, each saying what it left out."""
    demo = tmp_path / "demo.json"
    assert cli("--lang", "th", "demo", "--db", str(demo)).exit_code == 0
    for columns, customer_shown in ((60, False), (80, True)):
        monkeypatch.setenv("COLUMNS", str(columns))
        shown = cli("--db", str(demo), "--lang", "th", "agenda")
        assert shown.exit_code == 0, shown.stderr
        lines = shown.stdout.splitlines()
        headers = [line for line in lines if re.match(r"(กำหนด|เลขที่)  ", line)]
        assert len(headers) == 4, lines  # overdue, today, coming, needs a plan
        assert [("ลูกค้า" in header) for header in headers] == [customer_shown] * 4, lines
        left_out = lines.count("ไม่แสดงเพราะจอแคบ: ลูกค้า")
        assert left_out == (0 if customer_shown else 4), lines
        assert all(textwidth.width(line) <= columns for line in lines)
