"""The processes under test and the emulated workspace: start them, read their state."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.emulators import ANNOUNCE, BOT_TOKEN, COMPONENTS, STATUSPAGE_KEY, STATUSPAGE_PAGE
from bench.procs import BenchError, Child, Children, child_env, free_port, wait_http


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

    async def start_floor(self) -> tuple[Child, str]:
        """Start the floor app; return it and its base URL once healthy."""
        port = free_port()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_API_URL": self.emulators.slack_api,
            "SLACK_POST_INTERVAL": "0.001",
        }
        argv = [sys.executable, "-m", "bench.floor_app", f"--port={port}"]
        child = self.children.start("floor", argv, child_env(env))
        url = f"http://127.0.0.1:{port}"
        await wait_http(self.session, url + "/healthz", child)
        return child, url

    async def start_warroom(self, label: str, db_path: Path) -> tuple[Child, str]:
        """Start `warroom serve` on `db_path`; return it and its base URL once healthy."""
        emulators, port = self.emulators, free_port()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_API_URL": emulators.slack_api,
            "SLACK_POST_INTERVAL": "0.001",
            "DATABASE_URL": f"sqlite:///{db_path}",
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
        argv = [sys.executable, "-m", "bot", "serve"]
        child = self.children.start(label, argv, child_env(env))
        url = f"http://127.0.0.1:{port}"
        await wait_http(self.session, url + "/healthz", child, limit=60.0)
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

    async def markers(self, channel: str, prefix: str) -> tuple[int, int]:
        """Return how many distinct `prefix-<n>` markers channel holds, and how many in all."""
        found = await self.control("GET", "/bench/markers", channel=channel, prefix=prefix)
        return int(str(found["distinct"])), int(str(found["total"]))


def _read_only(db: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10))


def count_updates(db: Path, prefix: str) -> int:
    """Return how many update entries whose text starts with `prefix-` the database holds."""
    with _read_only(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM timeline_entry WHERE kind = 'update' AND text LIKE ?",
            (prefix + "-%",),
        ).fetchone()
    return int(row[0])


def _pending(db: Path) -> int:
    with _read_only(db) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()
    return int(row[0])


async def wait_outbox_empty(db: Path, *, limit: float = 60.0) -> float:
    """Wait until warroom's outbox holds nothing pending; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await asyncio.to_thread(_pending, db) == 0:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise BenchError(f"the outbox still had pending rows after {limit:.0f} s")
