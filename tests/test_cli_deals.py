"""Every deal command from the command line: success, JSON shape, and errors."""

from __future__ import annotations

import json

import pytest
from tests.checks import ok

pytestmark = pytest.mark.usefixtures("each_backend")


DEAL_KEYS = {
    "id",
    "title",
    "customer",
    "contact",
    "value",
    "currency",
    "stage",
    "stage_name",
    "status",
    "owner",
    "probability",
    "weighted_value",
    "expected_close",
    "next_action",
    "tags",
    "created_at",
    "updated_at",
    "stage_entered_at",
    "days_in_stage",
    "closed_at",
    "lost_reason",
}


def test_add_json_has_the_documented_deal_keys(cli) -> None:
    """add --json prints one deal object with every key docs/data-format.md lists."""
    deal = cli.json(
        "add",
        "ERP",
        "--customer",
        "Siam Foods",
        "--value",
        "1.5m",
        "--close",
        "2026-12-31",
        "--prob",
        "30",
        "--tag",
        "erp",
        "--tag",
        "big",
        "--next",
        "Call",
        "--due",
        "+2d",
        "--contact",
        "Somchai",
    )
    assert set(deal) >= DEAL_KEYS
    assert deal["value"] == 1500000
    assert deal["weighted_value"] == 450000
    assert deal["probability"] == 30
    assert deal["tags"] == ["erp", "big"]
    assert deal["next_action"] == {"text": "Call", "due": "2026-11-29"}
    assert deal["created_at"] == "2026-11-27T10:00:00+07:00"
    assert deal["stage_name"] == "Presented"


def test_add_quiet_prints_only_the_id(cli) -> None:
    """-q prints the new id and nothing else, for scripts."""
    assert cli("add", "A", "-q").stdout == "1\n"
    assert cli("add", "B", "-q").stdout == "2\n"


def test_add_with_bad_value_exits_1_and_writes_nothing(cli, db_path) -> None:
    """An invalid value is one sentence on stderr, exit 1, and no file is created."""
    result = cli("add", "A", "--value", "-5")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith('Error: The value "-5" is not an amount')
    assert result.stderr.count("\n") == 1
    assert not db_path.exists()


def test_json_errors_are_also_printed_as_json(cli) -> None:
    """With --json an error prints {"error": {code, message}} on stdout too."""
    assert cli("add", "First").exit_code == 0
    result = cli("move", "5", "quoted", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {
            "code": "deal_not_found",
            "message": "There is no deal 5; `salespipe list --status all` shows them.",
        }
    }


def test_usage_errors_exit_2(cli) -> None:
    """A malformed command line is Typer's usage error with exit 2."""
    assert cli("move", "abc", "quoted").exit_code == 2
    assert cli("add").exit_code == 2
    assert cli("list", "--frobnicate").exit_code == 2


def test_list_filters_sorts_and_limits(cli) -> None:
    """list shows open deals in pipeline order and honours filters, sort and limit."""
    cli("add", "Alpha", "-c", "สยามฟู้ดส์", "-v", "300", "-s", "quoted", "-t", "vip")
    cli("add", "Beta", "-c", "Acme", "-v", "100", "-o", "somchai")
    cli("add", "Gamma", "-c", "Acme", "-v", "200", "-s", "negotiating")
    cli("won", "3")
    assert [d["title"] for d in cli.json("list")] == ["Beta", "Alpha"]
    assert [d["title"] for d in cli.json("list", "--status", "all")] == ["Beta", "Alpha", "Gamma"]
    assert [d["title"] for d in cli.json("list", "--status", "won")] == ["Gamma"]
    assert [d["title"] for d in cli.json("list", "--customer", "สยาม")] == ["Alpha"]
    assert [d["title"] for d in cli.json("list", "--owner", "somchai")] == ["Beta"]
    assert [d["title"] for d in cli.json("list", "--tag", "vip")] == ["Alpha"]
    assert [d["title"] for d in cli.json("list", "--search", "bet")] == ["Beta"]
    assert [d["title"] for d in cli.json("list", "--stage", "quoted")] == ["Alpha"]
    assert [d["title"] for d in cli.json("list", "--sort", "value", "--status", "all")] == [
        "Alpha",
        "Gamma",
        "Beta",
    ]
    assert len(cli.json("list", "--limit", "1")) == 1
    bad = cli("list", "--sort", "colour")
    assert bad.exit_code == 1
    assert "Cannot sort by" in bad.stderr


