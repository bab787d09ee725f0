"""Deliver public updates to Atlassian Statuspage: create once, then update; never twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain.availability import component_states, impact_windows
from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination, Owed, Payload
from bot.domain.entries import Entry, ImpactSet, ends_closed
from bot.domain.model import Severity
from bot.domain.public import Impact, IncidentRecord, Mirrored, public_updates
from bot.domain.text import public_text
from bot.publishers.base import DeliveryError, not_mine
from bot.publishers.statuspage_client import StatuspageClient
from storage.db import Database
from storage.incidents import set_statuspage_id
from storage.outbox import enqueue
from storage.public import load_mirrored, load_records
from storage.timeline import set_mirrored

log = logging.getLogger(__name__)
K = DeliveryKind


class StatuspagePublisher:
    """Mirrors each public update onto the page's incident, and says so in the channel."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.STATUSPAGE)

    def __init__(
        self,
        *,
        db: Database,
        client: StatuspageClient,
        impact_of: Mapping[Severity, Impact],
        clock: Clock,
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
        match delivery.kind:
            case K.INCIDENT_SYNC:
                await self._sync(incident, records, delivery.payload.entry_id)
            case K.POSTMORTEM_PUBLISH:
                await self._publish_postmortem(incident, delivery.payload.entry_id)
            case _:  # the relay hands each deliverer its destination's kinds only
                raise not_mine(delivery)

    async def _sync(
        self, incident: Mirrored, records: list[IncidentRecord], entry_id: int | None
    ) -> None:
        mine = next((r for r in records if r.id == incident.id), None)
        if mine is None:  # nothing public yet (a rename before any public message)
            return
        entries = [e for e in mine.entries if entry_id is None or e.id <= entry_id]
        updates = public_updates(entries)
        if not updates:
            return
        latest = next((u for u in updates if u.id == entry_id), updates[0])
        body: dict[str, Any] = {
            "name": public_text(incident.name),
            "status": latest.status.value,
            "impact_override": self.impact_of[incident.severity].value,
            "components": self._component_map(mine, records, entries),
        }
        if entry_id is not None:
            body["body"] = latest.text
        remote = incident.remote_id or await self._find(incident)
        if remote is None:
            meta = {"metadata": {"warroom": {"uid": incident.uid}}, "deliver_notifications": True}
            created = await self.client.call("POST", "/incidents", {"incident": {**body, **meta}})
            await self._confirm(incident, created, entry_id)
            return
        there = await self._already_there(remote, body, latest.at) if entry_id else None
        if there is not None:
            await self._confirm(incident, there, entry_id)
            return
        if entry_id is None:
            body = {"name": body["name"]}
        updated = await self.client.call("PATCH", f"/incidents/{remote}", {"incident": body})
        await self._confirm(incident, updated, entry_id)

    async def _publish_postmortem(self, incident: Mirrored, entry_id: int | None) -> None:
        """Attach the public summary to the incident as its postmortem, and publish it."""
        remote = incident.remote_id or await self._find(incident)
        if remote is None:
            raise DeliveryError("this incident was never published on Statuspage", permanent=True)
        draft = {"postmortem": {"body_draft": incident.postmortem or ""}}
        await self.client.call("PUT", f"/incidents/{remote}/postmortem", draft)
        quiet = {"notify_twitter": False, "notify_subscribers": False, "custom_tweet": ""}
        await self.client.call(
            "PUT", f"/incidents/{remote}/postmortem/publish", {"postmortem": quiet}
        )
        await self._confirm(incident, {"id": remote}, entry_id)

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

    async def _load(self, incident_id: int) -> tuple[Mirrored, list[IncidentRecord]]:
        async with self.db.read() as session:
            incident = await load_mirrored(session=session, incident_id=incident_id)
            if incident is None:
                raise DeliveryError(f"incident {incident_id} is gone", permanent=True)
            records = await load_records(session=session, since=self.clock() - timedelta(days=1))
        return incident, records

    def _component_map(
        self, mine: IncidentRecord, records: list[IncidentRecord], entries: Sequence[Entry]
    ) -> dict[str, str]:
        """Return {component ID: status} for the components this incident touched."""
        now_resolved = ends_closed(entries)
        touched = [c for e in entries if isinstance(e.fact, ImpactSet) for c in e.fact.components]
        own = impact_windows(mine.id, entries, self.clock() if now_resolved else None)
        others = [
            w
            for r in records
            if r.id != mine.id and r.status.is_open
            for w in impact_windows(r.id, r.entries, r.resolved_at)
        ]
        states = component_states(list(dict.fromkeys(touched)), [*own, *others])
        return {
            self._components[n.lower()]: s.value
            for n, s in states.items()
            if n.lower() in self._components
        }

    async def _find(self, incident: Mirrored) -> str | None:
        """Look for an incident we created before a crash, by the metadata we stamp on it."""
        for path in ("/incidents/unresolved", "/incidents?per_page=100"):
            for row in await self.client.call("GET", path):
                meta = (row.get("metadata") or {}).get("warroom") or {}
                if meta.get("uid") == incident.uid:
                    return str(row["id"])
        return None

    async def _already_there(
        self, remote: str, body: dict[str, Any], since: datetime
    ) -> dict[str, Any] | None:
        """Return the remote incident if this exact update already reached it (a retried PATCH,
        or a create whose answer a crash lost). Only the newest update can be it: an older one
        that reads the same (the resolve before a reopen) is no reason to skip this one."""
        current: dict[str, Any] = await self.client.call("GET", f"/incidents/{remote}")
        for update in (current.get("incident_updates") or [])[:1]:  # newest first
            if update.get("status") == body["status"] and update.get("body") == body["body"]:
                at = datetime.fromisoformat(str(update.get("created_at")).replace("Z", "+00:00"))
                if at >= since - timedelta(minutes=5):
                    return {**current, "id": remote}
        return None

    async def _confirm(
        self, incident: Mirrored, remote: dict[str, Any], entry_id: int | None
    ) -> None:
        """Store the remote ID and link, and owe the entry's message its edit: one transaction."""
        async with self.db.write(background=True) as session:
            await set_statuspage_id(
                session=session,
                incident_id=incident.id,
                remote_id=str(remote["id"]),
                url=remote.get("shortlink"),
            )
            if entry_id is not None:
                await set_mirrored(session=session, entry_id=entry_id)
                owed = Owed(K.ENTRY_REFRESH, Payload(entry_id=entry_id))
                enqueue(session=session, incident_id=incident.id, owed=owed, now=self.clock())

    async def _notice(self, incident_id: int, text: str) -> None:
        async with self.db.write(background=True) as session:
            owed = Owed(K.NOTICE, Payload(text=text))
            enqueue(session=session, incident_id=incident_id, owed=owed, now=self.clock())
