"""What every listener needs, built once in bot.app and passed in."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import UnknownUser
from bot.domain.model import Severity
from bot.service import IncidentService
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


@dataclass(frozen=True)
class Deps:
    service: IncidentService
    background: Background
    directory: Directory
    default_severity: Severity
    ack_budget: float = 2.0
