"""The hot path's statements, sent straight to the driver, inside the session's transaction.

Through SQLAlchemy's async engine every statement is a greenlet round trip, an execution context
and a result object: about 0.15 ms of CPU each, where the INSERT itself takes 20 us on SQLite.
A change writes three to five rows, so that was most of its cost. Here a Core statement is
compiled once per dialect (SQLAlchemy still writes the SQL and converts the values, with the
columns' own types), then sent on the transaction's own driver connection: sqlite3 inline (the
connection runs on the event loop's thread anyway, storage/sqlite.py), asyncpg with its cache of
prepared statements. The statements run in the very transaction the session holds, and their
errors reach callers as SQLAlchemy's, so "the database is not there" still means TryAgain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import ClauseElement
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.connection import connection
from storage.sqlite import InlineConnection

Row = Mapping[str, Any]


@dataclass(frozen=True)
class _Form:
    """A statement as one dialect's driver takes it: positional values, converted."""

    sql: str
    names: tuple[str, ...]
    convert: tuple[Callable[[Any], Any] | None, ...]
    fixed: dict[str, Any]  # the values written into the statement itself (`value=1`)

    def values(self, row: Row) -> tuple[Any, ...]:
        given = {**self.fixed, **row} if self.fixed else row
        found = [given[name] for name in self.names]
        return tuple(
            value if each is None or value is None else each(value)
            for value, each in zip(found, self.convert, strict=True)
        )


class Statement:
    """A Core statement compiled once per dialect; `keys` are an INSERT's columns."""

    def __init__(self, clause: ClauseElement, keys: Sequence[str] | None = None) -> None:
        self._clause, self._keys = clause, list(keys) if keys is not None else None
        self._forms: dict[str, _Form] = {}

    def form(self, dialect: Dialect) -> _Form:
        """Return the statement for `dialect` (compiled at its first use)."""
        found = self._forms.get(dialect.name)
        if found is None:
            compiled: Any = self._clause.compile(dialect=dialect, column_keys=self._keys)
            names = tuple(compiled.positiontup or ())
            binds = [compiled.binds[name] for name in names]
            convert = tuple(bind.type.bind_processor(dialect) for bind in binds)
            fixed = {n: b.value for n, b in zip(names, binds, strict=True) if not b.required}
            found = self._forms[dialect.name] = _Form(compiled.string, names, convert, fixed)
        return found


class Driver:
    """The driver connection under one transaction."""

    def __init__(self, conn: AsyncConnection, native: Any, adapted: Any) -> None:
        self.dialect = conn.dialect
        self._sqlite: sqlite3.Connection | None = (
            native.sqlite3_connection if isinstance(native, InlineConnection) else None
        )
        self._pg, self._adapted = native, adapted

    async def scalar(self, statement: Statement, row: Row) -> Any:
        """Run a statement and return the first column of its first row (None: no row)."""
        form = statement.form(self.dialect)
        with self._errors(form, row):
            if self._sqlite is not None:
                found = self._sqlite.execute(form.sql, form.values(row)).fetchone()
                return None if found is None else found[0]
            return await self._pg.fetchval(form.sql, *form.values(row))

    async def column(self, statement: Statement, row: Row) -> list[Any]:
        """Run a statement and return the first column of every row."""
        form = statement.form(self.dialect)
        with self._errors(form, row):
            if self._sqlite is not None:
                return [found[0] for found in self._sqlite.execute(form.sql, form.values(row))]
            return [found[0] for found in await self._pg.fetch(form.sql, *form.values(row))]

    async def execute(self, statement: Statement, row: Row) -> None:
        """Run a statement for its effect."""
        form = statement.form(self.dialect)
        with self._errors(form, row):
            if self._sqlite is not None:
                self._sqlite.execute(form.sql, form.values(row))
            else:
                await self._pg.execute(form.sql, *form.values(row))

    async def execute_many(self, statement: Statement, rows: Sequence[Row]) -> None:
        """Run a statement once per row, as one batch."""
        form = statement.form(self.dialect)
        values = [form.values(row) for row in rows]
        with self._errors(form, rows[0] if rows else {}):
            if self._sqlite is not None:
                self._sqlite.executemany(form.sql, values)
            else:
                await self._pg.executemany(form.sql, values)

    @contextmanager
    def _errors(self, form: _Form, row: Row) -> Iterator[None]:
        """Raise the driver's errors as SQLAlchemy raises them (DBAPIError and kin)."""
        try:
            yield
        except exc.DBAPIError:
            raise
        except Exception as error:
            original: BaseException = error
            if self._sqlite is None:  # asyncpg's errors, as SQLAlchemy's adapter names them
                try:
                    self._adapted._handle_exception(error)
                except Exception as translated:
                    original = translated
            base = sqlite3.Error if self._sqlite is not None else self._adapted.dbapi.Error
            if not isinstance(original, base) and not isinstance(original, OSError):
                raise
            # A connection the server ended (a restart) is "not there right now" (TryAgain),
            # whatever state asyncpg was caught in when it learned of it.
            gone = self._sqlite is None and self._pg.is_closed()
            raise exc.DBAPIError.instance(
                form.sql,
                dict(row),
                original,
                base,
                connection_invalidated=gone,
                dialect=self.dialect,
            ) from error


_KNOWN = "driver of the transaction"


async def driver(session: AsyncSession) -> Driver:
    """Return the driver connection of the session's transaction (beginning it if none has)."""
    conn = await connection(session)
    known = session.info.get(_KNOWN)
    if known is not None and known[0] is conn:
        found: Driver = known[1]
        return found
    fairy = await conn.get_raw_connection()
    native = fairy.driver_connection
    assert native is not None  # the connection is checked out: its driver connection is open
    if not isinstance(native, InlineConnection) and not native.is_in_transaction():
        # asyncpg: SQLAlchemy's adapter begins its transaction with the first statement
        await conn.exec_driver_sql("SELECT 1")
    found = Driver(conn, native, fairy.dbapi_connection)
    session.info[_KNOWN] = (conn, found)
    return found
