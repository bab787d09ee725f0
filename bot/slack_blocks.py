"""Slack messages and Block Kit, as pure functions of incident state. IDs live here too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.grammar import COMMAND
from bot.domain.milestones import Milestone, Milestones, human
from bot.domain.model import Entry, EntryKind, IncidentState, Role, Severity, Status
from bot.domain.postmortem import Action, PostmortemData
from bot.domain.public import ComponentStatus, is_public, public_updates
from bot.domain.text import (
    TOPIC_MAX,
    neutralize,
    one_line,
    public_text,
    quiet_mentions,
    slack_to_plain,
)

Blocks = list[dict[str, Any]]

DECLARE_MODAL_CALLBACK = "warroom.declare"
TITLE_BLOCK, TITLE_ACTION = "title", "title_input"
SEVERITY_BLOCK, SEVERITY_ACTION = "severity", "severity_select"
DESCRIPTION_BLOCK, DESCRIPTION_ACTION = "description", "description_input"
PUBLISH_MODAL_CALLBACK = "warroom.publish_postmortem"
SUMMARY_BLOCK, SUMMARY_ACTION = "public_summary", "public_summary_input"

STATUS_EMOJI = {
    Status.INVESTIGATING: ":mag:",
    Status.IDENTIFIED: ":bulb:",
    Status.MONITORING: ":eyes:",
    Status.RESOLVED: ":white_check_mark:",
}


def when(at: datetime) -> str:
    """Return Slack's date token: each reader sees their own time zone."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def quote(text: str) -> str:
    """Return `text` as a Slack block quote, broadcasts neutralised."""
    return "\n".join(f">{line}" for line in neutralize(text).splitlines() or [""])


