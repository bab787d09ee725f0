"""An archived incident channel: say once what it missed, and post it all when it is back.

Slack answers `is_archived` to every post; no retry can succeed and a bot cannot unarchive.
The first such failure owes one notice to the commander (else the declarer), sent after the
rest of the queue has failed too, so it quotes everything missed. Unarchiving the channel
(the `channel_unarchive` event) queues it all again; so does the notice, if it finds the
channel unarchived already (the event can overtake the refusals being recorded).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Owed
from bot.domain.model import IncidentState, Role
from bot.domain.text import one_line
from bot.publishers.slack_calls import SlackCalls
from bot.slack.direct import archived_notice
from bot.slack.format import who
from bot.slack.replies import short_line
from storage import incidents as q
from storage import outbox, timeline
from storage.db import Database

ARCHIVED = "is_archived"


class ArchivedChannel:
    """Turns `is_archived` failures into one notice, and what it lists."""

    def __init__(self, *, db: Database, calls: SlackCalls, clock: Clock) -> None:
        self.db, self.calls, self.clock = db, calls, clock

    async def failed(self, delivery: Delivery) -> None:
        """Note a post lost to an archived channel; the first one owes the notice."""
        assert delivery.incident_id is not None
        async with self.db.write(background=True) as session:
            if await q.mark_archived(session=session, incident_id=delivery.incident_id):
                owed = Owed(DeliveryKind.ARCHIVED_NOTICE)
                outbox.enqueue(
                    session=session, incident_id=delivery.incident_id, owed=owed, now=self.clock()
                )

    async def notice(self, state: IncidentState, delivery: Delivery) -> None:
        """DM the commander (else the declarer) what could not be posted, if still archived.

        Unarchived meanwhile (the event may have come before the refusals were recorded):
        what was refused is queued again instead, so nothing waits for a second unarchive.
        """
        info = await self.calls.client.conversations_info(channel=state.channel_id or "")
        still = bool((info.get("channel") or {}).get("is_archived"))
        async with self.db.write(background=True) as session:
            if not still or not await q.is_archived(session=session, incident_id=state.id):
                await q.set_archived_by_channel(
                    session=session, channel_id=state.channel_id or "", archived=False
                )
                await outbox.revive_with(
                    session=session, incident_id=state.id, error=ARCHIVED, now=self.clock()
                )
                return
            lost = await outbox.dead_with(session=session, incident_id=state.id, error=ARCHIVED)
            missed = [await self._describe(session, state, row) for row in lost]
        target = (state.roles or {}).get(Role.COMMANDER) or state.declared_by
        await self.calls.post_once(target, delivery, text=archived_notice(state, missed))

    async def _describe(self, session: AsyncSession, state: IncidentState, row: Delivery) -> str:
        entry_id = row.payload.entry_id
        if row.kind is DeliveryKind.ENTRY_POST and entry_id is not None:
            entry = await timeline.get_entry(session=session, entry_id=entry_id)
            if entry is not None:
                return f"{who(entry.actor_id)} {one_line(short_line(state, entry), 300)}"
        return f"I could not {row.kind.spec.what}."
