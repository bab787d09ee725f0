"""Slack's rate limits (API-RULES 1.1): a token bucket per method, and per channel for posts.

Each method has a tier whose documented floor (per minute) is both the bucket's capacity and
its refill over a minute. chat.postMessage ("Special") is limited per channel instead: one
message per second with a short burst. The workspace-wide posting limit is not emulated: Slack
publishes no number for it.

`Workspace.rate_scale` multiplies every window (0.01: a minute lasts 0.6 s); 0 turns limits
off. Retry-After is the whole seconds until a token is back, rounded up (at least 1); with a
scale below 1 a window can be shorter than a second, so it is sent as a decimal ("0.013").
"""

from __future__ import annotations

import math
import time
from enum import Enum

from aiohttp import web

from sandbox.slack.args import Json
from sandbox.slack.workspace import Bucket, Workspace


class Tier(Enum):
    """A rate-limit tier and its documented floor, in calls per minute."""

    TIER_1 = 1
    TIER_2 = 20
    TIER_3 = 50
    TIER_4 = 100


POSTING = "chat.postMessage"  # "Special": per channel, and in no tier
POST_BURST = 3  # posts a channel takes at once, before one per second
POST_PER_SECOND = 1.0

# Source: API-RULES 1.1 (Slack's Java SDK table); methods not named there are Tier 3.
TIERS: dict[str, Tier] = {
    "apps.connections.open": Tier.TIER_1,
    "auth.test": Tier.TIER_3,
    "bookmarks.add": Tier.TIER_2,
    "bookmarks.list": Tier.TIER_3,
    "chat.getPermalink": Tier.TIER_4,
    "chat.postEphemeral": Tier.TIER_4,
    "chat.update": Tier.TIER_3,
    "conversations.archive": Tier.TIER_2,
    "conversations.canvases.create": Tier.TIER_2,
    "conversations.create": Tier.TIER_2,
    "conversations.history": Tier.TIER_3,
    "conversations.info": Tier.TIER_3,
    "conversations.invite": Tier.TIER_3,
    "conversations.join": Tier.TIER_3,
    "conversations.list": Tier.TIER_2,
    "conversations.members": Tier.TIER_4,
    "conversations.open": Tier.TIER_3,
    "conversations.replies": Tier.TIER_3,
    "conversations.setPurpose": Tier.TIER_2,
    "conversations.setTopic": Tier.TIER_2,
    "conversations.unarchive": Tier.TIER_2,
    "files.completeUploadExternal": Tier.TIER_4,
    "files.getUploadURLExternal": Tier.TIER_4,
    "pins.add": Tier.TIER_2,
    "pins.list": Tier.TIER_2,
    "reactions.add": Tier.TIER_3,
    "reactions.get": Tier.TIER_3,
    "usergroups.list": Tier.TIER_2,
    "usergroups.users.list": Tier.TIER_2,
    "users.info": Tier.TIER_4,
    "users.list": Tier.TIER_2,
    "views.open": Tier.TIER_4,
    "views.publish": Tier.TIER_4,
    "views.push": Tier.TIER_4,
    "views.update": Tier.TIER_4,
}


def limited(ws: Workspace, method: str, params: Json) -> web.StreamResponse | None:
    """Spend a token for this call; return the 429 Slack answers when none is left."""
    scale = ws.rate_scale
    if scale <= 0:
        return None
    ref = str(params.get("channel") or "") if method == POSTING else ""
    channel = ws.resolve(ref) if ref else None  # a post to a user id counts in their DM
    capacity, per_second = _rule(method)
    now = time.monotonic()
    wait = _spend(ws.buckets, (method, channel), capacity, per_second / scale, now)
    if wait is None:
        return None
    ws.rate_limited.append((method, channel, now))
    return web.json_response(
        {"ok": False, "error": "ratelimited"},
        status=429,
        headers={"Retry-After": retry_after(wait, scale)},
    )


def _rule(method: str) -> tuple[float, float]:
    """Return a method's bucket capacity and refill per second, at scale 1."""
    if method == POSTING:
        return POST_BURST, POST_PER_SECOND
    floor = TIERS.get(method, Tier.TIER_3).value
    return floor, floor / 60


def _spend(
    buckets: dict[tuple[str, str | None], Bucket],
    key: tuple[str, str | None],
    capacity: float,
    per_second: float,
    now: float,
) -> float | None:
    """Take a token from the bucket at key; return the seconds until one is back if none is."""
    bucket = buckets.setdefault(key, Bucket(capacity, now))
    bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * per_second)
    bucket.at = now
    if bucket.tokens >= 1 - 1e-9:  # float dust: a token is back exactly at Retry-After
        bucket.tokens = max(bucket.tokens - 1, 0.0)
        return None
    return (1 - bucket.tokens) / per_second


def retry_after(seconds: float, scale: float) -> str:
    """Return the Retry-After header: whole seconds, or milliseconds when windows are scaled."""
    if scale < 1:
        return f"{max(math.ceil(seconds * 1000), 1) / 1000:.3f}"
    return str(max(math.ceil(seconds), 1))
