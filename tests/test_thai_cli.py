"""The Thai interface from the command line: choosing the language, Thai messages and
errors, Buddhist Era dates and baht amounts for people, ISO dates and numbers in JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("each_backend")


def _thai_deal(cli: Any) -> None:
    cli("--lang", "th", "init")
    cli("add", "ระบบบัญชี", "-c", "สยามฟู้ดส์", "-v", "1500000.5", "--close", "2026-12-31")


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "th"], {}),
        (["--lang", "TH"], {}),
        ([], {"SALESPIPE_LANG": "th"}),
        ([], {"LANG": "th_TH.UTF-8"}),
        ([], {"LC_MESSAGES": "th_TH.UTF-8", "LANG": "en_US.UTF-8"}),
        ([], {"LC_ALL": "th_TH", "LANG": "en_US.UTF-8"}),
    ],
)
def test_thai_is_chosen_by_flag_environment_or_locale(
    cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    """--lang th, SALESPIPE_LANG=th and a th_* locale each make the messages Thai."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli(*args, "add", "ระบบบัญชี")
    assert result.stdout == 'เพิ่มดีล 1 "ระบบบัญชี" ในขั้น ติดต่อนำเสนอ แล้ว\n'


def test_the_configured_language_applies_once_the_file_is_read(cli: Any) -> None:
    """config lang th makes a later command Thai, without --lang or a Thai locale."""
    cli("add", "ERP")
    assert cli("config", "set", "lang", "th").exit_code == 0
    assert cli("move", "1", "quoted").stdout == "ย้ายดีล 1 ไปขั้น Quoted แล้ว\n"
    assert cli("list").stdout.startswith("เลขที่  ชื่อดีล")


