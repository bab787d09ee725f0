"""Alert links: which incident an alert from monitoring opened (or joined), one per alert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.connection import connection
from storage.models import AlertLink


async def lock_alert(*, session: AsyncSession, source: str, key: str) -> None:
    """On PostgreSQL, make concurrent deliveries of one alert wait for each other (SQLite has
    one writer). The unique key on (source, alert_key) stays the backstop."""
    conn = await connection(session)
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"alert:{source}:{key}"}
        )


async def get_link(*, session: AsyncSession, source: str, key: str) -> AlertLink | None:
    """Return the alert's link, if it ever reached an incident."""
    query = select(AlertLink).where(AlertLink.source == source, AlertLink.alert_key == key)
    return (await session.exec(query)).first()


async def link_alert(
    *,
    session: AsyncSession,
    source: str,
    key: str,
    incident_id: int,
    now: datetime,
    link: AlertLink | None,
) -> None:
    """Point the alert at `incident_id` (a new link, or the old one moved to a new incident)."""
    if link is None:
        link = AlertLink(source=source, alert_key=key, incident_id=incident_id, updated_at=now)
    link.incident_id, link.firing, link.updated_at = incident_id, True, now
    session.add(link)
    await session.flush()


async def set_firing(
    *, session: AsyncSession, link: AlertLink, firing: bool, now: datetime
) -> None:
    """Record whether the alert fires now."""
    link.firing, link.updated_at = firing, now
    session.add(link)
    await session.flush()
