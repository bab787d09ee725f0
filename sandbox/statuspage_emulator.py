"""In-process fake of the Atlassian Statuspage REST API v1, faithful to its shapes."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.server import LocalServer

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
CLOSED_STATUSES = ("resolved", "postmortem")
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
IMPACTS = ("none", "minor", "major", "critical")
_IMPACT_OF = dict(zip(COMPONENT_STATUSES[2:], IMPACTS[1:], strict=True))
_ALNUM = string.ascii_lowercase + string.digits
_RESOLVED_TEXT = "This incident has been resolved."
_ERRORS = {401: "Could not authenticate", 404: "Not found", 420: "Rate limited"}
_DOWN_PAGE = "<html><body><h1>Statuspage is temporarily unavailable</h1></body></html>"


def _new_id(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def _positive_int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value is not None else default
    except ValueError:
        return default


class _Refusal(Exception):
    """An API error: answered as {"error": ...} with an HTTP status."""

    def __init__(self, status: int, error: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(error))
        self.status, self.error, self.headers = status, error, headers or {}


def _invalid(message: str) -> _Refusal:
    return _Refusal(422, [message])


@dataclass
class _Fault:
    method: str
    path: str
    remaining: int
    status: int = 0
    seconds: float = 0.0
    retry_after: int | None = None
    body: Json | None = None

    def matches(self, request: web.Request) -> bool:
        same_method = self.method in ("*", request.method)
        return same_method and (self.path == "*" or request.path.endswith(self.path))


class StatuspageEmulator(LocalServer):
    """A fake Statuspage with one page, answering the REST API v1 over HTTP."""

    def __init__(
        self,
        *,
        api_key: str = "sp-emulator-key",
        page_id: str = "pg0emulator01",
        page_name: str = "Emulated Status",
        components: Iterable[str] = ("API", "ChatGPT", "Sora"),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key, self.page_id, self.page_name = api_key, page_id, page_name
        self.rate_limit_per_second: float | None = None
        self.requests: list[tuple[str, str, Json | None]] = []
        self.incidents: dict[str, Json] = {}
        self.components: dict[str, Json] = {}
        self._clock = clock
        self._created_at = self._now()
        for position, name in enumerate(components, start=1):
            self._add_component(name, position)
        self._postmortems: dict[str, Json] = {}
        self._faults: list[_Fault] = []
        self._buckets: dict[str, tuple[float, float]] = {}

    # ----- lifecycle -------------------------------------------------------------------
    def make_app(self) -> web.Application:
        """Build the aiohttp application serving the emulated endpoints."""
        app = web.Application(middlewares=[self._edge])
        page = "/v1/pages/{page_id}"
        component = page + "/components/{component_id}"
        incident = page + "/incidents/{incident_id}"
        r = app.router
        r.add_get(page, self._get_page)
        r.add_get(page + "/components", self._list_components)
        r.add_patch(component, self._update_component)
        r.add_get(page + "/incidents", self._list_incidents)
        r.add_post(page + "/incidents", self._create_incident)
        r.add_get(page + "/incidents/unresolved", self._list_incidents)
        r.add_get(incident, self._get_incident)
        r.add_patch(incident, self._update_incident)
        r.add_put(incident + "/postmortem", self._draft_postmortem)
        r.add_put(incident + "/postmortem/publish", self._publish_postmortem)
        return app

    @property
    def api_url(self) -> str:
        """Return the REST API base URL, without a trailing slash."""
        return self.base_url + "/v1"

    # ----- helpers for tests and the demo ----------------------------------------------
    def component_by_name(self, name: str) -> Json | None:
        """Find a component of the page by its name."""
        return next((c for c in self.components.values() if c["name"] == name), None)

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
        fault = _Fault(method.upper(), path, times, status, retry_after=retry_after, body=body)
        self._faults.append(fault)

    def delay(self, seconds: float, *, method: str = "*", path: str = "*", times: int = 1) -> None:
        """Sleep before answering the next `times` matching requests."""
        self._faults.append(_Fault(method.upper(), path, times, seconds=seconds))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    # ----- HTTP plumbing ---------------------------------------------------------------
    @web.middleware
    async def _edge(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._base is None:
            self._base = f"{request.scheme}://{request.host}"
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None
        self.requests.append(
            (request.method, request.path, body if isinstance(body, dict) else None)
        )
        # Faults stand for the network and Statuspage's edge, so they fire before auth.
        fault = next((f for f in self._faults if f.matches(request)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            if not fault.status:
                await asyncio.sleep(fault.seconds)
            else:
                return self._fault_response(fault)
        try:
            self._authenticate(request)
            return await handler(request)
        except _Refusal as exc:
            return web.json_response({"error": exc.error}, status=exc.status, headers=exc.headers)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return web.json_response({"error": "Not found"}, status=404)

    def _fault_response(self, fault: _Fault) -> web.StreamResponse:
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

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "oauth":
            key = request.query.get("api_key", "")
        key = key.strip()
        if not key or key != self.api_key:
            raise _Refusal(401, "Could not authenticate")
        rate = self.rate_limit_per_second
        if rate is None:
            return
        now, burst = time.monotonic(), max(1.0, rate)
        tokens, last = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise _Refusal(420, "Rate limited", {"Retry-After": "1"})
        self._buckets[key] = (tokens - 1.0, now)

    def _now(self) -> str:
        stamp = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")
        return stamp.replace("+00:00", "Z")

    def _check_page(self, request: web.Request) -> None:
        if request.match_info["page_id"] != self.page_id:
            raise _Refusal(404, "Not found")

    async def _payload(self, request: web.Request, key: str, *, required: bool = True) -> Json:
        try:  # aiohttp caches the body, so reading it again is cheap
            body = json.loads(await request.read() or b"null")
        except ValueError as exc:
            raise _Refusal(400, "Request body is not valid JSON") from exc
        fields = body.get(key) if isinstance(body, dict) else None
        if isinstance(fields, dict):
            return dict(fields)
        if required:
            raise _Refusal(400, f"param is missing or the value is empty: {key}")
        return {}

    def _incident(self, request: web.Request) -> Json:
        self._check_page(request)
        incident = self.incidents.get(request.match_info["incident_id"])
        if incident is None:
            raise _Refusal(404, "Not found")
        return incident

    def _paged(self, request: web.Request, items: list[Json]) -> web.Response:
        query = request.query.get("q", "").lower()
        if query:
            items = [i for i in items if query in i["name"].lower()]
        page = _positive_int(request.query.get("page"), 1)
        per_page = min(100, _positive_int(request.query.get("per_page"), 100))
        return web.json_response(items[(page - 1) * per_page : page * per_page])

    # ----- pages and components --------------------------------------------------------
    def _page_obj(self) -> Json:
        subdomain = re.sub(r"[^a-z0-9]+", "-", self.page_name.lower()).strip("-") or "status"
        return {
            "id": self.page_id,
            "created_at": self._created_at,
            "updated_at": self._created_at,
            "name": self.page_name,
            "subdomain": subdomain,
            "domain": None,
            "url": f"https://{subdomain}.statuspage.io",
            "time_zone": "Etc/UTC",
        }

    def _add_component(self, name: str, position: int) -> None:
        component_id = _new_id(14)
        self.components[component_id] = {
            "id": component_id,
            "page_id": self.page_id,
            "group_id": None,
            "created_at": self._created_at,
            "updated_at": self._created_at,
            "group": False,
            "name": name,
            "description": None,
            "position": position,
            "status": "operational",
            "showcase": True,
            "only_show_if_degraded": False,
            "automation_email": f"component+{component_id}@notifications.statuspage.io",
            "start_date": self._created_at[:10],
        }

    async def _get_page(self, request: web.Request) -> web.StreamResponse:
        self._check_page(request)
        return web.json_response(self._page_obj())

    async def _list_components(self, request: web.Request) -> web.StreamResponse:
        self._check_page(request)
        return web.json_response(list(self.components.values()))

    async def _update_component(self, request: web.Request) -> web.StreamResponse:
        self._check_page(request)
        component = self.components.get(request.match_info["component_id"])
        if component is None:
            raise _Refusal(404, "Not found")
        fields = await self._payload(request, "component")
        if "status" in fields and fields["status"] not in COMPONENT_STATUSES:
            raise _invalid("Status is not included in the list")
        if "name" in fields and (not isinstance(fields["name"], str) or not fields["name"]):
            raise _invalid("Name can't be blank")
        for key in ("status", "name", "description"):
            if key in fields:
                component[key] = fields[key]
        component["updated_at"] = self._now()
        return web.json_response(component)

    # ----- incidents -------------------------------------------------------------------
    async def _list_incidents(self, request: web.Request) -> web.StreamResponse:
        self._check_page(request)
        newest_first = list(reversed(self.incidents.values()))
        if request.path.endswith("/unresolved"):
            newest_first = [i for i in newest_first if i["status"] not in CLOSED_STATUSES]
        return self._paged(request, newest_first)

    async def _get_incident(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._incident(request))

    async def _create_incident(self, request: web.Request) -> web.StreamResponse:
        self._check_page(request)
        fields = await self._payload(request, "incident")
        if "name" not in fields:
            raise _invalid("Name can't be blank")
        self._validate(fields)
        now, incident_id = self._now(), _new_id(12)
        incident: Json = {
            "id": incident_id,
            "components": [],
            "created_at": now,
            "impact": "none",
            "impact_override": None,
            "incident_updates": [],
            "metadata": {},
            "monitoring_at": None,
            "name": fields["name"],
            "page_id": self.page_id,
            "postmortem_body": None,
            "postmortem_body_last_updated_at": None,
            "postmortem_ignored": False,
            "postmortem_notified_subscribers": False,
            "postmortem_notified_twitter": False,
            "postmortem_published_at": None,
            "resolved_at": None,
            "scheduled_for": None,
            "scheduled_until": None,
            "shortlink": f"http://stspg.io/{incident_id}",
            "started_at": now,
            "status": None,
            "updated_at": now,
        }
        self._apply(incident, fields, now, always_update=True)
        self.incidents[incident_id] = incident
        return web.json_response(incident, status=201)

    async def _update_incident(self, request: web.Request) -> web.StreamResponse:
        incident = self._incident(request)
        fields = await self._payload(request, "incident")
        self._validate(fields)
        self._apply(incident, fields, self._now(), always_update=False)
        return web.json_response(incident)

    def _validate(self, f: Json) -> None:
        if "name" in f and (not isinstance(f["name"], str) or not f["name"].strip()):
            raise _invalid("Name can't be blank")
        if f.get("status") is not None and f["status"] not in INCIDENT_STATUSES:
            raise _invalid("Status is not included in the list")
        if f.get("impact_override") is not None and f["impact_override"] not in IMPACTS:
            raise _invalid("Impact override is not included in the list")
        if f.get("body") is not None and not isinstance(f["body"], str):
            raise _invalid("Body must be a string")
        if f.get("metadata") is not None and not isinstance(f["metadata"], dict):
            raise _invalid("Metadata must be a JSON object")
        ids = f.get("component_ids") or []
        if not isinstance(ids, list) or not all(i in self.components for i in map(str, ids)):
            raise _invalid("Component ids are invalid")
        statuses = f.get("components") or {}
        if not isinstance(statuses, dict) or not statuses.keys() <= self.components.keys():
            raise _invalid("Components are invalid")
        if any(s not in COMPONENT_STATUSES for s in statuses.values()):
            raise _invalid("Component status is not included in the list")

    def _apply(self, incident: Json, f: Json, now: str, *, always_update: bool) -> None:
        if f.get("name") is not None:
            incident["name"] = f["name"]
        if f.get("metadata") is not None:
            incident["metadata"] = f["metadata"]
        previous = incident["status"]
        status = f.get("status") or previous or "investigating"
        if status == "monitoring" and previous != "monitoring":
            incident["monitoring_at"] = now
        if status == "resolved" and previous != "resolved":
            incident["resolved_at"] = now
        incident["status"] = status
        statuses: dict[str, str] = f.get("components") or {}
        affected: list[Json] = []
        for component_id, new_status in statuses.items():
            component = self.components[component_id]
            change = {"code": component_id, "name": component["name"]}
            affected.append({**change, "old_status": component["status"], "new_status": new_status})
            if component["status"] != new_status:
                component["status"], component["updated_at"] = new_status, now
        ids = f.get("component_ids")
        kept = list(ids) if ids is not None else [c["id"] for c in incident["components"]]
        # Shared dicts, so an incident always shows its components' current status.
        incident["components"] = [self.components[c] for c in dict.fromkeys([*kept, *statuses])]
        if "impact_override" in f:
            incident["impact_override"] = f["impact_override"]
        derived = [_IMPACT_OF.get(s, "none") for s in statuses.values()]
        worst = max([incident["impact"], *derived], key=IMPACTS.index)
        incident["impact"] = incident["impact_override"] or worst
        incident["updated_at"] = now
        if always_update or any(f.get(k) is not None for k in ("status", "body", "components")):
            body = f.get("body")
            if body is None:
                body = _RESOLVED_TEXT if status == "resolved" else ""
            update = {
                "id": _new_id(12),
                "incident_id": incident["id"],
                "status": status,
                "body": body,
                "created_at": now,
                "display_at": now,
                "updated_at": now,
                "affected_components": affected,
                "deliver_notifications": bool(f.get("deliver_notifications", True)),
                "custom_tweet": None,
                "tweet_id": None,
                "twitter_updated_at": None,
                "wants_twitter_update": False,
            }
            incident["incident_updates"].insert(0, update)

    # ----- postmortems -----------------------------------------------------------------
    def _postmortem(self, incident_id: str) -> Json:
        return self._postmortems.setdefault(
            incident_id,
            {
                "preview_key": secrets.token_hex(16),
                "body": None,
                "body_updated_at": None,
                "body_draft": None,
                "body_draft_updated_at": None,
                "published_at": None,
                "notify_subscribers": False,
                "notify_twitter": False,
                "custom_tweet": None,
            },
        )

    async def _draft_postmortem(self, request: web.Request) -> web.StreamResponse:
        incident = self._incident(request)
        draft = (await self._payload(request, "postmortem")).get("body_draft")
        if not isinstance(draft, str):
            raise _invalid("Body draft can't be blank")
        postmortem = self._postmortem(incident["id"])
        postmortem["body_draft"], postmortem["body_draft_updated_at"] = draft, self._now()
        return web.json_response(postmortem)

    async def _publish_postmortem(self, request: web.Request) -> web.StreamResponse:
        incident = self._incident(request)
        fields = await self._payload(request, "postmortem", required=False)
        postmortem = self._postmortem(incident["id"])
        if not postmortem["body_draft"]:
            raise _invalid("Body draft can't be blank")
        now = self._now()
        subscribers = bool(fields.get("notify_subscribers", False))
        twitter = bool(fields.get("notify_twitter", False))
        postmortem.update(
            body=postmortem["body_draft"],
            body_updated_at=now,
            published_at=now,
            notify_subscribers=subscribers,
            notify_twitter=twitter,
            custom_tweet=fields.get("custom_tweet") or None,
        )
        incident.update(
            postmortem_body=postmortem["body"],
            postmortem_body_last_updated_at=now,
            postmortem_published_at=now,
            postmortem_notified_subscribers=subscribers,
            postmortem_notified_twitter=twitter,
            updated_at=now,
        )
        if incident["status"] == "resolved":
            incident["status"] = "postmortem"
        return web.json_response(postmortem)
