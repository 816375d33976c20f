"""Parse ``[queue] url`` values and show them without their password.

``sqlite:///relative/path.db`` and ``sqlite:////absolute/path.db`` name a SQLite file;
``postgresql://user:password@host:port/database`` (or ``postgres://``) a PostgreSQL
database, with an optional ``schema=NAME`` query parameter that pinbridge strips from the
connection string and uses as the tables' schema (created when missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pinbridge.errors import ConfigError

__all__ = ["PostgresTarget", "postgres_target", "redact_url", "sqlite_path"]

_SQLITE_PREFIX = "sqlite:///"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SECRET_PARAMS = frozenset({"password", "passfile", "sslpassword"})


@dataclass(frozen=True, slots=True)
class PostgresTarget:
    """Where a PostgreSQL queue lives. ``display`` is the URL without any password."""

    conninfo: str
    schema: str | None
    display: str


def redact_url(url: str) -> str:
    """The URL with any password (in the user part or the query) replaced by ``***``;
    other URLs come back unchanged."""
    try:
        parts = urlsplit(url)
        user, at, host = parts.netloc.rpartition("@")
        query = parse_qsl(parts.query, keep_blank_values=True)
        secret_query = any(key.lower() in _SECRET_PARAMS for key, _ in query)
        if ":" not in user and not secret_query:
            return url
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        shown = [(key, "***" if key.lower() in _SECRET_PARAMS else value) for key, value in query]
        netloc = f"{user}{at}{host}"
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(shown, safe="*")))
    except ValueError:
        return re.sub(r":[^:@/]*@", ":***@", url.split("?", 1)[0])


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///`` URL (three slashes: relative, four: absolute)."""
    path = url[len(_SQLITE_PREFIX) :] if url.startswith(_SQLITE_PREFIX) else ""
    if not path or path.endswith("/"):
        raise ConfigError(
            f"[queue] url {url!r} does not name a file; write sqlite:///pinbridge.db "
            "(relative to the working directory) or sqlite:////var/lib/pinbridge/queue.db"
        )
    if path == ":memory:" or path.startswith("file:"):
        raise ConfigError(
            f"[queue] url {url!r}: the queue must be a file on disk to be durable; "
            "write sqlite:///pinbridge.db or another file path"
        )
    return path


def postgres_target(url: str) -> PostgresTarget:
    """Split a PostgreSQL URL into the libpq connection string and pinbridge's schema."""
    display = redact_url(url)
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as exc:
        raise ConfigError(f"[queue] url {display} is not a valid URL: {exc}") from None
    schemas = [value for key, value in query if key == "schema"]
    kept = [(key, value) for key, value in query if key != "schema"]
    schema = schemas[-1] if schemas else None
    if schema is not None and not _SCHEMA_NAME.match(schema):
        raise ConfigError(
            f"[queue] url {display}: schema={schema!r} must be lower-case letters, digits "
            "and underscores, starting with a letter or underscore (at most 63 characters)"
        )
    conninfo = urlunsplit(parts._replace(query=urlencode(kept)))
    return PostgresTarget(conninfo=conninfo, schema=schema, display=display)
