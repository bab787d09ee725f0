"""In-process fake of GitHub's REST API for one repository's issues, as strict as documented:
a token is required, answers have GitHub's shapes and `x-ratelimit-*` headers, a bad field is a
422, an unknown repository or issue a 404, and a per-test limit answers 429 with Retry-After.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from aiohttp import web

from sandbox.faults import Fault
from sandbox.github import issues
from sandbox.github.edge import Edge, Handler
from sandbox.github.repo import Json, Repo
from sandbox.server import LocalServer, Shared

Route = Callable[[Repo, web.Request], Awaitable[web.StreamResponse]]
_ISSUES = "/repos/{owner}/{name}/issues"
ROUTES: tuple[tuple[str, str, Route], ...] = (
    ("GET", _ISSUES, issues.list_issues),
    ("POST", _ISSUES, issues.create_issue),
    ("GET", _ISSUES + "/{number}", issues.get_issue),
    ("PATCH", _ISSUES + "/{number}", issues.update_issue),
)


class GithubEmulator(LocalServer):
    """A fake GitHub with one repository, answering the issues REST API over HTTP."""

    token = Shared[str]()
    full_name = Shared[str]()
    issues = Shared[dict[int, Json]]()
    requests = Shared[list[tuple[str, str, Json | None]]]()
    request_times = Shared[list[float]]()
    limited = Shared[list[tuple[float, int]]]()
    secondary_per_window = Shared[int | None]()
    remaining = Shared[int]()

    def __init__(
        self,
        *,
        token: str = "ghp_emulator_token",
        repo: str = "acme/backlog",
        assignable: Iterable[str] = ("alice-gh", "bob-gh"),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = Repo(token=token, full_name=repo, assignable=set(assignable), clock=clock)
        self._edge = Edge(self.state)

    def make_app(self) -> web.Application:
        """Build the aiohttp application serving the emulated endpoints."""
        app = web.Application(middlewares=[self._middleware])
        for method, path, route in ROUTES:
            handler = partial(route, self.state)
            if method == "GET":
                app.router.add_get(path, handler)
            else:
                app.router.add_route(method, path, handler)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.remember_base(request)
        return await self._edge.handle(request, handler)

    @property
    def api_url(self) -> str:
        """Return the REST API root (what GITHUB_API_URL names)."""
        return self.base_url

    # ----- helpers for tests and the demo ----------------------------------------------
    def fail(
        self,
        status: int,
        *,
        method: str = "*",
        path: str = "*",
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (an HTML page for 5xx)."""
        self._edge.faults.append(
            Fault(method.upper(), path, times, status, retry_after=retry_after)
        )

    def lose_answer(
        self, *, method: str = "POST", path: str = "/issues", status: int = 502
    ) -> None:
        """Carry out the next matching request, then answer `status` as if the answer was lost."""
        self._edge.faults.append(Fault(method.upper(), path, 1, status, after=True))

    def hang_after(self, seconds: float, *, method: str = "POST", path: str = "/issues") -> None:
        """Carry out the next matching request, then wait `seconds` before answering."""
        self._edge.faults.append(Fault(method.upper(), path, 1, seconds=seconds, after=True))

    def delay(self, seconds: float, *, method: str = "*", path: str = "*", times: int = 1) -> None:
        """Sleep before answering the next `times` matching requests."""
        self._edge.faults.append(Fault(method.upper(), path, times, seconds=seconds))

    def limit(self, requests: int, *, per: float = 1.0) -> None:
        """Allow at most `requests` per `per` seconds; beyond, 429 with Retry-After."""
        self.state.secondary_per_window, self.state.window = requests, per

    def clear_faults(self) -> None:
        """Drop every queued fault and the secondary limit."""
        self._edge.faults.clear()
        self.state.secondary_per_window = None

    def settings(self) -> dict[str, str]:
        """Return the Settings fields that point the bot at this emulator (the token too)."""
        return {"github_repo": self.full_name, "github_api_url": self.api_url}

    def numbers(self) -> str:
        """Return the issue numbers as people write them: `#1, #2`."""
        return ", ".join(f"#{n}" for n in sorted(self.issues))

    def titles(self) -> list[str]:
        """Return the issue titles in number order."""
        return [str(i["title"]) for _, i in sorted(self.issues.items())]

    def calls(self, method: str, suffix: str = "") -> list[tuple[str, str, Any]]:
        """Return the requests made with `method` whose path (without query) ends in `suffix`."""
        return [r for r in self.requests if r[0] == method and r[1].split("?")[0].endswith(suffix)]
