"""The team of a pipeline on PostgreSQL: three group roles and what each may do.

Users are the server's own login roles (how they authenticate is the server's
business). The team is three group roles of this pipeline, one per TEAM_ROLES, named
after the database (and schema), made anew for this pipeline (never a role that
exists already) and recorded in ``salespipe_team``:

- ``rep`` reads everything, or with ``config set visibility own`` only the deals it owns
  (the row-level security policies of the m002 migration); adds and changes deals and
  moves the counters on, nothing else of the pipeline row;
- ``manager`` as a rep, but always sees every deal;
- ``admin`` owns the tables: changes stages and settings, migrates the schema, and may
  put others on the team.

The first ``team add`` makes the group roles (it needs CREATEROLE) and hands the tables
to the admin group (it needs to own them): the owner of the pipeline or a superuser.
Every ``team add`` grants the privileges again, so tables a later migration adds are
covered. See docs/team.md.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import errors as pg_errors
from psycopg import sql

from salespipe.core.errors import InvalidValue, NotAllowed, NotPermitted
from salespipe.core.i18n import _
from salespipe.storage.port import TEAM_ROLES, TeamMember
from salespipe.storage.postgres.schema import KEEPER_GRANTS, Cursor

# The migration that made the team's table and policies.
MIGRATION = "m002_team_visibility"

# PostgreSQL cuts identifiers at 63 bytes; a longer group name is shortened with a hash.
MAX_NAME = 63

# What a rep or a manager may write: deals, events, the undo list, and of the pipeline
# row its bookkeeping (flags and counters), never its settings or stages.
_WRITER_GRANTS = (
    "GRANT UPDATE (flags, next_deal_id, next_seq, next_change) ON salespipe_pipeline TO {g}",
    "GRANT INSERT, UPDATE ON salespipe_deals TO {g}",
    "GRANT INSERT ON salespipe_events, salespipe_stages_used TO {g}",
    "GRANT INSERT, DELETE ON salespipe_undo TO {g}",
)


def members(cursor: Cursor) -> list[TeamMember]:
    """Every user granted one of the team's group roles directly."""
    cursor.execute(
        "SELECT m.rolname, t.kind FROM salespipe_team t"
        " JOIN pg_roles g ON g.rolname = t.role"
        " JOIN pg_auth_members a ON a.roleid = g.oid"
        " JOIN pg_roles m ON m.oid = a.member"
        " WHERE m.rolname NOT IN (SELECT role FROM salespipe_team)"
        " ORDER BY m.rolname, array_position(%s::text[], t.kind)",
        (list(TEAM_ROLES),),
    )
    return [TeamMember(str(user), str(kind)) for user, kind in cursor.fetchall()]


def open_deals_of_no_member(cursor: Cursor, leaving: str | None = None) -> dict[str, int]:
    """The open deals whose owner is on no one of the team (``leaving`` counted as off
    it), counted by owner (those the reader may see: all of them for a manager or an
    admin)."""
    cursor.execute(
        "SELECT owner, count(*) FROM salespipe_deals"
        " WHERE status = 'open' AND NOT deleted AND owner <> ALL(%s::text[])"
        " GROUP BY owner ORDER BY count(*) DESC, owner",
        ([m.user for m in members(cursor) if m.user != leaving],),
    )
    return {str(owner): int(count) for owner, count in cursor.fetchall()}


