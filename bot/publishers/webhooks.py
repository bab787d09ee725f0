"""Deliver public updates to webhook subscribers: signed JSON in Statuspage's shape."""

from __future__ import annotations

import json
import logging

import aiohttp

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.domain.subscriptions import SIGNATURE_HEADER, SubscriberKind, sign
from bot.publishers.base import DeliveryError, not_mine
from bot.publishers.public_view import PublicView
from bot.status_page.subscriptions_render import webhook_body
from storage.db import Database
from storage.subscribers import active_subscriber

log = logging.getLogger(__name__)
K = DeliveryKind
_RETRIED = frozenset({408, 429})
_MAX_RETRY_AFTER = 3600.0


class WebhookPublisher:
    """POSTs each update to its subscriber's URL; 408, 429, 5xx and timeouts are retried."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.WEBHOOK)

    def __init__(
        self,
        *,
        db: Database,
        http: aiohttp.ClientSession,
        view: PublicView,
        timeout: float,
        clock: Clock,
    ) -> None:
        self.db, self.http, self.view, self.clock = db, http, view, clock
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def deliver(self, delivery: Delivery) -> None:
        """Post the row's update to its webhook, unless the webhook was removed."""
        match delivery.kind:
            case K.SUBSCRIBER_WEBHOOK:
                await self._post(delivery)
            case _:  # the relay hands each deliverer its destination's kinds only
                raise not_mine(delivery)

    async def _post(self, delivery: Delivery) -> None:
        sid, entry_id = delivery.payload.subscriber_id, delivery.payload.entry_id
        if sid is None or entry_id is None:
            raise DeliveryError("a webhook row without its subscriber or update", permanent=True)
        async with self.db.read() as session:
            row = await active_subscriber(session=session, subscriber_id=sid)
        news = await self.view.news(entry_id)
        if row is None or news is None:
            return  # removed since, or nothing public: nothing to send
        unsubscribe = self.view.links.unsubscribe(SubscriberKind.WEBHOOK, sid, row.secret)
        body = json.dumps(
            webhook_body(
                page=news.page,
                incident=news.incident,
                unsubscribe_url=unsubscribe,
                documentation=f"{self.view.links.base}/status#subscribe",
            )
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "warroom-webhooks",
            SIGNATURE_HEADER: sign(row.secret, int(self.clock().timestamp()), body),
            # The same on every try: a receiver that got it before (a lost answer) skips it.
            "X-Warroom-Delivery": f"{entry_id}.{sid}",
        }
        await self._send(row.address, body, headers)

    async def _send(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            async with self.http.post(
                url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            ) as response:
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"webhook unreachable: {type(error).__name__}") from None
        if 200 <= status < 300:
            return
        if status in _RETRIED or status >= 500:
            raise DeliveryError(
                f"webhook answered HTTP {status}", retry_after=_seconds(retry_after)
            )
        raise DeliveryError(f"webhook refused it: HTTP {status} (not retried)", permanent=True)

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Log it: `warroom outbox` shows the row and its error."""
        log.warning("webhook row %s failed: %s; dead: %s", delivery.id, error, dead)


def _seconds(retry_after: str | None) -> float | None:
    """Return Retry-After in seconds (its delay form; a date is taken as no advice)."""
    if retry_after is None or not (retry_after.strip().isascii() and retry_after.strip().isdigit()):
        return None
    return min(float(retry_after.strip()), _MAX_RETRY_AFTER)