def test_list_stale_uses_target_days(cli) -> None:
    """--stale keeps deals whose days in stage exceed the stage target."""
    cli("add", "Old", "--at", "2026-11-01 09:00")
    cli("add", "New")
    assert [d["title"] for d in cli.json("list", "--stale")] == ["Old"]


def test_list_of_all_deals_shows_closed_ones_with_their_outcome(cli) -> None:
    """Closed deals (read from the closed journal) show their outcome and stage, and no
    quote cell; open deals show their quote's end."""
    cli("add", "Open quoted", "-v", "100", "-s", "quoted", "--at", "2026-11-20 09:00")
    cli("quote", "1", "--valid-until", "2026-12-10")
    cli("add", "Closed quoted", "-v", "50.5", "-s", "quoted", "--at", "2026-11-20 09:00")
    cli("quote", "2", "--valid-until", "2026-12-10")
    cli("won", "2")
    lines = cli("list", "--status", "all").stdout.splitlines()
    assert lines == [
        "ID  Title          Stage           Value  Days  Next action",
        " 1  Open quoted    Quoted        ฿100.00     7  (quote to 2026-12-10)",
        " 2  Closed quoted  won (Quoted)   ฿50.50     7",
        "2 deals: open 1, ฿100.00; won 1, ฿50.50",
    ]
    # every status asked for, and the deals found share one: the total still names it
    # (it read "1 deal, ฿50.50", as the total of open deals does)
    found = cli("list", "--status", "all", "--search", "Closed").stdout.splitlines()
    assert found[-1] == "1 deal: won 1, ฿50.50"
    assert cli("list", "--status", "won").stdout.splitlines()[-1] == "1 deal, ฿50.50"


def test_list_plain_output_is_aligned_for_thai(cli) -> None:
    """Piped list output is plain text whose columns line up by display width."""
    from salespipe.present import textwidth

    cli("add", "ระบบ ERP สยามฟู้ดส์", "-c", "สยามฟู้ดส์", "-v", "1.5m")
    cli("add", "CRM", "-c", "Acme", "-v", "150k")
    lines = cli("list").stdout.splitlines()
    header, first, second = lines[0], lines[1], lines[2]
    assert "\x1b[" not in "".join(lines)
    value_end = textwidth.width(header[: header.index("Value") + len("Value")])
    for row in (first, second):
        cut = next(i for i in range(len(row) + 1) if textwidth.width(row[:i]) == value_end)
        assert row[:cut].endswith(".00")


def test_show_prints_fields_guide_and_timeline(cli) -> None:
    """show lists the fields, the stage's guide and the history with reasons."""
    cli("add", "ERP", "-v", "100")
    cli("move", "1", "quoted", "--reason", "asked for price")
    cli("note", "1", "Sent by email")
    out = cli("show", "1").stdout
    assert "Deal 1: ERP" in out
    assert "What to do in Quoted: Send a complete quotation" in out
    assert "moved: Presented → Quoted" in out
    assert "asked for price" in out
    assert "note: Sent by email" in out
    shown = cli.json("show", "1")
    assert [e["type"] for e in shown["events"]] == ["add", "move", "note"]
    assert shown["guide"].startswith("Send a complete quotation")


def test_edit_move_won_lost_reopen_round(cli) -> None:
    """The everyday commands change the deal as their JSON shows."""
    cli("add", "ERP", "-v", "100")
    assert cli.json("edit", "1", "--value", "250.50", "--prob", "none")["value"] == 250.5
    assert cli.json("move", "1", "negotiating")["stage"] == "negotiating"
    assert cli.json("lost", "1", "--reason", "price")["lost_reason"] == "price"
    assert cli.json("reopen", "1", "--stage", "2")["stage"] == "considering"
    won = cli.json("won", "1", "--reason", "signed")
    assert (won["status"], won["weighted_value"]) == ("won", 250.5)


def test_lost_without_reason_is_refused(cli) -> None:
    """lost needs --reason: exit 1 and the deal stays open."""
    cli("add", "ERP")
    result = cli("lost", "1")
    assert result.exit_code == 1
    assert "--reason" in result.stderr
    assert cli.json("show", "1")["status"] == "open"


def test_move_to_unknown_or_ambiguous_stage_lists_candidates(cli) -> None:
    """Unknown and ambiguous stage names are exit 1 with the candidates named."""
    cli("add", "ERP")
    cli("stage", "add", "Quick win")
    unknown = cli("move", "1", "closing")
    assert unknown.exit_code == 1
    assert '"Presented"' in unknown.stderr
    ambiguous = cli("move", "1", "qu")
    assert ambiguous.exit_code == 1
    assert '"Quoted", "Quick win"' in ambiguous.stderr


