"""The incident channel's topic and its pinned live summary, with the one-tap buttons."""

from __future__ import annotations

from typing import Any

from bot.domain.commands import COMMAND
from bot.domain.model import IncidentState, Role
from bot.domain.text import TOPIC_MAX, one_line, quiet_mentions, slack_to_plain
from bot.slack import ids
from bot.slack.format import STATUS_EMOJI, when, who

Blocks = list[dict[str, Any]]


def topic(state: IncidentState) -> str:
    """Return the channel topic: `SEV1 | investigating | Incident commander: <@U1>`."""
    commander = who(state.commander)
    text = f"{state.severity.label} | {state.status.value} | {Role.COMMANDER.label}: {commander}"
    return (f"Private | {text}" if state.private else text)[:TOPIC_MAX]


def next_update(state: IncidentState) -> str:
    """Return when the next update is due, as a date token, or why none is."""
    if not state.status.is_open:
        return f"none ({state.status.value})"
    if state.next_update_at is None:
        return f"reminders off (`{COMMAND} cadence 30m` turns them on)"
    return when(state.next_update_at)


def summary(state: IncidentState) -> tuple[str, Blocks]:
    """Return the pinned summary message, rebuilt from state (safe to chat.update again)."""
    title = quiet_mentions(one_line(state.title, 200))
    roles = "\n".join(f"*{role.label}:* {who(state.held(role))}" for role in Role)
    last = quiet_mentions(one_line(state.last_update, 300)) if state.last_update else "none yet"
    header = f"{state.ref}: {one_line(slack_to_plain(state.title), 140)}"[:150]
    footer = f"Updated {when(state.updated_at)} · `{COMMAND} help` for commands"
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in _fields(state)]},
        {"type": "section", "text": {"type": "mrkdwn", "text": roles}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Last update:* {last}"}},
    ]
    if state.status.is_open:
        blocks.append(
            {"type": "actions", "block_id": ids.SUMMARY_ACTIONS, "elements": _buttons(state)}
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return f"{state.ref}: {title} ({state.severity.label}, {state.status.value})", blocks


def _fields(state: IncidentState) -> list[str]:
    fields = [
        f"*Severity:* {state.severity.label}",
        f"*Status:* {STATUS_EMOJI[state.status]} {state.status.value}",
        f"*Declared:* {when(state.created_at)} by {who(state.declared_by)}",
    ]
    started = state.milestones.started if state.milestones else state.created_at
    if started != state.created_at:
        fields.append(f"*Impact since:* {when(started)}")
    if state.resolved_at is not None:
        closed = "Resolved" if state.status.counts else "Canceled (false alarm)"
        fields.append(f"*{closed}:* {when(state.resolved_at)}")
    else:
        fields.append(f"*Next update due:* {next_update(state)}")
        if state.call_url:
            fields.append(f"*Call:* <{state.call_url}|Join the incident call>")
    return fields


def _button(
    action_id: str, label: str, state: IncidentState, style: str | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": str(state.id),
    }
    if style:
        button["style"] = style
    return button


def _buttons(state: IncidentState) -> list[dict[str, Any]]:
    buttons = []
    if state.commander is None:
        buttons.append(_button(ids.TAKE_COMMAND_BUTTON, "Take command", state, "primary"))
    buttons += [
        _button(ids.POST_UPDATE_BUTTON, "Post update", state),
        _button(ids.CHANGE_STATUS_BUTTON, "Change status", state),
        _button(ids.RESOLVE_BUTTON, "Resolve", state, "danger"),
    ]
    return buttons
