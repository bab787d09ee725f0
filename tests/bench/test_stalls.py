"""The stall probe sees a server whose loop is held while it rebuilds its page: against a fake
page server that revalidates ETags and, in its own thread and loop, polls the public version
and blocks its loop for a while on each rebuild, as a page rendered on the loop would."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bench.data import build_history
from bench.stalls import StallProbe
from storage.counters import PUBLIC_VERSION, read_counter
from storage.db import Database

HELD = 0.08  # seconds the fake server's loop is held on each rebuild


@dataclass
class FakePages:
    """A page server in a thread of its own: /status with ETags, /status.css."""

    db_url: str
    port: int = 0
    not_modified: int = 0
    version: int = -1
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)

    async def status(self, request: web.Request) -> web.Response:
        etag = f'"v{self.version}"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=f"page {self.version}", headers={"ETag": etag})

    async def css(self, _: web.Request) -> web.Response:
        return web.Response(text="body{}", content_type="text/css")

    async def rebuild_when_changed(self, db: Database) -> None:
        async with db.read() as session:
            version = await read_counter(session=session, name=PUBLIC_VERSION)
        if version != self.version:
            if self.version >= 0:
                time.sleep(HELD)  # noqa: ASYNC251 - the point: a rebuild holding the loop
            self.version = version

    async def watch(self, db: Database) -> None:
        while True:
            await asyncio.sleep(0.05)
            await self.rebuild_when_changed(db)

    def serve(self, started: threading.Event, stop: asyncio.Event) -> None:
        async def run() -> None:
            db = Database(self.db_url)
            await self.rebuild_when_changed(db)
            app = web.Application()
            app.router.add_get("/status", self.status)
            app.router.add_get("/status.css", self.css)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self.port = runner.addresses[0][1]
            watcher = asyncio.create_task(self.watch(db))
            started.set()
            await stop.wait()
            watcher.cancel()
            await runner.cleanup()
            await db.dispose()

        self.loop.run_until_complete(run())


@pytest.fixture
def fake_pages(tmp_path: Path) -> Iterator[FakePages]:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    asyncio.run(build_history(url, resolved=5, open_=1, components=["API"], now=datetime.now(UTC)))
    pages = FakePages(url)
    started, stop = threading.Event(), asyncio.Event()
    thread = threading.Thread(target=pages.serve, args=(started, stop), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield pages
    finally:
        pages.loop.call_soon_threadsafe(stop.set)
        thread.join(10)


async def test_stall_probe_sees_each_rebuild_hold_the_loop(fake_pages: FakePages) -> None:
    async with aiohttp.ClientSession() as session:
        probe = StallProbe(session, f"http://127.0.0.1:{fake_pages.port}", rebuilds=2)
        stalls = await probe.measure(fake_pages.db_url, number=6)  # INC-6, the open one
    assert len(stalls.seen_after) == 2
    assert fake_pages.not_modified > 0, "the page was not revalidated with its ETag"
    # A held loop cannot answer sooner: a lower bound, whatever else runs on the machine.
    assert max(stalls.probes) >= HELD * 1000 / 2
