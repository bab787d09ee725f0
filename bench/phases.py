"""The benchmark's phases, each against real server processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.emulators import ALICE, GENERAL
from bench.load import (
    Check,
    Request,
    Signer,
    Stats,
    expect_reply,
    expect_status,
    plain_get,
    reply_text,
    run_load,
    signed_post,
    slash_command,
)
from bench.procs import BenchError, Child
from bench.servers import Servers, count_updates, wait_outbox_empty
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
    page_n: int = 200
    history: int = 1_000
    open_incidents: int = 3
    posted_wait: float = 600.0


SMOKE = Sizes(n=20, warmup=5, declares=3, postmortem_entries=1_000, page_n=20, posted_wait=90.0)


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
    drain_seconds: float


class Bench:
    """The phases of one run, sharing one client session and the servers."""

    def __init__(self, sizes: Sizes, session: aiohttp.ClientSession, servers: Servers) -> None:
        self.sizes, self.session, self.servers = sizes, session, servers
        self.signer = Signer(servers.secret)

    def commands(
        self, url: str, channel: str, name: str, text_of: Callable[[int], str], ru: str
    ) -> Request:
        """Return a request function sending the i-th signed `/incident` as ALICE in `channel`."""

        def body(i: int) -> bytes:
            return slash_command(
                channel_id=channel,
                channel_name=name,
                user_id=ALICE,
                user_name="alice",
                text=text_of(i),
                response_url=ru,
            )

        return signed_post(self.session, url + "/slack/events", self.signer, body)

    async def ack_runs(
        self,
        child: Child,
        url: str,
        where: tuple[str, str],
        text_of: Callable[[int], str],
        check: Check,
        quiet: Callable[[], Awaitable[object]] | None = None,
    ) -> Acks:
        """Warm up, then time n commands at concurrency 1 and at 32, each from `quiet`."""
        ru = await self.servers.response_url()
        n, warm = self.sizes.n, self.sizes.warmup
        runs: list[Stats] = []
        offset, cpu_ms = 0, 0.0
        for count, concurrency in ((warm, 1), (n, 1), (n, 32)):
            if quiet is not None:
                await quiet()
            send = self.commands(url, *where, _shifted(text_of, offset), ru)
            cpu = child.cpu_seconds()
            runs.append(
                await run_load(
                    send, n=count, concurrency=concurrency, check=check, limit=LOAD_LIMIT
                )
            )
            cpu_ms = (child.cpu_seconds() - cpu) * 1000 / count
            offset += count
        return Acks(runs[1], runs[2], cpu_ms)

    async def floor(self) -> tuple[Acks, Child]:
        """Measure the floor's `/incident` acks."""
        child, url = await self.servers.start_floor()
        try:
            acks = await self.ack_runs(
                child, url, (GENERAL, "general"), lambda i: f"update floor-{i:05d}", expect_status
            )
        finally:
            child.stop()
        return acks, child

    async def declare_bench_incident(self, url: str, db: Path) -> tuple[str, str, str]:
        """Declare INC-<n> Bench; return its reference, channel ID and channel name."""
        ru = await self.servers.response_url()
        send = self.commands(url, GENERAL, "general", _constant("declare sev1 Bench"), ru)
        status, raw = await send(0)
        found = re.search(r"\*(INC-(\d+))\*", reply_text(raw))
        if status != 200 or found is None:
            raise BenchError(f"declare failed: HTTP {status} {raw[:300]!r}")
        name = channel_name("inc", int(found.group(2)), "Bench")
        channel = await self.servers.channel_id(name)
        await wait_outbox_empty(db)
        return found.group(1), channel, name

    async def updates(self, child: Child, url: str, db: Path) -> Updates:
        """Time `/incident update` at 1 and 32, then wait until every update is posted."""
        ref, channel, name = await self.declare_bench_incident(url, db)
        token = "bx" + secrets.token_hex(4)

        async def quiet() -> float:
            return await wait_outbox_empty(db, limit=self.sizes.posted_wait)

        acks = await self.ack_runs(
            child,
            url,
            (channel, name),
            lambda i: f"update {token}-{i:05d} bench update",
            expect_reply(f"Update recorded on {ref}."),
            quiet,
        )
        sent = self.sizes.warmup + 2 * self.sizes.n
        last_ack = time.monotonic()
        posted = total = 0
        while time.monotonic() - last_ack < self.sizes.posted_wait:
            posted, total = await self.servers.markers(channel, token)
            if posted >= sent:
                break
            await asyncio.sleep(0.1)
        drained = time.monotonic() - last_ack
        recorded = await asyncio.to_thread(count_updates, db, token)
        return Updates(acks, sent, recorded, posted, total, drained)

    async def declare_to_ready(self, url: str, db: Path) -> list[float]:
        """Time declare -> incident channel with its first message, in ms, one at a time."""
        await self.servers.control("POST", "/bench/watch", on="1")
        times: list[float] = []
        try:
            for k in range(self.sizes.declares):
                token = f"r{k}x{secrets.token_hex(3)}"
                ru = await self.servers.response_url()
                text = f"declare sev2 Ready {token}"
                send = self.commands(url, GENERAL, "general", _constant(text), ru)
                started = time.monotonic()
                status, raw = await send(0)
                if status != 200 or "Declaring" not in reply_text(raw):
                    raise BenchError(f"declare failed: HTTP {status} {raw[:300]!r}")
                ready = await self.servers.control(
                    "GET", "/bench/ready", contains=f"ready-{token}", timeout="30"
                )
                times.append((float(str(ready["at"])) - started) * 1000)
                await wait_outbox_empty(db)  # each declare starts on a quiet server
        finally:
            await self.servers.control("POST", "/bench/watch", on="0")
        return times

    async def page(self, url: str) -> tuple[Stats, float]:
        """Time GET `url` n times in a row after one warm-up; return them and the warm-up's ms."""
        request = plain_get(self.session, url)
        first = await run_load(request, n=1, concurrency=1, check=expect_status, limit=120)
        if first.errors:
            raise BenchError(f"GET {url} failed: {first.first_error}")
        stats = await run_load(
            request, n=self.sizes.page_n, concurrency=1, check=expect_status, limit=LOAD_LIMIT
        )
        return stats, first.max


def _constant(text: str) -> Callable[[int], str]:
    return lambda _: text


def _shifted(text_of: Callable[[int], str], offset: int) -> Callable[[int], str]:
    return lambda i: text_of(offset + i)
