"""Queries on incidents, their timeline and their roles."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.milestones import Milestones
from bot.domain.model import Entry, EntryKind, IncidentState, Role, Severity, Status
from storage.models import Counter, Incident, ProcessedEvent, RoleAssignment, TimelineEntry

_BUMP = text(
    "INSERT INTO counter (name, value) VALUES (:name, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value"
)
PUBLIC_VERSION = "public"


async def bump_counter(*, session: AsyncSession, name: str) -> int:
    """Add one to a named counter and return it; the row lock serialises concurrent callers."""
    connection = await session.connection()
    result = await connection.execute(_BUMP, {"name": name})
    return int(result.scalar_one())


async def read_counter(*, session: AsyncSession, name: str) -> int:
    """Return a named counter's value (0 before its first bump)."""
    row = await session.get(Counter, name)
    return row.value if row is not None else 0


async def next_incident_number(*, session: AsyncSession) -> int:
    """Take the next incident number."""
    return await bump_counter(session=session, name="incident")


def new_uid() -> str:
    """Return a public incident ID: 12 lowercase letters and digits, like Statuspage's."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))


async def create_incident(
    *,
    session: AsyncSession,
    title: str,
    severity: str,
    status: str,
    declared_by: str,
    origin_channel_id: str | None,
    now: datetime,
) -> Incident:
    """Insert a new incident with the next number."""
    incident = Incident(
        number=await next_incident_number(session=session),
        uid=new_uid(),
        title=title,
        severity=severity,
        status=status,
        declared_by=declared_by,
        origin_channel_id=origin_channel_id,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    return incident


async def claim_once(*, session: AsyncSession, key: str, now: datetime) -> bool:
    """Record that `key` (an event ID, a form submission) took effect; False if it had."""
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ProcessedEvent)
        .values(event_id=key[:64], received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return bool((await connection.execute(statement)).rowcount)


async def forget_processed(*, session: AsyncSession, before: datetime) -> int:
    """Drop once-keys older than `before` (Slack redelivers within minutes, not days)."""
    result = await session.exec(
        delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < before)
    )
    return int(result.rowcount)


async def serialize_declarer(*, session: AsyncSession, user_id: str) -> None:
    """On PostgreSQL, make one person's concurrent declares wait for each other."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:user))"), {"user": user_id}
        )


async def recent_twin(
    *, session: AsyncSession, user_id: str, title: str, since: datetime
) -> Incident | None:
    """Return this person's incident with the same title declared since `since`, if any."""
    query = (
        select(Incident)
        .where(Incident.declared_by == user_id, col(Incident.created_at) >= since)
        .order_by(col(Incident.id).desc())
    )
    wanted = " ".join(title.split()).casefold()
    for incident in (await session.exec(query)).all():
        if " ".join(incident.title.split()).casefold() == wanted:
            return incident
    return None


async def get_incident(*, session: AsyncSession, incident_id: int) -> Incident | None:
    """Return the incident with this database ID."""
    return await session.get(Incident, incident_id)


