"""PostgreSQL: asyncpg connections, pooled without pre-pings, reads without transactions."""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def engines(url: str, *, dsn: str, timeout: float) -> tuple[AsyncEngine, AsyncEngine]:
    """Return the engine for writes and the one for reads, sharing one pool.

    Reads run without BEGIN and ROLLBACK, two round trips fewer each: under READ COMMITTED
    every statement takes its own snapshot anyway, in a transaction or not.
    """

    async def connect() -> Any:  # an asyncpg Connection
        return await asyncpg.connect(dsn, timeout=timeout)

    writes = create_async_engine(
        url, async_creator=connect, pool_size=10, max_overflow=10, pool_timeout=10
    )
    event.listen(writes.sync_engine, "checkout", _closed_means_gone)
    return writes, writes.execution_options(isolation_level="AUTOCOMMIT")


def _closed_means_gone(_dbapi: Any, record: Any, _proxy: Any) -> None:
    """Hand out no pooled connection the server has closed (a restart, an idle timeout).

    SQLAlchemy's pre-ping asks the server instead, and on asyncpg that is three round trips
    (BEGIN, a query, ROLLBACK) before every transaction: more than a change's own statements.
    asyncpg learns of a closed socket as soon as the event loop reads its end, so asking it
    costs nothing; the pool then opens a new connection (DisconnectionError is its signal).
    """
    driver = record.driver_connection
    if driver is None or driver.is_closed():
        raise DisconnectionError("the database closed this connection")