def test_move_with_at_and_no_op(cli) -> None:
    """--at backdates the move; moving to the current stage says so and changes nothing."""
    cli("add", "ERP", "--at", "2026-11-01 09:00")
    moved = cli.json("move", "1", "quoted", "--at", "2026-11-20 09:00")
    assert moved["stage_entered_at"] == "2026-11-20T09:00:00+07:00"
    assert moved["days_in_stage"] == 7
    assert moved["changed"] is True
    again = cli("move", "1", "Quoted")
    assert again.exit_code == 0
    assert "already in Quoted" in again.stdout
    unchanged = cli.json("move", "1", "Quoted")
    assert unchanged["changed"] is False  # --json says it too, as the sentence does
    assert unchanged["stage_entered_at"] == "2026-11-20T09:00:00+07:00"
    future = cli("move", "1", "negotiating", "--at", "tomorrow")
    assert future.exit_code == 1
    assert "in the future" in future.stderr


def test_quote_says_the_value_its_amount_gave_the_deal(cli) -> None:
    """The deal's value follows a quoted amount; quote said only "quote recorded", and the
    new value was seen only in the log (a trial)."""
    cli("add", "ERP", "--value", "1.5m")
    changed = cli("quote", "1", "--valid-until", "2026-12-31", "--amount", "1.45m")
    assert changed.stdout.strip() == (
        "Deal 1: quote recorded, valid until 2026-12-31; its value is now ฿1,450,000.00 "
        "(was ฿1,500,000.00)."
    )
    same = cli("quote", "1", "--valid-until", "2027-01-15", "--amount", "1.45m")
    assert same.stdout.strip() == "Deal 1: quote recorded, valid until 2027-01-15."


def test_edit_without_a_field_to_change_is_a_usage_error(cli) -> None:
    """`edit 1` with no option said "nothing changed" and exited 0, so a script that lost
    its --value went on as if the deal were changed (a trial)."""
    cli("add", "ERP", "--value", "1m")
    bare = cli("edit", "1")
    assert bare.exit_code == 2
    assert "Name what to change" in bare.stderr
    assert cli.json("show", "1")["value"] == 1000000


def test_edit_and_next_json_say_whether_they_changed_the_deal(cli) -> None:
    """edit and next, asked for what the deal already has, say "nothing changed" in words;
    their --json said nothing of it, as move's had not (a scripting trial)."""
    cli("add", "ERP", "--value", "1m")
    assert cli.json("edit", "1", "--value", "2m")["changed"] is True
    assert cli.json("edit", "1", "--value", "2m")["changed"] is False
    assert cli.json("next", "1", "Call", "--due", "2026-12-01")["changed"] is True
    assert cli.json("next", "1", "Call", "--due", "2026-12-01")["changed"] is False
    assert cli.json("next", "1", "--done")["changed"] is True
    assert cli.json("next", "1", "--done")["changed"] is False


def test_note_next_and_quote(cli) -> None:
    """note, next (set and --done) and quote work and show in JSON."""
    cli("add", "ERP", "-v", "100")
    assert cli("note", "1", "โทรคุยกับคุณสมชาย").exit_code == 0
    assert cli.json("next", "1", "Call back", "--due", "+3d")["next_action"] == {
        "text": "Call back",
        "due": "2026-11-30",
    }
    assert cli.json("next", "1", "--done")["next_action"] is None
    bad = cli("next", "1", "Call")
    assert bad.exit_code == 1
    # next takes its text as an argument: the message named add's --next option; then it
    # asked for the TEXT given, the due date being what was missing
    assert bad.stderr.strip() == (
        'Error: The next action "Call" needs its due date: add --due DATE, e.g. --due "next week".'
    )
    quoted = cli.json(
        "quote", "1", "--amount", "90k", "--valid-until", "+14d", "--note", "VAT incl."
    )
    assert quoted["value"] == 90000
    assert quoted["quote"]["valid_until"] == "2026-12-11"
    assert "quote to 2026-12-11" in cli("list").stdout


