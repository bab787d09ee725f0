"""The Database: URLs, sessions, availability, and SQLite's single writer path."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.domain.errors import TryAgain
from storage.db import Database, async_url
from storage.models import ProcessedEvent, TimelineEntry
from tests.support import BACKENDS

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/nowhere"

only_sqlite = pytest.mark.parametrize(
    "database_url", [b for b in BACKENDS if b == "sqlite"], indirect=True
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x", "sqlite+aiosqlite:///x"),
        ("sqlite:////var/lib/warroom.db", "sqlite+aiosqlite:////var/lib/warroom.db"),
        ("postgres://u:p%40ss@db:5432/warroom", "postgresql+asyncpg://u:p%40ss@db:5432/warroom"),
        ("postgresql://u@db/warroom", "postgresql+asyncpg://u@db/warroom"),
        ("postgresql+asyncpg://u@db/warroom", "postgresql+asyncpg://u@db/warroom"),
    ],
)
def test_async_url_supported_url_maps_to_async_driver(url: str, expected: str) -> None:
    assert async_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@db/warroom", "mssql+pyodbc://u@db/warroom"])
def test_async_url_unsupported_backend_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        async_url(url)


async def test_database_ping_reachable_true(db: Database) -> None:
    assert await db.ping() is True


async def test_database_ping_unreachable_false() -> None:
    db = Database(UNREACHABLE_PG)
    try:
        assert await db.ping() is False
    finally:
        await db.dispose()


async def test_database_write_unreachable_raises_try_again() -> None:
    db = Database(UNREACHABLE_PG)
    try:
        with pytest.raises(TryAgain, match="Nothing was recorded"):
            async with db.write() as session:
                await session.exec(select(1))
    finally:
        await db.dispose()


async def test_database_read_unreachable_raises_try_again() -> None:
    db = Database(UNREACHABLE_PG)
    try:
        with pytest.raises(TryAgain, match="Nothing was recorded"):
            async with db.read() as session:
                await session.exec(select(1))
    finally:
        await db.dispose()


async def test_database_write_block_commits_at_end(db: Database) -> None:
    async with db.write() as session:
        session.add(ProcessedEvent(event_id="Ev1", received_at=T0))

    async with db.read() as session:
        stored = await session.get(ProcessedEvent, "Ev1")

    assert stored is not None
    assert stored.received_at == T0


async def test_database_foreign_key_to_missing_incident_refused(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            session.add(TimelineEntry(incident_id=999, at=T0, actor_id="U0BOB", kind="update"))


@only_sqlite
async def test_database_sqlite_thirty_concurrent_writes_all_commit(db: Database) -> None:
    async def one(i: int) -> None:
        async with db.write() as session:
            seen = (await session.exec(select(func.count()).select_from(ProcessedEvent))).one()
            session.add(ProcessedEvent(event_id=f"Ev{i}:{seen}", received_at=T0))
            await session.flush()
            await asyncio.sleep(0)  # yield inside the transaction so others queue behind it

    async def reader() -> int:
        async with db.read() as session:
            return int((await session.exec(select(func.count()).select_from(ProcessedEvent))).one())

    await asyncio.gather(*(one(i) for i in range(30)), *(reader() for _ in range(10)))

    async with db.read() as session:
        ids = (await session.exec(select(ProcessedEvent.event_id))).all()
    assert len(ids) == 30
    # Each writer saw every earlier commit: the writes really ran one after another.
    assert sorted(int(i.split(":")[1]) for i in ids) == list(range(30))


@only_sqlite
async def test_database_sqlite_uses_wal_journal(db: Database) -> None:
    async with db.read_engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()

    assert mode == "wal"
