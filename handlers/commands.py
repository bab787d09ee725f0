"""The `/incident` slash command: ack within budget, one use case, a short private reply."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import commands as c
from bot.domain import grammar as g
from bot.domain.errors import BotError
from bot.domain.replies import ClosingAsked
from bot.logs import current_incident
from bot.service import queries
from bot.service.commands import Call, execute
from bot.service.context import Caller
from bot.slack.answers import LATE, answer
from bot.slack.format import error_text, escape
from handlers.context import Deps
from handlers.errors import Answer, Outcome, answered
from handlers.modals import open_cancel_form, open_declare_modal, open_publish_modal
from handlers.payloads import SlashCommand

log = logging.getLogger(__name__)
Opener = Callable[[Deps, AsyncWebClient, AsyncRespond, SlashCommand], Awaitable[None]]


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the slash command listener."""

    @app.command(g.COMMAND)
    async def handle_incident_command(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        started, cmd = time.perf_counter(), SlashCommand.from_payload(body)
        number, text = g.addressed(cmd.text)
        try:
            parsed = g.parse(text, cmd.user_id)
        except BotError as error:
            await ack(text=error_text(error.message, error.hint))
            _log(cmd, started, Outcome.REFUSED)
            return
        if isinstance(parsed, c.ShowHelp):
            await ack(text=escape(g.help_text()))
            return
        if isinstance(parsed, c.OpenDeclareModal | c.OpenPublishModal):
            await ack()
            opener = (
                open_declare_modal if isinstance(parsed, c.OpenDeclareModal) else open_publish_modal
            )
            opened = _open(deps, client, respond, cmd, number, opener)
            deps.background.spawn(opened, name="views.open")
            return
        work = deps.background.spawn(
            _answer(deps, cmd, number, parsed, started, client), name="command"
        )
        done, _ = await asyncio.wait({work}, timeout=deps.ack_budget)
        if work in done:
            await ack(text=work.result().text)
            return
        await ack(text=LATE)
        work.add_done_callback(
            lambda task: deps.background.spawn(respond(text=task.result().text), name="late reply")
        )


def _log(cmd: SlashCommand, started: float, outcome: Outcome) -> None:
    """Write the one structured line that follows a command: who, what, which incident, how."""
    log.info(
        "command",
        extra={
            "command": (cmd.text.split() or ["(form)"])[0].lower()[:20],
            "user": cmd.user_id,
            "channel": cmd.channel_id,
            "incident": current_incident.get(),
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "outcome": outcome.value,
        },
    )


async def _answer(
    deps: Deps,
    cmd: SlashCommand,
    number: int | None,
    parsed: c.Command,
    started: float,
    client: AsyncWebClient,
) -> Answer:
    result = await answered(_run(deps, cmd, number, parsed, client))
    _log(cmd, started, result.outcome)
    return result


async def _at(deps: Deps, cmd: SlashCommand, number: int | None) -> SlashCommand:
    """Return the command as if run in the channel of the incident it names, if it names one."""
    if number is None:
        return cmd
    return replace(
        cmd, channel_id=await queries.channel_of(deps.ctx, number=number, viewer=cmd.user_id)
    )


async def _open(
    deps: Deps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    cmd: SlashCommand,
    number: int | None,
    opener: Opener,
) -> None:
    try:
        cmd = await _at(deps, cmd, number)
    except BotError as error:
        await respond(text=error_text(error.message, error.hint), response_type="ephemeral")
        return
    await opener(deps, client, respond, cmd)


async def _run(
    deps: Deps, cmd: SlashCommand, number: int | None, parsed: c.Command, client: AsyncWebClient
) -> str:
    cmd = await _at(deps, cmd, number)
    responder = None
    if deps.responders is not None and c.needs_responder(parsed, deps.ctx.default_severity):
        responder = await deps.responders.includes(cmd.user_id)
    call = Call(
        ctx=deps.ctx,
        caller=Caller(cmd.user_id, responder),
        people=deps.directory,
        channel_id=cmd.channel_id,
        response_url=cmd.response_url,
    )
    reply = await execute(call, parsed)
    if isinstance(reply, ClosingAsked):  # a public incident: its closing message first
        return await open_cancel_form(client, cmd.trigger_id, reply) or answer(reply)
    return answer(reply)
