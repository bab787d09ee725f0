"""The Bolt app, the bot's identity, Socket Mode, and the component catalog."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Secret, Settings
from bot.publishers.statuspage import StatuspagePublisher
from handlers import actions, commands, events, home, shortcuts, submissions, views
from handlers.context import Deps
from handlers.errors import handle_bolt_error

log = logging.getLogger(__name__)


@dataclass
class Identity:
    """The bot's own identity from auth.test, fetched after start so no ack waits on it."""

    token: str
    client: AsyncWebClient
    bot_user_id: str | None = None
    bot_id: str | None = None

    async def load(self) -> None:
        """Ask Slack who the bot is; on failure, carry on without it (logged)."""
        try:
            response = await self.client.auth_test(token=self.token)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("auth.test failed (%s); continuing", type(error).__name__)
            return
        self.bot_user_id, self.bot_id = response.get("user_id"), response.get("bot_id")

    def authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Return Bolt's authorize function: the single workspace's credentials, no I/O."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id,
                bot_token=self.token,
                bot_user_id=self.bot_user_id,
                bot_id=self.bot_id,
            )

        return authorize


def build_bolt(settings: Settings, identity: Identity, deps: Deps) -> AsyncApp:
    """Return the Bolt app with every listener registered."""
    secret = settings.slack_signing_secret
    bolt = AsyncApp(
        client=identity.client,
        signing_secret=secret.reveal() if secret else "",
        authorize=identity.authorizer(),
        process_before_response=True,  # listeners ack first and hand slow work to the outbox
        request_verification_enabled=not settings.socket_mode,
        raise_error_for_unhandled_request=False,
    )
    commands.register(bolt, deps)
    views.register(bolt, deps)
    actions.register(bolt, deps)
    submissions.register(bolt, deps)
    events.register(bolt, deps)
    shortcuts.register(bolt, deps)
    home.register(bolt, deps)
    bolt.error(handle_bolt_error)
    return bolt


async def connect_socket_mode(bolt: AsyncApp, app_token: Secret) -> Callable[[], Awaitable[None]]:
    """Connect over Socket Mode; return how to close the connection."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    socket = AsyncSocketModeHandler(bolt, app_token.reveal())
    try:
        await socket.connect_async()  # type: ignore[no-untyped-call]
    except BaseException:  # stopped (Ctrl-C) while Slack did not answer: close its session
        await socket.close_async()  # type: ignore[no-untyped-call]
        raise
    log.info("connected to Slack over Socket Mode")

    async def close() -> None:
        await socket.close_async()  # type: ignore[no-untyped-call]

    return close


@dataclass(frozen=True)
class Catalog:
    """The component names people may use: STATUS_COMPONENTS, else Statuspage's own."""

    configured: tuple[str, ...]
    statuspage: StatuspagePublisher | None

    def names(self) -> list[str]:
        """Return the known component names."""
        if self.configured or self.statuspage is None:
            return list(self.configured)
        return self.statuspage.component_names()
