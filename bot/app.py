"""The one place that wires everything: create_app(settings) -> aiohttp app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.domain.capture import Captured
from bot.domain.clock import Clock, utc_now
from bot.domain.deliveries import Destination
from bot.identity import Catalog, Identity, build_bolt, connect_socket_mode
from bot.keys import BOLT, CLOCK, CONTEXT, DATABASE, PAGES, RELAY, REMINDERS, SETTINGS
from bot.outbox import Relay
from bot.publishers.base import Publisher
from bot.publishers.github import GithubPublisher
from bot.publishers.github_client import GithubClient
from bot.publishers.jira import JiraPublisher
from bot.publishers.jira_client import JiraClient
from bot.publishers.pace import Pace
from bot.publishers.slack import SlackPublisher
from bot.publishers.slack_capture import Capturer, Record
from bot.publishers.slack_paced import PacedClient
from bot.publishers.statuspage import StatuspagePublisher
from bot.publishers.statuspage_client import StatuspageClient
from bot.publishers.tracker import TICKETS, TrackerRecords
from bot.reminders import Reminders
from bot.service import pins
from bot.service.context import Context
from bot.status_page.cache import PublicPages
from bot.tasks import Background
from handlers import http as routes
from handlers import postmortem_http, status_page
from handlers.context import Deps, Directory, Responders
from storage.db import Database
from storage.migrate import migrate

log = logging.getLogger(__name__)


def _slack_client(
    settings: Settings, http: aiohttp.ClientSession, *, token: bool, paced: bool = False
) -> AsyncWebClient:
    """Return a Web API client; the deliverers' one is paced under Slack's limits (one pace
    shared by every delivery), the listeners' ones never wait (acks come first)."""
    # slack_sdk applies its own timeout only to file uploads it sends itself; whole seconds.
    options: dict[str, Any] = {
        "token": settings.slack_bot_token.reveal() if token else None,
        "base_url": settings.slack_api_url,
        "session": http,
        "timeout": max(1, round(settings.slack_timeout)),
        "retry_handlers": [],
    }
    if paced:
        return PacedClient(pace=Pace(), post_interval=settings.slack_post_interval, **options)
    return AsyncWebClient(**options)


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


def _publishers(
    settings: Settings, db: Database, http: aiohttp.ClientSession, clock: Clock, record: Record
) -> tuple[dict[Destination, Publisher], StatuspagePublisher | None]:
    client = _slack_client(settings, http, token=True, paced=True)
    slack = SlackPublisher(
        db=db,
        client=client,
        http=http,
        channel_prefix=settings.channel_prefix,
        announce_channel=settings.announce_channel,
        status_page_url=settings.public_url if settings.status_page_enabled else None,
        display_timezone=settings.display_timezone,
        postmortem_canvas=settings.postmortem_canvas,
        clock=clock,
    )
    publishers: dict[Destination, Publisher] = {
        Destination.SLACK: slack,
        Destination.SLACK_READ: Capturer(db=db, client=client, record=record),
    }
    statuspage = _statuspage(settings, db, http, clock)
    if statuspage is not None:
        publishers[Destination.STATUSPAGE] = statuspage
    publishers.update(_trackers(settings, db, http, clock))
    return publishers, statuspage


def _trackers(
    settings: Settings, db: Database, http: aiohttp.ClientSession, clock: Clock
) -> dict[Destination, Publisher]:
    """Return the backlogs follow-up actions become tickets in (GitHub issues, Jira)."""
    found: dict[Destination, Publisher] = {}
    records = TrackerRecords(db=db, clock=clock)
    if settings.github_token is not None and settings.github_repo is not None:
        client = GithubClient(
            http=http,
            base_url=settings.github_api_url,
            repo=settings.github_repo,
            token=settings.github_token,
        )
        owners = settings.action_owners
        found[Destination.GITHUB] = GithubPublisher(
            records=records, client=client, owners=owners, clock=clock
        )
    if settings.jira_url and settings.jira_email and settings.jira_api_token:
        jira = JiraClient(
            http=http,
            base_url=settings.jira_url,
            email=settings.jira_email,
            token=settings.jira_api_token,
        )
        found[Destination.JIRA] = JiraPublisher(
            records=records,
            client=jira,
            project=settings.jira_project or "",
            issue_type=settings.jira_issue_type,
            done_transition=settings.jira_done_transition,
            clock=clock,
        )
    return found


