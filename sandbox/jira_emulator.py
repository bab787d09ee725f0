"""In-process fake of Jira Cloud's REST API v3 for one project's issues: basic auth required,
Jira's answer shapes (201 with a key, 204 on edits and transitions), 400 for a field Jira would
refuse (a description that is no Atlassian Document, an unknown priority), 404 for an unknown
issue, and a per-test limit that answers 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import web

from sandbox.faults import Fault
from sandbox.jira import issues
from sandbox.jira.edge import Edge, Handler
from sandbox.jira.site import Json, Site
from sandbox.server import LocalServer, Shared

Route = Callable[[Site, web.Request], Awaitable[web.StreamResponse]]
_API = "/rest/api/3"
ROUTES: tuple[tuple[str, str, Route], ...] = (
    ("POST", _API + "/issue", issues.create_issue),
    ("GET", _API + "/search/jql", issues.search),
    ("GET", _API + "/issue/{key}", issues.get_issue),
    ("PUT", _API + "/issue/{key}", issues.edit_issue),
    ("GET", _API + "/issue/{key}/transitions", issues.list_transitions),
    ("POST", _API + "/issue/{key}/transitions", issues.transition),
)


class JiraEmulator(LocalServer):
    """A fake Jira Cloud site with one project, answering the REST API v3 over HTTP."""

    email = Shared[str]()
    token = Shared[str]()
    project = Shared[str]()
    issues = Shared[dict[str, Json]]()
    requests = Shared[list[tuple[str, str, Json | None]]]()
    limited = Shared[list[tuple[float, int]]]()

    def __init__(
        self, *, email: str = "bot@example.com", token: str = "jira-token", project: str = "OPS"
    ) -> None:
        self.state = Site(email=email, token=token, project=project)
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
    def site_url(self) -> str:
        """Return the site's URL (what JIRA_URL names)."""
        return self.base_url

    # ----- helpers for tests and the demo ----------------------------------------------
    def fail(self, status: int, *, method: str = "*", path: str = "*", times: int = 1) -> None:
        """Answer the next `times` matching requests with `status` (an HTML page for 5xx)."""
        self._edge.faults.append(Fault(method.upper(), path, times, status))

    def lose_answer(self, *, method: str = "POST", path: str = "/issue", status: int = 502) -> None:
        """Carry out the next matching request, then answer `status` as if the answer was lost."""
        self._edge.faults.append(Fault(method.upper(), path, 1, status, after=True))

    def limit(self, requests: int, *, per: float = 1.0) -> None:
        """Allow at most `requests` per `per` seconds; beyond, 429 with Retry-After."""
        self.state.per_window, self.state.window = requests, per

    def summaries(self) -> list[str]:
        """Return the issue summaries in creation order."""
        return [str(i["fields"]["summary"]) for i in self.issues.values()]

    def status(self, key: str) -> str:
        """Return the status name of issue `key`."""
        return str(self.issues[key]["fields"]["status"]["name"])

    def calls(self, method: str, suffix: str = "") -> list[tuple[str, str, Json | None]]:
        """Return the requests made with `method` whose path (without query) ends in `suffix`."""
        return [r for r in self.requests if r[0] == method and r[1].split("?")[0].endswith(suffix)]


__all__ = ["JiraEmulator"]