def test_a_note_is_kept_whole_up_to_its_limit_and_refused_past_it(cli) -> None:
    """A note of 10,000 characters, over several lines in Thai and English, comes back
    to the character; one character more is refused in one sentence and nothing is
    written."""
    cli("add", "ERP")
    lines = ["โทรคุยกับคุณสมชาย เรื่องราคา", "Call back after the board meets."]
    note = "\n".join(lines * 150)
    note += "x" * (10_000 - len(note))
    assert cli("note", "1", "--", note).exit_code == 0
    assert cli.json("show", "1")["events"][-1]["text"] == note
    longer = cli("note", "1", "--", note + "x")
    assert longer.exit_code == 1
    assert longer.stderr.strip() == "Error: The note is longer than 10000 characters."
    assert len(cli.json("show", "1")["events"]) == 2


def test_delete_needs_yes_without_a_terminal(cli) -> None:
    """Not from a terminal, delete without --yes is refused; with --yes it deletes."""
    cli("add", "ERP")
    refused = cli("delete", "1")
    assert refused.exit_code == 1
    assert "--yes" in refused.stderr
    deleted = cli.json("delete", "1", "--yes")
    assert deleted["deleted"]["title"] == "ERP"
    assert cli("show", "1").exit_code == 1


def test_undo_reports_what_it_undid(cli, author: str) -> None:
    """undo names the command it reverted, and who made it when; with nothing left it
    exits 1."""
    cli("add", "ERP")
    cli("move", "1", "quoted")
    assert cli("undo").stdout == 'Undid: stage move on deal 1 "ERP" (change 2).\n'
    undone = cli.json("undo")
    assert undone["undid"] == {
        "change": 1,
        "command": "add",
        "description": 'new deal 1 "ERP"',
        "by": author,
        "at": "2026-11-27T10:00:00+07:00",
    }
    nothing = cli("undo")
    assert nothing.exit_code == 1
    assert "nothing to undo" in nothing.stderr


def test_log_is_newest_first_with_filters(cli) -> None:
    """log lists events newest first, for one deal, since a date, limited."""
    cli("add", "A", "--at", "2026-11-01 09:00")
    cli("add", "B", "--at", "2026-11-10 09:00")
    cli("move", "1", "quoted", "--at", "2026-11-12 09:00")
    events = cli.json("log")
    assert [(e["type"], e["deal_id"]) for e in events] == [("move", 1), ("add", 2), ("add", 1)]
    assert [e["type"] for e in cli.json("log", "1")] == ["move", "add"]
    assert len(cli.json("log", "--since", "2026-11-10")) == 2
    assert len(cli.json("log", "--limit", "1")) == 1
    assert "moved: Presented → Quoted" in cli("log").stdout
    for number in range(60):  # past the default 50
        cli("note", "1", f"call {number}")
    assert len(cli.json("log")) == 50  # the newest 50, said on stderr
    assert len(cli.json("log", "--limit", "0")) == 63  # 0 for all, as list takes it
    assert len(cli.json("log", "1", "-n", "0")) == 62


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["add", "--help"]])
def test_version_and_help(cli, args: list[str]) -> None:
    """--version and --help answer with exit 0."""
    result = cli(*args)
    assert result.exit_code == 0
    assert result.stdout.strip()


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_a_json_array_written_in_batches_is_the_same_bytes(
    capsysbinary: pytest.CaptureFixture[bytes], count: int
) -> None:
    """list --json writes its array a batch at a time; the bytes are those of dumping the
    whole list, nested objects and newlines in strings included."""
    import orjson

    from salespipe.cli import output

    items = [
        {"id": n, "title": f"line\nbreak {n}", "tags": ["a", "b"], "q": {"x": None}}
        for n in range(count)
    ]
    output.json_array(iter(items), batch=2)
    assert capsysbinary.readouterr().out == orjson.dumps(items, option=orjson.OPT_INDENT_2) + b"\n"


@pytest.mark.parametrize(
    ("typed", "value", "currency"),
    [
        ("$100", 100, "USD"),
        ("USD 1,200", 1200, "USD"),
        ("100 eur", 100, "EUR"),
        ("250,000 บาท", 250000, "THB"),
        ("1.5 ล้านบาท", 1500000, "THB"),
        ("150k", 150000, "THB"),
    ],
)
def test_a_value_that_names_its_currency_sets_it(
    cli, typed: str, value: int, currency: str
) -> None:
    """`--value '$100'` was kept as ฿100 (the sign dropped, the config's currency kept);
    "250,000 บาท", which import reads, was refused."""
    made = cli.json("add", "A", "--value", typed)
    assert (made["value"], made["currency"]) == (value, currency)


def test_a_value_and_currency_that_disagree_are_refused(cli) -> None:
    refused = cli("add", "A", "--value", "$100", "--currency", "THB")
    assert refused.exit_code == 1
    assert 'The value "$100" is in USD, but --currency says THB' in refused.stderr


