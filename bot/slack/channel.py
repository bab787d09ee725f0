"""Messages the bot posts: the pinned summary, the topic, timeline posts, announcements."""

from __future__ import annotations

from typing import Any, assert_never

from bot.domain import entries as e
from bot.domain.grammar import COMMAND
from bot.domain.milestones import Milestones, human
from bot.domain.model import IncidentState, Role
from bot.domain.text import TOPIC_MAX, neutralize, one_line, quiet_mentions, slack_to_plain
from bot.slack.format import STATUS_EMOJI, quote, when, who

Blocks = list[dict[str, Any]]


def topic(state: IncidentState) -> str:
    """Return the channel topic: `SEV1 | investigating | commander: <@U1>`."""
    text = f"{state.severity.label} | {state.status.value} | commander: {who(state.commander)}"
    return text[:TOPIC_MAX]


def summary(state: IncidentState) -> tuple[str, Blocks]:
    """Return the pinned summary message, rebuilt from state (safe to chat.update again)."""
    title = quiet_mentions(one_line(state.title, 200))
    roles = "\n".join(f"*{role.label}:* {who(state.held(role))}" for role in Role)
    fields = [
        f"*Severity:* {state.severity.label}",
        f"*Status:* {STATUS_EMOJI[state.status]} {state.status.value}",
        f"*Started:* {when(state.created_at)}",
        f"*Declared by:* {who(state.declared_by)}",
    ]
    if state.resolved_at is not None:
        fields.append(f"*Resolved:* {when(state.resolved_at)}")
    last = quiet_mentions(one_line(state.last_update, 300)) if state.last_update else "none yet"
    header = f"{state.ref}: {one_line(slack_to_plain(state.title), 140)}"[:150]
    footer = f"Updated {when(state.updated_at)} · `{COMMAND} help` for commands"
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": roles}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Last update:* {last}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]},
    ]
    return f"{state.ref}: {title} ({state.severity.label}, {state.status.value})", blocks


def entry(state: IncidentState, item: e.Entry, public_url: str | None = None) -> str:
    """Return the incident-channel message for one entry, with where it was published."""
    text = _entry(state, item)
    if public_url and e.is_public(item):
        text += f"\n:globe_with_meridians: Published on <{public_url}|the status page>."
    return text


def _entry(state: IncidentState, item: e.Entry) -> str:
    by, at = who(item.actor_id), when(item.at)
    match item.fact:
        case e.Declared():
            return f"{state.ref} declared by {by} · {at}"
        case e.Updated():
            return f":memo: *Update* from {by} · {at}\n{quote(item.text)}"
        case e.RoleAssigned(role=role, user=user, previous=previous):
            replacing = f", replacing {who(previous)}" if previous else ""
            return (
                f":bust_in_silhouette: {who(user)} is now *{role.label}* "
                f"(assigned by {by}{replacing}) · {at}\n_{role.duty}_"
            )
        case e.SeverityChanged(severity=severity, previous=was):
            return (
                f":rotating_light: Severity changed from {was.label} to *{severity.label}* "
                f"by {by} · {at}"
            )
        case e.StatusChanged(status=status, previous=was):
            return (
                f"{STATUS_EMOJI[status]} Status is now *{status.value}* (was {was.value}),"
                f" set by {by} · {at}\n{quote(item.text)}"
            )
        case e.Resolved():
            message = f"\n{quote(item.text)}" if item.text else ""
            return f":white_check_mark: *{state.ref} resolved* by {by} · {at}{message}"
        case e.ImpactSet(components=components, status=shown):
            return (
                f":bar_chart: {by} set {', '.join(components)} to *{shown.label}* "
                f"on the public status · {at}"
            )
        case e.PublicNameSet():
            return f":label: {by} set the public name to “{neutralize(item.text)}” · {at}"
        case e.MilestoneSet(milestone=milestone, to=moved):
            return f":round_pushpin: {by} set *{milestone.label}* to {when(moved)} · {at}"
        case e.ActionAdded(number=number, owner=owner):
            owned = f" (owner: {who(owner)})" if owner else ""
            return (
                f":clipboard: {by} added follow-up action {number}{owned} · {at}\n"
                f"{quote(item.text)}"
            )
        case e.ActionCompleted(number=number):
            return f":ballot_box_with_check: {by} marked follow-up action {number} done · {at}"
        case e.SummaryPublished():
            return f":newspaper: {by} published the public post-incident summary · {at}"
        case e.Pinned(pinned_by=pinned_by):
            return (
                f":pushpin: Added to the timeline by {who(pinned_by)}: "
                f"{by}'s message from {at}\n{quote(item.text)}"
            )
        case _:
            assert_never(item.fact)


def announcement(state: IncidentState, item: e.Entry) -> str:
    """Return the announcements-channel message for a declare or a change."""
    place = f"<#{state.channel_id}>" if state.channel_id else f"#{state.channel_name or state.ref}"
    title = quiet_mentions(one_line(state.title, 200))
    head = f"*{state.ref}* ({state.severity.label}): {title} · {place}"
    fact = item.fact
    if isinstance(fact, e.Declared):
        declared = f"Declared by {who(item.actor_id)} · {when(item.at)}"
        return f":rotating_light: New incident {head}\n{declared}"
    if isinstance(fact, e.SeverityChanged):
        return (
            f":rotating_light: {head}\nSeverity is now *{state.severity.label}* "
            f"(was {fact.previous.label})"
        )
    if isinstance(fact, e.StatusChanged):
        message = quiet_mentions(one_line(item.text, 500))
        return f"{STATUS_EMOJI[fact.status]} {head}\nStatus: *{fact.status.value}*: {message}"
    message = f": {quiet_mentions(one_line(item.text, 500))}" if item.text else ""
    return f":white_check_mark: {head}\n*Resolved*{message}"


def declared_notice(state: IncidentState) -> str:
    """Return the private note telling the declarer where the incident lives."""
    return (
        f"{state.ref} is open in <#{state.channel_id}>. You're in the channel; "
        f"assign a commander there with `{COMMAND} role commander me`."
    )


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
