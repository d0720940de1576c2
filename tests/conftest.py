"""Shared fixtures: every test gets its own data file, config dir and fixed clock."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner

from salespipe.app.pipeline import Pipeline
from salespipe.cli.app import app

NOW = "2026-11-27T10:00:00+07:00"


def _built_once(get_command: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Typer's CliRunner builds the click command of the app for every call (60 ms of
    signatures read, nearly all the time of a command on a small data file); a process
    running salespipe builds it once. Built once per app and set of commands here too:
    click makes a new context for every call and keeps nothing of one in the command."""
    built: dict[tuple[int, ...], tuple[Any, list[Any], Any]] = {}

    def get(app: Any) -> Any:
        commands = [*app.registered_commands, *app.registered_groups]
        key = (id(app), *map(id, commands))
        if key not in built:  # kept with what its ids are of, so that no id is reused
            built[key] = (app, commands, get_command(app))
        return built[key][2]

    return get


typer.testing._get_command = _built_once(typer.testing._get_command)  # type: ignore[attr-defined]

ROOT = Path(__file__).resolve().parent.parent

_PYCACHE = "_SALESPIPE_TEST_PYCACHE"


def pytest_configure(config: pytest.Config) -> None:
    """With PYTHONDONTWRITEBYTECODE set (as in many containers), every salespipe process
    the tests start compiled salespipe from its source again: half of a short command's
    time. The processes this run starts write and read their bytecode in a folder of the
    run's own instead (PYTHONPYCACHEPREFIX), still none beside the sources; the xdist
    workers inherit it from the process that starts them, which removes it at the end."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return
    import tempfile

    folder = tempfile.mkdtemp(prefix="salespipe-test-pycache-")
    os.environ.pop("PYTHONDONTWRITEBYTECODE")
    os.environ["PYTHONPYCACHEPREFIX"] = os.environ[_PYCACHE] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.get(_PYCACHE)
    if folder and not hasattr(config, "workerinput"):  # the process that made it
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue() -> list[Path]:
    """Compile the message catalogues as a build would, so tests run the current .po."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    hatch_build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hatch_build)
    compiled: list[Path] = hatch_build.compile_catalogues(ROOT)
    return compiled


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    """Each test starts (and leaves) the process in English with CE dates."""
    from salespipe.core import fmt, i18n

    i18n.set_language("en")
    fmt.set_era("ce")
    yield
    i18n.set_language("en")
    fmt.set_era("ce")


