"""Errors a user who reads little English meets first, said in plain words in both
languages: a missing argument (what it is and where it goes), a next action without its
due date, a probability that is not one (and that none is one)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("lang", "args", "said"),
    [
        (
            "th",
            ("move", "2"),
            "ยังไม่ได้ระบุ STAGE: ชื่อขั้น คีย์ หมายเลข หรือคำขึ้นต้นที่ไม่ซ้ำกับขั้นอื่น (ภาษาไทยก็ได้) "
            "เช่น `salespipe move 2 เสนอราคา`",
        ),
        ("th", ("show",), "ยังไม่ได้ระบุ ID: หมายเลขดีล เช่น `salespipe show 12`"),
        (
            "th",
            ("note", "2"),
            'ยังไม่ได้ระบุ text: เกิดอะไรขึ้น: โทรศัพท์ ประชุม อีเมล เช่น `salespipe note 2 "โทรหาคุณสมชาย',
        ),
        (
            "en",
            ("move", "2"),
            "Missing STAGE: stage name, key, number or unique prefix (Thai too); "
            "e.g. `salespipe move 2 เสนอราคา`.",
        ),
        ("en", ("stage", "rename", "quoted"), "e.g. `salespipe stage rename quoted"),
        ("en", ("team", "add"), "Missing USER: a login role of the database server."),
        # one example, not the help's and the command line's ("e.g. 'ERP…'; e.g. `add …`")
        ("en", ("add",), 'Missing title: what the deal is; e.g. `salespipe add "ERP for'),
        ("th", ("add",), 'ยังไม่ได้ระบุ title: ดีลนี้คืออะไร เช่น `salespipe add "ระบบ ERP'),
    ],
)
def test_a_missing_argument_says_what_it_is_and_where_it_goes(
    cli: Any, lang: str, args: tuple[str, ...], said: str
) -> None:
    """`move 2` said `ขาดอาร์กิวเมนต์ 'STAGE'` ("argument": programmer's jargon) and
    English `Missing argument 'STAGE'.`: what is missing is said with the argument's help
    and the command line with it, the rest from the command's example."""
    shown = cli("--lang", lang, *args)
    assert shown.exit_code == 2
    error = " ".join(shown.stderr.split())
    assert " ".join(said.split()) in error, shown.stderr
    assert "อาร์กิวเมนต์" not in error
    assert "Missing argument" not in error


def test_a_next_action_given_without_its_due_date_says_the_date_is_missing(cli: Any) -> None:
    """`next 5 'นัดสาธิต'` said "give the next action's TEXT and --due DATE" although the
    text was given; the due date is what is missing, and nothing is changed."""
    assert cli("add", "ERP").exit_code == 0
    for lang, said in (
        ("th", 'งานถัดไป "นัดสาธิต" ยังไม่มีวันกำหนด: เพิ่ม --due DATE เช่น --due สัปดาห์หน้า'),
        ("en", 'The next action "นัดสาธิต" needs its due date: add --due DATE, e.g. --due'),
    ):
        shown = cli("--lang", lang, "next", "1", "นัดสาธิต")
        assert shown.exit_code != 0
        assert said in shown.stderr
        assert "TEXT" not in shown.stderr
    shown = cli("--lang", "th", "next", "1", "--due", "อีก 2 สัปดาห์")
    assert shown.exit_code != 0
    assert '`salespipe next 1 TEXT --due "อีก 2 สัปดาห์"`' in shown.stderr
    assert cli.json("show", "1")["next_action"] is None


def test_a_deal_s_probability_refused_names_none_too(cli: Any) -> None:
    """`edit 9 --prob ไม่มี` said "a whole number from 0 to 100" without the none the
    help offers; a stage's probability, which has no none, does not name it."""
    assert cli("add", "ERP").exit_code == 0
    shown = cli("--lang", "th", "edit", "1", "--prob", "ไม่มี")
    assert shown.exit_code != 0
    assert 'โอกาสปิด "ไม่มี" ต้องเป็นจำนวนเต็มตั้งแต่ 0 ถึง 100 หรือ none เพื่อใช้ค่าของขั้น' in shown.stderr
    shown = cli("edit", "1", "--prob", "nix")
    assert "from 0 to 100, or none for the stage's." in shown.stderr
    assert "none" in cli("add", "B", "--prob", "120").stderr
    assert "none" not in cli("stage", "set", "quoted", "--prob", "nix").stderr


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "There is no command 'help'; `salespipe --help` lists the commands"),
        ("th", "ไม่มีคำสั่ง 'help' ดูรายการคำสั่งด้วย `salespipe --help`"),
    ],
)
def test_help_typed_as_a_command_points_to_help(cli: Any, lang: str, said: str) -> None:
    """`salespipe help` answered only "no command 'help'"."""
    shown = cli("--lang", lang, "help")
    assert shown.exit_code == 2
    assert said in shown.stderr


