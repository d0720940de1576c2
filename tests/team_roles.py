"""Two people on one PostgreSQL pipeline: LOGIN roles with passwords, over TCP.

Roles are cluster-wide, so each test makes roles of its own (a random suffix) and drops
them after it, with whatever they own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from tests.conftest import pg_admin

PASSWORD = "pw"


@dataclass(frozen=True)
class Team:
    """The database ``name`` and, for each person, the target they use."""

    name: str
    targets: dict[str, str]
    roles: dict[str, str]

    def target(self, person: str) -> str:
        return self.targets[person]


def _in_database(server: str, database: str) -> str:
    return re.sub(r"^([a-z]+://[^/?]*)(/[^?]*)?", lambda m: f"{m[1]}/{database}", server)


@pytest.fixture
def team(pg_server: str, pg_empty_database: str) -> Iterator[Team]:
    """alice and bob, who may both change the pipeline in ``pg_empty_database``."""
    suffix = uuid4().hex[:8]
    database = pg_empty_database.rsplit("/", 1)[1].split("?")[0]
    roles = {person: f"{person}_{suffix}" for person in ("alice", "bob")}
    group = f"sales_{suffix}"
    pg_admin(pg_server, f'CREATE ROLE "{group}" NOLOGIN')
    for role in roles.values():
        pg_admin(pg_server, f'CREATE ROLE "{role}" LOGIN PASSWORD \'{PASSWORD}\' IN ROLE "{group}"')
    here = _in_database(pg_server, database)
    # The team's group owns the schema, so whoever makes the tables first, the other
    # may use them: each person's tables are made owned by the group (SET ROLE-free:
    # default privileges grant the rest of the team everything on them).
    pg_admin(here, f'GRANT CREATE, USAGE ON SCHEMA public TO "{group}"')
    for role in roles.values():
        pg_admin(
            here,
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{role}" IN SCHEMA public'
            f' GRANT ALL ON TABLES TO "{group}"',
        )
        pg_admin(
            here,
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{role}" IN SCHEMA public'
            f' GRANT ALL ON SEQUENCES TO "{group}"',
        )
    targets = {
        person: f"postgresql://{role}:{PASSWORD}@127.0.0.1/{database}"
        for person, role in roles.items()
    }
    try:
        yield Team(database, targets, roles)
    finally:
        pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for role in [*roles.values(), group]:
            pg_admin(pg_server, f'DROP ROLE IF EXISTS "{role}"')
