"""Slack messages kept on the timeline: by :pushpin: or the message shortcut, captured once
through the outbox, and followed through their edits and deletion in Slack."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.capture import Captured
from bot.domain.deliveries import DeliveryKind, Owed, Payload
from bot.domain.entries import Pinned
from bot.service.context import Context
from bot.service.unit import Work, incident_in, incident_numbered
from storage import incidents as q
from storage import timeline
from storage.models import Incident
from storage.once import claim_once
from storage.outbox import enqueue


@dataclass(frozen=True)
class Kept:
    """What keeping a message did: which incident, and whether it was new there."""

    ref: str
    new: bool


async def keep_pinned(
    ctx: Context, *, channel_id: str, message_ts: str, by: str, event_id: str | None
) -> bool:
    """Owe the capture of a message :pushpin:-ed in an incident channel; return if new."""
    async with ctx.db.write() as session:
        incident = await q.get_incident_by_channel(session=session, channel_id=channel_id)
        if incident is None:
            return False  # a pin anywhere else is none of ours
        if not await _first(ctx, session, event_id and f"event:{event_id}"):
            return False  # Slack redelivered an event that already took effect
        payload = Payload(user=by, channel=channel_id, ts=message_ts)
        new = await _owe_capture(ctx, session, incident, payload)
    ctx.on_commit()
    return new


async def keep_message(
    ctx: Context,
    *,
    number: int | None,
    channel_id: str,
    message_ts: str,
    by: str,
    author: str | None,
    text: str | None,
) -> Kept:
    """Owe the capture of a message (the shortcut): to INC-<number>, else to the incident
    whose channel it was written in. Its text travels with it when known (none to read back)."""
    async with ctx.db.write() as session:
        if number is None:
            incident = await incident_in(session, channel_id)
        else:
            incident = await incident_numbered(session, number, viewer=by)
        payload = Payload(user=by, channel=channel_id, ts=message_ts, author=author, text=text)
        new = await _owe_capture(ctx, session, incident, payload)
    ctx.on_commit()
    return Kept(f"INC-{incident.number}", new)


async def _first(ctx: Context, session: AsyncSession, key: str | None) -> bool:
    return key is None or await claim_once(session=session, key=key, now=ctx.clock())


async def _owe_capture(
    ctx: Context, session: AsyncSession, incident: Incident, payload: Payload
) -> bool:
    incident_id, ts = incident.id, payload.ts or ""
    assert incident_id is not None
    if await timeline.has_entry_from(session=session, incident_id=incident_id, source_ts=ts):
        return False
    owed = Owed(DeliveryKind.MESSAGE_CAPTURE, payload)
    enqueue(session=session, incident_id=incident_id, owed=owed, now=ctx.clock())
    return True


async def record_captured(ctx: Context, *, incident_id: int, message: Captured) -> bool:
    """Add a message read from Slack to the timeline once, at the incident's next place."""
    async with ctx.db.write() as session:
        incident = await q.get_incident(session=session, incident_id=incident_id, for_update=True)
        if incident is None or await timeline.has_entry_from(
            session=session, incident_id=incident_id, source_ts=message.ts
        ):
            return False  # a pin and a shortcut of one message: the first one counts
        work = Work(ctx, session, incident, ctx.clock())
        fact = Pinned(message.by, message.channel, message.permalink)
        source = (message.channel, message.ts)
        entry = await work.record(message.author, fact, message.text, at=message.at, source=source)
        work.post(entry)
        await work.flush()
    ctx.on_commit()
    return True


async def follow_edit(
    ctx: Context,
    *,
    channel_id: str,
    message_ts: str,
    text: str,
    edited_ts: str,
    event_id: str | None,
) -> int:
    """Bring kept copies of an edited message up to date; return how many changed."""
    if not await _is_kept(ctx, (channel_id, message_ts)):
        return 0  # most edits are of messages nobody kept: no write at all
    async with ctx.db.write() as session:
        if not await _first(ctx, session, event_id and f"event:{event_id}"):
            return 0
        changed = await timeline.apply_edit(
            session=session, source=(channel_id, message_ts), text=text, edited_ts=edited_ts
        )
        _refresh(ctx, session, changed)
    ctx.on_commit()
    return len(changed)


async def follow_delete(
    ctx: Context, *, channel_id: str, message_ts: str, event_id: str | None
) -> int:
    """Mark kept copies of a deleted message as deleted by its author; return how many."""
    if not await _is_kept(ctx, (channel_id, message_ts)):
        return 0
    async with ctx.db.write() as session:
        if not await _first(ctx, session, event_id and f"event:{event_id}"):
            return 0
        changed = await timeline.apply_delete(session=session, source=(channel_id, message_ts))
        _refresh(ctx, session, changed)
    ctx.on_commit()
    return len(changed)


async def _is_kept(ctx: Context, source: tuple[str, str]) -> bool:
    async with ctx.db.read() as session:
        return await timeline.is_kept(session=session, source=source)


def _refresh(ctx: Context, session: AsyncSession, changed: list[tuple[int, int]]) -> None:
    """Owe the edit of each changed entry's post in its incident channel."""
    for incident_id, entry_id in changed:
        owed = Owed(DeliveryKind.ENTRY_REFRESH, Payload(entry_id=entry_id))
        enqueue(session=session, incident_id=incident_id, owed=owed, now=ctx.clock())
