"""GitHub's REST API for one repository's issues, under GitHub's documented rate-limit rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from bot.config import Secret
from bot.publishers.base import DeliveryError
from bot.publishers.pace import Busy, Pace

_KEY = "github"
_API_VERSION = "2022-11-28"


class GithubClient:
    """Calls under /repos/{owner}/{name}; maps GitHub's answers to DeliveryError."""

    def __init__(
        self,
        *,
        http: aiohttp.ClientSession,
        base_url: str,
        repo: str,
        token: Secret,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http, self.base_url, self.repo, self.clock = http, base_url.rstrip("/"), repo, clock
        self._headers = {
            "Authorization": f"Bearer {token.reveal()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": _API_VERSION,
            "User-Agent": "warroom",
        }
        # One token, one limit: a rate-limited answer pauses every delivery for the time asked.
        self.pace = Pace(max_wait=5.0)

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request under the repository; return the JSON answer."""
        try:
            await self.pace.take([_KEY], {})
        except Busy as busy:
            raise DeliveryError(str(busy), retry_after=busy.retry_after, deferred=True) from busy
        url = f"{self.base_url}/repos/{self.repo}{path}"
        timeout = aiohttp.ClientTimeout(total=15)
        try:
            async with self.http.request(
                method, url, json=body, params=params, headers=self._headers, timeout=timeout
            ) as response:
                if response.status < 300:
                    return await response.json(content_type=None)
                detail = await _message(response)
                raise self._failure(response.status, response.headers, detail, f"{method} {path}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"GitHub unreachable: {type(error).__name__}") from error

    def _failure(
        self, status: int, headers: Mapping[str, str], detail: str, what: str
    ) -> DeliveryError:
        wait = _rate_limited(status, headers, detail, self.clock())
        if wait is not None:
            self.pace.pause(_KEY, wait)
            return DeliveryError(f"GitHub rate limit ({status})", retry_after=wait)
        if status >= 500:
            return DeliveryError(f"GitHub answered {status}")
        said = f": {detail}" if detail else ""
        match status:
            case 401:
                return DeliveryError("GitHub refused the token (401)", permanent=True)
            case 404:
                return DeliveryError(
                    f"GitHub: {what} not found (404): check GITHUB_REPO and that the token "
                    "can see the repository",
                    permanent=True,
                )
            case 422:
                return DeliveryError(f"GitHub refused the data (422){said}", permanent=True)
            case _:
                return DeliveryError(f"GitHub answered {status}{said}", permanent=True)


def _rate_limited(status: int, headers: Mapping[str, str], detail: str, now: float) -> float | None:
    """Return how long to wait when the answer is a primary or secondary rate limit.

    GitHub: 403 or 429; `retry-after` seconds if present, else until `x-ratelimit-reset` when
    `x-ratelimit-remaining` is 0, else (a secondary limit) at least a minute.
    """
    if status not in (403, 429):
        return None
    after = headers.get("Retry-After", "")
    if after.isdigit():
        return float(after)
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(1.0, float(reset) - now)
    if status == 429 or "rate limit" in detail.lower():
        return 60.0
    return None  # a 403 that is no limit: the token may not do this


async def _message(response: aiohttp.ClientResponse) -> str:
    try:
        data = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return ""
    return str(data.get("message") or "")[:300] if isinstance(data, dict) else ""
