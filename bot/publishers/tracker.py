"""What the backlog deliverers (GitHub, Jira) share: reading an action, recording its ticket,
and telling the incident channel once when it cannot get there."""

from __future__ import annotations

import hashlib

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Owed, Payload
from bot.domain.tickets import Ticket
from bot.publishers.base import DeliveryError
from storage import actions as store
from storage.db import Database
from storage.once import claim_once
from storage.outbox import enqueue
from storage.postmortem import names_of

K = DeliveryKind
TICKETS = (K.ACTION_GITHUB, K.ACTION_JIRA)  # the kinds that keep an action's tickets in step


def channel_link(channel_id: str | None) -> str | None:
    """Return a link that opens the incident channel in Slack."""
    return f"https://slack.com/app_redirect?channel={channel_id}" if channel_id else None


class TrackerRecords:
    """The database side of a backlog deliverer."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def load(self, delivery: Delivery) -> tuple[store.Ticketed, Ticket] | None:
        """Return the action a delivery is about and its ticket's contents (None: it is gone)."""
        number = delivery.payload.number
        if delivery.incident_id is None or number is None:
            raise DeliveryError(f"{delivery.kind} without its action", permanent=True)
        async with self.db.read() as session:
            found = await store.load_ticketed(
                session=session, incident_id=delivery.incident_id, number=number
            )
            if found is None:
                return None
            owner = found.row.owner_id
            names = await names_of(session=session, user_ids=[owner] if owner else [])
        row = found.row
        ticket = Ticket(
            ref=f"INC-{found.incident_number}",
            uid=found.incident_uid,
            number=row.number,
            text=row.text,
            done=row.done,
            channel_url=channel_link(found.channel_id),
            owner=names.get(owner or "", owner),
            priority=row.priority,
            due_on=row.due_on,
        )
        return found, ticket

    async def remember_github(self, found: store.Ticketed, *, number: int, url: str | None) -> None:
        """Record the GitHub issue; when its link is new, owe the action's message its edit."""
        async with self.db.write(background=True) as session:
            await store.set_github_issue(
                session=session,
                incident_id=found.incident_id,
                number=found.row.number,
                issue=number,
                url=url,
            )
            await self._refresh(session, found, url)
        found.row.github_number = number

    async def remember_jira(self, found: store.Ticketed, *, key: str, url: str | None) -> None:
        """Record the Jira issue; its link is the one shown."""
        async with self.db.write(background=True) as session:
            await store.set_jira_issue(
                session=session,
                incident_id=found.incident_id,
                number=found.row.number,
                key=key,
                url=url,
            )
            await self._refresh(session, found, url)
        found.row.jira_key = key

    async def _refresh(self, session: AsyncSession, found: store.Ticketed, url: str | None) -> None:
        if url is None or url == found.row.ticket_url:
            return
        entry_id = await store.added_entry_id(
            session=session, incident_id=found.incident_id, number=found.row.number
        )
        if entry_id is not None:
            owed = Owed(K.ENTRY_REFRESH, Payload(entry_id=entry_id))
            enqueue(session=session, incident_id=found.incident_id, owed=owed, now=self.clock())

    async def tell_once(self, delivery: Delivery, tracker: str, error: str) -> None:
        """Post in the incident channel that actions could not reach the tracker: once per
        incident and reason, however many actions died of it."""
        if delivery.incident_id is None:
            return
        text = (
            f":warning: Follow-up actions are not reaching {tracker} (from action "
            f"{delivery.payload.number} on): {error}. I gave up on them; once the {tracker} "
            "settings are fixed, an operator can retry with `warroom outbox retry`."
        )
        reason = hashlib.sha256(error.encode()).hexdigest()[:16]
        async with self.db.write(background=True) as session:
            key = f"{tracker.lower()}-dead:{delivery.incident_id}:{reason}"
            if await claim_once(session=session, key=key, now=self.clock()):
                owed = Owed(K.NOTICE, Payload(text=text))
                enqueue(
                    session=session, incident_id=delivery.incident_id, owed=owed, now=self.clock()
                )


__all__ = ["TrackerRecords", "channel_link"]