def test_list_of_an_owner_with_no_open_deal_says_so(cli) -> None:
    """`list --owner alice` where the owner is tlead_alice printed "0 deals" and nothing
    else, where the reports warn of such an owner (a trial)."""
    cli("add", "A", "--owner", "somchai", "-q")
    typo = cli("list", "--owner", "somchia")
    assert typo.stderr.strip() == 'Warning: no open deal has the owner "somchia".'
    filtered = cli("list", "--owner", "somchai", "--stage", "quoted")
    assert filtered.exit_code == 0
    assert filtered.stderr == ""  # her deal is only in another stage
    assert cli("list", "--owner", "somchai").stderr == ""
    # Of closed deals, "no open deal" is no typo warning (a review).
    assert cli("list", "--owner", "somchai", "--status", "lost").stderr == ""


def test_a_new_currency_says_the_amounts_are_not_converted(cli) -> None:
    """`edit --currency USD` on a deal worth ฿1.5m made it USD 1.5m without a word; it
    mends a currency given wrong, so the amounts stay, and now it says so (a trial)."""
    cli("add", "ERP", "--value", "1.5m", "-q")
    cli("add", "Nothing yet", "-q")
    relabelled = cli("edit", "1", "--currency", "USD")
    assert relabelled.stdout.strip() == "Updated deal 1: currency THB → USD."
    assert relabelled.stderr.strip() == (
        "The amounts are not converted: deal 1 is worth USD 1,500,000.00 now; "
        "`salespipe edit 1 --value AMOUNT` sets another."
    )
    assert "not converted" not in cli("edit", "1", "--currency", "EUR", "--value", "40k").stderr
    assert "not converted" not in cli("edit", "2", "--currency", "USD").stderr


def test_a_quote_in_another_currency_than_the_deals_is_refused(cli) -> None:
    """`quote --amount '$50'` on a baht deal set its value to ฿50."""
    cli("add", "A", "--value", "100k")
    refused = cli("quote", "1", "--valid-until", "+10d", "--amount", "$50")
    assert refused.exit_code == 1
    assert "The quote amount is in USD, but deal 1 is in THB" in refused.stderr
    assert cli.json("show", "1")["value"] == 100000
    assert cli("quote", "1", "--valid-until", "+10d", "--amount", "฿90k").exit_code == 0
    assert cli.json("show", "1")["value"] == 90000


def test_a_quote_ten_times_off_the_deals_value_is_said_on_stderr(cli) -> None:
    """`quote --amount 5555` on a deal of 1,500,000 changed its value 270-fold without a
    word: now a warning names both figures, on stderr (stdout stays JSON), and the
    quote is recorded all the same (exit 0)."""
    cli("add", "ERP", "--value", "1.5m")
    low = cli("quote", "1", "--valid-until", "+10d", "--amount", "5555", "--json")
    assert low.exit_code == 0
    assert json.loads(low.stdout)["value"] == 5555
    assert low.stderr.strip() == (
        "Warning: Deal 1 was worth ฿1,500,000.00; this quote made it ฿5,555.00, a change "
        "of 10 times or more. If the amount was mistyped, `salespipe undo` right away, "
        "before another change, takes the quote back (`salespipe undo --list` shows what "
        "undo takes back)."
    )
    ok(cli("undo"))
    high = cli("quote", "1", "--valid-until", "+10d", "--amount", "405m")
    assert "worth ฿1,500,000.00; this quote made it ฿405,000,000.00" in high.stderr
    ok(cli("undo"))
    thai = cli("--lang", "th", "quote", "1", "--valid-until", "+10d", "--amount", "150k")
    assert "ดีล 1 เคยมีมูลค่า ฿1,500,000.00 ใบเสนอราคานี้ทำให้เป็น ฿150,000.00" in thai.stderr
    ok(cli("undo"))
    for near in ("150,001", "14,999,999", "1.4m"):  # under 10 times either way: a price
        assert cli("quote", "1", "--valid-until", "+10d", "--amount", near).stderr == ""
        ok(cli("quote", "1", "--valid-until", "+10d", "--amount", "1.5m"))
    assert cli("quote", "1", "--valid-until", "+10d").stderr == ""  # no amount: no change
    cli("add", "No value yet")
    assert cli("quote", "2", "--valid-until", "+10d", "--amount", "2m").stderr == ""


