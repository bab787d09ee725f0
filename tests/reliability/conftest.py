"""Process-level fixtures: the real `warroom serve` as a subprocess, emulators on fixed ports.

The emulators run in the test process on ports chosen once per test, so a restarted server (or
a restarted emulator) is found at the same URL. The server is a child process with an
environment built from scratch; it is always killed at teardown. Checks read the database
directly through `storage.db.Database`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.domain.public import public_updates
from sandbox.slack_driver import DriverReply, SlackDriver
from sandbox.slack_emulator import EmMessage, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from storage.db import Database
from storage.incidents import to_entry
from storage.models import Incident, OutboxRow, TimelineEntry
from tests.conftest import ANNOUNCE, GENERAL, USERS, reset_postgres

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
START_LIMIT = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]], limit: float = 20.0, what: str = ""
) -> None:
    """Poll predicate every 20 ms until it holds; fail after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not true after {limit:g}s: {what or predicate!r}")
        await asyncio.sleep(0.02)


# ----- emulators on fixed ports -------------------------------------------------------------


class FixedSlack(SlackEmulator):
    """A Slack emulator that always serves on the same port, so it can be stopped and restarted."""

    def __init__(self, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.port = port

    async def up(self) -> None:
        """Serve (again) on the fixed port."""
        await self.start("127.0.0.1", self.port)

    @property
    def running(self) -> bool:
        """Return whether the emulator is serving."""
        return self._runner is not None


class FixedStatuspage(StatuspageEmulator):
    """A Statuspage emulator that always serves on the same port."""

    def __init__(self, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.port = port

    async def up(self) -> None:
        """Serve (again) on the fixed port."""
        await self.start("127.0.0.1", self.port)

    @property
    def api_url(self) -> str:
        """Return the REST API v1 base URL for STATUSPAGE_API_URL."""
        return f"http://127.0.0.1:{self.port}/v1"


@pytest.fixture
async def slack() -> AsyncIterator[FixedSlack]:
    """The Slack emulator (three people, #general, #incidents) on a fixed free port."""
    emulator = FixedSlack(
        free_port(), users=USERS, channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")]
    )
    await emulator.up()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def statuspage() -> AsyncIterator[FixedStatuspage]:
    """The Atlassian Statuspage emulator (API, ChatGPT, Sora) on a fixed free port."""
    emulator = FixedStatuspage(free_port())
    await emulator.up()
    yield emulator
    await emulator.stop()


# ----- databases ----------------------------------------------------------------------------


def _private_database(url: str) -> str:
    """Create a database of our own next to TEST_DATABASE_URL's and return its URL.

    Other suites reset TEST_DATABASE_URL's schema whenever they like; a process-level test
    runs for seconds, so it gets a database nobody else resets. Falls back to the shared one
    when this role may not create databases.
    """
    parsed = make_url(url)
    name = f"{parsed.database or 'warroom'}_reliability_{os.getpid()}"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    async def create() -> None:
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        _run_aside(create())
    except (OSError, asyncpg.PostgresError):
        return url
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, *, via: str) -> None:
    name = make_url(url).database
    admin = make_url(via).set(drivername="postgresql").render_as_string(hide_password=False)

    async def drop() -> None:
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    with contextlib.suppress(OSError, asyncpg.PostgresError):
        _run_aside(drop())


def _run_aside(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end on its own loop in a thread (a test's loop may be running)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result(timeout=60)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This session's own PostgreSQL database (see _private_database)."""
    if not PG_URL:
        pytest.skip("PostgreSQL only, and TEST_DATABASE_URL is not set")
    url = _private_database(PG_URL)
    yield url
    if url != PG_URL:
        _drop_database(url, via=PG_URL)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file always, PostgreSQL when TEST_DATABASE_URL is set.

    One backend only: @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warroom.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    await reset_postgres(url)
    return url


class Store:
    """Direct reads of what the bot recorded."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    async def incidents(self) -> list[Incident]:
        """Return every incident, by number."""
        async with self.db.read() as session:
            return list((await session.exec(select(Incident).order_by(col(Incident.number)))).all())

    async def incident(self, number: int) -> Incident:
        """Return INC-<number>."""
        async with self.db.read() as session:
            found = (await session.exec(select(Incident).where(Incident.number == number))).first()
        assert found is not None, f"INC-{number} is not in the database"
        return found

    async def timeline(self, incident_id: int | None = None) -> list[TimelineEntry]:
        """Return timeline entries (of one incident), oldest first."""
        query = select(TimelineEntry).order_by(col(TimelineEntry.id))
        if incident_id is not None:
            query = query.where(TimelineEntry.incident_id == incident_id)
        async with self.db.read() as session:
            return list((await session.exec(query)).all())

    async def outbox(self) -> list[OutboxRow]:
        """Return every outbox row, oldest first."""
        async with self.db.read() as session:
            return list((await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all())

    async def unsettled(self) -> list[OutboxRow]:
        """Return the rows still pending or dead."""
        return [row for row in await self.outbox() if row.status != "done"]

    async def settled(self) -> bool:
        """Return whether every outbox row is delivered (none pending, none dead)."""
        try:
            return not await self.unsettled()
        except Exception:  # the server may not have created the tables yet
            return False


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """Direct database reads for the test's checks."""
    reader = Store(database_url)
    yield reader
    await reader.db.dispose()


# ----- the server as a process --------------------------------------------------------------


class Server:
    """`python -m bot serve` as a child process, wired to the emulators."""

    def __init__(
        self,
        *,
        workdir: Path,
        name: str,
        database_url: str,
        slack: FixedSlack,
        statuspage: FixedStatuspage,
        http: aiohttp.ClientSession,
        signing_secret: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.slack, self.statuspage, self.http = slack, statuspage, http
        self.stdout_path = self.workdir / "stdout.log"
        self.stderr_path = self.workdir / "stderr.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": f"http://127.0.0.1:{slack.port}/api/",
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "INCIDENT_ANNOUNCE_CHANNEL": ANNOUNCE,
            "STATUS_COMPONENTS": "API,ChatGPT",
            "STATUSPAGE_API_KEY": statuspage.api_key,
            "STATUSPAGE_PAGE_ID": statuspage.page_id,
            "STATUSPAGE_API_URL": statuspage.api_url,
            "STATUSPAGE_MAX_RPS": "50",
            "OUTBOX_RETRY_BASE": "0.05",
            "OUTBOX_LEASE": "3",
            "SLACK_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.driver = SlackDriver(
            bot_url=self.url, signing_secret=signing_secret, session=http, emulator=slack
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self, limit: float = START_LIMIT) -> None:
        """Start the process and wait until GET /healthz answers 200."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                [sys.executable, "-m", "bot", "serve"],
                cwd=self.workdir,  # no stray .env is picked up
                env=self.env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                pytest.fail(f"server exited with {code} on start:\n{self.stderr()[-3000:]}")
            if await self.healthy():
                return
            await asyncio.sleep(0.05)
        pytest.fail(f"server not healthy after {limit:g}s:\n{self.stderr()[-3000:]}")

    async def healthy(self) -> bool:
        """Return whether GET /healthz answers 200."""
        try:
            async with self.http.get(
                self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    @property
    def running(self) -> bool:
        """Return whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL the process, as a crash or an OOM kill would."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def term(self, limit: float = 20.0) -> int:
        """SIGTERM the process, wait for it to exit (bounded) and return its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + limit
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.kill9()
                pytest.fail(f"server still running {limit:g}s after SIGTERM")
            await asyncio.sleep(0.02)
        return int(self.process.returncode)

    async def restart(self) -> None:
        """Kill the process if it still runs, then start it again on the same port."""
        self.kill9()
        await self.start()

    async def command(self, user: str, channel: str, text: str) -> DriverReply:
        """Send `/incident <text>` as Slack would."""
        return await self.driver.command(user_id=user, channel_id=channel, text=text)

    def stderr(self) -> str:
        """Return everything the process wrote to stderr, over every start."""
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stdout(self) -> str:
        """Return everything the process wrote to stdout, over every start."""
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""


ServerFactory = Callable[..., Server]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the test's own requests."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_server(
    tmp_path: Path,
    database_url: str,
    slack: FixedSlack,
    statuspage: FixedStatuspage,
    http: aiohttp.ClientSession,
) -> Iterator[ServerFactory]:
    """Build (not start) servers on this test's database and emulators; all killed at the end.

    make_server(name="replica-2", env={"OUTBOX_LEASE": "5"}) -> Server
    """
    made: list[Server] = []
    secret = secrets.token_hex(16)

    def factory(name: str = "server", env: dict[str, str] | None = None) -> Server:
        server = Server(
            workdir=tmp_path,
            name=name,
            database_url=database_url,
            slack=slack,
            statuspage=statuspage,
            http=http,
            signing_secret=secret,
            env=env,
        )
        made.append(server)
        return server

    yield factory
    for server in made:
        server.kill9()


@pytest.fixture
async def server(make_server: ServerFactory) -> Server:
    """One started server (SIGKILLed at teardown)."""
    started = make_server()
    await started.start()
    return started


# ----- reading Slack ------------------------------------------------------------------------


def incident_channel(slack: SlackEmulator, number: int) -> str | None:
    """Return the ID of the one channel the bot created for INC-<number>, or None."""
    found = incident_channels(slack, number)
    assert len(found) <= 1, f"INC-{number} has {len(found)} channels"
    return found[0] if found else None


def incident_channels(slack: SlackEmulator, number: int) -> list[str]:
    """Return the IDs of every channel the bot created for INC-<number>."""
    pattern = re.compile(rf"inc-{number}(-.*)?")
    return [
        c.id
        for c in slack.channels.values()
        if c.creator == slack.bot_user_id and not c.is_im and pattern.fullmatch(c.name)
    ]


def channel_texts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return a channel's messages as people read them, oldest first."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


def stamp_of(message: EmMessage) -> int | None:
    """Return the outbox row a bot message was posted for (its metadata stamp), if any."""
    payload = (message.metadata or {}).get("event_payload") or {}
    row = payload.get("outbox")
    return int(row) if row is not None else None


async def assert_delivered_once(
    slack: SlackEmulator, statuspage: StatuspageEmulator, store: Store
) -> None:
    """Check that every owed delivery happened, exactly once, in order, everywhere.

    - the outbox has no pending and no dead row;
    - no outbox row's message was posted twice (by its metadata stamp);
    - each incident has one channel (the recorded one), its declarer in it, one pinned summary;
    - each timeline entry but the declaration is in the channel once, in timeline order;
    - each announcement row is in the announcements channel once, and nothing else is there;
    - each notice row is in the channel once; one post-mortem file per upload row;
    - Statuspage holds one incident per public incident, with each public message once.
    """
    rows = await store.outbox()
    assert [(r.id, r.kind, r.status, r.last_error) for r in rows if r.status != "done"] == []
    bot_messages = [m for m in slack.messages if m.user == slack.bot_user_id]
    stamps = Counter(stamp for m in bot_messages if (stamp := stamp_of(m)) is not None)
    assert {row: n for row, n in stamps.items() if n > 1} == {}, "a post was doubled"
    posted_for = {stamp_of(m): m for m in bot_messages if stamp_of(m) is not None}
    announced: list[int] = []
    for incident in await store.incidents():
        ref = f"INC-{incident.number}"
        assert incident_channels(slack, incident.number) == [incident.channel_id], ref
        assert incident.channel_id is not None
        channel = slack.channels[incident.channel_id]
        assert incident.declared_by in channel.members, ref
        assert slack.pins.get(channel.id) == [incident.summary_ts], ref
        mine = [r for r in rows if r.incident_id == incident.id]
        summary_rows = {r.id for r in mine if r.kind == "summary.refresh"}
        summaries = [m.ts for m in slack.history(channel.id) if stamp_of(m) in summary_rows]
        assert summaries == [incident.summary_ts], f"{ref} summary"
        entries = await store.timeline(incident.id)
        entry_row = {
            json.loads(r.payload)["entry_id"]: r.id for r in mine if r.kind == "entry.post"
        }
        shown = [m for m in slack.history(channel.id) if stamp_of(m) in set(entry_row.values())]
        row_entry = {row: entry for entry, row in entry_row.items()}
        expected = [e.id for e in entries if e.kind != "declared"]
        assert [row_entry[stamp_of(m)] for m in shown] == expected, f"{ref} channel"
        assert [e.slack_ts for e in entries if e.kind != "declared"] == [m.ts for m in shown]
        for row in mine:
            if row.kind == "notice":
                assert posted_for.get(row.id) is not None, f"{ref} notice {row.id} missing"
                assert posted_for[row.id].channel == channel.id
            if row.kind == "announce":
                announced.append(row.id)
        uploads = [r for r in mine if r.kind == "postmortem.upload"]
        files = [m for m in slack.history(channel.id) if m.files]
        assert len(files) == len(uploads), f"{ref} post-mortem files"
        _assert_statuspage_once(statuspage, incident, entries, mine)
    announcements = Counter(stamp_of(m) for m in slack.history(ANNOUNCE))
    assert announcements == Counter(announced), "announcements"


def _assert_statuspage_once(
    statuspage: StatuspageEmulator,
    incident: Incident,
    entries: list[TimelineEntry],
    rows: list[OutboxRow],
) -> None:
    ref = f"INC-{incident.number}"
    remote = [
        i
        for i in statuspage.incidents.values()
        if ((i.get("metadata") or {}).get("warroom") or {}).get("uid") == incident.uid
    ]
    synced = [
        json.loads(r.payload)["entry_id"]
        for r in rows
        if r.kind == "incident.sync" and json.loads(r.payload).get("entry_id") is not None
    ]
    if not synced:
        assert remote == [], f"{ref} is not public but is on Statuspage"
        return
    assert len(remote) == 1, f"{ref} has {len(remote)} Statuspage incidents"
    assert remote[0]["id"] == incident.statuspage_id
    public = {u.id: u.text for u in public_updates([to_entry(e) for e in entries])}
    expected = [public[entry_id] for entry_id in synced]
    bodies = [u["body"] for u in reversed(remote[0]["incident_updates"])]
    assert bodies == expected, f"{ref} Statuspage updates"
