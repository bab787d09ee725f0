"""Use cases. Each change is one transaction: the state, its timeline entry, its outbox rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.errors import IncidentClosed, IncidentNotFound, NotAnIncidentChannel, UsageError
from bot.domain.milestones import Milestone
from bot.domain.model import (
    Entry,
    EntryKind,
    IncidentState,
    Role,
    Severity,
    Status,
)
from bot.domain.postmortem import Action, PostmortemData
from bot.domain.public import ComponentStatus, is_public, match_components
from storage import incidents as q
from storage import postmortem as pm
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


class IncidentService:
    """The incident use cases, over one database."""

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

    async def declare_incident(
        self,
        *,
        title: str,
        severity: Severity | None,
        user_id: str,
        origin_channel_id: str | None,
        response_url: str | None,
        description: str | None = None,
    ) -> Outcome:
        """Open an incident; its channel, invite, topic, summary and announcement follow."""
        now = self.clock()
        severity = severity or self.default_severity
        async with self.db.write() as session:
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
                await self._publish(session, incident, None)
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

    async def set_milestone(
        self, *, channel_id: str, user_id: str, milestone: Milestone, at: datetime
    ) -> Outcome:
        """Correct a milestone; refused when it would put them out of order."""

        async def move(_: AsyncSession, incident: Incident) -> dict[str, Any]:
            if milestone is Milestone.RESOLVED and incident.resolved_at is None:
                raise UsageError("The incident is not resolved yet: use `/incident resolve`.")
            changed = q.milestones_of(incident).with_(milestone, at, now=self.clock())
            incident.started_at, incident.detected_at = changed.started, changed.detected
            incident.mitigated_at, incident.resolved_at = changed.mitigated, changed.resolved
            return {"milestone": milestone.value, "at": at.isoformat()}

        return await self._change(
            channel_id,
            user_id,
            EntryKind.MILESTONE,
            "",
            move,
            ("entry.post", "summary.refresh"),
            closed_ok=True,
        )

    async def add_action(
        self, *, channel_id: str, user_id: str, text: str, owner_id: str | None
    ) -> Outcome:
        """Add a follow-up action, during or after the incident."""

        async def add(session: AsyncSession, incident: Incident) -> dict[str, Any]:
            assert incident.id is not None
            row = await pm.add_follow_up(
                session=session,
                incident_id=incident.id,
                text=text,
                owner_id=owner_id,
                created_by=user_id,
                now=self.clock(),
            )
            return {"number": row.number, "owner": owner_id, "verb": "added"}

        return await self._change(
            channel_id, user_id, EntryKind.ACTION, text, add, ("entry.post",), closed_ok=True
        )

    async def complete_action(self, *, channel_id: str, user_id: str, number: int) -> Outcome:
        """Mark follow-up action <number> done."""

        async def done(session: AsyncSession, incident: Incident) -> dict[str, Any]:
            assert incident.id is not None
            row = await pm.get_follow_up(session=session, incident_id=incident.id, number=number)
            if row is None:
                raise UsageError(
                    f"INC-{incident.number} has no action {number}.",
                    hint="See the numbers with `/incident actions`.",
                )
            if row.done:
                raise UsageError(f"Action {number} is already done.")
            row.done, row.done_at = True, self.clock()
            session.add(row)
            return {"number": number, "verb": "completed"}

        return await self._change(
            channel_id, user_id, EntryKind.ACTION, "", done, ("entry.post",), closed_ok=True
        )

    async def list_actions(self, *, channel_id: str) -> tuple[IncidentState, list[Action]]:
        """Return the incident's follow-up actions."""
        async with self.db.read() as session:
            incident = await _incident_in(session, channel_id)
            assert incident.id is not None
            rows = await pm.list_follow_ups(session=session, incident_id=incident.id)
            state = await q.incident_state(session, incident, with_extras=False)
        return state, [Action(r.number, r.text, r.owner_id, r.done) for r in rows]

    async def request_postmortem(self, *, channel_id: str) -> IncidentState:
        """Owe the channel a freshly rendered post-mortem draft."""
        async with self.db.write() as session:
            incident = await _incident_in(session, channel_id)
            self._owe(session, incident, "postmortem.upload")
            state = await q.incident_state(session, incident, with_extras=False)
        self.on_commit()
        return state

    async def publish_postmortem(self, *, channel_id: str, user_id: str, text: str) -> Outcome:
        """Publish the public post-incident summary on the status pages."""

        async def publish(session: AsyncSession, incident: Incident) -> dict[str, Any]:
            if incident.resolved_at is None:
                raise UsageError("Publish the public summary once the incident is resolved.")
            incident.postmortem_public = text
            incident.postmortem_published_at = self.clock()
            await q.bump_counter(session=session, name=q.PUBLIC_VERSION)
            if self.statuspage:
                enqueue(
                    session=session,
                    incident_id=incident.id,
                    destination=STATUSPAGE,
                    kind="postmortem.publish",
                    payload={},
                    now=self.clock(),
                )
            return {}

        return await self._change(
            channel_id,
            user_id,
            EntryKind.POSTMORTEM,
            text,
            publish,
            ("entry.post",),
            closed_ok=True,
        )

    async def postmortem(
        self, *, number: int | None = None, channel_id: str | None = None
    ) -> PostmortemData:
        """Return what the draft of INC-<number> (or the channel's incident) is made of."""
        async with self.db.read() as session:
            if channel_id is not None:
                incident = await _incident_in(session, channel_id)
            else:
                found = await q.get_incident_by_number(session=session, number=number or 0)
                if found is None:
                    raise IncidentNotFound(f"There is no INC-{number}.")
                incident = found
            return await pm.load_postmortem(session=session, incident=incident)

    async def record_pinned_message(
        self, *, channel_id: str, message_ts: str, author_id: str, text: str, pinned_by: str
    ) -> bool:
        """Add a :pushpin:-ed message to the timeline once; return whether it was new."""
        async with self.db.write() as session:
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
            incident = await _incident_in(session, channel_id)
            assert incident.id is not None
            entries = await q.list_entries(session=session, incident_id=incident.id)
            return await q.incident_state(session, incident), [q.to_entry(e) for e in entries]

    async def list_open_incidents(self) -> list[IncidentState]:
        """Return the open incidents, newest first."""
        async with self.db.read() as session:
            rows = await q.list_open_incidents(session=session)
            return [await q.incident_state(session, row, with_extras=False) for row in rows]

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
                incident = await _incident_in(session, channel_id, for_update=True)
            else:
                incident = await self._open_incident(session, channel_id)
            data = await apply(session, incident) if apply is not None else {}
            entry = await self._record(session, incident, now, user_id, kind, text, data)
            if is_public(q.to_entry(entry)):
                await self._publish(session, incident, entry.id)
            for kind_owed in owed:
                if kind_owed == "entry.post":
                    self._owe(session, incident, kind_owed, entry_id=entry.id)
                elif kind_owed == "announce":
                    if self.announce:
                        self._owe(session, incident, kind_owed, entry_id=entry.id)
                else:
                    self._owe(session, incident, kind_owed)
            state = await q.incident_state(session, incident)
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
        incident = await _incident_in(session, channel_id, for_update=True)
        if not Status(incident.status).is_open:
            raise IncidentClosed(
                f"INC-{incident.number} is resolved and takes no more changes.",
                hint="To follow up, declare a new incident: `/incident declare <title>`.",
            )
        return incident

    async def _publish(
        self, session: AsyncSession, incident: Incident, entry_id: int | None
    ) -> None:
        """Mark public data changed, and owe the change to Atlassian Statuspage if configured."""
        await q.bump_counter(session=session, name=q.PUBLIC_VERSION)
        if self.statuspage:
            enqueue(
                session=session,
                incident_id=incident.id,
                destination=STATUSPAGE,
                kind="incident.sync",
                payload={"entry_id": entry_id},
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


async def _incident_in(
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
    return incident
