"""Use cases after the fire: milestones, follow-up actions, the post-mortem and its summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.errors import IncidentNotFound, UsageError
from bot.domain.milestones import Milestone
from bot.domain.model import EntryKind, IncidentState
from bot.domain.postmortem import Action, PostmortemData
from bot.service_core import Outcome, ServiceCore, incident_in
from storage import incidents as q
from storage import postmortem as pm
from storage.models import Incident


class Retrospective(ServiceCore):
    """Milestones, actions and post-mortems; allowed after the incident is resolved."""

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
            incident = await incident_in(session, channel_id)
            assert incident.id is not None
            rows = await pm.list_follow_ups(session=session, incident_id=incident.id)
            state = await q.incident_state(session, incident, with_extras=False)
        return state, [Action(r.number, r.text, r.owner_id, r.done) for r in rows]

    async def request_postmortem(self, *, channel_id: str) -> IncidentState:
        """Owe the channel a freshly rendered post-mortem draft."""
        async with self.db.write() as session:
            incident = await incident_in(session, channel_id)
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
            await self._publish(session, incident, "postmortem.publish")
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
                incident = await incident_in(session, channel_id)
            else:
                found = await q.get_incident_by_number(session=session, number=number or 0)
                if found is None:
                    raise IncidentNotFound(f"There is no INC-{number}.")
                incident = found
            return await pm.load_postmortem(session=session, incident=incident)
