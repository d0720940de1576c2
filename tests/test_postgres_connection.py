"""PostgreSQL targets: recognised, shown without passwords, and every way of failing to
reach the database told in one sentence (a salespipe error with exit 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from tests.conftest import pg_admin, pg_target

from salespipe.core.errors import (
    EXIT_DATA_FILE,
    DatabaseLoginFailed,
    DatabaseMissing,
    DatabaseReadOnly,
    DatabaseUnreachable,
    StoreError,
)
from salespipe.storage.postgres.target import is_postgres_target, redact, scrub

SECRET = "s3cr#t-Pa55"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("postgresql://alice@db.example/sales", True),
        ("postgres://alice@db.example/sales", True),
        ("POSTGRESQL:///sales", True),
        ("pipeline.json", False),
        ("./postgresql/pipeline.json", False),
        ("postgres/pipeline.json", False),  # (a folder so named is no mistyped address)
        ("postgres//pipeline.json", False),
        ("postgres:/x.json", False),  # (a folder named "postgres:": a review)
        ("/home/a/postgres://x", False),
    ],
)
def test_a_target_is_postgres_by_its_scheme(target: str, expected: bool) -> None:
    """postgresql:// and postgres:// name a server; anything else is a data file."""
    assert is_postgres_target(target) is expected


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        (
            f"postgresql://alice:{SECRET}@db.example:5433/sales?sslmode=require",
            "postgresql://alice:***@db.example:5433/sales?sslmode=require",
        ),
        (f"postgres://alice:{SECRET}@db.example/sales", "postgres://alice:***@db.example/sales"),
        (
            f"postgresql://alice@db.example/sales?sslmode=verify-full&password={SECRET}",
            "postgresql://alice@db.example/sales?sslmode=verify-full&password=***",
        ),
        (
            f"postgresql:///sales?password={SECRET}&application_name=x",
            "postgresql:///sales?password=***&application_name=x",
        ),
        # libpq takes these as the password too; they were shown as typed (a team trial)
        (f"postgresql://a@db/sales?pass%77ord={SECRET}", "postgresql://a@db/sales?pass%77ord=***"),
        (f"postgresql://a@db/sales?PASSWORD={SECRET}", "postgresql://a@db/sales?PASSWORD=***"),
        (f"postgresql+psycopg://a:{SECRET}@db/sales", "postgresql+psycopg://a:***@db/sales"),
        # the password of the client certificate's key is a password too
        (
            f"postgresql://a@db/sales?sslcert=a.crt&sslpassword={SECRET}",
            "postgresql://a@db/sales?sslcert=a.crt&sslpassword=***",
        ),
        (f"host=db sslpassword={SECRET} dbname=sales", "host=db sslpassword=*** dbname=sales"),
    ],
)
def test_redact_hides_the_password_and_keeps_the_rest(target: str, shown: str) -> None:
    """A shown target keeps user, host and options, never the password."""
    assert redact(target) == shown


def test_a_target_without_password_is_shown_as_typed() -> None:
    """Nothing is hidden where there is nothing to hide."""
    target = "postgresql://alice@db.example/sales?sslmode=require&service=team"
    assert redact(target) == target


def test_scrub_removes_a_password_a_driver_message_repeats() -> None:
    """Whatever a driver says, the password it was given does not reach the user."""
    text = f"invalid dsn: password={SECRET} host=x; also {SECRET}"
    assert SECRET not in scrub(text, [SECRET])
    assert SECRET not in scrub(f"invalid dsn: sslpassword={SECRET} host=x", [])


# -- against a real server ------------------------------------------------------------------


@pytest.fixture
def login_role(pg_server: str, pg_database: str) -> Iterator[str]:
    """A role that logs in over TCP with a password and may only read ``pg_database``."""
    name = f"salespipe_ro_{uuid4().hex[:10]}"
    pg_admin(pg_server, f"CREATE ROLE {name} LOGIN PASSWORD '{SECRET}'")
    try:
        yield name
    finally:
        pg_admin(pg_server, f"DROP ROLE IF EXISTS {name}")


