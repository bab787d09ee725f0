"""Shared fixtures: databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), the
Slack emulator, and the real bot server on a local port. Plain helpers live in tests/support.py."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Secret, Settings
from bot.domain.clock import Clock, utc_now
from bot.keys import RELAY
from sandbox.slack_driver import DriverReply, SlackDriver
from sandbox.slack_emulator import EmUser, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from storage.db import Database
from storage.migrate import migrate
from tests.status_page.mailbox import Mailbox
from tests.support import (
    BACKENDS,
    PG_URL,
    RATE_SCALE,
    bot_work,
    drop_database,
    manifest_scopes,
    private_database,
    reset_postgres,
    wait_until,
)

GENERAL, ANNOUNCE = "C0GENERAL", "C0ANNOUNCE"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
USERS = [
    EmUser(ALICE, "alice", "Alice Ng", tz="America/New_York", tz_offset=-18000),
    EmUser(BOB, "bob", "Bob Okafor"),
    EmUser(CAROL, "carol", "Carol Díaz"),
]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This test session's own PostgreSQL database, next to TEST_DATABASE_URL's."""
    if not PG_URL:
        pytest.skip("PostgreSQL only, and TEST_DATABASE_URL is not set")
    url = private_database(PG_URL)
    yield url
    if url != PG_URL:
        drop_database(url, via=PG_URL)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

    One backend only: @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warroom.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    await reset_postgres(url)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database."""
    database = Database(database_url)
    await migrate(database)
    yield database
    await database.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    """A running Slack Web API emulator with three people and two channels."""
    slack = SlackEmulator(
        users=USERS,
        channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")],
        rate_scale=RATE_SCALE,
        scopes=manifest_scopes(),  # the token has exactly what slack-manifest.yml asks for
    )
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def statuspage() -> AsyncIterator[StatuspageEmulator]:
    """A running Atlassian Statuspage emulator with two components."""
    sp = StatuspageEmulator(components=("API", "Checkout"))
    await sp.start()
    yield sp
    await sp.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A running SMTP server (aiosmtpd) that keeps what it receives."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@dataclass
class Bot:
    """The real warroom server on a local port, and the Slack side that talks to it."""

    url: str
    app: web.Application
    runner: web.AppRunner
    settings: Settings
    slack: SlackEmulator
    driver: SlackDriver
    http: aiohttp.ClientSession
    loops: frozenset[asyncio.Task[Any]] = frozenset()  # the bot's tasks that run until it stops

    async def command(self, user: str, channel: str, text: str) -> DriverReply:
        """Send `/incident <text>` as Slack would and return the ack."""
        return await self.driver.command(user_id=user, channel_id=channel, text=text)

    async def settle(self, limit: float = 20.0) -> None:
        """Wait until the work after every ack is done and every owed delivery is made.

        After this, nothing more happens until the test does something: a test may then check
        that something was not posted.
        """
        relay = self.app[RELAY]

        async def quiet() -> bool:
            if bot_work(ignore=self.loops):
                return False
            await relay.drain(limit)  # a delivery may owe more (a notice): drained in turn
            return not bot_work(ignore=self.loops)

        await wait_until(quiet, limit, "the bot's work after its acks, and every delivery")

    async def declare(
        self, text: str = "declare sev1 Checkout API failing", user: str = ALICE
    ) -> str:
        """Declare an incident and return its channel ID once it exists."""
        reply = await self.command(user, GENERAL, text)
        assert reply.status == 200, reply.body
        found = re.search(r"Declaring \*INC-(\d+)\*", reply.text)
        assert found, reply.text
        await self.settle()
        return self.incident_channel(int(found.group(1)))

    def incident_channel(self, number: int) -> str:
        """Return the ID of INC-<number>'s channel."""
        prefix = f"inc-{number}"
        [channel] = [
            c
            for c in self.slack.channels.values()
            if c.creator == self.slack.bot_user_id
            and (c.name == prefix or c.name.startswith(prefix + "-"))
        ]
        return channel.id

    async def stop(self) -> None:
        """Stop the server (the database stays)."""
        await self.runner.cleanup()


def bot_settings(slack: SlackEmulator, database_url: str, **overrides: Any) -> Settings:
    """Settings for a bot that talks to the emulator."""
    settings = Settings(
        slack_bot_token=Secret(slack.bot_token),
        slack_signing_secret=Secret(secrets.token_hex(16)),
        slack_app_token=None,
        slack_api_url=slack.api_url,
        database_url=Secret(database_url),
        host="127.0.0.1",
        port=0,
        announce_channel=ANNOUNCE,
        outbox_retry_base=0.05,
        outbox_lease=4.0,
        slack_post_interval=RATE_SCALE,
    )
    unknown = overrides.keys() - Settings.model_fields.keys()
    assert not unknown, f"not settings: {sorted(unknown)}"  # model_copy would accept a typo
    return settings.model_copy(update=overrides)


async def start_bot(
    settings: Settings,
    slack: SlackEmulator,
    http: aiohttp.ClientSession,
    *,
    clock: Clock = utc_now,
) -> Bot:
    """Start the real app on a free port (with the test's own clock, if given)."""
    app = create_app(settings, clock=clock)
    runner = web.AppRunner(app)
    await runner.setup()
    loops = frozenset(bot_work())  # started with the app; short startup work may be among them
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    secret = settings.slack_signing_secret
    assert secret is not None
    driver = SlackDriver(bot_url=url, signing_secret=secret.reveal(), session=http, emulator=slack)
    return Bot(
        url=url,
        app=app,
        runner=runner,
        settings=settings,
        slack=slack,
        driver=driver,
        http=http,
        loops=loops,
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the test's own requests."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    """The real server, on SQLite (and PostgreSQL when configured), wired to the emulator."""
    running = await start_bot(bot_settings(emulator, database_url), emulator, http)
    yield running
    await running.stop()


@pytest.fixture
async def guarded(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    """A bot with RESPONDERS_USERGROUP=S0ONCALL, whose only member is Alice."""
    emulator.usergroups["S0ONCALL"] = {ALICE}
    settings = bot_settings(emulator, database_url, responders_usergroup="S0ONCALL")
    running = await start_bot(settings, emulator, http)
    yield running
    await running.stop()
