"""The HTML report in a real browser: headless Chromium renders it to a PNG.

Checks: the page loads with no console message and no failed load; the DOM Chromium
builds has one bar per stage and per month whose height is its number times the
chart's scale, numbers taken from the JSON of the same reports; and in the rendered
pixels the stage chart's bars are as tall, relative to each other, as their counts.
Skipped where /usr/bin/chromium is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BAR_RGB = (0x3B, 0x6F, 0xD8)  # .bar's fill in present/html.py
WIDTH = 800

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"
)


def chromium(*args: str, page: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={page.parent / 'chromium-profile'}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def page_problems(stderr: str) -> list[str]:
    """Console messages and failed loads in Chromium's log (its own D-Bus and GPU
    chatter, which has nothing to do with the page, aside)."""
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line or "Failed to load" in line or "net::ERR_" in line
    ]


class Bars(HTMLParser):
    """Each <svg>'s scale and its bars' heights and values, as the DOM holds them."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg":
            self.charts.append({"scale": float(found["data-scale"] or 0), "bars": []})
        elif tag == "rect" and found.get("class") == "bar":
            bar = (float(found["height"] or 0), float(found["data-value"] or 0))
            self.charts[-1]["bars"].append(bar)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], b""
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + size
    width, height, depth, color, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    assert color in (2, 6)
    step = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + near) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(row[i] for i in range(len(row)) if i % step < 3) for row in rows]


def first_chart_bar_heights(path: Path) -> list[int]:
    """The pixel heights of the bars of the first chart down the page, left to right:
    bar-coloured columns grouped into bars, the first chart being those whose bottom
    is the highest on the page."""
    width, height, rows = png_pixels(path)
    target = bytes(BAR_RGB)
    columns: dict[int, tuple[int, int]] = {}  # x -> (top, bottom) of its first run
    for x in range(width):
        top = None
        for y in range(height):
            if rows[y][x * 3 : x * 3 + 3] == target:
                if top is None:
                    top = y
                bottom = y
            elif top is not None:
                break
        if top is not None:
            columns[x] = (top, bottom)
    first_bottom = min(bottom for _top, bottom in columns.values())
    bars: list[list[int]] = []
    for x in sorted(columns):
        if abs(columns[x][1] - first_bottom) > 2:
            continue
        if bars and x == bars[-1][-1] + 1:
            bars[-1].append(x)
        else:
            bars.append([x])
    return [max(columns[x][1] - columns[x][0] + 1 for x in xs) for xs in bars]


@pytest.fixture
def report_page(cli, tmp_path: Path) -> Path:
    assert cli("--lang", "th", "demo").exit_code == 0
    target = tmp_path / "report.html"
    result = cli("--lang", "th", "report", "--html", str(target))
    assert result.exit_code == 0, result.stderr
    return target


def test_the_page_loads_without_console_errors(report_page: Path) -> None:
    shot = report_page.with_suffix(".png")
    result = chromium(f"--screenshot={shot}", f"--window-size={WIDTH},2400", page=report_page)
    assert result.returncode == 0, result.stderr
    assert page_problems(result.stderr) == []
    assert shot.stat().st_size > 10_000


def test_the_console_check_catches_an_error(tmp_path: Path) -> None:
    """The check above would see a console error: a page that logs one is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><title>x</title><script>console.error('broken')</script>", "utf-8"
    )
    result = chromium("--dump-dom", page=bad)
    assert any("broken" in line for line in page_problems(result.stderr)), result.stderr


def test_svg_bar_heights_match_the_numbers(cli, report_page: Path) -> None:
    result = chromium("--dump-dom", page=report_page)
    assert result.returncode == 0, result.stderr
    parser = Bars()
    parser.feed(result.stdout)
    stage_chart, forecast_chart = parser.charts
    counts = [s["count"] for s in cli.json("chart")["stages"]]
    assert [value for _height, value in stage_chart["bars"]] == counts
    rows = cli.json("forecast")["rows"]
    # The rows the table and the terminal's chart show: every month, and the past-due,
    # later and no-date rows only when they hold deals (--json keeps them all)
    expected = [
        row["expected"].get("THB", 0) for row in rows if row["kind"] == "month" or row["count"]
    ]
    assert len(expected) < len(rows)  # (the demo has a row of nothing: one is left out)
    assert [value for _height, value in forecast_chart["bars"]] == pytest.approx(expected)
    for chart in (stage_chart, forecast_chart):
        for height, value in chart["bars"]:
            assert height == pytest.approx(value * chart["scale"], abs=0.01)
    # The tallest stage is the chart's full height; the forecast's top is its highest P90.
    assert max(height for height, _value in stage_chart["bars"]) == pytest.approx(200)
    assert max(height for height, _value in forecast_chart["bars"]) <= 200


def test_rendered_bars_are_as_tall_as_their_counts(cli, report_page: Path) -> None:
    shot = report_page.with_suffix(".png")
    result = chromium(f"--screenshot={shot}", f"--window-size={WIDTH},900", page=report_page)
    assert result.returncode == 0, result.stderr
    counts = [s["count"] for s in cli.json("chart")["stages"]]
    heights = first_chart_bar_heights(shot)
    assert len(heights) == len([c for c in counts if c])
    tallest = max(heights)
    for pixels, count in zip(heights, [c for c in counts if c], strict=True):
        assert pixels == pytest.approx(tallest * count / max(counts), abs=2)


def test_thai_and_baht_reach_the_page(report_page: Path) -> None:
    result = chromium("--dump-dom", page=report_page)
    assert "รายงานไปป์ไลน์การขาย" in result.stdout
    assert re.search(r"฿[\d,]+", result.stdout)
