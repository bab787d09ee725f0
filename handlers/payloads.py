"""Slack payload dicts turned into typed values at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.slack.ids import PRIVATE_OPTION


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
    private: bool = False

    @classmethod
    def from_view(cls, body: dict[str, Any], blocks: dict[str, tuple[str, str]]) -> DeclareForm:
        """Read the declare modal's values; `blocks` maps field -> (block_id, action_id)."""
        form = Submission.from_body(body)
        return cls(
            user_id=form.user_id,
            title=form.value(*blocks["title"]),
            severity=form.value(*blocks["severity"]) or None,
            description=form.value(*blocks["description"]) or None,
            origin_channel_id=form.channel_id or None,
            view_id=form.view_id,
            private=PRIVATE_OPTION in form.checked(*blocks["private"]),
        )


def as_object(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object, else an empty one: payload shapes vary."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class ButtonClick:
    user_id: str
    channel_id: str
    value: str
    trigger_id: str
    response_url: str | None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ButtonClick:
        """Read a block_actions payload's first button."""
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        action = as_object(actions[0]) if actions else {}
        container = as_object(body.get("container"))
        channel = as_object(body.get("channel")).get("id") or container.get("channel_id")
        return cls(
            user_id=str(as_object(body.get("user")).get("id", "")),
            channel_id=str(channel or ""),
            value=str(action.get("value") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
            response_url=body.get("response_url") or None,
        )


@dataclass(frozen=True)
class Submission:
    """A form's submission: who sent it, which form, for which channel, with what values."""

    user_id: str
    view_id: str | None
    channel_id: str
    values: dict[str, Any]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Submission:
        """Read a view_submission payload."""
        view = as_object(body.get("view"))
        return cls(
            user_id=str(as_object(body.get("user")).get("id", "")),
            view_id=view.get("id") or None,
            channel_id=str(view.get("private_metadata") or ""),
            values=as_object(as_object(view.get("state")).get("values")),
        )

    def value(self, block: str, action: str) -> str:
        """Return a field's text, or the value of its selected option, stripped."""
        element = as_object(as_object(self.values.get(block)).get(action))
        raw = element.get("value")
        if raw is None:
            raw = as_object(element.get("selected_option")).get("value")
        return str(raw).strip() if raw else ""

    def checked(self, block: str, action: str) -> frozenset[str]:
        """Return the values of a checkboxes field's ticked options."""
        element = as_object(as_object(self.values.get(block)).get(action))
        chosen = element.get("selected_options")
        options = chosen if isinstance(chosen, list) else []
        return frozenset(str(as_object(o).get("value") or "") for o in options) - {""}

    @property
    def once_key(self) -> str | None:
        """Return the key that makes this submission take effect once."""
        return f"view:{self.view_id}" if self.view_id else None
