"""`--help` in Thai for a user who asked for Thai (--lang th before the command,
SALESPIPE_LANG=th, a Thai locale): the help texts, Click's own words on the page, and
its lines wrapped between Thai words; English otherwise, and never from the data file,
which help does not open."""

from __future__ import annotations

import gettext
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.core
from typer._click import core as click_core
from typer._click import formatting

from salespipe.core import i18n


def _flat(text: str) -> str:
    """The text without its spaces and line breaks: Thai is wrapped between words
    written without spaces, so a phrase may be broken where the source had no space."""
    return "".join(text.split())


def _shows(page: str, *phrases: str) -> None:
    flat = _flat(page)
    missing = [phrase for phrase in phrases if _flat(phrase) not in flat]
    assert missing == [], page


def _has_thai(text: str) -> bool:
    return any("\u0e01" <= char <= "\u0e5b" for char in text)


@pytest.mark.parametrize(
    ("args", "env", "phrases"),
    [
        (
            ("--lang", "th", "--help"),
            {},
            (
                "วิธีใช้: salespipe [OPTIONS] COMMAND [ARGS]...",
                "ติดตามดีลผ่านขั้นต่าง ๆ ในไปป์ไลน์การขายของคุณ",
                "ตัวเลือก:",
                "คำสั่ง:",
                "ไฟล์ข้อมูล หรือฐานข้อมูล PostgreSQL",  # --db
                "แสดงเวอร์ชันแล้วจบ",  # --version
                "แสดงวิธีใช้นี้แล้วจบ",  # -h, --help (Click's own)
                "add        เพิ่มดีลที่เปิดอยู่",  # a command's summary
            ),
        ),
        (
            ("add", "--help"),
            {"SALESPIPE_LANG": "th"},
            (
                "ค่าที่ระบุ:",
                "ตัวเลือก:",
                "title  ดีลนี้คืออะไร เช่น 'ระบบ ERP บริษัท สยามฟู้ดส์' [ต้องระบุ]",
                "-c, --customer <str>  บริษัทลูกค้า",
                "-v, --value <str>     มูลค่าดีล: '1.5 ล้าน', 3แสน, 150,000, 150k, 1.5m",
                'ตัวอย่าง: salespipe add "ระบบ ERP บริษัท สยามฟู้ดส์" -c "สยามฟู้ดส์"',
            ),
        ),
        (
            ("stage", "add", "--help"),
            {"LANG": "th_TH.UTF-8"},
            (
                "วิธีใช้: salespipe stage add [OPTIONS] {name}",
                "ค่าที่ระบุ:",
                "ตัวเลือก:",
                "เพิ่มขั้น (ต่อท้าย เว้นแต่ระบุ --before/--after)",
                "--before STAGE    วางไว้ก่อนขั้นที่ระบุ",
                "--prob P          โอกาสปิด 0-100 (ค่าเริ่มต้น 50)",
            ),
        ),
    ],
)
def test_help_is_in_thai_when_thai_is_asked_for(
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    phrases: tuple[str, ...],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    shown = cli(*args)
    assert shown.exit_code == 0, shown.stderr
    _shows(shown.stdout, *phrases)
    for english in ("Usage:", "Options:", "Show this message and exit."):
        assert english not in shown.stdout
    # "argument" is programmer's jargon a salesperson does not read (as the missing
    # argument's error, "ยังไม่ได้ระบุ STAGE", does not say it)
    assert "อาร์กิวเมนต์" not in shown.stdout


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (("--help",), ("Usage: salespipe", "Options:", "Commands:", "Show the version and exit.")),
        (("add", "--help"), ("Arguments:", "Options:", "Customer company.", "[required]")),
        (("stage", "add", "--help"), ("Put it just before this stage.", "Options:")),
    ],
)
def test_help_is_in_english_otherwise_and_after_a_thai_one(
    cli: Any, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], phrases: tuple[str, ...]
) -> None:
    """Without a Thai setting the page is English; a Thai page before it in the same
    process left nothing of it behind (Click's words, its wrapper, the language)."""
    monkeypatch.setenv("SALESPIPE_LANG", "th")
    assert _has_thai(cli(*args).stdout)
    monkeypatch.delenv("SALESPIPE_LANG")
    shown = cli(*args)
    assert shown.exit_code == 0
    _shows(shown.stdout, *phrases)
    # (the root's example, and the Thai forms of a DATE the English help names too)
    thai_words = ("เสนอราคา", "ศุกร์หน้า", "เมื่อวาน", "สัปดาห์ก่อน")
    assert not _has_thai(re.sub("|".join(thai_words), "", shown.stdout))
    assert typer.core._ is gettext.gettext
    assert formatting.wrap_text.__module__ == formatting.__name__
    assert click_core.Context.get_help.__module__ == click_core.__name__
    assert i18n.language() == "en"


