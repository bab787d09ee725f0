"""Atlassian Statuspage's REST API v1, paced under its per-key rate limit."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.config import Secret
from bot.publishers.base import DeliveryError
from bot.publishers.pace import Busy, Pace, Rate

_KEY = "statuspage"


class NotFound(DeliveryError):
    """Statuspage answered 404."""


class StatuspageClient:
    """Statuspage's REST API v1, paced under its per-key rate limit."""

    def __init__(
        self,
        *,
        http: aiohttp.ClientSession,
        base_url: str,
        page_id: str,
        api_key: Secret,
        rate: float,
    ) -> None:
        self.http, self.base_url, self.page_id = http, base_url.rstrip("/"), page_id
        self._auth = {"Authorization": f"OAuth {api_key.reveal()}"}
        # One key, one limit: a 429 to any delivery pauses them all for the time asked.
        self.pace, self._rate = Pace(max_wait=5.0), Rate(1.0 / rate)

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request under /pages/{page_id}; map failures to DeliveryError."""
        try:
            await self.pace.take([_KEY], {_KEY: self._rate})
        except Busy as busy:
            raise DeliveryError(str(busy), retry_after=busy.retry_after) from busy
        url = f"{self.base_url}/pages/{self.page_id}{path}"
        try:
            async with self.http.request(
                method, url, json=body, headers=self._auth, timeout=aiohttp.ClientTimeout(total=15)
            ) as response:
                if response.status in (420, 429):
                    after = response.headers.get("Retry-After", "")
                    seconds = float(after) if after.isdigit() else 5.0
                    self.pace.pause(_KEY, seconds)
                    raise DeliveryError(
                        f"Statuspage rate limit ({response.status})", retry_after=seconds
                    )
                if response.status in (401, 403):
                    raise DeliveryError(
                        f"Statuspage refused the API key ({response.status})", permanent=True
                    )
                if response.status == 404:
                    raise NotFound(f"Statuspage: {method} {path} not found", permanent=True)
                if response.status == 422:
                    detail = (await response.text())[:300]
                    raise DeliveryError(f"Statuspage refused the data: {detail}", permanent=True)
                if response.status >= 400:
                    raise DeliveryError(f"Statuspage answered {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"Statuspage unreachable: {type(error).__name__}") from error
