"""Opening forms from a slash command: the declare form and the public-summary form."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import BotError
from bot.domain.grammar import COMMAND
from bot.service import retro
from bot.slack import forms
from bot.slack.format import error_text
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
