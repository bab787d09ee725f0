"""The public page, rebuilt only when public data changed (or once a minute, for the bars)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.model import Severity
from bot.domain.public import Impact, PublicPage, assemble_page
from bot.status_page import render
from storage.counters import PUBLIC_VERSION, read_counter
from storage.db import Database
from storage.public import load_records

_JSON = {
    "summary": render.summary_json,
    "status": render.status_json,
    "components": render.components_json,
    "incidents": render.incidents_json,
    "unresolved": render.unresolved_json,
}
DAYS = 90


class PublicPages:
    """Serves rendered public documents, cached per public-data version."""

    def __init__(
        self,
        *,
        db: Database,
        title: str,
        url: str,
        components: Callable[[], Sequence[str]],
        impact_of: Mapping[Severity, Impact],
        clock: Callable[[], datetime],
        max_age: float = 60.0,
        subscribe: object | None = None,
    ) -> None:
        self.db, self.title, self.url = db, title, url
        self.components, self.impact_of, self.clock = components, impact_of, clock
        self.max_age = max_age
        self.subscribe = subscribe  # the subscribe form's empty state, when email is on
        self._key: tuple[int, tuple[str, ...]] | None = None
        self._built_at = 0.0
        self._docs: dict[str, bytes] = {}
        self._page: PublicPage | None = None
        self._lock = asyncio.Lock()

    async def document(self, kind: str) -> bytes:
        """Return one rendered document: `html`, `atom`, `rss` or a JSON name."""
        await self._refresh()
        if kind not in self._docs:
            page = self._page
            assert page is not None
            if kind == "html":
                self._docs[kind] = render.html(page, subscribe=self.subscribe).encode()
            elif kind == "atom":
                self._docs[kind] = render.atom(page)
            elif kind == "rss":
                self._docs[kind] = render.rss(page)
            else:
                self._docs[kind] = json.dumps(_JSON[kind](page)).encode()
        return self._docs[kind]

    async def page(self) -> PublicPage:
        """Return the current public page model."""
        await self._refresh()
        assert self._page is not None
        return self._page

    async def _refresh(self) -> None:
        async with self.db.read() as session:
            version = await read_counter(session=session, name=PUBLIC_VERSION)
        key = (version, tuple(self.components()))
        if key == self._key and time.monotonic() - self._built_at < self.max_age:
            return
        async with self._lock:
            if key == self._key and time.monotonic() - self._built_at < self.max_age:
                return
            now = self.clock()
            async with self.db.read() as session:
                records = await load_records(session=session, since=now - timedelta(days=DAYS))
            self._page = assemble_page(
                title=self.title,
                url=self.url,
                components=key[1],
                records=records,
                impact_of=self.impact_of,
                now=now,
                days=DAYS,
            )
            self._docs, self._key, self._built_at = {}, key, time.monotonic()
