"""The Events API events that follow what people do, built from the emulator's messages.

The shapes follow Slack's event reference pages (api.slack.com/events/message/message_changed,
.../message_deleted, .../reaction_added, .../channel_archive, .../group_archive); API-RULES
1.6 marks them not verified, so the handlers should read them defensively.
"""

from __future__ import annotations

from sandbox.slack.args import Json
from sandbox.slack.chat import message_obj
from sandbox.slack.workspace import EmMessage, Workspace

Snapshot = EmMessage | Json  # a message, or message_obj's view of it taken earlier

_API_ONLY = ("reply_count", "latest_reply", "reactions", "pinned_to", "metadata")


def shown(ws: Workspace, message: Snapshot) -> Json:
    """Return a message as events carry it: message_obj's view without the API-only fields."""
    raw = message_obj(ws, message, False) if isinstance(message, EmMessage) else message
    out = {k: v for k, v in raw.items() if k not in _API_ONLY}
    if out.get("thread_ts") == out.get("ts"):  # a parent: its event carries no thread_ts
        out.pop("thread_ts")
    return out


def channel_type(ws: Workspace, channel_id: str) -> str:
    """Return an event's channel_type: channel (public), group (private) or im."""
    ch = ws.channels.get(channel_id)
    if ch is None:
        return "group" if channel_id.startswith("G") else "channel"
    return "im" if ch.is_im else "group" if ch.is_private else "channel"


def message_posted(ws: Workspace, channel_id: str, message: Snapshot) -> Json:
    """Return the `message` event for a post (a thread reply carries thread_ts)."""
    m = shown(ws, message)
    event: Json = {"type": "message", **m, "channel": channel_id, "event_ts": m["ts"]}
    parent = next(
        (p for p in ws.messages if p.channel == channel_id and p.ts == m.get("thread_ts")), None
    )
    if parent is not None:
        event["parent_user_id"] = parent.user
    return event | {"channel_type": channel_type(ws, channel_id)}


def message_changed(ws: Workspace, channel_id: str, before: Snapshot, after: Snapshot) -> Json:
    """Return the hidden `message_changed` event for a person's edit of `before` to `after`."""
    ts = ws.next_ts()
    message = shown(ws, after)
    message.setdefault("edited", {"user": message.get("user"), "ts": ts})
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel_id,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type(ws, channel_id),
        "message": message,
        "previous_message": shown(ws, before),
    }


def message_deleted(ws: Workspace, channel_id: str, message: Snapshot) -> Json:
    """Return the hidden `message_deleted` event for a message a person deleted."""
    ts, previous = ws.next_ts(), shown(ws, message)
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel_id,
        "ts": ts,
        "deleted_ts": previous["ts"],
        "event_ts": ts,
        "channel_type": channel_type(ws, channel_id),
        "previous_message": previous,
    }


def channel_archive(ws: Workspace, channel_id: str, user_id: str, archived: bool) -> Json:
    """Return channel_archive / channel_unarchive (group_* for a private channel, as Slack)."""
    ch = ws.channels.get(channel_id)
    prefix = "group" if ch is not None and ch.is_private else "channel"
    kind = f"{prefix}_{'archive' if archived else 'unarchive'}"
    return {"type": kind, "channel": channel_id, "user": user_id, "event_ts": ws.next_ts()}


def member_channel(ws: Workspace, channel_id: str, user_id: str, *, joined: bool) -> Json:
    """Return member_joined_channel / member_left_channel (channel_type C public, G private)."""
    ch = ws.channels.get(channel_id)
    return {
        "type": "member_joined_channel" if joined else "member_left_channel",
        "user": user_id,
        "channel": channel_id,
        "channel_type": "G" if ch is not None and ch.is_private else "C",
        "team": ws.team_id,
        "event_ts": ws.next_ts(),
    }


def reaction_added(ws: Workspace, user_id: str, channel_id: str, ts: str, reaction: str) -> Json:
    """Return the `reaction_added` event for a person's reaction to the message at ts."""
    event: Json = {
        "type": "reaction_added",
        "user": user_id,
        "reaction": reaction.strip(":"),
        "item": {"type": "message", "channel": channel_id, "ts": ts},
        "event_ts": ws.next_ts(),
    }
    author = next((m.user for m in ws.messages if m.channel == channel_id and m.ts == ts), None)
    return event | ({"item_user": author} if author else {})
