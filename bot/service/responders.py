"""Bringing a severity's responders in (SEVERITY_RESPONDERS), and the call bookmark."""

from __future__ import annotations

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.deliveries import Payload
from bot.domain.entries import RespondersInvited
from bot.domain.model import Severity
from bot.domain.responders import groups_to_invite
from bot.service.context import Context
from bot.service.unit import Work
from storage import incidents as q
from storage.once import claim_once


async def invite_responders(work: Work, actor_id: str, *, previous: Severity | None = None) -> None:
    """Owe the invite of the user groups for the incident's severity, when the actor just
    declared it at that severity (`previous` None) or escalated it there."""
    if not work.ctx.responders:
        return
    state = await work.state()
    groups = groups_to_invite(work.ctx.responders, state, previous=previous)
    if groups:
        payload = Payload(groups=groups, severity=state.severity.value, user=actor_id)
        work.owe(K.RESPONDERS_INVITE, payload=payload)


async def record_responders(
    ctx: Context, incident_id: int, delivery_id: int, actor_id: str, fact: RespondersInvited
) -> bool:
    """Put who the invite brought in on the timeline (and so in the channel), once per
    delivery however often it is retried; False if it already was."""
    now = ctx.clock()
    async with ctx.db.write() as session:
        incident = await q.get_incident(session=session, incident_id=incident_id, for_update=True)
        key = f"responders:{delivery_id}"
        if incident is None or not await claim_once(session=session, key=key, now=now):
            return False
        work = Work(ctx, session, incident, now)
        work.post(await work.record(actor_id, fact))
        await work.flush()
    ctx.on_commit()
    return True


def bookmark_call(work: Work) -> None:
    """Owe the call link's bookmark in the channel, when INCIDENT_CALL_URL is set."""
    if work.ctx.call_url is not None:
        work.owe(K.CALL_BOOKMARK)
