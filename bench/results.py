"""The machine the benchmark ran on, and the one table of figures written to RESULTS.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from cases import Target
from measure import Measurement, Paired

PACKAGES = ("salespipe", "typer", "rich", "tinydb", "plotext", "orjson", "platformdirs", "wcwidth")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[str]:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        f"- Packages: {', '.join(versions)}",
        f"- Run: {datetime.now().astimezone():%Y-%m-%d %H:%M %z}",
    ]


@dataclass
class Row:
    deals: int
    name: str
    measurement: Measurement | None = None
    target: Target | None = None
    ratio: float | None = None
    verdict: str = ""
    note: str = ""
    paired: Paired | None = None

    def cells(self) -> list[str]:
        m = self.measurement
        deals = f"{self.deals:,}" if self.deals else "all"
        if m is None or not m.samples:
            return [deals, self.name, "—", "—", "—", "—", "—", self.verdict or "n/a"]
        ratio = "—"
        floor = self.target.floor if self.target is not None else "F"
        if self.ratio is not None and floor != "s":
            ratio = f"{self.ratio:.2f}×{floor}"
            if self.paired is not None:
                low, high = min(self.paired.ratios), max(self.paired.ratios)
                ratio += f" ({low:.2f}–{high:.2f})"
        return [
            deals,
            self.name,
            f"{m.median:.3f}",
            f"{m.low:.3f}–{m.high:.3f} ({len(m.samples)})",
            ratio,
            self.target.describe() if self.target else "—",
            f"{m.peak_mb:.0f}",
            self.verdict + (f" ({self.note})" if self.note else ""),
        ]


HEADERS = [
    "deals",
    "command",
    "median s",
    "min–max s (runs)",
    "ratio",
    "target",
    "peak MB",
    "result",
]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def plain(rows: list[Row]) -> str:
    table = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table)


def write(path: Path, rows: list[Row], notes: list[str], command: str) -> None:
    text = [
        "# Benchmark results",
        "",
        f"Written by `{command}`. Times are whole `salespipe` processes (wall clock),",
        "the median of the runs after one untimed warm-up, with min–max and the number of",
        "runs; peak MB is the largest resident set of any run (wait4). F is",
        '`python -c "import typer"`; O is the orjson-alone parse of the whole history',
        "(main file + every journal line) of that size. Each command runs in turns with",
        "its floor (floor, command, floor, command, …); its ratio is the median of the",
        "per-pair ratios, with their spread (lowest–highest) beside it, so a slow minute",
        "on a shared machine moves a floor and its command together.",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Figures against the bars of docs/benchmark.md",
        "",
        markdown(rows),
        "",
        "## Notes",
        "",
        *(f"- {note}" for note in notes),
        "",
    ]
    analysis = path.parent / "analysis.md"
    if analysis.exists():  # the profile behind the figures, kept by hand beside them
        text += [analysis.read_text(encoding="utf-8")]
    path.write_text("\n".join(text), encoding="utf-8")
