"""The stakeholders' channel: one headline per incident, edited in place, and its thread."""

from __future__ import annotations

from typing import Any, assert_never

from bot.domain import entries as e
from bot.domain.milestones import human
from bot.domain.model import IncidentState, Role
from bot.domain.text import one_line, quiet_mentions
from bot.slack.format import STATUS_EMOJI, when, who
from bot.slack.summary import next_update

Blocks = list[dict[str, Any]]


def headline(state: IncidentState, *, public_url: str | None) -> tuple[str, Blocks]:
    """Return the incident's one top-level message in the stakeholders' channel."""
    title = quiet_mentions(one_line(state.public_name or state.title, 200))
    status = f"{STATUS_EMOJI[state.status]} {state.status.value}"
    head = f"*{state.ref}* · {state.severity.label} · {status} · {title}"
    if state.resolved_at is not None and not state.status.counts:
        span = f"Canceled as a false alarm {when(state.resolved_at)}"
    elif state.resolved_at is not None:
        span = f"Lasted {human(state.resolved_at - state.created_at)}"
    else:
        span = f"Open since {when(state.created_at)}"
    facts = [f"{Role.COMMANDER.label}: {who(state.commander)}", span]
    if state.status.is_open:
        facts.append(f"Next update due: {next_update(state)}")
    links = [f"<#{state.channel_id}>"] if state.channel_id else []
    if state.call_url and state.status.is_open:
        links.append(f"<{state.call_url}|incident call>")
    if public_url and state.public:
        links.append(f"<{public_url}|status page>")
    context = " · ".join([*facts, *links])
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    ]
    return f"{state.ref} ({state.severity.label}, {state.status.value}): {title}", blocks


def thread_reply(state: IncidentState, item: e.Entry) -> tuple[str, bool]:
    """Return the reply in the headline's thread for an announced change, and whether it is
    broadcast to the channel too (the resolution is)."""
    text = quiet_mentions(one_line(item.text, 500)) if item.text else ""
    match item.fact:
        case e.Declared():
            return f":rotating_light: Declared by {who(item.actor_id)}: {text}", False
        case e.SeverityChanged(severity=severity, previous=was):
            return f":rotating_light: Severity is now *{severity.label}* (was {was.label})", False
        case e.StatusChanged(status=status):
            return f"{STATUS_EMOJI[status]} *{status.value.capitalize()}*: {text}", False
        case e.Resolved():
            said = f": {text}" if text else ""
            return f":white_check_mark: *{state.ref} is resolved*{said}", True
        case e.Canceled():
            return f":no_entry_sign: *{state.ref} was canceled* (false alarm): {text}", True
        case e.Reopened():
            return f":repeat: *{state.ref} is reopened*, investigating again: {text}", True
        case (
            e.Updated()
            | e.RoleAssigned()
            | e.Pinned()
            | e.ImpactSet()
            | e.PublicNameSet()
            | e.MilestoneSet()
            | e.ActionAdded()
            | e.ActionCompleted()
            | e.ActionChanged()
            | e.SummaryPublished()
            | e.CadenceSet()
            | e.ReviewOwnerSet()
            | e.ReviewStatusSet()
            | e.ReviewDateSet()
            | e.Paged()
            | e.AlertNoted()
            | e.RespondersInvited()
        ):
            return f"{state.ref}: {text}", False  # not announced today; said plainly if it is
        case _:
            assert_never(item.fact)
