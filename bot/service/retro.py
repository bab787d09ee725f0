"""After the fire: milestones, follow-up actions, the post-mortem and its public summary."""

from __future__ import annotations

from datetime import datetime

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.entries import MilestoneSet, SummaryPublished
from bot.domain.errors import IncidentNotFound, UsageError
from bot.domain.milestones import Milestone
from bot.domain.model import Status
from bot.domain.postmortem import PostmortemData
from bot.domain.replies import Changed, PostmortemRequested
from bot.domain.review import ReviewFact
from bot.service.context import Context
from bot.service.unit import Work, change, incident_in, private_refusal
from storage import incidents as q
from storage import postmortem as pm


async def set_milestone(
    ctx: Context, *, channel_id: str, user_id: str, milestone: Milestone, at: datetime
) -> Changed:
    """Correct a milestone; refused when it would put them out of order."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        incident = work.incident
        if milestone is Milestone.RESOLVED and incident.resolved_at is None:
            raise UsageError("The incident is not resolved yet: use `/incident resolve`.")
        moved = q.milestones_of(incident).with_(milestone, at, now=work.now)
        incident.started_at, incident.detected_at = moved.started, moved.detected
        incident.mitigated_at, incident.resolved_at = moved.mitigated, moved.resolved
        entry = await work.record(user_id, MilestoneSet(milestone, at))
        work.post(entry, K.SUMMARY_REFRESH)
        state = await work.state()
    return Changed(state, entry)


async def set_review(ctx: Context, *, channel_id: str, user_id: str, fact: ReviewFact) -> Changed:
    """Set the post-mortem's owner, status or review date; allowed after resolve too."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        entry = await work.record(user_id, fact)
        work.post(entry)
        state = await work.state()
    return Changed(state, entry)


async def request_postmortem(ctx: Context, *, channel_id: str) -> PostmortemRequested:
    """Owe the channel a freshly rendered post-mortem draft."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        _refuse_false_alarm(work)
        work.owe(K.POSTMORTEM_UPLOAD)
        state = await work.state()
    return PostmortemRequested(state)


async def publish_postmortem(ctx: Context, *, channel_id: str, user_id: str, text: str) -> Changed:
    """Publish the public post-incident summary on the status pages."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        work.refuse_if_private("publish a public summary")
        incident = work.incident
        _refuse_false_alarm(work)
        if incident.resolved_at is None:
            raise UsageError("Publish the public summary once the incident is resolved.")
        incident.postmortem_public, incident.postmortem_published_at = text, work.now
        entry = await work.record(user_id, SummaryPublished(), text)
        await work.publish(K.POSTMORTEM_PUBLISH, entry_id=entry.id)
        work.post(entry)
        state = await work.state()
    return Changed(state, entry)


async def refuse_publish_if_private(ctx: Context, *, channel_id: str) -> None:
    """Refuse to open the public-summary form of a private incident."""
    async with ctx.db.read() as session:
        incident = await incident_in(session, channel_id)
    if incident.private:
        raise private_refusal(f"INC-{incident.number}", "publish a public summary")


async def postmortem(
    ctx: Context, *, number: int | None = None, channel_id: str | None = None
) -> PostmortemData:
    """Return what the draft of INC-<number> (or the channel's incident) is made of."""
    async with ctx.db.read() as session:
        if channel_id is not None:
            incident = await incident_in(session, channel_id)
        else:
            found = await q.get_incident_by_number(session=session, number=number or 0)
            if found is None:
                raise IncidentNotFound(f"There is no INC-{number}.")
            incident = found
        return await pm.load_postmortem(session=session, incident=incident)


def _refuse_false_alarm(work: Work) -> None:
    """Refuse a post-mortem for a canceled incident: a false alarm has none."""
    if work.incident.status == Status.CANCELED.value:
        raise UsageError(
            f"{work.ref} was canceled as a false alarm: it has no post-mortem.",
            hint=f"If it was real, reopen it: `/incident {work.ref} reopen <reason>`.",
        )