def join(
    cursor: Cursor,
    user: str,
    role: str,
    *,
    create_login: bool,
    where: str,
    last: list[sql.Composed],
) -> tuple[str, ...]:
    """Put ``user`` on the team as ``role`` (one of TEAM_ROLES), the team's roles made
    first if need be; the roles it had before (none: it was not on the team). A role
    the user running this gives up is revoked by ``last`` (see :func:`_revoke`)."""
    made = _team_made(cursor)
    with _permitted(where, first=not made):
        if made:
            _require_an_admin(cursor, where)
        had = tuple(m.role for m in members(cursor) if m.user == user) if made else ()
        groups = _groups(cursor)
        if user in groups.values():
            raise InvalidValue(
                _("{user} is one of the team's own group roles, not a user.").format(user=user)
            )
        if not _exists(cursor, user):
            spelled = _spelled_otherwise(cursor, user)
            if spelled is not None:  # createuser would make a second login for one person
                raise NotAllowed(
                    _(
                        'The database server has no role "{user}", but has "{spelled}" '
                        "(role names are exact); nothing was changed."
                    ).format(user=user, spelled=spelled)
                )
            if not create_login:
                raise NotAllowed(
                    _(
                        'The database server has no role "{user}"; create it first '
                        "(createuser {user}) or add --create-login."
                    ).format(user=user)
                )
            _create_login(cursor, user)
        if role != "admin":
            _keep_an_admin(cursor, user, where)
        # Granted before the old role is taken: an admin who steps down grants the new
        # role with the admin's rights.
        cursor.execute(
            sql.SQL("GRANT {} TO {}" + (" WITH ADMIN OPTION" if role == "admin" else "")).format(
                sql.Identifier(groups[role]), sql.Identifier(user)
            )
        )
        for kind, group in groups.items():
            if kind != role and _is_member(cursor, user, group):
                _revoke(cursor, group, user, last)
    return had


def leave(cursor: Cursor, user: str, *, where: str, last: list[sql.Composed]) -> str:
    """Take ``user`` off the team; the role it had. Its login role stays. A user who
    leaves the team themself is revoked by ``last`` (see :func:`_revoke`)."""
    with _permitted(where):
        if _team_made(cursor):  # (with no team yet, nobody is on it: said below)
            _require_an_admin(cursor, where)
        had = [m.role for m in members(cursor) if m.user == user]
        if not had:
            raise NotAllowed(
                _("{user} is not on the team of {where}; `salespipe team list` shows it.").format(
                    user=user, where=where
                )
            )
        _keep_an_admin(cursor, user, where)
        groups = _groups(cursor)
        for kind in had:
            _revoke(cursor, groups[kind], user, last)
    return had[0]


def _require_an_admin(cursor: Cursor, where: str) -> None:
    """Refuse a change of the team by anyone but its admins (and a superuser). The server
    alone would let a role with CREATEROLE grant itself the admin group again after it
    was made a rep: CREATEROLE may grant any role that is not a superuser's."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM salespipe_team t JOIN pg_roles g ON g.rolname = t.role"
        " WHERE t.kind = 'admin' AND pg_has_role(current_user, g.oid, 'MEMBER'))"
        " OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    )
    row = cursor.fetchone()
    if not (row and row[0]):
        raise not_permitted(where, first=False)


def _keep_an_admin(cursor: Cursor, user: str, where: str) -> None:
    """Refuse to take the team's last admin off the admin role: nobody but a superuser
    could change the team (or the stages and settings) again."""
    admins = [m.user for m in members(cursor) if m.role == "admin"]
    if admins == [user]:
        raise NotAllowed(
            _(
                "{user} is the last admin of the team of {where}; make someone else an admin "
                "first (salespipe team add USER --role admin), or nobody could change the "
                "team; nothing was changed."
            ).format(user=user, where=where)
        )


def _team_made(cursor: Cursor) -> bool:
    """Whether the team has been made (as far as this role may see)."""
    # Two statements: the server checks the privileges of every table a statement names.
    cursor.execute("SELECT has_table_privilege('salespipe_team', 'SELECT')")
    row = cursor.fetchone()
    if not (row and row[0]):
        return False
    cursor.execute("SELECT EXISTS (SELECT FROM salespipe_team)")
    row = cursor.fetchone()
    return bool(row and row[0])


@contextmanager
def _permitted(where: str, *, first: bool = False) -> Iterator[None]:
    """A block that changes roles or grants: the server refusing it is said in one
    sentence (:func:`not_permitted`)."""
    try:
        yield
    except pg_errors.InsufficientPrivilege:
        raise not_permitted(where, first=first) from None


def not_on_the_team(where: str) -> NotPermitted:
    """A role the server refuses to let read the pipeline: not (or no longer) a member."""
    return NotPermitted(
        _(
            "The database role may not read the pipeline at {where}: it is not on "
            "its team (an admin adds it with `salespipe team add`)."
        ).format(where=where)
    )


def not_permitted(where: str, *, first: bool) -> NotPermitted:
    """Who may change the team; before the ``first`` team add, who may make it."""
    if not first:
        return NotPermitted(
            _(
                "Only an admin of the team may change the team of {where}; nothing was changed."
            ).format(where=where)
        )
    return NotPermitted(
        _(
            "Only an admin of the team may change the team of {where} (the first "
            "`team add` needs the tables' owner with CREATEROLE, who may grant CREATE "
            "on their schema, or a superuser); nothing was changed."
        ).format(where=where)
    )


def _groups(cursor: Cursor) -> dict[str, str]:
    """The team's group roles by kind, made, recorded and granted their privileges.

    The roles its ``salespipe_team`` records are the team's, whatever their names (a
    team made before keeps its own). A kind not recorded yet gets a role made now,
    under a name no role of the server has: a role that exists but that this table
    does not record is another pipeline's (a database and schema whose names join to
    the same, a database of the same name dropped before), and adopting it would put
    that pipeline's members on this team."""
    cursor.execute("SELECT kind, role FROM salespipe_team")
    groups = {str(kind): str(role) for kind, role in cursor.fetchall()}
    missing = [kind for kind in TEAM_ROLES if kind not in groups]
    if missing:
        base = _free_base(cursor, missing)
        for kind in missing:
            group = groups[kind] = f"{base}_{kind}"
            cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
            cursor.execute("INSERT INTO salespipe_team (kind, role) VALUES (%s, %s)", (kind, group))
    for group in groups.values():
        if not _exists(cursor, group):  # recorded as this team's, dropped by hand since
            cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
    _grant(cursor, groups)
    return groups


