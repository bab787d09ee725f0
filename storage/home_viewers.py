"""The Home tab's viewers: who opened it, which version of the incidents their Home shows,
and the leases that keep two replicas from publishing the same refresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HomeViewer, Incident, IncidentMember


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
    change one (an incident declared, a channel made, an entry recorded, someone joining or
    leaving a private incident), in any order."""
    members = select(
        func.count(col(IncidentMember.id)), func.coalesce(func.max(col(IncidentMember.id)), 0)
    )
    query = select(
        func.count(col(Incident.id)),
        func.count(col(Incident.channel_id)),
        func.coalesce(func.sum(col(Incident.entry_count)), 0),
    )
    incidents, channels, entries = (await session.exec(query)).one()
    # Someone joining or leaving a private incident changes who sees it: count and newest.
    joined, newest = (await session.exec(members)).one()
    return f"{incidents}.{channels}.{entries}.{joined}.{newest}"


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