def escape(text: str) -> str:
    """Escape our own text (usage lines with `<placeholders>`) for Slack."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_text(message: str, hint: str | None) -> str:
    """Return a user-safe error with its hint (our own text, escaped) for Slack."""
    return f":warning: {neutralize(message)}" + (f"\n{escape(hint)}" if hint else "")


def who(user_id: str | None) -> str:
    """Return a mention, or `unassigned`."""
    return f"<@{user_id}>" if user_id else "unassigned"


def topic(state: IncidentState) -> str:
    """Return the channel topic: `SEV1 | investigating | commander: <@U1>`."""
    text = f"{state.severity.label} | {state.status.value} | commander: {who(state.commander)}"
    return text[:TOPIC_MAX]


def summary(state: IncidentState) -> tuple[str, Blocks]:
    """Return the pinned summary message, rebuilt from state (safe to chat.update again)."""
    title = quiet_mentions(one_line(state.title, 200))
    roles = "\n".join(f"*{role.label}:* {who(state.roles.get(role))}" for role in Role)
    fields = [
        f"*Severity:* {state.severity.label}",
        f"*Status:* {STATUS_EMOJI[state.status]} {state.status.value}",
        f"*Started:* {when(state.created_at)}",
        f"*Declared by:* {who(state.declared_by)}",
    ]
    if state.resolved_at is not None:
        fields.append(f"*Resolved:* {when(state.resolved_at)}")
    last = quiet_mentions(one_line(state.last_update, 300)) if state.last_update else "none yet"
    blocks: Blocks = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"{state.ref}: {one_line(slack_to_plain(state.title), 140)}"[:150],
            },
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": roles}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Last update:* {last}"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Updated {when(state.updated_at)} · `{COMMAND} help` for commands",
                }
            ],
        },
    ]
    return f"{state.ref}: {title} ({state.severity.label}, {state.status.value})", blocks


def entry(state: IncidentState, item: Entry, public_url: str | None = None) -> str:
    """Return the incident-channel message for one entry, with where it was published."""
    text = _entry(state, item)
    if public_url and is_public(item):
        text += f"\n:globe_with_meridians: Published on <{public_url}|the status page>."
    return text


def _entry(state: IncidentState, item: Entry) -> str:
    by, at = who(item.actor_id), when(item.at)
    data = item.data
    if item.kind is EntryKind.UPDATE:
        return f":memo: *Update* from {by} · {at}\n{quote(item.text)}"
    if item.kind is EntryKind.ROLE:
        role = Role(data["role"])
        replacing = f", replacing {who(data['previous'])}" if data.get("previous") else ""
        return (
            f":bust_in_silhouette: {who(data['user'])} is now *{role.label}* "
            f"(assigned by {by}{replacing}) · {at}\n_{role.duty}_"
        )
    if item.kind is EntryKind.SEVERITY:
        change = f"from {Severity(data['previous']).label} to *{Severity(data['severity']).label}*"
        return f":rotating_light: Severity changed {change} by {by} · {at}"
    if item.kind is EntryKind.STATUS:
        status = Status(data["status"])
        return (
            f"{STATUS_EMOJI[status]} Status is now *{status.value}* (was {data['previous']}),"
            f" set by {by} · {at}\n{quote(item.text)}"
        )
    if item.kind is EntryKind.RESOLVED:
        message = f"\n{quote(item.text)}" if item.text else ""
        return f":white_check_mark: *{state.ref} resolved* by {by} · {at}{message}"
    if item.kind is EntryKind.IMPACT:
        shown = ComponentStatus(data["status"]).label
        return (
            f":bar_chart: {by} set {', '.join(data['components'])} to *{shown}* "
            f"on the public status · {at}"
        )
    if item.kind is EntryKind.PUBLIC_NAME:
        return f":label: {by} set the public name to “{neutralize(item.text)}” · {at}"
    if item.kind is EntryKind.MILESTONE:
        moved = when(datetime.fromisoformat(data["at"]))
        return f":round_pushpin: {by} set *{Milestone(data['milestone']).label}* to {moved} · {at}"
    if item.kind is EntryKind.ACTION:
        owner = f" (owner: {who(data['owner'])})" if data.get("owner") else ""
        if data.get("verb") == "completed":
            return (
                f":ballot_box_with_check: {by} marked follow-up action {data['number']} done · {at}"
            )
        return (
            f":clipboard: {by} added follow-up action {data['number']}{owner} · {at}\n"
            f"{quote(item.text)}"
        )
    if item.kind is EntryKind.POSTMORTEM:
        return f":newspaper: {by} published the public post-incident summary · {at}"
    if item.kind is EntryKind.PINNED:
        return (
            f":pushpin: Added to the timeline by {who(data.get('pinned_by'))}: "
            f"{by}'s message from {at}\n{quote(item.text)}"
        )
    return f"{state.ref} declared by {by} · {at}"


def announcement(state: IncidentState, item: Entry) -> str:
    """Return the announcements-channel message for a declare or a change."""
    place = f"<#{state.channel_id}>" if state.channel_id else f"#{state.channel_name or state.ref}"
    title = quiet_mentions(one_line(state.title, 200))
    head = f"*{state.ref}* ({state.severity.label}): {title} · {place}"
    if item.kind is EntryKind.DECLARED:
        declared = f"Declared by {who(item.actor_id)} · {when(item.at)}"
        return f":rotating_light: New incident {head}\n{declared}"
    if item.kind is EntryKind.SEVERITY:
        previous = Severity(item.data["previous"]).label
        return f":rotating_light: {head}\nSeverity is now *{state.severity.label}* (was {previous})"
    if item.kind is EntryKind.STATUS:
        message = quiet_mentions(one_line(item.text, 500))
        status = Status(item.data["status"])
        return f"{STATUS_EMOJI[status]} {head}\nStatus: *{status.value}*: {message}"
    message = f": {quiet_mentions(one_line(item.text, 500))}" if item.text else ""
    return f":white_check_mark: {head}\n*Resolved*{message}"


def declared_notice(state: IncidentState) -> str:
    """Return the private note telling the declarer where the incident lives."""
    return (
        f"{state.ref} is open in <#{state.channel_id}>. You're in the channel; "
        f"assign a commander there with `{COMMAND} role commander me`."
    )


def summary_reply(state: IncidentState) -> str:
    """Return the `summary` answer."""
    text, _ = summary(state)
    roles = ", ".join(f"{r.value}: {who(state.roles.get(r))}" for r in Role)
    last = quiet_mentions(one_line(state.last_update, 300)) if state.last_update else "none yet"
    spans = f"\n{durations_text(state.milestones)}" if state.milestones else ""
    return (
        f"*{text}*\nStarted {when(state.created_at)} · updated {when(state.updated_at)}\n"
        f"{roles}\nLast update: {last}{spans}"
    )


def timeline_reply(state: IncidentState, entries: Sequence[Entry], limit: int = 60) -> str:
    """Return the `timeline` answer, newest entries kept when it is long."""
    shown = list(entries)[-limit:]
    count = f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
    lines = [f"*Timeline of {state.ref}* ({count})"]
    if len(entries) > len(shown):
        lines.append(f"_…{len(entries) - len(shown)} earlier entries not shown_")
    for item in shown:
        lines.append(f"• {when(item.at)} {who(item.actor_id)} {_short(state, item)}")
    return "\n".join(lines)


def _short(state: IncidentState, item: Entry) -> str:
    data, text = item.data, neutralize(one_line(item.text, 300))
    if item.kind is EntryKind.ROLE:
        return f"assigned {Role(data['role']).value} to {who(data['user'])}"
    if item.kind is EntryKind.SEVERITY:
        return f"changed severity {data['previous']} → {data['severity']}"
    if item.kind is EntryKind.STATUS:
        return f"set status {data['status']}: {text}"
    if item.kind is EntryKind.RESOLVED:
        return f"resolved the incident{': ' + text if text else ''}"
    if item.kind is EntryKind.PINNED:
        return f"(pinned): {text}"
    if item.kind is EntryKind.IMPACT:
        state_label = ComponentStatus(data["status"]).label
        return f"set {', '.join(data['components'])} to {state_label}"
    if item.kind is EntryKind.PUBLIC_NAME:
        return f"set the public name: {text}"
    if item.kind is EntryKind.MILESTONE:
        return f"set {Milestone(data['milestone']).label.lower()} to {data['at'][:16]}"
    if item.kind is EntryKind.ACTION:
        return f"{data.get('verb', 'added')} action {data['number']}{': ' + text if text else ''}"
    if item.kind is EntryKind.POSTMORTEM:
        return "published the public post-incident summary"
    if item.kind is EntryKind.DECLARED:
        return f"declared {state.ref}: {text}"
    return f"update: {text}"


def durations_text(milestones: Milestones) -> str:
    """Return the milestones' durations on one line."""
    return " · ".join(f"{label}: {human(span)}" for label, span in milestones.durations().items())


