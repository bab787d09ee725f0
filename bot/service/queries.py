"""Reads: an incident with its timeline, the open incidents."""

from __future__ import annotations

from bot.domain.errors import TryAgain
from bot.domain.replies import IncidentsListed, SummaryShown, TimelineShown
from bot.service.context import Context
from bot.service.unit import incident_in, incident_numbered
from storage import incidents as q
from storage.timeline import list_entries


async def is_incident_channel(ctx: Context, *, channel_id: str) -> bool:
    """Return whether the channel belongs to an incident."""
    async with ctx.db.read() as session:
        found = await q.get_incident_by_channel(session=session, channel_id=channel_id)
        return found is not None


async def channel_of(ctx: Context, *, number: int, viewer: str) -> str:
    """Return the channel of INC-<number>, for a command that names its incident; a private
    incident only for its members (to anyone else, it is not there)."""
    async with ctx.db.read() as session:
        incident = await incident_numbered(session, number, viewer=viewer)
    if incident.channel_id is None:
        raise TryAgain(f"INC-{number}'s channel is still being created.", hint="Try again soon.")
    return incident.channel_id


async def show_timeline(ctx: Context, *, channel_id: str) -> TimelineShown:
    """Return the incident of this channel and its timeline."""
    async with ctx.db.read() as session:
        incident = await incident_in(session, channel_id)
        assert incident.id is not None
        entries = await list_entries(session=session, incident_id=incident.id)
        return TimelineShown(await q.incident_state(session, incident), entries)


async def show_summary(ctx: Context, *, channel_id: str) -> SummaryShown:
    """Return the incident of this channel with its roles and last update."""
    async with ctx.db.read() as session:
        incident = await incident_in(session, channel_id)
        return SummaryShown(await q.incident_state(session, incident))


async def list_open_incidents(ctx: Context, *, viewer: str) -> IncidentsListed:
    """Return the open incidents `viewer` may see (private ones only to members), newest first."""
    async with ctx.db.read() as session:
        rows = await q.list_open_incidents(session=session, viewer=viewer)
        states = [await q.incident_state(session, row, with_roles=False) for row in rows]
    return IncidentsListed(states)
