"""What the incident channel reads when a severity's responders are brought in."""

from __future__ import annotations

from bot.domain.entries import RespondersInvited
from bot.slack.format import escape

_HINTS = {
    "no_such_subteam": "; check SEVERITY_RESPONDERS",
    "missing_scope": "; the app needs the usergroups:read scope (reinstall it after adding it)",
}


def responders_note(brought: RespondersInvited) -> str:
    """Return the channel's line (and warnings) about who was brought in and why."""
    why = f"{brought.severity.label} responders"
    groups = ", ".join(f"@{escape(h)}" for h in brought.groups)
    lines = []
    if brought.users:
        people = ", ".join(f"<@{u}>" for u in brought.users)
        lines.append(f":busts_in_silhouette: Invited {people} ({why}: {groups})")
    elif brought.already:
        lines.append(f":busts_in_silhouette: The {why} ({groups}) are already in the channel")
    elif brought.groups and not brought.refused:
        lines.append(f":busts_in_silhouette: The {why} ({groups}) have nobody to invite")
    for user, error in brought.refused:
        lines.append(f":warning: Could not invite <@{user}> (Slack said: `{escape(error)}`)")
    for group, error in brought.unread:
        lines.append(
            f":warning: Could not read the user group `{escape(group)}` for the {why}"
            f" (Slack said: `{escape(error)}`){_HINTS.get(error, '')}"
        )
    return "\n".join(lines)
