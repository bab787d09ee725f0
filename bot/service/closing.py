"""Closing a false alarm (cancel) and reopening a closed incident."""

from __future__ import annotations

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.entries import Canceled, Reopened
from bot.domain.errors import UsageError
from bot.domain.milestones import human
from bot.domain.model import Status
from bot.domain.replies import Changed, ClosingAsked
from bot.service import paging
from bot.service.context import Caller, Context
from bot.service.unit import Work, change
from storage.public import has_published


async def cancel_incident(
    ctx: Context,
    *,
    channel_id: str,
    caller: Caller,
    reason: str,
    closing: str | None = None,
    once_key: str | None = None,
) -> Changed | ClosingAsked:
    """Close the incident as a false alarm: no post-mortem, left out of durations and metrics.

    An incident with a public incident needs its public closing message first (`closing`):
    without one, nothing changes and the caller is asked for it (the form).
    """
    async with change(ctx, channel_id, once_key=once_key) as work:
        await work.require_commander_or_responder(caller, "cancel the incident")
        public = await _public(work)
        if public and closing is None:
            return ClosingAsked(await work.state(), reason)
        previous = Status(work.incident.status)
        work.incident.status, work.incident.resolved_at = Status.CANCELED.value, work.now
        said = (closing or "") if public else ""
        entry = await work.record(caller.user_id, Canceled(previous, public, said), reason)
        work.updated()  # closed: nothing more is due
        work.post(entry, K.CHANNEL_TOPIC, K.SUMMARY_REFRESH, K.ANNOUNCE)  # no post-mortem draft
        paging.owe_resolve(work)
        state = await work.state()
    return Changed(state, entry)


async def reopen_incident(ctx: Context, *, channel_id: str, caller: Caller, reason: str) -> Changed:
    """Reopen a resolved or canceled incident, within the reopen window: investigating again.

    Its public incident, if any, reopens with `reason` as its message. What was delivered
    before stays delivered: the reopen owes only new deliveries.
    """
    async with change(ctx, channel_id, closed_ok=True) as work:
        await work.require_commander_or_responder(caller, "reopen the incident")
        previous = _reopenable(work, ctx)
        public = await _public(work)
        work.incident.status, work.incident.resolved_at = Status.INVESTIGATING.value, None
        work.incident.mitigated_at = None  # it was not: the next `status monitoring` says when
        entry = await work.record(caller.user_id, Reopened(previous, public), reason)
        work.updated()  # open again: the next update is due a cadence from now
        work.post(entry, K.CHANNEL_TOPIC, K.SUMMARY_REFRESH, K.ANNOUNCE)
        if work.incident.channel_archived:  # known archived: the commander hears it again
            work.owe(K.ARCHIVED_NOTICE)
        state = await work.state()
    return Changed(state, entry)


async def _public(work: Work) -> bool:
    """Return whether the incident has a public incident (a private one never has)."""
    if work.private:
        return False
    return await has_published(session=work.session, incident_id=work.incident_id)


def _reopenable(work: Work, ctx: Context) -> Status:
    """Return the closed status the incident leaves, or say why it cannot be reopened."""
    status, closed_at = Status(work.incident.status), work.incident.resolved_at
    if status.is_open:
        raise UsageError(
            f"{work.ref} is still open ({status.value}): there is nothing to reopen.",
            hint="Change its status with `/incident status <status> <message>`.",
        )
    if closed_at is None or work.now - closed_at > ctx.reopen_window:
        window = human(ctx.reopen_window)
        raise UsageError(
            f"{work.ref} was {status.value} more than {window} ago (REOPEN_WINDOW): "
            "it can no longer be reopened.",
            hint="Declare a new incident and mention this one: `/incident declare <title>`.",
        )
    return status
