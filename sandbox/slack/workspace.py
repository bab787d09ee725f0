"""The emulated workspace: its people, channels and messages, and what the app has done there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sandbox.slack.args import Json, SlackError, arg, new_id
from sandbox.slack.records import APP_ID, BOT_ID, Bucket, EmChannel, EmMessage, EmUser

__all__ = ["APP_ID", "BOT_ID", "Bucket", "EmChannel", "EmMessage", "EmUser", "Method", "Workspace"]


class Workspace:
    """Everything the emulated Slack remembers; the Web API families read and change it."""

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str,
        team_id: str,
        bot_user_id: str,
        users: Iterable[EmUser],
        channels: Iterable[tuple[str, str]],
        base_url: Callable[[], str],
        team_domain: str = "warroom-emulator",
        scopes: frozenset[str] | None = None,
        rate_scale: float = 1.0,
    ) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self.team_id, self.bot_user_id = team_id, bot_user_id
        self.team_domain = team_domain
        self.scopes = scopes  # the bot token's granted scopes; None: every scope
        self.base_url = base_url
        self.users: dict[str, EmUser] = {bot_user_id: EmUser(bot_user_id, "warroom", "Warroom")}
        self.users[bot_user_id].is_bot = True
        self.users.update({u.id: u for u in users})
        now = int(time.time())
        self.channels: dict[str, EmChannel] = {
            cid: EmChannel(cid, name, bot_user_id, now, members=set(self.users))
            for cid, name in channels
        }
        self.messages: list[EmMessage] = []
        self.pins: dict[str, list[str]] = {}  # channel id -> pinned message timestamps
        self.ephemerals: list[Json] = []
        self.responses: list[Json] = []  # bodies POSTed to response URLs
        self.views: list[Json] = []  # views.open/push: {"trigger_id", "view", "user_id"}
        self.calls: list[tuple[str, Json]] = []  # every Web API call: (method, arguments)
        self.call_times: list[float] = []  # time.monotonic() each call in `calls` arrived
        self.rate_scale = rate_scale  # multiplies every rate-limit window; 0: no limits
        self.rate_limited: list[tuple[str, str | None, float]] = []  # 429s: method, channel, when
        self.buckets: dict[tuple[str, str | None], Bucket] = {}  # rate-limit token buckets
        self.files: dict[str, Json] = {}
        self.canvases: dict[str, str] = {}  # channel id -> the channel canvas's markdown
        self.usergroups: dict[str, set[str]] = {}  # user group id (S...) -> member user ids
        self.usergroup_handles: dict[str, str] = {}  # user group id -> its @handle (else id)
        self.bookmarks: dict[str, list[Json]] = {}  # channel id -> its bookmarks, oldest first
        self.trigger_ttl = 3.0
        self.triggers: dict[str, float] = {}  # trigger id -> time.monotonic() when issued
        self.trigger_users: dict[str, str] = {}  # trigger id -> the user whose action issued it
        self.response_ids: set[str] = set()
        self.open_views: dict[str, Json] = {}
        self.homes: dict[str, Json] = {}  # user id -> their Home tab's view (views.publish)
        self.uploaded: set[str] = set()  # file ids whose bytes were uploaded
        self._last_us = 0

    # ----- reading -------------------------------------------------------------------
    def channel_by_name(self, name: str) -> EmChannel | None:
        """Find a (possibly archived) channel by name."""
        name = name.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def history(self, channel_id: str) -> list[EmMessage]:
        """Return a channel's messages, oldest first, thread replies included."""
        return [m for m in self.messages if m.channel == channel_id]

    def in_channel(self, m: EmMessage) -> bool:
        """Return whether a message shows in the channel itself: a parent or a broadcast reply."""
        return m.thread_ts in (None, m.ts) or m.broadcast

    def user(self, user_id: str) -> EmUser:
        """Return a user, or refuse with user_not_found."""
        if user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def channel(self, p: Json, key: str = "channel") -> EmChannel:
        """Return the channel named by argument `key`, as far as the bot may see it."""
        ch = self.channels.get(arg(p, key))
        if ch is None or (ch.is_private and self.bot_user_id not in ch.members):
            raise SlackError("channel_not_found")
        return ch

    def writable(self, ch: EmChannel) -> EmChannel:
        """Return the channel if the bot may write to it."""
        if ch.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in ch.members:
            raise SlackError("not_in_channel")
        return ch

    def target(self, ref: str) -> EmChannel:
        """Return where a post to `ref` (channel id, name, or user id for a DM) goes."""
        return self.writable(self.channel({"channel": self.resolve(ref)}))

    def resolve(self, ref: str) -> str:
        """Return the channel id `ref` (id, name, or user id for a DM) names; ref if none."""
        ch = self.channels.get(ref) or self.channel_by_name(ref)
        if ch is None and ref[:1] in "UW" and ref in self.users:
            ch = self.dm(ref)
        return ch.id if ch else ref

    def dm(self, user_id: str) -> EmChannel:
        """Return the bot's DM with a user, opening it if it is not open yet."""
        found = next((c for c in self.channels.values() if c.is_im and user_id in c.members), None)
        return found or self._open_dm(user_id)

    def _open_dm(self, user_id: str) -> EmChannel:
        ch = EmChannel(
            new_id("D"),
            user_id,
            user_id,
            int(time.time()),
            is_private=True,
            members={user_id, self.bot_user_id},
            is_im=True,
        )
        self.channels[ch.id] = ch
        return ch

    def message(self, channel_id: str, ts: str) -> EmMessage:
        """Return the message at ts in a channel, or refuse with message_not_found."""
        found = next((m for m in self.messages if m.channel == channel_id and m.ts == ts), None)
        if found is None:
            raise SlackError("message_not_found")
        return found

    # ----- writing -------------------------------------------------------------------
    def next_ts(self) -> str:
        """Return a fresh message timestamp, unique and increasing like Slack's."""
        self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def append(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[Json] | None = None,
        thread_ts: str | None = None,
        metadata: Json | None = None,
        *,
        broadcast: bool = False,
    ) -> EmMessage:
        """Add a message to a channel and return it."""
        msg = EmMessage(channel, self.next_ts(), user, text, blocks, thread_ts, metadata)
        msg.broadcast = broadcast and thread_ts is not None
        self.messages.append(msg)
        return msg


Method = Callable[[Workspace, Json], Json]