@pytest.fixture(scope="session")
def no_hooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty hooks folder (named and missing, a hooks folder is warned of)."""
    return tmp_path_factory.mktemp("no-hooks")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_hooks: Path) -> Path:
    """Point the data file, config dir and clock at the test, never at a real home."""
    db = tmp_path / "data" / "pipeline.json"
    monkeypatch.setenv("SALESPIPE_DB", str(db))
    monkeypatch.setenv("SALESPIPE_CONFIG_DIR", str(tmp_path / "config"))
    # The user data folder (the default data file's, and the copies `copy --replace`
    # keeps): the test's own, never that of whoever runs the suite.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.setenv("SALESPIPE_HOOKS", str(no_hooks))
    monkeypatch.setenv("SALESPIPE_NOW", NOW)
    monkeypatch.setenv("SALESPIPE_USER", "tester")
    monkeypatch.setenv("TZ", "Asia/Bangkok")
    monkeypatch.delenv("SALESPIPE_LANG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    import time

    time.tzset()
    return db


@pytest.fixture
def db_path(isolated: Path) -> Path:
    return isolated


@pytest.fixture
def target(isolated: Path) -> str:
    """The database the test's commands use (SALESPIPE_DB): the data file, or a
    PostgreSQL database under ``each_backend``."""
    return os.environ["SALESPIPE_DB"]


@pytest.fixture
def pipeline(target: str) -> Pipeline:
    return Pipeline.open(target, "en")


@pytest.fixture
def thai_pipeline(target: str) -> Pipeline:
    return Pipeline.open(target, "th")


class Cli:
    """Runs salespipe in-process the way a user would type it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Any:
        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.stderr + result.stdout
        return json.loads(result.stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()


def salespipe_command() -> list[str]:
    """The installed command, as a user and cron run it."""
    found = shutil.which(
        "salespipe", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    return [found] if found else [sys.executable, "-m", "salespipe"]


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed salespipe in a subprocess with no terminal."""

    def call(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*salespipe_command(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL if input is None else None,
            input=input,
        )

    return call


@pytest.fixture
def snapshot_files(db_path: Path) -> Callable[[], dict[str, bytes]]:
    """The bytes of every file of the database, to prove nothing changed."""

    def take() -> dict[str, bytes]:
        folder = db_path.parent
        if not folder.exists():
            return {}
        return {
            p.name: p.read_bytes()
            for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith(".lock")
        }

    return take


def iter_lines(text: str) -> Iterator[str]:
    yield from text.splitlines()


# -- PostgreSQL (docs/team.md) ------------------------------------------------------------
# The server the tests create their databases on; a superuser's URI. `.ci/run` starts a local
# server and sets SALESPIPE_TEST_PG_REQUIRED=1, so there an unreachable server fails the run;
# on a machine without one the PostgreSQL tests are skipped with the reason.
PG_ADMIN_TARGET = os.environ.get("SALESPIPE_TEST_PG", "postgresql:///postgres")


def _postgres_unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None if they can."""
    try:
        import psycopg
    except ImportError:
        return "the PostgreSQL driver is not installed (pip install 'salespipe[postgres]')"
    try:
        with psycopg.connect(PG_ADMIN_TARGET, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server at SALESPIPE_TEST_PG ({first})"
    return None


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URI of a reachable PostgreSQL server to create test databases on."""
    reason = _postgres_unavailable()
    if reason is not None:
        if os.environ.get("SALESPIPE_TEST_PG_REQUIRED") == "1":
            pytest.fail(f"SALESPIPE_TEST_PG_REQUIRED=1 but {reason}")
        pytest.skip(reason)
    return PG_ADMIN_TARGET


def pg_target(server: str, database: str) -> str:
    """The URI of ``database`` on the server of ``server`` (same user, host and options)."""
    import re

    return re.sub(r"^([a-z]+://[^/?]*)(/[^?]*)?", lambda m: f"{m[1]}/{database}", server)


# Connections are opened one at a time by the threads that make and drop the tests'
# databases: a run once ended in a segmentation fault inside libpq's connect while
# three of them connected at once (the statements still run side by side).
_CONNECTING = threading.Lock()


def pg_connect(target: str, **options: Any) -> Any:
    """A connection to ``target`` as psycopg.connect makes it, opened under the lock."""
    import psycopg

    with _CONNECTING:
        return psycopg.connect(target, **options)


def pg_admin(server: str, sql: str, *params: Any) -> None:
    """Run one statement on the server as the tests' superuser, outside a transaction."""
    with pg_connect(server, autocommit=True) as connection:
        connection.execute(sql, params or None)


def release_roles(connection: Any, roles: Iterable[str]) -> None:
    """Hand what ``roles`` own in the connection's database to the tests' superuser and
    drop their grants there, so that the roles themselves can then be dropped."""
    for role in roles:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        if exists.fetchone():
            connection.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            connection.execute(f'DROP OWNED BY "{role}"')


def pg_role(server: str) -> str:
    """The database role the tests connect to ``server`` as."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        row = connection.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])


class PgDatabases:
    """This process's test databases on the server. Each test gets a fresh one, made
    from ``template1`` as ``CREATE DATABASE`` makes any (or from a template of
    :meth:`copy_of`), and dropped after it. Making and dropping wait on the server (a
    drop asks for a checkpoint, a second or more on a busy machine), so threads make the
    next databases while a test runs and drop the used ones after it: a test waits for
    neither. Each database is still made for one test and given to no other."""

    AHEAD = 2  # databases made ahead of need, of each template in use

    def __init__(self, server: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.server = server
        self._spares: dict[str, queue.SimpleQueue[str]] = {}
        self._templates: dict[str, str] = {}
        self._shared: dict[str, str] = {}
        self._failures: list[str] = []
        self._makers = ThreadPoolExecutor(1, thread_name_prefix="pg-make")
        # Side by side: drops that ask for the server's checkpoint together share one,
        # where one after another each waits for its own.
        self._droppers = ThreadPoolExecutor(4, thread_name_prefix="pg-drop")

    def _make(self, name: str, template: str = "template1") -> None:
        pg_admin(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        # A test database need not survive a power cut: commits skip the wait for the disk.
        pg_admin(self.server, f'ALTER DATABASE "{name}" SET synchronous_commit = off')

    def _drop(self, name: str) -> None:
        pg_admin(self.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _make_spare(self, template: str) -> None:
        name = self._name()
        try:
            self._make(name, template)
        except Exception as exc:  # reported when the session ends
            self._failures.append(f"making {name} from {template}: {exc}")
        else:
            self._spares[template].put(name)

    def _drop_later(self, name: str) -> None:
        try:
            self._drop(name)
        except Exception as exc:  # reported when the session ends
            self._failures.append(f"dropping {name}: {exc}")

    @staticmethod
    def _name() -> str:
        from uuid import uuid4

        return f"salespipe_test_{os.getpid()}_{uuid4().hex[:12]}"

    def _take(self, template: str) -> str:
        """A database made from ``template`` for the caller alone; another is made ahead."""
        spares = self._spares.get(template)
        if spares is None:
            spares = self._spares[template] = queue.SimpleQueue()
            for _ in range(self.AHEAD - 1):
                self._makers.submit(self._make_spare, template)
        try:
            name = spares.get_nowait()
        except queue.Empty:
            name = self._name()
            self._make(name, template)
        self._makers.submit(self._make_spare, template)
        return name

    def fresh(self) -> str:
        """The name of a fresh, empty database no test has had."""
        return self._take("template1")

    def copy_of(self, key: str, make: Callable[[str], None]) -> str:
        """The name of a new database holding what ``make(target)`` leaves in a fresh
        one: ``make`` runs once per process, into a template each call copies (the copy
        is the template's files, so its rows, sequences and schema are the same)."""
        template = self._templates.get(key)
        if template is None:
            template = self._name()
            self._make(template)
            try:
                make(pg_target(self.server, template))
                # Copying needs the template to itself: end what ``make`` left connected.
                pg_admin(
                    self.server,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    template,
                )
            except BaseException:
                self._drop(template)
                raise
            self._templates[key] = template
        return self._take(template)

    def shared_copy_of(self, key: str, make: Callable[[str], None]) -> str:
        """The name of this process's one copy of :meth:`copy_of`'s, for the tests
        that only read it: every transaction there is READ ONLY, so none of them can
        change what the next one reads (dropped at the end)."""
        shared = self._shared.get(key)
        if shared is None:
            shared = self.copy_of(key, make)
            pg_admin(
                self.server, f'ALTER DATABASE "{shared}" SET default_transaction_read_only = on'
            )
            self._shared[key] = shared
        return shared

    def dispose(self, name: str) -> None:
        """Drop ``name`` (and end whatever is still connected to it), soon."""
        self._droppers.submit(self._drop_later, name)

    def close(self) -> None:
        """Wait for every drop; drop the spares and the templates; fail on a failure."""
        self._makers.shutdown(wait=True, cancel_futures=True)  # spares nobody will take
        self._droppers.shutdown(wait=True)
        spares = []
        for waiting in self._spares.values():
            while not waiting.empty():
                spares.append(waiting.get_nowait())
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as threads:
            list(threads.map(self._drop, [*spares, *self._shared.values()]))
        with ThreadPoolExecutor(4) as threads:
            list(threads.map(self._drop, self._templates.values()))
        assert not self._failures, "\n".join(self._failures)


_MADE_BY = re.compile(r"salespipe_test_([0-9]+)_[0-9a-f]{12}")


def _orphans(names: Iterable[str]) -> list[str]:
    """The test databases (named by :meth:`PgDatabases._name`) whose process is gone: a
    run killed before its end (a timeout, a crashed worker) could not drop them, and each
    such run left dozens on the machine's server."""
    orphans = []
    for name in names:
        made = _MADE_BY.fullmatch(name)
        if made is None:
            continue
        try:
            os.kill(int(made[1]), 0)
        except ProcessLookupError:
            orphans.append(name)
        except OSError:  # alive, another user's
            continue
    return orphans


def _server_is_this_machine(server: str) -> bool:
    """Whether ``server`` is reached by a local socket or the loopback address, where the
    process ids in its test databases' names are this machine's."""
    from urllib.parse import urlsplit

    host = urlsplit(server).hostname or ""
    return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before the run (in the process that starts the workers), drop the test databases
    of earlier runs on this machine that were killed before they could."""
    if hasattr(session.config, "workerinput") or _postgres_unavailable() is not None:
        return
    if not _server_is_this_machine(PG_ADMIN_TARGET):
        return
    with pg_connect(PG_ADMIN_TARGET, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'salespipe\\_test\\_%'"
        ).fetchall()
    for name in _orphans(str(row[0]) for row in rows):
        pg_admin(PG_ADMIN_TARGET, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _drop_orphan_team_roles()


_TEAM_ROLE_OF = re.compile(r"salespipe_(salespipe_test_[0-9]+_[0-9a-f]{12})_\w+")


def _drop_orphan_team_roles() -> None:
    """The group roles `team add` made in test databases of runs that are gone: roles
    belong to the server, not to a database, so dropping the database left them (six
    teams' roles had piled up here over a day of interrupted runs)."""
    import psycopg

    with pg_connect(PG_ADMIN_TARGET, autocommit=True) as connection:
        roles = [str(r[0]) for r in connection.execute("SELECT rolname FROM pg_roles")]
        databases = {str(r[0]) for r in connection.execute("SELECT datname FROM pg_database")}
    for role in roles:
        made = _TEAM_ROLE_OF.fullmatch(role)
        if made is None or made[1] in databases or not _orphans([made[1]]):
            continue
        with contextlib.suppress(psycopg.Error):  # (still owning something: left alone)
            pg_admin(PG_ADMIN_TARGET, f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture(scope="session")
def pg_databases(pg_server: str) -> Iterator[PgDatabases]:
    databases = PgDatabases(pg_server)
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def pg_empty_database(pg_server: str, pg_databases: PgDatabases) -> Iterator[str]:
    """A fresh, empty database of its own for this test (dropped after it): its URI."""
    name = pg_databases.fresh()
    try:
        yield pg_target(pg_server, name)
    finally:
        pg_databases.dispose(name)


def _schema_made(target: str) -> None:
    """Make salespipe's tables in the database at ``target``, and nothing in them: what
    the first command there does before it makes the pipeline."""

    from salespipe.storage.postgres import schema

    with pg_connect(target) as connection, connection.cursor() as cursor:
        schema.migrate(cursor, target, lambda: None)


@pytest.fixture
def pg_database(pg_server: str, pg_databases: PgDatabases) -> Iterator[str]:
    """A database of its own for this test with salespipe's tables made and empty, as
    the first command leaves them before it makes the pipeline (dropped after it): its
    URI. Making the tables takes most of a short test's time, so they are made once per
    process, in a template each such database is copied from."""
    name = pg_databases.copy_of("schema", _schema_made)
    try:
        yield pg_target(pg_server, name)
    finally:
        pg_databases.dispose(name)


@pytest.fixture
def author(each_backend: str) -> str:
    """Who this test's changes are by: the login name (SALESPIPE_USER) on a data file,
    the database role on PostgreSQL (docs/team.md, "Who did what")."""
    if each_backend.startswith(("postgresql://", "postgres://")):
        return pg_role(each_backend)
    return os.environ["SALESPIPE_USER"]


# A test that looks at the data file's bytes runs on the file only.
FILE_ONLY_FIXTURES = frozenset({"db_path", "snapshot_files"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the PostgreSQL run of a test that inspects the data file itself (it
    asks for one of FILE_ONLY_FIXTURES or is marked ``file_only``)."""
    keep, drop = [], []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        on_postgres = "each_backend" in names and item.get_closest_marker("postgres")
        about_file = names & FILE_ONLY_FIXTURES or item.get_closest_marker("file_only")
        (drop if on_postgres and about_file else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=["file", pytest.param("postgres", marks=pytest.mark.postgres)])
def each_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on a data file and once on a fresh PostgreSQL database: point
    SALESPIPE_DB at it. Test modules opt in with
    ``pytestmark = pytest.mark.usefixtures("each_backend")``."""
    if request.param == "postgres":
        target: str = request.getfixturevalue("pg_database")
        monkeypatch.setenv("SALESPIPE_DB", target)
        return target
    return os.environ["SALESPIPE_DB"]
