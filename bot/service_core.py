"""The machinery every use case shares: one transaction = state + timeline entry + outbox rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.errors import IncidentClosed, NotAnIncidentChannel
from bot.domain.model import (
    Entry,
    EntryKind,
    IncidentState,
    Severity,
    Status,
)
from bot.domain.public import is_public
from bot.logs import current_incident
from storage import incidents as q
from storage.db import Database
from storage.models import Incident, TimelineEntry
from storage.outbox import enqueue

SLACK = "slack"
STATUSPAGE = "statuspage"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, tz-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """What a change did, for the reply to the person who asked."""

    incident: IncidentState
    entry: Entry | None = None
    duplicate: bool = False


class ServiceCore:
    """Dependencies and the one-transaction change that every use case is built on."""

    def __init__(
        self,
        *,
        db: Database,
        default_severity: Severity,
        announce: bool,
        statuspage: bool = False,
        components: Callable[[], Sequence[str]] = list,
        clock: Clock = utc_now,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.default_severity = default_severity
        self.announce = announce
        self.clock = clock
        self.on_commit = on_commit
        self.statuspage = statuspage
        self.components = components

    async def _change(
        self,
        channel_id: str,
        user_id: str,
        kind: EntryKind,
        text: str,
        apply: Callable[[AsyncSession, Incident], Awaitable[dict[str, Any]]] | None,
        owed: tuple[str, ...],
        *,
        closed_ok: bool = False,
    ) -> Outcome:
        now = self.clock()
        async with self.db.write() as session:
            if closed_ok:
                incident = await incident_in(session, channel_id, for_update=True)
            else:
                incident = await self._open_incident(session, channel_id)
            data = await apply(session, incident) if apply is not None else {}
            entry = await self._record(session, incident, now, user_id, kind, text, data)
            if is_public(q.to_entry(entry)):
                await self._publish(session, incident, "incident.sync", entry_id=entry.id)
            for kind_owed in owed:
                if kind_owed == "entry.post":
                    self._owe(session, incident, kind_owed, entry_id=entry.id)
                elif kind_owed == "announce":
                    if self.announce:
                        self._owe(session, incident, kind_owed, entry_id=entry.id)
                else:
                    self._owe(session, incident, kind_owed)
            state = await q.incident_state(session, incident, with_extras=False)  # reply only
        self.on_commit()
        return Outcome(state, q.to_entry(entry))

    async def _record(
        self,
        session: AsyncSession,
        incident: Incident,
        now: datetime,
        user_id: str,
        kind: EntryKind,
        text: str,
        data: Mapping[str, Any],
    ) -> TimelineEntry:
        incident.version += 1
        incident.updated_at = now
        session.add(incident)
        return await q.add_entry(
            session=session,
            incident=incident,
            at=now,
            actor_id=user_id,
            kind=kind,
            text=text,
            data=data,
        )

    async def _open_incident(self, session: AsyncSession, channel_id: str) -> Incident:
        incident = await incident_in(session, channel_id, for_update=True)
        if not Status(incident.status).is_open:
            raise IncidentClosed(
                f"INC-{incident.number} is resolved and takes no more changes.",
                hint="To follow up, declare a new incident: `/incident declare <title>`.",
            )
        return incident

    async def _publish(
        self, session: AsyncSession, incident: Incident, kind: str, **payload: object
    ) -> None:
        """Mark public data changed, and owe the change to Atlassian Statuspage if configured."""
        await q.bump_counter(session=session, name=q.PUBLIC_VERSION)
        if self.statuspage:
            enqueue(
                session=session,
                incident_id=incident.id,
                destination=STATUSPAGE,
                kind=kind,
                payload=payload,
                now=self.clock(),
            )

    def _owe(self, session: AsyncSession, incident: Incident, kind: str, **payload: object) -> None:
        enqueue(
            session=session,
            incident_id=incident.id,
            destination=SLACK,
            kind=kind,
            payload=payload,
            now=self.clock(),
        )


async def incident_in(
    session: AsyncSession, channel_id: str, *, for_update: bool = False
) -> Incident:
    incident = await q.get_incident_by_channel(
        session=session, channel_id=channel_id, for_update=for_update
    )
    if incident is None:
        raise NotAnIncidentChannel(
            "This isn't an incident channel.",
            hint="Run this in the incident's channel (see `/incident list`), "
            "or declare one with `/incident declare <title>`.",
        )
    current_incident.set(f"INC-{incident.number}")
    return incident