def test_show_says_how_late_an_overdue_next_action_is(cli) -> None:
    """list and board mark an overdue next action; show gave it as any other."""
    cli("add", "ERP", "--next", "Call back", "--due", "2026-11-20", "--at", "2026-11-10 09:00")
    cli("add", "CRM", "--next", "Demo", "--due", "+3d")
    lines = cli("show", "1").stdout.splitlines()
    assert "Next action     2026-11-20 Call back (7 days late)" in lines
    assert "Next action     2026-11-30 Demo" in cli("show", "2").stdout.splitlines()
    cli("won", "1")
    assert "late)" not in cli("show", "1").stdout  # a closed deal's action is late no more


def test_a_deleted_deal_is_said_to_be_deleted_not_missing(cli) -> None:
    """show of a deleted deal said "There is no deal 2", as for a mistyped id."""
    cli("add", "Keep")
    cli("add", "Gone", "--at", "2026-11-20 09:00")
    assert cli("delete", "2", "--yes").exit_code == 0
    for args in (("show", "2"), ("move", "2", "quoted"), ("delete", "2", "--yes")):
        refused = cli(*args)
        assert refused.exit_code == 1, args
        assert "Deal 2 was deleted on 2026-11-27 " in refused.stderr, args
        assert "`salespipe log 2` shows its history." in refused.stderr
    assert json.loads(cli("show", "2", "--json").stdout)["error"]["code"] == "deal_not_found"
    assert "There is no deal 7;" in cli("show", "7").stderr


def test_a_changed_value_is_shown_with_its_currency_then(cli, monkeypatch) -> None:
    """`edit --value`, `show` and `log` said "value 12,500.00 → 13,000.00" without the
    currency, where thai.md promises amounts with it (a trial); each with the currency
    the deal had then, a deleted deal's too."""
    monkeypatch.setenv("COLUMNS", "160")
    cli("add", "Licences", "--value", "12,500", "--currency", "USD", "-q")
    said = cli("edit", "1", "--value", "13000")
    assert said.stdout.strip() == "Updated deal 1: value USD 12,500.00 → USD 13,000.00."
    cli("edit", "1", "--currency", "EUR")
    cli("edit", "1", "--value", "14000")
    cli("add", "Gone", "--value", "1m", "-q")
    cli("edit", "2", "--value", "2m")
    cli("delete", "2", "--yes")
    shown = cli("show", "1").stdout
    assert "value USD 12,500.00 → USD 13,000.00" in shown
    assert "value EUR 13,000.00 → EUR 14,000.00" in shown
    logged = cli("log").stdout
    assert "value ฿1,000,000.00 → ฿2,000,000.00" in logged
    assert "value EUR 13,000.00 → EUR 14,000.00" in logged
    assert "value USD 12,500.00 → USD 13,000.00" in logged


def test_watch_says_a_changed_value_as_log_does(cli, target) -> None:
    """`watch` prints a change "in the same words as log": log now gives a value its
    currency, so the feed's line does too (the feed passes each change's deals)."""
    from salespipe.app.pipeline import Pipeline
    from salespipe.present import deal_results

    cli("add", "Licences", "--value", "12,500", "--currency", "USD", "-q")
    cli("edit", "1", "--value", "13000")
    view = Pipeline.open(target, "en").read()
    [edit] = view.newest_events(1)
    deal = view.get_deal(1)
    assert deal is not None
    shown = deal_results.WatchedChange([edit], view.stages(), {deal.id: deal.currency})
    [line] = deal_results.watched_view(shown)
    assert "deal 1: edited: value USD 12,500.00 → USD 13,000.00 (by " in line.text


def test_a_next_action_done_is_named_in_log_and_show(cli) -> None:
    """A Salesforce user's trial: `next 1 --done` was logged as "next action: —", which
    did not say which action was done."""
    cli("add", "Roof", "-q")
    cli("next", "1", "Call", "--due", "2026-12-10")
    cli("next", "1", "--done")
    done = "next action done: 2026-12-10 Call"
    assert done in cli("log").stdout
    assert done in cli("show", "1").stdout
    assert "next action: —" not in cli("show", "1").stdout


def test_next_done_says_which_action_was_done(cli) -> None:
    """`next 1 --done` said "next action cleared" while log said which action was done
    (a review): it says the action, as log does."""
    cli("add", "Roof", "-q")
    cli("next", "1", "Call Ann", "--due", "2026-12-10")
    said = ok(cli("next", "1", "--done")).stdout.strip()
    assert said == 'Deal 1: next action "Call Ann" (due 2026-12-10) done.'