def _tcp(database: str, user: str, password: str) -> str:
    return f"postgresql://{user}:{password}@127.0.0.1/{urlsplit(database).path[1:]}"


def _connect_error(target: str) -> StoreError:
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed")
    from salespipe.storage.postgres.connection import connect

    with pytest.raises(StoreError) as caught:
        connect(target).close()
    assert caught.value.exit_code == EXIT_DATA_FILE
    assert "\n" not in caught.value.message
    return caught.value


def test_a_missing_database_is_named(pg_server: str) -> None:
    """A database the server does not have: one sentence that names it."""
    target = pg_target(pg_server, "salespipe_no_such_db")
    error = _connect_error(target)
    assert isinstance(error, DatabaseMissing)
    assert "salespipe_no_such_db" in error.message


def test_a_missing_database_not_in_the_address_is_named_as_tried(login_role: str) -> None:
    """An address that names no database: libpq tries the user's own, and the error named
    only the address, "postgresql://…/" (a team trial)."""
    error = _connect_error(f"postgresql://{login_role}:{SECRET}@127.0.0.1/")
    assert isinstance(error, DatabaseMissing)
    assert f'(database "{login_role}" does not exist)' in error.message
    assert SECRET not in error.message


def test_a_wrong_password_is_refused_without_showing_it(pg_database: str, login_role: str) -> None:
    """The server refuses the login; neither the typed nor the right password is shown."""
    wrong = "Wr0ng-" + SECRET
    error = _connect_error(_tcp(pg_database, login_role, wrong))
    assert isinstance(error, DatabaseLoginFailed)
    assert wrong not in error.message
    assert SECRET not in error.message
    assert login_role in error.message


def test_a_password_that_is_a_word_of_the_message_neither_garbles_nor_misnames_it(
    pg_database: str, login_role: str
) -> None:
    """A password "on" made "Connection refused" read "C***necti*** refused" (and showed
    where its letters were); a password "failed" hid the words the login refusal is
    known by, so it was called unreachable."""
    closed = _connect_error("postgresql://x:on@127.0.0.1:1/sales?connect_timeout=3")
    assert "Connection refused" in closed.message
    assert "***" not in closed.message.replace("x:***@", "")
    refused = _connect_error(_tcp(pg_database, login_role, "failed"))
    assert isinstance(refused, DatabaseLoginFailed)
    assert "failed@" not in refused.message
    assert ":failed" not in refused.message
    assert scrub("bad: postgresql://u:failed@h/db", ["failed"]) == "bad: postgresql://u:***@h/db"


def test_a_server_that_is_not_there_is_unreachable() -> None:
    """Nothing listens on the port: the server cannot be reached (no wait for ever)."""
    error = _connect_error(f"postgresql://x:{SECRET}@127.0.0.1:1/sales?connect_timeout=3")
    assert isinstance(error, DatabaseUnreachable)
    assert SECRET not in error.message


