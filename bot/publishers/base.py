"""The small interface between the outbox relay and each destination's deliverer."""

from __future__ import annotations

from typing import Protocol

from bot.domain.deliveries import Delivery, DeliveryKind


class DeliveryError(Exception):
    """A delivery failed; `permanent` ones are not retried, `retry_after` is the peer's ask.

    `deferred`: it never reached the peer (it waited its turn under a rate limit), so it is
    put off without counting as a try.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        deferred: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.deferred = deferred


class Publisher(Protocol):
    """Delivers the kinds of one destination; every delivery is safe to repeat."""

    kinds: frozenset[DeliveryKind]

    async def deliver(self, delivery: Delivery) -> None:
        """Carry out the delivery, or raise DeliveryError."""

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell people that a delivery failed for the first time, or was given up on."""


def not_mine(delivery: Delivery) -> DeliveryError:
    """Return the error for a kind handed to the wrong deliverer (a wiring bug)."""
    return DeliveryError(f"{delivery.kind} is not delivered here", permanent=True)
