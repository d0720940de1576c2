"""Benchmark data sets under bench/data/: built once, restored exactly after each write.

A data set is built with ``salespipe demo --deals N`` when that command exists (the
results must come from it); until then with :mod:`synth` through the Pipeline API, and
the results say so. A write command is timed on the same state every run: before
each run the main file is written back and the journals are cut back to the sizes it
records, which is exactly the state before the write (journals are append-only).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
# Written into each data set's .builder marker: a data set built for another file layout
# is built again (bump it when the layout of the data file changes).
LAYOUT = "schema 7 with open facts 2"
CSV_HEADER = (
    "id",
    "title",
    "customer",
    "contact",
    "value",
    "currency",
    "stage",
    "status",
    "owner",
    "probability",
    "expected_close",
    "tags",
    "created_at",
    "closed_at",
    "lost_reason",
)


def database_files(main: Path) -> tuple[Path, Path, Path]:
    stem = main.name.removesuffix(".json")
    return main, main.with_name(f"{stem}.events.jsonl"), main.with_name(f"{stem}.closed.jsonl")


def open_journal(main: Path, meta: dict[str, Any]) -> Path:
    """The open-deals journal the main file's meta names (its current generation)."""
    stem = main.name.removesuffix(".json")
    return main.with_name(f"{stem}.open-{meta['open_generation']}.jsonl")