def test_a_read_only_role_is_told_it_may_not_change(
    pg_server: str, pg_database: str, login_role: str
) -> None:
    """A role without write rights that tries to write gets one sentence, exit 4."""
    from salespipe.storage.postgres.connection import connect, translated

    target = _tcp(pg_database, login_role, SECRET)
    pg_admin(pg_database, f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {login_role}")
    connection = connect(target)
    with pytest.raises(DatabaseReadOnly) as caught, translated(target):
        connection.execute("CREATE TABLE t (x int)")
    connection.close()
    assert caught.value.exit_code == EXIT_DATA_FILE
    assert SECRET not in caught.value.message


def test_a_lost_connection_says_nothing_was_saved(pg_server: str, pg_database: str) -> None:
    """The server ends the session mid-command: a clear sentence, not a traceback."""
    from salespipe.storage.postgres.connection import connect, translated

    connection = connect(pg_database)
    pid = connection.info.backend_pid
    pg_admin(pg_server, "SELECT pg_terminate_backend(%s)", pid)
    with pytest.raises(DatabaseUnreachable) as caught, translated(pg_database):
        connection.execute("SELECT 1")
    connection.close()
    assert "lost" in caught.value.message


class _Committing:
    """A connection whose COMMIT fails with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def commit(self) -> None:
        raise self.error


def test_only_a_connection_lost_at_commit_leaves_the_outcome_unknown() -> None:
    """Lost at COMMIT (the driver's words, or the server ending the session), the
    change may have been saved: say so, and how to look; refused by the server at
    COMMIT (a serialization failure), it was not, and the error says what it was."""
    import psycopg
    from psycopg import errors as pg_errors

    from salespipe.core.errors import CommitOutcomeUnknown
    from salespipe.storage.postgres.connection import commit

    target = f"postgresql://x:{SECRET}@db.example/sales"
    lost = psycopg.OperationalError("consuming input failed: server closed the connection")
    for error in (lost, pg_errors.AdminShutdown("terminating connection")):
        with pytest.raises(CommitOutcomeUnknown) as caught:
            commit(_Committing(error), target)  # type: ignore[arg-type]
        assert caught.value.exit_code == EXIT_DATA_FILE
        assert "may have been saved or not; `salespipe log` shows" in caught.value.message
        assert SECRET not in caught.value.message
    refused = pg_errors.SerializationFailure("could not serialize access")
    with pytest.raises(StoreError) as caught_refused:
        commit(_Committing(refused), target)  # type: ignore[arg-type]
    assert not isinstance(caught_refused.value, CommitOutcomeUnknown)


def test_without_the_driver_a_postgres_target_says_how_to_install_it() -> None:
    """No psycopg installed: one sentence with the pip command, exit 4; files still work."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if it were not installed\n"
        "sys.argv = ['salespipe', '--db', 'postgresql:///sales', 'list']\n"
        "from salespipe.cli.app import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "pip install 'salespipe[postgres]'" in result.stderr


def test_a_key_value_connection_string_is_refused_not_made_a_file(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "host=… password=…" was taken for a path: files named after the password, and the
    deal kept on this machine. Now one sentence, exit 4, the password hidden, no file."""
    monkeypatch.chdir(tmp_path)
    target = f"host=127.0.0.1 user=alice password={SECRET} dbname=sales"
    for args in (("add", "ERP"), ("list",)):
        refused = cli("--db", target, *args)
        assert refused.exit_code == 4
        assert "is written as key=value settings" in refused.stderr
        assert "postgresql://USER@HOST/DATABASE" in refused.stderr
        assert SECRET not in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_scheme_in_capitals_reaches_the_server(cli: Any, pg_database: str) -> None:
    """A scheme is read without regard to case ("POSTGRESQL://" is a server); libpq
    refused it with 'missing "=" after …'."""
    scheme, rest = pg_database.split("://", 1)
    shouted = f"{scheme.upper()}://{rest}"
    made = cli("--db", shouted, "add", "ERP")
    assert made.exit_code == 0, made.stderr
    assert [d["title"] for d in cli.json("--db", pg_database, "list")] == ["ERP"]


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("sslmode=bogus", 'invalid sslmode value: "bogus"'),
        ("color=red", 'invalid URI query parameter: "color"'),
        ("port=abc", 'invalid integer value "abc" for connection option "port"'),
    ],
)
def test_a_setting_the_driver_refuses_is_named_not_called_unreachable(
    cli: Any, query: str, said: str
) -> None:
    """A bad ?key=value of the address is a mistake in the address: a bad sslmode was
    said to be a server that "cannot be reached", an unknown key a database that "failed"."""
    refused = cli("--db", f"postgresql://alice:{SECRET}@127.0.0.1/sales?{query}", "list")
    assert refused.exit_code == 4
    assert "has a setting the driver does not accept" in refused.stderr
    assert said in refused.stderr
    assert "cannot be reached" not in refused.stderr
    assert SECRET not in refused.stderr


def test_an_address_libpq_cannot_parse_is_named_as_the_address(cli: Any) -> None:
    refused = cli("--db", "postgresql://[bad", "list", "--json")
    assert refused.exit_code == 4
    assert json.loads(refused.stdout)["error"]["code"] == "database_address_invalid"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  the database '
            "system is shutting down",
            "is not taking connections right now (FATAL: the database system is shutting "
            "down); try again in a moment.",
        ),
        (
            'connection to server at "127.0.0.1", port 5432 failed: server does not support '
            "SSL, but SSL was required",
            "could not make the secure connection asked for (server does not support SSL, "
            "but SSL was required); check sslmode and sslrootcert",
        ),
        (
            'connection to server at "db.example", port 5432 failed: root certificate file '
            '"/nowhere/root.crt" does not exist',
            "could not make the secure connection asked for",
        ),
        (
            'connection to server at "127.0.0.1", port 1 failed: Connection refused',
            "cannot be reached (Connection refused); is it running, and are the host and "
            "port right?",
        ),
        (  # names SSL, but it is the server's list of who may sign in from where
            'connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf '
            'entry for host "10.0.0.9", user "bob", database "sales", SSL encryption',
            "refused the login to",
        ),
        # A team trial: the login refused named no user, and peer authentication sent the
        # rep to a password file that cannot help over the socket.
        (
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
            'authentication failed for user "team_alice"',
            "refused the login to postgresql://alice:***@127.0.0.1/sales (FATAL: password "
            'authentication failed for user "team_alice"); check the user, the password',
        ),
        (
            'connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: FATAL:  '
            'Peer authentication failed for user "team_alice"',
            "over its local socket it takes only the role of your system user's name",
        ),
        (  # reached: the server refused a setting of the address
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  unrecognized '
            'configuration parameter "foo"',
            'refused the connection (FATAL: unrecognized configuration parameter "foo"); '
            "check the address's ?key=value settings",
        ),
        # Not the address's settings (a review): the server's other refusals as they are.
        (  # (a role's CONNECTION LIMIT 0 says so too: no "try again", a review)
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  too many '
            'connections for role "rev2_limited"',
            'refused the connection (FATAL: too many connections for role "rev2_limited").',
        ),
        (  # reached, and refused: not "cannot be reached … is it running?" (a review)
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  permission '
            'denied to set parameter "log_statement"',
            'refused the connection (FATAL: permission denied to set parameter "log_statement").',
        ),
        (
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "bob" is '
            "not permitted to log in",
            'refused the login to postgresql://alice:***@127.0.0.1/sales (FATAL: role "bob" '
            "is not permitted to log in)",
        ),
        (
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  permission '
            'denied for database "sales"',
            "refused the login to",
        ),
    ],
)
def test_a_connection_not_made_says_what_to_look_at(said: str, expected: str) -> None:
    """A server shutting down, an SSL mode it cannot meet and a missing root
    certificate were all "cannot be reached …; is it running, and are the host and port
    right?", which sends a user to the wrong place."""
    import psycopg

    from salespipe.storage.postgres.connection import database_error

    target = f"postgresql://alice:{SECRET}@127.0.0.1/sales"
    error = database_error(psycopg.OperationalError(f"connection failed: {said}"), target)
    assert expected in error.message
    assert error.exit_code == EXIT_DATA_FILE


def test_a_service_no_file_defines_is_named_as_the_address(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq's "definition of service … not found" was said to be a server that
    "cannot be reached"."""
    services = tmp_path / "pg_service.conf"
    services.write_text("[sales]\nhost=127.0.0.1\n", encoding="utf-8")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    refused = cli("--db", "postgresql:///?service=nosuch", "list", "--json")
    assert refused.exit_code == 4
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "database_address_invalid"
    assert (
        'names a service no service file defines (definition of service "nosuch" not'
        in (error["message"])
    )
    assert "cannot be reached" not in refused.stderr


@pytest.mark.parametrize(
    "typed",
    [
        f"postgresl://alice:{SECRET}@127.0.0.1/team_sales",
        f"postgresql+psycopg://alice:{SECRET}@127.0.0.1/team_sales",
        "https://crm.example/sales",
        f"\tpostgresl://alice:{SECRET}@127.0.0.1/team_sales",  # (pasted, a review)
        # Its slashes mistyped (a docs trial)
        f"postgresql:/alice:{SECRET}@127.0.0.1/team_sales",
        f"postgresql:alice:{SECRET}@127.0.0.1/team_sales",
        f"postgresql//alice:{SECRET}@127.0.0.1/team_sales",
        f"postgresql:/alice:zz {SECRET}@127.0.0.1/team_sales",  # (a space in it: a review)
        f"postgresql:/alice:zz@{SECRET}@127.0.0.1/team_sales",
        f"postgresql:/127.0.0.1/team_sales?pass%77ord={SECRET}",
    ],
)
def test_an_address_of_another_scheme_is_refused_not_made_a_file(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    """A mistyped scheme was taken for a data file's path: `init` and `add` made a private
    file in folders named after the password and said so, and the rep's deal never
    reached the team's server (a team trial)."""
    monkeypatch.chdir(tmp_path)
    for args in (("init",), ("add", "Typo target"), ("list",)):
        refused = cli("--db", typed, *args)
        assert refused.exit_code == EXIT_DATA_FILE, refused.stderr
        assert "is neither a PostgreSQL address nor a data file" in refused.stderr
        assert SECRET not in refused.stderr + refused.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["postgres:/x.json", "postgres//pipeline.json"])
def test_a_folder_named_like_a_scheme_is_still_a_folder(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """A path under a folder named "postgres:" or "postgres" holds no user and host: it
    is a data file, as it was before mistyped addresses were refused (a review)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / path.split("/")[0]).mkdir()
    added = cli("--db", path, "add", "Kept")
    assert added.exit_code == 0, added.stderr
    assert [d["title"] for d in cli.json("--db", path, "list")] == ["Kept"]


@pytest.mark.parametrize("mark", ["@", "/"])
def test_a_password_with_a_mark_not_encoded_is_refused_before_it_is_sent(
    cli: Any, mark: str
) -> None:
    """libpq reads what follows an "@" in a password as the host, and a "/" as the end of
    the port, and its error showed the rest of the password ("failed to resolve host
    '2026@127.0.0.1'": a team trial; "/", a review). ("?" and "#" it reads as written.)"""
    refused = cli("--db", f"postgresql://alice:Winter{mark}Zz2026@127.0.0.1/team_sales", "list")
    assert refused.exit_code == EXIT_DATA_FILE
    assert 'holds "@" or "/"; write them as %40 and %2F' in refused.stderr
    assert "Winter" not in refused.stderr
    assert "Zz2026" not in refused.stderr
    assert (
        json.loads(cli("--db", f"postgresql://a:b{mark}c@h/d", "list", "--json").stdout)["error"][
            "code"
        ]
        == "database_address_invalid"
    )


@pytest.mark.parametrize("wrapped", [" {uri}", '"{uri}"', "'{uri} '"])
def test_an_address_pasted_with_spaces_or_quotes_is_read_as_the_address(
    cli: Any, pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrapped: str
) -> None:
    """ " postgresql://…" (a paste) or quotes a .env file kept were taken for a data file's
    path: the deal went into a folder named after the password (a review)."""
    monkeypatch.chdir(tmp_path)
    added = cli("--db", wrapped.format(uri=pg_database), "add", "To the server")
    assert added.exit_code == 0, added.stderr
    assert list(tmp_path.iterdir()) == []
    assert [d["title"] for d in cli.json("--db", pg_database, "list")] == ["To the server"]


@pytest.mark.parametrize(
    ("typed", "given"),
    [
        (f"postgresql://alice:{SECRET}@db/sales", "postgresql://alice@db/sales"),
        (
            f"postgresql://a@db/sales?password={SECRET}&sslmode=require",
            "postgresql://a@db/sales?sslmode=require",
        ),
        ("postgresql:///sales", "postgresql:///sales"),
    ],
)
def test_a_hook_is_given_the_address_without_its_password(typed: str, given: str) -> None:
    """Hooks were given the shown address, postgresql://alice:***@…, and a salespipe a
    hook ran sent *** as the password, whatever PGPASSFILE held (a team trial)."""
    from salespipe.cli.app import hook_database

    assert hook_database(typed) == given
