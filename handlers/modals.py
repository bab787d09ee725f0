"""Opening forms from a slash command: the declare form and the public-summary form."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import BotError
from bot.domain.grammar import COMMAND
from bot.domain.model import Status
from bot.domain.replies import ClosingAsked
from bot.service import retro
from bot.slack import forms
from bot.slack.format import error_text
from bot.slack.response_forms import cancel_form
from handlers.context import Deps
from handlers.errors import apology
from handlers.payloads import SlashCommand

log = logging.getLogger(__name__)


async def open_publish_modal(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, cmd: SlashCommand
) -> None:
    """Open the public-summary form, prefilled with a draft, once the incident is resolved."""
    try:
        await retro.refuse_publish_if_private(deps.ctx, channel_id=cmd.channel_id)
        data = await retro.postmortem(deps.ctx, channel_id=cmd.channel_id)
        if data.status is Status.CANCELED:
            await respond(text=":warning: A false alarm (canceled) has no post-mortem to publish.")
            return
        if data.milestones.resolved is None:
            await respond(
                text=":warning: Publish the public summary once the incident is "
                f"resolved (`{COMMAND} resolve`)."
            )
            return
        await client.views_open(
            trigger_id=cmd.trigger_id or "", view=forms.publish_modal(data, cmd.channel_id)
        )
    except BotError as error:
        await respond(text=error_text(error.message, error.hint))
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        await respond(text=":warning: I couldn't open the publish form; try again.")
    except Exception as error:
        await respond(text=apology(error))


async def open_declare_modal(
    deps: Deps, client: AsyncWebClient, respond: AsyncRespond, cmd: SlashCommand
) -> None:
    """Open the declare form."""
    try:
        await client.views_open(
            trigger_id=cmd.trigger_id or "",
            view=forms.declare_modal(deps.ctx.default_severity, cmd.channel_id),
        )
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        await respond(
            text=":warning: I couldn't open the declare form. Declare directly with "
            f"`{COMMAND} declare sev2 <title>`."
        )
    except Exception as error:
        await respond(text=apology(error))


async def open_cancel_form(
    client: AsyncWebClient, trigger_id: str | None, asked: ClosingAsked
) -> str | None:
    """Open the form that confirms a public incident's closing message; return a failure."""
    try:
        await client.views_open(
            trigger_id=trigger_id or "", view=cancel_form(asked.incident, asked.reason)
        )
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        return f":warning: I couldn't open the cancel form; run `{COMMAND} cancel` again."
    return None
