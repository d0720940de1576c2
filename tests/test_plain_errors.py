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
