"""The driver's events for what people do in Slack, and the reply the bot gives a delivery.

`SlackDriver` mixes `PeopleEvents` in: each method builds the event Slack would send after a
person's act (see `sandbox.slack.events`) and delivers it with the driver's signed `event`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from sandbox.slack import events
from sandbox.slack.args import Json
from sandbox.slack.events import Snapshot

if TYPE_CHECKING:
    from sandbox.slack_emulator import SlackEmulator


@dataclass
class DriverReply:
    status: int
    body: str
    json: dict[str, Any] | None
    elapsed: float

    @property
    def text(self) -> str:
        """Return the ack's visible text: JSON `text`, or a plain-text body as Slack shows it."""
        if self.json is not None:
            return str(self.json.get("text") or "")
        return self.body if self.status == 200 else ""


class Delivery(TypedDict, total=False):
    """How an event is delivered: its id (to send one twice), and whether it is a retry."""

    event_id: str | None
    retry_num: int | None


class PeopleEvents(ABC):
    """Deliver the events that follow people's edits, deletions, reactions and archiving."""

    emulator: SlackEmulator

    @abstractmethod
    async def event(
        self, event: Json, *, event_id: str | None = None, retry_num: int | None = None
    ) -> DriverReply:
        """Deliver an Events API event_callback (optionally as a retry)."""

    async def message_posted(
        self, channel_id: str, message: Snapshot, **delivery: Unpack[Delivery]
    ) -> DriverReply:
        """Deliver the `message` event for a post (a thread reply carries thread_ts)."""
        event = events.message_posted(self.emulator.state, channel_id, message)
        return await self.event(event, **delivery)

    async def message_changed(
        self, channel_id: str, before: Snapshot, after: Snapshot, **delivery: Unpack[Delivery]
    ) -> DriverReply:
        """Deliver `message_changed`: a person edited `before` (a snapshot) into `after`."""
        event = events.message_changed(self.emulator.state, channel_id, before, after)
        return await self.event(event, **delivery)

    async def message_deleted(
        self, channel_id: str, message: Snapshot, **delivery: Unpack[Delivery]
    ) -> DriverReply:
        """Deliver `message_deleted` for a message a person deleted."""
        event = events.message_deleted(self.emulator.state, channel_id, message)
        return await self.event(event, **delivery)

    async def channel_archive(
        self, channel_id: str, user_id: str, **delivery: Unpack[Delivery]
    ) -> DriverReply:
        """Deliver `channel_archive` (`group_archive` for a private channel)."""
        event = events.channel_archive(self.emulator.state, channel_id, user_id, True)
        return await self.event(event, **delivery)

    async def channel_unarchive(
        self, channel_id: str, user_id: str, **delivery: Unpack[Delivery]
    ) -> DriverReply:
        """Deliver `channel_unarchive` (`group_unarchive` for a private channel)."""
        event = events.channel_archive(self.emulator.state, channel_id, user_id, False)
        return await self.event(event, **delivery)

    async def member_joined(
        self, channel_id: str, user_id: str, *, by: str | None = None, **delivery: Unpack[Delivery]
    ) -> DriverReply | None:
        """A person joins a channel (`by`: a member adds them; a private channel needs one).

        As Slack, member_joined_channel reaches the bot only from a channel it is in: from a
        private channel it is not in, nothing (the channel is invisible to it). Returns None
        when no event was sent.
        """
        ch = self.emulator.state.channels[channel_id]
        if ch.is_private and (by is None or by not in ch.members):
            raise PermissionError(f"only a member of private {channel_id} can add people to it")
        ch.members.add(user_id)
        return await self._membership(channel_id, user_id, True, delivery)

    async def member_left(
        self, channel_id: str, user_id: str, **delivery: Unpack[Delivery]
    ) -> DriverReply | None:
        """A person leaves a channel; the bot hears of it only from a channel it is in."""
        ch = self.emulator.state.channels[channel_id]
        if user_id not in ch.members:
            raise LookupError(f"{user_id} is not in {channel_id}")
        ch.members.discard(user_id)
        return await self._membership(channel_id, user_id, False, delivery)

    async def _membership(
        self, channel_id: str, user_id: str, joined: bool, delivery: Delivery
    ) -> DriverReply | None:
        ws = self.emulator.state
        if ws.bot_user_id not in ws.channels[channel_id].members:
            return None
        event = events.member_channel(ws, channel_id, user_id, joined=joined)
        return await self.event(event, **delivery)

    async def reaction_added(
        self,
        user_id: str,
        channel_id: str,
        ts: str,
        reaction: str = "pushpin",
        **delivery: Unpack[Delivery],
    ) -> DriverReply:
        """Deliver `reaction_added`: user_id reacted to the message at ts."""
        event = events.reaction_added(self.emulator.state, user_id, channel_id, ts, reaction)
        return await self.event(event, **delivery)
