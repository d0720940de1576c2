"""The documentation cannot drift from the program: the command reference is generated
from the app, and the code cites only pages that are in the repository."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from salespipe.cli import reference

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Pages that work on other issues is writing; linked already, checked once they land.
COMING = {"daily-use.md", "daily-views.md", "forecasting.md", "guarantees.md"}


def test_command_reference_matches_the_app() -> None:
    """docs/commands.md is what `python -m salespipe.cli.reference` prints today."""
    written = (DOCS / "commands.md").read_text(encoding="utf-8")
    assert written == reference.reference(), (
        "docs/commands.md is out of date: python -m salespipe.cli.reference > docs/commands.md"
    )


def test_every_error_code_is_in_the_reference_with_its_exit_status() -> None:
    """A script had to guess the string `busy` to retry on exit 75: most codes were
    written nowhere. Every code the source defines is listed, with its exit status."""
    defined = set()
    for source in (ROOT / "src" / "salespipe").rglob("*.py"):
        defined.update(re.findall(r'^    code = "(\w+)"$', source.read_text("utf-8"), re.M))
    written = (DOCS / "commands.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", written, re.M))
    assert defined - {"error"} <= set(listed), defined - set(listed)
    assert (listed["busy"], listed["no_data_file"], listed["usage"]) == ("75", "4", "2")
    assert listed["interrupted"] == "130"


def test_reference_runs_as_a_module() -> None:
    """The regeneration command given in the docs works."""
    done = subprocess.run(
        [sys.executable, "-m", "salespipe.cli.reference"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    assert done.stdout == reference.reference()


def test_every_command_has_a_section() -> None:
    """Each command of the app, stage subcommands too, has its own heading."""
    import typer.main

    from salespipe.cli.app import app

    root = typer.main.get_command(app)
    text = reference.reference()
    assert "## `add`" in text
    assert "## `stage rename`" in text
    for name in root.commands:  # type: ignore[attr-defined]
        assert f"## `{name}" in text


def _sources() -> list[Path]:
    files = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for folder in ("src", "tests", "bench", "examples", "docs"):
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.suffix in {".py", ".md", ".toml", ".sh", ""} and p.is_file()
        ]
    return files


def test_nothing_cites_the_old_specification() -> None:
    """Behaviour is cited from docs/ pages, never from a file outside the repository."""
    this = Path(__file__).resolve()
    cited = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if p.resolve() != this and re.search(r"SPEC(\.md| §)", p.read_text("utf-8", "replace"))
    ]
    assert cited == []


@pytest.mark.parametrize(
    "page",
    [
        "index.md",
        "user-guide.md",
        "reports.md",
        "thai.md",
        "hooks-and-cron.md",
        "data-format.md",
        "python-api.md",
        "benchmark.md",
        "architecture.md",
        "commands.md",
    ],
)
def test_docs_pages_exist_and_are_linked_from_the_index(page: str) -> None:
    """Every page this repository promises is there and reachable from docs/index.md."""
    assert (DOCS / page).is_file()
    if page != "index.md":
        assert f"]({page}" in (DOCS / "index.md").read_text(encoding="utf-8")


def test_docs_cite_code_and_docs_that_exist() -> None:
    """A relative link in README or docs/ leads to a file of the repository (pages that
    other work is still writing excepted)."""
    broken = []
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or Path(target).name in COMING:
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.name}: {target}")
    assert broken == []


def test_pages_the_code_cites_exist() -> None:
    """Every docs/….md that code, tests or bench name is in the repository."""
    this = Path(__file__).resolve()
    cited = set()
    for path in _sources():
        if path.resolve() != this and not path.is_relative_to(DOCS):
            cited |= set(re.findall(r"docs/([a-z-]+\.md)", path.read_text("utf-8", "replace")))
    assert cited
    assert {page for page in cited - COMING if not (DOCS / page).is_file()} == set()
