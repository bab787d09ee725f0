"""The Home tab's queries: its viewers (who opened it, what it last showed) and its lists.

Every incident query here is filtered by `storage.visibility.visible_to(viewer)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.home import HomeData, HomeIncident, Limits
from bot.domain.model import Role, Severity, Status
from storage.models import HomeViewer, Incident, RoleAssignment
from storage.visibility import visible_to

_RESOLVED = Status.RESOLVED.value


async def record_opened(*, session: AsyncSession, user_id: str, now: datetime) -> None:
    """Remember that `user_id` opened the Home tab: their Home is published at the next turn."""
    viewer = await session.get(HomeViewer, user_id)
    if viewer is None:
        viewer = HomeViewer(user_id=user_id, opened_at=now, next_try_at=now)
    viewer.opened_at, viewer.next_try_at, viewer.attempts = now, now, 0
    viewer.shown_version = None  # opened: publish even if nothing changed
    session.add(viewer)


async def incidents_version(*, session: AsyncSession) -> str:
    """Return a version of everything a Home shows: it changes with every commit that could
    change one (an incident declared, a channel made, an entry recorded), in any order."""
    query = select(
        func.count(col(Incident.id)),
        func.count(col(Incident.channel_id)),
        func.coalesce(func.sum(col(Incident.entry_count)), 0),
    )
    incidents, channels, entries = (await session.exec(query)).one()
    return f"{incidents}.{channels}.{entries}"


def _due(*, now: datetime, version: str, since: datetime, every: timedelta) -> list[Any]:
    """Return the where-clause of viewers (opened since `since`) whose Home is behind
    `version`, published no sooner than `every` ago, not backing off, and not leased."""
    return [
        col(HomeViewer.opened_at) >= since,
        or_(col(HomeViewer.shown_version).is_(None), col(HomeViewer.shown_version) != version),
        or_(col(HomeViewer.published_at).is_(None), col(HomeViewer.published_at) <= now - every),
        col(HomeViewer.next_try_at) <= now,
        or_(col(HomeViewer.locked_until).is_(None), col(HomeViewer.locked_until) < now),
    ]


async def any_due(
    *, session: AsyncSession, now: datetime, version: str, since: datetime, every: timedelta
) -> bool:
    """Return whether some viewer's Home is due (a read: most rounds find none)."""
    due = _due(now=now, version=version, since=since, every=every)
    query = select(HomeViewer.user_id).where(*due)
    return (await session.exec(query.limit(1))).first() is not None


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    version: str,
    since: datetime,
    every: timedelta,
    lease: timedelta,
    limit: int,
    skip_locked: bool,
) -> list[HomeViewer]:
    """Lease due viewers (see `_due`): each replica publishes different ones."""
    query = (
        select(HomeViewer)
        .where(*_due(now=now, version=version, since=since, every=every))
        .order_by(col(HomeViewer.next_try_at))
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    viewers = list((await session.exec(query)).all())
    for viewer in viewers:
        viewer.locked_until = now + lease
        session.add(viewer)
    return viewers


async def settle(
    *,
    session: AsyncSession,
    user_id: str,
    now: datetime,
    version: str,
    view_hash: str | None,
    published: bool,
) -> None:
    """Record that the viewer's Home now shows `version` (published, or already the same)."""
    viewer = await session.get(HomeViewer, user_id)
    if viewer is None:
        return
    viewer.shown_version, viewer.locked_until, viewer.attempts = version, None, 0
    if view_hash is not None:
        viewer.view_hash = view_hash
    if published:
        viewer.published_at = now
    session.add(viewer)


async def put_off(*, session: AsyncSession, user_id: str, until: datetime, tried: bool) -> None:
    """Give the viewer back, to try again at `until` (a failed try counts toward backoff)."""
    viewer = await session.get(HomeViewer, user_id)
    if viewer is None:
        return
    viewer.locked_until, viewer.next_try_at = None, until
    viewer.attempts += 1 if tried else 0
    session.add(viewer)


async def forget(*, session: AsyncSession, user_id: str) -> None:
    """Stop keeping a viewer's Home current (Slack no longer knows them)."""
    viewer = await session.get(HomeViewer, user_id)
    if viewer is not None:
        await session.delete(viewer)


async def home_data(
    *, session: AsyncSession, user_id: str, limits: Limits, now: datetime
) -> HomeData:
    """Return what `user_id`'s Home shows, at most `limits` rows per list, with the totals."""
    seen = visible_to(user_id)
    is_open = Incident.status != _RESOLVED
    open_rows = (
        await session.exec(
            select(Incident)
            .where(is_open, seen)
            .order_by(col(Incident.severity), col(Incident.number).desc())
            .limit(limits.open)
        )
    ).all()
    mine = await _mine(session, user_id, limits.mine)
    resolved = (
        await session.exec(
            select(Incident)
            .where(Incident.status == _RESOLVED, seen)
            .order_by(col(Incident.resolved_at).desc(), col(Incident.number).desc())
            .limit(limits.resolved)
        )
    ).all()
    shown = [*open_rows, *(i for i, _ in mine), *resolved]
    commanders = await _commanders(session, [i.id for i in shown if i.id is not None])
    return HomeData(
        viewer=user_id,
        now=now,
        open=[_row(i, commanders) for i in open_rows],
        open_total=await _count(session, is_open, seen),
        mine=[_row(i, commanders, roles) for i, roles in mine],
        mine_total=await _count_mine(session, user_id),
        resolved=[_row(i, commanders) for i in resolved],
    )


async def _mine(
    session: AsyncSession, user_id: str, limit: int
) -> list[tuple[Incident, tuple[Role, ...]]]:
    query = (
        select(Incident, RoleAssignment.role)
        .join(RoleAssignment, col(RoleAssignment.incident_id) == col(Incident.id))
        .where(
            RoleAssignment.user_id == user_id,
            col(RoleAssignment.ended_at).is_(None),
            Incident.status != _RESOLVED,
            visible_to(user_id),
        )
        .order_by(col(Incident.severity), col(Incident.number).desc())
    )
    grouped: dict[int, tuple[Incident, list[Role]]] = {}
    for incident, role in (await session.exec(query)).all():
        grouped.setdefault(incident.id or 0, (incident, []))[1].append(Role(role))
    return [(i, tuple(roles)) for i, roles in list(grouped.values())[:limit]]


async def _count_mine(session: AsyncSession, user_id: str) -> int:
    query = (
        select(func.count(func.distinct(col(Incident.id))))
        .join(RoleAssignment, col(RoleAssignment.incident_id) == col(Incident.id))
        .where(
            RoleAssignment.user_id == user_id,
            col(RoleAssignment.ended_at).is_(None),
            Incident.status != _RESOLVED,
            visible_to(user_id),
        )
    )
    return int((await session.exec(query)).one())


async def _count(session: AsyncSession, *where: object) -> int:
    query = select(func.count()).select_from(Incident).where(*where)  # type: ignore[arg-type]
    return int((await session.exec(query)).one())


async def _commanders(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(RoleAssignment.incident_id, RoleAssignment.user_id).where(
        col(RoleAssignment.incident_id).in_(set(ids)),
        RoleAssignment.role == Role.COMMANDER.value,
        col(RoleAssignment.ended_at).is_(None),
    )
    return dict((await session.exec(query)).all())


def _row(
    incident: Incident, commanders: dict[int, str], roles: tuple[Role, ...] = ()
) -> HomeIncident:
    assert incident.id is not None
    return HomeIncident(
        number=incident.number,
        title=incident.title,
        severity=Severity(incident.severity),
        status=Status(incident.status),
        commander=commanders.get(incident.id),
        channel_id=incident.channel_id,
        created_at=incident.created_at,
        resolved_at=incident.resolved_at,
        roles=roles,
    )
