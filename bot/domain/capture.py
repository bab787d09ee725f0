"""A Slack message someone asked to keep: by a :pushpin: or the "Add to incident timeline"
shortcut. It is captured through the outbox: read from Slack if need be, then recorded once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class Unreadable(StrEnum):
    """Why a message someone asked to keep could not be read."""

    DELETED = "deleted"
    NO_ACCESS = "no_access"
    OTHER = "other"


# Slack errors that say the message is gone, or the bot may not read it.
DELETED_ERRORS = frozenset({"message_not_found", "thread_not_found", "no_item_specified"})
NO_ACCESS_ERRORS = frozenset({"channel_not_found", "not_in_channel", "missing_scope"})


def unreadable(error: str) -> Unreadable:
    """Return why a capture failed, from Slack's error."""
    if error in DELETED_ERRORS:
        return Unreadable.DELETED
    if error in NO_ACCESS_ERRORS:
        return Unreadable.NO_ACCESS
    return Unreadable.OTHER


@dataclass(frozen=True)
class Captured:
    """A message read from Slack: where, who wrote it, what it says, who asked to keep it."""

    channel: str
    ts: str
    author: str
    text: str
    by: str
    permalink: str | None = None

    @property
    def at(self) -> datetime:
        """Return when the message was written (its Slack ts)."""
        return datetime.fromtimestamp(float(self.ts), UTC)
