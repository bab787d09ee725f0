"""Slack payload dicts turned into typed values at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SlashCommand:
    user_id: str
    channel_id: str
    text: str
    response_url: str | None
    trigger_id: str | None

    @classmethod
    def from_payload(cls, body: dict[str, Any]) -> SlashCommand:
        """Read the fields warroom uses from a slash command body."""
        return cls(
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            text=str(body.get("text") or ""),
            response_url=body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
        )


@dataclass(frozen=True)
class Reaction:
    user_id: str
    reaction: str
    channel_id: str
    message_ts: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Reaction | None:
        """Read a reaction_added event on a message, or None for other items."""
        item = as_object(event.get("item"))
        if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
            return None
        return cls(
            user_id=str(event.get("user", "")),
            reaction=str(event.get("reaction", "")),
            channel_id=str(item["channel"]),
            message_ts=str(item["ts"]),
        )


@dataclass(frozen=True)
class DeclareForm:
    user_id: str
    title: str
    severity: str | None
    description: str | None
    origin_channel_id: str | None
    view_id: str | None = None

    @classmethod
    def from_view(cls, body: dict[str, Any], blocks: dict[str, tuple[str, str]]) -> DeclareForm:
        """Read the declare modal's values; `blocks` maps field -> (block_id, action_id)."""
        view = as_object(body.get("view"))
        values = as_object(as_object(view.get("state")).get("values"))

        def value(field: str) -> str | None:
            block, action = blocks[field]
            element = as_object(as_object(values.get(block)).get(action))
            raw = element.get("value")
            if raw is None:
                raw = as_object(element.get("selected_option")).get("value")
            return str(raw).strip() if raw else None

        metadata = view.get("private_metadata") or None
        return cls(
            user_id=str(as_object(body.get("user")).get("id", "")),
            title=value("title") or "",
            severity=value("severity"),
            description=value("description"),
            origin_channel_id=metadata,
            view_id=view.get("id") or None,
        )


def as_object(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object, else an empty one: payload shapes vary."""
    return value if isinstance(value, dict) else {}
