"""Apply Alembic migrations; on PostgreSQL an advisory lock keeps replicas from racing."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import sqlite
from storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x77617272  # "warr"


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config that runs the packaged migrations on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def migrate(db: Database) -> None:
    """Bring the schema to the newest revision."""
    async with db.write_engine.connect() as conn:
        if db.is_sqlite:  # nothing else runs yet: wait for another process's lock, up to 10 s
            await _busy_timeout(conn, sqlite.MIGRATION_BUSY_MS)
        else:
            # Session-level lock: released on disconnect even if a migration fails.
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if db.is_sqlite:  # the connection goes back to the pool: short waits again
                await _busy_timeout(conn, sqlite.BUSY_MS)
            else:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                await conn.commit()


async def _busy_timeout(conn: AsyncConnection, milliseconds: int) -> None:
    """Set SQLite's lock wait on the driver's connection (outside any transaction)."""
    raw = await conn.get_raw_connection()
    await raw.driver_connection.execute(f"PRAGMA busy_timeout={milliseconds}")  # type: ignore[union-attr]
