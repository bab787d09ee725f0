"""Incident use cases: declare, update, roles, severity, status, impact, resolve, pins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.errors import UsageError
from bot.domain.model import Entry, EntryKind, IncidentState, Role, Severity, Status
from bot.domain.public import ComponentStatus, match_components
from bot.logs import current_incident
from bot.retrospective import Retrospective
from bot.service_core import SLACK, STATUSPAGE, Clock, Outcome, incident_in, utc_now
from storage import incidents as q
from storage.models import Incident

DOUBLE_SUBMIT_WINDOW = timedelta(seconds=10)

__all__ = ["SLACK", "STATUSPAGE", "Clock", "IncidentService", "Outcome", "utc_now"]


class IncidentService(Retrospective):
    """Every use case of warroom, over one database."""

    async def declare_incident(
        self,
        *,
        title: str,
        severity: Severity | None,
        user_id: str,
        origin_channel_id: str | None,
        response_url: str | None,
        description: str | None = None,
        once_key: str | None = None,
    ) -> Outcome:
        """Open an incident; its channel, invite, topic, summary and announcement follow.

        A double submit (the same person, the same title, within seconds) opens one incident:
        the second call gets the first one back, marked `duplicate`.
        """
        now = self.clock()
        severity = severity or self.default_severity
        async with self.db.write() as session:
            await q.serialize_declarer(session=session, user_id=user_id)
            if once_key is not None and not await q.claim_once(
                session=session, key=once_key, now=now
            ):
                raise UsageError("That form was already submitted.")
            twin = await q.recent_twin(
                session=session, user_id=user_id, title=title, since=now - DOUBLE_SUBMIT_WINDOW
            )
            if twin is not None:
                return Outcome(await q.incident_state(session, twin), None, duplicate=True)
            incident = await q.create_incident(
                session=session,
                title=title,
                severity=severity.value,
                status=Status.INVESTIGATING.value,
                declared_by=user_id,
                origin_channel_id=origin_channel_id,
                now=now,
            )
            assert incident.id is not None
            current_incident.set(f"INC-{incident.number}")
            entry = await q.add_entry(
                session=session,
                incident=incident,
                at=now,
                actor_id=user_id,
                kind=EntryKind.DECLARED,
                text=title,
                data={"severity": severity.value},
            )
            self._owe(session, incident, "channel.create")
            self._owe(session, incident, "channel.invite", users=[user_id])
            self._owe(session, incident, "channel.topic")
            self._owe(session, incident, "summary.refresh")
            self._owe(session, incident, "user.notify", user=user_id, response_url=response_url)
            if self.announce:
                self._owe(session, incident, "announce", entry_id=entry.id)
            if description:
                first = await q.add_entry(
                    session=session,
                    incident=incident,
                    at=now,
                    actor_id=user_id,
                    kind=EntryKind.UPDATE,
                    text=description,
                )
                self._owe(session, incident, "entry.post", entry_id=first.id)
            state = await q.incident_state(session, incident)
        self.on_commit()
        return Outcome(state, q.to_entry(entry))

    async def post_update(self, *, channel_id: str, user_id: str, text: str) -> Outcome:
        """Record an internal update."""
        return await self._change(
            channel_id, user_id, EntryKind.UPDATE, text, None, ("entry.post", "summary.refresh")
        )

    async def set_impact(
        self,
        *,
        channel_id: str,
        user_id: str,
        components: Sequence[str],
        status: ComponentStatus,
    ) -> Outcome:
        """Set what the public sees as affected; published on the status pages."""
        names = match_components(components, self.components())

        async def impact(_: AsyncSession, __: Incident) -> dict[str, Any]:
            return {"components": names, "status": status.value}

        return await self._change(
            channel_id, user_id, EntryKind.IMPACT, "", impact, ("entry.post", "summary.refresh")
        )

    async def set_public_name(self, *, channel_id: str, user_id: str, name: str) -> Outcome:
        """Set the name the public sees; the title stays internal."""

        async def rename(session: AsyncSession, incident: Incident) -> dict[str, Any]:
            assert incident.id is not None
            previous, incident.public_name = incident.public_name, name
            if await q.has_public_entry(session=session, incident_id=incident.id):
                await self._publish(session, incident, "incident.sync", entry_id=None)
            return {"name": name, "previous": previous}

        return await self._change(
            channel_id, user_id, EntryKind.PUBLIC_NAME, name, rename, ("entry.post",)
        )

    async def assign_role(
        self, *, channel_id: str, user_id: str, role: Role, assignee_id: str
    ) -> Outcome:
        """Give a role to someone; the previous holder's term ends and stays in history."""
        now = self.clock()
        async with self.db.write() as session:
            incident = await self._open_incident(session, channel_id)
            assert incident.id is not None
            current = await q.current_roles(session=session, incident_id=incident.id)
            if current.get(role.value) == assignee_id:
                raise UsageError(f"<@{assignee_id}> is already the {role.value}.")
            previous = await q.assign_role(
                session=session,
                incident_id=incident.id,
                role=role.value,
                user_id=assignee_id,
                assigned_by=user_id,
                now=now,
            )
            entry = await self._record(
                session,
                incident,
                now,
                user_id,
                EntryKind.ROLE,
                "",
                {"role": role.value, "user": assignee_id, "previous": previous},
            )
            self._owe(session, incident, "channel.invite", users=[assignee_id])
            self._owe(session, incident, "entry.post", entry_id=entry.id)
            if role is Role.COMMANDER:
                self._owe(session, incident, "channel.topic")
            self._owe(session, incident, "summary.refresh")
            state = await q.incident_state(session, incident)
        self.on_commit()
        return Outcome(state, q.to_entry(entry))

    async def change_severity(
        self, *, channel_id: str, user_id: str, severity: Severity
    ) -> Outcome:
        """Change the severity and tell the announcements channel."""

        async def check(_: AsyncSession, incident: Incident) -> dict[str, Any]:
            if incident.severity == severity.value:
                raise UsageError(f"INC-{incident.number} is already {severity.label}.")
            previous, incident.severity = incident.severity, severity.value
            return {"severity": severity.value, "previous": previous}

        return await self._change(
            channel_id,
            user_id,
            EntryKind.SEVERITY,
            "",
            check,
            ("entry.post", "channel.topic", "summary.refresh", "announce"),
        )

    async def change_status(
        self, *, channel_id: str, user_id: str, status: Status, message: str
    ) -> Outcome:
        """Change the status with a message for stakeholders."""

        async def change(_: AsyncSession, incident: Incident) -> dict[str, Any]:
            previous, incident.status = incident.status, status.value
            if status is Status.MONITORING and incident.mitigated_at is None:
                incident.mitigated_at = self.clock()  # monitoring a fix means impact is mitigated
            return {"status": status.value, "previous": previous}

        return await self._change(
            channel_id,
            user_id,
            EntryKind.STATUS,
            message,
            change,
            ("entry.post", "channel.topic", "summary.refresh", "announce"),
        )

    async def resolve_incident(
        self, *, channel_id: str, user_id: str, message: str | None
    ) -> Outcome:
        """Close the incident."""

        async def close(session: AsyncSession, incident: Incident) -> dict[str, Any]:
            assert incident.id is not None
            was_public = await q.has_public_entry(session=session, incident_id=incident.id)
            previous, incident.status = incident.status, Status.RESOLVED.value
            incident.resolved_at = self.clock()
            return {"status": Status.RESOLVED.value, "previous": previous, "public": was_public}

        return await self._change(
            channel_id,
            user_id,
            EntryKind.RESOLVED,
            message or "",
            close,
            ("entry.post", "channel.topic", "summary.refresh", "announce", "postmortem.upload"),
        )

    async def record_pinned_message(
        self,
        *,
        channel_id: str,
        message_ts: str,
        author_id: str,
        text: str,
        pinned_by: str,
        event_id: str | None = None,
    ) -> bool:
        """Add a :pushpin:-ed message to the timeline once; return whether it was new."""
        async with self.db.write() as session:
            if event_id is not None and not await q.claim_once(
                session=session, key=f"event:{event_id}", now=self.clock()
            ):
                return False  # Slack redelivered an event that already took effect
            incident = await q.get_incident_by_channel(
                session=session, channel_id=channel_id, for_update=True
            )
            if incident is None or incident.id is None:
                return False
            if await q.has_entry_from(
                session=session, incident_id=incident.id, source_ts=message_ts
            ):
                return False
            at = datetime.fromtimestamp(float(message_ts), UTC)
            entry = await q.add_entry(
                session=session,
                incident=incident,
                at=at,
                actor_id=author_id,
                kind=EntryKind.PINNED,
                text=text,
                data={"pinned_by": pinned_by},
                source_ts=message_ts,
            )
            self._owe(session, incident, "entry.post", entry_id=entry.id)
        self.on_commit()
        return True

    async def is_incident_channel(self, *, channel_id: str) -> bool:
        """Return whether the channel belongs to an incident."""
        async with self.db.read() as session:
            found = await q.get_incident_by_channel(session=session, channel_id=channel_id)
            return found is not None

    async def get_incident(self, *, channel_id: str) -> tuple[IncidentState, Sequence[Entry]]:
        """Return the incident of this channel and its timeline."""
        async with self.db.read() as session:
            incident = await incident_in(session, channel_id)
            assert incident.id is not None
            entries = await q.list_entries(session=session, incident_id=incident.id)
            return await q.incident_state(session, incident), [q.to_entry(e) for e in entries]

    async def list_open_incidents(self) -> list[IncidentState]:
        """Return the open incidents, newest first."""
        async with self.db.read() as session:
            rows = await q.list_open_incidents(session=session)
            return [await q.incident_state(session, row, with_extras=False) for row in rows]