def test_help_with_values_fills_them_into_the_thai(cli: Any) -> None:
    """A help with a value in it (a default, the choices) is a fixed msgid filled in
    after the lookup, in Thai too."""
    listed = cli("--lang", "th", "list", "--help").stdout
    _shows(
        listed,
        "เรียงตาม stage, id, title",
        "แสดงไม่เกิน N ดีล ใส่ 0 เพื่อแสดงทั้งหมด (ค่าเริ่มต้น: 50 ดีลในตาราง",
        "[ค่าเริ่มต้น: stage]",
    )
    _shows(cli("--lang", "th", "log", "--help").stdout, "(0 คือทั้งหมด ค่าเริ่มต้น 50)")
    _shows(
        cli("--lang", "th", "config", "get", "--help").stdout,
        "currency (สกุลเงินของดีลใหม่ (ISO 4217 ค่าเริ่มต้น THB))",
    )


def test_a_group_named_alone_shows_its_help_in_thai(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`salespipe stage` shows the group's help, as --help does, in Thai too."""
    monkeypatch.setenv("SALESPIPE_LANG", "th")
    shown = cli("stage")
    page = shown.stdout + shown.stderr
    _shows(page, "คำสั่ง:", "ขั้นทั้งหมดตามลำดับ พร้อมโอกาสปิด")
    assert "Commands:" not in page


# salespipe run with an audit hook that says on stderr each file it opens in a folder.
WATCHED = """\
import sys

folder = sys.argv[1]


def opened(event, args):
    if event == "open" and str(args[0]).startswith(folder):
        sys.__stderr__.write(f"opened {args[0]}\\n")


sys.addaudithook(opened)
sys.argv = ["salespipe", *sys.argv[2:]]
from salespipe.cli.entry import main

main()
"""


def test_help_opens_no_data_file(cli: Any, db_path: Path) -> None:
    """Help reads neither the data file's language nor anything else of it, in any
    language (it was read for its language unless --lang or SALESPIPE_LANG chose one)."""
    assert cli("add", "ERP").exit_code == 0
    assert cli("config", "set", "lang", "th").exit_code == 0
    for lang in ("C.UTF-8", "th_TH.UTF-8"):
        for args in (("--help",), ("add", "--help"), ("stage", "add", "--help"), ("stage",)):
            shown = subprocess.run(
                [sys.executable, "-c", WATCHED, str(db_path.parent), *args],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "LANG": lang},
            )
            assert "opened" not in shown.stderr, (args, shown.stderr)
            assert ("Options:" if lang == "C.UTF-8" else "ตัวเลือก:") in shown.stdout + shown.stderr


@pytest.mark.parametrize("damaged", [None, b"{not json", b"\x00\xff" * 64])
def test_help_works_without_a_good_data_file_and_creates_nothing(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path, damaged: bytes | None
) -> None:
    folder = tmp_path / "data"
    path = folder / "pipeline.json"
    if damaged is not None:
        folder.mkdir()
        path.write_bytes(damaged)
    for lang in ("th", "en"):
        shown = run("--lang", lang, "add", "--help", env={"SALESPIPE_DB": str(path)})
        assert shown.returncode == 0, shown.stderr
        assert ("ตัวเลือก:" if lang == "th" else "Options:") in shown.stdout
        assert shown.stderr == ""
    if damaged is None:
        assert not folder.exists()
    else:
        assert sorted(folder.iterdir()) == [path]
        assert path.read_bytes() == damaged


def test_help_does_not_follow_the_data_files_language(cli: Any) -> None:
    """`config set lang th` makes commands Thai, not the help, which opens no file (it
    follows --lang, SALESPIPE_LANG and the locale: docs/thai.md)."""
    assert cli("config", "set", "lang", "th").exit_code == 0
    assert "Options:" in cli("add", "--help").stdout
    assert "ตัวเลือก:" in cli("--lang", "th", "add", "--help").stdout


