"""Reads for the public status page: incidents that may be public, and their public entries."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.entries import MAYBE_PUBLIC
from bot.domain.model import Severity, Status
from bot.domain.public import IncidentRecord, Mirrored
from storage.models import Incident, TimelineEntry
from storage.timeline import to_entry

# Entries the public page reads: those that may be public (status changes give context too).
_KINDS = [kind.value for kind in MAYBE_PUBLIC]


async def load_records(*, session: AsyncSession, since: datetime) -> list[IncidentRecord]:
    """Return open incidents and those resolved since `since`, with their public entries."""
    incidents = (
        await session.exec(
            select(Incident).where(
                or_(col(Incident.resolved_at).is_(None), col(Incident.resolved_at) >= since)
            )
        )
    ).all()
    if not incidents:
        return []
    by_incident: dict[int, list[TimelineEntry]] = defaultdict(list)
    ids = [i.id for i in incidents if i.id is not None]
    for start in range(0, len(ids), 500):  # stay under bound-parameter limits
        query = (
            select(TimelineEntry)
            .where(
                col(TimelineEntry.incident_id).in_(ids[start : start + 500]),
                col(TimelineEntry.kind).in_(_KINDS),
            )
            .order_by(col(TimelineEntry.incident_id), col(TimelineEntry.seq))
        )
        for row in (await session.exec(query)).all():
            by_incident[row.incident_id].append(row)
    return [
        IncidentRecord(
            id=incident.id,
            uid=incident.uid,
            number=incident.number,
            name=incident.public_name or incident.title,
            severity=Severity(incident.severity),
            status=Status(incident.status),
            created_at=incident.created_at,
            resolved_at=incident.resolved_at,
            entries=[to_entry(e) for e in by_incident[incident.id]],
            postmortem=incident.postmortem_public,
        )
        for incident in incidents
        if incident.id is not None and by_incident[incident.id]
    ]


async def load_mirrored(*, session: AsyncSession, incident_id: int) -> Mirrored | None:
    """Return what Statuspage mirrors of the incident."""
    incident = await session.get(Incident, incident_id)
    if incident is None or incident.id is None:
        return None
    return Mirrored(
        id=incident.id,
        uid=incident.uid,
        name=incident.public_name or incident.title,
        severity=Severity(incident.severity),
        remote_id=incident.statuspage_id,
        postmortem=incident.postmortem_public,
    )
