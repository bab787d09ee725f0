"""Declaring an incident: the row, its first entries, and everything Slack owes it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.deliveries import Payload
from bot.domain.entries import Declared, Updated
from bot.domain.errors import UsageError
from bot.domain.model import Severity
from bot.domain.replies import Opened
from bot.logs import current_incident
from bot.service import paging, responders
from bot.service.context import Context
from bot.service.unit import Work
from storage import incidents as q
from storage.once import claim_once

DOUBLE_SUBMIT_WINDOW = timedelta(seconds=10)


async def declare_incident(
    ctx: Context,
    *,
    title: str,
    severity: Severity | None,
    user_id: str,
    origin_channel_id: str | None,
    response_url: str | None,
    description: str | None = None,
    once_key: str | None = None,
    private: bool = False,
) -> Opened:
    """Open an incident; its channel, invite, topic, summary and announcement follow.

    A double submit (the same person, the same title, within seconds) opens one incident:
    the second call gets the first one back, marked `duplicate`.
    """
    now = ctx.clock()
    async with ctx.db.write() as session:
        await q.serialize_declarer(session=session, user_id=user_id)
        if once_key is not None and not await claim_once(session=session, key=once_key, now=now):
            raise UsageError("That form was already submitted.")
        twin = await q.recent_twin(
            session=session, user_id=user_id, title=title, since=now - DOUBLE_SUBMIT_WINDOW
        )
        if twin is not None:
            return Opened(await q.incident_state(session, twin), duplicate=True)
        work = await open_incident(
            ctx,
            session,
            title=title,
            severity=severity,
            user_id=user_id,
            origin_channel_id=origin_channel_id,
            response_url=response_url,
            description=description,
            private=private,
        )
        await work.flush()
        state = await work.state(with_roles=True)
    ctx.on_commit()
    return Opened(state)


async def open_incident(
    ctx: Context,
    session: AsyncSession,
    *,
    title: str,
    severity: Severity | None,
    user_id: str,
    origin_channel_id: str | None,
    response_url: str | None,
    description: str | None = None,
    person: bool = True,
    private: bool = False,
) -> Work:
    """Create the incident in this transaction and owe what follows; `person`: the declarer is
    a Slack user, invited and told (an alert is not). A private incident gets a private
    channel with only its declarer in it, no announcement (a notice without its title, where
    PRIVATE_ANNOUNCE_CHANNEL is set) and no automatic page."""
    severity, now = severity or ctx.default_severity, ctx.clock()
    incident = await q.create_incident(
        session=session,
        title=title,
        severity=severity,
        declared_by=user_id,
        origin_channel_id=origin_channel_id,
        now=now,
        private=private,
    )
    current_incident.set(f"INC-{incident.number}")
    work = Work(ctx, session, incident, now)
    work.set_cadence(ctx.cadences[severity], custom=False)
    work.updated()  # the update clock starts at declare
    declared = await work.record(user_id, Declared(severity), title)
    work.owe(K.CHANNEL_CREATE)
    if person:
        await work.invite(user_id)
    work.owe(K.CHANNEL_TOPIC)
    responders.bookmark_call(work)
    work.owe(K.SUMMARY_REFRESH)
    if person:
        work.owe(K.USER_NOTIFY, payload=Payload(user=user_id, response_url=response_url))
    work.owe(K.ANNOUNCE, payload=Payload(entry_id=declared.id))
    if private:
        work.owe(K.PRIVATE_NOTICE, payload=Payload(entry_id=declared.id))
    await paging.page_on_sev1(work, user_id, severity)
    await responders.invite_responders(work, user_id)
    if description:
        work.post(await work.record(user_id, Updated(), description))
    return work
