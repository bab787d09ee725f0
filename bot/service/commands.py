"""Carry out a parsed `/incident` command: one use case, one typed reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Protocol, assert_never

from bot.domain import commands as c
from bot.domain.entries import ReviewOwnerSet
from bot.domain.milestones import parse_time
from bot.domain.replies import MilestoneMoved, Reply
from bot.service import actions, changes, closing, declare, paging, public, queries, retro
from bot.service.context import Caller, Context
from bot.service.unit import not_allowed


class People(Protocol):
    """Who is in the workspace, and their time zone (Slack's users.info, at the edge)."""

    async def check(self, user_id: str) -> None:
        """Raise UnknownUser when the user does not exist."""

    async def zone(self, user_id: str) -> tuple[tzinfo, bool]:
        """Return the user's time zone and whether it is really theirs (else UTC)."""


During = (
    c.Declare
    | c.PostUpdate
    | c.AssignRole
    | c.ChangeSeverity
    | c.ChangeStatus
    | c.Resolve
    | c.Cancel
    | c.Reopen
    | c.SetCadence
    | c.Page
)
Public = c.SetImpact | c.SetPublicName
After = (
    c.SetMilestone
    | c.AddAction
    | c.EditAction
    | c.CompleteAction
    | c.RequestPostmortem
    | c.SetReview
)
Read = c.ListActions | c.ShowSummary | c.ShowTimeline | c.ListIncidents
UiOnly = c.OpenDeclareModal | c.OpenPublishModal | c.ShowHelp


@dataclass(frozen=True)
class Call:
    """Who runs a command, where, and what the use cases need around it."""

    ctx: Context
    caller: Caller
    people: People
    channel_id: str
    response_url: str | None = None


async def execute(call: Call, command: c.Command) -> Reply:
    """Run the use case for `command` and return what it answered."""
    if isinstance(command, During):
        return await _during(call, command)
    if isinstance(command, Public):
        return await _public(call, command)
    if isinstance(command, After):
        return await _after(call, command)
    if isinstance(command, Read):
        return await _read(call, command)
    raise AssertionError(f"{command!r} opens a form or shows help: the handler does that")


async def _during(call: Call, command: During) -> Reply:
    ctx, caller, where, who = call.ctx, call.caller, call.channel_id, call.caller.user_id
    match command:
        case c.Declare(title=title, severity=severity, private=private):
            if caller.responder is False:
                raise not_allowed("declare SEV1 or SEV2 incidents", ctx.responders_group or "")
            return await declare.declare_incident(
                ctx,
                title=title,
                severity=severity,
                user_id=who,
                origin_channel_id=where,
                response_url=call.response_url,
                private=private,
            )
        case c.PostUpdate(text=text):
            return await changes.post_update(ctx, channel_id=where, user_id=who, text=text)
        case c.AssignRole(role=role, user_id=assignee):
            await call.people.check(assignee)
            return await changes.assign_role(
                ctx, channel_id=where, caller=caller, role=role, assignee_id=assignee
            )
        case c.ChangeSeverity(severity=severity):
            return await changes.change_severity(
                ctx, channel_id=where, caller=caller, severity=severity
            )
        case c.ChangeStatus(status=status, message=message):
            return await changes.change_status(
                ctx, channel_id=where, user_id=who, status=status, message=message
            )
        case c.Resolve(message=message):
            return await changes.resolve_incident(
                ctx, channel_id=where, caller=caller, message=message
            )
        case c.Cancel(reason=why):
            return await closing.cancel_incident(ctx, channel_id=where, caller=caller, reason=why)
        case c.Reopen(reason=why):
            return await closing.reopen_incident(ctx, channel_id=where, caller=caller, reason=why)
        case c.SetCadence(cadence=cadence):
            return await changes.set_cadence(ctx, channel_id=where, user_id=who, cadence=cadence)
        case c.Page(service=service, message=message):
            return await paging.page_service(
                ctx, channel_id=where, user_id=who, service=service, message=message
            )
        case _:
            assert_never(command)


async def _public(call: Call, command: Public) -> Reply:
    ctx, where, who = call.ctx, call.channel_id, call.caller.user_id
    match command:
        case c.SetImpact(components=components, status=status):
            return await public.set_impact(
                ctx, channel_id=where, user_id=who, components=components, status=status
            )
        case c.SetPublicName(name=name):
            return await public.set_public_name(ctx, channel_id=where, user_id=who, name=name)
        case _:
            assert_never(command)


async def _after(call: Call, command: After) -> Reply:
    ctx, where, who = call.ctx, call.channel_id, call.caller.user_id
    match command:
        case c.SetMilestone(milestone=milestone, when=typed):
            zone, known = await call.people.zone(who)
            at = parse_time(typed, now=ctx.clock(), zone=zone)
            changed = await retro.set_milestone(
                ctx, channel_id=where, user_id=who, milestone=milestone, at=at
            )
            return MilestoneMoved(changed.incident, milestone, at, known)
        case c.AddAction(text=text, owner_id=owner, priority=priority, due=due):
            if owner:
                await call.people.check(owner)
            return await actions.add_action(
                ctx,
                channel_id=where,
                user_id=who,
                text=text,
                owner_id=owner,
                priority=priority,
                due=due,
            )
        case c.EditAction(number=n, owner_id=owner, priority=priority, due=due, public=shown):
            if owner:
                await call.people.check(owner)
            return await actions.edit_action(
                ctx,
                channel_id=where,
                user_id=who,
                number=n,
                owner_id=owner,
                priority=priority,
                due=due,
                public=shown,
            )
        case c.CompleteAction(number=number):
            return await actions.complete_action(ctx, channel_id=where, user_id=who, number=number)
        case c.RequestPostmortem():
            return await retro.request_postmortem(ctx, channel_id=where)
        case c.SetReview(fact=fact):
            if isinstance(fact, ReviewOwnerSet):
                await call.people.check(fact.user)
            return await retro.set_review(ctx, channel_id=where, user_id=who, fact=fact)
        case _:
            assert_never(command)


async def _read(call: Call, command: Read) -> Reply:
    ctx, where = call.ctx, call.channel_id
    match command:
        case c.ListActions():
            return await actions.list_actions(ctx, channel_id=where)
        case c.ShowSummary():
            return await queries.show_summary(ctx, channel_id=where)
        case c.ShowTimeline():
            return await queries.show_timeline(ctx, channel_id=where)
        case c.ListIncidents():
            return await queries.list_open_incidents(ctx, viewer=call.caller.user_id)
        case _:
            assert_never(command)
