"""The orjson-alone floor: read a database's history files and parse every record.

Run as its own process by the benchmark (``python bench/history_floor.py MAIN``), so it
is compared with whole `salespipe` processes on equal terms. It reads the main file and
the journals (events, closed deals, open deals) and parses each line with
``orjson.loads``: the least any
full-history report has to do with this file format. With ``--closed-only`` it reads
only the main file and the closed-deals journal (what the reports read without
``--as-of``), shown for information.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson


def parse_history(main: Path, journals: tuple[str, ...] = ("events", "closed")) -> int:
    stem = main.name.removesuffix(".json")
    document = orjson.loads(main.read_bytes())
    records = 0
    meta = document["_meta"]["1"]
    if meta.get("open_index_size"):  # the open deals' index, out of the main file (schema 6)
        index = main.with_name(f"{stem}.open-index-{meta['open_index_generation']}.json")
        orjson.loads(index.read_bytes())
    generation = meta.get("open_generation")
    names = [f"{stem}.{name}.jsonl" for name in journals]
    if generation:  # the open deals' records (schema 2)
        names.append(f"{stem}.open-{generation}.jsonl")
    for journal in names:
        path = main.with_name(journal)
        if path.exists():
            for line in path.read_bytes().splitlines():
                orjson.loads(line)
                records += 1
    return records


if __name__ == "__main__":
    # `--closed-only`: only the files the reports read today (main file + closed journal).
    parse_history(
        Path(sys.argv[1]), ("closed",) if "--closed-only" in sys.argv else ("events", "closed")
    )
