"""The public status page under load: warroom against a bare aiohttp process serving the very same
bytes from memory (wrk at 64 connections), incident commands acked meanwhile; then the stalls
(bench.stalls)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

from bench.load import Stats, stats_of
from bench.phases import Bench
from bench.procs import BenchError, Child, child_env, free_port, wait_http
from bench.servers import Store
from bench.stalls import STATUS, StallProbe, Stalls
from bench.static_app import GZIP, body_bytes, capture_documents, save_documents
from bench.wrk import WrkRun, run_wrk, wrk_path

SUMMARY = "/api/v2/summary.json"
PATHS = (STATUS, SUMMARY)
BROWSER = "Accept-Encoding: gzip"  # what browsers and CDNs send
ACK_EVERY = 0.2  # seconds between two `/incident update`s while /status is hammered


@dataclass(frozen=True)
class PageLoad:
    """One path under wrk: warroom, the static floor, and the bytes of the gzip variant."""

    warroom: WrkRun
    floor: WrkRun
    body_bytes: int


@dataclass(frozen=True)
class PageResults:
    """Everything measured on the pages server."""

    cold: dict[str, float]  # ms of the first GET of each path after the server started
    loads: dict[str, PageLoad]  # empty when wrk is not installed
    acks: Stats | None  # `/incident update` acks while /status was hammered
    stalls: Stalls


class PageBench:
    """The status page phases against the pages server (1,000 incidents of history)."""

    def __init__(self, bench: Bench, workdir: Path) -> None:
        self.bench, self.workdir = bench, workdir
        self.session, self.sizes = bench.session, bench.sizes

    async def measure(self, url: str, store: Store) -> PageResults:
        """Time the cold first render, the load against the floor with acks meanwhile, then
        the stalls while the page is rebuilt after public changes."""
        cold = {path: await self._first_get(url + path) for path in PATHS}
        loads: dict[str, PageLoad] = {}
        acks = None
        if wrk_path() is not None:
            loads, acks = await self._loads(url, store)
        # The history's first open incident: numbers 1 .. history are the resolved ones.
        probe = StallProbe(self.session, url, rebuilds=self.sizes.rebuilds)
        stalls = await probe.measure(store.url, self.sizes.history + 1)
        return PageResults(cold, loads, acks, stalls)

    async def _first_get(self, url: str) -> float:
        started = time.perf_counter()
        async with self.session.get(url) as response:
            await response.read()
            if response.status != 200:
                raise BenchError(f"GET {url}: HTTP {response.status}")
        return (time.perf_counter() - started) * 1000

    async def _loads(self, url: str, store: Store) -> tuple[dict[str, PageLoad], Stats]:
        """Serve warroom's documents from the static app; wrk each path on both, sending
        commands to warroom while its /status is hammered."""
        ref, channel, name = await self.bench.declare_bench_incident(url, store, socket=False)
        load = await self.bench.loader(
            url,
            (channel, name),
            f"update {_token()}-{{i}} while the page is hammered",
            f"Update recorded on {ref}.",
            socket=False,
        )

        async def acks(done: asyncio.Event) -> Stats:
            return await paced(lambda i: load(1, 1, i), done, ACK_EVERY)

        documents = await capture_documents(self.session, url, PATHS)
        path = self.workdir / "documents.json"
        await asyncio.to_thread(save_documents, documents, path)
        floor, floor_url = await self._start_static(path)
        loads: dict[str, PageLoad] = {}
        acked: Stats | None = None
        try:
            for doc in PATHS:
                ours, during = await self._wrk(url + doc, acks if doc == STATUS else None)
                theirs, _ = await self._wrk(floor_url + doc, None)
                loads[doc] = PageLoad(ours, theirs, body_bytes(documents[doc][GZIP]))
                acked = during if during is not None else acked
        finally:
            floor.stop()
        assert acked is not None
        return loads, acked

    async def _wrk(
        self,
        url: str,
        meanwhile: Callable[[asyncio.Event], Coroutine[object, object, Stats]] | None,
    ) -> tuple[WrkRun, Stats | None]:
        return await run_wrk(
            url, seconds=self.sizes.wrk_seconds, headers=[BROWSER], meanwhile=meanwhile
        )

    async def _start_static(self, documents: Path) -> tuple[Child, str]:
        """Start the static app on the captured documents; return it and its URL."""
        port = free_port()
        argv = [sys.executable, "-m", "bench.static_app", f"--port={port}"]
        child = self.bench.servers.children.start(
            "static", [*argv, f"--documents={documents}"], child_env({})
        )
        url = f"http://127.0.0.1:{port}"
        await wait_http(self.session, url + "/healthz", child)
        return child, url


async def paced(
    send: Callable[[int], Awaitable[Stats]], done: asyncio.Event, every: float
) -> Stats:
    """Start send(i) every `every` seconds until `done`, without waiting for the one before;
    return their latencies and errors."""
    started = time.perf_counter()
    tasks: list[asyncio.Future[Stats]] = []
    while not done.is_set():
        tasks.append(asyncio.ensure_future(send(len(tasks))))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), every)
    singles = await asyncio.gather(*tasks)
    problems = [s.first_error or "error" for s in singles if s.errors]
    return stats_of([s.max / 1000 for s in singles], problems, 1, time.perf_counter() - started)


def _token() -> str:
    return "px" + secrets.token_hex(3)
