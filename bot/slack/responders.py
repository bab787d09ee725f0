"""What the incident channel reads when a severity's responders are brought in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.model import Severity
from bot.slack.format import escape

_HINTS = {
    "no_such_subteam": "; check SEVERITY_RESPONDERS",
    "missing_scope": "; the app needs the usergroups:read scope (reinstall it after adding it)",
}


@dataclass(frozen=True)
class Brought:
    """The outcome of inviting a severity's responder groups."""

    severity: Severity
    handles: Sequence[str]  # the groups read, as @handles
    invited: Sequence[str]  # user IDs now in the channel thanks to this invite
    refused: Mapping[str, str] = field(default_factory=dict)  # user ID -> Slack's error
    unread: Mapping[str, str] = field(default_factory=dict)  # group ID -> Slack's error


def responders_note(brought: Brought) -> str:
    """Return the channel's one line (and warnings) about who was brought in and why."""
    why = f"{brought.severity.label} responders"
    groups = ", ".join(f"@{escape(h)}" for h in brought.handles)
    lines = []
    if brought.invited:
        people = ", ".join(f"<@{u}>" for u in brought.invited)
        lines.append(f":busts_in_silhouette: Invited {people} ({why}: {groups})")
    elif brought.handles:
        lines.append(f":busts_in_silhouette: The {why} ({groups}) are already in the channel")
    for user, error in brought.refused.items():
        lines.append(f":warning: Could not invite <@{user}> (Slack said: `{escape(error)}`)")
    for group, error in brought.unread.items():
        lines.append(
            f":warning: Could not read the user group `{escape(group)}` for the {why}"
            f" (Slack said: `{escape(error)}`){_HINTS.get(error, '')}"
        )
    return "\n".join(lines)
