"""Atlassian Statuspage's REST API v1, paced under its per-key rate limit."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bot.config import Secret
from bot.publishers.base import DeliveryError


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
        self._interval = 1.0 / rate
        self._next = 0.0
        self._pace = asyncio.Lock()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request under /pages/{page_id}; map failures to DeliveryError."""
        async with self._pace:
            wait = self._next - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next = time.monotonic() + self._interval
        url = f"{self.base_url}/pages/{self.page_id}{path}"
        try:
            async with self.http.request(
                method, url, json=body, headers=self._auth, timeout=aiohttp.ClientTimeout(total=15)
            ) as response:
                if response.status in (420, 429):
                    after = response.headers.get("Retry-After", "")
                    raise DeliveryError(
                        f"Statuspage rate limit ({response.status})",
                        retry_after=float(after) if after.isdigit() else 5.0,
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
