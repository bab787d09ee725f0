"""The benchmark's phases, each against real server processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bench.emulators import ALICE, GENERAL
from bench.load import (
    Request,
    Signer,
    Stats,
    command_fields,
    expect_reply,
    expect_status,
    reply_text,
    run_load,
    signed_post,
    stats_of,
)
from bench.procs import BenchError, Child
from bench.servers import Servers, Store, wait_outbox_empty
from bot.domain.text import channel_name

LOAD_LIMIT = 600.0  # seconds any one load run may take


@dataclass(frozen=True)
class Sizes:
    """How much to measure: the full run, or the smoke run that keeps the bench from rotting."""

    n: int = 400
    warmup: int = 20
    declares: int = 20
    postmortem_entries: int = 10_000
    postmortem_repeat: int = 5
    history: int = 1_000
    open_incidents: int = 3
    posted_wait: float = 600.0
    wrk_seconds: float = 10.0  # each wrk run against the status page
    rebuilds: int = 10  # public changes made while the event loop is probed


SMOKE = Sizes(
    n=20,
    warmup=5,
    declares=3,
    postmortem_entries=1_000,
    posted_wait=90.0,
    wrk_seconds=1.0,
    rebuilds=3,
)


@dataclass(frozen=True)
class Combo:
    """One way of running warroom: its database and how Slack reaches it."""

    backend: str  # "SQLite" or "PostgreSQL"
    socket: bool

    @property
    def transport(self) -> str:
        """Return "Socket Mode" or "HTTP"."""
        return "Socket Mode" if self.socket else "HTTP"

    @property
    def name(self) -> str:
        """Return the label rows carry, `SQLite, HTTP`."""
        return f"{self.backend}, {self.transport}"


@dataclass(frozen=True)
class Acks:
    """One server's `/incident` acks at concurrency 1 and 32."""

    c1: Stats
    c32: Stats
    cpu_ms: float  # the server's CPU time per request during the run at 32


@dataclass(frozen=True)
class Updates:
    """The `/incident update` runs against warroom, and what reached the channel."""

    acks: Acks
    sent: int
    recorded: int
    posted: int
    posted_total: int
    drain_seconds: float  # from the last ack to the last update posted
    ready: list[float]  # declare to ready (ms), declared right after the burst


# Sends `count` commands, `concurrency` at a time, the i-th with text_of(offset + i).
Load = Callable[[int, int, int], Awaitable[Stats]]


