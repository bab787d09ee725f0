"""The public status page under load: warroom against a bare aiohttp process serving the very same
bytes from memory (wrk at 64 connections), incident commands acked meanwhile, and how long the
event loop stalls while the page is rebuilt after a public change."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.data import add_status_message
from bench.load import Stats, stats_of
from bench.phases import Bench
from bench.procs import BenchError, Child, child_env, free_port, wait_http
from bench.servers import Store
from bench.static_app import GZIP, body_bytes, capture_documents, save_documents
from bench.wrk import WrkRun, run_wrk, wrk_path
from storage.db import Database

STATUS, SUMMARY = "/status", "/api/v2/summary.json"
PATHS = (STATUS, SUMMARY)
BROWSER = "Accept-Encoding: gzip"  # what browsers and CDNs send
ACK_EVERY = 0.2  # seconds between two `/incident update`s while /status is hammered
PROBE_EVERY = 0.005  # seconds between two probes of the event loop
SETTLE = 0.5  # seconds still probed after a rebuild is seen, before the next change
REBUILD_LIMIT = 30.0  # seconds a change may take to show on the page


@dataclass(frozen=True)
class PageLoad:
    """One path under wrk: warroom, the static floor, and the bytes of the gzip variant."""

    warroom: WrkRun
    floor: WrkRun
    body_bytes: int


@dataclass(frozen=True)
class Stalls:
    """Probes of a cheap route on warroom while its page was rebuilt after public changes."""

    probes: list[float]  # ms, each probe's whole request
    seen_after: list[float]  # ms from each public change to its page being served, one each


@dataclass(frozen=True)
class PageResults:
    """Everything measured on the pages server."""

    cold: dict[str, float]  # ms of the first GET of each path after the server started
    loads: dict[str, PageLoad]  # empty when wrk is not installed
    acks: Stats | None  # `/incident update` acks while /status was hammered
    stalls: Stalls


@dataclass(frozen=True)
class Page:
    """The public page as served: its ETag (empty without one) and body."""

    etag: str
    body: bytes

    def same_as(self, other: Page | None) -> bool:
        """Return whether this is `other` again: the same ETag, or without, the same body."""
        if other is None:
            return False
        return self.etag == other.etag if self.etag else self.body == other.body


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
        stalls = await self.stalls(url, store.url, self.sizes.history + 1)
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

    async def stalls(self, url: str, db_url: str, number: int) -> Stalls:
        """Probe GET /status.css every 5 ms while public changes to INC-<number> make warroom
        rebuild its page; return each probe's latency and how soon each change was served."""
        db = Database(db_url)
        probes: list[float] = []
        seen_after: list[float] = []
        try:
            page = await self._page(url, None)
            assert page is not None
            # A first change, unprobed: the bench's own first write (connecting, compiling its
            # statements) would otherwise hold the bench's loop while it probes.
            page, _ = await self._rebuilt(url, db, number, page)
            stop = asyncio.Event()
            prober = asyncio.create_task(self._probe(url + "/status.css", probes, stop))
            try:
                await asyncio.sleep(SETTLE)  # the probes' baseline
                for _ in range(self.sizes.rebuilds):
                    page, after = await self._rebuilt(url, db, number, page)
                    seen_after.append(after)
                    await asyncio.sleep(SETTLE)  # whatever follows the swap is still probed
            finally:
                stop.set()
                await prober
        finally:
            await db.dispose()
        return Stalls(probes, seen_after)

    async def _rebuilt(self, url: str, db: Database, number: int, seen: Page) -> tuple[Page, float]:
        """Write a public change; return the page once served, and the ms that took."""
        started = time.monotonic()
        text = f"Still working on it ({_token()})"
        await add_status_message(db, number=number, text=text, now=datetime.now(UTC))
        page = await self._changed(url, seen)
        return page, (time.monotonic() - started) * 1000

    async def _probe(self, url: str, probes: list[float], stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            async with self.session.get(url) as response:
                await response.read()
                if response.status != 200:
                    raise BenchError(f"GET {url}: HTTP {response.status}")
            elapsed = time.perf_counter() - started
            probes.append(elapsed * 1000)
            await asyncio.sleep(max(0.0, PROBE_EVERY - elapsed))

    async def _page(self, url: str, seen: Page | None) -> Page | None:
        """GET /status as a browser holding `seen` would (revalidating its ETag, if it had
        one); return the page when it is another than `seen`, else None."""
        headers = {"Accept-Encoding": "gzip"}
        if seen is not None and seen.etag:
            headers["If-None-Match"] = seen.etag
        async with self.session.get(url + STATUS, headers=headers) as response:
            body = await response.read()
            if response.status == 304:
                return None
            if response.status != 200:
                raise BenchError(f"GET {url}{STATUS}: HTTP {response.status}")
            page = Page(response.headers.get("ETag", ""), body)
        return None if page.same_as(seen) else page

    async def _changed(self, url: str, seen: Page) -> Page:
        """Poll /status every 50 ms until it serves a page other than `seen`."""
        deadline = time.monotonic() + REBUILD_LIMIT
        while time.monotonic() < deadline:
            page = await self._page(url, seen)
            if page is not None:
                return page
            await asyncio.sleep(0.05)
        raise BenchError(f"/status still served the same page {REBUILD_LIMIT:.0f} s after a change")


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
