"""In-process fake of the Atlassian Statuspage REST API v1, faithful to its shapes.

`StatuspageEmulator` composes the parts in `sandbox.statuspage`: the page state, its edge
(faults, auth, rate limit) and one module of route handlers per resource.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from aiohttp import web

from sandbox.server import LocalServer, Shared
from sandbox.statuspage import components, incidents, postmortems
from sandbox.statuspage.edge import Edge, Fault, Handler
from sandbox.statuspage.page import (
    CLOSED_STATUSES,
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    Json,
    Page,
)

__all__ = [
    "CLOSED_STATUSES",
    "COMPONENT_STATUSES",
    "IMPACTS",
    "INCIDENT_STATUSES",
    "Json",
    "StatuspageEmulator",
]

Route = Callable[[Page, web.Request], Awaitable[web.StreamResponse]]
_PAGE = "/v1/pages/{page_id}"
_INCIDENT = _PAGE + "/incidents/{incident_id}"
ROUTES: tuple[tuple[str, str, Route], ...] = (  # in order: /unresolved before {incident_id}
    ("GET", _PAGE, components.get_page),
    ("GET", _PAGE + "/components", components.list_components),
    ("PATCH", _PAGE + "/components/{component_id}", components.update_component),
    ("GET", _PAGE + "/incidents", incidents.list_incidents),
    ("POST", _PAGE + "/incidents", incidents.create_incident),
    ("GET", _PAGE + "/incidents/unresolved", incidents.list_incidents),
    ("GET", _INCIDENT, incidents.get_incident),
    ("PATCH", _INCIDENT, incidents.update_incident),
    ("PUT", _INCIDENT + "/postmortem", postmortems.draft_postmortem),
    ("PUT", _INCIDENT + "/postmortem/publish", postmortems.publish_postmortem),
)


class StatuspageEmulator(LocalServer):
    """A fake Statuspage with one page, answering the REST API v1 over HTTP."""

    api_key = Shared[str]()
    page_id = Shared[str]()
    page_name = Shared[str]()
    rate_limit_per_second = Shared[float | None]()
    requests = Shared[list[tuple[str, str, Json | None]]]()
    request_times = Shared[list[float]]()
    incidents = Shared[dict[str, Json]]()
    components = Shared[dict[str, Json]]()

    def __init__(
        self,
        *,
        api_key: str = "sp-emulator-key",
        page_id: str = "pg0emulator01",
        page_name: str = "Emulated Status",
        components: Iterable[str] = ("API", "ChatGPT", "Sora"),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = Page(
            api_key=api_key,
            page_id=page_id,
            page_name=page_name,
            components=components,
            clock=clock,
        )
        self._edge = Edge(self.state)

    def make_app(self) -> web.Application:
        """Build the aiohttp application serving the emulated endpoints."""
        app = web.Application(middlewares=[self._middleware])
        for method, path, route in ROUTES:
            handler = partial(route, self.state)
            if method == "GET":
                app.router.add_get(path, handler)  # answers HEAD too, as add_get does
            else:
                app.router.add_route(method, path, handler)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.remember_base(request)
        return await self._edge.handle(request, handler)

    @property
    def api_url(self) -> str:
        """Return the REST API base URL, without a trailing slash."""
        return self.base_url + "/v1"

    # ----- helpers for tests and the demo ----------------------------------------------
    def component_by_name(self, name: str) -> Json | None:
        """Find a component of the page by its name."""
        return self.state.component_by_name(name)

    def fail(
        self,
        status: int,
        *,
        method: str = "*",
        path: str = "*",
        times: int = 1,
        retry_after: int | None = None,
        body: Json | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (HTML page for 5xx)."""
        fault = Fault(method.upper(), path, times, status, retry_after=retry_after, body=body)
        self._edge.faults.append(fault)

    def delay(self, seconds: float, *, method: str = "*", path: str = "*", times: int = 1) -> None:
        """Sleep before answering the next `times` matching requests."""
        self._edge.faults.append(Fault(method.upper(), path, times, seconds=seconds))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._edge.faults.clear()
