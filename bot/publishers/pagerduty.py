"""Page services through PagerDuty's Events API v2: one alert per incident and service.

Exactly once: each page carries the dedup key `warroom-<incident uid>-<service>`, so a trigger
sent again (a retry after a timeout, a crash before the outcome was recorded) lands on the
alert it already opened. Resolving the incident resolves every service it paged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import aiohttp

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination, Owed, Payload
from bot.domain.entries import Paged
from bot.domain.model import IncidentState
from bot.domain.paging import dedup_key, page_level
from bot.domain.text import one_line, slack_to_plain
from bot.publishers.base import DeliveryError, not_mine
from storage.db import Database
from storage.incidents import load_state
from storage.outbox import enqueue
from storage.timeline import get_entry, list_entries

log = logging.getLogger(__name__)
K = DeliveryKind
CHANNEL_WAIT = timedelta(seconds=15)


class PagerDutyClient:
    """POSTs events to the Events API v2 and maps its answers to DeliveryError."""

    def __init__(self, *, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url

    async def send(self, event: dict[str, Any]) -> None:
        """Send one event; 202 is done, 400 permanent, 429 and 5xx retried."""
        try:
            async with self.http.post(
                self.url, json=event, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                if response.status == 202:
                    return
                if response.status == 429:
                    after = response.headers.get("Retry-After", "")
                    wait = float(after) if after.isdigit() else None
                    raise DeliveryError("PagerDuty is throttling events (429)", retry_after=wait)
                if response.status == 400:
                    errors = _errors(await response.text())
                    raise DeliveryError(f"PagerDuty refused the event: {errors}", permanent=True)
                if 400 < response.status < 500:
                    raise DeliveryError(f"PagerDuty answered {response.status}", permanent=True)
                raise DeliveryError(f"PagerDuty answered {response.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"PagerDuty unreachable: {type(error).__name__}") from error


def _errors(text: str) -> str:
    """Return the `errors` of PagerDuty's 400 answer, or the start of its body."""
    try:
        body = json.loads(text)
    except ValueError:
        return text[:200]
    found = body.get("errors") if isinstance(body, dict) else None
    return "; ".join(str(e) for e in found)[:500] if isinstance(found, list) else text[:200]


class PagerDutyPublisher:
    """Triggers and resolves the incident's pages, and tells the channel when one fails."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.PAGERDUTY)

    def __init__(
        self,
        *,
        db: Database,
        client: PagerDutyClient,
        routing_keys: Mapping[str, str],
        status_page_url: str | None,
        clock: Clock,
    ) -> None:
        self.db, self.client, self.keys = db, client, dict(routing_keys)
        self.status_page_url, self.clock = status_page_url, clock

    async def deliver(self, delivery: Delivery) -> None:
        """Send the page's trigger, or resolve every page of the incident."""
        if delivery.incident_id is None:
            raise DeliveryError(f"{delivery.kind} without an incident", permanent=True)
        match delivery.kind:
            case K.PAGE_TRIGGER:
                await self._trigger(delivery.incident_id, delivery)
            case K.PAGE_RESOLVE:
                await self._resolve(delivery.incident_id)
            case _:  # the relay hands each deliverer its destination's kinds only
                raise not_mine(delivery)

    async def _trigger(self, incident_id: int, delivery: Delivery) -> None:
        payload = delivery.payload
        service = payload.service or ""
        key = self.keys.get(service)
        if key is None:
            raise DeliveryError(f"no routing key for the service {service!r}", permanent=True)
        async with self.db.read() as session:
            state = await load_state(session=session, incident_id=incident_id, with_roles=False)
            entry = await get_entry(session=session, entry_id=payload.entry_id or 0)
        if state is None:
            raise DeliveryError(f"incident {incident_id} is gone", permanent=True)
        if state.channel_id is None and self.clock() - delivery.created_at < CHANNEL_WAIT:
            # A page links the incident channel: wait a moment for Slack to create it, never
            # longer (a page must go out even while Slack is down).
            raise DeliveryError("waiting for the incident channel", deferred=True, retry_after=1)
        message = entry.text if entry is not None else ""
        await self.client.send(self.trigger_event(state, service, key, message))

    def trigger_event(
        self, state: IncidentState, service: str, key: str, message: str
    ) -> dict[str, Any]:
        """Return the trigger event of a page to `service` about the incident."""
        # Slack markup means nothing in PagerDuty: mentions and links read as plain text there.
        message = slack_to_plain(message)
        said = f": {one_line(message, 300)}" if message else ""
        summary = f"{state.ref} ({state.severity.label}) {slack_to_plain(state.title)}{said}"
        links = []
        if state.channel_id:
            channel = f"https://slack.com/app_redirect?channel={state.channel_id}"
            links.append({"href": channel, "text": f"{state.ref} in Slack"})
        if self.status_page_url:
            links.append({"href": self.status_page_url, "text": "Status page"})
        details = {
            "incident": state.ref,
            "title": slack_to_plain(state.title),
            "message": message or None,
        }
        return {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": dedup_key(state.uid, service),
            "payload": {
                "summary": summary[:1024],
                "source": "warroom",
                "severity": page_level(state.severity).value,
                "component": service,
                "custom_details": details,
            },
            "links": links,
            "client": "warroom",
        }

    async def _resolve(self, incident_id: int) -> None:
        async with self.db.read() as session:
            state = await load_state(session=session, incident_id=incident_id, with_roles=False)
            entries = await list_entries(session=session, incident_id=incident_id)
        if state is None:
            raise DeliveryError(f"incident {incident_id} is gone", permanent=True)
        paged = dict.fromkeys(e.fact.service for e in entries if isinstance(e.fact, Paged))
        for service in paged:  # a resolve already applied is dropped by PagerDuty: harmless
            key = self.keys.get(service)
            if key is None:
                log.warning("no routing key for %s any more: its page stays open", service)
                continue
            event = {
                "routing_key": key,
                "event_action": "resolve",
                "dedup_key": dedup_key(state.uid, service),
            }
            await self.client.send(event)

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell the incident channel that a page has not gone out (yet)."""
        if delivery.incident_id is None:
            return
        what = delivery.kind.spec.what
        service = delivery.payload.service
        about = f" ({service})" if service else ""
        text = (
            f":rotating_light: *Could not {what}*{about}: I gave up ({error}). "
            "Page them by hand, or retry with `warroom outbox retry`."
            if dead
            else f":warning: *Not yet able to {what}*{about} ({error}). I'll keep retrying."
        )
        async with self.db.write(background=True) as session:
            owed = Owed(K.NOTICE, Payload(text=text))
            enqueue(session=session, incident_id=delivery.incident_id, owed=owed, now=self.clock())
