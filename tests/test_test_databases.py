"""The tests' own PostgreSQL databases: those of a run killed before its end are dropped
by the next run on the machine (tests/conftest.py), and only those."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import (
    _drop_orphan_team_roles,
    _orphans,
    _server_is_this_machine,
    pg_admin,
    pg_connect,
)


def _a_process_gone() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_the_databases_of_a_process_gone_are_orphans_and_no_others() -> None:
    gone = _a_process_gone()
    names = [
        f"salespipe_test_{gone}_0123456789ab",
        f"salespipe_test_{os.getpid()}_0123456789ab",  # this run's, in use
        "salespipe_test_0123456789abcdef",  # named otherwise: a test's own, left alone
        f"salespipe_test_{gone}_0123456789ab_extra",
        "salespipe_bench_1000000",
    ]
    assert _orphans(names) == [f"salespipe_test_{gone}_0123456789ab"]


def test_only_a_server_of_this_machine_is_cleaned() -> None:
    assert _server_is_this_machine("postgresql:///postgres")
    assert _server_is_this_machine("postgresql://root@localhost/postgres")
    assert _server_is_this_machine("postgresql://127.0.0.1:5433/postgres")
    assert not _server_is_this_machine("postgresql://ci@db.example/postgres")


@pytest.mark.postgres
def test_the_team_roles_of_a_process_gone_are_dropped_and_no_others(pg_server: str) -> None:
    """`team add` makes group roles named after the test database; roles are the
    server's, so a run killed before its end left them behind when its databases went."""
    gone = _a_process_gone()
    dead = f"salespipe_salespipe_test_{gone}_0123456789ab_admin"
    alive = f"salespipe_salespipe_test_{os.getpid()}_0123456789ab_rep"
    for role in (dead, alive):
        pg_admin(pg_server, f'CREATE ROLE "{role}" NOLOGIN')
    try:
        _drop_orphan_team_roles()
        with pg_connect(pg_server, autocommit=True) as connection:
            left = {
                str(row[0])
                for row in connection.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", ([dead, alive],)
                )
            }
        assert left == {alive}
    finally:
        for role in (dead, alive):
            pg_admin(pg_server, f'DROP ROLE IF EXISTS "{role}"')
