"""Deliver a public update's fan-out: one outbox row per subscriber, queued idempotently."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.domain.subscriptions import SubscriberKind
from bot.publishers.base import DeliveryError, not_mine
from storage.db import Database
from storage.notices import fan_out

log = logging.getLogger(__name__)
K = DeliveryKind
BATCH = 500


class FanOut:
    """Turns one owed fan-out into a row per subscriber, in batches of one transaction each.

    The hot path owes one row whatever the number of subscribers; this is where that number
    costs. A batch committed before a crash is found again by its notice rows, never doubled.
    """

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.SUBSCRIBERS)

    def __init__(self, *, db: Database, kinds: Sequence[SubscriberKind], clock: Clock) -> None:
        self.db, self.subscriber_kinds, self.clock = db, tuple(kinds), clock

    async def deliver(self, delivery: Delivery) -> None:
        """Queue the update for every subscriber who has not had it."""
        match delivery.kind:
            case K.SUBSCRIBERS_FANOUT:
                if delivery.payload.entry_id is None:
                    raise DeliveryError("a fan-out without its update", permanent=True)
                await self._fan_out(delivery.payload.entry_id)
            case _:  # the relay hands each deliverer its destination's kinds only
                raise not_mine(delivery)

    async def _fan_out(self, entry_id: int) -> None:
        while True:
            async with self.db.write(background=True) as session:
                queued = await fan_out(
                    session=session,
                    entry_id=entry_id,
                    kinds=self.subscriber_kinds,
                    now=self.clock(),
                    limit=BATCH,
                )
            if queued < BATCH:
                return

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Log it: subscribers are not told that their own notifications are late."""
        log.error("subscriber fan-out %s failed (%s); dead: %s", delivery.id, error, dead)
