"""What a Home tab lists: open incidents, the viewer's own, the last resolved.

Every incident query here is filtered by `storage.visibility.visible_to(viewer)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.home import HomeData, HomeIncident, Limits
from bot.domain.model import CLOSED, Role, Severity, Status
from storage.models import Incident, RoleAssignment
from storage.visibility import visible_to

_CLOSED = sorted(status.value for status in CLOSED)  # resolved, or canceled (a false alarm)


async def home_data(
    *, session: AsyncSession, user_id: str, limits: Limits, now: datetime
) -> HomeData:
    """Return what `user_id`'s Home shows, at most `limits` rows per list, with the totals."""
    seen = visible_to(user_id)
    is_open = col(Incident.status).not_in(_CLOSED)
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
            .where(col(Incident.status).in_(_CLOSED), seen)
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
        .where(*_holding(user_id))
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
        .where(*_holding(user_id))
    )
    return int((await session.exec(query)).one())


def _holding(user_id: str) -> tuple[Any, ...]:
    """Return the where-clause of the open incidents, visible to them, where `user_id` holds
    a role now (over Incident joined with RoleAssignment)."""
    return (
        RoleAssignment.user_id == user_id,
        col(RoleAssignment.ended_at).is_(None),
        col(Incident.status).not_in(_CLOSED),
        visible_to(user_id),
    )


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
