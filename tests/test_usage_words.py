"""Click's own usage errors said in the user's language: under `config set lang th` a
mistyped option, a missing argument or a word for a number was the one English sentence
a Thai user met (Typer's Click has no catalogue of its own)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from salespipe.cli import usage_words
from salespipe.core import i18n


@pytest.fixture
def thai_file(cli: Any) -> None:
    assert cli("init").exit_code == 0
    assert cli("config", "set", "lang", "th").exit_code == 0


@pytest.mark.usefixtures("thai_file")
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("list", "--foo"), "ข้อผิดพลาด: ไม่มีตัวเลือก --foo"),
        (("list", "--sot"), "ข้อผิดพลาด: ไม่มีตัวเลือก --sot (ตัวเลือกที่ใกล้เคียง: --sort)"),
        (("add",), "ข้อผิดพลาด: ยังไม่ได้ระบุ title: ดีลนี้คืออะไร"),
        (("list", "--limit", "abc"), "ไม่ถูกต้อง: 'abc' ไม่ใช่ตัวเลข"),
        (("list", "--limit", "-3"), "ไม่ถูกต้อง: -3 ไม่อยู่ในช่วง x>=0"),
        (("list", "--sort"), "ข้อผิดพลาด: ตัวเลือก '--sort' ต้องมีค่าตามหลัง"),
        (("show", "1", "2"), "ข้อผิดพลาด: มีคำเกินมา (2)"),
        (("lst",), "ข้อผิดพลาด: ไม่มีคำสั่ง 'lst' หมายถึง 'list', 'lost' หรือไม่?"),
    ],
)
def test_a_usage_error_is_said_in_thai_under_lang_th(
    cli: Any, args: tuple[str, ...], said: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert said in result.stderr
    assert "Error" not in result.stderr
    assert "Usage:" not in result.stderr


@pytest.mark.usefixtures("thai_file")
def test_a_usage_error_in_json_is_thai_too(cli: Any) -> None:
    result = cli("list", "--json", "--foo")
    assert json.loads(result.stdout)["error"]["message"] == "ไม่มีตัวเลือก --foo"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--lang", "th"), {}),
        (("--db", "x.json"), {"SALESPIPE_LANG": "th"}),
        (("--json", "list"), {"SALESPIPE_LANG": "th"}),
    ],
)
def test_a_usage_error_before_the_command_follows_the_language_asked(
    cli: Any, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: dict[str, str]
) -> None:
    """`salespipe --lang th` alone said "Error: Missing command." in English, as did every
    root option error under SALESPIPE_LANG=th (a review)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli(*args)
    assert result.exit_code == 2
    assert "ข้อผิดพลาด: " in result.stderr, result.stderr
    assert "Error" not in result.stderr
    assert "Usage:" not in result.stderr


