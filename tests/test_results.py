"""Results rendered in one place: every report result type has its view, and the CLI's
text for a report is that view of the same result its --json prints."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import salespipe
from salespipe.present import parts, render, results

pytestmark = pytest.mark.usefixtures("each_backend")


@pytest.fixture
def filled(db_path: Path) -> salespipe.Pipeline:
    api = salespipe.open(db_path)
    erp = api.add("ERP", value="1.5m", owner="alice", at="2026-10-01")
    api.move(erp.id, "quoted", reason="sent", at="2026-10-20")
    racks = api.add("Racking", value="250k", owner="bao", at="2026-10-02")
    api.lost(racks.id, "too expensive", at="2026-11-01")
    return api


def _all_results(api: salespipe.Pipeline) -> list[results.Result]:
    return [api.report(), api.funnel(), api.durations(), api.winrate("owner"), api.stale()]


def test_every_report_result_has_its_view(filled: salespipe.Pipeline) -> None:
    """Each report the API returns has a view in VIEWS that turns it into blocks with text."""
    shown = [
        *_all_results(filled),
        filled.check(),
        filled.calibrate(),
        filled.slips(),
        filled.backtest(months=2),
    ]
    for result in shown:
        seen = results.view(result)
        assert not isinstance(seen, str)
        assert "".join(_text_of(part) for part in seen).strip(), result


def _text_of(part: parts.Part) -> str:
    """What a part of a view says (a block as laid out in a pipe)."""
    if isinstance(part, str):
        return part
    if isinstance(part, parts.Hanging | parts.Noted | parts.Warned):
        return part.text
    if isinstance(part, parts.Drawing | parts.Verbatim):
        return ""
    return render.plain([part])


def test_every_entry_of_the_table_names_a_real_type_and_view() -> None:
    """A renamed result type or view function fails here, not in front of a user."""
    for kind, name in results.VIEWS.items():
        module, _, qualname = kind.rpartition(".")
        assert hasattr(importlib.import_module(module), qualname), kind
        where, _, function = name.rpartition(".")
        views = importlib.import_module(f"salespipe.present.{where or 'report_views'}")
        assert callable(getattr(views, function)), name


def test_a_result_without_a_view_is_a_programming_error() -> None:
    """A new result type must be added to the table, not silently printed as nothing."""

    class Unknown:
        def to_dict(self) -> dict[str, int]:
            return {}

    with pytest.raises(TypeError, match="no view for"):
        results.view(Unknown())


def test_the_command_prints_the_view_of_its_result(filled: salespipe.Pipeline, cli) -> None:
    """`report` without --json prints exactly the view of the result the API returns."""
    printed = cli("report").stdout
    assert printed == render.plain(results.view(filled.report()))
    assert "Bottleneck" in printed


CLI = Path(__file__).resolve().parents[1] / "src" / "salespipe" / "cli"

# The only places in the CLI that still ask whether --json was given, each for a reason:
# errors and interrupts are not results (app.py, interrupted.py, output.py),
# output.result() is the one choice itself.
JSON_CHOICES_ALLOWED = {"app.py": 1, "interrupted.py": 1, "output.py": 2}


def test_no_command_chooses_between_json_and_text_itself() -> None:
    """A command hands its result to output.result(); an `if as_json:` in a command is
    the duplication this table exists to remove."""
    found = {
        path.name: path.read_text(encoding="utf-8").count("if as_json:")
        for path in sorted(CLI.glob("*.py"))
    }
    assert {name: n for name, n in found.items() if n} == JSON_CHOICES_ALLOWED


def test_a_view_of_parts_is_printed_in_order(monkeypatch, capsys) -> None:
    """Blocks, lines, charts and warnings come out in the order the view gives them;
    warnings on stderr, charts drawn for the width asked."""
    from salespipe.cli import output

    class Shown:
        def to_dict(self) -> dict[str, int]:
            return {"n": 1}

    drawn_for: list[int] = []

    def draw(width: int, color: bool) -> list[str]:
        drawn_for.append(width)
        return ["CHART"]

    def shown_view(result: Shown) -> list[parts.Part]:
        return [render.Text("first"), "", parts.Warned("careful"), parts.Drawing(draw)]

    monkeypatch.setitem(results.VIEWS, f"{Shown.__module__}.{Shown.__qualname__}", "view_of")
    from salespipe.present import report_views

    monkeypatch.setattr(report_views, "view_of", shown_view, raising=False)
    output.result(Shown(), as_json=False, chart_width_asked=42)
    printed = capsys.readouterr()
    assert printed.out.splitlines() == ["first", "", "CHART"]
    assert "careful" in printed.err
    assert drawn_for == [42]
    output.result(Shown(), as_json=True)
    assert capsys.readouterr().out == '{\n  "n": 1\n}\n'


def test_a_streamed_list_prints_the_bytes_of_the_whole_list(capsys) -> None:
    """A to_dict() that is an iterator is written as the same JSON array, byte for byte."""
    from salespipe.cli import output

    items = [{"id": i, "title": f"deal {i}"} for i in range(3)]

    class Streamed:
        def to_dict(self) -> Iterator[dict[str, object]]:
            return iter(items)

    output.result(Streamed(), as_json=True)
    streamed = capsys.readouterr().out
    output.json(items)
    assert streamed == capsys.readouterr().out


def test_a_list_written_in_batches_is_the_whole_list_byte_for_byte(capsys) -> None:
    """Batches of any size, the last one short or none at all: the bytes of one array."""
    from salespipe.cli import output

    for count in (0, 1, 4, 5):
        items = [
            {"id": i, "tags": ["a", "b"], "next_action": {"due": "2026-12-01"}}
            for i in range(count)
        ]
        output.json(items)
        whole = capsys.readouterr().out
        for batch in (1, 2, 4):
            output.json_array(iter(items), batch=batch)
            assert capsys.readouterr().out == whole, (count, batch)


def test_a_change_prints_its_sentence_or_the_deal(db_path: Path, cli) -> None:
    """`move` says one sentence as text, and prints the moved deal with --json."""
    cli("add", "ERP", "--value", "1m")
    said = cli("move", "1", "quoted").stdout
    assert said.startswith("Deal 1 moved to")
    assert said.count("\n") == 1
    moved = cli("move", "1", "negotiating", "--json").stdout
    assert '"id": 1' in moved
    assert '"stage": "negotiating"' in moved
