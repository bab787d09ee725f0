"""The message shortcut's form: pick the open incident a message belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.model import IncidentState
from bot.domain.text import one_line
from bot.slack.forms import modal
from bot.slack.ids import PICK_INCIDENT_ACTION, PICK_INCIDENT_BLOCK, PICK_INCIDENT_CALLBACK

MAX_OPTIONS = 100  # a static select holds at most 100 options


def pick_incident_modal(incidents: Sequence[IncidentState], metadata: str) -> dict[str, Any]:
    """Return the form asking which open incident a message belongs to (newest first)."""
    options = [
        {
            "text": {"type": "plain_text", "text": one_line(f"{i.ref} {i.title}", 75)},
            "value": str(i.number),
        }
        for i in incidents[:MAX_OPTIONS]
    ]
    select = {
        "type": "input",
        "block_id": PICK_INCIDENT_BLOCK,
        "label": {"type": "plain_text", "text": "Incident"},
        "element": {
            "type": "static_select",
            "action_id": PICK_INCIDENT_ACTION,
            "options": options,
            **({"initial_option": options[0]} if len(options) == 1 else {}),
        },
    }
    return modal(PICK_INCIDENT_CALLBACK, "Add to timeline", "Add", metadata, [select])


def kept_modal(ref: str, new: bool) -> dict[str, Any]:
    """Return the form's last page: where the message went."""
    said = (
        f":pushpin: The message is being added to *{ref}*'s timeline; it shows in the "
        "incident channel in a moment."
        if new
        else f"That message is already on *{ref}*'s timeline."
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Add to timeline"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": said}}],
    }
