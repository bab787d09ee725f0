"""Apply Alembic migrations; on PostgreSQL an advisory lock keeps replicas from racing."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

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
        if not db.is_sqlite:
            # Session-level lock: released on disconnect even if a migration fails.
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if not db.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                await conn.commit()
