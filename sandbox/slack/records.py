"""What the emulated workspace is made of: people, channels, messages, rate-limit buckets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOT_ID = "B0WARROOM"
APP_ID = "A0WARROOM"


@dataclass
class EmUser:
    id: str
    name: str
    real_name: str
    tz: str = "UTC"
    tz_offset: int = 0
    is_bot: bool = False
    deleted: bool = False  # deactivated


@dataclass
class EmChannel:
    id: str
    name: str
    creator: str
    created: int
    topic: str = ""
    purpose: str = ""
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_private: bool = False
    is_im: bool = False


@dataclass
class EmMessage:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    metadata: dict[str, Any] | None
    edited: bool = False
    edited_ts: str = ""  # when it was last edited (edited.ts), if it was
    broadcast: bool = False  # a thread reply also sent to the channel (reply_broadcast)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Bucket:
    """A rate-limit token bucket: tokens left when last counted, and when that was."""

    tokens: float
    at: float
