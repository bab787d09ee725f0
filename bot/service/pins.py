"""Messages added to the timeline with a :pushpin: reaction."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.entries import Pinned
from bot.service.context import Context
from bot.service.unit import Work
from storage import incidents as q
from storage.once import claim_once
from storage.timeline import has_entry_from


async def record_pinned_message(
    ctx: Context,
    *,
    channel_id: str,
    message_ts: str,
    author_id: str,
    text: str,
    pinned_by: str,
    event_id: str | None = None,
) -> bool:
    """Add a :pushpin:-ed message to the timeline once; return whether it was new."""
    async with ctx.db.write() as session:
        if event_id is not None and not await claim_once(
            session=session, key=f"event:{event_id}", now=ctx.clock()
        ):
            return False  # Slack redelivered an event that already took effect
        incident = await q.get_incident_by_channel(
            session=session, channel_id=channel_id, for_update=True
        )
        if incident is None or incident.id is None:
            return False
        if await has_entry_from(session=session, incident_id=incident.id, source_ts=message_ts):
            return False
        work = Work(ctx, session, incident, ctx.clock())
        at = datetime.fromtimestamp(float(message_ts), UTC)
        entry = await work.record(author_id, Pinned(pinned_by), text, at=at, source_ts=message_ts)
        work.post(entry)
        work.flush()
    ctx.on_commit()
    return True