def test_the_yes_or_no_question_names_the_thai_answers_it_takes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Thai question shows `[y/N] (ใช่/ไม่)`, and ใช่ answers it; English as it was."""
    import io

    from salespipe.cli import output
    from salespipe.core import i18n

    i18n.set_language("th")
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO("ใช่\n"))
        assert output.ask("ลบดีล 1 ใช่ไหม?") is True
        assert capsys.readouterr().err == "ลบดีล 1 ใช่ไหม? [y/N] (ใช่/ไม่): "
    finally:
        i18n.set_language("en")
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert output.ask("Delete deal 1?") is False
    assert capsys.readouterr().err == "Delete deal 1? [y/N]: "


def test_won_lost_and_reopen_read_naturally_in_undo_and_log(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`undo --list` read `การปิดได้ของดีล 3` and `การบันทึกว่าหลุดของดีล 8` ("the
    marking won of deal 3"); Thai says `ปิดการขายดีล 3`, `ดีล 8 หลุด`, in undo, undo --list
    and log alike. English reads as before."""
    assert cli("add", "ERP").exit_code == 0
    assert cli("add", "CCTV").exit_code == 0
    assert cli("won", "1").exit_code == 0
    assert cli("lost", "2", "--reason", "price").exit_code == 0
    assert cli("reopen", "2").exit_code == 0
    listed = cli("--lang", "en", "undo", "--list").stdout
    assert 'marking won on deal 1 "ERP"' in listed
    assert 'marking lost on deal 2 "CCTV"' in listed
    assert 'reopening on deal 2 "CCTV"' in listed
    listed = cli("--lang", "th", "undo", "--list").stdout
    assert 'ปิดการขายดีล 1 "ERP"' in listed
    assert 'ดีล 2 "CCTV" หลุด' in listed
    assert 'เปิดดีล 2 "CCTV" ใหม่' in listed
    assert "การบันทึกว่าหลุด" not in listed
    assert 'ย้อนกลับแล้ว: เปิดดีล 2 "CCTV" ใหม่' in cli("--lang", "th", "undo").stdout
    assert 'ย้อนกลับแล้ว: ดีล 2 "CCTV" หลุด' in cli("--lang", "th", "undo").stdout
    monkeypatch.setenv("COLUMNS", "200")  # (a line of the log each)
    assert "ย้อนกลับ: ดีล 2 หลุด (การเปลี่ยนแปลงที่ 4)" in cli("--lang", "th", "log").stdout
    assert "undo of marking lost of deal 2 (change 4)" in cli("--lang", "en", "log").stdout


def test_a_close_date_refused_names_none_too(cli: Any) -> None:
    """`edit 9 --close ไม่มี` listed every form of a date but not the none its help
    offers (`--close DATE|none`), as --prob's refusal now names it; nothing changes."""
    assert cli("add", "ERP", "--close", "2027-01-31").exit_code == 0
    shown = cli("--lang", "th", "edit", "1", "--close", "ไม่มี")
    assert shown.exit_code != 0
    error = " ".join(shown.stderr.split())
    assert 'วันที่ของ --close "ไม่มี" ไม่ใช่วันที่' in error
    assert "หรือ none เพื่อลบวันคาดว่าจะปิด" in error, shown.stderr
    shown = cli("edit", "1", "--close", "nix")
    assert shown.exit_code != 0
    assert "or none to clear the close date." in " ".join(shown.stderr.split())
    assert cli.json("show", "1")["expected_close"] == "2027-01-31"
    # An option whose help offers no none is not told of one.
    assert "none" not in cli("list", "--close-after", "nix").stderr
    assert "none" not in cli("next", "1", "Call", "--due", "nix").stderr


@pytest.mark.parametrize("lang", ["en", "th"])
def test_an_argument_given_a_bad_value_is_not_said_to_be_missing(cli: Any, lang: str) -> None:
    """`show abc` was told "Missing ID: the deal's number" (a trial): the ID was given,
    not a number; a bad value is said as Click says it, in the user's language."""
    shown = cli("--lang", lang, "show", "abc")
    assert shown.exit_code == 2
    assert "abc" in shown.stderr, shown.stderr
    assert "Missing" not in shown.stderr, shown.stderr
    assert "ยังไม่ได้ระบุ" not in shown.stderr, shown.stderr
