"""Stage, init and config commands from the command line."""

from __future__ import annotations

import json

import pytest
from tests.checks import ok

pytestmark = pytest.mark.usefixtures("each_backend")


def test_stage_list_json_and_disabled_hidden(cli) -> None:
    """stage list shows enabled stages with open deal counts; --all adds disabled ones."""
    cli("add", "A", "-s", "quoted")
    stages = cli.json("stage", "list")
    assert [(s["key"], s["open_deals"]) for s in stages][:3] == [
        ("presented", 0),
        ("considering", 0),
        ("quoted", 1),
    ]
    cli("stage", "disable", "considering")
    assert [s["key"] for s in cli.json("stage", "list")] == [
        "presented",
        "quoted",
        "negotiating",
        "approved",
    ]
    assert len(cli.json("stage", "list", "--all")) == 5
    plain = cli("stage", "list").stdout
    assert "Quoted" in plain
    assert "Considering" not in plain


def test_stage_commands_round(cli) -> None:
    """add, rename, set, order, enable and remove each print their result."""
    added = cli.json(
        "stage", "add", "ทดลองใช้", "--after", "presented", "--prob", "20", "--target-days", "5"
    )
    assert (added["name"], added["position"], added["probability"]) == ("ทดลองใช้", 2, 20)
    renamed = cli.json("stage", "rename", "ทดลอง", "ทดลองใช้ฟรี")
    assert renamed["name"] == "ทดลองใช้ฟรี"
    updated = cli.json("stage", "set", "ทดลองใช้ฟรี", "--target-days", "none", "--guide", "ให้ลอง")
    assert (updated["target_days"], updated["guide"]) == (None, "ให้ลอง")
    order = cli.json("stage", "order", "approved", "1")
    assert [s["key"] for s in order][:2] == ["approved", "presented"]
    assert cli("stage", "remove", "ทดลองใช้ฟรี").exit_code == 0
    assert "ทดลองใช้ฟรี" not in cli("stage", "list", "--all").stdout


def test_order_leaves_a_switched_off_stage_in_its_place(cli) -> None:
    """``stage order`` put a switched-off stage last: the funnel then counted every deal
    past Approved as having reached it, and switched on again it came after Approved."""
    ok(cli("init", "--lang", "en"))
    ok(cli("stage", "disable", "quoted"))
    before = [s["key"] for s in cli.json("stage", "list", "--all")]

    same = cli("stage", "order", "presented", "considering")
    assert [s["key"] for s in cli.json("stage", "list", "--all")] == before
    ok(same)
    ok(cli("stage", "order", "considering"))
    assert [s["key"] for s in cli.json("stage", "list", "--all")] == [
        "considering",
        "presented",
        "quoted",
        "negotiating",
        "approved",
    ]
    ok(cli("stage", "enable", "quoted"))
    assert [s["key"] for s in cli.json("stage", "list")][2] == "quoted"


def test_a_stage_set_order_or_setting_already_so_says_nothing_changed(cli) -> None:
    """They said what they set as if it were a change; the next undo then took back the
    change before (a move), not the one the person had just made."""
    ok(cli("init", "--lang", "en"))
    ok(cli("add", "ERP"))
    ok(cli("move", "1", "quoted"))
    for argv in (
        ("stage", "set", "quoted", "--prob", "50"),
        ("stage", "order", "presented"),
        ("config", "set", "currency", "THB"),
    ):
        same = cli(*argv)
        assert same.exit_code == 0
        assert "nothing changed" in same.stdout, argv
    assert "nothing changed" not in cli("stage", "set", "quoted", "--prob", "55").stdout
    assert "nothing changed" not in cli("config", "set", "currency", "USD").stdout
    listed = cli.json("undo", "--list")
    assert [c["command"] for c in listed][:3] == ["config", "stage set", "move"]


