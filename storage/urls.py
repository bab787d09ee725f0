"""DATABASE_URL as people write it: SQLite paths, and PostgreSQL URLs as hosting providers give
them (`postgres://`, `?sslmode=require`, `sslrootcert=…`, `connect_timeout=…`).

PostgreSQL URLs go to asyncpg whole: its parser reads libpq's parameters (`sslmode`,
`sslrootcert`, `sslcert`, `sslkey`, `target_session_attrs` …) itself, where SQLAlchemy's
dialect would pass each one on as a keyword asyncpg does not take. `connect_timeout` is the one
libpq parameter asyncpg's parser does not read: it becomes asyncpg's `timeout`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SQLITE_FORMS = "sqlite:///relative/path.db or sqlite:////absolute/path.db"
_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


class BadDatabaseUrl(ValueError):
    """DATABASE_URL cannot work; the message is one line for the operator."""


@dataclass(frozen=True)
class Target:
    """Where the database is, as the engine needs it."""

    url: str  # SQLAlchemy's URL, with the async driver
    sqlite_path: Path | None = None  # the file, for SQLite on disk
    dsn: str | None = None  # PostgreSQL: the URL asyncpg parses, libpq parameters and all
    timeout: float = 60.0  # PostgreSQL: seconds to connect (connect_timeout)


def parse(url: str) -> Target:
    """Return the target of a `sqlite:` or `postgresql:` URL, or raise BadDatabaseUrl."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        return _sqlite(url)
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        return _postgres(url)
    raise BadDatabaseUrl(f"DATABASE_URL must be {SQLITE_FORMS} or postgresql://user@host/db.")


def _sqlite(url: str) -> Target:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadDatabaseUrl(f"DATABASE_URL must be {SQLITE_FORMS}.") from None
    database = parsed.database or ""
    async_url = parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if database in ("", ":memory:"):
        return Target(async_url)
    return Target(async_url, sqlite_path=Path(database))


def _postgres(url: str) -> Target:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    mode = query.get("sslmode")
    if mode is not None and mode not in _SSL_MODES:
        raise BadDatabaseUrl(
            f"DATABASE_URL's sslmode must be one of {', '.join(sorted(_SSL_MODES))}."
        )
    timeout = 60.0
    if "connect_timeout" in query:
        try:
            timeout = float(query.pop("connect_timeout"))
        except ValueError:
            raise BadDatabaseUrl(
                "DATABASE_URL's connect_timeout must be a number of seconds."
            ) from None
    if not parts.hostname and not query.get("host"):
        raise BadDatabaseUrl("DATABASE_URL must name a host: postgresql://user@host/db.")
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), ""))
    return Target("postgresql+asyncpg://", dsn=dsn, timeout=timeout if timeout > 0 else 60.0)


def shown(url: str) -> str:
    """Return the URL safe to print: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
