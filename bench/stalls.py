"""How long warroom's event loop stalls while its public page is rebuilt after a public change:
a cheap route probed every 5 ms meanwhile."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from bench.data import add_status_message
from bench.procs import BenchError
from storage.db import Database

STATUS = "/status"
PROBE_EVERY = 0.005  # seconds between two probes of the event loop
SETTLE = 0.5  # seconds still probed after a rebuild is seen, before the next change
REBUILD_LIMIT = 30.0  # seconds a change may take to show on the page


@dataclass(frozen=True)
class Stalls:
    """Probes of a cheap route on warroom while its page was rebuilt after public changes."""

    probes: list[float]  # ms, each probe's whole request
    seen_after: list[float]  # ms from each public change to its page being served, one each


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


class StallProbe:
    """Public changes written to warroom's database, its page watched and its loop probed."""

    def __init__(self, session: aiohttp.ClientSession, url: str, *, rebuilds: int) -> None:
        self.session, self.url, self.rebuilds = session, url, rebuilds

    async def measure(self, db_url: str, number: int) -> Stalls:
        """Probe GET /status.css every 5 ms while public changes to INC-<number> make warroom
        rebuild its page; return each probe's latency and how soon each change was served."""
        db = Database(db_url)
        probes: list[float] = []
        seen_after: list[float] = []
        try:
            page = await self._page(None)
            assert page is not None
            # A first change, unprobed: the bench's own first write (connecting, compiling its
            # statements) would otherwise hold the bench's loop while it probes.
            page, _ = await self._rebuilt(db, number, page)
            stop = asyncio.Event()
            prober = asyncio.create_task(self._probe(probes, stop))
            try:
                await asyncio.sleep(SETTLE)  # the probes' baseline
                for _ in range(self.rebuilds):
                    page, after = await self._rebuilt(db, number, page)
                    seen_after.append(after)
                    await asyncio.sleep(SETTLE)  # whatever follows the swap is still probed
            finally:
                stop.set()
                await prober
        finally:
            await db.dispose()
        return Stalls(probes, seen_after)

    async def _rebuilt(self, db: Database, number: int, seen: Page) -> tuple[Page, float]:
        """Write a public change; return the page once served, and the ms that took."""
        started = time.monotonic()
        text = f"Still working on it ({_token()})"
        await add_status_message(db, number=number, text=text, now=datetime.now(UTC))
        page = await self._changed(seen)
        return page, (time.monotonic() - started) * 1000

    async def _probe(self, probes: list[float], stop: asyncio.Event) -> None:
        url = self.url + "/status.css"
        while not stop.is_set():
            started = time.perf_counter()
            async with self.session.get(url) as response:
                await response.read()
                if response.status != 200:
                    raise BenchError(f"GET {url}: HTTP {response.status}")
            elapsed = time.perf_counter() - started
            probes.append(elapsed * 1000)
            await asyncio.sleep(max(0.0, PROBE_EVERY - elapsed))

    async def _page(self, seen: Page | None) -> Page | None:
        """GET /status as a browser holding `seen` would (revalidating its ETag, if it had
        one); return the page when it is another than `seen`, else None."""
        headers = {"Accept-Encoding": "gzip"}
        if seen is not None and seen.etag:
            headers["If-None-Match"] = seen.etag
        async with self.session.get(self.url + STATUS, headers=headers) as response:
            body = await response.read()
            if response.status == 304:
                return None
            if response.status != 200:
                raise BenchError(f"GET {self.url}{STATUS}: HTTP {response.status}")
            page = Page(response.headers.get("ETag", ""), body)
        return None if page.same_as(seen) else page

    async def _changed(self, seen: Page) -> Page:
        """Poll /status every 50 ms until it serves a page other than `seen`."""
        deadline = time.monotonic() + REBUILD_LIMIT
        while time.monotonic() < deadline:
            page = await self._page(seen)
            if page is not None:
                return page
            await asyncio.sleep(0.05)
        raise BenchError(f"/status still served the same page {REBUILD_LIMIT:.0f} s after a change")


def _token() -> str:
    return "sx" + secrets.token_hex(3)