def test_switching_a_stage_off_or_on_twice_says_nothing_changed(cli) -> None:
    ok(cli("init", "--lang", "en"))
    ok(cli("stage", "disable", "quoted"))
    again = cli("stage", "disable", "quoted")
    on_already = cli("stage", "enable", "presented")

    assert again.exit_code == 0
    assert 'The stage "Quoted" is switched off already; nothing changed.' in again.stdout
    assert on_already.exit_code == 0
    assert "switched on already; nothing changed" in on_already.stdout
    assert "Enabled stage" in cli("stage", "enable", "quoted").stdout


@pytest.mark.parametrize(
    "name",
    ["Quoted\u200b", "Quo\u00adted", "\uff31\uff55\uff4f\uff54\uff45\uff44"],
    ids=["zero-width space", "soft hyphen", "full-width"],
)
def test_a_name_that_looks_like_a_stages_is_taken(cli, tmp_path, name: str) -> None:
    """A stage whose name only looks like another's (an invisible character, full-width
    letters) was a second "Quoted" in every list; an import's label so written goes to
    the stage it looks like."""
    refused = cli("stage", "add", name)
    assert refused.exit_code == 1
    assert 'There is already a stage "Quoted" (quoted).' in refused.stderr
    sheet = tmp_path / "deals.csv"
    sheet.write_text(f"title,stage\nA,{name}\n", encoding="utf-8")
    assert cli("import", str(sheet), "--create-stages").exit_code == 0
    assert cli.json("show", "1")["stage"] == "quoted"
    assert len(cli.json("stage", "list")) == 5


def test_a_name_with_more_spaces_between_its_words_is_taken(cli, tmp_path) -> None:
    """ "Renewal  due" (two spaces) was a second stage beside "Renewal due"."""
    ok(cli("stage", "add", "Renewal due"))
    refused = cli("stage", "add", "Renewal  due")
    assert refused.exit_code == 1
    assert 'There is already a stage "Renewal due"' in refused.stderr
    sheet = tmp_path / "deals.csv"
    sheet.write_text("title,stage\nA,Renewal   due\n", encoding="utf-8")
    ok(cli("import", str(sheet)))
    assert cli.json("show", "1")["stage"] == "renewal-due"
    ok(cli("move", "1", "quoted"))
    ok(cli("move", "1", "Renewal  due"))  # typed so, as it was refused when named so
    assert cli.json("show", "1")["stage"] == "renewal-due"


def test_stage_errors(cli) -> None:
    """Duplicate names, stages in use and disabling a full stage are exit 1 with a fix."""
    cli("add", "A")
    duplicate = cli("stage", "add", "quoted")
    assert duplicate.exit_code == 1
    assert "already a stage" in duplicate.stderr
    in_use = cli("stage", "remove", "presented")
    assert in_use.exit_code == 1
    assert "stage disable" in in_use.stderr
    full = cli("stage", "disable", "presented")
    assert full.exit_code == 1
    assert "--move-to" in full.stderr
    moved = cli("stage", "disable", "presented", "--move-to", "quoted")
    assert 'moved 1 open deal to "Quoted".' in moved.stdout  # (where to: a trial)
    # The move starts a new stay: a deal long over its target showed 0 days, unsaid.
    said = " ".join(moved.stdout.split())
    assert "Its days in a stage start again from today; `stale` counts from now." in said
    assert cli.json("show", "1")["stage"] == "quoted"


def test_thai_default_stages_by_lang_option_and_environment(cli, db_path, monkeypatch) -> None:
    """--lang th, SALESPIPE_LANG=th or a th_* locale give Thai stage names to a new file."""
    assert cli.json("--lang", "th", "add", "A")["stage_name"] == "ติดต่อนำเสนอ"
    other = cli.json("--db", str(db_path.parent / "en.json"), "add", "A")
    assert other["stage_name"] == "Presented"
    monkeypatch.setenv("LANG", "th_TH.UTF-8")
    thai = cli.json("--db", str(db_path.parent / "th.json"), "add", "A")
    assert thai["stage_name"] == "ติดต่อนำเสนอ"
    monkeypatch.setenv("SALESPIPE_LANG", "th")
    env = cli.json("--db", str(db_path.parent / "env.json"), "add", "A")
    assert env["stage_name"] == "ติดต่อนำเสนอ"
    bad = cli("--lang", "fr", "list")
    assert bad.exit_code == 1


