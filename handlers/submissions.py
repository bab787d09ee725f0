"""Submissions of the update, status and resolve forms: field errors inside the form."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import AlreadyDone, BotError
from bot.domain.model import SETTABLE_STATUSES
from bot.service import changes, closing
from bot.slack import ids
from handlers.context import Deps
from handlers.errors import apology, reply_text
from handlers.payloads import Submission

_STATUSES = {s.value: s for s in SETTABLE_STATUSES}
Submit = Callable[[Deps, AsyncAck, AsyncWebClient, Submission], Awaitable[None]]


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the form listeners."""
    for callback, submit in (
        (ids.UPDATE_FORM_CALLBACK, _update),
        (ids.STATUS_FORM_CALLBACK, _status),
        (ids.RESOLVE_FORM_CALLBACK, _resolve),
        (ids.CANCEL_FORM_CALLBACK, _cancel),
    ):
        app.view(callback)(_listener(deps, submit))


def _listener(deps: Deps, submit: Submit) -> Callable[..., Awaitable[None]]:
    async def handle_response_view_submission(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await submit(deps, ack, client, Submission.from_body(body))

    return handle_response_view_submission


async def _update(deps: Deps, ack: AsyncAck, client: AsyncWebClient, form: Submission) -> None:
    text = form.value(ids.UPDATE_BLOCK, ids.UPDATE_ACTION)
    if not text:
        await _errors(ack, ids.UPDATE_BLOCK, "Write what changed.")
        return
    work = changes.post_update(
        deps.ctx,
        channel_id=form.channel_id,
        user_id=form.user_id,
        text=text,
        once_key=form.once_key,
    )
    await _submit(deps, ack, client, form, ids.UPDATE_BLOCK, work)


async def _status(deps: Deps, ack: AsyncAck, client: AsyncWebClient, form: Submission) -> None:
    status = _STATUSES.get(form.value(ids.STATUS_BLOCK, ids.STATUS_ACTION))
    message = form.value(ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION)
    if status is None:
        await _errors(ack, ids.STATUS_BLOCK, "Pick a status.")
        return
    if not message:
        await _errors(ack, ids.MESSAGE_BLOCK, "Stakeholders need a message with the status.")
        return
    work = changes.change_status(
        deps.ctx,
        channel_id=form.channel_id,
        user_id=form.user_id,
        status=status,
        message=message,
        once_key=form.once_key,
    )
    await _submit(deps, ack, client, form, ids.MESSAGE_BLOCK, work)


async def _resolve(deps: Deps, ack: AsyncAck, client: AsyncWebClient, form: Submission) -> None:
    async def work() -> None:  # asking Slack who the responders are counts in the ack budget
        await changes.resolve_incident(
            deps.ctx,
            channel_id=form.channel_id,
            caller=await deps.caller(form.user_id),
            message=form.value(ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION) or None,
            once_key=form.once_key,
        )

    await _submit(deps, ack, client, form, ids.MESSAGE_BLOCK, work())


async def _cancel(deps: Deps, ack: AsyncAck, client: AsyncWebClient, form: Submission) -> None:
    message = form.value(ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION)
    reason = form.value(ids.REASON_BLOCK, ids.REASON_ACTION)
    if not message:
        await _errors(ack, ids.MESSAGE_BLOCK, "The public needs a closing message.")
        return
    if not reason:
        await _errors(ack, ids.REASON_BLOCK, "Say why this is a false alarm.")
        return

    async def work() -> None:
        await closing.cancel_incident(
            deps.ctx,
            channel_id=form.channel_id,
            caller=await deps.caller(form.user_id),
            reason=reason,
            closing=message,
            once_key=form.once_key,
        )

    await _submit(deps, ack, client, form, ids.MESSAGE_BLOCK, work())


async def _errors(ack: AsyncAck, block: str, message: str) -> None:
    await ack(response_action="errors", errors={block: message[:150]})


async def _submit(
    deps: Deps,
    ack: AsyncAck,
    client: AsyncWebClient,
    form: Submission,
    block: str,
    work: Awaitable[object],
) -> None:
    """Apply the form within the ack budget; a refusal is shown on the form's field.

    If the database is slow, the form closes at the budget and a refusal arrives by DM.
    """
    task = deps.background.spawn(_outcome(work), name="form")
    done, _ = await asyncio.wait({task}, timeout=deps.ack_budget)
    if task not in done:
        await ack()
        task.add_done_callback(
            lambda t: deps.background.spawn(_tell(client, form, t), name="form outcome")
        )
        return
    error = task.result()
    if error is None or isinstance(error, AlreadyDone):
        await ack()
    elif isinstance(error, BotError):
        await _errors(ack, block, error.message)
    else:
        await _errors(ack, block, apology(error))


async def _outcome(work: Awaitable[object]) -> Exception | None:
    """Await the work; return its failure instead of raising it (a refusal is no crash)."""
    try:
        await work
    except Exception as error:
        return error
    return None


async def _tell(
    client: AsyncWebClient, form: Submission, task: asyncio.Task[Exception | None]
) -> None:
    error = task.result()
    if error is None or isinstance(error, AlreadyDone):
        return

    async def fail() -> str:
        raise error

    await client.chat_postMessage(channel=form.user_id, text=await reply_text(fail()))
