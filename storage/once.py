"""Once-keys: Slack event IDs and form submissions that already took effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.connection import connection
from storage.deferred import refuse_if_plain
from storage.models import ProcessedEvent


async def claim_once(*, session: AsyncSession, key: str, now: datetime) -> bool:
    """Record that `key` (an event ID, a form submission) took effect; False if it had."""
    refuse_if_plain(session, "claim a once-key")
    conn = await connection(session)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ProcessedEvent)
        .values(event_id=key[:64], received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return bool((await conn.execute(statement)).rowcount)


async def forget_processed(*, session: AsyncSession, before: datetime) -> int:
    """Drop once-keys older than `before` (Slack redelivers within minutes, not days)."""
    result = await session.exec(
        delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < before)
    )
    return int(result.rowcount)
