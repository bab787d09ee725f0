"""Reads for the public status page: incidents that may be public, and their public entries.

The page's reads are plain rows, fetched a slice at a time: turning them into records is pure
work that the page does off the event loop (`to_records`), so a rebuild never stalls it.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import entries as e
from bot.domain.entries import MAYBE_PUBLIC
from bot.domain.model import Severity, Status
from bot.domain.public import IncidentRecord, Mirrored
from storage.connection import connection
from storage.models import Incident, TimelineEntry
from storage.timeline import decode, to_entry
from storage.visibility import not_private

# Entries the public page reads: those that may be public (status changes give context too),
# and milestones (a corrected impact start moves the availability bars).
_KINDS = [kind.value for kind in (*MAYBE_PUBLIC, e.EntryKind.MILESTONE)]
_I = Incident.__table__.c  # type: ignore[attr-defined]
_E = TimelineEntry.__table__.c  # type: ignore[attr-defined]
_INCIDENTS = select(
    _I.id, _I.uid, _I.number, _I.public_name, _I.title, _I.severity, _I.status,
    _I.created_at, _I.resolved_at, _I.postmortem_public,
)  # fmt: skip
_ENTRIES = select(
    _E.incident_id, _E.id, _E.at, _E.actor_id, _E.kind, _E.text, _E.data, _E.seq,
    _E.edited_ts, _E.deleted,
)  # fmt: skip
_MAYBE_PUBLIC = [kind.value for kind in MAYBE_PUBLIC]
_SLICE = 100  # incidents per query: bounded parameters, and short turns on the event loop


Rows = list[Any]  # SQLAlchemy Rows (attribute access by column name)


@dataclass
class PublicRows:
    """The raw rows the public page is built from."""

    incidents: Rows = field(default_factory=list)
    entries: Rows = field(default_factory=list)


async def load_public_rows(*, session: AsyncSession, since: datetime) -> PublicRows:
    """Return open incidents and those resolved since `since`, with the entries the page reads;
    never a private incident (nothing of it is public)."""
    conn = await connection(session)
    recent = or_(_I.resolved_at.is_(None), _I.resolved_at >= since)
    query = _INCIDENTS.where(recent, not_private())
    rows = PublicRows(list((await conn.execute(query)).all()))
    ids = [row.id for row in rows.incidents]
    for start in range(0, len(ids), _SLICE):
        query = _ENTRIES.where(
            _E.incident_id.in_(ids[start : start + _SLICE]), _E.kind.in_(_KINDS)
        ).order_by(_E.incident_id, _E.seq)
        rows.entries.extend((await conn.execute(query)).all())
        await asyncio.sleep(0)  # let acks and page requests in between slices
    return rows


def _entry(row: Row[Any]) -> e.Entry:
    return e.Entry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        text="" if row.deleted else row.text,
        fact=decode(e.EntryKind(row.kind), json.loads(row.data)),
        seq=row.seq,
        edited=row.edited_ts is not None,
        deleted=row.deleted,
    )


def to_records(rows: PublicRows) -> list[IncidentRecord]:
    """Return the incidents that have entries the page reads, as records. Pure: thread-safe."""
    by_incident: dict[int, list[e.Entry]] = defaultdict(list)
    for row in rows.entries:
        by_incident[row.incident_id].append(_entry(row))
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
            entries=by_incident[incident.id],
            postmortem=incident.postmortem_public,
        )
        for incident in rows.incidents
        if by_incident[incident.id]
    ]


async def load_records(*, session: AsyncSession, since: datetime) -> list[IncidentRecord]:
    """Return open incidents and those resolved since `since`, with their public entries."""
    return to_records(await load_public_rows(session=session, since=since))


async def load_mirrored(*, session: AsyncSession, incident_id: int) -> Mirrored | None:
    """Return what Statuspage mirrors of the incident; nothing of a private one."""
    incident = await session.get(Incident, incident_id)
    if incident is None or incident.id is None or incident.private:
        return None
    return Mirrored(
        id=incident.id,
        uid=incident.uid,
        name=incident.public_name or incident.title,
        severity=Severity(incident.severity),
        remote_id=incident.statuspage_id,
        postmortem=incident.postmortem_public,
    )


async def has_published(*, session: AsyncSession, incident_id: int) -> bool:
    """Return whether the incident has a public incident: any public entry, a resolve with a
    message included (its status pages show it)."""
    query = model_select(TimelineEntry).where(
        TimelineEntry.incident_id == incident_id,
        col(TimelineEntry.kind).in_(_MAYBE_PUBLIC),
    )
    return any(e.is_public(to_entry(row)) for row in (await session.exec(query)).all())