def test_init_creates_the_file_once(cli, db_path) -> None:
    """init creates the file with the language's stages; a second init is refused."""
    created = cli.json("init", "--lang", "th", "--currency", "usd")
    assert created["stages"][2]["name"] == "เสนอราคา"
    assert db_path.exists()
    assert cli.json("config", "get", "currency") == {"currency": "USD"}
    again = cli("--lang", "en", "init")  # (the file speaks Thai: init --lang th)
    assert again.exit_code == 1
    assert "already exists" in again.stderr


def test_config_set_get_list_and_errors(cli, author: str) -> None:
    """Settings are validated, stored, listed and undoable; the owner shown is who the
    changes are by (on a server the database role, not the setting)."""
    assert cli.json("config", "set", "lock_timeout", "3") == {"lock_timeout": 3}
    assert cli("config", "get", "lock_timeout").stdout == "3\n"
    assert cli.json("config", "set", "require_reason", "yes") == {"require_reason": True}
    settings = cli.json("config", "list")
    assert set(settings) == {
        "currency",
        "owner",
        "lang",
        "require_reason",
        "lock_timeout",
        "date_era",
        "visibility",
    }
    assert settings["owner"] == author
    unknown = cli("config", "set", "colour", "red")
    assert unknown.exit_code == 1
    assert "no setting" in unknown.stderr
    bad = cli("config", "set", "date_era", "mayan")
    assert bad.exit_code == 1
    assert "date_era" in bad.stderr
    cli("undo")
    assert cli.json("config", "get", "require_reason") == {"require_reason": False}


def test_json_output_is_utf8_not_escaped(cli) -> None:
    """--json prints Thai as UTF-8 characters, not \\u escapes."""
    result = cli("add", "ระบบ", "--json")
    assert "ระบบ" in result.stdout
    assert "\\u0e" not in result.stdout
    assert json.loads(result.stdout)["title"] == "ระบบ"


def test_a_rename_says_the_old_name_and_the_new(cli) -> None:
    """log, undo --list and a hook's message said "stage rename: Proposal", which left
    the reader to guess which stage had been renamed."""
    assert cli("stage", "rename", "quoted", "Proposal").exit_code == 0
    assert "stage rename: Quoted → Proposal" in cli("log", "-n", "1").stdout
    assert "stage rename: Quoted → Proposal" in cli("undo", "--list").stdout


def test_reopening_into_a_switched_off_stage_names_the_option_that_works(cli) -> None:
    """The deal closed in a stage switched off since: the refusal named the stages but
    not --stage, the option that reopens it into one of them."""
    assert cli("add", "A").exit_code == 0
    assert cli("lost", "1", "-r", "price").exit_code == 0
    assert cli("stage", "disable", "presented").exit_code == 0
    refused = cli("reopen", "1", "-r", "back")
    assert refused.exit_code == 1
    assert 'Deal 1 closed in "Presented", which is switched off' in refused.stderr
    assert "with --stage (" in refused.stderr
    assert cli.json("reopen", "1", "--stage", "quoted", "-r", "back")["stage"] == "quoted"


def test_a_rename_reports_the_name_as_kept(cli) -> None:
    renamed = cli("stage", "rename", "considering", "  Spaced  ")
    assert 'Renamed stage "Considering" to "Spaced".' in renamed.stdout


