"""Events: a :pushpin: keeps a message; edits and deletions of kept messages are followed;
an unarchived incident channel gets what it missed while archived; who joins or leaves a
private incident's channel is a member of it, or no longer.

Bolt acknowledges events before the listener runs, so each listener records what it learnt
at once, in one transaction keyed by the event ID (a redelivery changes nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.errors import TryAgain
from bot.service import archive, members, pins
from handlers.context import Deps
from handlers.message_payloads import MessageDeleted, MessageEdited
from handlers.payloads import Reaction

log = logging.getLogger(__name__)
PIN_REACTIONS = frozenset({"pushpin", "round_pushpin"})
_FOLLOWED = ("message_changed", "message_deleted")


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the event listeners."""

    @app.event("reaction_added")
    async def handle_reaction_added_event(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]
    ) -> None:
        await ack()
        reaction = Reaction.from_event(event)
        if reaction is None or reaction.reaction not in PIN_REACTIONS:
            return
        if event.get("item_user") and event.get("item_user") == _bot_user(body):
            return  # warroom's own posts are the timeline already
        _record(
            deps,
            lambda: pins.keep_pinned(
                deps.ctx,
                channel_id=reaction.channel_id,
                message_ts=reaction.message_ts,
                by=reaction.user_id,
                event_id=_event_id(body),
            ),
        )

    @app.event({"type": "message", "subtype": _FOLLOWED})
    async def handle_message_changed_event(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]
    ) -> None:
        await ack()
        edited, deleted = MessageEdited.from_event(event), MessageDeleted.from_event(event)
        if (event.get("message") or {}).get("user") == _bot_user(body):
            return  # warroom editing its own posts (the summary, entries): never kept
        event_id = _event_id(body)
        if event.get("subtype") == "message_changed" and edited is not None:
            _record(deps, lambda: pins.follow_edit(deps.ctx, **vars(edited), event_id=event_id))
        elif event.get("subtype") == "message_deleted" and deleted is not None:
            _record(deps, lambda: pins.follow_delete(deps.ctx, **vars(deleted), event_id=event_id))

    @app.event("message")
    async def handle_message_event(ack: AsyncAck) -> None:
        await ack()  # other messages are not ours to keep: only kept ones are followed

    @app.event("channel_unarchive")
    async def handle_channel_unarchive_event(ack: AsyncAck, event: dict[str, Any]) -> None:
        await ack()
        channel = str(event.get("channel") or "")
        _record(deps, lambda: archive.follow_unarchive(deps.ctx, channel_id=channel))

    @app.event("reaction_removed")
    async def handle_reaction_removed_event(ack: AsyncAck) -> None:
        await ack()

    _register_membership(app, deps)


def _register_membership(app: AsyncApp, deps: Deps) -> None:
    """Follow who joins and leaves a private incident's channel: its members."""

    @app.event("member_joined_channel")
    @app.event("member_left_channel")
    async def handle_member_channel_event(
        ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]
    ) -> None:
        await ack()
        channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
        if not channel or not user or user == _bot_user(body):
            return
        joined = event.get("type") == "member_joined_channel"
        _record(
            deps,
            lambda: members.follow_membership(
                deps.ctx,
                channel_id=channel,
                user_id=user,
                joined=joined,
                event_id=_event_id(body),
            ),
        )


def _bot_user(body: dict[str, Any]) -> str | None:
    authorizations = body.get("authorizations") or [{}]
    return str(authorizations[0].get("user_id") or "") or None


def _event_id(body: dict[str, Any]) -> str | None:
    return str(body.get("event_id") or "") or None


def _record(deps: Deps, work: Callable[[], Awaitable[object]]) -> None:
    """Record what the event says at once; while the database is away, keep trying."""
    deps.background.spawn(persist(work), name="event")


async def persist(work: Callable[[], Awaitable[object]], tries: int = 8) -> None:
    """Run `work` (recording an event); while the database is away, keep trying."""
    # Slack never redelivers an acknowledged event: this process is the only copy of it.
    for attempt in range(tries):
        try:
            await work()
            return
        except TryAgain:
            await asyncio.sleep(min(30.0, 0.5 * 2**attempt))
    log.error("an event could not be recorded: the database stayed unavailable")