def _free_base(cursor: Cursor, kinds: list[str]) -> str:
    """``salespipe_<database>`` (``_<schema>`` unless public), then ``_2``, ``_3``…:
    the first whose roles of ``kinds`` the server does not have yet."""
    cursor.execute("SELECT current_database(), current_schema()")
    row = cursor.fetchone()
    assert row is not None
    database, schema = str(row[0]), str(row[1])
    name = "_".join(["salespipe", database] + ([] if schema == "public" else [schema]))
    for number in itertools.count(1):
        base = _fitted(name, "" if number == 1 else f"_{number}")
        if not any(_exists(cursor, f"{base}_{kind}") for kind in kinds):
            return base
    raise AssertionError("unreachable")


def _fitted(name: str, tail: str) -> str:
    """``name`` + ``tail``, ``name`` shortened with a hash so that its longest group
    name fits PostgreSQL's 63 bytes."""
    longest = MAX_NAME - len("_manager") - len(tail)
    if len(name.encode()) <= longest:
        return name + tail
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return name.encode()[: longest - 11].decode(errors="ignore") + "_" + digest + tail


def _grant(cursor: Cursor, groups: dict[str, str]) -> None:
    """Give each group what it may do, and the tables to the admin group."""
    admin, schema = sql.Identifier(groups["admin"]), sql.Identifier(_schema(cursor))
    cursor.execute(
        "SELECT has_schema_privilege(%s, current_schema(), 'CREATE')", (groups["admin"],)
    )
    creates = cursor.fetchone()
    if not (creates and creates[0]):
        # The tables' new owner must be allowed to create in their schema (as must
        # whoever runs a later migration): granted by the schema's owner, as the
        # database's owner is of `public` (PostgreSQL 15 lets nobody else create there).
        cursor.execute(sql.SQL("GRANT CREATE ON SCHEMA {} TO {}").format(schema, admin))
    _own_by(cursor, groups["admin"])
    for kind in ("rep", "manager"):
        group = sql.Identifier(groups[kind])
        cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, group))
        cursor.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, group)
        )
        cursor.execute(
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, group)
        )
        for statement in (*_WRITER_GRANTS, *KEEPER_GRANTS):
            cursor.execute(sql.SQL(statement).format(g=group))
        # An admin may put others on the team as rep or manager.
        cursor.execute(sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(group, admin))
    cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, admin))


