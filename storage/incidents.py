"""Queries on incident rows, and the incident as domain state."""

from __future__ import annotations

import functools
import secrets
import string
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.milestones import Milestones
from bot.domain.model import CLOSED, IncidentState, Severity, Status
from storage.connection import connection
from storage.counters import INCIDENT_NUMBER, bump_counter
from storage.deferred import kept
from storage.driver import Row, Statement, driver
from storage.models import Incident
from storage.roles import current_roles
from storage.timeline import has_public_entry, last_text
from storage.visibility import visible_to

_TABLE = Incident.__table__  # type: ignore[attr-defined]
_COLUMNS = tuple(column.name for column in _TABLE.columns)

_CLOSED = sorted(status.value for status in CLOSED)


def new_uid() -> str:
    """Return a public incident ID: 12 lowercase letters and digits, like Statuspage's."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))


async def create_incident(
    *,
    session: AsyncSession,
    title: str,
    severity: Severity,
    declared_by: str,
    origin_channel_id: str | None,
    now: datetime,
    private: bool = False,
) -> Incident:
    """Insert a new incident, investigating, with the next number."""
    incident = Incident(
        number=await bump_counter(session=session, name=INCIDENT_NUMBER),
        uid=new_uid(),
        title=title,
        severity=severity.value,
        status=Status.INVESTIGATING.value,
        declared_by=declared_by,
        origin_channel_id=origin_channel_id,
        created_at=now,
        updated_at=now,
        private=private,
    )
    session.add(incident)
    await session.flush()
    return incident


async def serialize_declarer(*, session: AsyncSession, user_id: str) -> None:
    """On PostgreSQL, make one person's concurrent declares wait for each other."""
    conn = await connection(session)
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:user))"), {"user": user_id})


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


async def get_incident(
    *, session: AsyncSession, incident_id: int, for_update: bool = False
) -> Incident | None:
    """Return the incident with this database ID; lock its row when about to change it."""
    query = select(Incident).where(Incident.id == incident_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def get_incident_by_channel(
    *, session: AsyncSession, channel_id: str, for_update: bool = False
) -> Incident | None:
    """Return the incident whose channel this is; lock its row when about to change it."""
    query = select(Incident).where(Incident.channel_id == channel_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


def detach(session: AsyncSession, incident: Incident) -> dict[str, object]:
    """Take a locked incident out of the unit of work; return its columns as they stand.

    The hot path of a change writes it back with `save_changes` (one Core UPDATE of what
    changed) instead of the unit of work's flush, which cost an eighth of a change's CPU.
    """
    if incident in session:
        session.expunge(incident)
    return columns_of(incident)


def columns_of(incident: Incident) -> dict[str, object]:
    """Return the incident's column values (read from the instance, not through its
    attribute descriptors: this runs twice on every change)."""
    loaded = vars(incident)
    return {name: loaded[name] if name in loaded else getattr(incident, name) for name in _COLUMNS}


async def save_changes(
    *, session: AsyncSession, incident: Incident, before: dict[str, object]
) -> dict[str, object]:
    """Write the columns of a detached incident that changed since `before`; return them all."""
    now = columns_of(incident)
    changed = dict(now.items() - before.items())  # every column value is hashable
    if changed:
        how = functools.partial(_update, incident.id)
        later = kept(session)
        if later is not None:  # written with the batch's other writes (storage/deferred.py)
            later.update(("incident", incident.id), changed, how)
        else:
            await (await driver(session)).execute(*how(changed))
    return now


def _update(row_id: int | None, changed: Mapping[str, object]) -> tuple[Statement, Row]:
    """Return the UPDATE of the incident's columns `changed`, and its values."""
    params = {f"new_{name}": value for name, value in changed.items()}
    return _update_of(frozenset(changed)), {"row_id": row_id, **params}


@functools.cache
def _update_of(names: frozenset[str]) -> Statement:
    """Return the UPDATE of these columns, built once (and compiled once per dialect)."""
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in sorted(names)}
    return Statement(update(_TABLE).where(_TABLE.c.id == bindparam("row_id")).values(values))


async def get_incident_by_number(
    *, session: AsyncSession, number: int, viewer: str | None = None
) -> Incident | None:
    """Return the incident INC-<number>; with `viewer`, only if they may see it."""
    query = select(Incident).where(Incident.number == number)
    if viewer is not None:
        query = query.where(visible_to(viewer))
    return (await session.exec(query)).first()


async def list_open_incidents(*, session: AsyncSession, viewer: str) -> Sequence[Incident]:
    """Return the unresolved incidents `viewer` may see, newest first."""
    query = (
        select(Incident)
        .where(col(Incident.status).not_in(_CLOSED), visible_to(viewer))
        .order_by(col(Incident.number).desc())
    )
    return (await session.exec(query)).all()


async def set_channel(
    *, session: AsyncSession, incident_id: int, channel_id: str, name: str
) -> None:
    """Record the incident's Slack channel."""
    incident = await session.get(Incident, incident_id)
    assert incident is not None
    incident.channel_id, incident.channel_name = channel_id, name
    session.add(incident)


async def summary_ts(*, session: AsyncSession, incident_id: int) -> str | None:
    """Return the ts of the incident's pinned summary, once posted."""
    incident = await session.get(Incident, incident_id)
    return incident.summary_ts if incident is not None else None


async def set_summary_ts(*, session: AsyncSession, incident_id: int, ts: str) -> None:
    """Record where the pinned summary was posted."""
    incident = await session.get(Incident, incident_id)
    assert incident is not None
    incident.summary_ts = ts
    session.add(incident)


async def headline_ts(*, session: AsyncSession, incident_id: int) -> str | None:
    """Return the ts of the incident's headline in the stakeholders' channel, once posted."""
    incident = await session.get(Incident, incident_id)
    return incident.headline_ts if incident is not None else None


async def set_headline_ts(*, session: AsyncSession, incident_id: int, ts: str) -> None:
    """Record where the stakeholders' headline was posted."""
    incident = await session.get(Incident, incident_id)
    assert incident is not None
    incident.headline_ts = ts
    session.add(incident)


async def set_statuspage_id(
    *, session: AsyncSession, incident_id: int, remote_id: str, url: str | None = None
) -> None:
    """Record the Atlassian Statuspage incident that mirrors this one, and its public link."""
    incident = await session.get(Incident, incident_id)
    assert incident is not None
    incident.statuspage_id = remote_id
    incident.statuspage_url = url or incident.statuspage_url
    session.add(incident)


def milestones_of(incident: Incident) -> Milestones:
    """Return the incident's milestones; impact start and detection default to the declare."""
    return Milestones(
        started=incident.started_at or incident.created_at,
        detected=incident.detected_at or incident.created_at,
        mitigated=incident.mitigated_at,
        resolved=incident.resolved_at,
    )


async def incident_state(
    session: AsyncSession, incident: Incident, *, with_roles: bool = True
) -> IncidentState:
    """Return the incident as domain state; roles and last update only when asked for."""
    assert incident.id is not None
    roles, last_update, public = None, None, False
    if with_roles:
        roles = await current_roles(session=session, incident_id=incident.id)
        last_update = await last_text(session=session, incident_id=incident.id)
        public = not incident.private and await has_public_entry(
            session=session, incident_id=incident.id
        )
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
        cadence=cadence_of(incident),
        next_update_at=incident.next_update_at,
        last_update_at=incident.last_update_at,
        public=public,
        statuspage_url=incident.statuspage_url,
        channel_archived=incident.channel_archived,
        private=incident.private,
    )


