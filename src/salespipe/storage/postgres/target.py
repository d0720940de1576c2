"""PostgreSQL targets as the user names them, and how to show one without its password.

A target is a libpq connection URI (``postgresql://…`` or ``postgres://…``). Everything
in it (host, port, ``sslmode``, ``service``, ``passfile``…) and the libpq environment
(``PGPASSFILE``, ``PGSERVICEFILE``, ``PGHOST``…) is left to libpq: salespipe never parses
a target to connect, only to recognise it and to redact it in messages.
"""

from __future__ import annotations

import re

SCHEMES = ("postgresql://", "postgres://")

# user:password@ in the authority of a URI; up to the last "@", as a password typed
# without percent-encoding may hold "/", "#" or "?" (hiding too much is the safe side)
USERINFO_PASSWORD = re.compile(r"(?P<head>^[a-z]+://[^:/?#@]*):(?P<password>.*)@", re.IGNORECASE)
# password=… among the query parameters of a URI, or in a key=value connection string
_PASSWORD_PARAMETER = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^&\s]*)")

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


def redact(target: str) -> str:
    """``target`` with every password replaced by ``***``: what messages may show."""
    shown = USERINFO_PASSWORD.sub(lambda m: f"{m['head']}:{HIDDEN}@", target, count=1)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m['head']}{HIDDEN}", shown)


# user:password@ of a URI anywhere in a message
_USERINFO_IN_TEXT = re.compile(r"(?P<head>\b[a-z]+://[^:/?#@\s]*):[^@\s]*@", re.IGNORECASE)


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` (a driver's message) with each secret where it stands as a word of its
    own, and any password it spells out in a connection string, replaced by ``***``.

    Within a word a secret is left: a password "on" would otherwise make "Connection
    refused" read "C***necti*** refused", and tell where the password's letters are."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", HIDDEN, text)
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m['head']}:{HIDDEN}@", text)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m['head']}{HIDDEN}", text)
