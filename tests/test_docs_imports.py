"""The import examples of the docs run as written and print what the docs show.

docs/user-guide.md ("Moving from Pipedrive, HubSpot or Salesforce") and docs/import.md
import the files of examples/import/; their outputs drifted from the tool's (a line the
import had learned to print, a refusal reworded) while the files they named did not ship.
Each page's shell blocks run here in order, in a fresh home, on the docs' day.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, salespipe_command

FENCE = re.compile(r"^( *)```\n(.*?)^\1```", re.DOTALL | re.MULTILINE)
DOCS_HOME = "/home/somsri"  # the home folder the docs' outputs name


def _section(page: str, heading: str | None) -> str:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    if heading is None:
        return text
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _steps(text: str) -> list[tuple[str, str]]:
    """Each ``$ salespipe …`` line of the text's fenced blocks, with the lines after it."""
    steps: list[tuple[str, str]] = []
    for found in FENCE.finditer(text):
        block = textwrap.dedent(found.group(2))
        if " examples/import/" not in block:
            continue
        for part in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, shown = part.partition("\n")
            steps.append((command, shown))
    return steps


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "heading", "count"),
    [
        ("user-guide.md", "Moving from Pipedrive, HubSpot or Salesforce", 10),
        ("import.md", None, 3),
    ],
)
def test_the_import_examples_print_what_the_docs_show(
    tmp_path: Path, page: str, heading: str | None, count: int
) -> None:
    steps = _steps(_section(page, heading))
    assert len(steps) == count  # (a block the pattern no longer finds fails here)
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESPIPE_")}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        SALESPIPE_NOW="2026-11-27T10:00:00+07:00",
        SALESPIPE_USER="somsri",
        SALESPIPE_LANG="en",
        TZ="Asia/Bangkok",
        COLUMNS="80",
    )
    for command, shown in steps:
        words = shlex.split(command)
        assert words[0] == "salespipe", command
        ran = subprocess.run(
            [*salespipe_command(), *words[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        out, err = (
            text.replace(str(home), DOCS_HOME).splitlines() for text in (ran.stdout, ran.stderr)
        )
        lines = shown.splitlines()
        assert sorted(out + err) == sorted(lines), command
        # each stream in the docs' order (the two may interleave either way)
        assert [line for line in lines if line in out] == out, command
        assert [line for line in lines if line in err] == err, command
