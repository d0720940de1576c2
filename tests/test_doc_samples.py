"""The sample outputs on the pages that show the demo pipeline are what salespipe prints.

Each fenced block of docs/reports.md, docs/daily-views.md and docs/forecasting.md that
starts with ``$ salespipe …`` is run on the demo made on the day the pages were written
(the fixed clock of the tests), and its output compared line by line. A line ``…``
stands for any lines; a command shown without output, one piped into another program,
and the demo's own commands are not run. A trailing ``# a 60-column terminal`` sets the
width. When an output is *meant* to change, rewrite the pages and review the diff:

    SALESPIPE_REGEN_DOCS=1 python -m pytest tests/test_doc_samples.py
    git diff docs/
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import NOW, Cli

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = ("reports.md", "daily-views.md", "forecasting.md")
REGENERATE = os.environ.get("SALESPIPE_REGEN_DOCS") == "1"
ANY_LINES = "…"


@dataclass(frozen=True)
class Sample:
    page: str
    line: int  # of the command, counted from 1
    command: str
    shown: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def _samples(page: str) -> list[Sample]:
    found: list[Sample] = []
    lines = (DOCS / page).read_text(encoding="utf-8").split("\n")
    block: list[tuple[int, str]] | None = None
    for number, line in enumerate(lines, start=1):
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                found += _commands(page, block)
                block = None
        elif block is not None:
            block.append((number, line))
    return found


def _commands(page: str, block: list[tuple[int, str]]) -> list[Sample]:
    starts = [i for i, (_n, line) in enumerate(block) if line.startswith("$ ")]
    if not starts or starts[0] != 0:
        return []
    samples = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(block)
        shown = [line for _n, line in block[start + 1 : end]]
        while shown and not shown[-1].strip():
            shown.pop()
        number, line = block[start]
        samples.append(Sample(page, number, line[2:], tuple(shown)))
    return samples


def _runnable(sample: Sample) -> bool:
    words = sample.command.split("#")[0]
    return (
        bool(sample.shown)
        and sample.command.startswith("salespipe ")
        and not re.search(r"[|;>&]", words)
        and " demo" not in words
        and "--db" not in words
    )


SAMPLES = [s for page in PAGES for s in _samples(page) if _runnable(s)]


def _width(command: str) -> str:
    found = re.search(r"#.*\b(\d+)-column terminal", command)
    return found.group(1) if found else "80"


def _matches(shown: tuple[str, ...], printed: list[str]) -> bool:
    """Whether the page's lines are the printed ones, ``…`` standing for any lines."""
    pattern = "\n".join(".*?" if line == ANY_LINES else re.escape(line.rstrip()) for line in shown)
    return re.fullmatch(pattern, "\n".join(printed), re.DOTALL) is not None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as made on the pages' day (the tests' clock; the function-scoped
    fixture that sets it has not run yet for a fixture of the module)."""
    path = tmp_path_factory.mktemp("demo") / "demo.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESPIPE_NOW", NOW)
        patch.setenv("TZ", "Asia/Bangkok")
        (path.parent / "no-hooks").mkdir()
        patch.setenv("SALESPIPE_HOOKS", str(path.parent / "no-hooks"))
        # demo speaks the language of "your pipeline": without this, the tester's own
        # (a Thai one in ~/.local/share) made the pages' demo Thai.
        patch.setenv("SALESPIPE_DB", str(path.parent / "no-pipeline.json"))
        time.tzset()
        made = Cli()("demo", "--db", str(path))
    time.tzset()
    assert made.exit_code == 0, made.stderr
    return path


def test_the_pages_have_samples_to_check() -> None:
    assert {s.page for s in SAMPLES} == set(PAGES)
    assert len(SAMPLES) >= 12


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_a_sample_is_what_salespipe_prints(
    sample: Sample, demo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESPIPE_DB", str(demo))
    monkeypatch.setenv("COLUMNS", _width(sample.command))
    args = shlex.split(sample.command.split("#")[0])[1:]
    result = cli(*args)
    printed = [line.rstrip() for line in result.stdout.rstrip("\n").split("\n")]
    if REGENERATE and ANY_LINES not in sample.shown:
        _rewrite(sample, printed)
        return
    assert _matches(sample.shown, printed), "\n".join(
        [f"{sample}: {sample.command}", "--- page", *sample.shown, "--- printed", *printed]
    )


def _rewrite(sample: Sample, printed: list[str]) -> None:
    """Put ``printed`` in place of the sample's lines, found again on the page (a sample
    rewritten above it may have moved it)."""
    now = next(
        s for s in _samples(sample.page) if (s.command, s.shown) == (sample.command, sample.shown)
    )
    path = DOCS / sample.page
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[now.line : now.line + len(now.shown)] = printed  # (the lines after the command)
    path.write_text("\n".join(lines), encoding="utf-8")


# Each report's --json, and the page that gives its shape (reports.md, "The JSON of each
# report"; forecasting.md for the forecasting reports; daily-views.md for agenda, board).
JSON_PAGES = [
    (("chart",), "reports.md"),
    (("report",), "reports.md"),
    (("funnel",), "reports.md"),
    (("durations",), "reports.md"),
    (("winrate",), "reports.md"),
    (("winrate", "--by", "owner"), "reports.md"),
    (("stale",), "reports.md"),
    (("check",), "reports.md"),
    (("forecast",), "forecasting.md"),
    (("forecast", "--method", "history"), "forecasting.md"),
    (("forecast", "--backtest"), "forecasting.md"),
    (("calibrate",), "forecasting.md"),
    (("slips",), "forecasting.md"),
    (("agenda",), "daily-views.md"),
    (("board",), "daily-views.md"),
]


def _keys_of(printed: object, besides: set[str]) -> set[str]:
    """The keys of a report's JSON a script reads: its own, and those of the rows of each
    list it holds (a list report: the keys of its items beyond ``besides``)."""
    if isinstance(printed, list):
        return {key for row in printed for key in row} - besides
    assert isinstance(printed, dict)
    keys = set(printed)
    for value in printed.values():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            keys |= set(value[0])
    return keys


@pytest.mark.parametrize(("report", "page"), JSON_PAGES, ids=lambda a: " ".join(a))
def test_every_key_of_a_reports_json_is_on_its_page(
    report: tuple[str, ...], page: str, demo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """reports.md gave winrate as won, lost, rate, value_rate, groups and check as alerts,
    while they print since, until, by, won_value, lost_value and as_of, checked (a sales
    director's trial, scripting them): every key is named on the page."""
    monkeypatch.setenv("SALESPIPE_DB", str(demo))
    said = cli(*report, "--json")
    assert said.exit_code in (0, 3), said.stderr  # (check: 3, something to act on)
    deal = set(json.loads(cli("show", "1", "--json").stdout))
    text = (DOCS / page).read_text(encoding="utf-8")
    undocumented = {
        key
        for key in _keys_of(json.loads(said.stdout), deal)
        if f'"{key}"' not in text and f"`{key}`" not in text
    }
    assert not undocumented, f"{page} does not name {sorted(undocumented)}"


# The reports whose JSON a page gives as a list item of its own ("- `winrate`: `{…}`"),
# that item's name, and the page.
SHAPE_ITEMS = [
    (("chart",), "chart", "reports.md"),
    (("report",), "report", "reports.md"),
    (("forecast",), "forecast", "reports.md"),
    (("funnel",), "funnel", "reports.md"),
    (("durations",), "durations", "reports.md"),
    (("winrate", "--by", "owner"), "winrate", "reports.md"),
    (("check",), "check", "reports.md"),
    (("forecast",), "forecast", "forecasting.md"),
    (("forecast", "--method", "history"), "forecast", "forecasting.md"),
    (("forecast", "--backtest"), "forecast --backtest", "forecasting.md"),
    (("calibrate",), "calibrate", "forecasting.md"),
    (("slips",), "slips", "forecasting.md"),
]


def _shape_item(page: str, name: str) -> str:
    """The text of the list item that gives ``name``'s JSON on ``page``."""
    lines = (DOCS / page).read_text(encoding="utf-8").split("\n")
    start = lines.index(next(line for line in lines if line.startswith(f"- `{name}`: ")))
    end = next(
        i for i in range(start + 1, len(lines)) if lines[i].startswith("- ") or not lines[i].strip()
    )
    return "\n".join(lines[start:end])


@pytest.mark.parametrize(
    ("report", "name", "page"),
    SHAPE_ITEMS,
    ids=[f"{page}: {' '.join(report)}" for report, _name, page in SHAPE_ITEMS],
)
def test_a_reports_shape_names_every_key_it_prints(
    report: tuple[str, ...],
    name: str,
    page: str,
    demo: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shapes "scripts may rely on" left out forecast's "ahead", though the page named
    it elsewhere, so the test above (a key named anywhere on the page) held: each
    report's own item names every key it prints, and its rows' keys."""
    monkeypatch.setenv("SALESPIPE_DB", str(demo))
    said = cli(*report, "--json")
    assert said.exit_code in (0, 3), said.stderr
    item = _shape_item(page, name)
    left_out = {key for key in _keys_of(json.loads(said.stdout), set()) if f'"{key}"' not in item}
    assert not left_out, f"{page}, {name}: the shape does not name {sorted(left_out)}"
