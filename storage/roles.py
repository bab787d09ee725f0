"""Role assignments: who held which role, and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.model import Role
from storage.models import RoleAssignment


async def current_roles(*, session: AsyncSession, incident_id: int) -> dict[Role, str]:
    """Return role -> user ID for the roles held now."""
    query = select(RoleAssignment).where(
        RoleAssignment.incident_id == incident_id, col(RoleAssignment.ended_at).is_(None)
    )
    return {Role(row.role): row.user_id for row in (await session.exec(query)).all()}


async def assign_role(
    *,
    session: AsyncSession,
    incident_id: int,
    role: Role,
    user_id: str,
    assigned_by: str,
    now: datetime,
) -> str | None:
    """Give `role` to `user_id`, ending the previous holder's term; return that holder."""
    query = select(RoleAssignment).where(
        RoleAssignment.incident_id == incident_id,
        RoleAssignment.role == role.value,
        col(RoleAssignment.ended_at).is_(None),
    )
    previous = (await session.exec(query)).first()
    if previous is not None:
        previous.ended_at = now
        session.add(previous)
    session.add(
        RoleAssignment(
            incident_id=incident_id,
            role=role.value,
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
