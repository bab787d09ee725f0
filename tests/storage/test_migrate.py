"""Migrations: idempotent, and safe when several replicas start at once on PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import ProgrammingError

from bot.domain.model import Severity
from storage.db import Database
from storage.incidents import create_incident
from storage.migrate import _LOCK_KEY, alembic_config, migrate
from tests.support import BACKENDS

TABLES = {"counter", "incident", "timeline_entry", "role_assignment", "outbox", "processed_event"}
T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)

only_postgresql = pytest.mark.parametrize(
    "database_url", [b for b in BACKENDS if b == "postgresql"], indirect=True
)


def head() -> str:
    """Return the newest revision shipped with the code."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


async def versions(db: Database) -> list[str]:
    """Return the rows of alembic_version."""
    async with db.read_engine.connect() as conn:
        result = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return [row[0] for row in result.all()]


async def tables(db: Database) -> set[str]:
    """Return the names of the tables in the database."""
    async with db.read_engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names)


async def lock_is_free(db: Database) -> bool:
    """Return whether another session can take the migration lock right now."""
    async with db.write_engine.connect() as conn:
        taken = (
            await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _LOCK_KEY})
        ).scalar_one()
        if taken:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
    return bool(taken)


async def test_migrate_empty_database_creates_schema_at_head(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrate(db)

        assert await tables(db) >= TABLES | {"alembic_version"}
        assert await versions(db) == [head()]
    finally:
        await db.dispose()


async def test_migrate_run_twice_second_run_changes_nothing(db: Database) -> None:
    async with db.write() as session:
        await create_incident(
            session=session,
            title="Survives",
            severity=Severity.SEV1,
            declared_by="U0ALICE",
            origin_channel_id=None,
            now=T0,
        )
    before = await tables(db)

    await migrate(db)

    assert await tables(db) == before
    assert await versions(db) == [head()]
    async with db.read_engine.connect() as conn:
        titles = (await conn.execute(text("SELECT title FROM incident"))).scalars().all()
    assert titles == ["Survives"]


@only_postgresql
async def test_migrate_two_concurrent_replicas_both_succeed_one_version_row(
    database_url: str,
) -> None:
    replicas = [Database(database_url), Database(database_url)]
    try:
        await asyncio.gather(*(migrate(replica) for replica in replicas))

        assert await tables(replicas[0]) >= TABLES | {"alembic_version"}
        assert await versions(replicas[0]) == [head()]
        assert await lock_is_free(replicas[1])
    finally:
        for replica in replicas:
            await replica.dispose()


@only_postgresql
async def test_migrate_failed_migration_raises_its_error_and_frees_lock(
    database_url: str,
) -> None:
    db = Database(database_url)
    other = Database(database_url)
    try:
        async with db.write_engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counter (unrelated integer)"))

        with pytest.raises(ProgrammingError, match="already exists"):
            await migrate(db)

        assert await lock_is_free(other)
    finally:
        await db.dispose()
        await other.dispose()


only_sqlite = pytest.mark.parametrize(
    "database_url", [b for b in BACKENDS if b == "sqlite"], indirect=True
)


@only_sqlite
async def test_migrate_waits_out_another_processes_write_lock_then_writes_briefly_again(
    db: Database, database_url: str
) -> None:
    path = database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process (say `warroom outbox retry`) writing
    release = threading.Timer(0.3, other.execute, args=("COMMIT",))
    release.start()
    try:
        await migrate(db)  # waits for the lock instead of failing after a few milliseconds
    finally:
        release.join()
        other.close()

    assert await versions(db) == [head()]
    async with db.write_engine.connect() as conn:  # the pool's connection: short waits again
        raw = await conn.get_raw_connection()
        cursor = await raw.driver_connection.execute("PRAGMA busy_timeout")  # type: ignore[union-attr]
        assert (await cursor.fetchone())[0] == 20
