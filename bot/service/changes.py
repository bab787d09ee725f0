"""Changes during the response: updates, roles, severity, status and resolve."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.deliveries import Payload
from bot.domain.entries import (
    CadenceSet,
    Resolved,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
    Updated,
)
from bot.domain.errors import Stale, UsageError
from bot.domain.model import Role, Severity, Status
from bot.domain.replies import Changed
from bot.service import paging, responders
from bot.service.context import Caller, Context
from bot.service.unit import change
from storage.roles import assign_role as store_role
from storage.roles import current_roles
from storage.timeline import has_public_entry


async def post_update(
    ctx: Context, *, channel_id: str, user_id: str, text: str, once_key: str | None = None
) -> Changed:
    """Record an internal update."""
    async with change(ctx, channel_id, once_key=once_key, plain=True) as work:
        entry = await work.record(user_id, Updated(), text)
        work.updated()
        work.post(entry, K.SUMMARY_REFRESH)
        state = await work.state()
    return Changed(state, entry)


async def assign_role(
    ctx: Context,
    *,
    channel_id: str,
    caller: Caller,
    role: Role,
    assignee_id: str,
    only_if_vacant: bool = False,
) -> Changed:
    """Give a role to someone; the previous holder's term ends and stays in history.

    `only_if_vacant` (the Take command button): refused if someone holds the role by now.
    """
    async with change(ctx, channel_id) as work:
        if role is Role.COMMANDER:
            await work.require_commander_or_responder(caller, "assign the commander role")
        held = await current_roles(session=work.session, incident_id=work.incident_id)
        if only_if_vacant and held.get(role):
            raise Stale(f"<@{held[role]}> is already the {role.label} of {work.ref}.")
        if held.get(role) == assignee_id:
            raise UsageError(f"<@{assignee_id}> is already the {role.label} of {work.ref}.")
        previous = await store_role(
            session=work.session,
            incident_id=work.incident_id,
            role=role,
            user_id=assignee_id,
            assigned_by=caller.user_id,
            now=work.now,
        )
        entry = await work.record(caller.user_id, RoleAssigned(role, assignee_id, previous))
        await work.invite(assignee_id)
        work.post(entry)
        work.owe(K.ROLE_NOTIFY, payload=Payload(entry_id=entry.id))
        if role is Role.COMMANDER:
            work.owe(K.CHANNEL_TOPIC)
        work.owe(K.SUMMARY_REFRESH)
        state = await work.state()
    return Changed(state, entry)


async def change_severity(
    ctx: Context, *, channel_id: str, caller: Caller, severity: Severity
) -> Changed:
    """Change the severity and tell the announcements channel."""
    async with change(ctx, channel_id) as work:
        await work.require_commander_or_responder(caller, "change the severity")
        previous = Severity(work.incident.severity)
        if previous is severity:
            raise UsageError(f"INC-{work.incident.number} is already {severity.label}.")
        work.incident.severity = severity.value
        if not work.incident.cadence_custom:  # the cadence follows the severity
            work.set_cadence(ctx.cadences[severity], custom=False)
        entry = await work.record(caller.user_id, SeverityChanged(severity, previous))
        work.post(entry, K.CHANNEL_TOPIC, K.SUMMARY_REFRESH, K.ANNOUNCE)
        await paging.page_on_sev1(work, caller.user_id, severity)
        await responders.invite_responders(work, caller.user_id, previous=previous)
        state = await work.state()
    return Changed(state, entry)


async def change_status(
    ctx: Context,
    *,
    channel_id: str,
    user_id: str,
    status: Status,
    message: str,
    once_key: str | None = None,
) -> Changed:
    """Change the status with a message for stakeholders."""
    async with change(ctx, channel_id, once_key=once_key) as work:
        previous = Status(work.incident.status)
        work.incident.status = status.value
        if status is Status.MONITORING and work.incident.mitigated_at is None:
            work.incident.mitigated_at = work.now  # monitoring a fix means impact is mitigated
        entry = await work.record(user_id, StatusChanged(status, previous), message)
        work.updated()
        work.post(entry, K.CHANNEL_TOPIC, K.SUMMARY_REFRESH, K.ANNOUNCE)
        state = await work.state()
    return Changed(state, entry)


async def resolve_incident(
    ctx: Context,
    *,
    channel_id: str,
    caller: Caller,
    message: str | None,
    once_key: str | None = None,
) -> Changed:
    """Close the incident."""
    async with change(ctx, channel_id, once_key=once_key) as work:
        await work.require_commander_or_responder(caller, "resolve the incident")
        was_public = await has_public_entry(session=work.session, incident_id=work.incident_id)
        previous = Status(work.incident.status)
        work.incident.status, work.incident.resolved_at = Status.RESOLVED.value, work.now
        entry = await work.record(caller.user_id, Resolved(previous, was_public), message or "")
        work.updated()  # resolved: nothing more is due
        work.post(entry, K.CHANNEL_TOPIC, K.SUMMARY_REFRESH, K.ANNOUNCE, K.POSTMORTEM_UPLOAD)
        paging.owe_resolve(work)
        state = await work.state()
    return Changed(state, entry)


async def set_cadence(
    ctx: Context, *, channel_id: str, user_id: str, cadence: timedelta | None
) -> Changed:
    """Change how often this incident owes stakeholders an update."""
    async with change(ctx, channel_id) as work:
        work.set_cadence(cadence, custom=True)
        entry = await work.record(user_id, CadenceSet(cadence))
        work.post(entry, K.SUMMARY_REFRESH)
        state = await work.state()
    return Changed(state, entry)
