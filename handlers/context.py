"""What every listener needs, built once in bot.app and passed in."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import TryAgain, UnknownUser
from bot.service.context import Caller, Context
from bot.tasks import Background


@dataclass
class Directory:
    """Checks that mentioned users exist, without ever holding up an ack for long."""

    client: AsyncWebClient
    timeout: float = 1.0
    known: set[str] = field(default_factory=set)
    zones: dict[str, str] = field(default_factory=dict)

    async def zone(self, user_id: str) -> tuple[ZoneInfo, bool]:
        """Return the user's Slack time zone, and whether it is really theirs (else UTC)."""
        if user_id not in self.zones:
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self.client.users_info(user=user_id)
                self.zones[user_id] = str((response.get("user") or {}).get("tz") or "UTC")
            except (SlackApiError, TimeoutError, aiohttp.ClientError):
                return ZoneInfo("UTC"), False
        try:
            return ZoneInfo(self.zones[user_id]), True
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC"), False

    async def check(self, user_id: str) -> None:
        """Raise UnknownUser when Slack says the user does not exist; pass if Slack is slow."""
        if user_id in self.known:
            return
        try:
            async with asyncio.timeout(self.timeout):
                await self.client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                raise UnknownUser(
                    f"I can't find the user `{user_id}` in this workspace.",
                    hint="Mention someone from Slack's @ list, or write `me`.",
                ) from None
            return
        except (TimeoutError, aiohttp.ClientError):
            return
        self.known.add(user_id)


@dataclass
class Responders:
    """Members of RESPONDERS_USERGROUP, read from Slack and cached for five minutes."""

    client: AsyncWebClient
    group: str
    ttl: float = 300.0
    members: frozenset[str] | None = None
    read_at: float = 0.0

    async def includes(self, user_id: str) -> bool:
        """Return whether the user is a responder; a stale list serves while Slack fails."""
        if self.members is None or time.monotonic() - self.read_at > self.ttl:
            try:
                async with asyncio.timeout(2.0):
                    response = await self.client.usergroups_users_list(usergroup=self.group)
                self.members = frozenset(response.get("users") or [])
                self.read_at = time.monotonic()
            except (SlackApiError, TimeoutError, aiohttp.ClientError):
                if self.members is None:
                    raise TryAgain(
                        "I can't check who the responders are right now (Slack "
                        "isn't answering). Try again in a moment."
                    ) from None
        return user_id in (self.members or frozenset())


@dataclass(frozen=True)
class Deps:
    """What every listener needs, built once in bot.app."""

    ctx: Context
    background: Background
    directory: Directory
    ack_budget: float  # seconds a command may work before the 'still working' reply
    responders: Responders | None = None

    async def caller(self, user_id: str) -> Caller:
        """Return who asks, and whether they are a responder (asked of Slack when
        RESPONDERS_USERGROUP is set; None otherwise)."""
        group = self.responders
        return Caller(user_id, await group.includes(user_id) if group is not None else None)
