"""`warroom demo`: the real server, Slack and Statuspage emulators, and a whole incident.

How it ends: after the story with `once`, else on SIGINT (Ctrl-C) or SIGTERM, whenever either
comes. Both stop it cleanly: a story still playing is cancelled, then the server, the emulators
and the temporary folder (of the SQLite file) are closed and removed, and the process exits 0.
That is what `warroom serve` does for both signals (aiohttp's `run_app`): a stop that was asked
for and done is a success, not a failure to report with 130 or 143. A reason it cannot start (a
busy port, a database it cannot use) is a `DemoError`: one line, exit status 1.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import socket
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager, suppress
from dataclasses import dataclass

from aiohttp import web

from bot.app import create_app
from bot.config import Secret, Settings
from bot.domain.model import Severity
from bot.keys import DATABASE
from sandbox.demo_database import DemoDatabase, demo_database, opened, refuse_used
from sandbox.demo_port import listen
from sandbox.demo_print import DemoError, out
from sandbox.demo_script import (
    ANNOUNCE,
    COMPONENTS,
    DAVE,
    DEMO_RATE_SCALE,
    GENERAL,
    ONCALL,
    PEOPLE,
    Stage,
    tell,
)
from sandbox.github_emulator import GithubEmulator
from sandbox.pagerduty_emulator import PagerDutyEmulator
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator

__all__ = ["DemoError", "DemoOptions", "run_demo"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class DemoOptions:
    """What `warroom demo` was asked for on its command line."""

    port: int = 3000
    once: bool = False
    full: bool = False
    database_url: str | None = None


async def run_demo(options: DemoOptions) -> None:
    """Play the incident and print it, then serve until SIGINT or SIGTERM (with once: exit)."""
    stop = asyncio.Event()
    with _stopped_by(stop, signal.SIGINT, signal.SIGTERM):
        async with AsyncExitStack() as stack:
            # Listen first: a busy port is then one line, with nothing started to undo.
            listener = listen(HOST, options.port)
            stack.callback(listener.close)
            stage = await _stage(stack, listener, demo_database(stack, options.database_url))
            story = asyncio.create_task(tell(stage, full=options.full), name="demo story")
            if await _finished(story, stop) and not options.once:
                out(
                    f"The server keeps running: open {stage.url}/status in a browser, or "
                    f"{stage.url}/healthz. Ctrl-C stops it."
                )
                await stop.wait()
        if stop.is_set():
            out("warroom demo: stopped; its server, emulators and files are gone.")


@contextmanager
def _stopped_by(stop: asyncio.Event, *signals: signal.Signals) -> Iterator[None]:
    """Set `stop` on these signals instead of dying (SIGTERM) or raising (SIGINT) mid-await."""
    loop = asyncio.get_running_loop()
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def _finished(story: asyncio.Task[None], stop: asyncio.Event) -> bool:
    """Wait for the story or a stop; return whether the story ended (its errors propagate)."""
    stopped = asyncio.create_task(stop.wait(), name="demo stop")
    try:
        await asyncio.wait({story, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (story, stopped):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
    return not story.cancelled()


async def _stage(stack: AsyncExitStack, listener: socket.socket, database: DemoDatabase) -> Stage:
    """Start the emulators and the bot's server; `stack` closes and removes them all."""
    slack = SlackEmulator(
        users=PEOPLE,
        channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")],
        rate_scale=DEMO_RATE_SCALE,
    )
    slack.usergroups[ONCALL] = {DAVE}  # SEV1 responders: invited when INC-1 becomes a SEV1
    slack.usergroup_handles[ONCALL] = "oncall"
    statuspage = StatuspageEmulator(components=COMPONENTS, page_name="Example Status")
    stack.push_async_callback(slack.stop)
    await slack.start()
    stack.push_async_callback(statuspage.stop)
    await statuspage.start()
    github = GithubEmulator()  # follow-up actions become issues there
    stack.push_async_callback(github.stop)
    await github.start()
    pagerduty = PagerDutyEmulator()  # the SEV1 pages payments there (PAGE_ON_SEV1)
    stack.push_async_callback(pagerduty.stop)
    await pagerduty.start()
    port = int(listener.getsockname()[1])
    signing_secret = secrets.token_hex(16)
    settings = _settings(slack, statuspage, database.url, signing_secret, port).model_copy(
        update={
            **github.settings(),
            "github_token": Secret(github.token),
            "pagerduty_routing_keys": Secret("payments=" + "0" * 32),
            "pagerduty_events_url": pagerduty.events_url,
            "page_on_sev1": "payments",
            "severity_responders": {Severity.SEV1: (ONCALL,)},
            "incident_call_url": "https://meet.example.com/inc-{number}",
        }
    )
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=5.0)  # a stop waits 5 s at most for requests
    stack.push_async_callback(runner.cleanup)
    async with opened(database):
        await runner.setup()  # migrates the database
        if database.given:
            await refuse_used(app[DATABASE], database)
    await web.SockSite(runner, listener).start()
    url = f"http://{HOST}:{port}"
    out(
        f"warroom demo: server on {url}, Slack emulator on {slack.base_url}, Statuspage "
        f"emulator on {statuspage.base_url}"
    )
    out(f"warroom demo: database {database.told}\n")
    return Stage(slack, statuspage, app, url, signing_secret, github)


def _settings(
    slack: SlackEmulator,
    statuspage: StatuspageEmulator,
    database_url: str,
    signing_secret: str,
    port: int,
) -> Settings:
    return Settings(
        slack_bot_token=Secret(slack.bot_token),
        slack_signing_secret=Secret(signing_secret),
        slack_app_token=None,
        slack_api_url=slack.api_url,
        database_url=Secret(database_url),
        host=HOST,
        port=port,
        announce_channel=ANNOUNCE,
        status_page_title="Example Status",
        public_base_url=f"http://{HOST}:{port}",
        status_components=COMPONENTS,
        statuspage_api_key=Secret(statuspage.api_key),
        statuspage_page_id=statuspage.page_id,
        statuspage_api_url=statuspage.api_url,
        statuspage_rate=20.0,
        display_timezone="America/New_York",
        reminder_poll=0.2,
        slack_post_interval=DEMO_RATE_SCALE,
    )
