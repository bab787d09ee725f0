"""Forms the pinned summary's buttons open: post an update, change the status, resolve."""

from __future__ import annotations

from typing import Any

from bot.domain.model import SETTABLE_STATUSES, IncidentState
from bot.slack import ids
from bot.slack.forms import modal

View = dict[str, Any]
MESSAGE_MAX = 3000  # a plain_text_input allows up to 3000 characters


def _text_input(
    block_id: str, action_id: str, label: str, *, optional: bool = False, initial: str = ""
) -> View:
    field: View = {
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
    if initial:
        field["element"]["initial_value"] = initial[:MESSAGE_MAX]
    return field


def _where(state: IncidentState) -> str:
    """Return the form's private metadata: the incident's channel, where it was opened for."""
    return state.channel_id or ""


def update_form(state: IncidentState) -> View:
    """Return the form that records an update (the Post update button)."""
    field = _text_input(ids.UPDATE_BLOCK, ids.UPDATE_ACTION, "What changed?")
    title = f"Update {state.ref}"
    return modal(ids.UPDATE_FORM_CALLBACK, title, "Post update", _where(state), [field])


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
    blocks = [select, message]
    return modal(
        ids.STATUS_FORM_CALLBACK, f"Status of {state.ref}", "Change", _where(state), blocks
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
    blocks = [message, note]
    return modal(
        ids.RESOLVE_FORM_CALLBACK, f"Resolve {state.ref}", "Resolve", _where(state), blocks
    )


# What the public reads when a false alarm closes, unless the person writes otherwise.
CLOSING_MESSAGE = (
    "After investigating, we found no issue affecting our services: this was a false alarm. "
    "We're sorry for any concern it caused."
)


def cancel_form(state: IncidentState, reason: str) -> View:
    """Return the form that cancels a public incident: its closing message, then the reason."""
    note = {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"{state.ref} is on the status pages. Canceling it as a false alarm "
            "resolves it there with this message.",
        },
    }
    message = _text_input(
        ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION, "Public closing message", initial=CLOSING_MESSAGE
    )
    why = _text_input(
        ids.REASON_BLOCK, ids.REASON_ACTION, "Why it is a false alarm (internal)", initial=reason
    )
    title = f"Cancel {state.ref}"[:24]
    return modal(
        ids.CANCEL_FORM_CALLBACK, title, "Close as false alarm", _where(state), [note, message, why]
    )
