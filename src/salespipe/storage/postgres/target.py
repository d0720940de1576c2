"""PostgreSQL targets as the user names them, and how to show one without its password.

A target is a libpq connection URI (``postgresql://…`` or ``postgres://…``). Everything
in it (host, port, ``sslmode``, ``service``, ``passfile``…) and the libpq environment
(``PGPASSFILE``, ``PGSERVICEFILE``, ``PGHOST``…) is left to libpq: salespipe never parses
a target to connect, only to recognise it (and refuse an address that is no PostgreSQL
one, or whose password libpq would misread), to redact it in messages, and to give a
hook the address without its password.
"""

from __future__ import annotations

import re

SCHEMES = ("postgresql://", "postgres://")
_SCHEME = r"[a-z][a-z0-9+.\-]*://"  # any address's, as RFC 3986 spells a scheme

# user:password@ in the authority of a URI; up to the last "@", as a password typed
# without percent-encoding may hold "/", "#" or "?" (hiding too much is the safe side)
USERINFO_PASSWORD = re.compile(rf"(?P<head>^{_SCHEME}[^:/?#@]*):(?P<password>.*)@", re.IGNORECASE)
# password=… (or sslpassword=…, the client key's) in a key=value connection string
_PASSWORD_PARAMETER = re.compile(
    r"(?P<head>\b(?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^&\s]*)", re.IGNORECASE
)
# key=value among the query parameters of a URI (a key may be percent-encoded:
# pass%77ord is password to libpq)
_QUERY_PARAMETER = re.compile(r"(?P<head>[?&](?P<key>[^=&]+)=)(?P<value>[^&\s]*)")

HIDDEN = "***"


def is_postgres_target(target: str) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a data file."""
    return target[:13].lower().startswith(SCHEMES)


# A libpq key=value connection string ("host=db dbname=sales user=alice"), which a file
# path very seldom is.
_KEYWORDS = re.compile(
    r"^\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode)\s*=", re.IGNORECASE
)


def is_connection_string(target: str) -> bool:
    """Whether ``target`` is a key=value connection string (not a URI, not a path)."""
    return bool(_KEYWORDS.match(target))


def is_other_address(target: str) -> bool:
    """Whether ``target`` is written as an address of some scheme other than PostgreSQL's
    (``postgresl://``, ``postgresql+psycopg://``, ``https://``), or as PostgreSQL's with
    its slashes mistyped (``postgresql:/…``, ``postgresql:alice@…``, ``postgresql//…``):
    no data file's path."""
    if is_postgres_target(target):
        return False
    return bool(re.match(_SCHEME, target, re.IGNORECASE) or _mistyped_postgres(target))


def _mistyped_postgres(target: str) -> bool:
    """``postgresql:/alice:pw@host/db`` and the like: a user and a host, or settings,
    after a PostgreSQL scheme whose slashes are wrong (a folder named ``postgres:`` holds
    no "@" nor "?" in its path, and stays a path)."""
    return _MISTYPED_POSTGRES.match(target) is not None and ("@" in target or "?" in target)


_MISTYPED_POSTGRES = re.compile(r"postgres(?:ql)?(?::|//)", re.IGNORECASE)


def password_unencoded(target: str) -> bool:
    """Whether the password of a URI holds an "@" or a "/" not percent-encoded: libpq
    reads the first "@" as the start of the host and a "/" as the end of the port, and
    its error then shows the rest of the password ("?" and "#" it reads as written)."""
    found = USERINFO_PASSWORD.match(target)
    return found is not None and any(mark in found["password"] for mark in "@/")


def as_typed(target: str) -> str:
    """``target`` without the spaces and quotes pasting or a .env file leaves around it
    (" postgresql://…", "'postgresql://…'"): an address so wrapped was taken for a data
    file's path, and its password made a folder's name."""
    return target.strip().strip("'\"").strip()


# An address whose slashes were mistyped (postgresql:/…): all from its first ":" to its
# last "@" may be the user and password.
_ANY_USERINFO = re.compile(r"(?P<head>[^:]*:).*@", re.DOTALL)


def redact(target: str) -> str:
    """``target`` with every password replaced by ``***``: what messages may show."""
    mistyped = not is_postgres_target(target) and _mistyped_postgres(target)
    if mistyped:
        target = _ANY_USERINFO.sub(lambda m: f"{m['head']}{HIDDEN}@", target, count=1)
    shown = USERINFO_PASSWORD.sub(lambda m: f"{m['head']}:{HIDDEN}@", target, count=1)
    if "://" in shown or mistyped:
        shown = _QUERY_PARAMETER.sub(_hidden_if_password, shown)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m['head']}{HIDDEN}", shown)


def without_password(target: str) -> str:
    """``target`` with its password left out (not hidden): the address a hook is given,
    with which a salespipe it runs logs in as libpq would without one (PGPASSFILE, a
    service file, peer authentication). A hidden ``***`` there was sent as the password."""
    if not is_postgres_target(target):
        return target
    kept = USERINFO_PASSWORD.sub(lambda m: f"{m['head']}@", target, count=1)
    kept = _QUERY_PARAMETER.sub(
        lambda m: "" if _parameter(m["key"]) == "password" else m.group(0), kept
    )
    if "?" not in kept and "&" in kept:  # (the password was the first parameter)
        kept = kept.replace("&", "?", 1)
    return kept


def database_name(target: str) -> str:
    """The name of the database ``target`` names (its path, else its ``dbname``
    parameter), never its password; "" when it names none (libpq's default then)."""
    from urllib.parse import unquote

    password = USERINFO_PASSWORD.match(target)  # (which may hold "?" or "#")
    rest = target[password.end() :] if password else target.split("://", 1)[-1]
    path, _mark, query = rest.partition("?")
    named = path.split("/", 1)[1] if "/" in path else ""
    for found in _QUERY_PARAMETER.finditer(f"?{query}"):
        if _parameter(found["key"]) == "dbname":
            named = found["value"]
    return unquote(named.split("#", 1)[0])


def _parameter(key: str) -> str:
    """A query parameter's name as libpq reads it (``pass%77ord`` is ``password``)."""
    from urllib.parse import unquote

    return unquote(key).strip().lower()


def _hidden_if_password(found: re.Match[str]) -> str:
    """A query parameter as shown: a password's value (the login's, or the client
    key's ``sslpassword``) hidden."""
    secret = _parameter(found["key"]) in ("password", "sslpassword")
    return f"{found['head']}{HIDDEN}" if secret else found.group(0)


# user:password@ of a URI anywhere in a message
_USERINFO_IN_TEXT = re.compile(rf"(?P<head>\b{_SCHEME}[^:/?#@\s]*):[^@\s]*@", re.IGNORECASE)


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` (a driver's message) with each secret where it stands as a word of its
    own, and any password it spells out in a connection string, replaced by ``***``.

    Within a word a secret is left: a password "on" would otherwise make "Connection
    refused" read "C***necti*** refused", and tell where the password's letters are."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", HIDDEN, text)
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m['head']}:{HIDDEN}@", text)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m['head']}{HIDDEN}", text)