def test_in_english_clicks_own_words_stay(cli: Any) -> None:
    result = cli("list", "--limit", "abc")
    assert result.exit_code == 2
    assert "Usage: salespipe list [OPTIONS]" in result.stderr
    assert "Error: Invalid value for '--limit' / '-n': 'abc' is not a valid int range." in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("typed", "word", "count"),
    [
        ("lsit", "list", 1),  # two neighbours swapped: one edit
        ("lsit", "lost", 2),
        ("lst", "list", 1),
        ("list", "list", 0),
        ("", "add", 3),
        ("ab", "ba", 1),
        ("ca", "abc", 3),  # (each letter edited once: not 2)
        ("เสนอ", "เนสอ", 1),
    ],
)
def test_edits_count_a_swap_of_neighbours_as_one(typed: str, word: str, count: int) -> None:
    assert usage_words.edits(typed, word) == count
    assert usage_words.edits(word, typed) == count


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # difflib liked lost as much as list and put it first: a rep could mark a deal lost
        (("lsit",), "Error: No such command 'lsit'. Did you mean 'list', 'lost'?"),
        (("lst",), "Error: No such command 'lst'. Did you mean 'list', 'lost'?"),  # ties: order
        (("stage", "lsit"), "Error: No such command 'lsit'. Did you mean 'list'?"),
        (("zzzz",), "Error: No such command 'zzzz'.\n"),
    ],
)
def test_a_mistyped_command_is_told_the_nearest_first(
    cli: Any, args: tuple[str, ...], said: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert said in result.stderr


def test_a_sentence_not_known_stays_as_click_wrote_it() -> None:
    i18n.set_language("th")
    try:
        assert usage_words.said("Something Click says anew.") == "Something Click says anew."
        assert usage_words.said("No such option: --foo") == "ไม่มีตัวเลือก --foo"
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("args", [(), ("stage",), ("config",)])
def test_a_command_typed_alone_shows_its_help_not_an_error(cli: Any, args: tuple[str, ...]) -> None:
    """`salespipe` typed alone, as a new user starts, printed its usage, "Try 'salespipe
    -h' for help." and then the whole help again after "Error: Usage:" (a trial)."""
    result = cli(*args)
    assert result.exit_code == 2
    assert "Error" not in result.stderr, result.stderr
    assert "Try '" not in result.stderr
    assert result.stderr.count("Usage:") == 1
    assert "Commands:" in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("export", "deals.csv"),
            "Error: Got unexpected extra argument(s) (deals.csv); to write to a file, give it "
            "with -o: `salespipe export -o deals.csv`",
        ),
        (
            ("export", "out/my deals.csv"),
            "(out/my deals.csv); to write to a file, give it with -o: "
            "`salespipe export -o 'out/my deals.csv'`",
        ),
        (
            ("move", "1", "นัด", "เดโม"),
            "Error: Got unexpected extra argument(s) (เดโม); put a name of several words in "
            'quotes: "นัด เดโม"',
        ),
        (
            ("note", "1", "called", "them"),
            '(them); put a text of several words in quotes: "called them"',
        ),
    ],
)
def test_an_extra_argument_is_told_what_was_meant(
    cli: Any, args: tuple[str, ...], said: str
) -> None:
    """`export deals.csv` and `move 5 นัด เดโม` (a Thai trial) were refused without a word
    of -o or of quotes: the refusal says how to give it."""
    cli("add", "A", "-q")
    result = cli(*args)
    assert result.exit_code == 2
    assert said in result.stderr


@pytest.mark.usefixtures("thai_file")
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("export", "deals.csv"),
            "ข้อผิดพลาด: มีคำเกินมา (deals.csv) ถ้าจะเขียนลงไฟล์ ให้ใส่ชื่อไฟล์หลัง -o: "
            "`salespipe export -o deals.csv`",
        ),
        (
            ("move", "1", "นัด", "เดโม"),
            'ข้อผิดพลาด: มีคำเกินมา (เดโม) ชื่อที่มีหลายคำต้องอยู่ในเครื่องหมายคำพูด: "นัด เดโม"',
        ),
    ],
)
def test_what_an_extra_argument_meant_is_said_in_thai(
    cli: Any, args: tuple[str, ...], said: str
) -> None:
    """The hint appended to Click's sentence left its Thai rewording no room: the
    sentence came out in English (a pattern must take the text after it)."""
    cli("add", "A", "-q")
    result = cli(*args)
    assert said in result.stderr
    assert "Error" not in result.stderr
    message = json.loads(cli(*args, "--json").stdout)["error"]["message"]
    assert message == said.removeprefix("ข้อผิดพลาด: ")


@pytest.mark.parametrize("args", [("export", "csv"), ("show", "1", "2")])
def test_an_extra_argument_that_is_neither_gets_no_hint(cli: Any, args: tuple[str, ...]) -> None:
    """Not a file's name, or after a deal's number: nothing to say but Click's sentence."""
    cli("add", "A", "-q")
    result = cli(*args)
    assert result.stderr.rstrip().endswith(f"extra argument(s) ({args[-1]})")
