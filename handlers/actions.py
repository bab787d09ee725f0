"""Buttons on the pinned summary and on reminders: one tap for the next action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import BotError, Stale
from bot.domain.model import IncidentState, Role
from bot.service import changes, queries
from bot.slack import ids
from bot.slack import response_forms as forms
from bot.slack.answers import answer
from bot.slack.format import error_text
from handlers.context import Deps
from handlers.errors import answered, apology
from handlers.payloads import ButtonClick

View = dict[str, Any]
FORMS: dict[str, Callable[[IncidentState], View]] = {
    ids.POST_UPDATE_BUTTON: forms.update_form,
    ids.CHANGE_STATUS_BUTTON: forms.status_form,
    ids.RESOLVE_BUTTON: forms.resolve_form,
}


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the button listeners."""

    @app.action(ids.TAKE_COMMAND_BUTTON)
    async def handle_take_command_action(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        click = ButtonClick.from_body(body)
        deps.background.spawn(_take_command(deps, click, respond), name="take command")

    for action_id in FORMS:

        @app.action(action_id)
        async def handle_form_button_action(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            await ack()
            click = ButtonClick.from_body(body)
            opened = _open_form(deps, client, click, respond, _action_id(body))
            deps.background.spawn(opened, name="open form")


def _action_id(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("action_id") or "")


async def _current(deps: Deps, click: ButtonClick) -> IncidentState:
    """Return the clicked incident, or refuse a button whose incident has moved on."""
    state = (await queries.show_summary(deps.ctx, channel_id=click.channel_id)).incident
    if str(state.id) != click.value:
        raise Stale("That button belongs to another incident.")
    if not state.status.is_open:
        raise Stale(f"{state.ref} is resolved: this button no longer does anything.")
    return state


async def _take_command(deps: Deps, click: ButtonClick, respond: AsyncRespond) -> None:
    async def work() -> str:
        await _current(deps, click)
        reply = await changes.assign_role(
            deps.ctx,
            channel_id=click.channel_id,
            caller=await deps.caller(click.user_id),
            role=Role.COMMANDER,
            assignee_id=click.user_id,
            only_if_vacant=True,
        )
        return answer(reply)

    result = await answered(work())
    await respond(text=result.text, response_type="ephemeral", replace_original=False)


async def _open_form(
    deps: Deps, client: AsyncWebClient, click: ButtonClick, respond: AsyncRespond, action: str
) -> None:
    try:
        state = await _current(deps, click)
        await client.views_open(trigger_id=click.trigger_id, view=FORMS[action](state))
    except BotError as error:
        text = error_text(error.message, error.hint)
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except SlackApiError as error:
        text = f":warning: I couldn't open the form (Slack said `{error.response.get('error')}`)."
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception as error:
        await respond(text=apology(error), response_type="ephemeral", replace_original=False)
