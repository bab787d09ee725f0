"""The one place that wires everything: create_app(settings) -> aiohttp app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import aiohttp
from aiohttp import web

from bot import deliverers
from bot.config import Settings
from bot.domain.capture import Captured
from bot.domain.clock import Clock, utc_now
from bot.domain.deliveries import Destination
from bot.domain.entries import RespondersInvited
from bot.domain.paging import keys_of
from bot.home import HomeTabs
from bot.identity import Catalog, Identity, build_bolt, connect_socket_mode
from bot.keys import BOLT, CLOCK, CONTEXT, DATABASE, PAGES, RELAY, REMINDERS, SETTINGS
from bot.outbox import Relay
from bot.publishers.base import Publisher
from bot.publishers.pace import Rate
from bot.publishers.tracker import TICKETS
from bot.reminders import Reminders
from bot.service import pins, responders
from bot.service.context import Context
from bot.status_page.cache import PublicPages
from bot.subscriptions_wiring import email_enabled, subscribe_form
from bot.tasks import Background
from handlers import alerts_http, postmortem_http, status_page, subscriptions_http
from handlers import http as routes
from handlers.context import Deps, Directory, Responders
from storage.db import Database
from storage.migrate import migrate

log = logging.getLogger(__name__)


def _deps(settings: Settings, ctx: Context, http: aiohttp.ClientSession) -> Deps:
    client = deliverers.slack_client(settings, http, token=True)
    group = settings.responders_usergroup
    return Deps(
        ctx=ctx,
        background=Background(),
        directory=Directory(client),
        ack_budget=settings.ack_budget,
        responders=Responders(client, group) if group else None,
    )


def _context(
    settings: Settings,
    db: Database,
    clock: Clock,
    catalog: Catalog,
    *,
    on_commit: Callable[[], None],
    pages: PublicPages,
    publishers: dict[Destination, Publisher],
) -> Context:
    return Context(
        db=db,
        default_severity=settings.default_severity,
        announce=settings.announce_channel is not None,
        private_announce=settings.private_announce_channel is not None,
        statuspage=catalog.statuspage is not None,
        trackers=tuple(k for k in TICKETS if k.spec.destination in publishers),
        components=catalog.names,
        responders_group=settings.responders_usergroup,
        cadences=settings.update_cadence,
        reopen_window=settings.reopen_window,
        clock=clock,
        on_commit=on_commit,
        on_public=pages.changed,
        services=tuple(keys_of(settings.pagerduty_routing_keys)),
        page_on_sev1=settings.page_on_sev1,
        responders=settings.severity_responders,
        call_url=settings.incident_call_url,
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


def _start_homes(
    stack: AsyncExitStack,
    settings: Settings,
    db: Database,
    http: aiohttp.ClientSession,
    clock: Clock,
) -> HomeTabs:
    """Start keeping Home tabs current; the stack stops it."""
    homes = HomeTabs(
        db=db,
        clock=clock,
        client=deliverers.slack_client(settings, http, token=True),
        every=settings.home_refresh,
        active_hours=settings.home_active_hours,
        call_template=settings.incident_call_url,
        # Tier 4 (100+ a minute): one call per 0.6 of a post interval (a second against Slack).
        rate=Rate(0.6 * settings.slack_post_interval, burst=10),
    )
    task = asyncio.create_task(homes.run(), name="home tabs")
    stack.push_async_callback(homes.stop, task)
    return homes


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

        async def note(incident: int, delivery: int, actor: str, fact: RespondersInvited) -> bool:
            return await responders.record_responders(ctx, incident, delivery, actor, fact)

        publishers, statuspage = deliverers.publishers(settings, db, http, clock, record, note)
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
            subscribe=subscribe_form(settings),
        )
        if settings.status_page_enabled:
            pages_task = asyncio.create_task(pages.run(), name="public page")
            stack.push_async_callback(pages.stop, pages_task)
        homes = _start_homes(stack, settings, db, http, clock)

        def on_commit() -> None:  # a change committed: deliver what it owes, refresh Homes
            relay.wake()
            homes.wake()

        ctx = _context(
            settings, db, clock, catalog, on_commit=on_commit, pages=pages, publishers=publishers
        )
        deps = _deps(settings, ctx, http)
        stack.push_async_callback(deps.background.close)
        identity = Identity(
            settings.slack_bot_token.reveal(), deliverers.slack_client(settings, http, token=False)
        )
        bolt = build_bolt(settings, identity, deps)
        app[BOLT], app[DATABASE], app[CONTEXT], app[RELAY] = bolt, db, ctx, relay
        app[REMINDERS], app[PAGES] = reminders, pages
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
    alerts_http.register(app, settings)
    if settings.status_page_enabled:
        status_page.register(app)
        subscriptions_http.register(app, email=email_enabled(settings))
    return app
