"""SQLite: WAL, one writer, and statements run on the event loop itself, not on a thread.

aiosqlite runs every call (cursor, execute, fetch, close) on its own thread and wakes the event
loop when it is done: about 26 such round trips for one change, and two threads passing the GIL
back and forth. Measured, they cost about two thirds of the CPU of a change (5.7 ms of 7). A
statement on a local SQLite file in WAL mode takes microseconds, less than the hop, so they run
inline. Opening and closing a connection still go through aiosqlite's thread.

What could hold the loop is a lock wait, so connections made here wait at most BUSY_MS:
`begin_immediate` retries a `BEGIN IMMEDIATE` that met another process's write lock with
`asyncio.sleep` in between. WAL readers never wait. A checkpoint (which syncs the file) is
not done at commit: `Checkpoints` runs one on a thread now and then.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

# A lock held by another process is waited for at most BUSY_MS at a time (holding the loop),
# then in asyncio.sleep, _BUSY_LIMIT s in all.
BUSY_MS, _BUSY_LIMIT = 20, 10.0
MIGRATION_BUSY_MS = 10_000  # migrations run before anything else: they may hold the loop
_CHECKPOINT_EVERY = 200  # commits between two checkpoints of the write-ahead log


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection whose calls, once it is open, run on the calling thread."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is None or not self._running:  # opening, closing: the thread
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        return fn(*args, **kwargs)

    @property
    def sqlite3_connection(self) -> sqlite3.Connection:
        """Return the sqlite3 connection underneath, for statements sent straight to it."""
        return self._conn


def engine(url: str, *, begin: str, pool_size: int) -> AsyncEngine:
    """Return an engine of inline connections in WAL mode; `begin` starts its transactions."""
    created = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        async_creator=connector(make_url(url).database or "", busy_ms=BUSY_MS),
    )
    event.listen(created.sync_engine, "connect", _pragmas)
    event.listen(created.sync_engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return created


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's begin event owns transactions (the connection has no isolation level), so
    # writers can BEGIN IMMEDIATE.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async def begin_immediate(sessions: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """Return a session whose BEGIN IMMEDIATE holds the write lock; while another process
    holds it, wait without holding the loop."""
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + _BUSY_LIMIT, 0.005
    while True:
        session = sessions()
        try:
            await session.connection()  # the begin event: BEGIN IMMEDIATE
            return session
        except OperationalError as error:
            await session.close()
            if not is_locked(error) or loop.time() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)


class Checkpoints:
    """Checkpoint the write-ahead log every _CHECKPOINT_EVERY commits, on a thread."""

    def __init__(self, url: str) -> None:
        self.path = make_url(url).database or ""
        self._commits = 0
        self._running: asyncio.Task[None] | None = None

    def committed(self) -> None:
        """Count a commit; start a checkpoint when one is due and none is running."""
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0 and self._running is None:
            self._running = asyncio.create_task(self._checkpoint(), name="wal checkpoint")

    async def wait(self) -> None:
        """Wait for a checkpoint under way."""
        if self._running is not None:
            await self._running

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(checkpoint, self.path)
        except sqlite3.Error as error:  # the next one catches up
            log.warning("SQLite checkpoint skipped: %s", error)
        finally:
            self._running = None


def connector(path: str, *, busy_ms: int) -> Callable[[], InlineConnection]:
    """Return an `async_creator` for SQLAlchemy: a new inline connection to `path`."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout={busy_ms}")
        connection.execute("PRAGMA wal_autocheckpoint=0")  # see checkpoint()
        return connection

    def create() -> InlineConnection:
        connection = InlineConnection(connect, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's aiosqlite dialect does
        return connection

    return create


def checkpoint(path: str) -> None:
    """Copy the write-ahead log into the database file (PASSIVE: never waits, never blocks
    writers); run on a thread, since it syncs the file to disk."""
    with sqlite3.connect(path, timeout=1.0) as connection:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    connection.close()


def is_locked(error: BaseException) -> bool:
    """Return whether `error` is SQLite's "database is locked" (another writer holds it)."""
    return "database is locked" in str(error)
