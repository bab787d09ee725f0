"""GitHub's edge: record each request, play queued faults, authenticate, rate-limit, and put
the `x-ratelimit-*` headers GitHub documents on every answer."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.faults import Fault
from sandbox.github.repo import Json, Refusal, Repo

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


class Edge:
    """Faults, authentication and rate limits, applied before any route answers."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.faults: list[Fault] = []

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer a request as GitHub's edge and then the route would."""
        await self._record(request)
        fault = self._take_fault(request)
        if fault is not None and not fault.after:
            if not fault.status:
                await asyncio.sleep(fault.seconds)
            else:
                return self._faulty(fault)
        try:
            self._authenticate(request)
            self._spend(request)
            if not request.path.startswith(f"/repos/{self.repo.full_name}/"):
                raise Refusal(404, "Not Found")
            response = await handler(request)
        except Refusal as refusal:
            response = web.json_response(refusal.body(), status=refusal.status)
            response.headers.update(refusal.headers or {})
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            response = web.json_response(Refusal(404, "Not Found").body(), status=404)
        if fault is not None and fault.after:  # done, but the answer is late or lost
            if not fault.status:
                await asyncio.sleep(fault.seconds)
            else:
                return self._faulty(fault)
        response.headers.update(self._limit_headers())
        return response

    async def _record(self, request: web.Request) -> None:
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None
        path = request.path_qs
        self.repo.requests.append((request.method, path, body if isinstance(body, dict) else None))
        self.repo.request_times.append(time.monotonic())

    def _take_fault(self, request: web.Request) -> Fault | None:
        fault = next((f for f in self.faults if f.matches(request)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
        return fault

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or token.strip() != self.repo.token:
            raise Refusal(401, "Bad credentials")

    def _spend(self, request: web.Request) -> None:
        """Count the request against the primary limit and the test's secondary limit."""
        repo, now = self.repo, self.repo.clock()
        if now >= repo.reset_at:
            repo.remaining, repo.reset_at = repo.limit, now + 3600
        if repo.remaining <= 0:
            raise Refusal(
                403,
                f"API rate limit exceeded for user. ({request.path})",
                headers=self._limit_headers(),
            )
        repo.remaining -= 1
        if repo.secondary_per_window is None:
            return
        repo.recent = [t for t in repo.recent if now - t < repo.window]
        if len(repo.recent) >= repo.secondary_per_window:
            wait = max(1, math.ceil(repo.window - (now - repo.recent[0])))
            repo.limited.append((time.monotonic(), wait))
            raise Refusal(429, _SECONDARY, headers={"Retry-After": str(wait)})
        repo.recent.append(now)

    def _limit_headers(self) -> dict[str, str]:
        repo = self.repo
        return {
            "x-ratelimit-limit": str(repo.limit),
            "x-ratelimit-remaining": str(max(0, repo.remaining)),
            "x-ratelimit-used": str(repo.limit - max(0, repo.remaining)),
            "x-ratelimit-reset": str(int(repo.reset_at)),
            "x-ratelimit-resource": "core",
        }

    def _faulty(self, fault: Fault) -> web.Response:
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        if fault.status >= 500:
            return web.Response(status=fault.status, text="<html>Unicorn!</html>", headers=headers)
        body: Json = Refusal(fault.status, "Error").body()
        return web.json_response(body, status=fault.status, headers=headers)
