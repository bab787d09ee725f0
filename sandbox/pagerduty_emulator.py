"""In-process fake of PagerDuty's Events API v2 (`POST /v2/enqueue`), strict as documented.

Rules (docs/events-API-v2/01-Overview.md and 02-Trigger-Events.md in PagerDuty/developer-docs):
`routing_key` is a 32-character integration key; `event_action` is trigger, acknowledge or
resolve; `dedup_key` is at most 255 characters; a trigger needs `payload.summary` (at most
1024), `payload.source` and `payload.severity` (critical, error, warning, info); `images[].src`
must be HTTPS. 202 accepted, 400 invalid, 429 throttled, 5xx retry. A trigger without a
dedup_key gets a generated one and opens a new alert; events with a known key apply to the open
alert only with the same routing key; after resolve a trigger opens a new alert, and
acknowledge/resolve are dropped. Payloads are limited to 512 KB.
Not documented, so chosen here: the per-key rate (`rate_per_minute`, off by default) and the
`Retry-After` header on a 429 (sent only when `retry_after` is set).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.server import LocalServer

Json = dict[str, Any]
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_BODY = 512 * 1024


@dataclass
class Alert:
    """One alert, as PagerDuty keeps it under a dedup_key."""

    dedup_key: str
    routing_key: str
    summary: str
    severity: str
    status: str = "triggered"  # triggered, acknowledged, resolved
    events: list[Json] = field(default_factory=list)
    links: list[Json] = field(default_factory=list)


def validate(event: Any) -> list[str]:
    """Return what is wrong with an event, as PagerDuty's `errors` would list it."""
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    errors: list[str] = []
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        errors.append("'routing_key' is invalid (it must be a 32-character integration key)")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (trigger, acknowledge or resolve)")
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not 0 < len(dedup) <= 255):
        errors.append("'dedup_key' is invalid (at most 255 characters)")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append("'dedup_key' is missing (required for acknowledge and resolve)")
    if action == "trigger":
        errors += _payload_errors(event.get("payload"))
    for image in event.get("images") or []:
        if not isinstance(image, dict) or not str(image.get("src", "")).startswith("https://"):
            errors.append("'images' is invalid (src must be an HTTPS URL)")
    for link in event.get("links") or []:
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            errors.append("'links' is invalid (each needs an href)")
    return errors


def _payload_errors(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or invalid"]
    errors = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) > 1024:
        errors.append("'payload.summary' is missing or invalid (at most 1024 characters)")
    if not isinstance(payload.get("source"), str) or not payload["source"]:
        errors.append("'payload.source' is missing or invalid")
    if payload.get("severity") not in SEVERITIES:
        errors.append("'payload.severity' is invalid (critical, error, warning or info)")
    return errors


class PagerDutyEmulator(LocalServer):
    """A fake Events API v2: alerts by dedup_key, faults and a per-key rate to test with."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.alerts: dict[str, list[Alert]] = {}  # every alert a key opened, oldest first
        self.events: list[Json] = []  # every accepted event, in order
        self.answers: list[tuple[float, int]] = []  # (clock, status) of every request
        self.rate_per_minute: int | None = None
        self.retry_after: int | None = None
        self._faults: list[tuple[int, int | None]] = []  # (status, Retry-After) per request
        self._sent: dict[str, list[float]] = {}

    def make_app(self) -> web.Application:
        """Build the aiohttp application serving the Events API."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/v2/enqueue", self._enqueue)
        return app

    @property
    def events_url(self) -> str:
        """Return the enqueue endpoint's URL."""
        return self.base_url + "/v2/enqueue"

    # ----- helpers for tests and the demo ----------------------------------------------
    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` requests with `status` (a 5xx outage, or a 429)."""
        self._faults += [(status, retry_after)] * times

    def describe(self) -> str:
        """Return one line on every alert and its state, for the demo."""
        alerts = [a for found in self.alerts.values() for a in found]
        said = "; ".join(f"{a.severity} “{a.summary}”, {a.status}" for a in alerts)
        return f"PagerDuty alerts: {said or 'none'}"

    def alerts_open(self) -> list[Alert]:
        """Return the alerts not resolved yet."""
        return [a for found in self.alerts.values() for a in found if a.status != "resolved"]

    def alert(self, dedup_key: str) -> Alert | None:
        """Return the latest alert opened under a dedup_key."""
        found = self.alerts.get(dedup_key)
        return found[-1] if found else None

    # ----- the endpoint ------------------------------------------------------------------
    async def _enqueue(self, request: web.Request) -> web.Response:
        response = await self._answer(request)
        self.answers.append((self.clock(), response.status))
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        if self._faults:
            status, after = self._faults.pop(0)
            return _refused(status, after)
        try:
            event = json.loads(await request.read())
        except ValueError:
            return _invalid(["Event object is invalid (not JSON)"])
        errors = validate(event)
        if errors:
            return _invalid(errors)
        if self._throttled(event["routing_key"]):
            return _refused(429, self.retry_after)
        dedup = event.get("dedup_key") or str(uuid.uuid4())
        self.events.append({**event, "dedup_key": dedup})
        self._apply(event, dedup)
        body = {"status": "success", "message": "Event processed", "dedup_key": dedup}
        return web.json_response(body, status=202)

    def _throttled(self, routing_key: str) -> bool:
        if self.rate_per_minute is None:
            return False
        now = self.clock()
        sent = [t for t in self._sent.get(routing_key, []) if now - t < 60.0]
        self._sent[routing_key] = sent
        if len(sent) >= self.rate_per_minute:
            return True
        sent.append(now)
        return False

    def _apply(self, event: Json, dedup: str) -> None:
        current = self.alert(dedup)
        is_open = current is not None and current.status != "resolved"
        if current is not None and is_open and current.routing_key != event["routing_key"]:
            return  # another integration's key: the event does not apply to this alert
        action = event["event_action"]
        if action == "trigger":
            if current is None or not is_open:
                payload = event["payload"]
                current = Alert(
                    dedup, event["routing_key"], payload["summary"], payload["severity"]
                )
                current.links = list(event.get("links") or [])
                self.alerts.setdefault(dedup, []).append(current)
            current.events.append(event)
        elif current is not None and is_open:  # acknowledge/resolve of no open alert: dropped
            current.status = "acknowledged" if action == "acknowledge" else "resolved"
            current.events.append(event)


def _invalid(errors: list[str]) -> web.Response:
    return web.json_response({"status": "invalid event", "errors": errors}, status=400)


def _refused(status: int, retry_after: int | None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 400:
        return _invalid(["'routing_key' is invalid (injected)"])
    if status == 429:
        body = {"status": "throttle event", "message": "Requests for this service are throttled"}
        return web.json_response(body, status=429, headers=headers)
    return web.Response(status=status, text="<html>Service unavailable</html>", headers=headers)
