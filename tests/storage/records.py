"""Rows for storage tests: an incident in its own transaction, entries and roles in the caller's.

Helpers that take a session leave the transaction boundaries to the test, which is often what
the test is about.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import entries as e
from bot.domain.model import Role, Severity
from storage import incidents, roles, timeline
from storage.db import Database
from storage.models import Incident, TimelineEntry

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
UPDATED = e.Updated()
SOURCE_CHANNEL = "C0SOURCE"


async def declare(
    db: Database,
    title: str = "Checkout failing",
    *,
    at: datetime = T0,
    severity: Severity = Severity.SEV2,
    origin: str | None = "C0GENERAL",
) -> Incident:
    """Create an incident (declared by Alice) in its own transaction."""
    async with db.write() as session:
        return await create(session, title, at=at, severity=severity, origin=origin)


async def create(
    session: AsyncSession,
    title: str = "Checkout failing",
    *,
    at: datetime = T0,
    severity: Severity = Severity.SEV2,
    origin: str | None = "C0GENERAL",
) -> Incident:
    """Create an incident (declared by Alice) in the session's transaction."""
    return await incidents.create_incident(
        session=session,
        title=title,
        severity=severity,
        declared_by=ALICE,
        origin_channel_id=origin,
        now=at,
    )


def id_of(incident: Incident) -> int:
    """Return the database ID of a stored incident."""
    assert incident.id is not None
    return incident.id


async def set_fields(db: Database, incident_id: int, **values: object) -> None:
    """Change columns of an incident in its own transaction."""
    async with db.write() as session:
        incident = await incidents.get_incident(session=session, incident_id=incident_id)
        assert incident is not None
        for name, value in values.items():
            setattr(incident, name, value)
        session.add(incident)


async def add_entry(
    session: AsyncSession,
    incident: Incident,
    fact: e.Fact = UPDATED,
    *,
    at: datetime = T0,
    actor: str = BOB,
    text: str = "",
    source_ts: str | None = None,
) -> e.Entry:
    """Append an entry (by default Bob's update) at the incident's next place."""
    places = select(func.coalesce(func.max(TimelineEntry.seq), 0)).where(
        TimelineEntry.incident_id == id_of(incident)
    )
    last = int((await session.exec(places)).one())
    return await timeline.add_entry(
        session=session,
        incident_id=id_of(incident),
        seq=last + 1,
        at=at,
        actor_id=actor,
        fact=fact,
        text=text,
        source=(SOURCE_CHANNEL, source_ts) if source_ts else None,
    )


async def assign(
    session: AsyncSession,
    incident: Incident,
    role: Role,
    user: str,
    *,
    by: str = ALICE,
    at: datetime = T0,
) -> str | None:
    """Give `role` to `user` in the session's transaction; return the previous holder."""
    return await roles.assign_role(
        session=session,
        incident_id=id_of(incident),
        role=role,
        user_id=user,
        assigned_by=by,
        now=at,
    )


async def count(db: Database, model: type) -> int:
    """Return how many rows a table holds."""
    async with db.read() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())
