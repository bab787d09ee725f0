"""The one place that wires everything: create_app(settings) -> aiohttp app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.outbox import Relay
from bot.publishers.base import Publisher
from bot.publishers.slack import SlackPublisher
from bot.publishers.statuspage import StatuspageClient, StatuspagePublisher
from bot.service import SLACK, STATUSPAGE, Clock, IncidentService, utc_now
from bot.status_page.cache import PublicPages
from bot.tasks import Background
from handlers import commands, events, postmortem_http, status_page, views
from handlers import http as routes
from handlers.context import Deps, Directory, Responders
from handlers.errors import handle_bolt_error
from handlers.status_page import PAGES
from storage.db import Database
from storage.migrate import migrate

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
SERVICE = web.AppKey("service", IncidentService)
RELAY = web.AppKey("relay", Relay)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")


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


def build_bolt(
    settings: Settings, client: AsyncWebClient, identity: Identity, deps: Deps
) -> AsyncApp:
    """Return the Bolt app with every listener registered."""
    secret = settings.slack_signing_secret
    bolt = AsyncApp(
        client=client,
        signing_secret=secret.reveal() if secret else "",
        authorize=identity.authorizer(),
        process_before_response=True,  # listeners ack first and hand slow work to the outbox
        request_verification_enabled=not settings.socket_mode,
        raise_error_for_unhandled_request=False,
    )
    commands.register(bolt, deps)
    views.register(bolt, deps)
    events.register(bolt, deps)
    bolt.error(handle_bolt_error)
    return bolt


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings, clock = app[SETTINGS], app[CLOCK]
    # slack_sdk takes its timeout from this session; other calls pass their own per request.
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.slack_timeout))
    db = Database(settings.database_url.reveal())
    await migrate(db)
    # slack_sdk applies this only to file uploads it sends itself; whole seconds.
    timeout = max(1, round(settings.slack_timeout))
    client = AsyncWebClient(
        base_url=settings.slack_api_url, session=http, timeout=timeout, retry_handlers=[]
    )
    token = settings.slack_bot_token.reveal()
    publisher_client = AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        session=http,
        timeout=timeout,
        retry_handlers=[],
    )
    publisher = SlackPublisher(
        db=db,
        client=publisher_client,
        http=http,
        channel_prefix=settings.channel_prefix,
        announce_channel=settings.announce_channel,
        status_page_url=settings.public_url if settings.status_page_enabled else None,
        display_timezone=settings.display_timezone,
        postmortem_canvas=settings.postmortem_canvas,
    )
    publishers: dict[str, Publisher] = {SLACK: publisher}
    statuspage = _statuspage(settings, db, http, clock)
    if statuspage is not None:
        publishers[STATUSPAGE] = statuspage
    catalog = Catalog(settings.status_components, statuspage)
    relay = Relay(
        db=db,
        publishers=publishers,
        clock=clock,
        dead_after=settings.outbox_dead_after,
        retry_base=settings.outbox_retry_base,
        lease=settings.outbox_lease,
    )
    service = IncidentService(
        db=db,
        default_severity=settings.default_severity,
        announce=settings.announce_channel is not None,
        statuspage=statuspage is not None,
        components=catalog.names,
        clock=clock,
        on_commit=relay.wake,
    )
    app[postmortem_http.SERVICE_KEY] = service
    app[PAGES] = PublicPages(
        db=db,
        title=settings.status_page_title,
        url=settings.public_url,
        components=catalog.names,
        impact_of=settings.status_impact,
        clock=clock,
    )
    background = Background()
    identity = Identity(token=token, client=client)
    deps = Deps(
        service=service,
        background=background,
        directory=Directory(publisher_client),
        default_severity=settings.default_severity,
        responders=Responders(publisher_client, settings.responders_usergroup)
        if settings.responders_usergroup
        else None,
    )
    bolt = build_bolt(settings, client, identity, deps)
    app[routes.BOLT], app[routes.DATABASE], app[SERVICE], app[RELAY] = bolt, db, service, relay
    background.spawn(identity.load(), name="auth.test")
    if statuspage is not None:
        background.spawn(statuspage.load_components(), name="statuspage components")
    relay_task = asyncio.create_task(relay.run(), name="outbox relay")
    socket = None
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket = AsyncSocketModeHandler(bolt, settings.slack_app_token.reveal())
        await socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode")
    try:
        yield
    finally:
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        await background.close()
        await relay.stop(relay_task, grace=5.0)
        await db.dispose()
        await http.close()


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


def _statuspage(
    settings: Settings, db: Database, http: aiohttp.ClientSession, clock: Clock
) -> StatuspagePublisher | None:
    if settings.statuspage_api_key is None or settings.statuspage_page_id is None:
        return None
    client = StatuspageClient(
        http=http,
        base_url=settings.statuspage_api_url,
        page_id=settings.statuspage_page_id,
        api_key=settings.statuspage_api_key,
        rate=settings.statuspage_rate,
    )
    return StatuspagePublisher(db=db, client=client, impact_of=settings.status_impact, clock=clock)


def create_app(settings: Settings, *, clock: Clock = utc_now) -> web.Application:
    """Build the web application; resources open on startup and close on cleanup."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS], app[CLOCK] = settings, clock
    app.cleanup_ctx.append(_lifecycle)
    routes.register(app, slack_over_http=not settings.socket_mode)
    app[postmortem_http.SETTINGS_KEY] = settings
    postmortem_http.register(app)
    if settings.status_page_enabled:
        status_page.register(app)
    return app
