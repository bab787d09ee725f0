"""An incident channel unarchived in Slack gets what it missed while archived."""

from __future__ import annotations

from bot.service.context import Context
from storage import incidents as q
from storage.outbox import revive_with

ARCHIVED_ERROR = "is_archived"  # what Slack answers a post to an archived channel


async def follow_unarchive(ctx: Context, *, channel_id: str) -> int:
    """Queue again what the channel could not take while archived; return how many.

    The channel is marked archived by the first post that failed (which told the commander
    once); unarchiving clears that, so a later archiving is told again.
    """
    async with ctx.db.write() as session:
        incident_id = await q.set_archived_by_channel(
            session=session, channel_id=channel_id, archived=False
        )
        if incident_id is None:
            return 0
        revived = await revive_with(
            session=session, incident_id=incident_id, error=ARCHIVED_ERROR, now=ctx.clock()
        )
    ctx.on_commit()
    return revived
