"""Jira's edge: record each request, play queued faults, basic auth, and a per-test limit."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.faults import Fault
from sandbox.jira.site import Refusal, Site

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Edge:
    """Faults, authentication and the burst limit, applied before any route answers."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.faults: list[Fault] = []

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer a request as Jira's edge and then the route would."""
        await self._record(request)
        fault = self._take_fault(request)
        if fault is not None and not fault.after:
            if not fault.status:
                await asyncio.sleep(fault.seconds)
            else:
                return _faulty(fault)
        try:
            self._authenticate(request)
            self._spend()
            response = await handler(request)
        except Refusal as refusal:
            response = web.json_response(refusal.body(), status=refusal.status)
            response.headers.update(refusal.headers)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            response = web.json_response(Refusal(404, ["Not found"]).body(), status=404)
        if fault is not None and fault.after:
            return _faulty(fault)
        return response

    async def _record(self, request: web.Request) -> None:
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None
        path = request.path_qs
        self.site.requests.append((request.method, path, body if isinstance(body, dict) else None))

    def _take_fault(self, request: web.Request) -> Fault | None:
        fault = next((f for f in self.faults if f.matches(request)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
        return fault

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            pair = base64.b64decode(encoded.strip(), validate=True).decode()
        except ValueError:
            pair = ""
        if scheme.lower() != "basic" or pair != f"{self.site.email}:{self.site.token}":
            raise Refusal(401, ["Client must be authenticated to access this resource."])

    def _spend(self) -> None:
        site, now = self.site, time.monotonic()
        if site.per_window is None:
            return
        site.recent = [t for t in site.recent if now - t < site.window]
        if len(site.recent) >= site.per_window:
            wait = max(1, math.ceil(site.window - (now - site.recent[0])))
            site.limited.append((now, wait))
            headers = {"Retry-After": str(wait), "RateLimit-Reason": "jira-burst-based"}
            raise Refusal(429, ["Rate limit exceeded."], headers=headers)
        site.recent.append(now)


def _faulty(fault: Fault) -> web.Response:
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if fault.status >= 500:
        return web.Response(
            status=fault.status, text="<html>Service unavailable</html>", headers=headers
        )
    return web.json_response(
        Refusal(fault.status, ["Error"]).body(), status=fault.status, headers=headers
    )
