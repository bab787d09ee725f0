"""The engine and sessions: SQLite (one writer path, WAL) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.errors import TryAgain
from storage import postgres, sqlite, urls
from storage.group_commit import GroupCommit

_TRY_AGAIN = (
    "The incident database is not answering right now. Nothing was recorded: try again in a moment."
)


def async_url(url: str) -> str:
    """Return the SQLAlchemy URL with the async driver for `sqlite:` or `postgresql:` URLs."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class Database:
    """Sessions for reads and for writes; each `write()` block is one transaction."""

    def __init__(self, url: str) -> None:
        target = urls.parse(url)
        self.url = target.url
        self.is_sqlite = target.dsn is None
        if target.dsn is None:
            # One writer connection is the one writer path: no "database is locked" between
            # our own writers, and BEGIN IMMEDIATE takes the lock up front.
            self.write_engine = sqlite.engine(self.url, begin="BEGIN IMMEDIATE", pool_size=1)
            self.read_engine = sqlite.engine(self.url, begin="BEGIN", pool_size=4)
        else:
            self.write_engine, self.read_engine = postgres.engines(
                self.url, dsn=target.dsn, timeout=target.timeout
            )
        _plain_savepoints(self.write_engine)
        self._group = GroupCommit(self.write)
        self._checkpoints = sqlite.Checkpoints(self.url) if self.is_sqlite else None
        # People's changes in progress (on SQLite: waiting for or holding the writer).
        self._urgent = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()
        self._calm_since = 0.0  # loop time the last person's change ended
        self._writes = async_sessionmaker(
            self.write_engine, class_=AsyncSession, expire_on_commit=False
        )
        self._reads = async_sessionmaker(
            self.read_engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def write(
        self, *, background: bool = False, batch: str | None = None, plain: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """Open one transaction that commits at the end of the block, or rolls back.

        On SQLite there is one writer; `background` writers (the outbox relay) step aside
        while a person's command is waiting for it, so acks never queue behind deliveries.
        With `batch` (a key, such as an incident's channel), blocks that run at the same time
        for the same key share one transaction, each rolled back alone if it fails (group
        commit, storage/group_commit.py): the block still returns only once it is committed.
        A `plain` block writes only through storage.deferred: its writes are made with the
        batch's others, at once for the whole batch.
        """
        if batch is not None:
            with _unavailable_means_try_again():
                async with self._group.member(batch, plain=plain) as session:
                    yield session
            return
        if background:
            while self.is_sqlite and self._urgent:
                await self._no_urgent.wait()
        else:
            self._urgent += 1
            self._no_urgent.clear()
        try:
            with _unavailable_means_try_again():
                async with await self._begun() as session:
                    yield session
                    await session.commit()
            if self._checkpoints is not None:
                self._checkpoints.committed()
        finally:
            if not background:
                self._urgent -= 1
                if not self._urgent:
                    self._calm_since = asyncio.get_running_loop().time()
                    self._no_urgent.set()

    async def _begun(self) -> AsyncSession:
        """Return a write session whose transaction has begun (SQLite: with the write lock)."""
        return await sqlite.begin_immediate(self._writes) if self.is_sqlite else self._writes()

    async def quiet(self, limit: float, *, calm: float = 0.005) -> None:
        """Wait (up to `limit` s) until no person's change has been in progress for `calm` s:
        with a crowd, the next changes arrive moments after the last ones commit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                while True:
                    await self._no_urgent.wait()
                    calm_for = loop.time() - self._calm_since
                    if calm_for >= calm:
                        return
                    await asyncio.sleep(calm - calm_for)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Open a read-only session."""
        with _unavailable_means_try_again():
            async with self._reads() as session:
                yield session

    async def ping(self) -> bool:
        """Return whether the database answers a trivial query."""
        try:
            async with self.read_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError):
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._checkpoints is not None:
            await self._checkpoints.wait()
        await self.write_engine.dispose()
        if self.is_sqlite:  # PostgreSQL's reads share the writers' pool
            await self.read_engine.dispose()


def _plain_savepoints(engine: AsyncEngine) -> None:
    """Send savepoints as plain SQL. SQLAlchemy compiles its savepoint clauses anew each time
    (they have no cache key): in a group commit, where every member after the first runs in a
    savepoint, that compiling was a fifth of a change's CPU."""
    dialect = engine.sync_engine.dialect
    sql = {
        "do_savepoint": "SAVEPOINT {}",
        "do_rollback_to_savepoint": "ROLLBACK TO SAVEPOINT {}",
        "do_release_savepoint": "RELEASE SAVEPOINT {}",
    }
    for method, statement in sql.items():
        # The names are SQLAlchemy's own (sa_savepoint_<n>), never user input.
        def run(connection: Connection, name: str, statement: str = statement) -> None:
            connection.exec_driver_sql(statement.format(name))

        setattr(dialect, method, run)


# PostgreSQL SQLSTATEs that mean "the server is not there right now", not "your data is wrong".
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


@contextlib.contextmanager
def _unavailable_means_try_again() -> Iterator[None]:
    """Turn "the database is not there right now" into TryAgain; other errors pass through."""
    try:
        yield
    except (OperationalError, DBAPIError, OSError) as error:
        if isinstance(error, DBAPIError) and not _is_unavailable(error):
            raise
        raise TryAgain(_TRY_AGAIN) from error


def _is_unavailable(error: DBAPIError) -> bool:
    if error.connection_invalidated or isinstance(error, OperationalError | InterfaceError):
        return True
    for cause in (error.orig, getattr(error.orig, "__cause__", None)):
        state = str(getattr(cause, "sqlstate", "") or "")
        if state.startswith(_UNAVAILABLE_STATES) or isinstance(cause, OSError):
            return True
    return False
