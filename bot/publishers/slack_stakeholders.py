"""The stakeholders' channel: one headline per incident, edited in place, replies in its thread."""

from __future__ import annotations

from bot.domain.deliveries import Delivery
from bot.domain.model import IncidentState
from bot.publishers.slack_calls import SlackCalls
from bot.slack import stakeholders as render
from storage import incidents as q
from storage import timeline
from storage.db import Database


class Stakeholders:
    """Keeps exactly one top-level message per incident in INCIDENT_ANNOUNCE_CHANNEL."""

    def __init__(
        self, *, db: Database, calls: SlackCalls, channel: str, public_url: str | None
    ) -> None:
        self.db, self.calls, self.channel, self.public_url = db, calls, channel, public_url

    async def refresh(self, state: IncidentState, delivery: Delivery) -> None:
        """Post the headline once, then edit it in place."""
        text, blocks = render.headline(state, public_url=self.public_url)
        async with self.db.read() as session:
            ts = await q.headline_ts(session=session, incident_id=state.id)
        if ts is not None:
            await self.calls.client.chat_update(
                channel=self.channel, ts=ts, text=text, blocks=blocks
            )
            return
        await self._post_headline(state, delivery, text, blocks)

    async def reply(self, state: IncidentState, delivery: Delivery) -> None:
        """Post an announced change in the headline's thread (the resolution broadcast too)."""
        entry_id = delivery.payload.entry_id
        async with self.db.read() as session:
            entry = await timeline.get_entry(session=session, entry_id=entry_id or 0)
            ts = await q.headline_ts(session=session, incident_id=state.id)
        if entry is None:
            return
        if ts is None:  # its headline delivery was superseded by a later one: post it now
            text, blocks = render.headline(state, public_url=self.public_url)
            ts = await self._post_headline(state, delivery, text, blocks)
        text, broadcast = render.thread_reply(state, entry)
        await self.calls.post_once(
            self.channel, delivery, text=text, thread_ts=ts, reply_broadcast=broadcast
        )

    async def _post_headline(
        self, state: IncidentState, delivery: Delivery, text: str, blocks: render.Blocks
    ) -> str:
        ts = await self.calls.post_once(
            self.channel, delivery, text=text, blocks=blocks, part="headline"
        )
        async with self.db.write(background=True) as session:
            await q.set_headline_ts(session=session, incident_id=state.id, ts=ts)
        return ts