def _deps(settings: Settings, ctx: Context, http: aiohttp.ClientSession) -> Deps:
    client = _slack_client(settings, http, token=True)
    group = settings.responders_usergroup
    return Deps(
        ctx=ctx,
        background=Background(),
        directory=Directory(client),
        ack_budget=settings.ack_budget,
        responders=Responders(client, group) if group else None,
    )


async def _start_relay(
    stack: AsyncExitStack,
    settings: Settings,
    db: Database,
    publishers: dict[Destination, Publisher],
    clock: Clock,
) -> Relay:
    """Start delivering the outbox; the stack stops it gracefully."""
    relay = Relay(
        db=db,
        publishers=publishers,
        clock=clock,
        dead_after=settings.outbox_dead_after,
        retry_base=settings.outbox_retry_base,
        lease=settings.outbox_lease,
    )
    relay_task = asyncio.create_task(relay.run(), name="outbox relay")
    stack.push_async_callback(relay.stop, relay_task, 5.0)
    return relay


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings, clock = app[SETTINGS], app[CLOCK]
    async with AsyncExitStack() as stack:
        # slack_sdk takes its timeout from this session; other calls pass their own.
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.slack_timeout))
        stack.push_async_callback(http.close)
        db = Database(settings.database_url.reveal())
        stack.push_async_callback(db.dispose)
        await migrate(db)

        async def record(incident_id: int, message: Captured) -> bool:
            # A captured message becomes an entry through its use case (ctx is built below).
            return await pins.record_captured(ctx, incident_id=incident_id, message=message)

        publishers, statuspage = _publishers(settings, db, http, clock, record)
        relay = await _start_relay(stack, settings, db, publishers, clock)
        reminders = Reminders(db=db, clock=clock, wake=relay.wake, poll=settings.reminder_poll)
        reminders_task = asyncio.create_task(reminders.run(), name="update reminders")
        stack.push_async_callback(reminders.stop, reminders_task)
        catalog = Catalog(settings.status_components, statuspage)
        pages = PublicPages(
            db=db,
            title=settings.status_page_title,
            url=settings.public_url,
            components=catalog.names,
            impact_of=settings.status_impact,
            clock=clock,
            support_url=settings.status_support_url,
        )
        if settings.status_page_enabled:
            pages_task = asyncio.create_task(pages.run(), name="public page")
            stack.push_async_callback(pages.stop, pages_task)
        ctx = Context(
            db=db,
            default_severity=settings.default_severity,
            announce=settings.announce_channel is not None,
            statuspage=statuspage is not None,
            trackers=tuple(k for k in TICKETS if k.spec.destination in publishers),
            components=catalog.names,
            responders_group=settings.responders_usergroup,
            cadences=settings.update_cadence,
            clock=clock,
            on_commit=relay.wake,
            on_public=pages.changed,
        )
        deps = _deps(settings, ctx, http)
        stack.push_async_callback(deps.background.close)
        identity = Identity(
            settings.slack_bot_token.reveal(), _slack_client(settings, http, token=False)
        )
        bolt = build_bolt(settings, identity, deps)
        app[BOLT], app[DATABASE], app[CONTEXT], app[RELAY] = bolt, db, ctx, relay
        app[REMINDERS] = reminders
        app[PAGES] = pages
        deps.background.spawn(identity.load(), name="auth.test")
        if statuspage is not None:
            deps.background.spawn(statuspage.load_components(), name="statuspage components")
        if settings.slack_app_token is not None:
            stack.push_async_callback(await connect_socket_mode(bolt, settings.slack_app_token))
        yield


def create_app(settings: Settings, *, clock: Clock = utc_now) -> web.Application:
    """Build the web application; resources open on startup and close on cleanup."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS], app[CLOCK] = settings, clock
    app.cleanup_ctx.append(_lifecycle)
    routes.register(app, slack_over_http=not settings.socket_mode)
    postmortem_http.register(app)
    if settings.status_page_enabled:
        status_page.register(app)
    return app
