"""The "Add to incident timeline" message shortcut, and its form for picking an incident."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import BotError
from bot.service import pins, queries
from bot.slack import ids
from bot.slack.capture_forms import kept_modal, pick_incident_modal
from bot.slack.format import error_text
from handlers.context import Deps
from handlers.message_payloads import MessageShortcut
from handlers.payloads import Submission

MAX_METADATA = 3000  # Slack's limit on a view's private_metadata


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the shortcut and its form."""

    @app.shortcut(ids.ADD_TO_TIMELINE_SHORTCUT)
    async def handle_add_to_timeline_shortcut(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        shortcut = MessageShortcut.from_payload(body)
        deps.background.spawn(_keep(deps, client, respond, shortcut), name="shortcut")

    @app.view(ids.PICK_INCIDENT_CALLBACK)
    async def handle_pick_incident_view_submission(ack: AsyncAck, body: dict[str, Any]) -> None:
        form = Submission.from_body(body)
        number = form.value(ids.PICK_INCIDENT_BLOCK, ids.PICK_INCIDENT_ACTION)
        if not number.isdigit():
            await ack(response_action="errors", errors={ids.PICK_INCIDENT_BLOCK: "Pick one."})
            return
        keeping = deps.background.spawn(_keep_picked(deps, form, int(number)), name="pick")
        done, _ = await asyncio.wait({keeping}, timeout=deps.ack_budget)
        if keeping not in done:
            await ack()  # the database is slow: the form closes, the capture goes on
            return
        try:
            kept = keeping.result()
        except BotError as error:
            await ack(response_action="errors", errors={ids.PICK_INCIDENT_BLOCK: error.message})
            return
        await ack(response_action="update", view=kept_modal(kept.ref, kept.new))


async def _keep(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, shortcut: MessageShortcut
) -> None:
    """In an incident channel, keep the message at once; elsewhere, ask which incident."""
    ctx = deps.ctx
    try:
        if await queries.is_incident_channel(ctx, channel_id=shortcut.channel_id):
            kept = await pins.keep_message(ctx, number=None, **_message(shortcut))
            await respond(text=kept_text(kept), response_type="ephemeral")
            return
        listed = await queries.list_open_incidents(ctx, viewer=shortcut.user_id)
    except BotError as error:
        await respond(text=error_text(error.message, error.hint), response_type="ephemeral")
        return
    if not listed.incidents:
        text = "There is no open incident to add this message to."
        await respond(text=error_text(text, "Declare one with `/incident declare <title>`."))
        return
    view = pick_incident_modal(listed.incidents, _metadata(shortcut))
    await client.views_open(trigger_id=shortcut.trigger_id, view=view)


async def _keep_picked(deps: Deps, form: Submission, number: int) -> pins.Kept:
    message = json.loads(form.channel_id or "{}")  # the form's private_metadata
    return await pins.keep_message(
        deps.ctx,
        number=number,
        channel_id=str(message["channel_id"]),
        message_ts=str(message["message_ts"]),
        by=form.user_id,
        author=message.get("author"),
        text=message.get("text"),
    )


def _message(shortcut: MessageShortcut) -> dict[str, Any]:
    return {
        "channel_id": shortcut.channel_id,
        "message_ts": shortcut.message_ts,
        "by": shortcut.user_id,
        "author": shortcut.author,
        "text": shortcut.text,
    }


def _metadata(shortcut: MessageShortcut) -> str:
    """Carry the message in the form; a text too long for it is read back from Slack."""
    message = _message(shortcut)
    carried = json.dumps(message)
    if len(carried) <= MAX_METADATA:
        return carried
    return json.dumps(message | {"author": None, "text": None})


def kept_text(kept: pins.Kept) -> str:
    """Return the private reply to the shortcut."""
    if not kept.new:
        return f"That message is already on {kept.ref}'s timeline."
    return f":pushpin: Adding the message to {kept.ref}'s timeline."
