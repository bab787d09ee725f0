"""Follow-up actions as the backlog sees them: edits, tickets, and lists across incidents."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import entries as e
from bot.domain.postmortem import Action
from storage.models import FollowUp, Incident, Person, TimelineEntry
from storage.timeline import to_entry


def to_action(row: FollowUp) -> Action:
    """Return the domain view of a stored action."""
    return Action(
        row.number,
        row.text,
        row.owner_id,
        row.done,
        priority=row.priority,
        due_on=row.due_on,
        ticket_url=row.ticket_url,
        public=row.public,
    )


@dataclass(frozen=True)
class Ticketed:
    """An action as a tracker renders it, with its incident's reference and channel."""

    incident_id: int
    incident_number: int
    incident_uid: str
    channel_id: str | None
    row: FollowUp


async def load_ticketed(*, session: AsyncSession, incident_id: int, number: int) -> Ticketed | None:
    """Return action <number> of the incident, with what its ticket shows."""
    query = (
        select(FollowUp, Incident)
        .join(Incident, col(Incident.id) == col(FollowUp.incident_id))
        .where(FollowUp.incident_id == incident_id, FollowUp.number == number)
    )
    found = (await session.exec(query)).first()
    if found is None:
        return None
    row, incident = found
    return Ticketed(incident_id, incident.number, incident.uid, incident.channel_id, row)


async def set_github_issue(
    *, session: AsyncSession, incident_id: int, number: int, issue: int, url: str | None
) -> None:
    """Remember the GitHub issue action <number> became (and its link, unless Jira's is set)."""
    row = await _get(session, incident_id, number)
    if row is not None:
        row.github_number = issue
        if row.jira_key is None:
            row.ticket_url = url
        session.add(row)


async def set_jira_issue(
    *, session: AsyncSession, incident_id: int, number: int, key: str, url: str | None
) -> None:
    """Remember the Jira issue action <number> became; its link is the one shown."""
    row = await _get(session, incident_id, number)
    if row is not None:
        row.jira_key, row.ticket_url = key, url or row.ticket_url
        session.add(row)


async def ticket_of(*, session: AsyncSession, incident_id: int, number: int) -> str | None:
    """Return the link to action <number>'s ticket, if it has one."""
    row = await _get(session, incident_id, number)
    return row.ticket_url if row is not None else None


@dataclass(frozen=True)
class Listed:
    """One line of `warroom actions`."""

    incident_number: int
    action: Action


async def list_all(
    *, session: AsyncSession, open_only: bool = False, owners: Collection[str] | None = None
) -> list[Listed]:
    """Return actions across incidents (open ones, or those of `owners`), newest incident first."""
    query = select(FollowUp, Incident.number).join(
        Incident, col(Incident.id) == col(FollowUp.incident_id)
    )
    if open_only:
        query = query.where(col(FollowUp.done).is_(False))
    if owners is not None:
        query = query.where(col(FollowUp.owner_id).in_(list(owners)))
    query = query.order_by(col(Incident.number).desc(), col(FollowUp.number))
    rows: Sequence[tuple[FollowUp, int]] = (await session.exec(query)).all()
    return [Listed(n, to_action(row)) for row, n in rows]


async def people_called(*, session: AsyncSession, name: str) -> list[str]:
    """Return the IDs of the people whose stored display name is `name` (any case)."""
    query = select(Person.user_id).where(func.lower(Person.name) == name.lower())
    return list((await session.exec(query)).all())


async def take_overdue(
    *, session: AsyncSession, today: date, limit: int, skip_locked: bool
) -> list[tuple[int, int]]:
    """Mark open actions past their due date as reminded; return their (incident ID, number).

    The caller owes each a reminder in the same transaction: one per action and due date,
    whichever replica takes it (moving the due date arms it again)."""
    query = (
        select(FollowUp)
        .where(
            col(FollowUp.done).is_(False),
            col(FollowUp.due_reminded).is_(False),
            col(FollowUp.due_on) < today,
        )
        .order_by(col(FollowUp.id))
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    due: list[tuple[int, int]] = []
    for row in (await session.exec(query)).all():
        row.due_reminded = True
        session.add(row)
        due.append((row.incident_id, row.number))
    return due


async def _get(session: AsyncSession, incident_id: int, number: int) -> FollowUp | None:
    query = select(FollowUp).where(FollowUp.incident_id == incident_id, FollowUp.number == number)
    return (await session.exec(query)).first()


async def added_entry_id(*, session: AsyncSession, incident_id: int, number: int) -> int | None:
    """Return the ID of the timeline entry that added action <number> (its channel message)."""
    query = select(TimelineEntry).where(
        TimelineEntry.incident_id == incident_id, TimelineEntry.kind == e.EntryKind.ACTION.value
    )
    for row in (await session.exec(query.order_by(col(TimelineEntry.seq)))).all():
        fact = to_entry(row).fact
        if isinstance(fact, e.ActionAdded) and fact.number == number:
            return row.id
    return None