def _own_by(cursor: Cursor, admin: str) -> None:
    """Hand the pipeline's tables, free-standing sequences and functions to ``admin``
    (whoever does it becomes an admin first, as the server requires)."""
    cursor.execute(
        "SELECT c.relname, c.relkind = 'S' FROM pg_class c"
        " WHERE c.relnamespace = current_schema()::regnamespace"
        "  AND c.relkind IN ('r', 'p', 'S') AND c.relname LIKE 'salespipe%%'"
        "  AND pg_get_userbyid(c.relowner) <> %s"
        "  AND NOT EXISTS (SELECT 1 FROM pg_depend d"
        "   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
        "    AND d.deptype IN ('a', 'i'))",
        (admin,),
    )
    relations = cursor.fetchall()
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " WHERE p.pronamespace = current_schema()::regnamespace"
        "  AND p.proname LIKE 'salespipe%%' AND pg_get_userbyid(p.proowner) <> %s",
        (admin,),
    )
    functions = [str(signature) for (signature,) in cursor.fetchall()]
    if not relations and not functions:
        return
    cursor.execute("SELECT current_user")
    me = cursor.fetchone()
    assert me is not None
    if not _is_member(cursor, str(me[0]), admin):
        cursor.execute(
            sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(
                sql.Identifier(admin), sql.Identifier(str(me[0]))
            )
        )
    owner = sql.Identifier(admin)
    for name, is_sequence in relations:
        kind = "SEQUENCE" if is_sequence else "TABLE"
        cursor.execute(
            sql.SQL("ALTER " + kind + " {} OWNER TO {}").format(sql.Identifier(name), owner)
        )
    for signature in functions:
        cursor.execute(sql.SQL("ALTER FUNCTION " + signature + " OWNER TO {}").format(owner))


def _schema(cursor: Cursor) -> str:
    cursor.execute("SELECT current_schema()")
    row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _exists(cursor: Cursor, role: str) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", (role,))
    row = cursor.fetchone()
    return bool(row and row[0])


def _spelled_otherwise(cursor: Cursor, user: str) -> str | None:
    """A login role whose name differs from ``user`` only in case, if there is one."""
    cursor.execute(
        "SELECT rolname FROM pg_roles WHERE rolcanlogin AND lower(rolname) = lower(%s)"
        " ORDER BY rolname LIMIT 1",
        (user,),
    )
    row = cursor.fetchone()
    return str(row[0]) if row else None


def _is_member(cursor: Cursor, user: str, group: str) -> bool:
    """Whether ``user`` is granted ``group`` directly."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_auth_members a"
        " JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member"
        " WHERE g.rolname = %s AND m.rolname = %s)",
        (group, user),
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _create_login(cursor: Cursor, user: str) -> None:
    cursor.execute("SAVEPOINT salespipe_login")
    try:
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(user)))
    except pg_errors.InsufficientPrivilege:
        raise NotPermitted(
            _(
                "Creating the login {user} needs a database role with CREATEROLE; ask the "
                "server's admin (createuser {user}), then add it; nothing was changed."
            ).format(user=user)
        ) from None
    cursor.execute("RELEASE SAVEPOINT salespipe_login")


def _revoke(cursor: Cursor, group: str, user: str, last: list[sql.Composed]) -> None:
    """Take ``group`` from ``user``; from the user running the change, only once the
    change has written everything else (added to ``last``): its event and the pipeline's
    counters need the rights it gives up (an admin who left the team was told they may
    only read, and stayed)."""
    revoke = sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), sql.Identifier(user))
    cursor.execute("SELECT current_user")
    row = cursor.fetchone()
    if row is not None and row[0] == user:
        last.append(revoke)
    else:
        cursor.execute(revoke)
