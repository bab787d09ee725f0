"""Slack's message events and the message shortcut, read into dataclasses at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.payloads import as_object


@dataclass(frozen=True)
class MessageEdited:
    channel_id: str
    message_ts: str
    text: str
    edited_ts: str  # the edit's own time: the newest edit wins, whatever order they arrive in

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> MessageEdited | None:
        """Read a `message_changed` event that is a person's edit (not an unfurl)."""
        message = as_object(event.get("message"))
        edited = as_object(message.get("edited"))
        if not event.get("channel") or not message.get("ts") or not edited.get("ts"):
            return None
        return cls(
            channel_id=str(event["channel"]),
            message_ts=str(message["ts"]),
            text=str(message.get("text") or ""),
            edited_ts=str(edited["ts"]),
        )


@dataclass(frozen=True)
class MessageDeleted:
    channel_id: str
    message_ts: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> MessageDeleted | None:
        """Read a `message_deleted` event."""
        ts = event.get("deleted_ts") or as_object(event.get("previous_message")).get("ts")
        if not event.get("channel") or not ts:
            return None
        return cls(channel_id=str(event["channel"]), message_ts=str(ts))


@dataclass(frozen=True)
class MessageShortcut:
    """The "Add to incident timeline" message shortcut, used on one message."""

    user_id: str
    channel_id: str
    message_ts: str
    author: str
    text: str
    trigger_id: str
    response_url: str | None

    @classmethod
    def from_payload(cls, body: dict[str, Any]) -> MessageShortcut:
        """Read the fields warroom uses from a `message_action` payload."""
        message = as_object(body.get("message"))
        return cls(
            user_id=str(as_object(body.get("user")).get("id") or ""),
            channel_id=str(as_object(body.get("channel")).get("id") or ""),
            message_ts=str(message.get("ts") or body.get("message_ts") or ""),
            author=str(message.get("user") or message.get("bot_id") or "unknown"),
            text=str(message.get("text") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
            response_url=body.get("response_url") or None,
        )
