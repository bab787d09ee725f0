"""The processes under test and the emulated workspace: start them, read their state."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
import asyncpg

from bench.emulators import (
    ANNOUNCE,
    APP_TOKEN,
    BOT_TOKEN,
    COMPONENTS,
    STATUSPAGE_KEY,
    STATUSPAGE_PAGE,
)
from bench.procs import BenchError, Child, Children, child_env, free_port, wait_http

UPDATES_LIKE = "SELECT count(*) FROM timeline_entry WHERE kind = 'update' AND text LIKE "
PENDING = "SELECT count(*) FROM outbox WHERE status = 'pending'"


class Store(Protocol):
    """The database a warroom server runs on, read by the bench behind its back."""

    label: str

    @property
    def url(self) -> str:
        """Return its DATABASE_URL."""

    async def pending(self) -> int:
        """Return how many outbox rows are still to deliver."""

    async def count_updates(self, prefix: str) -> int:
        """Return how many update entries start with `prefix-`."""


@dataclass
class SqliteStore:
    """A fresh SQLite file."""

    path: Path
    label: str = "SQLite"

    @property
    def url(self) -> str:
        """Return its DATABASE_URL."""
        return f"sqlite:///{self.path}"

    async def pending(self) -> int:
        """Return how many outbox rows are still to deliver."""
        return await asyncio.to_thread(_sqlite_count, self.path, PENDING, ())

    async def count_updates(self, prefix: str) -> int:
        """Return how many update entries start with `prefix-`."""
        query, args = UPDATES_LIKE + "?", (prefix + "-%",)
        return await asyncio.to_thread(_sqlite_count, self.path, query, args)


@dataclass
class PostgresStore:
    """A database of its own on the local PostgreSQL server, dropped at the end."""

    admin_url: str
    name: str
    label: str = "PostgreSQL"
    _reader: asyncpg.Connection | None = None  # one connection for every poll, not one each

    @property
    def url(self) -> str:
        """Return its DATABASE_URL."""
        return self.admin_url.rsplit("/", 1)[0] + "/" + self.name

    async def pending(self) -> int:
        """Return how many outbox rows are still to deliver."""
        return await self._count(PENDING)

    async def count_updates(self, prefix: str) -> int:
        """Return how many update entries start with `prefix-`."""
        return await self._count(UPDATES_LIKE + "$1", prefix + "-%")

    async def _count(self, query: str, *args: object) -> int:
        if self._reader is None:
            self._reader = await asyncpg.connect(self.url, timeout=5)
        return int(await self._reader.fetchval(query, *args))

    @classmethod
    async def create(cls, admin_url: str) -> PostgresStore | None:
        """Create a fresh database; None when the server does not answer."""
        name = "warroom_bench_" + secrets.token_hex(4)
        try:
            conn = await asyncpg.connect(admin_url, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return None
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return cls(admin_url, name)

    async def drop(self) -> None:
        """Drop the database (after its server stopped)."""
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        conn = await asyncpg.connect(self.admin_url, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()


@dataclass(frozen=True)
class Emulators:
    """The helper process serving both emulators, and its control API."""

    child: Child
    slack_port: int
    statuspage_port: int
    control: str

    @property
    def slack_api(self) -> str:
        """Return the Slack Web API base URL."""
        return f"http://127.0.0.1:{self.slack_port}/api/"


class Servers:
    """Starts the emulators, the floor and warroom; reads the emulated workspace."""

    def __init__(self, children: Children, session: aiohttp.ClientSession, secret: str) -> None:
        self.children, self.session, self.secret = children, session, secret
        self._emulators: Emulators | None = None

    @property
    def emulators(self) -> Emulators:
        """Return the running emulators."""
        if self._emulators is None:
            raise BenchError("the emulators are not running")
        return self._emulators

    async def start_emulators(self) -> Emulators:
        """Start the emulator helper process and wait until it answers."""
        slack, statuspage, control = free_port(), free_port(), free_port()
        argv = [
            sys.executable,
            "-m",
            "bench.emulators",
            f"--slack-port={slack}",
            f"--statuspage-port={statuspage}",
            f"--control-port={control}",
        ]
        child = self.children.start("emulators", argv, child_env({}))
        base = f"http://127.0.0.1:{control}"
        await wait_http(self.session, base + "/bench/health", child)
        self._emulators = Emulators(child, slack, statuspage, base)
        return self._emulators

    async def start_floor(self, label: str, *, socket: bool) -> tuple[Child, str]:
        """Start the floor app; return it and its base URL once healthy (and connected)."""
        port = free_port()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_API_URL": self.emulators.slack_api,
            "SLACK_APP_TOKEN": APP_TOKEN,
        }
        argv = [sys.executable, "-m", "bench.floor_app", f"--port={port}"]
        child = self.children.start(label, [*argv, "--socket"] if socket else argv, child_env(env))
        url = f"http://127.0.0.1:{port}"
        await wait_http(self.session, url + "/healthz", child)
        if socket:
            await self.socket_connected(child)
        return child, url

    async def socket_connected(self, child: Child, limit: float = 30.0) -> None:
        """Wait until an app holds the emulator's Socket Mode connection."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if (await self.control("GET", "/bench/socket"))["connected"]:
                return
            if not child.alive():
                break
            await asyncio.sleep(0.05)
        raise BenchError(f"{child.label} did not connect over Socket Mode:\n{child.tail()}")

    async def start_warroom(
        self, label: str, store: Store, *, socket: bool = False
    ) -> tuple[Child, str]:
        """Start `warroom serve` on `store`; return it and its base URL once healthy (and, in
        Socket Mode, connected)."""
        emulators, port = self.emulators, free_port()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_API_URL": emulators.slack_api,
            "SLACK_POST_INTERVAL": "0.001",
            "DATABASE_URL": store.url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "INCIDENT_ANNOUNCE_CHANNEL": ANNOUNCE,
            "STATUS_COMPONENTS": ",".join(COMPONENTS),
            "STATUSPAGE_API_KEY": STATUSPAGE_KEY,
            "STATUSPAGE_PAGE_ID": STATUSPAGE_PAGE,
            "STATUSPAGE_API_URL": f"http://127.0.0.1:{emulators.statuspage_port}/v1",
            "STATUSPAGE_MAX_RPS": "50",
            "LOG_LEVEL": "WARNING",
        }
        if socket:
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        argv = [sys.executable, "-m", "bot", "serve"]
        child = self.children.start(label, argv, child_env(env))
        url = f"http://127.0.0.1:{port}"
        await wait_http(self.session, url + "/healthz", child, limit=60.0)
        if socket:
            await self.socket_connected(child)
        return child, url

    async def control(self, method: str, path: str, **params: str) -> dict[str, object]:
        """Call the emulators' control API; raise BenchError unless it answers 200."""
        url = self.emulators.control + path
        async with self.session.request(method, url, params=params) as response:
            body = await response.json()
            if response.status != 200:
                raise BenchError(f"{path} {params}: HTTP {response.status} {body}")
            return dict(body)

    async def response_url(self) -> str:
        """Return a fresh response URL from the Slack emulator."""
        return str((await self.control("POST", "/bench/response_url"))["url"])

    async def channel_id(self, name: str, *, limit: float = 30.0) -> str:
        """Wait until the channel `name` exists in the emulator; return its ID."""
        deadline = time.monotonic() + limit
        url = self.emulators.control + "/bench/channel"
        while time.monotonic() < deadline:
            async with self.session.get(url, params={"name": name}) as response:
                if response.status == 200:
                    return str((await response.json())["id"])
            await asyncio.sleep(0.01)
        raise BenchError(f"channel #{name} did not appear in {limit:.0f} s")

    async def markers(self, channel: str, prefix: str) -> tuple[int, int, float]:
        """Return how many distinct `prefix-<n>` markers channel holds, how many in all, and the
        Slack ts (Unix time) of the latest message holding one."""
        found = await self.control("GET", "/bench/markers", channel=channel, prefix=prefix)
        return int(str(found["distinct"])), int(str(found["total"])), float(str(found["last_ts"]))

    async def socket_load(
        self, *, n: int, concurrency: int, start: int, command: dict[str, str]
    ) -> tuple[list[float], list[str], float]:
        """Have the emulator send n commands over Socket Mode; return the latencies (s), the ack
        texts and the wall time."""
        url = self.emulators.control + "/bench/socket_load"
        spec = {"n": n, "concurrency": concurrency, "start": start, "command": command}
        async with self.session.post(url, json=spec) as response:
            body = await response.json()
            if response.status != 200:
                raise BenchError(f"socket load: HTTP {response.status} {body}")
        return list(body["latencies"]), list(body["replies"]), float(body["wall"])


def _sqlite_count(db: Path, query: str, args: tuple[str, ...]) -> int:
    uri = f"file:{db}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        return int(conn.execute(query, args).fetchone()[0])


async def wait_outbox_empty(store: Store, *, limit: float = 60.0) -> float:
    """Wait until warroom's outbox holds nothing pending; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await store.pending() == 0:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise BenchError(f"the outbox still had pending rows after {limit:.0f} s")
