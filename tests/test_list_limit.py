"""How much `list`, `board`, `stale`, `check` and `agenda` show without --limit
(docs/daily-use.md, "How much a table shows"): a table is cut to its first rows and says
so, JSON stays complete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from salespipe.cli.daily import BOARD_LIMIT
from salespipe.cli.deals import LIST_LIMIT


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo with more open deals than a table shows, and stages fuller than a board's,
    made at the tests' clock: made at the real one (this fixture comes before the clock
    is set for each test), its deals' days depended on the hour the suite ran."""
    from tests.conftest import NOW, Cli

    path = tmp_path_factory.mktemp("big") / "demo.json"
    with pytest.MonkeyPatch.context() as clock:
        clock.setenv("SALESPIPE_NOW", NOW)
        result = Cli()("demo", "--db", str(path), "--deals", "1000", "--seed", "7", "--json")
    assert result.exit_code == 0, result.stderr
    return path


def _ids(plain: str) -> list[int]:
    """The ids of a `list --columns id` table, in order (its rows are a number each)."""
    return [int(line) for line in plain.splitlines() if line.strip().isdigit()]


def test_list_shows_its_first_rows_and_says_how_to_see_all(cli: Any, big: Path) -> None:
    """Without --limit the table has the first 50 deals in the list's order; the footer
    counts them against all that matched and stderr (never stdout) says how to see all."""
    every = cli.json("--db", str(big), "list")  # JSON: complete
    assert len(every) > LIST_LIMIT
    shown = cli("--db", str(big), "list", "--columns", "id")
    assert shown.exit_code == 0
    assert _ids(shown.stdout) == [d["id"] for d in every[:LIST_LIMIT]]
    assert f"{LIST_LIMIT} of {len(every)} deals" in shown.stdout
    hint = f"showing {LIST_LIMIT} of {len(every)} — --limit 0 for all"
    assert hint in shown.stderr
    assert "showing" not in shown.stdout


def test_list_limit_zero_shows_all_and_an_asked_limit_needs_no_hint(cli: Any, big: Path) -> None:
    every = cli.json("--db", str(big), "list", "--sort", "value")
    whole = cli("--db", str(big), "list", "--sort", "value", "--columns", "id", "--limit", "0")
    assert _ids(whole.stdout) == [d["id"] for d in every]
    assert f"\n{len(every)} deals, " in whole.stdout
    assert whole.stderr == ""
    few = cli("--db", str(big), "list", "--sort", "value", "--columns", "id", "-n", "3")
    assert _ids(few.stdout) == [d["id"] for d in every[:3]]
    assert few.stderr == ""
    assert [d["id"] for d in cli.json("--db", str(big), "list", "--sort", "value", "-n", "3")] == [
        d["id"] for d in every[:3]
    ]
    assert len(cli.json("--db", str(big), "list", "--limit", "0")) == len(every)


def test_list_cut_in_every_order_is_the_start_of_the_whole_list(cli: Any, big: Path) -> None:
    """The first rows are chosen without sorting them all: the same rows as the whole
    list's first ones, for every sort and with closed deals too."""
    from salespipe.app.queries import SORT_FIELDS

    for field in SORT_FIELDS:
        args = ("--db", str(big), "list", "--status", "all", "--sort", field)
        every = [d["id"] for d in cli.json(*args)]
        assert [d["id"] for d in cli.json(*args, "--limit", "7")] == every[:7], field


def test_thai_list_says_how_to_see_all_in_thai(cli: Any, big: Path) -> None:
    shown = cli("--db", str(big), "--lang", "th", "list")
    assert shown.exit_code == 0
    assert f"แสดง {LIST_LIMIT} จาก" in shown.stderr
    assert "--limit 0" in shown.stderr


def test_board_shows_the_first_cards_of_each_stage_and_counts_the_rest(cli: Any, big: Path) -> None:
    """Each stage shows its first 10 cards and `+K more`; its heading counts all its deals;
    --json is every card unless --limit, which cuts each stage's deals, not its count."""
    whole = cli.json("--db", str(big), "board")
    fuller = [s for s in whole["stages"] if s["count"] > BOARD_LIMIT]
    assert fuller
    assert all(len(s["deals"]) == s["count"] for s in whole["stages"])
    plain = cli("--db", str(big), "board").stdout
    for stage in fuller:
        assert f"+{stage['count'] - BOARD_LIMIT} more" in plain
        assert f"{stage['count']} deals" in plain
        hidden = stage["deals"][BOARD_LIMIT]
        assert f"{hidden['deal_id']}  " not in plain
    assert "more" not in cli("--db", str(big), "board", "--limit", "0").stdout
    for by in ("urgency", "value"):
        every = cli.json("--db", str(big), "board", "--by", by)
        cut = cli.json("--db", str(big), "board", "--by", by, "--limit", "2")
        for full, first in zip(every["stages"], cut["stages"], strict=True):
            assert first["deals"] == full["deals"][:2]
            assert (first["count"], first["value"]) == (full["count"], full["value"])


