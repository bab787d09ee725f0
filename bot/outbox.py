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
from storage import claims
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
        run: int = 32,
        poll: float = 1.0,
        lease: float = 60.0,
    ) -> None:
        self.db = db
        self.publishers = publishers
        self.clock = clock
        self.dead_after = timedelta(seconds=dead_after)
        self.retry_base = retry_base
        self.batch = batch  # groups delivered at once
        self.run_length = run  # rows of one group claimed together
        self.poll = poll
        self.lease = timedelta(seconds=lease)
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self._runs: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._tidied_at: datetime | None = None
        self._idle = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stop() (or cancellation): each group's run on its own, so one
        incident's backlog never holds up another incident's deliveries."""
        async with asyncio.TaskGroup() as runs:
            while not self._stopping:
                await self._housekeeping()
                # Acks first: while people's commands wait for the database, deliveries hold
                # back a little, so the relay's CPU and writes do not sit in front of them.
                await self.db.quiet(0.05)
                room = self.batch - len(self._runs)
                claimed = await self._claim_safely(room) if room > 0 else []
                for group in claimed:
                    self._runs.add(runs.create_task(self._deliver_run(group)))
                if claimed:
                    continue
                if not self._runs:
                    self._idle.set()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll):
                        await self._wake.wait()
                self._wake.clear()
                self._idle.clear()

    async def _claim_safely(self, room: int) -> list[list[Delivery]]:
        try:
            return await self._claim(room)
        except TryAgain:
            log.warning("outbox: database unavailable, retrying")
        except Exception:  # never let the relay die: deliveries would silently stop
            log.exception("outbox relay error; retrying")
            await asyncio.sleep(self.poll)
        return []

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
        """Claim one batch of due runs and deliver them; return how many rows were claimed."""
        claimed = await self._claim(self.batch)
        await asyncio.gather(*(self._deliver_run(group) for group in claimed))
        return sum(len(group) for group in claimed)

    async def _claim(self, limit: int) -> list[list[Delivery]]:
        """Lease up to `limit` groups' runs; return each run in order."""
        async with self.db.write(background=True) as session:
            rows = await claims.claim_due(
                session=session,
                now=self.clock(),
                lease=self.lease,
                limit=limit,
                skip_locked=not self.db.is_sqlite,
                run=self.run_length,
            )
            claimed = [(row.queue, row.delivery) for row in rows]
        # Grouped as claimed: by the row's queue (a destination, or one subscriber's queue
        # such as `mail.17`) and incident, so each queue's run goes on its own.
        groups: dict[tuple[str, int | None], list[Delivery]] = {}
        for queue, delivery in claimed:
            groups.setdefault((queue, delivery.incident_id), []).append(delivery)
            self._in_flight.add(delivery.id)
        return list(groups.values())

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
                await claims.release(session=session, row_ids=rows)

    async def _deliver_run(self, run: list[Delivery]) -> None:
        """Deliver a group's run in order; the first row that is not delivered stops it, and the
        rest go back untried. Outcomes are recorded together at the end (a cancellation leaves
        the unrecorded rows in _in_flight, handed back by release_in_flight)."""
        deadline = asyncio.get_running_loop().time() + self.lease.total_seconds() / 2
        outcomes: list[claims.Outcome] = []
        for index, delivery in enumerate(run):
            late = asyncio.get_running_loop().time() > deadline
            if self._stopping or late:
                outcomes += [claims.Outcome(d.id, q.PENDING, d.attempts) for d in run[index:]]
                break
            # Acks first: between deliveries, wait (a little) for people's changes in progress.
            await self.db.quiet(0.05)
            outcome = await self._attempt(delivery, later=run[index + 1 :])
            outcomes.append(outcome)
            if outcome.status == q.PENDING:
                outcomes += [claims.Outcome(d.id, q.PENDING, d.attempts) for d in run[index + 1 :]]
                break
            if outcome.status == q.DEAD:  # recorded at once: a later row may read it (a notice
                outcomes = await self._record(outcomes)  # quoting what could not be posted)
        await self._record(outcomes)
        self._in_flight.difference_update(d.id for d in run)
        task = asyncio.current_task()
        if task is not None:
            self._runs.discard(task)
        self.wake()  # the group may have more rows now

    async def _record(self, outcomes: list[claims.Outcome]) -> list[claims.Outcome]:
        """Record outcomes in one transaction; return what is left to record (nothing)."""
        if not outcomes:
            return []
        try:
            async with self.db.write(background=True) as session:
                await claims.settle_all(session=session, outcomes=outcomes, now=self.clock())
        except TryAgain:  # the leases run out and the rows are tried again, checked first
            log.warning("outbox: could not record %d outcomes; they will be retried", len(outcomes))
        except Exception:
            log.exception("outbox: could not record %d outcomes", len(outcomes))
        return []

    async def _attempt(self, delivery: Delivery, *, later: list[Delivery]) -> claims.Outcome:
        """Deliver one row; return its outcome (not yet recorded)."""
        publisher = self.publishers.get(delivery.destination)
        attempts = delivery.attempts + 1
        try:
            if publisher is None:
                raise DeliveryError("no publisher configured", permanent=True)
            # A retried row may have reached Slack before a crash (a first summary posted, its
            # ts not stored): it finishes and finds its own post, never skipped for a later one.
            if not delivery.retrying and delivery.kind.spec.supersedable:
                if any(d.kind is delivery.kind and d.payload == delivery.payload for d in later):
                    return claims.Outcome(delivery.id, q.DONE, delivery.attempts, "superseded")
                if await self._superseded(delivery):
                    return claims.Outcome(delivery.id, q.DONE, delivery.attempts, "superseded")
            # A delivery never outlives its lease, so no other relay can take the row meanwhile.
            async with asyncio.timeout(self.lease.total_seconds() / 2):
                await publisher.deliver(delivery)
        except TimeoutError:
            return await self._failed(delivery, publisher, attempts, DeliveryError("timed out"))
        except DeliveryError as error:
            return await self._failed(delivery, publisher, attempts, error)
        except Exception as error:  # a bug in a publisher must not stop the relay
            log.exception("outbox row %s (%s) failed unexpectedly", delivery.id, delivery.kind)
            failure = DeliveryError(type(error).__name__)
            return await self._failed(delivery, publisher, attempts, failure)
        return claims.Outcome(delivery.id, q.DONE, attempts)

    async def _failed(
        self, delivery: Delivery, publisher: Publisher | None, attempts: int, error: DeliveryError
    ) -> claims.Outcome:
        now = self.clock()
        if error.deferred:  # it waited for its turn and never reached the peer: not a try
            log.debug("outbox row %s (%s) deferred: %s", delivery.id, delivery.kind, error)
            wait = error.retry_after or self.retry_base
            later = now + timedelta(seconds=wait)
            if wait < self.poll:  # its turn comes before the next poll: be there for it
                asyncio.get_running_loop().call_later(wait, self.wake)
            return claims.Outcome(delivery.id, q.PENDING, delivery.attempts, None, later)
        if error.permanent or now - delivery.created_at >= self.dead_after:
            log.error("outbox row %s (%s) is dead: %s", delivery.id, delivery.kind, error)
            # Report first: a report that owes a notice queues it while this row still counts
            # as pending, so nobody sees an empty queue before the notice is in it.
            await self._report(publisher, delivery, str(error), dead=True)
            return claims.Outcome(delivery.id, q.DEAD, attempts, str(error))
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
        later = now + timedelta(seconds=delay)
        return claims.Outcome(delivery.id, q.PENDING, attempts, str(error), later)

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

    async def _superseded(self, delivery: Delivery) -> bool:
        async with self.db.read() as session:
            return await claims.is_superseded(session=session, row_id=delivery.id)
