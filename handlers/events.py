"""Events: a :pushpin: reaction adds the message to the incident's timeline."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.service import pins, queries
from handlers.context import Deps
from handlers.payloads import Reaction

log = logging.getLogger(__name__)
PIN_REACTIONS = frozenset({"pushpin", "round_pushpin"})


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the event listeners."""

    @app.event("reaction_added")
    async def handle_reaction_added_event(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()  # Slack redelivers events not answered within 3 seconds: answer first.
        reaction = Reaction.from_event(event)
        if reaction is None or reaction.reaction not in PIN_REACTIONS:
            return
        event_id = str(body.get("event_id") or "") or None
        deps.background.spawn(_record(deps, client, reaction, event_id), name="pushpin")

    @app.event("reaction_removed")
    async def handle_reaction_removed_event(ack: AsyncAck) -> None:
        await ack()


async def _record(
    deps: Deps, client: AsyncWebClient, reaction: Reaction, event_id: str | None
) -> None:
    if not await queries.is_incident_channel(deps.ctx, channel_id=reaction.channel_id):
        return
    response = await client.conversations_history(
        channel=reaction.channel_id, latest=reaction.message_ts, inclusive=True, limit=1
    )
    messages = response.get("messages") or []
    message = next((m for m in messages if m.get("ts") == reaction.message_ts), None)
    if message is None:
        log.info("pinned message %s not found", reaction.message_ts)
        return
    await pins.record_pinned_message(
        deps.ctx,
        channel_id=reaction.channel_id,
        message_ts=reaction.message_ts,
        author_id=str(message.get("user") or message.get("bot_id") or "unknown"),
        text=str(message.get("text") or ""),
        pinned_by=reaction.user_id,
        event_id=event_id,
    )