def test_thai_board_says_how_many_more(cli: Any, big: Path) -> None:
    plain = cli("--db", str(big), "--lang", "th", "board").stdout
    assert "+อีก " in plain


def test_the_html_report_counts_every_stale_deal_and_shows_the_first(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's stale table has the first deals of `stale`, and its footer counts
    them all, with a line saying how to list all."""
    monkeypatch.setattr("salespipe.present.html.STALE_SHOWN", 3)
    every = cli.json("--db", str(big), "stale")
    assert len(every) > 3
    page = cli("--db", str(big), "report", "--html", "-").stdout
    part = page[page.index("Deals over their stage") :]
    table = part[: part.index("</table>")]
    shown = [int(found) for found in re.findall(r'<tr><td class="r">(\d+)</td>', table)]
    assert shown == [d["id"] for d in every[:3]]
    assert f"{len(every)} stale deals." in part
    assert "The 3 longest over are shown" in part


def test_the_html_report_shows_the_first_next_actions_of_each_part(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's week of next actions has the first deals of each part, as `agenda
    --limit` has them, says how many more, and how to list all (at 1M deals the page
    listed every one: 53k rows)."""
    monkeypatch.setattr("salespipe.present.html.AGENDA_SHOWN", 2)
    parts = ("overdue", "today", "coming", "needs_plan")
    every = cli.json("--db", str(big), "agenda", "--limit", "0")
    cut = cli.json("--db", str(big), "agenda", "--limit", "2")
    assert any(len(every[part]) > 2 for part in parts)
    page = cli("--db", str(big), "report", "--html", "-").stdout
    section = page[page.index("Next actions this week") :]
    rows = re.findall(r"<tr><td.*?</tr>", section)
    shown = [int(re.findall(r'<td class="r">(\d+)</td>', row)[0]) for row in rows]
    assert shown == [item["deal_id"] for part in parts for item in cut[part]]
    for part in parts:
        if len(every[part]) > 2:
            assert f"… and {len(every[part]) - 2} more" in section
    # (the command as code: the page showed its backticks, a Thai user's trial)
    said = "The first 2 of each part are shown; <code>salespipe agenda --limit 0</code> lists all."
    assert said in section
    assert "`" not in section


def _first_column(plain: str) -> list[int]:
    """The ids of a table whose rows start with the deal's id (then two spaces)."""
    return [int(found[1]) for found in re.finditer(r"^ *(\d+)  ", plain, re.MULTILINE)]


def test_stale_shows_the_longest_overdue_first_and_says_how_to_see_all(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --limit the table has the first stale deals in stale's order, its footer
    counts them all, and stderr says how to see all; --json stays complete."""
    monkeypatch.setattr("salespipe.cli.reports.STALE_LIMIT", 5)
    every = cli.json("--db", str(big), "stale")
    assert len(every) > 5
    shown = cli("--db", str(big), "stale")
    assert shown.exit_code == 0
    assert _first_column(shown.stdout) == [d["id"] for d in every[:5]]
    assert f"{len(every)} stale deals." in shown.stdout
    assert f"showing 5 of {len(every)} — --limit 0 for all" in shown.stderr
    assert "showing" not in shown.stdout
    thai = cli("--db", str(big), "--lang", "th", "stale")
    assert f"แสดง 5 จาก {len(every)}" in thai.stderr


def test_stale_limit_zero_shows_all_and_an_asked_limit_cuts_json_too(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("salespipe.cli.reports.STALE_LIMIT", 5)
    every = cli.json("--db", str(big), "stale")
    whole = cli("--db", str(big), "stale", "--limit", "0")
    assert _first_column(whole.stdout) == [d["id"] for d in every]
    assert whole.stderr == ""
    few = cli("--db", str(big), "stale", "-n", "3")
    assert _first_column(few.stdout) == [d["id"] for d in every[:3]]
    assert few.stderr == ""
    assert cli.json("--db", str(big), "stale", "-n", "3") == every[:3]


def _check_json(cli: Any, big: Path, *args: str) -> Any:
    result = cli("--db", str(big), "check", "--json", *args)
    assert result.exit_code == 3, result.stderr
    return json.loads(result.stdout)


def test_check_shows_the_most_urgent_of_each_kind_and_counts_the_rest(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --limit each kind shows its first alerts and one line for the rest; the
    footer counts every alert, stderr says how to see all, and the exit code is 3."""
    monkeypatch.setattr("salespipe.cli.reports.CHECK_LIMIT", 2)
    every = _check_json(cli, big)
    kinds = [a["kind"] for a in every["alerts"]]
    cut = {kind: kinds.count(kind) - 2 for kind in dict.fromkeys(kinds) if kinds.count(kind) > 2}
    assert len(cut) >= 2
    shown = cli("--db", str(big), "check")
    assert shown.exit_code == 3
    for count in cut.values():
        assert f"… and {count} more" in shown.stdout
    assert f"{len(kinds)} things to act on." in shown.stdout
    kept = len(kinds) - sum(cut.values())
    assert f"showing {kept} of {len(kinds)} — --limit 0 for all" in shown.stderr
    thai = cli("--db", str(big), "--lang", "th", "check")
    assert f"แสดง {kept} จาก {len(kinds)}" in thai.stderr


def test_check_limit_cuts_json_to_the_most_urgent_and_counts_each_kinds_rest(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--limit 1 keeps of each kind the longest overdue or earliest due (stale's first,
    what falls due the earliest); --limit 0 shows all, as --json without --limit does."""
    monkeypatch.setattr("salespipe.cli.reports.CHECK_LIMIT", 2)
    every = _check_json(cli, big)
    one = _check_json(cli, big, "--limit", "1")
    kinds = [a["kind"] for a in every["alerts"]]
    assert [a["kind"] for a in one["alerts"]] == list(dict.fromkeys(kinds))
    assert one["more"] == {
        k: kinds.count(k) - 1 for k in dict.fromkeys(kinds) if kinds.count(k) > 1
    }
    first_stale = cli.json("--db", str(big), "stale", "-n", "1")[0]["id"]
    assert one["alerts"][0]["deal_id"] == first_stale
    whole = cli("--db", str(big), "check", "--limit", "0")
    assert (whole.exit_code, whole.stderr) == (3, "")
    assert "more" not in whole.stdout
    assert "more" not in every


def test_agenda_shows_the_first_of_each_part_and_counts_the_rest(
    cli: Any, big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --limit each part shows its first deals (the earliest due, the longest
    over target), its title counts them all and its last line the rest; stderr says
    how to see all; --json is complete, and --limit cuts it the same way."""
    monkeypatch.setattr("salespipe.cli.daily.AGENDA_LIMIT", 2)
    every = cli.json("--db", str(big), "agenda")
    parts = ("overdue", "today", "coming", "needs_plan")
    cut = {part: len(every[part]) - 2 for part in parts if len(every[part]) > 2}
    assert len(cut) >= 2
    shown = cli("--db", str(big), "agenda")
    assert shown.exit_code == 0
    for more in cut.values():
        assert f"… and {more} more" in shown.stdout
    assert f"days ({len(every['coming'])})" in shown.stdout
    total = sum(len(every[part]) for part in parts)
    kept = total - sum(cut.values())
    # What is shown of each part, as its title counts it: the parts add up to the whole
    # (a trial read "showing 22 of 134" under a part titled 132 that showed 20 as counts
    # that disagree).
    names = {"overdue": "overdue", "today": "due today", "coming": "coming"}
    names["needs_plan"] = "needs a plan"
    each = "; ".join(
        f"{names[part]} {len(every[part]) - cut.get(part, 0)} of {len(every[part])}"
        for part in parts
        if every[part]
    )
    assert f"showing {kept} of {total} deals: {each} — --limit 0 for all\n" in shown.stderr
    two = cli.json("--db", str(big), "agenda", "--limit", "2")
    for part in parts:
        assert two[part] == every[part][:2]
    assert two["more"] == cut
    whole = cli("--db", str(big), "agenda", "--limit", "0")
    assert whole.stderr == ""
    assert "more" not in whole.stdout
    assert "more" not in every
    thai = cli("--db", str(big), "--lang", "th", "agenda")
    assert f"แสดง {kept} จาก {total} ดีล: เลยกำหนด " in thai.stderr
