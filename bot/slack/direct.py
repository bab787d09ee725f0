"""Direct messages: a new role holder's duties and a commander's catch-up, a lost pin, and
what an archived channel missed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import entries as e
from bot.domain.capture import Unreadable
from bot.domain.model import IncidentState, Role
from bot.domain.postmortem import Action
from bot.domain.text import neutralize, one_line
from bot.slack.format import STATUS_EMOJI, who
from bot.slack.summary import next_update


@dataclass(frozen=True)
class CatchUp:
    """What a commander taking over needs first."""

    updates: Sequence[e.Entry]  # the last three, oldest first
    open_actions: Sequence[Action]


def role_message(
    state: IncidentState, role: Role, assigned_by: str, catch_up: CatchUp | None
) -> str:
    """Return the DM to the new holder of `role`, with a catch-up for a commander handoff."""
    place = f"<#{state.channel_id}>" if state.channel_id else state.ref
    lines = [
        f":bust_in_silhouette: {who(assigned_by)} made you *{role.label}* of {state.ref} "
        f"in {place}.",
        f"_{role.duty}_",
    ]
    if catch_up is not None:
        lines += _catch_up(state, catch_up)
    return "\n".join(lines)


def _catch_up(state: IncidentState, catch_up: CatchUp) -> list[str]:
    status = f"{STATUS_EMOJI[state.status]} {state.status.value}"
    lines = [
        "",
        f"*Catch-up:* {state.severity.label} · {status} · next update due: {next_update(state)}",
    ]
    if catch_up.updates:
        lines.append("*Last updates:*")
        lines += [f"• {neutralize(one_line(u.text, 200))}" for u in catch_up.updates]
    else:
        lines.append("*Last updates:* none yet")
    if catch_up.open_actions:
        lines.append("*Open actions:*")
        lines += [
            f"• {a.number}. {neutralize(one_line(a.text, 150))}" for a in catch_up.open_actions
        ]
    return lines


_UNREADABLE = {
    Unreadable.DELETED: "it was deleted before I could read it",
    Unreadable.NO_ACCESS: "I can't read that channel (invite me to it, then pin it again)",
}


def capture_failed(ref: str, channel: str, why: Unreadable, error: str) -> str:
    """Return the private note to someone whose pinned message could not be kept."""
    place = f" in <#{channel}>" if channel else ""
    reason = _UNREADABLE.get(why, f"Slack said `{neutralize(error)}`")
    return (
        f":warning: I could not add the message you pinned{place} to {ref}'s timeline: "
        f"{reason}. Nothing was recorded; post what matters with `/incident {ref} update <text>`."
    )


def archived_notice(state: IncidentState, missed: Sequence[str]) -> str:
    """Return the DM telling the commander what an archived channel could not show."""
    place = f"<#{state.channel_id}>" if state.channel_id else "the incident channel"
    still = " while the incident is still open" if state.status.is_open else ""
    lines = [f":file_cabinet: Someone archived {place}{still}, so I could not post these there:"]
    lines += [f"• {item}" for item in missed] or ["• (nothing yet)"]
    lines.append(
        "Slack does not let apps unarchive a channel. Unarchive it (open the channel, then "
        "*Unarchive*) and I will post all of this there at once."
    )
    if state.status.is_open:
        lines.append(
            f"Meanwhile any command works from any channel: `/incident {state.ref} update "
            f"<text>`, `/incident {state.ref} resolve <message>`."
        )
    return "\n".join(lines)