def test_flag_and_environment_beat_the_config_and_the_config_beats_the_locale(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--lang en and SALESPIPE_LANG=en win over config lang th; config lang en wins over
    a Thai locale."""
    cli("add", "ERP")
    cli("config", "set", "lang", "th")
    assert cli("--lang", "en", "won", "1").stdout == "Deal 1 won.\n"
    monkeypatch.setenv("SALESPIPE_LANG", "en")
    assert cli("reopen", "1").stdout == "Deal 1 reopened in Presented.\n"
    monkeypatch.delenv("SALESPIPE_LANG")
    monkeypatch.setenv("LANG", "th_TH.UTF-8")
    cli("config", "set", "lang", "en")
    assert cli("note", "1", "called").stdout == "Noted on deal 1.\n"


@pytest.mark.file_only
def test_the_config_language_costs_no_extra_read_of_the_file(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With config lang th, `list` still loads the main file exactly once."""
    from salespipe.storage.jsonl import database

    cli("add", "ERP")
    cli("config", "set", "lang", "th")
    loads: list[Path] = []
    original = database._load_document

    def counting(path: Path) -> Any:
        loads.append(path)
        return original(path)

    monkeypatch.setattr(database, "_load_document", counting)
    assert cli("list").stdout.startswith("เลขที่")
    assert len(loads) == 1


def test_thai_errors_keep_their_code_and_exit_status(cli: Any, snapshot_files: Any) -> None:
    """A Thai error is one sentence on stderr, the JSON error keeps its English code."""
    cli("add", "ERP")
    before = snapshot_files()
    result = cli("--lang", "th", "move", "1", "ปิดงาน")
    assert result.exit_code == 1
    assert result.stderr.startswith('ข้อผิดพลาด: ไม่มีขั้น "ปิดงาน" ขั้นที่มีคือ "Presented"')
    as_json = cli("--lang", "th", "lost", "7", "--reason", "แพง", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {
        "error": {
            "code": "deal_not_found",
            "message": "ไม่มีดีล 7 ดูดีลทั้งหมดได้ด้วย `salespipe list --status all`",
        }
    }
    assert snapshot_files() == before


def test_errors_before_the_file_is_read_use_the_flag_or_locale(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad --lang is reported in the locale's language; a bad option value with --lang th
    in Thai, before the data file is opened."""
    monkeypatch.setenv("LANG", "th_TH.UTF-8")
    result = cli("--lang", "fr", "list")
    assert (result.exit_code, result.stderr) == (1, 'ข้อผิดพลาด: --lang "fr" ไม่ใช่ th หรือ en\n')
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = cli("--lang", "th", "list", "--status", "closed")
    assert result.stderr == 'ข้อผิดพลาด: สถานะ "closed" ไม่ใช่ open, won, lost หรือ all\n'


def test_a_bad_lang_with_json_is_a_json_error(cli: Any) -> None:
    """--lang fr printed its own sentence and left stdout empty under --json."""
    result = cli("--lang", "fr", "list", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["message"] == '--lang "fr" is not th or en.'
    assert result.stderr == 'Error: --lang "fr" is not th or en.\n'


@pytest.mark.file_only  # a server's settings are read when the command connects
def test_a_bad_option_value_is_refused_in_the_data_file_s_language(cli: Any) -> None:
    """With `config set lang th`, a bad value, date or filter was refused in English:
    the setting was applied only once the command read the file."""
    cli("add", "ERP")
    cli("config", "set", "lang", "th")
    for args, said in (
        (("add", "X", "--value", "abc"), 'ข้อผิดพลาด: มูลค่า "abc" ไม่ใช่จำนวนเงิน'),
        (("add", "X", "--close", "2026-13-01"), "ไม่มีเดือนที่ 13"),
        (("list", "--status", "closed"), 'ข้อผิดพลาด: สถานะ "closed" ไม่ใช่'),
    ):
        refused = cli(*args)
        assert refused.exit_code == 1
        assert said in refused.stderr, args
    assert cli("--lang", "en", "list", "--status", "closed").stderr.startswith("Error:")


@pytest.mark.file_only  # a server's settings are read when the command connects
def test_an_option_before_the_command_is_refused_in_the_language_of_the_db_named(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`salespipe --db office.json --json add …` (the mistake the hint is for) was said in
    English although office.json is Thai: the language came from SALESPIPE_DB's file,
    not the one --db named (a trial of an office manager in Thai)."""
    office = tmp_path / "office.json"
    assert cli("--db", str(office), "init", "--lang", "th").exit_code == 0
    for args in (
        ["--db", str(office), "--json", "add", "X"],
        [f"--db={office}", "--json", "add", "X"],
    ):
        refused = cli(*args)
        assert refused.exit_code == 2
        assert json.loads(refused.stdout)["error"]["message"] == (
            "ไม่มีตัวเลือก --json (--json ต้องใส่หลังชื่อคำสั่ง: `salespipe add --json …`)"
        )
    refused = cli("--db", str(office), "--foo", "list")
    assert refused.stderr.splitlines()[-1] == "ข้อผิดพลาด: ไม่มีตัวเลือก --foo"
    assert (
        cli("--db", str(office), "--lang", "en", "--foo", "list")
        .stderr.splitlines()[-1]
        .startswith("Error:")
    )


def test_a_bad_salespipe_lang_is_an_error_naming_it(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SALESPIPE_LANG=fr is refused when the command opens the file, with exit 1."""
    monkeypatch.setenv("SALESPIPE_LANG", "fr")
    result = cli("list")
    assert (result.exit_code, result.stderr) == (1, 'Error: SALESPIPE_LANG "fr" is not th or en.\n')


def test_buddhist_era_dates_for_people_iso_dates_in_json(cli: Any) -> None:
    """date_era be shows 2569 in tables and messages; JSON keeps 2026 and exact numbers."""
    _thai_deal(cli)
    cli("next", "1", "โทรหาลูกค้า", "--due", "2026-11-20")
    cli("config", "set", "date_era", "be")
    table = cli("list").stdout
    assert "฿1,500,000.50" in table
    assert "2569-11-20!  โทรหาลูกค้า" in table  # overdue: marked
    assert "2026" not in table
    shown = cli("show", "1").stdout
    assert "2569-12-31" in shown
    assert "2569-11-27 10:00" in shown
    deal = cli.json("list")[0]
    assert (deal["expected_close"], deal["value"]) == ("2026-12-31", 1500000.5)
    assert deal["created_at"] == "2026-11-27T10:00:00+07:00"
    [alert] = json.loads(cli("check", "--json").stdout)["alerts"]
    assert alert["message"] == (
        'Deal 1 "ระบบบัญชี": the next action "โทรหาลูกค้า" was due 2026-11-20 (7 days ago).'
    )


def test_check_messages_are_thai_with_be_dates_for_people_and_ce_in_json(cli: Any) -> None:
    """check in Thai: the alert reads in Thai with 2569; --json gives 2026 in the message."""
    _thai_deal(cli)
    cli("next", "1", "ส่งสัญญา", "--due", "2026-11-25")
    cli("config", "set", "date_era", "be")
    cli("config", "set", "lang", "th")
    result = cli("check")
    assert result.exit_code == 3
    assert 'ดีล 1 "ระบบบัญชี": งานถัดไป "ส่งสัญญา" ครบกำหนดเมื่อ 2569-11-25 (เลยมา 2 วัน)' in (
        " ".join(result.stdout.split())
    )
    data = json.loads(cli("check", "--json").stdout)
    assert data["as_of"] == "2026-11-27"
    assert data["alerts"][0]["message"] == (
        'ดีล 1 "ระบบบัญชี": งานถัดไป "ส่งสัญญา" ครบกำหนดเมื่อ 2026-11-25 (เลยมา 2 วัน)'
    )


def test_report_titles_use_the_long_thai_date(cli: Any) -> None:
    """Report titles name the day in long form: 27 พ.ย. 2569 in Thai with be."""
    _thai_deal(cli)
    cli("config", "set", "date_era", "be")
    assert "ไปป์ไลน์ที่เปิดอยู่ (ณ 27 พ.ย. 2569)" in cli("--lang", "th", "report").stdout
    assert "Open pipeline (as of 27 Nov 2569)" in cli("--lang", "en", "report").stdout
    cli("config", "set", "date_era", "ce")
    assert "(as of 27 Nov 2026)" in cli("report").stdout


def test_money_in_json_is_never_rounded(cli: Any) -> None:
    """A value with cents stays an exact JSON number; people see it with ฿ and grouping."""
    cli("add", "ERP", "-v", "1234567.89")
    cli("add", "CRM", "-v", "1500", "--currency", "USD")
    assert [d["value"] for d in cli.json("list")] == [1234567.89, 1500]
    footer = cli("list").stdout.splitlines()[-1]
    assert footer == "2 deals, ฿1,234,567.89, USD 1,500.00"


def test_thai_json_output_never_opens_the_catalogue(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--lang th costs nothing until a message is shown: `list --json` reads no .mo,
    a table reads it once."""
    from salespipe.core import i18n

    cli("add", "ERP")
    opened: list[str] = []
    original = i18n._read_catalogue

    def counting(lang: str) -> Any:
        opened.append(lang)
        return original(lang)

    monkeypatch.setattr(i18n, "_read_catalogue", counting)
    assert cli.json("--lang", "th", "list")[0]["title"] == "ERP"
    assert opened == []
    assert cli("--lang", "th", "list").stdout.startswith("เลขที่")
    assert opened == ["th"]


def test_init_in_thai_keeps_the_file_in_thai(cli, monkeypatch, tmp_path) -> None:
    """`init --lang th` answered in Thai with Thai stages, and the next command in
    English: it now sets the file's language as `config set lang th` does. --lang before
    a command and SALESPIPE_LANG still come before the setting."""
    made = cli("init", "--lang", "th")
    assert made.exit_code == 0
    assert "config set lang" not in made.stderr
    assert cli.json("config", "get", "lang") == {"lang": "th"}
    assert "ไม่มีดีล 1 " in cli("move", "1", "x").stderr
    assert "There is no deal 1" in cli("--lang", "en", "move", "1", "x").stderr
    monkeypatch.setenv("SALESPIPE_LANG", "en")
    assert "There is no deal 1" in cli("move", "1", "x").stderr
    monkeypatch.delenv("SALESPIPE_LANG")
    monkeypatch.setenv("LANG", "th_TH.UTF-8")  # a Thai system, an English file
    english = tmp_path / "english.json"
    assert cli("--db", str(english), "init", "--lang", "EN").exit_code == 0
    assert "There is no deal 1" in cli("--db", str(english), "move", "1", "x").stderr


def test_lang_before_init_says_how_to_keep_the_file_in_thai(cli, monkeypatch, tmp_path) -> None:
    """`salespipe --lang th init` speaks Thai for that command alone, and says how to
    keep the file in Thai; on a Thai system there is nothing to tell."""
    made = cli("--lang", "th", "init")
    assert made.exit_code == 0
    assert "`salespipe config set lang th`" in made.stderr
    assert "There is no deal 1" in cli("move", "1", "x").stderr  # as it said
    assert cli.json("config", "get", "lang") == {"lang": None}
    monkeypatch.setenv("LANG", "th_TH.UTF-8")
    thai = cli("--db", str(tmp_path / "thai.json"), "--lang", "th", "init")
    assert thai.exit_code == 0
    assert "config set lang" not in thai.stderr


def test_a_thai_backup_restored_into_a_new_file_is_said_in_thai(cli, tmp_path) -> None:
    """Restoring a Thai pipeline's backup into a new file said "Created the data file" and
    "Restored the backup" in English (a trial): the backup holds its language, and the
    restore says what it did in it, as the next command will; --lang still comes first."""
    cli("init", "--lang", "th")
    cli("add", "ระบบบัญชี", "-q")
    backup = tmp_path / "bk" / "backup.json"
    backup.parent.mkdir()
    assert cli("export", "--format", "json", "-o", str(backup)).exit_code == 0
    new = tmp_path / "r1" / "restored.json"
    tried = cli("--db", str(new), "import", str(backup), "--dry-run")
    assert tried.stdout.startswith("จะกู้คืนข้อมูลสำรอง "), tried.stdout
    restored = cli("--db", str(new), "import", str(backup))
    assert restored.exit_code == 0, restored.stderr
    assert restored.stdout.startswith("กู้คืนข้อมูลสำรอง "), restored.stdout
    assert restored.stderr == f"สร้างไฟล์ข้อมูล {new} แล้ว\n"
    english = tmp_path / "english.json"
    asked = cli("--lang", "en", "--db", str(english), "import", str(backup))
    assert asked.stdout.startswith("Restored the backup ")
    assert asked.stderr == f"Created the data file {english}.\n"


def test_an_edit_of_two_fields_is_said_in_thai_without_an_english_semicolon(cli) -> None:
    """Thai parts clauses with a space; the catalogue did, but the clauses of an edit
    were joined in code with "; " (a review)."""
    cli("add", "ระบบบัญชี", "--value", "100", "-q")
    said = cli("--lang", "th", "edit", "1", "--value", "200", "--owner", "bob").stdout.strip()
    assert said.startswith("แก้ไขดีล 1 แล้ว: มูลค่า ฿100.00 → ฿200.00 ผู้ดูแล ")
    assert said.endswith(" → bob")
    assert ";" not in said
    english = cli("edit", "1", "--value", "300", "--owner", "ann").stdout.strip()
    assert english == "Updated deal 1: value ฿200.00 → ฿300.00; owner bob → ann."
