"""Statuspage's edge: record each request, play queued faults, authenticate, rate-limit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox.statuspage.page import Json, Page, Refusal

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ERRORS = {401: "Could not authenticate", 404: "Not found", 420: "Rate limited"}
_DOWN_PAGE = "<html><body><h1>Statuspage is temporarily unavailable</h1></body></html>"


@dataclass
class Fault:
    method: str  # an HTTP method, or "*"
    path: str  # a path suffix, or "*"
    remaining: int
    status: int = 0  # 0: a delay of `seconds`, then the normal answer
    seconds: float = 0.0
    retry_after: int | None = None
    body: Json | None = None

    def matches(self, request: web.Request) -> bool:
        """Return whether this fault applies to the request."""
        same_method = self.method in ("*", request.method)
        return same_method and (self.path == "*" or request.path.endswith(self.path))


class Edge:
    """Queued faults and per-key rate-limit buckets, applied before any resource answers."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.faults: list[Fault] = []
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer a request as Statuspage's edge and then the resource would."""
        await self._record(request)
        # Faults stand for the network and Statuspage's edge, so they fire before auth.
        fault = self._take_fault(request)
        if fault is not None:
            if not fault.status:
                await asyncio.sleep(fault.seconds)
            else:
                return _fault_response(fault)
        try:
            self._authenticate(request)
            return await handler(request)
        except Refusal as exc:
            return web.json_response({"error": exc.error}, status=exc.status, headers=exc.headers)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return web.json_response({"error": "Not found"}, status=404)

    async def _record(self, request: web.Request) -> None:
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None
        self.page.requests.append(
            (request.method, request.path, body if isinstance(body, dict) else None)
        )
        self.page.request_times.append(time.monotonic())

    def _take_fault(self, request: web.Request) -> Fault | None:
        fault = next((f for f in self.faults if f.matches(request)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
        return fault

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "oauth":
            key = request.query.get("api_key", "")
        key = key.strip()
        if not key or key != self.page.api_key:
            raise Refusal(401, "Could not authenticate")
        self._spend_token(key)

    def _spend_token(self, key: str) -> None:
        rate = self.page.rate_limit_per_second
        if rate is None:
            return
        now, burst = time.monotonic(), max(1.0, rate)
        tokens, last = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise Refusal(420, "Rate limited", {"Retry-After": "1"})
        self._buckets[key] = (tokens - 1.0, now)


def _fault_response(fault: Fault) -> web.StreamResponse:
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if fault.body is not None:
        return web.json_response(fault.body, status=fault.status, headers=headers)
    if fault.status >= 500:
        return web.Response(
            status=fault.status, text=_DOWN_PAGE, content_type="text/html", headers=headers
        )
    error = _ERRORS.get(fault.status, "Rate limited" if fault.status == 429 else "Error")
    payload = {"error": [error] if fault.status == 422 else error}
    return web.json_response(payload, status=fault.status, headers=headers)
