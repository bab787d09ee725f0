"""Slack forms: declaring an incident and publishing the public post-incident summary."""

from __future__ import annotations

from typing import Any

from bot.domain.model import Severity
from bot.domain.postmortem import PostmortemData
from bot.domain.public_summary import public_summary_draft
from bot.slack.ids import (
    DECLARE_MODAL_CALLBACK,
    DESCRIPTION_ACTION,
    DESCRIPTION_BLOCK,
    PRIVATE_ACTION,
    PRIVATE_BLOCK,
    PRIVATE_OPTION,
    PUBLISH_MODAL_CALLBACK,
    SEVERITY_ACTION,
    SEVERITY_BLOCK,
    SUMMARY_ACTION,
    SUMMARY_BLOCK,
    TITLE_ACTION,
    TITLE_BLOCK,
)


def modal(
    callback_id: str, title: str, submit: str, metadata: str, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return a form (a modal view) with a Cancel button; `metadata` comes back on submit."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


_PRIVATE = {
    "text": {"type": "plain_text", "text": "Private"},
    "description": {
        "type": "plain_text",
        "text": "Only the people you add see it; never announced nor on status pages.",
    },
    "value": PRIVATE_OPTION,
}


def declare_modal(default: Severity, channel_id: str | None) -> dict[str, Any]:
    """Return the declare form."""
    options = [
        {"text": {"type": "plain_text", "text": s.label}, "value": s.value} for s in Severity
    ]
    initial = next(o for o in options if o["value"] == default.value)
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": TITLE_BLOCK,
            "label": {"type": "plain_text", "text": "Title"},
            "element": {
                "type": "plain_text_input",
                "action_id": TITLE_ACTION,
                "max_length": 200,
                "placeholder": {"type": "plain_text", "text": "Checkout API failing"},
            },
        },
        {
            "type": "input",
            "block_id": SEVERITY_BLOCK,
            "label": {"type": "plain_text", "text": "Severity"},
            "element": {
                "type": "static_select",
                "action_id": SEVERITY_ACTION,
                "options": options,
                "initial_option": initial,
            },
        },
        {
            "type": "input",
            "block_id": DESCRIPTION_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "What do you see?"},
            "element": {
                "type": "plain_text_input",
                "action_id": DESCRIPTION_ACTION,
                "multiline": True,
            },
        },
        {
            "type": "input",
            "block_id": PRIVATE_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Visibility"},
            "element": {
                "type": "checkboxes",
                "action_id": PRIVATE_ACTION,
                "options": [_PRIVATE],
            },
        },
    ]
    return modal(DECLARE_MODAL_CALLBACK, "Declare an incident", "Declare", channel_id or "", blocks)


def publish_modal(data: PostmortemData, channel_id: str) -> dict[str, Any]:
    """Return the form that publishes the public post-incident summary."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"This text goes on the public status page for *{data.ref}*"
                " (and Atlassian Statuspage, when configured). Nothing else is published.",
            },
        },
        {
            "type": "input",
            "block_id": SUMMARY_BLOCK,
            "label": {"type": "plain_text", "text": "Public summary"},
            "element": {
                "type": "plain_text_input",
                "action_id": SUMMARY_ACTION,
                "multiline": True,
                "max_length": 3000,
                "initial_value": public_summary_draft(data),
            },
        },
    ]
    return modal(PUBLISH_MODAL_CALLBACK, "Publish summary", "Publish", channel_id, blocks)