def test_a_rename_to_the_same_name_and_a_guide_set_say_what_happened(cli) -> None:
    """A rename to the name the stage has said "Renamed" though nothing was recorded, and
    `stage set --guide` confirmed the probability and target days but not the guide."""
    cli("add", "ERP")
    events = len(cli.json("log"))
    same = cli("stage", "rename", "presented", "Presented")
    assert same.exit_code == 0
    assert same.stdout.strip() == 'The stage "Presented" already has that name; nothing changed.'
    assert len(cli.json("log")) == events
    guided = cli("stage", "set", "presented", "--guide", "Call within two days")
    assert guided.stdout.strip().endswith("Its guide: Call within two days")
    cleared = cli("stage", "set", "presented", "--guide", "")
    assert cleared.stdout.strip().endswith("It has no guide now.")
    assert "guide" not in cli("stage", "set", "presented", "--prob", "15").stdout


def test_the_log_says_what_a_stage_or_setting_change_set(cli, monkeypatch) -> None:
    """`stage set quoted --target-days 10` was logged as "stage set: Quoted" without
    what changed, and a setting set for the first time as "— → own", though it had been
    all (a team trial)."""
    ok(cli("stage", "set", "quoted", "--target-days", "10"))
    ok(cli("stage", "set", "quoted", "--prob", "55", "--guide", "Call within a day"))
    ok(cli("config", "set", "require_reason", "true"))
    monkeypatch.setenv("COLUMNS", "200")
    said = cli("log").stdout
    for what in (
        "setting require_reason: false → true",
        "stage set: Quoted (probability 50% → 55%; guide changed)",
        "stage set: Quoted (target days 14 → 10)",
    ):
        assert what in said, said


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("negotiatng", "Negotiating"), ("qouted", "Quoted"), ("Considring", "Considering")],
)
def test_a_stage_typed_wrong_is_named_as_the_one_meant(cli, typed: str, meant: str) -> None:
    """A typo of a stage listed every stage and suggested none, where a typo of a command
    or an option is answered with the one meant (a trial learning from the messages)."""
    assert cli("add", "ERP").exit_code == 0
    moved = cli("move", "1", typed)
    assert moved.exit_code == 1
    assert f'There is no stage "{typed}"; did you mean "{meant}"? The stages are ' in moved.stderr
    assert cli.json("show", "1")["stage"] == "presented"


def test_a_thai_stage_typed_wrong_is_named_as_the_one_meant(cli) -> None:
    assert cli("init", "--lang", "th").exit_code == 0
    assert cli("add", "ระบบบัญชี").exit_code == 0
    moved = cli("move", "1", "เจรจาต่อรง")
    assert moved.exit_code == 1
    assert 'ไม่มีขั้น "เจรจาต่อรง" หมายถึง "เจรจาต่อรอง" หรือเปล่า' in moved.stderr


def test_a_stage_nothing_like_any_is_not_guessed(cli) -> None:
    assert cli("add", "ERP").exit_code == 0
    moved = cli("move", "1", "zzz")
    assert 'There is no stage "zzz"; the stages are ' in moved.stderr


def test_a_stage_named_twice_in_an_order_is_named(cli) -> None:
    refused = cli("stage", "order", "quoted", "presented", "Quoted")
    assert refused.exit_code == 1
    assert 'The stage "Quoted" is named more than once in the order' in refused.stderr


def test_disable_says_the_moved_deals_days_start_again(cli) -> None:
    """`stage disable --move-to` starts each moved deal's stay anew: `stale` no longer
    named a deal 20 days in Quoted, and nothing said why (in Thai too)."""
    for title in ("A", "B"):
        ok(cli("add", title, "--stage", "quoted", "--at", "2026-10-01", "-q"))
    assert [d["id"] for d in cli.json("stale")] == [1, 2]
    moved = cli("--lang", "th", "stage", "disable", "quoted", "--move-to", "negotiating")
    ok(moved)
    assert "จำนวนวันในขั้นของดีลที่ย้ายเริ่มนับใหม่ตั้งแต่วันนี้ `stale` นับจากตอนนี้" in moved.stdout
    assert cli.json("stale") == []
    assert cli.json("show", "1")["stage"] == "negotiating"
