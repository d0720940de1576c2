"""Shell completion of stage names (Thai too) and deal ids, and that it never breaks."""

from __future__ import annotations

from pathlib import Path

import typer

from salespipe.cli import complete
from salespipe.cli.app import app


def _context(db: Path, command: str = "move") -> typer.Context:
    """A context as Typer builds it while completing `salespipe --db DB <command> …`."""
    root = typer.Context(typer.main.get_command(app), info_name="salespipe")
    root.params = {"db": str(db), "lang": None}
    return typer.Context(typer.main.get_command(app), parent=root, info_name=command)


def test_enabled_stages_by_name_and_key(cli, db_path: Path) -> None:
    """Names come with their key and probability; keys with their name."""
    cli("init", "--lang", "th")
    cli("stage", "disable", "approved")
    suggestions = complete.enabled_stages(_context(db_path), "")
    assert ("เสนอราคา", "quoted · 50%") in suggestions
    assert ("quoted", "เสนอราคา · 50%") in suggestions
    assert all(value != "อนุมัติซื้อ" for value, _ in suggestions)


def test_all_stages_include_disabled_ones(cli, db_path: Path) -> None:
    """stage enable/rename need disabled stages too."""
    cli("init")
    cli("stage", "disable", "approved")
    assert ("Approved", "approved · 90%, disabled") in complete.all_stages(_context(db_path), "")


def test_names_with_spaces_are_offered_by_key(cli, db_path: Path) -> None:
    """A name with a space would need quoting; its key is offered instead."""
    cli("stage", "add", "Site visit")
    values = [value for value, _ in complete.enabled_stages(_context(db_path), "")]
    assert "site-visit" in values
    assert "Site visit" not in values


def test_deal_ids_with_titles(cli, db_path: Path) -> None:
    """Open deals' ids, each with its title and stage; a prefix narrows them."""
    for title in ("ERP ให้สยามฟู้ดส์", "Two", "Three"):
        cli("add", title, "-q")
    for _ in range(8):
        cli("add", "filler", "-q")
    cli("won", "2")
    suggestions = complete.deal_ids(_context(db_path), "")
    assert suggestions[0] == ("1", "ERP ให้สยามฟู้ดส์ · Presented")
    assert "2" not in [v for v, _ in suggestions]
    assert [v for v, _ in complete.deal_ids(_context(db_path), "1")] == ["1", "10", "11"]
    assert complete.deal_ids(_context(db_path), "x") == []


def test_reopen_completes_closed_deals(cli, db_path: Path) -> None:
    """reopen offers the won and lost deals, with their status."""
    cli("add", "Open one", "-q")
    cli("add", "Won one", "-q")
    cli("won", "2")
    assert complete.deal_ids(_context(db_path, "reopen"), "") == [("2", "Won one · won")]


def test_a_broken_data_file_gives_no_suggestions(db_path: Path) -> None:
    """Completion on a corrupt file returns nothing and raises nothing."""
    db_path.parent.mkdir(parents=True)
    db_path.write_text("{not json")
    context = _context(db_path)
    assert complete.enabled_stages(context, "") == []
    assert complete.all_stages(context, "") == []
    assert complete.deal_ids(context, "") == []


def test_a_new_database_offers_the_default_stages(tmp_path: Path) -> None:
    """Before any file exists, the default stages are offered."""
    values = [v for v, _ in complete.enabled_stages(_context(tmp_path / "none.json"), "")]
    assert values[:2] == ["Presented", "presented"]


def test_bash_completion_of_a_thai_prefix(run, cli) -> None:
    """Through the shell protocol, `move 1 เสนอ<TAB>` completes เสนอราคา."""
    cli("init", "--lang", "th")
    cli("add", "A", "-q")
    result = run(
        env={
            "_SALESPIPE_COMPLETE": "complete_bash",
            "COMP_WORDS": "salespipe move 1 เสนอ",
            "COMP_CWORD": "3",
        },
    )
    assert result.returncode == 0
    assert result.stdout.split() == ["เสนอราคา"]


def test_zsh_completion_of_ids_with_titles(run, cli) -> None:
    """zsh gets each id with its title as the description."""
    cli("add", "Pumps for Chonburi", "-q")
    result = run(
        env={"_SALESPIPE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "salespipe show "}
    )
    assert '"1":"Pumps for Chonburi · Presented"' in result.stdout


def test_completion_with_a_broken_file_through_the_shell(run, db_path: Path) -> None:
    """The shell gets no candidates and no traceback from a corrupt data file."""
    db_path.parent.mkdir(parents=True)
    db_path.write_text("garbage")
    result = run(
        env={
            "_SALESPIPE_COMPLETE": "complete_bash",
            "COMP_WORDS": "salespipe move 1 ",
            "COMP_CWORD": "3",
        }
    )
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "", "")


def test_install_completion_is_offered(cli) -> None:
    """The root help lists --install-completion, as the README says."""
    assert "--install-completion" in cli("--help").stdout


def test_every_option_of_fixed_values_completes_them(run) -> None:
    """docs/daily-use.md says TAB completes the values of --by; `board --by` gave none
    (nor did forecast --method, team add --role, init --lang or the root's --lang)."""
    for words, values in (
        ("salespipe board --by ", ["urgency", "value"]),
        ("salespipe forecast --method ", ["stage", "history"]),
        ("salespipe team add alice --role ", ["rep", "manager", "admin"]),
        ("salespipe init --lang ", ["th", "en"]),
        ("salespipe --lang ", ["th", "en"]),
    ):
        result = run(
            env={
                "_SALESPIPE_COMPLETE": "complete_bash",
                "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split())),
            }
        )
        assert result.stdout.split() == values, words