class Bench:
    """The phases of one run, sharing one client session and the servers."""

    def __init__(self, sizes: Sizes, session: aiohttp.ClientSession, servers: Servers) -> None:
        self.sizes, self.session, self.servers = sizes, session, servers
        self.signer = Signer(servers.secret)

    def _command(self, where: tuple[str, str], text: str, ru: str) -> dict[str, str]:
        """Return `/incident <text>` typed by ALICE in `where` (channel ID, name)."""
        return command_fields(
            channel_id=where[0],
            channel_name=where[1],
            user_id=ALICE,
            user_name="alice",
            text=text,
            response_url=ru,
        )

    def _over_http(self, url: str, command_of: Callable[[int], dict[str, str]]) -> Request:
        """Return how to POST the i-th command, signed, to warroom's (or the floor's) URL."""

        def body_of(i: int) -> bytes:
            return urlencode(command_of(i)).encode()

        return signed_post(self.session, url + "/slack/events", self.signer, body_of)

    async def loader(
        self,
        url: str,
        where: tuple[str, str],
        template: str,
        expect: str | None,
        *,
        socket: bool,
    ) -> Load:
        """Return how to send commands as ALICE in `where`, over HTTP or Socket Mode: the i-th
        text is `template` with `{i}` replaced by i; `expect` is the exact ack text (None: any
        ack will do)."""
        ru = await self.servers.response_url()
        check = expect_status if expect is None else expect_reply(expect)

        async def over_http(count: int, concurrency: int, offset: int) -> Stats:
            send = self._over_http(
                url,
                lambda i: self._command(where, template.replace("{i}", f"{offset + i:05d}"), ru),
            )
            return await run_load(
                send, n=count, concurrency=concurrency, check=check, limit=LOAD_LIMIT
            )

        async def over_socket(count: int, concurrency: int, offset: int) -> Stats:
            command = self._command(where, template, ru)
            latencies, replies, wall = await self.servers.socket_load(
                n=count, concurrency=concurrency, start=offset, command=command
            )
            problems = [f"reply {r[:200]!r}" for r in replies if expect is not None and r != expect]
            return stats_of(latencies, problems, concurrency, wall)

        return over_socket if socket else over_http

    async def ack_runs(
        self, child: Child, load: Load, quiet: Callable[[], Awaitable[object]] | None = None
    ) -> tuple[Acks, float]:
        """Warm up, then time n commands at concurrency 1 and at 32, each from `quiet`; return
        the acks and the Unix time of the last one."""
        n, warm = self.sizes.n, self.sizes.warmup
        runs: list[Stats] = []
        offset, cpu_ms = 0, 0.0
        for count, concurrency in ((warm, 1), (n, 1), (n, 32)):
            if quiet is not None:
                await quiet()
            cpu = child.cpu_seconds()
            runs.append(await load(count, concurrency, offset))
            cpu_ms = (child.cpu_seconds() - cpu) * 1000 / count
            offset += count
        return Acks(runs[1], runs[2], cpu_ms), time.time()

    async def floor(self, *, socket: bool) -> tuple[Acks, Child]:
        """Measure the floor's `/incident` acks over HTTP or Socket Mode."""
        label = "floor-socket" if socket else "floor"
        child, url = await self.servers.start_floor(label, socket=socket)
        try:
            load = await self.loader(
                url, (GENERAL, "general"), "update floor-{i}", None, socket=socket
            )
            acks, _ = await self.ack_runs(child, load)
        finally:
            child.stop()
        return acks, child

    async def declare(self, url: str, text: str, *, socket: bool) -> str:
        """Declare from #general; return the ack text."""
        ru = await self.servers.response_url()
        command = self._command((GENERAL, "general"), text, ru)
        if socket:
            _, [reply], _ = await self.servers.socket_load(
                n=1, concurrency=1, start=0, command=command
            )
            return reply
        status, raw = await self._over_http(url, lambda _: command)(0)
        if status != 200:
            raise BenchError(f"declare failed: HTTP {status} {raw[:300]!r}")
        return reply_text(raw)

    async def declare_bench_incident(
        self, url: str, store: Store, *, socket: bool
    ) -> tuple[str, str, str]:
        """Declare INC-<n> Bench <token>; return its reference, channel ID and channel name.

        The token keeps each combination's channel its own: every one starts a fresh database
        (so an INC-1), and all share one Slack emulator, where `#inc-1-bench` would be taken.
        """
        title = f"Bench {secrets.token_hex(3)}"
        reply = await self.declare(url, f"declare sev1 {title}", socket=socket)
        found = re.search(r"\*(INC-(\d+))\*", reply)
        if found is None:
            raise BenchError(f"declare failed: {reply[:300]!r}")
        name = channel_name("inc", int(found.group(2)), title)
        channel = await self.servers.channel_id(name)
        await wait_outbox_empty(store)
        return found.group(1), channel, name

    async def updates(self, child: Child, url: str, store: Store, *, socket: bool) -> Updates:
        """Time `/incident update` at 1 and 32; right after, time declares while the burst is
        still being posted; then wait until every update is posted."""
        ref, channel, name = await self.declare_bench_incident(url, store, socket=socket)
        token = "bx" + secrets.token_hex(4)

        async def quiet() -> float:
            return await wait_outbox_empty(store, limit=self.sizes.posted_wait)

        load = await self.loader(
            url,
            (channel, name),
            f"update {token}-{{i}} bench update",
            f"Update recorded on {ref}.",
            socket=socket,
        )
        acks, last_ack = await self.ack_runs(child, load, quiet)
        ready = await self.declare_to_ready(url, socket=socket)
        sent = self.sizes.warmup + 2 * self.sizes.n
        posted = total = 0
        last_posted = 0.0
        while time.time() - last_ack < self.sizes.posted_wait:
            posted, total, last_posted = await self.servers.markers(channel, token)
            if posted >= sent:
                break
            await asyncio.sleep(0.1)
        recorded = await store.count_updates(token)
        drained = last_posted - last_ack if posted >= sent else time.time() - last_ack
        return Updates(acks, sent, recorded, posted, total, drained, ready)

    async def declare_to_ready(self, url: str, *, socket: bool) -> list[float]:
        """Time declare -> incident channel with its first message, in ms, one at a time, each
        declared as soon as the one before is ready (the outbox may still hold a backlog)."""
        await self.servers.control("POST", "/bench/watch", on="1")
        times: list[float] = []
        try:
            for k in range(self.sizes.declares):
                token = f"r{k}x{secrets.token_hex(3)}"
                started = time.monotonic()
                reply = await self.declare(url, f"declare sev2 Ready {token}", socket=socket)
                if "Declaring" not in reply:
                    raise BenchError(f"declare failed: {reply[:300]!r}")
                ready = await self.servers.control(
                    "GET", "/bench/ready", contains=f"ready-{token}", timeout="30"
                )
                times.append((float(str(ready["at"])) - started) * 1000)
        finally:
            await self.servers.control("POST", "/bench/watch", on="0")
        return times
