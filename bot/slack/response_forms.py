"""Forms the pinned summary's buttons open: post an update, change the status, resolve."""

from __future__ import annotations

from typing import Any

from bot.domain.model import SETTABLE_STATUSES, IncidentState
from bot.slack import ids

View = dict[str, Any]
MESSAGE_MAX = 3000  # a plain_text_input allows up to 3000 characters


def _text_input(block_id: str, action_id: str, label: str, *, optional: bool = False) -> View:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": action_id,
            "multiline": True,
            "max_length": MESSAGE_MAX,
        },
    }


def _modal(
    callback_id: str, title: str, submit: str, state: IncidentState, blocks: list[View]
) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": state.channel_id or "",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def update_form(state: IncidentState) -> View:
    """Return the form that records an update (the Post update button)."""
    field = _text_input(ids.UPDATE_BLOCK, ids.UPDATE_ACTION, "What changed?")
    return _modal(ids.UPDATE_FORM_CALLBACK, f"Update {state.ref}", "Post update", state, [field])


def status_form(state: IncidentState) -> View:
    """Return the form that changes the status, with a message for stakeholders."""
    options = [
        {"text": {"type": "plain_text", "text": s.value.capitalize()}, "value": s.value}
        for s in SETTABLE_STATUSES
    ]
    select: View = {
        "type": "input",
        "block_id": ids.STATUS_BLOCK,
        "label": {"type": "plain_text", "text": "Status"},
        "element": {"type": "static_select", "action_id": ids.STATUS_ACTION, "options": options},
    }
    current = next((o for o in options if o["value"] == state.status.value), None)
    if current is not None:
        select["element"]["initial_option"] = current
    message = _text_input(ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION, "Message for stakeholders")
    return _modal(
        ids.STATUS_FORM_CALLBACK, f"Status of {state.ref}", "Change", state, [select, message]
    )


def resolve_form(state: IncidentState) -> View:
    """Return the form that resolves the incident, with an optional public message."""
    message = _text_input(
        ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION, "Resolution message (optional)", optional=True
    )
    note = {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "A message is published on the status pages when the incident is public.",
            }
        ],
    }
    return _modal(
        ids.RESOLVE_FORM_CALLBACK, f"Resolve {state.ref}", "Resolve", state, [message, note]
    )
