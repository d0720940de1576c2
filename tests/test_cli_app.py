"""The root command: lazy registration, start-up imports, pipes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from salespipe.cli import app as app_module


def test_every_command_is_in_the_lazy_table_with_its_module() -> None:
    """COMMAND_MODULES names exactly the commands each CLI module registers."""
    import importlib

    found: dict[str, str] = {}
    for module in app_module.MODULES:
        probe = typer.Typer()
        importlib.import_module(f"salespipe.cli.{module}").register(probe)
        names = [c.name for c in probe.registered_commands]
        names += [g.name for g in probe.registered_groups]
        found.update(dict.fromkeys((n for n in names if n), module))
    assert found == app_module.COMMAND_MODULES


def test_invoked_command_skips_global_options() -> None:
    """The command is the first word that is not a global option or its value."""
    assert app_module.invoked_command(["--db", "x.json", "--lang", "th", "list"]) == "list"
    assert app_module.invoked_command(["--db=x.json", "move", "1", "2"]) == "move"
    assert app_module.invoked_command(["--help"]) is None


def _modules_loaded(*argv: str) -> set[str]:
    """The modules a salespipe process has loaded when it ends."""
    script = (
        "import os, sys\n"
        "end = os._exit  # main() ends the process with it\n"
        "def report(code):\n"
        "    sys.stderr.write(' '.join(sorted(sys.modules)))\n"
        "    sys.stderr.flush()\n"
        "    end(code)\n"
        "os._exit = report\n"
        f"sys.argv = ['salespipe', *{list(argv)!r}]\n"
        "from salespipe.cli.app import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stderr.split())


def test_a_json_command_does_not_import_rich_plotext_or_csv(cli) -> None:
    """Start-up stays small: list --json on a file loads neither Rich, plotext, csv, the
    reports nor the PostgreSQL driver."""
    cli("init")
    loaded = _modules_loaded("list", "--json")
    assert "salespipe.cli.deals" in loaded
    for heavy in (
        "rich",
        "plotext",
        "csv",
        "salespipe.reports.summary",
        "salespipe.cli.transfer",
        "platformdirs",
        "psycopg",
        "salespipe.storage.postgres.connection",
        # (what a usage error or a help page needs, loaded only for one)
        "salespipe.cli.usage_words",
        "salespipe.cli.help_pages",
        "shlex",
    ):
        assert heavy not in loaded, heavy


def test_reading_loads_no_use_case_and_the_version_no_command(cli) -> None:
    """A command that only reads (list, board) starts without the use cases of changes,
    and --version without building any command (docs/benchmark.md, start-up)."""
    cli("add", "A deal")
    for argv in (("list",), ("board",)):
        loaded = _modules_loaded(*argv)
        for unneeded in ("salespipe.app.pipeline", "salespipe.present.report_views"):
            assert unneeded not in loaded, (argv, unneeded)
    assert "salespipe.app.pipeline" in _modules_loaded("add", "Another deal")
    loaded = _modules_loaded("--version")
    assert not {name for name in loaded if name.startswith("salespipe.cli.")} - {
        "salespipe.cli.app",
        "salespipe.cli.output",
    }


def test_a_reader_that_goes_away_is_not_an_error(run, tmp_path) -> None:
    """`salespipe export | head -1` on a big pipeline exits 0 without a traceback."""
    from tests.conftest import salespipe_command

    db = tmp_path / "big.json"
    assert run("demo", "--db", str(db), "--deals", "800").returncode == 0
    process = subprocess.Popen(
        [*salespipe_command(), "--db", str(db), "export", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()  # far less than the ~500 KB the command writes
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert b"Traceback" not in stderr


def test_errors_become_messages_in_one_place() -> None:
    """Only cli/app.py turns an error into a message: no command catches to print."""
    import ast
    from pathlib import Path

    folder = Path(app_module.__file__).parent
    printing = []
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "output.error":
                printing.append(path.name)
    assert set(printing) == {"app.py"}


def test_an_error_deep_in_a_group_is_one_json_object_and_exit_1(cli) -> None:
    """`stage rename` of an unknown stage with --json: the error object on stdout, the
    sentence on stderr, exit 1, caught by the one exit point."""
    import json

    result = cli("stage", "rename", "nowhere", "Somewhere", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "stage_not_found"
    assert result.stderr.startswith("Error: ")


def test_an_error_without_json_prints_no_json(run) -> None:
    """The installed command: one sentence on stderr, nothing on stdout, exit 1."""
    assert run("add", "First").returncode == 0
    done = run("move", "99", "quoted")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("Error: ")
    assert "99" in done.stderr


def test_ctrl_c_says_whether_the_change_was_made(cli, db_path, monkeypatch) -> None:
    """Ctrl-C ended a command (a long import) with exit 130 and nothing on stderr: the
    user could not tell whether the import had been made."""
    from salespipe.transfer import importing

    assert cli("add", "Kept").exit_code == 0
    before = db_path.read_bytes()

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(importing, "read_file", interrupted)
    sheet = db_path.parent / "deals.csv"
    sheet.write_text("title\nA\n")
    stopped = cli("import", str(sheet))
    assert stopped.exit_code == 130
    assert "Interrupted; nothing was changed." in stopped.stderr
    assert db_path.read_bytes() == before
    # with --json a script reading stdout is told too (stdout was empty)
    scripted = cli("import", str(sheet), "--json")
    assert scripted.exit_code == 130
    assert json.loads(scripted.stdout) == {
        "error": {
            "code": "interrupted",
            "message": "Interrupted; nothing was changed.",
            "changed": False,
        }
    }


@pytest.mark.parametrize("as_json", [False, True])
def test_an_interrupt_before_the_command_begins_says_nothing_changed(as_json: bool) -> None:
    """SIGTERM while the command was still starting (a cron `timeout`) printed a bare
    "Interrupted." and, with --json, nothing on stdout; a piped stderr also got a blank
    line first (meant to end a terminal's ^C)."""
    starting = (
        "import sys; from salespipe.cli import app\n"
        "def stopped(argv): raise KeyboardInterrupt\n"
        "app._app_for = stopped\n"
        "sys.argv = ['salespipe', '--lang', 'th', 'add', 'A'] + sys.argv[1:]\n"
        "app.main()\n"
    )
    ended = subprocess.run(
        [sys.executable, "-c", starting, *(["--json"] if as_json else [])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == 130
    assert ended.stderr == "ยกเลิกแล้ว ไม่ได้เปลี่ยนแปลงอะไร\n"  # (--lang th was not heard)
    if as_json:
        assert json.loads(ended.stdout)["error"] == {
            "code": "interrupted",
            "message": "ยกเลิกแล้ว ไม่ได้เปลี่ยนแปลงอะไร",
            "changed": False,
        }
    else:
        assert ended.stdout == ""


@pytest.mark.parametrize("lang", ["en", "th"])
def test_an_interrupt_while_the_cli_is_imported_says_nothing_changed(lang: str) -> None:
    """Ctrl-C in the first tenth of a second, while Typer and Rich were imported, ended
    in a Python traceback and, with --json, nothing on stdout (a review)."""
    starting = (
        "import sys\n"
        "class Interrupted:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'salespipe.cli.app':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupted())\n"
        "sys.argv = ['salespipe', f'--lang={sys.argv[1]}', 'list', '--json']\n"
        "from salespipe.cli.entry import main\n"
        "main()\n"
    )
    ended = subprocess.run(
        [sys.executable, "-c", starting, lang], capture_output=True, text=True, timeout=60
    )
    said = {"en": "Interrupted; nothing was changed.", "th": "ยกเลิกแล้ว ไม่ได้เปลี่ยนแปลงอะไร"}
    assert (ended.returncode, ended.stderr) == (130, said[lang] + "\n")
    assert json.loads(ended.stdout)["error"] == {
        "code": "interrupted",
        "message": said[lang],
        "changed": False,
    }


def test_an_option_that_takes_one_value_given_twice_is_refused(cli) -> None:
    """`list --tag erp --tag solar` listed the solar deals only (Click keeps the last
    value), and its total was theirs, without a word. Refused in one sentence, exit 2;
    options that collect their values (add --tag) and values that look like an option
    are not affected."""
    assert cli("add", "Both", "--tag", "erp", "--tag", "solar").exit_code == 0
    for args in (
        ("list", "--tag", "erp", "--tag", "solar"),
        ("list", "-t", "erp", "--tag=solar"),
        ("list", "-terp", "-tsolar"),  # short options with their values attached
        ("add", "Two", "-qo", "alice", "-o", "bob"),  # behind a flag bundled with it
        ("add", "Two", "-qoalice", "-obob"),
        ("move", "1", "quoted", "--reason", "a", "-r", "b"),
        ("stage", "add", "Demo", "--after", "1", "--after", "2"),
        ("--db", "one.json", "--db", "two.json", "list"),
    ):
        refused = cli(*args)
        assert refused.exit_code == 2, args
        assert "was given more than once; it takes one value." in refused.stderr, args
    said = cli("list", "--tag", "erp", "--tag", "solar", "--json")
    assert json.loads(said.stdout)["error"]["message"] == (
        "--tag was given more than once; it takes one value."
    )
    thai = cli("--lang", "th", "list", "-t", "a", "-t", "b")
    assert "ใส่ -t มากกว่าหนึ่งครั้ง ตัวเลือกนี้รับค่าเดียว" in thai.stderr  # said in English
    assert cli("list", "-t", "a", "-t", "b", "--help").exit_code == 0  # help answers anyway
    assert cli("move", "1", "quoted", "--reason", "--reason").exit_code == 0
    assert cli("note", "1", "--", "--tag x --tag y").exit_code == 0
    assert [d["title"] for d in cli.json("list", "--tag", "solar")] == ["Both"]
    added = cli("add", "Once", "-qo", "alice")  # a bundled flag and value, given once
    assert added.exit_code == 0
    assert added.stdout.strip() == "2"


def test_a_commands_option_given_before_it_says_where_it_goes(cli, db_path: Path) -> None:
    """`salespipe --json list` said "No such option: --json (Possible options:
    --version)", pointing at the wrong option; in Thai too, or with SALESPIPE_LANG=th,
    it was said in English."""
    before = cli("--json", "list")
    assert before.exit_code == 2
    hint = "No such option: --json (--json goes after the command: `salespipe list --json …`)"
    assert hint in before.stderr
    assert "Possible options" not in before.stderr
    assert json.loads(before.stdout)["error"] == {"code": "usage", "message": hint}
    assert "(-q goes after the command: `salespipe add -q …`)" in cli("-q", "add", "x").stderr
    thai = cli("--lang", "th", "--owner", "bob", "list")
    assert "ไม่มีตัวเลือก --owner (--owner ต้องใส่หลังชื่อคำสั่ง: `salespipe list --owner …`)" in (thai.stderr)
    # An option no command takes is only unknown; Click's near misses are kept when near.
    unknown = cli("--bogus", "list")
    assert (unknown.exit_code, "goes after" in unknown.stderr) == (2, False)
    assert "Possible options" not in cli("list", "--bogus").stderr  # (it said --columns)
    assert "(Possible options: --json)" in cli("list", "--jsn").stderr
    assert not db_path.exists()  # nothing was made by any of them


def test_a_negative_number_read_as_an_option_says_where_it_goes(cli) -> None:
    """`config set lock_timeout -1` and `show -5` said only "No such option: -1": Click
    reads a word that starts with a minus sign as an option. Said how to give it."""
    for args, value in ((("config", "set", "lock_timeout", "-1"), "-1"), (("show", "-5"), "-5")):
        refused = cli(*args)
        assert refused.exit_code == 2
        assert (
            f"No such option: {value} (a value that starts with a minus sign goes after --, "
            f"e.g. `-- {value}`)"
        ) in refused.stderr
    # Given after --, where an option had taken the -- as its value: said how to give it.
    swallowed = cli("stage", "set", "quoted", "--target-days", "--", "-1")
    assert swallowed.exit_code == 2
    assert "No such option: -1 (an option's value goes right after it: `--target-days=-1`)" in (
        swallowed.stderr
    )
    given = cli("config", "set", "lock_timeout", "--", "-1")
    assert given.exit_code == 1
    assert "is not a number of seconds from 0 to 3600" in given.stderr
    assert "Possible options" in cli("list", "--colums", "id").stderr  # other typos as before
