"""A throw-away PostgreSQL cluster a test may stop and restart (never the shared server).

Made with initdb in a temporary folder, run by the ``postgres`` OS user when the tests
run as root (the server refuses to run as root), listening only on a Unix socket in
that folder. Where PostgreSQL's server programs are not installed the tests that need
one are skipped with the reason, or fail under SALESPIPE_TEST_PG_REQUIRED=1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(os.environ.get("SALESPIPE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
# runuser lives in sbin, which a PATH made for a plain user (env -i, cron) leaves out.
RUNUSER = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")


def _unavailable() -> str | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the PostgreSQL driver is not installed (pip install 'salespipe[postgres]')"
    if not (BIN / "initdb").is_file():
        return f"no initdb in {BIN} (set SALESPIPE_TEST_PG_BIN) for a cluster of the test's own"
    if os.geteuid() == 0 and RUNUSER is None:
        return "running as root and no runuser to start PostgreSQL as the postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int

    def _run(self, *args: str) -> None:
        command = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = [str(RUNUSER), "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    def target(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.folder}&port={self.port}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=''"
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.target(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.target(name)


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A running cluster of this test's own, removed after it."""
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("SALESPIPE_TEST_PG_REQUIRED") == "1":
            pytest.fail(f"SALESPIPE_TEST_PG_REQUIRED=1 but {reason}")
        pytest.skip(reason)
    # Not pytest's tmp_path: the postgres user must be able to reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="salespipe-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    cluster = Cluster(folder, _free_port())
    try:
        cluster._run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", SUPERUSER,
                     "-E", "UTF8", "--no-sync")  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        subprocess.run(
            [*([str(RUNUSER), "-u", "postgres", "--"] if os.geteuid() == 0 else []),
             str(BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
