"""Deliver public updates to Atlassian Statuspage: create once, then update; never twice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.config import Secret
from bot.domain.model import EntryKind, Severity, Status
from bot.domain.public import (
    Impact,
    IncidentRecord,
    component_states,
    impact_windows,
    public_updates,
)
from bot.domain.text import public_text
from bot.publishers.base import Delivery, DeliveryError
from storage import incidents as q
from storage.db import Database
from storage.models import Incident
from storage.outbox import enqueue
from storage.public import load_records

log = logging.getLogger(__name__)
SLACK = "slack"


class NotFound(DeliveryError):
    """Statuspage answered 404."""


class StatuspageClient:
    """Statuspage's REST API v1, paced under its per-key rate limit."""

    def __init__(
        self,
        *,
        http: aiohttp.ClientSession,
        base_url: str,
        page_id: str,
        api_key: Secret,
        rate: float,
    ) -> None:
        self.http, self.base_url, self.page_id = http, base_url.rstrip("/"), page_id
        self._auth = {"Authorization": f"OAuth {api_key.reveal()}"}
        self._interval = 1.0 / rate
        self._next = 0.0
        self._pace = asyncio.Lock()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request under /pages/{page_id}; map failures to DeliveryError."""
        async with self._pace:
            wait = self._next - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next = time.monotonic() + self._interval
        url = f"{self.base_url}/pages/{self.page_id}{path}"
        try:
            async with self.http.request(
                method, url, json=body, headers=self._auth, timeout=aiohttp.ClientTimeout(total=15)
            ) as response:
                if response.status in (420, 429):
                    after = response.headers.get("Retry-After", "")
                    raise DeliveryError(
                        f"Statuspage rate limit ({response.status})",
                        retry_after=float(after) if after.isdigit() else 5.0,
                    )
                if response.status in (401, 403):
                    raise DeliveryError(
                        f"Statuspage refused the API key ({response.status})", permanent=True
                    )
                if response.status == 404:
                    raise NotFound(f"Statuspage: {method} {path} not found", permanent=True)
                if response.status == 422:
                    detail = (await response.text())[:300]
                    raise DeliveryError(f"Statuspage refused the data: {detail}", permanent=True)
                if response.status >= 400:
                    raise DeliveryError(f"Statuspage answered {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"Statuspage unreachable: {type(error).__name__}") from error


class StatuspagePublisher:
    """Mirrors each public update onto the page's incident, and says so in the channel."""

    def __init__(
        self,
        *,
        db: Database,
        client: StatuspageClient,
        impact_of: Mapping[Severity, Impact],
        clock: Callable[[], datetime],
    ) -> None:
        self.db, self.client, self.impact_of, self.clock = db, client, impact_of, clock
        self._components: dict[str, str] = {}
        self._names: list[str] = []
        self._components_at = 0.0

    def component_names(self) -> list[str]:
        """Return the page's component names as last read."""
        return list(self._names)

    async def load_components(self) -> None:
        """Read the page's components (names -> IDs); refreshed every five minutes."""
        rows = await self.client.call("GET", "/components")
        self._components = {row["name"].lower(): row["id"] for row in rows if not row.get("group")}
        self._names = [row["name"] for row in rows if not row.get("group")]
        self._components_at = time.monotonic()

    async def deliver(self, delivery: Delivery) -> None:
        """Create or update the Statuspage incident for one public change."""
        if time.monotonic() - self._components_at > 300:
            await self.load_components()
        assert delivery.incident_id is not None
        incident, records = await self._load(delivery.incident_id)
        if delivery.kind == "postmortem.publish":
            await self._publish_postmortem(incident)
            return
        mine = next((r for r in records if r.id == incident.id), None)
        entry_id = delivery.payload.get("entry_id")
        if mine is None:  # nothing public yet (a rename before any public message)
            return
        entries = [e for e in mine.entries if entry_id is None or e.id <= entry_id]
        updates = public_updates(entries)
        if not updates:
            return
        latest = (
            updates[0]
            if entry_id is None
            else next((u for u in updates if u.id == entry_id), updates[0])
        )
        body = {
            "name": public_text(incident.public_name or incident.title),
            "status": latest.status.value,
            "impact_override": self.impact_of[Severity(incident.severity)].value,
            "components": self._component_map(mine, records, entries),
        }
        if entry_id is not None:
            body["body"] = latest.text
        remote = incident.statuspage_id or await self._find(incident)
        if remote is None:
            created = await self.client.call(
                "POST",
                "/incidents",
                {
                    "incident": {
                        **body,
                        "metadata": {"warroom": {"uid": incident.uid}},
                        "deliver_notifications": True,
                    }
                },
            )
            await self._confirm(incident, created, entry_id)
            return
        if entry_id is not None and await self._already_there(remote, body, latest.at):
            await self._confirm(incident, {"id": remote}, entry_id)
            return
        if entry_id is None:
            body = {"name": body["name"]}
        updated = await self.client.call("PATCH", f"/incidents/{remote}", {"incident": body})
        await self._confirm(incident, updated, entry_id)

    async def _publish_postmortem(self, incident: Incident) -> None:
        """Attach the public summary to the incident as its postmortem, and publish it."""
        remote = incident.statuspage_id or await self._find(incident)
        if remote is None:
            raise DeliveryError("this incident was never published on Statuspage", permanent=True)
        draft = {"postmortem": {"body_draft": incident.postmortem_public or ""}}
        await self.client.call("PUT", f"/incidents/{remote}/postmortem", draft)
        await self.client.call(
            "PUT",
            f"/incidents/{remote}/postmortem/publish",
            {
                "postmortem": {
                    "notify_twitter": False,
                    "notify_subscribers": False,
                    "custom_tweet": "",
                }
            },
        )
        await self._notice(
            incident.id or 0,
            ":newspaper: The public summary is published on "
            "Atlassian Statuspage as the incident's postmortem.",
        )

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell the incident channel that a public update has not gone out (yet)."""
        if delivery.incident_id is None:
            return
        text = (
            f":rotating_light: *Public update NOT published on Statuspage*: I gave up ({error})."
            " Publish it by hand, or retry with `warroom outbox retry`."
            if dead
            else f":warning: *Public update not on Statuspage yet* ({error}). I'll keep retrying."
        )
        await self._notice(delivery.incident_id, text)

    async def _load(self, incident_id: int) -> tuple[Incident, list[IncidentRecord]]:
        async with self.db.read() as session:
            incident = await q.get_incident(session=session, incident_id=incident_id)
            if incident is None:
                raise DeliveryError(f"incident {incident_id} is gone", permanent=True)
            records = await load_records(session=session, since=self.clock() - timedelta(days=1))
        return incident, records

    def _component_map(
        self, mine: IncidentRecord, records: list[IncidentRecord], entries: list[Any]
    ) -> dict[str, str]:
        """Return {component ID: status} for the components this incident touched."""
        now_resolved = any(e.kind is EntryKind.RESOLVED for e in entries)
        touched: list[str] = []
        for entry in entries:
            if entry.kind is EntryKind.IMPACT:
                touched.extend(entry.data["components"])
        own = impact_windows(mine.id, entries, self.clock() if now_resolved else None)
        others = [
            w
            for r in records
            if r.id != mine.id and r.status is not Status.RESOLVED
            for w in impact_windows(r.id, r.entries, r.resolved_at)
        ]
        states = component_states(list(dict.fromkeys(touched)), [*own, *others])
        return {
            self._components[n.lower()]: s.value
            for n, s in states.items()
            if n.lower() in self._components
        }

    async def _find(self, incident: Incident) -> str | None:
        """Look for an incident we created before a crash, by the metadata we stamp on it."""
        for path in ("/incidents/unresolved", "/incidents?per_page=100"):
            for row in await self.client.call("GET", path):
                meta = (row.get("metadata") or {}).get("warroom") or {}
                if meta.get("uid") == incident.uid:
                    return str(row["id"])
        return None

    async def _already_there(self, remote: str, body: dict[str, Any], since: datetime) -> bool:
        """Return whether this exact update already reached the incident (a retried PATCH)."""
        current = await self.client.call("GET", f"/incidents/{remote}")
        for update in current.get("incident_updates") or []:
            if update.get("status") == body["status"] and update.get("body") == body["body"]:
                at = datetime.fromisoformat(str(update.get("created_at")).replace("Z", "+00:00"))
                if at >= since - timedelta(minutes=5):
                    return True
        return False

    async def _confirm(
        self, incident: Incident, remote: dict[str, Any], entry_id: int | None
    ) -> None:
        """Store the remote ID and owe the channel a confirmation, in one transaction."""
        async with self.db.write(background=True) as session:
            row = await session.get(Incident, incident.id)
            assert row is not None
            row.statuspage_id = str(remote["id"])
            session.add(row)
            if entry_id is not None:
                link = remote.get("shortlink") or "Statuspage"
                enqueue(
                    session=session,
                    incident_id=incident.id,
                    destination=SLACK,
                    kind="notice",
                    payload={
                        "text": f":globe_with_meridians: Public update published on "
                        f"Atlassian Statuspage: {link}"
                    },
                    now=self.clock(),
                )

    async def _notice(self, incident_id: int, text: str) -> None:
        async with self.db.write(background=True) as session:
            enqueue(
                session=session,
                incident_id=incident_id,
                destination=SLACK,
                kind="notice",
                payload={"text": text},
                now=self.clock(),
            )
