"""Capture Slack messages people asked to keep: read them (text, author, link), then record.

A capture is an outbox row like any delivery, so a 429 or a Slack outage only delays it.
When the message is truly gone or unreadable, the person who asked is told, privately.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.capture import Captured, unreadable
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.publishers.base import DeliveryError, not_mine
from bot.publishers.pace import Busy
from bot.publishers.slack_calls import SlackCalls, guarded
from bot.slack.direct import capture_failed
from storage import incidents as q
from storage.db import Database

log = logging.getLogger(__name__)
Record = Callable[[int, Captured], Awaitable[bool]]
K = DeliveryKind


class Capturer:
    """Delivers message captures: the Slack reads they need, then the timeline entry."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.SLACK_READ)

    def __init__(self, *, db: Database, client: AsyncWebClient, record: Record) -> None:
        self.db, self.client, self.record = db, client, record
        self.calls = SlackCalls(client)

    async def deliver(self, delivery: Delivery) -> None:
        """Carry out one capture."""
        if delivery.kind is not K.MESSAGE_CAPTURE:
            raise not_mine(delivery)
        await guarded(self._capture(delivery))

    async def _capture(self, delivery: Delivery) -> None:
        payload, incident_id = delivery.payload, delivery.incident_id
        channel, ts, by = payload.channel or "", payload.ts or "", payload.user or ""
        if incident_id is None or not channel or not ts:
            raise DeliveryError("a capture without its message", permanent=True)
        author, text = payload.author, payload.text
        if author is None or text is None:  # a :pushpin: names the message only: read it
            message = await self._read(channel, ts)
            author = str(message.get("user") or message.get("bot_id") or "unknown")
            text = str(message.get("text") or "")
        link = await self._permalink(channel, ts)
        await self.record(incident_id, Captured(channel, ts, author, text, by, link))

    async def _read(self, channel: str, ts: str) -> dict[str, Any]:
        # reactions.get returns exactly this message, a thread reply as well as a parent
        # (conversations.history lists parents only); its scope, reactions:read, we have.
        response = await self.calls.joined(
            channel, lambda: self.client.reactions_get(channel=channel, timestamp=ts, full=True)
        )
        message = response.get("message") or {}
        if message.get("ts") != ts:
            raise DeliveryError("message_not_found", permanent=True)
        return dict(message)

    async def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            response = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError as error:
            if error.response.status_code == 429 or error.response.get("error") == "ratelimited":
                raise
            return None  # a link is a convenience: the entry is kept without one
        return str(response.get("permalink") or "") or None

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell the person who asked to keep the message, privately, that it could not be."""
        payload = delivery.payload
        if not dead or delivery.incident_id is None or not payload.user:
            return
        async with self.db.read() as session:
            state = await q.load_state(
                session=session, incident_id=delivery.incident_id, with_roles=False
            )
        ref = state.ref if state is not None else "the incident"
        text = capture_failed(ref, payload.channel or "", unreadable(error), error)
        await self._tell(payload.user, payload.channel, text)

    async def _tell(self, user: str, channel: str | None, text: str) -> None:
        attempts: list[Callable[[], Awaitable[Any]]] = [
            lambda: self.client.chat_postMessage(channel=user, text=text)
        ]
        if channel:
            attempts.insert(
                0, lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text)
            )
        for attempt in attempts:
            try:
                await attempt()
                return
            except (SlackApiError, aiohttp.ClientError, TimeoutError, Busy) as failure:
                log.warning("could not tell %s about a lost capture: %s", user, failure)
