"""The deliverers' Slack client: every Web API call waits its turn under Slack's limits.

Slack limits each method per workspace (its tiers) and posts per channel (about one a
second). A 429 pauses that method, or that channel's posts, for every delivery, for as long
as Slack's Retry-After asks; posts are paced per channel so that bursts rarely reach a 429.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.publishers.pace import Pace, Rate

_POST = "chat.postMessage"


class PacedClient(AsyncWebClient):
    """An AsyncWebClient whose calls take their turn in a shared Pace."""

    def __init__(self, *, pace: Pace, post_interval: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pace, self.post_rate = pace, Rate(post_interval, burst=2)

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | aiohttp.FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        """Wait for the method's (and the channel's) turn, call Slack, and learn from a 429."""
        key = f"slack:{api_method}"
        channel = _channel(json, params, data)
        if api_method == _POST and channel:
            key = f"slack:post:{channel}"  # Slack's posting limit is per channel
        async with self.pace.slot(key):
            await self.pace.take([key], {key: self.post_rate} if api_method == _POST else {})
            return await self._call(
                key,
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )

    async def _call(self, key: str, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            if error.response.status_code == 429:
                self.pace.pause(key, retry_after(error))
            raise


def retry_after(error: SlackApiError) -> float:
    """Return the seconds Slack asked to wait (1 when it did not say)."""
    headers = error.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0


def _channel(*sources: Any) -> str | None:
    for source in sources:
        if isinstance(source, dict) and source.get("channel"):
            return str(source["channel"])
    return None
