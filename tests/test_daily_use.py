"""What people expect in daily use (issue 11): undo in words, backdated notes, dates as
people type them, completion of option values, helpful empty and cut-down listings, the
list filters and the reasons deals are lost. Everything through the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
import typer.main
from tests.checks import ok
from typer.core import TyperArgument, TyperGroup, TyperOption

from salespipe.cli.app import app

# -- undo in words -------------------------------------------------------------------------


def test_undo_says_what_it_undid_in_words(cli) -> None:
    ok(cli("add", "Cloud migration"))
    ok(cli("note", "1", "called Somchai"))
    out = ok(cli("undo")).stdout
    assert out.strip() == 'Undid: note on deal 1 "Cloud migration" (change 2).'


def test_an_import_of_one_deal_is_said_as_an_import(cli, tmp_path) -> None:
    """`undo --list` said "import on deal 113" for an import that brought one deal (a
    trial): it is "import of 1 deal", as an import of several is."""
    sheet = tmp_path / "one.csv"
    sheet.write_text("Title,Value\nERP,1000\n", encoding="utf-8")
    ok(cli("import", str(sheet)))
    assert cli.json("undo", "--list")[-1]["description"] == "import of 1 deal"


def test_undo_of_an_add_names_the_deal_it_removed(cli) -> None:
    ok(cli("add", "Cloud migration"))
    assert 'deal 1 "Cloud migration"' in ok(cli("undo")).stdout


def test_undo_in_thai_has_no_english_command_name(cli) -> None:
    ok(cli("add", "Cloud migration"))
    ok(cli("move", "1", "quoted"))
    out = ok(cli("--lang", "th", "undo")).stdout
    assert "Cloud migration" in out
    assert "move" not in out
    assert "Undid" not in out


def test_undo_list_shows_the_changes_it_can_take_back(cli) -> None:
    ok(cli("add", "Cloud migration"))
    ok(cli("note", "1", "called"))
    ok(cli("config", "set", "owner", "malee"))
    out = ok(cli("undo", "--list")).stdout
    lines = out.splitlines()
    assert "Cloud migration" in out
    assert any("note" in line for line in lines)
    assert any("setting" in line for line in lines)
    listed = cli.json("undo", "--list")
    assert [entry["change"] for entry in listed] == [3, 2, 1]
    assert listed[1]["deals"] == [1]
    # listing takes nothing back
    assert len(cli.json("undo", "--list")) == 3


# -- backdated notes -------------------------------------------------------------------------


def test_a_note_may_be_backdated_before_later_events(cli) -> None:
    ok(cli("add", "ERP", "--at", "2026-11-01"))
    ok(cli("move", "1", "quoted"))
    ok(cli("note", "1", "first call", "--at", "2026-11-10"))
    events = cli.json("show", "1")["events"]
    assert [e["type"] for e in events] == ["add", "note", "move"]
    assert events[1]["at"].startswith("2026-11-10")


def test_a_note_before_the_deal_existed_is_refused(cli) -> None:
    ok(cli("add", "ERP", "--at", "2026-11-01"))
    assert cli("note", "1", "too early", "--at", "2026-10-01").exit_code == 1


def test_a_state_change_keeps_the_ordering_rule(cli) -> None:
    ok(cli("add", "ERP", "--at", "2026-11-01"))
    ok(cli("move", "1", "quoted"))
    result = cli("won", "1", "--at", "2026-11-10")
    assert result.exit_code == 1
    assert "before" in result.stderr


def test_a_backdated_note_leaves_the_last_change_time(cli) -> None:
    ok(cli("add", "ERP", "--at", "2026-11-01"))
    ok(cli("move", "1", "quoted"))
    updated = cli.json("show", "1")["updated_at"]
    ok(cli("note", "1", "first call", "--at", "2026-11-10"))
    assert cli.json("show", "1")["updated_at"] == updated


# -- dates people type (the clock is pinned to 2026-11-27) --------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+1m", date(2026, 12, 27)),
        ("+2w", date(2026, 12, 11)),
        ("+3m", date(2027, 2, 27)),
        ("15/01/2027", date(2027, 1, 15)),
        ("1/2/2027", date(2027, 2, 1)),
        ("15/01/2570", date(2027, 1, 15)),
        ("next week", date(2026, 12, 4)),
        ("Next Month", date(2026, 12, 27)),
        ("สัปดาห์หน้า", date(2026, 12, 4)),
        ("เดือนหน้า", date(2026, 12, 27)),
        ("พรุ่งนี้", date(2026, 11, 28)),
        ("วันนี้", date(2026, 11, 27)),
    ],
)
def test_dates_people_type(cli, typed, expected) -> None:
    ok(cli("add", "ERP", "--close", typed))
    assert cli.json("show", "1")["expected_close"] == expected.isoformat()


def test_a_month_ahead_from_the_31st_ends_on_the_last_day(cli, monkeypatch) -> None:
    monkeypatch.setenv("SALESPIPE_NOW", "2027-01-31T10:00:00+07:00")
    ok(cli("add", "ERP", "--close", "+1m"))
    assert cli.json("show", "1")["expected_close"] == "2027-02-28"


def test_an_impossible_day_first_date_is_refused(cli) -> None:
    result = cli("add", "ERP", "--close", "31/02/2027")
    assert result.exit_code == 1
    assert "31/02/2027" in result.stderr


def test_a_thai_yesterday_backdates_a_note(cli) -> None:
    ok(cli("add", "ERP", "--at", "2026-11-01"))
    ok(cli("note", "1", "called", "--at", "เมื่อวาน"))
    notes = [e for e in cli.json("show", "1")["events"] if e["type"] == "note"]
    assert notes[0]["at"].startswith("2026-11-26")


# -- completion of option values -------------------------------------------------------------


def typer_main() -> TyperGroup:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    return command


def _complete(args: list[str], incomplete: str) -> list[str]:
    """The values a shell is offered for ``salespipe ARGS INCOMPLETE<TAB>``."""
    from typer._completion_classes import ZshComplete

    completer = ZshComplete(typer_main(), {}, "salespipe", "_SALESPIPE_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


@pytest.mark.parametrize(
    ("args", "incomplete", "expected"),
    [
        (["list", "--status"], "", ["open", "won", "lost", "all"]),
        (["list", "--sort"], "va", ["value"]),
        (["chart", "--by"], "", ["count", "value", "weighted"]),
        (["winrate", "--by"], "re", ["reason"]),
        (["config", "set"], "re", ["require_reason"]),
    ],
)
def test_option_values_complete(args, incomplete, expected) -> None:
    assert _complete(args, incomplete) == expected


def test_owner_and_tag_complete_from_the_data(cli) -> None:
    ok(cli("add", "A", "--owner", "somchai", "--tag", "solar"))
    ok(cli("add", "B", "--owner", "malee", "--tag", "erp"))
    assert _complete(["list", "--owner"], "") == ["malee", "somchai"]
    assert _complete(["report", "--owner"], "s") == ["somchai"]
    assert _complete(["list", "--tag"], "") == ["erp", "solar"]


def test_show_completes_closed_deals_too_in_numeric_order(cli) -> None:
    for title in "ABCDEFGHIJK":
        ok(cli("add", title))
    ok(cli("won", "2"))
    assert _complete(["show"], "") == [str(n) for n in range(1, 12)]
    assert "2" not in _complete(["move"], "")


def test_install_completion_honours_the_shell_argument(run, tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = run("--install-completion", "zsh", env={"HOME": str(home), "SHELL": "/bin/bash"})
    assert done.returncode == 0, done.stderr
    assert (home / ".zshrc").exists()
    assert not (home / ".bashrc").exists()


# -- helpful listings ------------------------------------------------------------------------


def test_an_empty_list_says_how_to_start(cli) -> None:
    ok(cli("init"))
    out = ok(cli("list")).stdout
    assert "salespipe add" in out
    assert "salespipe demo" in out


def test_list_limit_says_how_many_of_how_many(cli) -> None:
    for title in "ABCDE":
        ok(cli("add", title))
    footer = ok(cli("list", "--limit", "2")).stdout.strip().splitlines()[-1]
    assert "2 of 5 deals" in footer


def test_report_for_an_owner_with_no_deals_warns(cli) -> None:
    ok(cli("add", "A", "--owner", "somchai"))
    result = ok(cli("report", "--owner", "nobody"))
    assert "nobody" in result.stderr
    assert "Warning" in result.stderr
    assert ok(cli("report", "--owner", "somchai")).stderr == ""


def _commands(group: TyperGroup, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, TyperGroup):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_command_has_an_example_and_every_option_a_description() -> None:
    missing = []
    for path, command in _commands(typer_main()):
        if "Example" not in (command.help or ""):
            missing.append(f"{' '.join(path)}: no example")
        for param in command.params:
            if isinstance(param, TyperOption) and not param.hidden and not param.help:
                missing.append(f"{' '.join(path)} {param.opts[0]}: no description")
            if isinstance(param, TyperArgument) and not param.help:
                missing.append(f"{' '.join(path)} {param.name}: no description")
    assert not missing, "\n".join(missing)


# -- list filters ----------------------------------------------------------------------------


def test_list_search_finds_notes_reasons_and_next_actions(cli) -> None:
    ok(cli("add", "A"))
    ok(cli("add", "B", "--next", "send the brochure", "--due", "tomorrow"))
    ok(cli("add", "C"))
    ok(cli("add", "D"))
    ok(cli("note", "1", "they use SAP today"))
    ok(cli("lost", "3", "--reason", "went with Oracle"))
    ok(cli("move", "4", "quoted", "--reason", "asked for Odoo pricing"))

    def found(text: str, *extra: str) -> list[int]:
        return [d["id"] for d in cli.json("list", "--search", text, *extra)]

    assert found("sap") == [1]
    assert found("brochure") == [2]
    assert found("oracle") == []
    assert found("oracle", "--status", "all") == [3]
    assert found("odoo") == [4]


def test_list_closed_since_and_until(cli) -> None:
    for title in "ABC":
        ok(cli("add", title, "--at", "2026-10-01"))
    ok(cli("won", "1", "--at", "2026-10-15"))
    ok(cli("lost", "2", "--reason", "price", "--at", "2026-11-05"))

    def ids(*args: str) -> list[int]:
        return [d["id"] for d in cli.json("list", *args)]

    assert ids("--closed-since", "2026-11-01") == [2]
    assert ids("--closed-until", "2026-10-31") == [1]
    assert ids("--closed-since", "2026-10-15", "--closed-until", "2026-11-05") == [1, 2]
    assert ids("--closed-since", "2026-10-01", "--status", "won") == [1]


def test_list_expected_close_before_and_after(cli) -> None:
    ok(cli("add", "A", "--close", "2026-12-01"))
    ok(cli("add", "B", "--close", "2027-01-15"))
    ok(cli("add", "C"))

    def ids(*args: str) -> list[int]:
        return [d["id"] for d in cli.json("list", *args)]

    assert ids("--close-before", "2026-12-31") == [1]
    assert ids("--close-after", "2026-12-31") == [2]
    assert ids("--close-after", "2026-12-01", "--close-before", "2027-01-15") == [1, 2]


def test_list_refuses_a_bad_filter_date(cli) -> None:
    ok(cli("add", "A"))
    result = cli("list", "--closed-since", "soon")
    assert result.exit_code == 1
    assert "soon" in result.stderr


# -- why we lose -----------------------------------------------------------------------------


def test_winrate_by_reason_groups_lost_deals(cli) -> None:
    for title, value in (("A", "100"), ("B", "200"), ("C", "400"), ("D", "800")):
        ok(cli("add", title, "--value", value))
    ok(cli("lost", "1", "--reason", "price"))
    ok(cli("lost", "2", "--reason", "Price"))
    ok(cli("lost", "3", "--reason", "timing"))
    ok(cli("won", "4"))
    data = cli.json("winrate", "--by", "reason")
    assert data["by"] == "reason"
    groups = {g["name"]: g for g in data["groups"]}
    assert groups["price"]["lost"] == 2
    assert groups["price"]["lost_value"] == {"THB": 300}
    assert groups["timing"]["lost"] == 1
    assert [g["name"] for g in data["groups"]] == ["price", "timing"]
    out = ok(cli("winrate", "--by", "reason")).stdout
    assert "price" in out
    assert "timing" in out
    assert json.loads(cli("winrate", "--by", "reason", "--json").stdout)["lost"] == 3


# -- who makes a change on a shared file ----------------------------------------------------


def test_salespipe_user_comes_before_the_files_owner_setting(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team sharing one data file: the manager's `config set owner malee` made every
    later change malee's, a rep's with SALESPIPE_USER=wipa too (a trial), though the
    docs say SALESPIPE_USER is who you are. The setting now stands in only where the
    variable is not set."""
    monkeypatch.setenv("SALESPIPE_USER", "malee")
    assert "SALESPIPE_USER" not in ok(cli("config", "set", "owner", "malee")).stderr
    monkeypatch.setenv("SALESPIPE_USER", "wipa")
    told = ok(cli("config", "set", "owner", "malee"))  # (so already: the warning still says)
    assert "SALESPIPE_USER is set to wipa" in told.stderr
    ok(cli("add", "ERP", "-q"))
    assert cli.json("show", "1")["owner"] == "wipa"
    assert [e["who"] for e in cli.json("log", "--limit", "1")] == ["wipa"]
    monkeypatch.delenv("SALESPIPE_USER")
    ok(cli("note", "1", "called"))
    assert [e["who"] for e in cli.json("log", "--limit", "1")] == ["malee"]