def cadence_of(incident: Incident) -> timedelta | None:
    """Return the incident's update cadence; None when reminders are off."""
    seconds = incident.cadence_seconds
    return timedelta(seconds=seconds) if seconds is not None else None


async def load_state(
    *, session: AsyncSession, incident_id: int, with_roles: bool = True
) -> IncidentState | None:
    """Return the incident with this database ID as domain state, if it exists."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        return None
    return await incident_state(session, incident, with_roles=with_roles)


async def take_due_reminders(
    *, session: AsyncSession, now: datetime, limit: int, skip_locked: bool
) -> list[int]:
    """Move every overdue incident's next reminder a cadence past now; return their IDs.

    The caller owes each a reminder in the same transaction, so a due time yields exactly one
    reminder, whichever replica takes it; one missed while nobody ran yields one, not many.
    """
    query = (
        select(Incident)
        .where(
            col(Incident.remind_at) <= now,
            col(Incident.status).not_in(_CLOSED),
            col(Incident.cadence_seconds).is_not(None),
        )
        .order_by(col(Incident.remind_at))
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    due: list[int] = []
    for incident in (await session.exec(query)).all():
        cadence = cadence_of(incident)
        assert incident.id is not None
        assert cadence is not None
        incident.remind_at = now + cadence  # the update itself stays due since next_update_at
        session.add(incident)
        due.append(incident.id)
    return due


async def mark_archived(*, session: AsyncSession, incident_id: int) -> bool:
    """Record that the incident's channel is archived; return whether that is news."""
    incident = await get_incident(session=session, incident_id=incident_id, for_update=True)
    if incident is None or incident.channel_archived:
        return False
    incident.channel_archived = True
    session.add(incident)
    return True


async def set_archived_by_channel(
    *, session: AsyncSession, channel_id: str, archived: bool
) -> int | None:
    """Follow a channel being archived or unarchived; return its incident's ID, if any."""
    incident = await get_incident_by_channel(
        session=session, channel_id=channel_id, for_update=True
    )
    if incident is None or incident.id is None:
        return None
    incident.channel_archived = archived
    session.add(incident)
    return incident.id


async def is_archived(*, session: AsyncSession, incident_id: int) -> bool:
    """Return whether the incident's channel is known to be archived."""
    incident = await session.get(Incident, incident_id)
    return incident is not None and incident.channel_archived
