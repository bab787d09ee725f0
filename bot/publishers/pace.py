"""One pace per peer: a rate limit answered to one delivery slows every delivery down.

A key names what a limit applies to (a Slack method, a channel's posts, a Statuspage key).
A 429 pauses its key for the time the peer asked; paced keys also keep a steady rate with a
short burst, so a burst of work produces few 429s at all. Waits are reserved in call order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass


class Busy(Exception):
    """The key is paused or paced for longer than a delivery should wait: come back later."""

    def __init__(self, key: str, retry_after: float) -> None:
        super().__init__(f"waiting out the rate limit on {key} ({retry_after:.1f}s)")
        self.key, self.retry_after = key, retry_after


@dataclass(frozen=True)
class Rate:
    """A steady rate: one call per `interval` seconds, with up to `burst` at once."""

    interval: float
    burst: int = 1


# How many calls the current delivery has made to its peer: one that made none (or whose
# only call was refused with a 429) can be put off without counting as a try.
called: ContextVar[list[int]] = ContextVar("called")


def fresh_attempt() -> list[int]:
    """Start counting the current delivery's calls to its peer; return the counter."""
    tracker = [0]
    called.set(tracker)
    return tracker


class Pace:
    """Pauses and steady rates per key, shared by every delivery of one process."""

    def __init__(
        self,
        *,
        max_wait: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        in_flight: int = 4,
    ) -> None:
        self.max_wait, self.clock = max_wait, clock
        self._paused: dict[str, float] = {}  # key -> monotonic time the pause ends
        self._next: dict[str, float] = {}  # paced key -> theoretical time of the next call
        self._in_flight = in_flight
        self._slots: dict[str, asyncio.Semaphore] = {}

    def slot(self, key: str) -> asyncio.Semaphore:
        """Return the key's calls in flight, `in_flight` at most: when a 429 comes back, only
        those already sent meet it too, not every delivery under way in the process."""
        if key not in self._slots:
            self._slots[key] = asyncio.Semaphore(self._in_flight)
        return self._slots[key]

    def pause(self, key: str, seconds: float) -> None:
        """Stop calls on `key` for `seconds`: the peer said so."""
        until = self.clock() + max(0.0, seconds)
        self._paused[key] = max(self._paused.get(key, 0.0), until)

    async def take(self, keys: Sequence[str], rates: dict[str, Rate]) -> None:
        """Wait for a turn on every key (a paused key, a paced key), or raise Busy."""
        now = self.clock()
        wait, worst = 0.0, ""
        for key in keys:
            ahead = max(self._paused.get(key, 0.0) - now, self._turn(key, rates.get(key), now))
            if ahead > wait:
                wait, worst = ahead, key
        if wait > self.max_wait:
            raise Busy(worst, wait)
        for key in keys:  # the turn is ours: reserve it before sleeping
            rate = rates.get(key)
            if rate is not None:
                self._next[key] = max(self._next.get(key, now), now) + rate.interval
        if wait > 0:
            await asyncio.sleep(wait)
            await self._paused_meanwhile(keys)
        tracker = called.get(None)
        if tracker is not None:
            tracker[0] += 1

    async def _paused_meanwhile(self, keys: Sequence[str]) -> None:
        """Wait out a pause that a 429 set while this call was waiting for its turn."""
        ahead = max((self._paused.get(key, 0.0) - self.clock() for key in keys), default=0.0)
        if ahead > self.max_wait:
            raise Busy(max(keys, key=lambda k: self._paused.get(k, 0.0)), ahead)
        if ahead > 0:
            await asyncio.sleep(ahead)

    def _turn(self, key: str, rate: Rate | None, now: float) -> float:
        if rate is None:
            return 0.0
        tolerance = (rate.burst - 1) * rate.interval
        return max(0.0, self._next.get(key, now) - tolerance - now)
