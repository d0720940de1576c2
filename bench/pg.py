"""PostgreSQL data sets for the benchmark: one database per size, kept between runs.

``salespipe demo --deals N --seed 1`` writes the same deals and history into a
database as into a file (one transaction, COPY for the deals and events): at 1M deals
it takes minutes, so the database is built once and named after its size,
``salespipe_bench_N`` on the server of ``--server`` (default: the local socket). A
timed write is taken back after each run by ``salespipe undo`` (untimed), so every
run starts from the same deals.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from datasets import LAYOUT
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def database_name(deals: int) -> str:
    return f"salespipe_bench_{deals}"


def _on(server: str, dbname: str) -> str:
    return make_conninfo(server, dbname=dbname)


def _uri(server: str, dbname: str) -> str:
    """A ``postgresql://`` target salespipe accepts, for the same server."""
    given = conninfo_to_dict(server)
    host = str(given.get("host") or "")
    port = f":{given['port']}" if given.get("port") else ""
    user = f"{given['user']}@" if given.get("user") else ""
    if host.startswith("/"):
        return f"postgresql://{user}/{dbname}?host={host}" + (
            f"&port={given['port']}" if port else ""
        )
    return f"postgresql://{user}{host}{port}/{dbname}"


@dataclass
class PgDataset:
    """One data set in a database of its own."""

    deals: int
    target: str  # what --db is given
    builder: str

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.target) as connection:
            return connection.execute(sql).fetchall()

    def drop_kept(self) -> None:
        """Drop the backtests the server kept (m015), so the next one replays."""
        with psycopg.connect(self.target) as connection:
            made = "SELECT to_regclass('salespipe_backtests') IS NOT NULL"
            if connection.execute(made).fetchone() == (True,):
                connection.execute("DELETE FROM salespipe_backtests")

    def sizes(self) -> dict[str, int]:
        (size,) = self.query("SELECT pg_database_size(current_database())")[0]
        return {"database": int(size)}

    def context(self) -> dict[str, Any]:
        """An open deal in the middle of the ids, its stage, and the first closed deal."""
        open_rows = self.query(
            "SELECT id, stage FROM salespipe_deals WHERE status = 'open' AND NOT deleted"
            " ORDER BY id OFFSET (SELECT count(*) / 2 FROM salespipe_deals"
            "  WHERE status = 'open' AND NOT deleted) LIMIT 1"
        )
        closed = self.query(
            "SELECT id FROM salespipe_deals WHERE status <> 'open' AND NOT deleted"
            " ORDER BY closed_order LIMIT 1"
        )
        context: dict[str, Any] = {"open_id": open_rows[0][0], "open_stage": open_rows[0][1]}
        if closed:
            context["closed_id"] = closed[0][0]
        return context


def ensure_pg(
    deals: int, server: str, salespipe: Sequence[str], env: dict[str, str], log: Any
) -> PgDataset:
    """The database of ``deals`` deals, built with ``salespipe demo`` if missing or made
    by another layout (the builder is kept in the database's comment)."""
    name = database_name(deals)
    wanted = f"demo {LAYOUT} postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        found = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchall()
        if found and found[0][0] == wanted:
            return PgDataset(deals, _uri(server, name), wanted)
        log(f"building the {deals:,}-deal data set in database {name} …")
        if found:
            admin.execute(f'DROP DATABASE "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    target = _uri(server, name)
    done = subprocess.run(
        [*salespipe, "demo", "--deals", str(deals), "--db", target, "--seed", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"salespipe demo failed: {done.stderr.strip()}")
    with psycopg.connect(_on(server, name), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        connection.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    return PgDataset(deals, target, wanted)


class UndoAfterWrite:
    """Before each run of a write but the first, take the last one back (untimed)."""

    def __init__(self, salespipe: Sequence[str], target: str, env: dict[str, str]) -> None:
        self.argv = [*salespipe, "--db", target, "undo"]
        self.env = env
        self.pending = False

    def __call__(self) -> None:
        if self.pending:
            subprocess.run(self.argv, env=self.env, capture_output=True, check=True)
        self.pending = True

    def restore(self) -> None:
        """After the last run."""
        self()
        self.pending = False
