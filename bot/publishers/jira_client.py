"""Jira Cloud's REST API v3, with basic auth (email and API token) and its rate-limit rules."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.config import Secret
from bot.publishers.base import DeliveryError
from bot.publishers.pace import Busy, Pace

_KEY = "jira"


class JiraClient:
    """Calls under /rest/api/3 of one site; maps Jira's answers to DeliveryError."""

    def __init__(
        self, *, http: aiohttp.ClientSession, base_url: str, email: str, token: Secret
    ) -> None:
        self.http, self.base_url = http, base_url.rstrip("/")
        pair = base64.b64encode(f"{email}:{token.reveal()}".encode()).decode()
        self._headers = {"Authorization": f"Basic {pair}", "Accept": "application/json"}
        # One account, one limit: a 429 pauses every delivery for the time Jira asks.
        self.pace = Pace(max_wait=5.0)

    def browse(self, key: str) -> str:
        """Return the link people open to see issue `key`."""
        return f"{self.base_url}/browse/{key}"

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request under /rest/api/3; return the JSON answer (None for 204)."""
        try:
            await self.pace.take([_KEY], {})
        except Busy as busy:
            raise DeliveryError(str(busy), retry_after=busy.retry_after, deferred=True) from busy
        url = f"{self.base_url}/rest/api/3{path}"
        timeout = aiohttp.ClientTimeout(total=15)
        try:
            async with self.http.request(
                method, url, json=body, params=params, headers=self._headers, timeout=timeout
            ) as response:
                if response.status == 204:
                    return None
                if response.status < 300:
                    return await response.json(content_type=None)
                detail = await _message(response)
                raise self._failure(response.status, response.headers, detail, f"{method} {path}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"Jira unreachable: {type(error).__name__}") from error

    def _failure(
        self, status: int, headers: Mapping[str, str], detail: str, what: str
    ) -> DeliveryError:
        wait = _retry_after(headers)
        said = f": {detail}" if detail else ""
        if status == 429 or (status >= 500 and wait is not None):
            seconds = wait if wait is not None else 5.0
            if status == 429:
                self.pace.pause(_KEY, seconds)
            return DeliveryError(f"Jira rate limit ({status})", retry_after=seconds)
        if status >= 500:
            return DeliveryError(f"Jira answered {status}")
        match status:
            case 401:
                return DeliveryError("Jira refused the email and API token (401)", permanent=True)
            case 403:
                return DeliveryError(f"Jira forbids this (403){said}", permanent=True)
            case 404:
                return DeliveryError(
                    f"Jira: {what} not found (404): check JIRA_URL and JIRA_PROJECT",
                    permanent=True,
                )
            case _:
                return DeliveryError(f"Jira refused the data ({status}){said}", permanent=True)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Return Jira's wait: `Retry-After` seconds, else until `X-RateLimit-Reset` (ISO 8601)."""
    after = headers.get("Retry-After", "")
    if after.isdigit():
        return float(after)
    reset = headers.get("X-RateLimit-Reset", "")
    try:
        at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(1.0, (at - datetime.now(UTC)).total_seconds())


async def _message(response: aiohttp.ClientResponse) -> str:
    """Return Jira's error text: `errorMessages` and the per-field `errors`."""
    try:
        data = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(m) for m in data.get("errorMessages") or []]
    parts += [f"{k}: {v}" for k, v in (data.get("errors") or {}).items()]
    return "; ".join(parts)[:300]