def actions_reply(state: IncidentState, actions: Sequence[Action]) -> str:
    """Return the `actions` answer."""
    if not actions:
        return (
            f"{state.ref} has no follow-up actions yet. Add one with "
            f"`{COMMAND} action <text> [@owner]`."
        )
    lines = [f"*Follow-up actions of {state.ref}*"]
    for action in actions:
        mark = ":white_check_mark:" if action.done else ":white_square:"
        owner = f" ({who(action.owner_id)})" if action.owner_id else ""
        lines.append(f"{mark} {action.number}. {neutralize(action.text)}{owner}")
    return "\n".join(lines)


def postmortem_message(state: IncidentState, milestones: Milestones, worst: str) -> str:
    """Return the message that goes with the post-mortem file."""
    spans = milestones.durations()
    return (
        f":memo: *Post-mortem draft for {state.ref}* ({state.severity.label}): impact "
        f"{human(spans['Total impact'])}, resolved after {human(spans['Time to resolve'])}"
        f"{'; affected: ' + worst if worst else ''}. Fill in the review sections; "
        f"`{COMMAND} postmortem` posts a fresh draft, `{COMMAND} postmortem publish` "
        "publishes a public summary."
    )


def incident_list(incidents: Sequence[IncidentState]) -> str:
    """Return the `list` answer."""
    if not incidents:
        return "No open incidents. :tada:"
    lines = [f"*Open incidents ({len(incidents)})*"]
    for state in incidents:
        place = f"<#{state.channel_id}>" if state.channel_id else "(channel being created)"
        lines.append(
            f"• *{state.ref}* {state.severity.label} · {state.status.value} · "
            f"{quiet_mentions(one_line(state.title, 120))} · {place}"
        )
    return "\n".join(lines)


def declare_modal(default: Severity, channel_id: str | None) -> dict[str, Any]:
    """Return the declare form."""
    options = [
        {"text": {"type": "plain_text", "text": s.label}, "value": s.value} for s in Severity
    ]
    initial = next(o for o in options if o["value"] == default.value)
    return {
        "type": "modal",
        "callback_id": DECLARE_MODAL_CALLBACK,
        "private_metadata": channel_id or "",
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
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
        ],
    }


def public_summary_draft(data: PostmortemData) -> str:
    """Return a first public summary to edit: what happened, impact, what was done, prevention."""
    updates = public_updates(data.timeline)
    name = public_text(data.public_name or data.title)
    first = next((u.body for u in reversed(updates) if u.body), "")
    last = next((u.text for u in updates if u.status is not Status.RESOLVED and u.body), "")
    end = data.milestones.mitigated or data.milestones.resolved
    window = (
        (
            f"{data.milestones.started:%Y-%m-%d %H:%M} to {end:%H:%M} UTC "
            f"({human(data.milestones.durations()['Total impact'])})"
        )
        if end
        else "ongoing"
    )
    measures = [f"- {public_text(a.text)}" for a in data.actions] or ["- (to be written)"]
    return "\n".join(
        [
            f"What happened: {name}. {first}".strip(),
            f"Impact: {window}.",
            f"What we did: {last or '(to be written)'}",
            "Preventive measures:",
            *measures,
        ]
    )[:2900]


def publish_modal(data: PostmortemData, channel_id: str) -> dict[str, Any]:
    """Return the form that publishes the public post-incident summary."""
    return {
        "type": "modal",
        "callback_id": PUBLISH_MODAL_CALLBACK,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Publish summary"},
        "submit": {"type": "plain_text", "text": "Publish"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
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
        ],
    }
