"""Statements sent straight to the driver: the same rows as SQLAlchemy writes, its errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, exc, insert, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.errors import TryAgain
from storage.db import Database
from storage.driver import Statement, driver
from storage.models import ProcessedEvent

_EVENTS = ProcessedEvent.__table__  # type: ignore[attr-defined]
_INSERT = Statement(insert(_EVENTS), ["event_id", "received_at"])
_COUNT = Statement(
    select(text("count(*)")).select_from(_EVENTS).where(_EVENTS.c.event_id.like(bindparam("p")))
)
_PID = Statement(select(text("pg_backend_pid()")))
# Half past noon in UTC, written as 14:30 at +02:00: stored as UTC, read back tz-aware.
AT = datetime(2030, 3, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


async def stored(session: AsyncSession, key: str) -> datetime:
    """Return the time stored for `key`, read through the model."""
    row = await session.get(ProcessedEvent, key)
    assert row is not None
    return row.received_at


async def test_driver_rows_read_back_through_the_model_as_written(db: Database) -> None:
    async with db.write() as session:
        statements = await driver(session)
        await statements.execute_many(
            _INSERT, [{"event_id": "a", "received_at": AT}, {"event_id": "b", "received_at": AT}]
        )
        await statements.execute(_INSERT, {"event_id": "c", "received_at": AT})
        assert await statements.scalar(_COUNT, {"p": "%"}) == 3  # in the same transaction

    async with db.read() as session:
        assert await stored(session, "a") == AT
        assert (await stored(session, "c")).tzinfo == UTC
        assert (await stored(session, "c")).hour == 12


async def test_driver_statements_roll_back_with_their_transaction(db: Database) -> None:
    async def change() -> None:
        async with db.write() as session:
            await (await driver(session)).execute(_INSERT, {"event_id": "gone", "received_at": AT})
            raise RuntimeError("the change failed after writing")

    with pytest.raises(RuntimeError):
        await change()

    async with db.read() as session:
        assert await session.get(ProcessedEvent, "gone") is None


async def test_driver_errors_are_sqlalchemys(db: Database) -> None:
    async with db.write() as session:
        await (await driver(session)).execute(_INSERT, {"event_id": "twice", "received_at": AT})

    with pytest.raises(exc.IntegrityError):
        async with db.write() as session:
            await (await driver(session)).execute(_INSERT, {"event_id": "twice", "received_at": AT})


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_driver_connection_lost_mid_change_is_try_again(db: Database) -> None:
    async def change() -> None:
        async with db.write() as session:
            statements = await driver(session)
            await statements.execute(_INSERT, {"event_id": "before", "received_at": AT})
            pid = int(await statements.scalar(_PID, {}))
            async with db.read() as other:  # the server ends our connection (a restart would)
                kill = text("SELECT pg_terminate_backend(:pid)")
                await (await other.connection()).execute(kill, {"pid": pid})
            await statements.execute(_INSERT, {"event_id": "after", "received_at": AT})

    with pytest.raises(TryAgain):
        await change()

    async with db.write() as session:  # the pool hands out a live connection again
        await (await driver(session)).execute(_INSERT, {"event_id": "next", "received_at": AT})
    async with db.read() as session:
        assert await session.get(ProcessedEvent, "before") is None
        assert await session.get(ProcessedEvent, "next") is not None
