"""Who is a member of a private incident: its declarer, the people invited, who joined."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import IncidentMember


async def add_members(
    *, session: AsyncSession, incident_id: int, user_ids: Iterable[str], now: datetime
) -> None:
    """Make these people members of the incident; one already a member stays one."""
    wanted = set(user_ids)
    if not wanted:
        return
    query = select(IncidentMember.user_id).where(
        IncidentMember.incident_id == incident_id, col(IncidentMember.user_id).in_(wanted)
    )
    known = set((await session.exec(query)).all())
    for user_id in sorted(wanted - known):
        session.add(IncidentMember(incident_id=incident_id, user_id=user_id, since=now))
    await session.flush()


async def remove_member(*, session: AsyncSession, incident_id: int, user_id: str) -> None:
    """Stop someone being a member (they left the incident's channel)."""
    table = IncidentMember.__table__  # type: ignore[attr-defined]
    await (await session.connection()).execute(
        delete(table).where(table.c.incident_id == incident_id, table.c.user_id == user_id)
    )


async def members_of(*, session: AsyncSession, incident_id: int) -> list[str]:
    """Return the incident's members' user IDs, sorted."""
    query = select(IncidentMember.user_id).where(IncidentMember.incident_id == incident_id)
    return sorted((await session.exec(query)).all())
