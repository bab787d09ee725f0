"""The public page, served from memory: rebuilt off the event loop when public data changes.

This process learns of its own public changes at once (`changed()`, called after the commit);
other replicas' within `poll` seconds, from one small read of the public-data version. No
request ever reads the database. A request that arrives after this process changed public
data waits (a moment, at most `FRESH_WAIT`) for the rebuild: whoever posts an update and
reloads the page sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.model import Severity
from bot.domain.public import Impact
from bot.domain.public_page import PublicPage, assemble_page
from bot.status_page.documents import Document, incident_key, render_all, render_incident
from storage.counters import PUBLIC_VERSION, read_counter
from storage.db import Database
from storage.public import PublicRows, load_public_rows, to_records

log = logging.getLogger(__name__)
DAYS = 90
FRESH_WAIT = 1.0


class NotReady(Exception):
    """The page has not been built yet (the database has not answered since start)."""


class PublicPages:
    """Holds the rendered public documents; `run()` keeps them fresh."""

    def __init__(
        self,
        *,
        db: Database,
        title: str,
        url: str,
        components: Callable[[], Sequence[str]],
        impact_of: Mapping[Severity, Impact],
        clock: Callable[[], datetime],
        support_url: str | None = None,
        poll: float = 1.0,
        max_age: float = 60.0,
        subscribe: object | None = None,
    ) -> None:
        self.db, self.title, self.url, self.support_url = db, title, url, support_url
        self.components, self.impact_of, self.clock = components, impact_of, clock
        self.poll, self.max_age = poll, max_age
        self.subscribe = subscribe  # the subscribe form's empty state, when email is on
        self._key: tuple[int, tuple[str, ...]] | None = None
        self._built_at = 0.0
        self._page: PublicPage | None = None
        self._docs: dict[str, Document] = {}
        self._incidents: dict[str, Document] = {}
        self._changed = asyncio.Event()
        self._built = asyncio.Event()
        self._wanted = self._have = 0  # changes said, and changes the documents include
        self._fresh = asyncio.Event()

    def changed(self) -> None:
        """Say public data changed in this process: rebuild now rather than at the next poll."""
        self._wanted += 1
        self._changed.set()

    async def document(self, kind: str) -> Document:
        """Return one document: `html`, `atom`, `rss` or a JSON name."""
        await self._ready()
        return self._docs[kind]

    async def incident(self, uid: str) -> Document | None:
        """Return one incident's page (rendered on first ask after each rebuild)."""
        page = await self._ready()
        key = incident_key(uid)
        if key not in self._docs:
            document = render_incident(page, uid, self._incidents.get(key), self.clock())
            if document is None:
                return None
            self._docs[key] = document
        return self._docs[key]

    async def page(self) -> PublicPage:
        """Return the current public page model."""
        return await self._ready()

    async def run(self) -> None:
        """Keep the documents fresh until cancelled; a failed rebuild keeps the last ones."""
        while True:
            self._changed.clear()
            wanted = self._wanted
            try:
                await self.refresh()
                self._have = wanted
                self._fresh.set()
                self._fresh = asyncio.Event()
            except Exception:  # the database may be down: serve what we have, try again soon
                log.exception("public page: rebuild failed; serving the last one built")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._changed.wait()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop keeping the documents fresh."""
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def refresh(self) -> None:
        """Rebuild if public data or the components changed, or the bars may have moved."""
        async with self.db.read() as session:
            version = await read_counter(session=session, name=PUBLIC_VERSION)
        key = (version, tuple(self.components()))
        if key == self._key and time.monotonic() - self._built_at < self.max_age:
            return
        now = self.clock()
        async with self.db.read() as session:
            rows = await load_public_rows(session=session, since=now - timedelta(days=DAYS))
        # Turning rows into the page and the page into bytes is pure CPU: a worker thread's.
        page, docs = await asyncio.to_thread(self._build, rows, key[1], now)
        old = {k: d for k, d in self._docs.items() if k.startswith("incident/")}
        self._page, self._docs, self._incidents = page, docs, old
        self._key, self._built_at = key, time.monotonic()
        self._built.set()

    def _build(
        self, rows: PublicRows, components: Sequence[str], now: datetime
    ) -> tuple[PublicPage, dict[str, Document]]:
        page = assemble_page(
            title=self.title,
            url=self.url,
            components=components,
            records=to_records(rows),
            impact_of=self.impact_of,
            now=now,
            days=DAYS,
            support_url=self.support_url,
        )
        return page, render_all(page, self._docs, now, subscribe=self.subscribe)

    async def _ready(self) -> PublicPage:
        wanted = self._wanted
        if self._have < wanted and self._page is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FRESH_WAIT):
                    while self._have < wanted:  # a rebuild under way may predate our change
                        await self._fresh.wait()
        if self._page is None:
            try:
                async with asyncio.timeout(5):
                    await self._built.wait()
            except TimeoutError:
                raise NotReady from None
        assert self._page is not None
        return self._page
