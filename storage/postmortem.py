"""Follow-up actions, people's names, and everything a post-mortem draft is made of."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.model import Role, Severity, Status
from bot.domain.postmortem import Action, PostmortemData, RoleTerm, people_in
from storage.actions import to_action
from storage.incidents import milestones_of
from storage.models import FollowUp, Incident, Person
from storage.roles import role_history
from storage.timeline import list_entries


async def add_follow_up(
    *,
    session: AsyncSession,
    incident_id: int,
    text: str,
    owner_id: str | None,
    created_by: str,
    now: datetime,
    priority: str | None = None,
    due_on: date | None = None,
) -> FollowUp:
    """Add a follow-up action with the next number of its incident."""
    query = select(func.max(FollowUp.number)).where(FollowUp.incident_id == incident_id)
    number = ((await session.exec(query)).one() or 0) + 1
    row = FollowUp(
        incident_id=incident_id,
        number=number,
        text=text,
        owner_id=owner_id,
        created_by=created_by,
        created_at=now,
        priority=priority,
        due_on=due_on,
    )
    session.add(row)
    await session.flush()
    return row


async def list_follow_ups(*, session: AsyncSession, incident_id: int) -> Sequence[FollowUp]:
    """Return the incident's follow-up actions by number."""
    query = (
        select(FollowUp).where(FollowUp.incident_id == incident_id).order_by(col(FollowUp.number))
    )
    return (await session.exec(query)).all()


async def open_actions(*, session: AsyncSession, incident_id: int) -> list[Action]:
    """Return the incident's follow-up actions not done yet."""
    rows = await list_follow_ups(session=session, incident_id=incident_id)
    return [to_action(r) for r in rows if not r.done]


async def get_follow_up(*, session: AsyncSession, incident_id: int, number: int) -> FollowUp | None:
    """Return follow-up action <number> of the incident."""
    query = select(FollowUp).where(FollowUp.incident_id == incident_id, FollowUp.number == number)
    return (await session.exec(query)).first()


async def remember_person(
    *, session: AsyncSession, user_id: str, name: str, tz: str | None, now: datetime
) -> None:
    """Store or refresh a person's display name and time zone."""
    row = await session.get(Person, user_id)
    if row is None:
        row = Person(user_id=user_id, name=name, tz=tz, updated_at=now)
    else:
        row.name, row.tz, row.updated_at = name, tz or row.tz, now
    session.add(row)


async def names_of(*, session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    """Return the known display names of these users."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = (await session.exec(select(Person).where(col(Person.user_id).in_(ids)))).all()
    return {row.user_id: row.name for row in rows}


async def load_postmortem_of(*, session: AsyncSession, incident_id: int) -> PostmortemData:
    """Gather the draft of the incident with this database ID."""
    incident = await session.get(Incident, incident_id)
    assert incident is not None
    return await load_postmortem(session=session, incident=incident)


async def load_postmortem(*, session: AsyncSession, incident: Incident) -> PostmortemData:
    """Gather what the draft is made of; names are those stored so far."""
    assert incident.id is not None
    entries = await list_entries(session=session, incident_id=incident.id)
    terms = [
        RoleTerm(Role(r.role), r.user_id, r.started_at, r.ended_at)
        for r in await role_history(session=session, incident_id=incident.id)
    ]
    actions = [
        to_action(a) for a in await list_follow_ups(session=session, incident_id=incident.id)
    ]
    data = PostmortemData(
        ref=f"INC-{incident.number}",
        title=incident.title,
        public_name=incident.public_name,
        severity=Severity(incident.severity),
        status=Status(incident.status),
        declared_by=incident.declared_by,
        created_at=incident.created_at,
        milestones=milestones_of(incident),
        roles=terms,
        timeline=entries,
        actions=actions,
        uid=incident.uid,
        channel_id=incident.channel_id,
        channel_name=incident.channel_name,
        statuspage_url=incident.statuspage_url,
    )
    return replace(data, names=await names_of(session=session, user_ids=people_in(data)))
