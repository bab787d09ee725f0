"""Slack Web API calls the deliverers share: classified errors, join-and-retry, post once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.deliveries import Delivery
from bot.publishers.base import DeliveryError
from bot.publishers.pace import Busy, fresh_attempt

T = TypeVar("T")

# Errors that no retry will fix: give up at once and tell people.
PERMANENT = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "channel_not_found",
        "is_archived",
        "user_not_found",
        "cant_invite_self",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "restricted_action",
        "invalid_name_specials",
        "invalid_name_maxlength",
        "invalid_name_required",
        "too_long",
        "ekm_access_denied",
        "team_access_not_granted",
        "message_not_found",
        "thread_not_found",
        "cant_update_message",
    }
)
# Errors that mean the wanted state already holds.
ALREADY = frozenset({"already_in_channel", "already_pinned"})
_UNREADABLE = frozenset({"channel_not_found", "missing_scope", "not_in_channel"})


def classify(error: SlackApiError) -> DeliveryError:
    """Return a Slack error as a delivery error: rate limits carry Retry-After."""
    response = error.response
    code = str(response.get("error") or f"HTTP {response.status_code}")
    if response.status_code == 429 or code == "ratelimited":
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return DeliveryError(code, retry_after=float(retry_after or 1))
    return DeliveryError(code, permanent=code in PERMANENT)


async def guarded(work: Awaitable[T]) -> T:
    """Run one delivery's Slack calls; return failures as delivery errors.

    A delivery that waited its turn under a rate limit and never reached Slack is deferred:
    put off without counting as a try, so it does not need to look for an earlier post.
    """
    tracker = fresh_attempt()
    try:
        return await work
    except SlackApiError as error:
        failure = classify(error)
        # A 429 to the delivery's first call: Slack did nothing, so it is not a try either.
        failure.deferred = failure.retry_after is not None and tracker[0] == 1
        raise failure from error
    except Busy as busy:
        raise DeliveryError(
            str(busy), retry_after=busy.retry_after, deferred=tracker[0] == 0
        ) from busy
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DeliveryError(f"Slack unreachable: {type(error).__name__}") from error


class SlackCalls:
    """The bot's Web API client with the habits every delivery needs."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def joined(self, channel: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Make the call; if the bot was removed from the channel, join and try once more."""
        try:
            return await call()
        except SlackApiError as error:
            code = error.response.get("error")
            if code in ALREADY:
                return error.response
            if code != "not_in_channel":
                raise
        await self.client.conversations_join(channel=channel)
        return await call()

    async def post_once(
        self, channel: str, delivery: Delivery, *, part: str = "", **message: Any
    ) -> str:
        """Post a message stamped with its outbox row; on a retry, first look for it.

        A timeout or a crash can lose Slack's answer to a post that did happen: the stamp in
        the message metadata lets the retry find it instead of posting it twice. `part` tells
        apart two messages one delivery posts; a thread reply is looked for in its thread.
        """
        stamp: dict[str, Any] = {"outbox": delivery.id, **({"part": part} if part else {})}
        if delivery.retrying:
            since = delivery.created_at.timestamp() - 60
            found = await self._find_posted(channel, stamp, since, message.get("thread_ts"))
            if found is not None:
                return found
        response = await self.joined(
            channel,
            lambda: self.client.chat_postMessage(
                channel=channel,
                unfurl_links=False,
                metadata={"event_type": "warroom_post", "event_payload": stamp},
                **message,
            ),
        )
        return str(response["ts"])

    async def _find_posted(
        self, channel: str, stamp: dict[str, Any], since: float, thread_ts: str | None
    ) -> str | None:
        # conversations.history lists parent messages only: a reply is found in its thread.
        try:
            response = await self.joined(
                channel,
                lambda: (
                    self.client.conversations_replies(
                        channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
                    )
                    if thread_ts
                    else self.client.conversations_history(
                        channel=channel, oldest=f"{since:.6f}", include_all_metadata=True, limit=200
                    )
                ),
            )
        except SlackApiError as error:
            if error.response.get("error") in _UNREADABLE:
                return None  # a channel given by name, or no history scope: post again
            raise
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_payload") == stamp:
                return str(message["ts"])
        return None
