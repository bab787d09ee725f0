"""Who is a member of a private incident, followed from its private channel's membership."""

from __future__ import annotations

from bot.service.context import Context
from storage import incidents as q
from storage.members import add_members, remove_member
from storage.once import claim_once


async def follow_membership(
    ctx: Context, *, channel_id: str, user_id: str, joined: bool, event_id: str | None
) -> bool:
    """Make someone who joined a private incident's channel a member; one who left, not.

    Return whether it changed anything (a public incident's channel has no members to keep).
    """
    async with ctx.db.write() as session:
        incident = await q.get_incident_by_channel(session=session, channel_id=channel_id)
        if incident is None or incident.id is None or not incident.private:
            return False
        if event_id and not await claim_once(
            session=session, key=f"event:{event_id}", now=ctx.clock()
        ):
            return False  # Slack redelivered an event that already took effect
        if joined:
            await add_members(
                session=session, incident_id=incident.id, user_ids=(user_id,), now=ctx.clock()
            )
        else:
            await remove_member(session=session, incident_id=incident.id, user_id=user_id)
    return True
