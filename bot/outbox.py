"""The relay: delivers outbox rows in order per incident, retrying until delivered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.domain.deliveries import Delivery, Destination
from bot.domain.errors import TryAgain
from bot.publishers.base import DeliveryError, Publisher
from storage import outbox as q
from storage.db import Database
from storage.once import forget_processed

log = logging.getLogger(__name__)


def backoff(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Return the delay before the next try: exponential, capped, with full jitter."""
    ceiling: float = min(cap, base * 2.0 ** max(0, attempts - 1))
    return random.uniform(0.5, 1.0) * ceiling


class Relay:
    """Claims due rows, hands them to their publisher and records the outcome."""

    def __init__(
        self,
        *,
        db: Database,
        publishers: Mapping[Destination, Publisher],
        clock: Callable[[], datetime],
        dead_after: float,
        retry_base: float = 1.0,
        batch: int = 16,
        poll: float = 1.0,
        lease: float = 60.0,
    ) -> None:
        self.db = db
        self.publishers = publishers
        self.clock = clock
        self.dead_after = timedelta(seconds=dead_after)
        self.retry_base = retry_base
        self.batch = batch
        self.poll = poll
        self.lease = timedelta(seconds=lease)
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self._stopping = False
        self._tidied_at: datetime | None = None
        self._idle = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stop() (or cancellation)."""
        while not self._stopping:
            await self._housekeeping()
            # Acks first: while people's commands wait for the database, deliveries hold back
            # a little, so the relay's CPU and writes do not sit in front of them.
            await self.db.quiet(0.05)
            try:
                delivered = await self.run_once()
            except TryAgain:
                log.warning("outbox: database unavailable, retrying")
                delivered = 0
            except Exception:  # never let the relay die: deliveries would silently stop
                log.exception("outbox relay error; retrying")
                delivered = 0
                await asyncio.sleep(self.poll)
            if delivered:
                continue
            self._idle.set()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()
            self._wake.clear()
            self._idle.clear()

    async def _housekeeping(self) -> None:
        """Once an hour, forget event IDs older than a day (they only guard redeliveries)."""
        now = self.clock()
        if self._tidied_at is not None and now - self._tidied_at < timedelta(hours=1):
            return
        self._tidied_at = now
        try:
            async with self.db.write(background=True) as session:
                await forget_processed(session=session, before=now - timedelta(days=1))
        except TryAgain:
            log.warning("outbox: could not tidy processed events; will try again")

    async def stop(self, task: asyncio.Task[None], grace: float) -> None:
        """Stop claiming, let deliveries under way finish for `grace` s, then hand back the rest."""
        self._stopping = True
        self.wake()
        try:
            async with asyncio.timeout(grace):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception:
            log.exception("the outbox relay had stopped with an error")
        with contextlib.suppress(TryAgain):
            await self.release_in_flight()

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver them; return how many were claimed."""
        async with self.db.write(background=True) as session:
            rows = await q.claim_due(
                session=session,
                now=self.clock(),
                lease=self.lease,
                limit=self.batch,
                skip_locked=not self.db.is_sqlite,
            )
            claimed = [q.to_delivery(row) for row in rows]
        await asyncio.gather(*(self._deliver(delivery) for delivery in claimed))
        return len(claimed)

    async def drain(self, limit: float = 30.0) -> None:
        """Wait until nothing is due; for the demo and tests, never for request handling."""
        async with asyncio.timeout(limit):
            while True:
                async with self.db.read() as session:
                    if await q.count_pending(session=session) == 0:
                        return
                self.wake()
                await asyncio.sleep(0.02)

    async def release_in_flight(self) -> None:
        """After the relay was cancelled: hand back the rows it was delivering."""
        rows, self._in_flight = sorted(self._in_flight), set()
        if rows:
            async with self.db.write(background=True) as session:
                await q.release(session=session, row_ids=rows)

    async def _deliver(self, delivery: Delivery) -> None:
        self._in_flight.add(delivery.id)
        await self._deliver_tracked(delivery)  # a cancellation leaves the row in _in_flight
        self._in_flight.discard(delivery.id)

    async def _deliver_tracked(self, delivery: Delivery) -> None:
        publisher = self.publishers.get(delivery.destination)
        attempts = delivery.attempts + 1
        try:
            if publisher is None:
                raise DeliveryError("no publisher configured", permanent=True)
            # A retried row may have reached Slack before a crash (a first summary posted, its
            # ts not stored): it finishes and finds its own post, never skipped for a later one.
            supersedable = delivery.kind.spec.supersedable and not delivery.retrying
            if supersedable and await self._superseded(delivery):
                await self._settle(delivery, q.DONE, delivery.attempts, "superseded")
                return
            # A delivery never outlives its lease, so no other relay can take the row meanwhile.
            async with asyncio.timeout(self.lease.total_seconds() / 2):
                await publisher.deliver(delivery)
        except TimeoutError:
            await self._failed(delivery, publisher, attempts, DeliveryError("timed out"))
        except DeliveryError as error:
            await self._failed(delivery, publisher, attempts, error)
        except Exception as error:  # a bug in a publisher must not stop the relay
            log.exception("outbox row %s (%s) failed unexpectedly", delivery.id, delivery.kind)
            await self._failed(delivery, publisher, attempts, DeliveryError(type(error).__name__))
        else:
            await self._settle(delivery, q.DONE, attempts, None)

    async def _failed(
        self, delivery: Delivery, publisher: Publisher | None, attempts: int, error: DeliveryError
    ) -> None:
        now = self.clock()
        if error.deferred:  # it waited for its turn and never reached the peer: not a try
            log.debug("outbox row %s (%s) deferred: %s", delivery.id, delivery.kind, error)
            wait = error.retry_after or self.retry_base
            later = now + timedelta(seconds=wait)
            await self._settle(delivery, q.PENDING, delivery.attempts, None, next_attempt_at=later)
            if wait < self.poll:  # its turn comes before the next poll: be there for it
                asyncio.get_running_loop().call_later(wait, self.wake)
            return
        if error.permanent or now - delivery.created_at >= self.dead_after:
            log.error("outbox row %s (%s) is dead: %s", delivery.id, delivery.kind, error)
            # Report first: a report that owes a notice queues it while this row still counts
            # as pending, so nobody sees an empty queue before the notice is in it.
            await self._report(publisher, delivery, str(error), dead=True)
            await self._settle(delivery, q.DEAD, attempts, str(error))
            return
        delay = max(backoff(attempts, base=self.retry_base), error.retry_after or 0.0)
        log.warning(
            "outbox row %s (%s) failed (%s); retry %d in %.1fs",
            delivery.id,
            delivery.kind,
            error,
            attempts,
            delay,
        )
        if attempts == 1:
            await self._report(publisher, delivery, str(error), dead=False)
        await self._settle(
            delivery,
            q.PENDING,
            attempts,
            str(error),
            next_attempt_at=now + timedelta(seconds=delay),
        )

    async def _report(
        self, publisher: Publisher | None, delivery: Delivery, error: str, *, dead: bool
    ) -> None:
        """Tell people about a failure; a failing report is logged, never fatal to the relay."""
        if publisher is None:
            return
        try:
            await publisher.report_failure(delivery, error, dead=dead)
        except Exception:
            log.exception("could not report the failure of outbox row %s", delivery.id)

    async def _settle(
        self,
        delivery: Delivery,
        status: str,
        attempts: int,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        async with self.db.write(background=True) as session:
            await q.settle(
                session=session,
                row_id=delivery.id,
                status=status,
                attempts=attempts,
                now=self.clock(),
                error=error,
                next_attempt_at=next_attempt_at,
            )

    async def _superseded(self, delivery: Delivery) -> bool:
        async with self.db.read() as session:
            return await q.is_superseded(session=session, row_id=delivery.id)