def open_index_files(main: Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    """The open index's checkpoint and tail the main file's meta names (schema 6)."""
    stem = main.name.removesuffix(".json")
    generation = meta["open_index_generation"]
    return (
        main.with_name(f"{stem}.open-index-{generation}.json"),
        main.with_name(f"{stem}.open-index-{generation}.tail"),
    )


def open_index(main: Path, document: dict[str, Any]) -> dict[str, Any]:
    """Every open deal's index entry: in the main file up to schema 5, then in the
    checkpoint and tail it names (schema 6; the tail's last line of a deal wins)."""
    meta = document["_meta"]["1"]
    if "open_index_generation" not in meta:
        entries: dict[str, Any] = document["deals"]
        return entries
    checkpoint, tail = open_index_files(main, meta)
    entries = orjson.loads(checkpoint.read_bytes()) if meta["open_index_size"] else {}
    if meta["open_tail_size"]:
        with tail.open("rb") as handle:
            for line in handle.read(meta["open_tail_size"]).splitlines():
                for key, entry in orjson.loads(line).items():
                    if entry is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = entry
    return entries


def remove_database(main: Path) -> None:
    stem = main.name.removesuffix(".json")
    for path in main.parent.glob(f"{stem}.*"):
        path.unlink()
    for path in main.parent.glob(f".{main.name}.tmp-*"):
        path.unlink()
    with contextlib.suppress(FileNotFoundError):
        main.unlink()


@dataclass
class Dataset:
    deals: int
    main: Path
    builder: str  # "demo …" or "synth …", with the LAYOUT

    @property
    def events(self) -> Path:
        return database_files(self.main)[1]

    @property
    def closed(self) -> Path:
        return database_files(self.main)[2]

    def sizes(self) -> dict[str, int]:
        files = (*database_files(self.main), open_journal(self.main, self.meta()))
        return {p.name: p.stat().st_size for p in files if p.exists()}

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.document()["_meta"]["1"]
        return meta

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = orjson.loads(self.main.read_bytes())
        return document

    def open_records(self) -> list[dict[str, Any]]:
        document = self.document()
        lines = open_journal(self.main, document["_meta"]["1"]).read_bytes()
        return [
            orjson.loads(lines[entry["at"] : entry["at"] + entry["size"]])
            for entry in open_index(self.main, document).values()
        ]

    def first_closed_id(self) -> int | None:
        """The id of the first closed deal in the closed journal, if any."""
        with self.closed.open("rb") as journal:
            line = journal.readline()
        return int(orjson.loads(line)["id"]) if line.strip() else None

    def pristine(self) -> Pristine:
        return Pristine(self.main)


class Pristine:
    """The committed state of a database, to put back after a timed write."""

    def __init__(self, main: Path) -> None:
        self.main = main
        self.bytes = main.read_bytes()
        meta = orjson.loads(self.bytes)["_meta"]["1"]
        _main, events, closed = database_files(main)
        self.journals = {
            events: meta["events_size"],
            closed: meta["closed_size"],
            open_journal(main, meta): meta["open_size"],
        }
        stem = main.name.removesuffix(".json")
        indexes = {"events": "event_index_size", "closed": "closed_index_size"}  # schema 3
        for journal, key in indexes.items():
            self.journals[main.with_name(f"{stem}.{journal}.idx")] = meta.get(key, 0)
        if "change_log_size" in meta:  # schema 7
            self.journals[main.with_name(f"{stem}.changes.jsonl")] = meta["change_log_size"]
        self.open_index: tuple[Path, ...] = ()
        self.facts: tuple[Path, bytes] | None = None
        if "open_index_generation" in meta:  # schema 6: the tail is appended to
            checkpoint, tail = open_index_files(main, meta)
            self.journals[tail] = meta["open_tail_size"]
            self.open_index = (checkpoint, tail)
            # A timed write that folds the tail removes this checkpoint and its facts.
            self.checkpoint = checkpoint.read_bytes() if checkpoint.exists() else None
            facts = checkpoint.with_name(checkpoint.name.replace(".open-index-", ".open-facts-"))
            self.facts = (facts, facts.read_bytes()) if facts.exists() else None
        # The heads are changed in place by a write that brings them up to date.
        self.heads = {path: path.read_bytes() for path in main.parent.glob(f"{stem}.*.heads")}

    def restore(self) -> None:
        temp = self.main.with_name(self.main.name + ".bench-restore")
        temp.write_bytes(self.bytes)
        os.replace(temp, self.main)
        for journal, size in self.journals.items():
            if journal.exists():
                os.truncate(journal, size)
            elif size:
                raise RuntimeError(f"{journal} went missing during the benchmark")
            elif journal in self.open_index:
                journal.touch()  # an empty tail a timed write may append to
        if self.open_index and self.checkpoint is not None and not self.open_index[0].exists():
            self.open_index[0].write_bytes(self.checkpoint)
        if self.facts is not None and not self.facts[0].exists():
            self.facts[0].write_bytes(self.facts[1])
        for heads, data in self.heads.items():
            heads.write_bytes(data)
        for leftover in self.main.parent.glob(f".{self.main.name}.tmp-*"):
            leftover.unlink()
        stem = self.main.name.removesuffix(".json")
        for journal in self.main.parent.glob(f"{stem}.open-*.jsonl"):
            if journal not in self.journals:
                journal.unlink()  # a generation a timed write started
        for path in self.main.parent.glob(f"{stem}.open-index-*"):
            if path not in self.open_index:
                path.unlink()  # a checkpoint a timed write folded
        for path in self.main.parent.glob(f"{stem}.open-facts-*"):
            if self.facts is None or path != self.facts[0]:
                path.unlink()  # the facts of such a checkpoint


def has_command(salespipe: Sequence[str], name: str, env: dict[str, str]) -> bool:
    """Whether the installed salespipe has this command (its --help answers 0)."""
    done = subprocess.run(
        [*salespipe, *name.split(), "--help"], env=env, capture_output=True, check=False
    )
    return done.returncode == 0


def ensure(
    deals: int,
    salespipe: Sequence[str],
    env: dict[str, str],
    allow_synth: bool,
    log: Any,
    pipelines: int = 1,
) -> Dataset:
    """The data set of ``deals`` deals, built if missing or built by another builder;
    with ``pipelines`` > 1, its deals spread over that many (bench/pipelines.py)."""
    DATA.mkdir(parents=True, exist_ok=True)
    name = f"demo-{deals}" if pipelines == 1 else f"demo-{deals}-p{pipelines}"
    main = DATA / f"{name}.json"
    marker = main.with_name(f"{name}.builder")
    use_demo = has_command(salespipe, "demo", env)
    if not use_demo and not allow_synth:
        raise SystemExit("`salespipe demo` is not available; pass --allow-synth to use bench/synth")
    wanted = f"{'demo' if use_demo else 'synth'} {LAYOUT}"
    if pipelines > 1:
        wanted += f" pipelines {pipelines}"
    if main.exists() and marker.exists() and marker.read_text().strip() == wanted:
        return Dataset(deals, main, wanted)
    remove_database(main)
    log(f"building the {deals:,}-deal data set with {wanted} …")
    if use_demo:
        done = subprocess.run(
            [*salespipe, "demo", "--deals", str(deals), "--db", str(main), "--seed", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"salespipe demo failed: {done.stderr.strip()}")
    else:
        subprocess.run(
            [sys.executable, str(BENCH / "synth.py"), str(main), str(deals)], env=env, check=True
        )
    if pipelines > 1:
        subprocess.run(
            [sys.executable, str(BENCH / "pipelines.py"), str(main), str(pipelines)],
            env=env,
            check=True,
        )
    marker.write_text(wanted + "\n")
    return Dataset(deals, main, wanted)


def csv_of(dataset: Dataset, salespipe: Sequence[str], env: dict[str, str]) -> tuple[Path, str]:
    """A CSV of every deal of the data set: from `salespipe export` if it exists, else ours."""
    target = dataset.main.with_name(f"demo-{dataset.deals}.csv")
    source = target.with_suffix(".csv.source")
    exporter = "export" if has_command(salespipe, "export", env) else "bench"
    if target.exists() and source.exists() and source.read_text().strip() == exporter:
        return target, exporter
    if exporter == "export":
        subprocess.run(
            [*salespipe, "--db", str(dataset.main), "export", "--format", "csv", "-o", str(target)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    else:
        _write_csv(dataset, target)
    source.write_text(exporter + "\n")
    return target, exporter


def _write_csv(dataset: Dataset, target: Path) -> None:
    records = dataset.open_records()
    latest: dict[int, dict[str, Any]] = {}
    with dataset.closed.open("rb") as handle:
        for line in handle:
            record = orjson.loads(line)
            latest[record["id"]] = record
    records += [r for r in latest.values() if not r.get("deleted")]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for record in sorted(records, key=lambda r: r["id"]):
        row = dict(record, tags=";".join(record.get("tags", [])))
        writer.writerow(["" if row.get(k) is None else row[k] for k in CSV_HEADER])
    target.write_text(buffer.getvalue(), encoding="utf-8")


def fresh_folder(name: str) -> Path:
    folder = BENCH / ".work" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
