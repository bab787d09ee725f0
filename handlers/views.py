"""The declare modal's submission."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.arguments import parse_severity
from bot.domain.errors import BotError
from bot.domain.model import Severity
from bot.service import declare, retro
from bot.slack import ids as render
from handlers.context import Deps
from handlers.errors import reply_text
from handlers.payloads import DeclareForm, as_object

FIELDS = {
    "title": (render.TITLE_BLOCK, render.TITLE_ACTION),
    "severity": (render.SEVERITY_BLOCK, render.SEVERITY_ACTION),
    "description": (render.DESCRIPTION_BLOCK, render.DESCRIPTION_ACTION),
    "private": (render.PRIVATE_BLOCK, render.PRIVATE_ACTION),
}


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the modal listeners."""

    @app.view(render.DECLARE_MODAL_CALLBACK)
    async def handle_declare_view_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        form = DeclareForm.from_view(body, FIELDS)
        if not form.title:
            await ack(
                response_action="errors", errors={render.TITLE_BLOCK: "The incident needs a title."}
            )
            return
        try:
            severity = parse_severity(form.severity) if form.severity else None
        except BotError as error:
            await ack(response_action="errors", errors={render.SEVERITY_BLOCK: error.message})
            return
        await ack()
        deps.background.spawn(_declare(deps, client, form, severity), name="modal declare")

    @app.view(render.PUBLISH_MODAL_CALLBACK)
    async def handle_publish_view_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        view = as_object(body.get("view"))
        values = as_object(as_object(view.get("state")).get("values"))
        text = str(
            as_object(as_object(values.get(render.SUMMARY_BLOCK)).get(render.SUMMARY_ACTION)).get(
                "value"
            )
            or ""
        )
        if not text.strip():
            await ack(
                response_action="errors",
                errors={render.SUMMARY_BLOCK: "The public summary can't be empty."},
            )
            return
        await ack()
        user = str(as_object(body.get("user")).get("id", ""))
        channel = str(view.get("private_metadata") or "")

        async def work() -> str:
            await retro.publish_postmortem(
                deps.ctx, channel_id=channel, user_id=user, text=text.strip()
            )
            return ""

        deps.background.spawn(_tell_on_failure(client, user, work()), name="publish summary")


async def _tell_on_failure(client: AsyncWebClient, user: str, work: Awaitable[str]) -> None:
    failure = await reply_text(work)
    if failure:  # the modal is closed by now: tell the person directly
        await client.chat_postMessage(channel=user, text=failure)


async def _declare(
    deps: Deps, client: AsyncWebClient, form: DeclareForm, severity: Severity | None
) -> None:
    async def work() -> str:
        await declare.declare_incident(
            deps.ctx,
            title=form.title,
            severity=severity,
            user_id=form.user_id,
            origin_channel_id=form.origin_channel_id,
            response_url=None,
            description=form.description,
            once_key=f"view:{form.view_id}" if form.view_id else None,
            private=form.private,
        )
        return ""  # the declarer hears where the channel is once it exists

    await _tell_on_failure(client, form.user_id, work())
