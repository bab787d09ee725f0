"""The small interface between the outbox relay and each destination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivery:
    """One outbox row handed to a publisher."""

    id: int
    incident_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    destination: str
    created_at: datetime
    # A retry, or a row picked up after a crash: an earlier try may have reached the peer.
    retrying: bool = False


class DeliveryError(Exception):
    """A delivery failed; `permanent` ones are not retried, `retry_after` is the peer's ask."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Publisher(Protocol):
    """Delivers rows of one destination; every delivery is safe to repeat."""

    async def deliver(self, delivery: Delivery) -> None:
        """Carry out the delivery, or raise DeliveryError."""

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell people that a delivery failed for the first time, or was given up on."""
