"""Timing whole processes: wall time and peak memory of one child, and their summary."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SPAWN = Path(__file__).resolve().parent / "spawn.py"


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_mb: float
    exit_code: int
    stderr: str


def run_child(argv: Sequence[str], env: dict[str, str]) -> Sample:
    """Run one process to its end, through spawn.py: its wall time and its own peak RSS."""
    with tempfile.NamedTemporaryFile(prefix="salespipe-bench-", suffix=".err") as err:
        done = subprocess.run(
            [sys.executable, str(SPAWN), err.name, *argv],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        message = Path(err.name).read_text(encoding="utf-8", errors="replace")
    result = json.loads(done.stdout)
    return Sample(result["seconds"], result["peak_kb"] / 1024, result["exit_code"], message)


@dataclass
class Measurement:
    """Several runs of one command: median, spread, worst memory, failures."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def low(self) -> float:
        return min(self.times)

    @property
    def high(self) -> float:
        return max(self.times)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.samples)

    def failures(self, ok: Callable[[int], bool]) -> list[Sample]:
        return [s for s in self.samples if not ok(s.exit_code)]


@dataclass
class Paired:
    """A command and its floor run in turns: each pair gives one ratio.

    A shared machine can be twice as slow for a minute; a floor measured in the same
    moment as the command it judges cancels that out, where one floor for the whole
    run does not. The verdict is the median of the per-pair ratios.
    """

    command: Measurement = field(default_factory=Measurement)
    floor: Measurement = field(default_factory=Measurement)

    @property
    def ratios(self) -> list[float]:
        return [c / f for c, f in zip(self.command.times, self.floor.times, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def repeat_paired(
    runs: int,
    argv: Sequence[str],
    floor_argv: Sequence[str],
    env: dict[str, str],
    before_each: Callable[[], None] | None = None,
) -> Paired:
    """Run the floor and the command in turns, ``runs`` pairs after one untimed pair."""
    paired = Paired()
    for index in range(runs + 1):
        floor = run_child(floor_argv, env)
        if before_each:
            before_each()
        sample = run_child(argv, env)
        if index:
            paired.floor.add(floor)
            paired.command.add(sample)
    return paired


def repeat(
    runs: int,
    argv: Sequence[str],
    env: dict[str, str],
    before_each: Callable[[], None] | None = None,
    warmup: bool = True,
) -> Measurement:
    """Run a command ``runs`` times (after one untimed warm-up run), resetting state first."""
    measurement = Measurement()
    for index in range(runs + (1 if warmup else 0)):
        if before_each:
            before_each()
        sample = run_child(argv, env)
        if warmup and index == 0:
            continue
        measurement.add(sample)
    return measurement
