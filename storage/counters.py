"""Named counters: incident numbers and the public-data version."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.connection import connection
from storage.models import Counter

PUBLIC_VERSION = "public"
INCIDENT_NUMBER = "incident"


async def bump_counter(*, session: AsyncSession, name: str) -> int:
    """Add one to a named counter and return it; the row lock serialises concurrent callers."""
    conn = await connection(session)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1})
        .returning(col(Counter.value))
    )
    return int((await conn.execute(statement)).scalar_one())


async def read_counter(*, session: AsyncSession, name: str) -> int:
    """Return a named counter's value (0 before its first bump)."""
    row = await session.get(Counter, name)
    return row.value if row is not None else 0
