"""The Home tab: opening it publishes the person's Home; its button opens the declare form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.grammar import COMMAND
from bot.service import home
from bot.slack import forms, ids
from handlers.context import Deps
from handlers.events import persist
from handlers.payloads import as_object

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the Home tab's listeners."""

    @app.event("app_home_opened")
    async def handle_app_home_opened_event(ack: AsyncAck, event: dict[str, Any]) -> None:
        await ack()
        user = str(event.get("user") or "")
        if event.get("tab") != "home" or not user:
            return  # the Messages or About tab: nothing of ours to show
        work = persist(lambda: home.open_home(deps.ctx, user_id=user))
        deps.background.spawn(work, name="home opened")

    @app.action(ids.HOME_DECLARE_BUTTON)
    async def handle_home_declare_action(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user = str(as_object(body.get("user")).get("id") or "")
        trigger = str(body.get("trigger_id") or "")
        opened = _open_declare(deps, client, user, trigger)
        deps.background.spawn(opened, name="home declare")


async def _open_declare(deps: Deps, client: AsyncWebClient, user: str, trigger: str) -> None:
    """Open the declare form (no origin channel: the Home is nobody's channel)."""
    try:
        view = forms.declare_modal(deps.ctx.default_severity, None)
        await client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as error:
        log.warning("views.open from the Home tab failed: %s", error.response.get("error"))
        text = (
            ":warning: I couldn't open the declare form. Declare directly with "
            f"`{COMMAND} declare sev2 <title>`."
        )
        await client.chat_postMessage(channel=user, text=text)  # a Home click has no response_url