def _options_taking(metavar: str) -> list[tuple[str, Any]]:
    """(command path, option) of every option whose value is a ``metavar`` (DATE…)."""
    from typer.main import get_command

    from salespipe.cli.app import register_modules

    found: list[tuple[str, Any]] = []

    def walk(command: Any, path: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")
        for param in command.params:
            if param.param_type_name == "option" and (param.metavar or "").startswith(metavar):
                found.append((path, param))

    walk(get_command(register_modules()), "salespipe")
    return found


def test_an_option_taking_a_day_says_the_day_given_not_today() -> None:
    """A trial: `--since DATE  ตั้งแต่วันนี้` read "since today" (วันนี้), and `--closed-since`
    "closed today or after now"; the day an option takes is the day given (วันที่ระบุ), and
    its help names the forms it may be typed in, Thai ones first."""
    from salespipe.cli.app import HELP_SAID_OTHERWISE
    from salespipe.cli.help_pages import in_thai, said

    options = _options_taking("DATE")
    assert len(options) >= 12  # (close, due, since, until, as-of, the list filters…)
    with in_thai(HELP_SAID_OTHERWISE):
        helps = {f"{path} {param.opts[0]}": said(param.help) or "" for path, param in options}
    today = {name: text for name, text in helps.items() if re.search("วันนี้|จากนี้|หน้านี้", text)}
    assert today == {}
    without_forms = {name: text for name, text in helps.items() if "2 สัปดาห์" not in text}
    assert without_forms == {}
    # Thai forms first: a Buddhist Era year before the CE one.
    thai_first = {
        name: text
        for name, text in helps.items()
        if not re.search(r"/25\d\d.*\b20\d\d-", text, re.DOTALL)
    }
    assert thai_first == {}


def _forms(text: str) -> list[str]:
    """The forms a help lists after its colon: "a, b, 'c d' หรือ e; in Thai f" as a, b,
    c d, e, f (without the quotes a shell takes off)."""
    listed = text.split(": ", 1)[-1].rstrip(".")
    parts = re.split(r", | หรือ |; in Thai ", listed)
    return [part.strip().strip("'") for part in parts if part.strip()]


def test_every_form_of_a_day_the_help_names_is_read() -> None:
    """Each form of a DATE or a WHEN the help shows, in English and in Thai, is one the
    date parser reads, and so is each amount --value shows."""
    from salespipe.cli import options
    from salespipe.core import parse

    for phrase in (options.DAYS_AHEAD, options.DAYS_BACK):
        for language in ("en", "th"):
            i18n.set_language(language)
            try:
                forms = _forms(i18n._(phrase))
            finally:
                i18n.set_language("en")
            assert len(forms) >= 5, forms
            for form in forms:
                parse.day(form)  # raises InvalidValue for a form it does not read
    i18n.set_language("th")
    try:
        when = _forms(i18n._(options.AtOption.__metadata__[0].help))
        amounts = _forms(i18n._("Deal value: 150000, 150,000, 150k, 1.5m."))
    finally:
        i18n.set_language("en")
    assert "3 วันก่อน" in when
    assert "1.5 ล้าน" in amounts
    for form in when:
        parse.moment(form)
    for amount in amounts:
        parse.money(amount)


# What an example needs before it runs (beside a Thai file with twelve open deals).
_BEFORE_THE_EXAMPLE = {
    "reopen": [("lost", "12", "--reason", "ราคา")],
    "stage remove": [("stage", "add", "เยี่ยมชมหน้างาน")],
    "stage enable": [("stage", "disable", "อนุมัติซื้อ")],
    "pipeline rename": [("pipeline", "add", "ต่อสัญญา")],
    "pipeline use": [("pipeline", "add", "ต่อสัญญา")],
    "use": [("pipeline", "add", "ต่อสัญญา")],
    "pipeline archive": [("pipeline", "add", "เชียงใหม่")],
    "pipeline unarchive": [("pipeline", "add", "เชียงใหม่"), ("pipeline", "archive", "เชียงใหม่")],
    "pipeline remove": [("pipeline", "add", "ทดสอบ")],
}
# Examples that need what a test file has not: a server, a file to read, a pipe, cron.
_NOT_RUN_HERE = re.compile(r"postgresql|\||\b(?:import|export|copy|demo|init|watch)\b")


def _thai_examples() -> list[tuple[str, list[str]]]:
    """(command, its words) of each example command line of the Thai help."""
    import shlex

    from typer.main import get_command

    from salespipe.cli.app import register_modules
    from salespipe.cli.help_pages import said

    found: list[tuple[str, list[str]]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))
        text = said(command.help) or ""
        for line in text.splitlines():
            example = re.fullmatch(r"\s*(?:ตัวอย่าง:\s*)?salespipe (.*)", line)
            if example and not _NOT_RUN_HERE.search(example[1]):
                found.append((" ".join(path), shlex.split(example[1])))

    i18n.set_language("th")
    try:
        walk(get_command(register_modules()), ())
    finally:
        i18n.set_language("en")
    return found


def test_the_thai_examples_have_thai_text_and_run_on_a_thai_file(cli: Any, tmp_path: Path) -> None:
    """The example lines of the Thai help give free text in Thai (a title, a reason, a
    stage's name) and each runs as it is on a file made with `init --lang th`."""
    import shutil

    examples = _thai_examples()
    assert len(examples) >= 30
    english = [words for _command, words in examples if "sent the quotation" in " ".join(words)]
    assert english == []
    assert any("ส่งใบเสนอราคาแล้ว" in words for _command, words in examples)
    base = tmp_path / "base"
    base.mkdir()
    made = ("--db", str(base / "th.json"))
    assert cli(*made, "init", "--lang", "th").exit_code == 0
    for number in range(12):
        assert cli(*made, "add", f"ดีล {number}", "-q", "--at", "-30d").exit_code == 0
    failed = []
    for at, (command, words) in enumerate(examples):
        folder = tmp_path / str(at)
        shutil.copytree(base, folder)
        db = ("--db", str(folder / "th.json"))
        for before in _BEFORE_THE_EXAMPLE.get(command, []):
            assert cli(*db, *before).exit_code == 0, before
        shown = cli(*db, *words)
        if shown.exit_code not in (0, 3):  # (3: check found something to do)
            failed.append((words, shown.stderr))

    assert failed == [], "\n".join(f"{words}: {error}" for words, error in failed)
