"""The update clock: when an incident's update falls due, owe its channel a reminder."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.domain.clock import Clock
from bot.domain.deliveries import DeliveryKind, Owed, Payload
from bot.domain.errors import TryAgain
from storage.actions import take_overdue
from storage.db import Database
from storage.incidents import take_due_reminders
from storage.outbox import enqueue

log = logging.getLogger(__name__)


class Reminders:
    """Looks for overdue incidents every `poll` seconds; each due time owes one reminder."""

    def __init__(
        self, *, db: Database, clock: Clock, wake: Callable[[], None], poll: float = 1.0
    ) -> None:
        self.db, self.clock, self.wake, self.poll = db, clock, wake, poll
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Check until stop()."""
        while not self._stopping.is_set():
            try:
                if await self.run_once():
                    self.wake()
            except TryAgain:
                log.warning("reminders: database unavailable, retrying")
            except Exception:  # never let the clock stop: reminders would silently end
                log.exception("reminder check failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._stopping.wait()

    async def run_once(self) -> int:
        """Owe a reminder for every due update and every open action past its due date."""
        now = self.clock()
        async with self.db.write(background=True) as session:
            due = await take_due_reminders(
                session=session, now=now, limit=100, skip_locked=not self.db.is_sqlite
            )
            for incident_id in due:
                owed = Owed(DeliveryKind.UPDATE_REMINDER)
                enqueue(session=session, incident_id=incident_id, owed=owed, now=now)
            # Follow-up actions past their due date (a day in UTC): one reminder each.
            late = await take_overdue(
                session=session, today=now.date(), limit=100, skip_locked=not self.db.is_sqlite
            )
            for incident_id, number in late:
                owed = Owed(DeliveryKind.ACTION_OVERDUE, Payload(number=number))
                enqueue(session=session, incident_id=incident_id, owed=owed, now=now)
        return len(due) + len(late)

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop checking and wait for the loop to end."""
        self._stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
