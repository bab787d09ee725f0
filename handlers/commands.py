"""The `/incident` slash command: ack within budget, one use case, a short private reply."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_blocks as render
from bot.domain import grammar as g
from bot.domain.errors import BotError
from bot.domain.milestones import parse_time
from bot.logs import current_incident
from handlers.context import Deps, Responders
from handlers.errors import apology, reply_text
from handlers.payloads import SlashCommand

log = logging.getLogger(__name__)

LATE = "Still working on it: the database is slow right now. I'll confirm here in a moment."


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the slash command listener."""

    @app.command(g.COMMAND)
    async def handle_incident_command(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        started = time.perf_counter()
        cmd = SlashCommand.from_payload(body)
        try:
            parsed = g.parse(cmd.text, cmd.user_id)
        except BotError as error:
            await ack(text=render.error_text(error.message, error.hint))
            _log(cmd, started, "refused")
            return
        if isinstance(parsed, g.ShowHelp):
            await ack(text=render.escape(g.help_text()))
            return
        if isinstance(parsed, g.OpenDeclareModal | g.OpenPublishModal):
            await ack()
            opener = _open_modal if isinstance(parsed, g.OpenDeclareModal) else _open_publish
            deps.background.spawn(opener(deps, client, respond, cmd), name="views.open")
            return
        work = deps.background.spawn(_logged(deps, cmd, parsed, started), name="command")
        done, _ = await asyncio.wait({work}, timeout=deps.ack_budget)
        if work in done:
            await ack(text=work.result())
            return
        await ack(text=LATE)
        work.add_done_callback(
            lambda task: deps.background.spawn(respond(text=task.result()), name="late reply")
        )


def _log(cmd: SlashCommand, started: float, outcome: str) -> None:
    """Write the one structured line that follows a command: who, what, which incident, how."""
    log.info(
        "command",
        extra={
            "command": (cmd.text.split() or ["(form)"])[0].lower()[:20],
            "user": cmd.user_id,
            "channel": cmd.channel_id,
            "incident": current_incident.get(),
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "outcome": outcome,
        },
    )


async def _logged(deps: Deps, cmd: SlashCommand, parsed: g.Command, started: float) -> str:
    text = await reply_text(run(deps, cmd, parsed))
    failed = text.startswith(":warning: Sorry, something went wrong")
    _log(cmd, started, "error" if failed else "refused" if text.startswith(":warning:") else "ok")
    return text


async def run(deps: Deps, cmd: SlashCommand, parsed: g.Command) -> str:
    """Carry out a parsed command and return the private reply."""
    service, where, who = deps.service, cmd.channel_id, cmd.user_id
    if deps.responders is not None and g.needs_responder(parsed, deps.default_severity):
        await _require_responder(deps, deps.responders, cmd, parsed)
    match parsed:
        case g.Declare(title=title, severity=severity):
            outcome = await service.declare_incident(
                title=title,
                severity=severity,
                user_id=who,
                origin_channel_id=where,
                response_url=cmd.response_url,
            )
            ref = outcome.incident.ref
            if outcome.duplicate:
                place = (
                    f"<#{outcome.incident.channel_id}>"
                    if outcome.incident.channel_id
                    else "its channel (being created)"
                )
                return (
                    f"You declared *{ref}* with this title a moment ago, so I didn't open "
                    f"another one. It's in {place}."
                )
            return (
                f"Declaring *{ref}* ({outcome.incident.severity.label}). "
                "I'm opening its channel and will tell you here when it's ready."
            )
        case g.PostUpdate(text=text):
            outcome = await service.post_update(channel_id=where, user_id=who, text=text)
            return f"Update recorded on {outcome.incident.ref}."
        case g.AssignRole(role=role, user_id=assignee):
            await deps.directory.check(assignee)
            outcome = await service.assign_role(
                channel_id=where, user_id=who, role=role, assignee_id=assignee
            )
            return f"<@{assignee}> is now the {role.label} of {outcome.incident.ref}."
        case g.ChangeSeverity(severity=severity):
            outcome = await service.change_severity(
                channel_id=where, user_id=who, severity=severity
            )
            return f"{outcome.incident.ref} is now {severity.label}."
        case g.ChangeStatus(status=status, message=message):
            outcome = await service.change_status(
                channel_id=where, user_id=who, status=status, message=message
            )
            return f"{outcome.incident.ref} is now *{status.value}*."
        case g.Resolve(message=message):
            outcome = await service.resolve_incident(channel_id=where, user_id=who, message=message)
            return f"{outcome.incident.ref} is resolved. Thank you, everyone."
        case g.SetImpact(components=components, status=status):
            outcome = await service.set_impact(
                channel_id=where, user_id=who, components=components, status=status
            )
            names = ", ".join(outcome.entry.data["components"]) if outcome.entry else ""
            return f"{names}: *{status.label}* on {outcome.incident.ref}'s public status."
        case g.SetPublicName(name=name):
            outcome = await service.set_public_name(channel_id=where, user_id=who, name=name)
            return f"The public now sees {outcome.incident.ref} as “{name}”."
        case g.SetMilestone(milestone=milestone, when=typed):
            zone, known = await deps.directory.zone(who)
            at = parse_time(typed, now=service.clock(), zone=zone)
            outcome = await service.set_milestone(
                channel_id=where, user_id=who, milestone=milestone, at=at
            )
            note = "" if known else " (read as UTC: I couldn't get your time zone from Slack)"
            spans = (
                render.durations_text(outcome.incident.milestones)
                if outcome.incident.milestones
                else ""
            )
            return f"{milestone.label} set to {render.when(at)}{note}.\n{spans}"
        case g.AddAction(text=text, owner_id=owner):
            if owner:
                await deps.directory.check(owner)
            outcome = await service.add_action(
                channel_id=where, user_id=who, text=text, owner_id=owner
            )
            number = outcome.entry.data["number"] if outcome.entry else "?"
            return f"Follow-up action {number} added to {outcome.incident.ref}."
        case g.CompleteAction(number=number):
            outcome = await service.complete_action(channel_id=where, user_id=who, number=number)
            return f"Action {number} of {outcome.incident.ref} is done."
        case g.ListActions():
            state, actions = await service.list_actions(channel_id=where)
            return render.actions_reply(state, actions)
        case g.RequestPostmortem():
            state = await service.request_postmortem(channel_id=where)
            return f"Rendering the post-mortem draft of {state.ref}; it will appear here."
        case g.ShowSummary():
            state, _ = await service.get_incident(channel_id=where)
            return render.summary_reply(state)
        case g.ShowTimeline():
            state, entries = await service.get_incident(channel_id=where)
            return render.timeline_reply(state, entries)
        case g.ListIncidents():
            return render.incident_list(await service.list_open_incidents())
    raise AssertionError(f"unhandled command {parsed!r}")


_GUARDED = {
    g.Declare: "declare SEV1 or SEV2 incidents",
    g.Resolve: "resolve the incident",
    g.ChangeSeverity: "change the severity",
    g.AssignRole: "assign the commander role",
}


async def _require_responder(
    deps: Deps, responders: Responders, cmd: SlashCommand, parsed: g.Command
) -> None:
    if await responders.includes(cmd.user_id):
        return
    if not isinstance(parsed, g.Declare):
        state, _ = await deps.service.get_incident(channel_id=cmd.channel_id)
        if state.commander == cmd.user_id:
            return  # the current commander may always act
    raise responders.refusal(_GUARDED.get(type(parsed), "do that"))


async def _open_publish(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, cmd: SlashCommand
) -> None:
    try:
        data = await deps.service.postmortem(channel_id=cmd.channel_id)
        if data.milestones.resolved is None:
            await respond(
                text=":warning: Publish the public summary once the incident is "
                f"resolved (`{g.COMMAND} resolve`)."
            )
            return
        await client.views_open(
            trigger_id=cmd.trigger_id or "", view=render.publish_modal(data, cmd.channel_id)
        )
    except BotError as error:
        await respond(text=render.error_text(error.message, error.hint))
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        await respond(text=":warning: I couldn't open the publish form; try again.")
    except Exception as error:
        await respond(text=apology(error))


async def _open_modal(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, cmd: SlashCommand
) -> None:
    try:
        await client.views_open(
            trigger_id=cmd.trigger_id or "",
            view=render.declare_modal(deps.default_severity, cmd.channel_id),
        )
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        await respond(
            text=":warning: I couldn't open the declare form. Declare directly with "
            f"`{g.COMMAND} declare sev2 <title>`."
        )
    except Exception as error:
        await respond(text=apology(error))
