"""What is said of a private incident outside its channel: that it exists, never what it is."""

from __future__ import annotations

from bot.domain.model import IncidentState
from bot.slack.format import who


def private_notice(state: IncidentState) -> str:
    """Return the notice in PRIVATE_ANNOUNCE_CHANNEL: severity, reference, declarer; no title."""
    return (
        f":lock: A private {state.severity.label} incident, {state.ref}, was declared by "
        f"{who(state.declared_by)}. Ask the commander to be added."
    )