async def get_incident_by_channel(
    *, session: AsyncSession, channel_id: str, for_update: bool = False
) -> Incident | None:
    """Return the incident whose channel this is; lock its row when about to change it."""
    query = select(Incident).where(Incident.channel_id == channel_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def get_incident_by_number(*, session: AsyncSession, number: int) -> Incident | None:
    """Return the incident INC-<number>."""
    return (await session.exec(select(Incident).where(Incident.number == number))).first()


async def list_open_incidents(*, session: AsyncSession) -> Sequence[Incident]:
    """Return unresolved incidents, newest first."""
    query = (
        select(Incident).where(Incident.status != "resolved").order_by(col(Incident.number).desc())
    )
    return (await session.exec(query)).all()


async def add_entry(
    *,
    session: AsyncSession,
    incident: Incident,
    at: datetime,
    actor_id: str,
    kind: str,
    text: str = "",
    data: Mapping[str, Any] | None = None,
    source_ts: str | None = None,
) -> TimelineEntry:
    """Append an entry to the incident's timeline."""
    assert incident.id is not None
    entry = TimelineEntry(
        incident_id=incident.id,
        at=at,
        actor_id=actor_id,
        kind=kind,
        text=text,
        data=json.dumps(dict(data or {})),
        source_ts=source_ts,
    )
    session.add(entry)
    await session.flush()
    return entry


async def has_entry_from(*, session: AsyncSession, incident_id: int, source_ts: str) -> bool:
    """Return whether a Slack message is already on the incident's timeline."""
    query = select(TimelineEntry.id).where(
        TimelineEntry.incident_id == incident_id, TimelineEntry.source_ts == source_ts
    )
    return (await session.exec(query)).first() is not None


async def list_entries(*, session: AsyncSession, incident_id: int) -> Sequence[TimelineEntry]:
    """Return the incident's timeline in the order it happened."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    return (await session.exec(query)).all()


async def has_public_entry(*, session: AsyncSession, incident_id: int) -> bool:
    """Return whether the incident has published anything (a status or an impact change)."""
    query = select(TimelineEntry.id).where(
        TimelineEntry.incident_id == incident_id,
        col(TimelineEntry.kind).in_(["status", "impact"]),
    )
    return (await session.exec(query.limit(1))).first() is not None


async def get_entry(*, session: AsyncSession, entry_id: int) -> TimelineEntry | None:
    """Return one timeline entry."""
    return await session.get(TimelineEntry, entry_id)


async def last_entry(*, session: AsyncSession, incident_id: int) -> TimelineEntry | None:
    """Return the newest entry."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(col(TimelineEntry.at).desc(), col(TimelineEntry.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def current_roles(*, session: AsyncSession, incident_id: int) -> dict[str, str]:
    """Return role -> user ID for the roles held now."""
    query = select(RoleAssignment).where(
        RoleAssignment.incident_id == incident_id, col(RoleAssignment.ended_at).is_(None)
    )
    return {row.role: row.user_id for row in (await session.exec(query)).all()}


async def assign_role(
    *,
    session: AsyncSession,
    incident_id: int,
    role: str,
    user_id: str,
    assigned_by: str,
    now: datetime,
) -> str | None:
    """Give `role` to `user_id`, ending the previous holder's term; return that holder."""
    query = select(RoleAssignment).where(
        RoleAssignment.incident_id == incident_id,
        RoleAssignment.role == role,
        col(RoleAssignment.ended_at).is_(None),
    )
    previous = (await session.exec(query)).first()
    if previous is not None:
        previous.ended_at = now
        session.add(previous)
    session.add(
        RoleAssignment(
            incident_id=incident_id,
            role=role,
            user_id=user_id,
            assigned_by=assigned_by,
            started_at=now,
        )
    )
    await session.flush()
    return previous.user_id if previous else None


async def role_history(*, session: AsyncSession, incident_id: int) -> Sequence[RoleAssignment]:
    """Return every role assignment of the incident, oldest first."""
    query = (
        select(RoleAssignment)
        .where(RoleAssignment.incident_id == incident_id)
        .order_by(col(RoleAssignment.started_at), col(RoleAssignment.id))
    )
    return (await session.exec(query)).all()


def milestones_of(incident: Incident) -> Milestones:
    """Return the incident's milestones; impact start and detection default to the declare."""
    return Milestones(
        started=incident.started_at or incident.created_at,
        detected=incident.detected_at or incident.created_at,
        mitigated=incident.mitigated_at,
        resolved=incident.resolved_at,
    )


async def incident_state(
    session: AsyncSession, incident: Incident, *, with_extras: bool = True
) -> IncidentState:
    """Return the incident as domain state, with its current roles and last update."""
    assert incident.id is not None
    roles: dict[Role, str] = {}
    last_update = None
    if with_extras:
        current = await current_roles(session=session, incident_id=incident.id)
        roles = {Role(role): user for role, user in current.items()}
        last = await last_entry(session=session, incident_id=incident.id)
        last_update = last.text if last is not None and last.text else None
    return IncidentState(
        id=incident.id,
        number=incident.number,
        title=incident.title,
        severity=Severity(incident.severity),
        status=Status(incident.status),
        declared_by=incident.declared_by,
        channel_id=incident.channel_id,
        channel_name=incident.channel_name,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        resolved_at=incident.resolved_at,
        roles=roles,
        last_update=last_update,
        public_name=incident.public_name,
        uid=incident.uid,
        milestones=milestones_of(incident),
    )


def to_entry(row: TimelineEntry) -> Entry:
    """Return a timeline row as a domain entry."""
    assert row.id is not None
    return Entry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        kind=EntryKind(row.kind),
        text=row.text,
        data=json.loads(row.data),
    )
