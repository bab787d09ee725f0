"""Time, injectable: every `now` in warroom comes from a Clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, tz-aware UTC."""
    return datetime.now(UTC)
