"""A public update as subscribers get it: built from the same public model as the page."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.model import Severity
from bot.domain.public import Impact, PublicIncident, PublicUpdate
from bot.domain.public_page import PublicPage, assemble_page
from bot.domain.subscriptions import SubscriberKind, unsubscribe_secret
from storage.db import Database
from storage.notices import update_record


@dataclass(frozen=True)
class News:
    """One public update, its incident as it stood then, and the page it belongs to."""

    page: PublicPage
    incident: PublicIncident
    update: PublicUpdate
    incident_url: str


@dataclass(frozen=True)
class Links:
    """The absolute URLs subscribers are sent."""

    base: str  # PUBLIC_BASE_URL, without a trailing slash

    def incident(self, uid: str) -> str:
        """Return the incident's own page."""
        return f"{self.base}/incidents/{uid}"

    def confirm(self, token: str) -> str:
        """Return the link that confirms an email subscription."""
        return f"{self.base}/status/confirm?token={token}"

    def unsubscribe(self, kind: SubscriberKind, subscriber_id: int, secret: str) -> str:
        """Return the subscriber's unsubscribe link (a page; a POST to it unsubscribes)."""
        token = f"{subscriber_id}.{unsubscribe_secret(kind, secret)}"
        return f"{self.base}/status/unsubscribe?token={token}"


class PublicView:
    """Builds the public news of a timeline entry once, for every subscriber it goes to."""

    def __init__(
        self,
        *,
        db: Database,
        title: str,
        page_url: str,
        links: Links,
        components: Callable[[], Sequence[str]],
        impact_of: Mapping[Severity, Impact],
        clock: Clock,
    ) -> None:
        self.db, self.title, self.page_url, self.links = db, title, page_url, links
        self.components, self.impact_of, self.clock = components, impact_of, clock
        self._cache: OrderedDict[int, News | None] = OrderedDict()

    async def news(self, entry_id: int) -> News | None:
        """Return the entry's public news, or None if the public never saw it."""
        if entry_id in self._cache:
            self._cache.move_to_end(entry_id)
            return self._cache[entry_id]
        async with self.db.read() as session:
            record = await update_record(session=session, entry_id=entry_id)
        news = None
        if record is not None:
            page = assemble_page(
                title=self.title,
                url=self.page_url,
                components=self.components(),
                records=[record],
                impact_of=self.impact_of,
                now=self.clock(),
            )
            incident = next(iter([*page.active, *page.history]), None)
            update = (
                next((u for u in incident.updates if u.id == entry_id), None) if incident else None
            )
            if incident is not None and update is not None:
                news = News(page, incident, update, self.links.incident(incident.uid))
        self._cache[entry_id] = news
        while len(self._cache) > 64:
            self._cache.popitem(last=False)
        return news
